"""The vault commands end to end: init, record, list, verify, passwd, backup, restore.

Most tests call ``kindcheck.cli.main`` in this process (no interpreter start-up per command);
the ones about exit codes, tracebacks, imports and what reaches the disk run the real command
in a subprocess with a private TMPDIR.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from support.vault import PASSPHRASE, flip_byte, make_answers

from kindcheck import cli
from kindcheck.settings import resolve_data_dir
from kindcheck.store import DB_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

RECOVERY_PATTERN = re.compile(r"^    ((?:[0-9A-Z]{4}-){8}[0-9A-Z]{4})$", re.MULTILINE)
NEW_PASSPHRASE = "een heel ander wachtwoord"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-wide throttle would make later tests in this process wait."""
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


class Runner:
    """Runs ``kindcheck`` in-process with the given stdin; returns (exit code, out, err)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def __call__(self, *argv: str | Path, stdin: str = "") -> tuple[int, str, str]:
        self._monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = cli.main([str(arg) for arg in argv])
        out, err = self._capsys.readouterr()
        return code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(capsys, monkeypatch)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A vault made by `kindcheck init` (once per module) and the recovery key it printed."""
    folder = tmp_path_factory.mktemp("cli") / "vault"
    result = subprocess_kindcheck(
        "init",
        "--data-dir",
        folder,
        "--passphrase-stdin",
        "--user",
        "t.tester",
        stdin=PASSPHRASE + "\n",
        tmp=tmp_path_factory.mktemp("tmp"),
    )
    assert result.returncode == 0, result.stderr
    match = RECOVERY_PATTERN.search(result.stdout)
    assert match, result.stdout
    return folder, match.group(1)


@pytest.fixture
def vault(initialised: tuple[Path, str], tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(initialised[0], folder)
    return folder


@pytest.fixture
def answers_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "input" / "answers.json"
    path.parent.mkdir()
    path.write_text(json.dumps(make_answers("EPD-123456", "Jansen", problems=3)), "utf-8")
    yield path


def subprocess_kindcheck(
    *argv: str | Path, stdin: str = "", tmp: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    tmp.mkdir(parents=True, exist_ok=True)
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KINDCHECK_")
    }
    environment.update({"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kindcheck.cli", *map(str, argv)],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


# --------------------------------------------------------------------------------------------
# Start-up


def test_help_imports_neither_the_store_nor_the_tui() -> None:
    code = (
        "import sys\n"
        "from kindcheck.cli import main\n"
        "for argv in (['--help'], ['init', '--help'], ['record', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('sqlmodel', 'sqlalchemy', 'textual', 'kindcheck.store', 'cryptography')\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stderr.strip() == "[]"


def test_the_store_never_imports_textual() -> None:
    code = (
        "import sys, kindcheck.store, kindcheck.cli.vault, kindcheck.cli.reports, "
        "kindcheck.service.vault_service, kindcheck.service.reports, kindcheck.service.intake, "
        "kindcheck.service.demo; print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from platformdirs import user_data_dir

    assert resolve_data_dir(None) == Path(user_data_dir("kindcheck", appauthor=False))
    monkeypatch.setenv("KINDCHECK_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"


# --------------------------------------------------------------------------------------------
# init


def test_init_prints_the_recovery_key_once(initialised: tuple[Path, str]) -> None:
    folder, recovery = initialised
    assert len(recovery) == 44
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert ((folder / DB_NAME).stat().st_mode & 0o777) == 0o600
    assert recovery.encode() not in (folder / DB_NAME).read_bytes()


def test_init_text_and_refusals(run: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "new"
    code, out, err = run(
        "--lang", "en", "init", "--data-dir", folder, "--passphrase-stdin", stdin="too short\n"
    )
    assert (code, out) == (1, "")
    assert "at least 12 characters" in err
    assert not (folder / DB_NAME).exists()
    code, out, err = run(
        "--lang", "en", "init", "--data-dir", folder, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 0, err
    assert "RECOVERY KEY: write it down now" in out
    assert len(RECOVERY_PATTERN.findall(out)) == 1
    code, _out, err = run(
        "--lang", "en", "init", "--data-dir", folder, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 1 and "already exists" in err


def test_init_asks_twice_on_a_terminal(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["long enough passphrase", "long enough passphrasE"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr(
        "kindcheck.cli.common.SecretSource._prompt",
        staticmethod(lambda prompt, what: next(answers)),
    )
    code, _out, err = run("--lang", "en", "init", "--data-dir", tmp_path / "v")
    assert code == 1 and "differ" in err
    assert not (tmp_path / "v" / DB_NAME).exists()


def test_no_terminal_and_no_option_says_how(run: Runner, vault: Path) -> None:
    code, _out, err = run("--lang", "en", "list", "--data-dir", vault)
    assert code == 1
    assert "use --passphrase-stdin or KINDCHECK_PASSPHRASE_FILE" in err


# --------------------------------------------------------------------------------------------
# record, list, verify


def test_record_list_and_verify(run: Runner, vault: Path, answers_file: Path) -> None:
    code, out, err = run(
        "--lang",
        "en",
        "record",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        answers_file,
        stdin=PASSPHRASE + "\n",
    )
    assert code == 0, err
    assert "Problem domains: 3" in out
    assert "HELP WITH PARENTING" in out
    assert re.search(
        r"Follow-up plan made\. Next conversation about the children: "
        r"\d{4}-\d\d-\d\d 09:00\.",
        out,
    )
    assert "Saved: intake of 2026-03-02 for client EPD-123456 (new client)." in out

    code, _out, err = run(
        "record", "--data-dir", vault, "--passphrase-stdin", answers_file, stdin=PASSPHRASE + "\n"
    )
    assert code == 1 and "already recorded" in err

    followup = answers_file.with_name("followup.json")
    followup.write_text(
        json.dumps(make_answers("epd-123456", kind="followup", signal=True, when=date(2026, 4, 1))),
        "utf-8",
    )
    code, out, err = run(
        "--lang",
        "en",
        "record",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        followup,
        stdin=PASSPHRASE + "\n",
    )
    assert code == 0, err
    assert "Follow-up plan made more frequent" in out
    assert "(new client)" not in out

    code, out, err = run(
        "--lang", "en", "list", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["REFERENCE", "NAME", "SESSIONS", "LAST", "KIND", "DOMAINS"]
    assert row.split() == ["EPD-123456", "Jansen", "2", "2026-04-01", "follow-up", "0"]

    code, out, err = run(
        "--lang", "en", "verify", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 0, err
    assert out.startswith("OK: the file is intact")


def test_an_invalid_answers_file_costs_no_passphrase(
    run: Runner, vault: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "kindcheck-answers"', "utf-8")
    code, out, err = run("record", "--data-dir", vault, "--passphrase-stdin", broken)
    assert (code, out) == (1, "")
    assert "not valid JSON" in err
    assert "standard input" not in err


def test_list_prints_names_without_control_characters(run: Runner, vault: Path) -> None:
    with Store.unlock(vault, PASSPHRASE) as opened:
        opened.add_client("EPD-\x1b]0;pwned\x07-1", "Evil\x1b[2J\x1b[31m Name\nsecond line")
    code, out, err = run("list", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil[2J[31m Name second line" in out


def test_verify_names_a_damaged_record_and_goes_on(
    run: Runner, vault: Path, answers_file: Path
) -> None:
    assert (
        run(
            "record",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            answers_file,
            stdin=PASSPHRASE + "\n",
        )[0]
        == 0
    )
    with Store.unlock(vault, PASSPHRASE) as opened:
        (session,) = list(opened.iter_sessions())
        client = opened.find_client("EPD-123456")
        assert client is not None
    flip_byte(vault, "session", "header", session.id, position=30)
    flip_byte(vault, "client", "data", client.id, position=30)
    code, out, err = run(
        "--lang", "en", "verify", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 1
    assert f"record session/{session.id} is damaged or was moved" in out
    assert f"record client/{client.id} is damaged or was moved" in out
    assert "2 problems found" in err

    code, out, err = run("list", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert code == 1 and f"client/{client.id}" in err


# --------------------------------------------------------------------------------------------
# Passphrases


def test_wrong_passphrase_exit_1_same_message_no_traceback(vault: Path, tmp_path: Path) -> None:
    for attempt in ("wrong passphrase entirely\n", "\n", PASSPHRASE.upper() + "\n"):
        result = subprocess_kindcheck(
            "--lang",
            "en",
            "list",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            stdin=attempt,
            tmp=tmp_path / "tmp",
        )
        assert result.returncode == 1
        assert result.stderr == "kindcheck: wrong passphrase\n"
        assert result.stdout == ""


def test_passphrase_file_and_data_dir_from_the_environment(
    run: Runner, vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(PASSPHRASE + "\r\nignored second line\n", "utf-8")
    secret.chmod(0o600)  # private, as it should be: others' read access gets a warning (issue 13)
    monkeypatch.setenv("KINDCHECK_PASSPHRASE_FILE", str(secret))
    monkeypatch.setenv("KINDCHECK_DATA_DIR", str(vault))
    code, out, err = run("--lang", "en", "list")
    assert code == 0, err
    assert out.strip() == "No clients yet."
    secret.write_text("wrong passphrase entirely\n", "utf-8")
    assert run("--lang", "en", "list") == (1, "", "kindcheck: wrong passphrase\n")
    monkeypatch.setenv("KINDCHECK_PASSPHRASE_FILE", str(tmp_path / "missing.txt"))
    code, _out, err = run("--lang", "en", "list")
    assert code == 1 and "KINDCHECK_PASSPHRASE_FILE cannot be read" in err


def test_passphrase_keeps_its_spaces(run: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "spaces"
    spaced = "  spaces at both ends  "
    assert run("init", "--data-dir", folder, "--passphrase-stdin", stdin=spaced + "\n")[0] == 0
    assert (
        run("list", "--data-dir", folder, "--passphrase-stdin", stdin=spaced.strip() + "\n")[0] == 1
    )
    assert run("list", "--data-dir", folder, "--passphrase-stdin", stdin=spaced)[0] == 0


def test_passwd_end_to_end(run: Runner, vault: Path) -> None:
    code, _out, err = run(
        "--lang",
        "en",
        "passwd",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{PASSPHRASE}\nshort\n",
    )
    assert code == 1 and "at least 12" in err
    code, _out, err = run(
        "--lang", "en", "passwd", "--data-dir", vault, "--passphrase-stdin", stdin=f"{PASSPHRASE}\n"
    )
    assert code == 1 and "line 2 of standard input" in err
    code, _out, err = run(
        "--lang",
        "en",
        "passwd",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"not the current one\n{NEW_PASSPHRASE}\n",
    )
    assert (code, err) == (1, "kindcheck: wrong passphrase\n")
    code, out, err = run(
        "--lang",
        "en",
        "passwd",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0, err
    assert "The old passphrase no longer works" in out
    assert (
        run(
            "--lang",
            "en",
            "list",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            stdin=PASSPHRASE + "\n",
        )[2]
        == "kindcheck: wrong passphrase\n"
    )
    assert (
        run("list", "--data-dir", vault, "--passphrase-stdin", stdin=NEW_PASSPHRASE + "\n")[0] == 0
    )


def test_passwd_with_the_recovery_key_end_to_end(
    run: Runner, vault: Path, initialised: tuple[Path, str]
) -> None:
    recovery = initialised[1]
    typo = "X" if recovery[-1] != "X" else "Y"  # always a different last character
    code, _out, err = run(
        "passwd",
        "--recovery",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{recovery[:-1]}{typo}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 1 and "not a valid recovery key" in err
    code, out, err = run(
        "--lang",
        "en",
        "passwd",
        "--recovery",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{recovery.lower().replace('-', ' ')}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0, err
    assert "recovery key stays valid" in out
    assert run("list", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE + "\n")[0] == 1
    assert (
        run("list", "--data-dir", vault, "--passphrase-stdin", stdin=NEW_PASSPHRASE + "\n")[0] == 0
    )


# --------------------------------------------------------------------------------------------
# backup and restore


def test_backup_and_restore_commands(
    run: Runner, vault: Path, answers_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "backups" / "kindcheck-backup.db"
    copy.parent.mkdir()
    assert (
        run(
            "record",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            answers_file,
            stdin=PASSPHRASE + "\n",
        )[0]
        == 0
    )
    code, out, err = run(
        "--lang",
        "en",
        "backup",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        copy,
        stdin=PASSPHRASE + "\n",
    )
    assert code == 0, err
    assert "Backup written" in out and copy.exists()
    assert b"EPD-123456" not in copy.read_bytes()
    code, _out, err = run(
        "--lang",
        "en",
        "backup",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        copy,
        stdin=PASSPHRASE + "\n",
    )
    assert code == 1 and "already exists" in err
    assert (
        run(
            "backup",
            "--force",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            copy,
            stdin=PASSPHRASE + "\n",
        )[0]
        == 0
    )

    code, _out, err = run(
        "restore", "--data-dir", vault, "--passphrase-stdin", copy, stdin=PASSPHRASE + "\n"
    )
    assert code == 1 and "--force" in err
    code, _out, err = run(
        "--lang",
        "en",
        "restore",
        "--force",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        copy,
        stdin="wrong passphrase entirely\n",
    )
    assert (code, err) == (1, "kindcheck: wrong passphrase\n")
    elsewhere = tmp_path / "second-laptop"
    code, out, err = run(
        "--lang",
        "en",
        "restore",
        "--data-dir",
        elsewhere,
        "--passphrase-stdin",
        copy,
        stdin=PASSPHRASE + "\n",
    )
    assert code == 0, err
    code, out, err = run(
        "list", "--data-dir", elsewhere, "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 0 and "EPD-123456" in out


# --------------------------------------------------------------------------------------------
# Plain text never reaches the disk


CANARY_CHILD = """
import sys
from datetime import date
from pathlib import Path
from kindcheck.store import Store
folder, passphrase, new_passphrase, note, draft_text = sys.argv[1:6]
with Store.unlock(Path(folder), passphrase) as store:
    for session in store.iter_sessions():
        store.set_meldcode_step(session.id, "consult", date(2026, 3, 3), note)
    draft = store.save_draft({"clinician_note": draft_text}, "EPD-" + draft_text)
    store.save_draft({"clinician_note": draft_text + " edited"}, None, draft_id=draft.id)
    kept = store.save_draft({"clinician_note": draft_text + " kept"}, None)
    store.delete_draft(draft.id)
    store.change_passphrase(passphrase, new_passphrase)
    store.backup(Path(folder) / "backup.db")
"""


def test_plain_text_never_reaches_the_disk(vault: Path, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:12]
    canaries = {
        "reference": f"REF{tag}R",
        "name": f"Naam{tag}N",
        "answers": f"Antwoord{tag}A",
        "note": f"Notitie{tag}M",
        "draft": f"Concept{tag}D",
    }
    tmp = tmp_path / "private-tmp"
    inputs = tmp_path / "input"  # outside the data dir and TMPDIR: the user's own file
    inputs.mkdir()
    for number in range(2):
        answers = make_answers(
            f"{canaries['reference']}-{number}",
            canaries["name"],
            text=canaries["answers"],
            signal=True,
            problems=2,
        )
        (inputs / f"{number}.json").write_text(json.dumps(answers), "utf-8")
        result = subprocess_kindcheck(
            "record",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            inputs / f"{number}.json",
            stdin=PASSPHRASE + "\n",
            tmp=tmp,
        )
        assert result.returncode == 0, result.stderr
    environment = {**os.environ, "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CANARY_CHILD,
            str(vault),
            PASSPHRASE,
            NEW_PASSPHRASE,
            canaries["note"],
            canaries["draft"],
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    for command in ("list", "verify"):
        result = subprocess_kindcheck(
            command, "--data-dir", vault, "--passphrase-stdin", stdin=NEW_PASSPHRASE + "\n", tmp=tmp
        )
        assert result.returncode == 0, result.stderr

    # The scanner finds canaries where they are (the user's own answers files).
    assert canaries["answers"].encode() in (inputs / "0.json").read_bytes()
    files = [path for root in (vault, tmp) for path in root.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {DB_NAME, DB_NAME + "-journal", "backup.db"}
    for path in files:
        content = path.read_bytes()
        for field, canary in canaries.items():
            for form in (canary, canary.lower(), canary.upper()):
                for encoding in ("utf-8", "utf-16-le"):
                    assert form.encode(encoding) not in content, f"{field} in {path}"
