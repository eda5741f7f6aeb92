"""Where the command line's output goes (issue 16): ``python -m kindcheck``, a reader that
leaves early (``| head``), ``-o -`` to standard output, ``--json`` for ``list`` and ``due``,
the old ``backup FILE`` / ``--ics FILE`` forms beside ``-o``, shell completion, and the app
refusing to start without a terminal.

Vault commands run in this process where they can (no interpreter start-up each time); pipes,
terminals and imports need a real child process.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import time_machine
from support.vault import PASSPHRASE, make_answers

from kindcheck import __version__, cli
from kindcheck.answers import session_from_dict
from kindcheck.followup import AMSTERDAM
from kindcheck.outcome import compute_outcome
from kindcheck.service.recording import record_session
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "three-or-more-domains.json"
CANARY_NAME = "Canarynaam Zwaluwstaart"
CANARY_TEXT = "kanarie-vrije-tekst-17"
LATER = datetime(2026, 9, 1, 12, 0, tzinfo=AMSTERDAM)
CLOSED_PIPE = 1 if os.name == "nt" else 141


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)
    monkeypatch.delenv("KINDCHECK_LANG", raising=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four clients (one with a name, one followed up), each with a plan."""
    folder = tmp_path_factory.mktemp("output") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store:
        for number in range(4):
            answers = make_answers(
                f"EPD-80000{number}",
                CANARY_NAME if number == 2 else None,
                text=CANARY_TEXT,
                when=date(2026, 3, 2),
                signal=number == 1,
                problems=3 if number == 0 else 1,
            )
            session = session_from_dict(answers)
            record_session(store, session, compute_outcome(session))
        followup = session_from_dict(
            make_answers("EPD-800003", kind="followup", text=CANARY_TEXT, when=date(2026, 6, 1))
        )
        record_session(store, followup, compute_outcome(followup))
    return folder


@pytest.fixture
def vault(filled: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(filled, folder)
    return folder


def run(
    capsys: pytest.CaptureFixture[Any],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str | Path,
    stdin: str = f"{PASSPHRASE}\n",
) -> tuple[int, Any, Any]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def child_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDCHECK_")}
    env.update(TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp), **extra)
    return env


def access_details(vault: Path) -> list[tuple[str, str]]:
    with Store.unlock(vault, PASSPHRASE) as store:
        return [(e.action, e.detail) for e in store.access_log()]


# --------------------------------------------------------------------------------------------
# python -m kindcheck


def test_python_m_kindcheck_is_the_kindcheck_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kindcheck", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path),
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"kindcheck {__version__}\n",
        "",
    )
    script = Path(sys.executable).with_name("kindcheck")
    if script.exists():  # the console script of this environment says the same
        installed = subprocess.run(
            [str(script), "--version"], capture_output=True, text=True, timeout=60
        )
        assert installed.stdout == result.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "kindcheck", "--lang", "en", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path),
    )
    assert usage.returncode == 0 and usage.stdout.startswith("usage: kindcheck ")


# --------------------------------------------------------------------------------------------
# A reader that leaves early


class ClosedPipe(io.TextIOBase):
    """Standard output whose reader has gone: the write, or the flush (Windows reports a
    closed pipe on the flush, as EINVAL), fails as the OS says."""

    def __init__(self, error: OSError, fails_on: str) -> None:
        self.error, self.fails_on = error, fails_on

    def write(self, text: str) -> int:
        if self.fails_on == "write":
            raise self.error
        return len(text)

    def flush(self) -> None:
        if self.fails_on == "flush":
            raise self.error


@pytest.mark.parametrize(
    ("error", "fails_on"),
    [
        (BrokenPipeError(32, "Broken pipe"), "write"),
        (BrokenPipeError(32, "Broken pipe"), "flush"),
        (OSError(22, "Invalid argument"), "flush"),
    ],
    ids=["posix-write", "posix-flush", "windows-flush-EINVAL"],
)
@pytest.mark.parametrize("argv", [["outcome", "--json", str(EXAMPLE)], ["--help"]])
def test_a_closed_standard_output_ends_quietly(
    error: OSError,
    fails_on: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedPipe(error, fails_on))
    try:
        code = cli.main(argv)
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    assert code == CLOSED_PIPE
    assert capsys.readouterr().err == ""


def test_another_os_error_on_output_is_not_taken_for_a_closed_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedPipe(OSError(28, "No space left on device"), "write"))
    assert cli.main(["--lang", "en", "outcome", "--json", str(EXAMPLE)]) == 1
    assert "internal error (OSError)" in capsys.readouterr().err


def _pipeline_commands(vault: Path) -> dict[str, list[str]]:
    args = ["--data-dir", str(vault)]
    return {
        "outcome": ["outcome", "--json", str(EXAMPLE)],
        "list": ["list", *args],
        "due": ["due", "--all", *args],
        "log": ["log", *args],
    }


@pytest.mark.parametrize("command", ["outcome", "list", "due", "log"])
def test_a_reader_gone_before_the_first_byte_gets_no_traceback(
    command: str, vault: Path, tmp_path: Path
) -> None:
    """Deterministic: the pipe's read end is closed before the child writes anything."""
    secret = tmp_path / "secret"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)  # a private passphrase file: no warning
    env = child_env(tmp_path, KINDCHECK_PASSPHRASE_FILE=str(secret))
    child = subprocess.Popen(
        [sys.executable, "-m", "kindcheck", *_pipeline_commands(vault)[command]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == CLOSED_PIPE, err
    assert err == ""


def test_head_two_never_shows_a_traceback(vault: Path, tmp_path: Path) -> None:
    """The issue's case, through a real ``| head -2`` many times (it failed 2 runs in 5)."""
    head = shutil.which("head")
    if head is None:
        pytest.skip("no head(1) here")
    secret = tmp_path / "secret"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)  # a private passphrase file: no warning
    env = child_env(tmp_path, KINDCHECK_PASSPHRASE_FILE=str(secret))
    commands = _pipeline_commands(vault)
    runs = [commands["outcome"]] * 20 + [commands[name] for name in ("list", "due", "log")] * 2
    for argv in runs:
        writer = subprocess.Popen(
            [sys.executable, "-m", "kindcheck", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        assert writer.stdout is not None and writer.stderr is not None
        reader = subprocess.Popen([head, "-2"], stdin=writer.stdout, stdout=subprocess.PIPE)
        writer.stdout.close()  # head holds the only read end now, as in a shell pipeline
        shown, _ = reader.communicate(timeout=60)
        err = writer.stderr.read().decode()
        code = writer.wait(timeout=60)
        assert len(shown.splitlines()) == 2
        for word in ("Traceback", "internal error", "interne fout", "Exception", "Broken"):
            assert word not in err, (argv, err)
        assert code in (0, CLOSED_PIPE), (argv, code, err)


# --------------------------------------------------------------------------------------------
# -o - : the same bytes on standard output as in the file


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_to_standard_output_is_the_file(
    file_format: str,
    vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    target = tmp_path / f"counts.{file_format}"
    argv = ["export", "--data-dir", vault, "--passphrase-stdin", "--format", file_format]
    with time_machine.travel(LATER, tick=False):
        code, _out, err = run(capsysbinary, monkeypatch, *argv, "-o", target)
        assert code == 0, err
        code, out, err = run(capsysbinary, monkeypatch, *argv, "-o", "-")
    assert code == 0, err
    assert out == target.read_bytes()
    assert err == b""
    assert not (Path.cwd() / "-").exists()
    assert access_details(vault)[-1][1].endswith(" to standard output")


def test_a_team_file_and_a_merge_to_standard_output(
    vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    twice = f"{PASSPHRASE}\n{PASSPHRASE}\n"  # the team key's passphrase, asked twice
    assert (
        run(capsysbinary, monkeypatch, "team-key", "--passphrase-stdin", "-o", keys, stdin=twice)[0]
        == 0
    )
    code, team_file, err = run(
        capsysbinary,
        monkeypatch,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--team-key",
        keys / "team-public.pem",
        "-o",
        "-",
    )
    assert code == 0, err
    assert team_file.startswith(b"{") and CANARY_NAME.encode() not in team_file
    laptop = tmp_path / "laptop.team"
    laptop.write_bytes(team_file)
    merge = [
        "merge",
        laptop,
        "--key",
        keys / "team-private.pem",
        "--passphrase-stdin",
        "--format",
        "json",
    ]
    merged_file = tmp_path / "merged.json"
    assert run(capsysbinary, monkeypatch, *merge, "-o", merged_file)[0] == 0
    code, out, err = run(capsysbinary, monkeypatch, *merge, "-o", "-")
    assert (code, err) == (0, b"")
    assert out == merged_file.read_bytes()


def test_the_access_log_to_standard_output_is_the_file(
    vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    target = tmp_path / "log.json"
    argv = ["log", "--client", "EPD-800001", "--data-dir", vault, "--passphrase-stdin"]
    with time_machine.travel(LATER, tick=False):
        assert run(capsysbinary, monkeypatch, *argv, "-o", target)[0] == 0
        code, out, err = run(capsysbinary, monkeypatch, *argv, "-o", "-")
    assert (code, err) == (0, b"")
    # The second file holds one more entry: the first export, logged in between.
    from_file = json.loads(target.read_bytes())
    from_stdout = json.loads(out)
    assert from_stdout["entries"][:-1] == from_file["entries"]
    assert from_stdout["entries"][-1]["action"] == "export"
    assert {k: v for k, v in from_stdout.items() if k != "entries"} == {
        k: v for k, v in from_file.items() if k != "entries"
    }
    action, detail = access_details(vault)[-1]
    assert action == "export" and detail.endswith("to standard output")


def test_the_calendar_to_standard_output_is_the_file_and_nothing_else(
    vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    old_form, new_form = tmp_path / "old.ics", tmp_path / "new.ics"
    argv = ["due", "--data-dir", vault, "--passphrase-stdin"]
    with time_machine.travel(LATER, tick=False):
        assert run(capsysbinary, monkeypatch, *argv, "--ics", old_form)[0] == 0
        assert run(capsysbinary, monkeypatch, *argv, "--ics", "-o", new_form)[0] == 0
        code, out, err = run(capsysbinary, monkeypatch, *argv, "--ics", "-o", "-")
    assert (code, err) == (0, b"")
    assert out == old_form.read_bytes() == new_form.read_bytes()
    assert out.startswith(b"BEGIN:VCALENDAR\r\n") and out.endswith(b"END:VCALENDAR\r\n")
    assert [a for a, _d in access_details(vault)[-2:]] == ["read", "export"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ics"], "name the calendar file"),
        (["--ics", "a.ics", "-o", "b.ics"], "not both"),
        (["-o", "b.ics"], "add --ics"),
        (["--json", "--ics", "-o", "-"], "both write to standard output"),
    ],
)
def test_due_says_where_the_calendar_goes_before_the_passphrase(
    extra: list[str],
    message: str,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # no passphrase
    code = cli.main(["--lang", "en", "due", "--data-dir", str(vault), "--passphrase-stdin", *extra])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err and "standard input" not in err


def test_backup_takes_o_and_keeps_its_old_form(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--lang", "en", "backup", "--data-dir", vault, "--passphrase-stdin"]
    new_form, old_form = tmp_path / "new.db", tmp_path / "old.db"
    assert run(capsys, monkeypatch, *argv, "-o", new_form)[0] == 0
    assert run(capsys, monkeypatch, *argv, old_form)[0] == 0
    for copy in (new_form, old_form):
        restored = tmp_path / f"restored-{copy.stem}"
        Store.restore(copy, restored, passphrase=PASSPHRASE)
        with Store.unlock(restored, PASSPHRASE) as store:
            assert len(store.list_clients()) == 4
    for wrong, message in (
        ([old_form, "-o", new_form], "not both"),
        ([], "name the backup file"),
        (["-o", "-"], "cannot go to standard output"),
    ):
        code, _out, err = run(capsys, monkeypatch, *argv, "--force", *wrong)
        assert code == 2 and message in err, err


def test_data_for_a_terminal_is_cleaned_on_its_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kindcheck.cli.common import write_stdout

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    write_stdout(b"period,count\r\n\x1b]0;title\x07q1,\x1b[2J5\r\n")
    assert screen.getvalue() == "period,count\n]0;titleq1,[2J5\n"


# --------------------------------------------------------------------------------------------
# --json for list and due


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("kindcheck.cli").joinpath(f"schemas/{name}.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_list_json_is_the_table_as_a_versioned_document(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--lang", "en", "list", "--data-dir", vault, "--passphrase-stdin"]
    code, table, err = run(capsys, monkeypatch, *base)
    assert code == 0, err
    code, out, err = run(capsys, monkeypatch, *base, "--json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, _schema("clients"))
    assert out.isascii()
    rows = [line.split() for line in table.splitlines()[1:]]
    as_rows = [
        [
            c["reference"],
            *(c["name"] or "-").split(),
            str(c["session_count"]),
            c["last_session"]["date"],
            {"intake": "intake", "followup": "follow-up"}[c["last_session"]["kind"]],
            str(c["last_session"]["problem_domains"]),
        ]
        for c in document["clients"]
    ]
    assert as_rows == rows
    assert CANARY_TEXT not in out  # answers never; the name only as the table shows it
    assert [a for a, _d in access_details(vault)[-2:]] == ["read", "read"]


def test_due_json_is_the_table_as_a_versioned_document(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--lang", "en", "due", "--all", "--data-dir", vault, "--passphrase-stdin"]
    with time_machine.travel(LATER, tick=False):
        code, table, err = run(capsys, monkeypatch, *base)
        assert code == 0, err
        code, out, err = run(capsys, monkeypatch, *base, "--json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, _schema("due"))
    assert document["today"] == "2026-09-01"
    labels = {"overdue": "overdue", "due": "due", "upcoming": "upcoming", "ended": "ended"}
    as_rows = [
        "|".join(
            [
                labels[item["state"]],
                item["date"] or "-",
                str(item["days_late"]) if item["days_late"] else "",
                item["reference"],
                item["calendar_code"],
                item["reason"],  # in English the column shows the reason as in the JSON
            ]
        )
        for item in document["items"]
    ]
    assert as_rows == table.splitlines()[1:]
    for secret in (CANARY_NAME, CANARY_TEXT):
        assert secret not in out


# --------------------------------------------------------------------------------------------
# Shell completion


def _subcommands() -> set[str]:
    import argparse

    parser = cli.build_parser("en")
    holder = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(holder.choices)


def test_bash_completion_script_is_valid_and_names_every_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kindcheck.cli import main\n"
            "code = main(['--print-completion', 'bash'])\n"
            "heavy = [m for m in ('textual', 'sqlmodel', 'sqlalchemy', 'kindcheck.store') "
            "if m in sys.modules]\n"
            "print(heavy, file=sys.stderr); sys.exit(code)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"
    script = result.stdout
    commands = _subcommands()
    assert len(commands) >= 15
    declared = next(
        line for line in script.splitlines() if line.startswith("_shtab_kindcheck_subparsers=")
    )
    assert set(declared.split("=(", 1)[1].rstrip(")").split()) == commands
    assert "--passphrase-stdin" in script and "--print-completion" in script
    assert "-F _shtab_kindcheck kindcheck" in script  # registered for the command
    bash = shutil.which("bash")
    if bash is not None:
        path = tmp_path / "kindcheck.bash"
        path.write_text(script)
        checked = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        # What Tab offers, asked the way bash asks the completion function.
        offered = {}
        for words in ("kindcheck lo", "kindcheck due --i", "kindcheck --lang "):
            probe = (
                f"source {path}; COMP_WORDS=({words}); COMP_CWORD={len(words.split(' ')) - 1}; "
                '_shtab_kindcheck; echo "${COMPREPLY[@]}"'
            )
            shown = subprocess.run([bash, "-c", probe], capture_output=True, text=True)
            offered[words] = shown.stdout.split()
        assert offered == {
            "kindcheck lo": ["log"],
            "kindcheck due --i": ["--ics"],
            "kindcheck --lang ": ["nl", "en"],
        }


@pytest.mark.parametrize("shell", ["zsh", "tcsh", "fish", "powershell"])
def test_every_offered_shell_gets_a_script_naming_the_commands(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--print-completion", shell]) == 0
    script = capsys.readouterr().out
    assert all(command in script for command in _subcommands())


# --------------------------------------------------------------------------------------------
# The app needs a terminal


@pytest.mark.parametrize("argv", [[], ["demo"]], ids=["app", "demo"])
def test_the_app_without_a_terminal_says_so_and_stops(argv: list[str], tmp_path: Path) -> None:
    env = child_env(tmp_path, KINDCHECK_DATA_DIR=str(tmp_path / "vault"))
    result = subprocess.run(
        [sys.executable, "-m", "kindcheck", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "de app heeft een terminalvenster nodig" in result.stderr
    assert not (tmp_path / "vault").exists()


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_a_terminal_for_input_but_a_pipe_for_output_is_not_enough(tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kindcheck", "--lang", "en"],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=30,
            env=child_env(tmp_path, KINDCHECK_DATA_DIR=str(tmp_path / "vault")),
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert "the app needs a terminal window" in result.stderr
