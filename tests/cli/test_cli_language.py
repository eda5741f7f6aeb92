"""The command line speaks the chosen language (issue 16, issue 11 item 14): Dutch by default
like the app, English with ``--lang en`` or the settings file; argparse's own words too;
"wachtzin", never "wachtwoord"; plurals from one place in the catalog; every line through the
one writer that strips control characters; ``kindcheck log`` in local time, saying which.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import string
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli
from kindcheck.i18n import LANGUAGES, PLURAL_FORMS, catalog, plural, plural_catalog
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "kindcheck" / "cli"
CATALOG = ROOT / "kindcheck" / "locale" / "messages.toml"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)
    monkeypatch.delenv("KINDCHECK_LANG", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("language") / "vault"
    Store.create(folder, PASSPHRASE, "t.tester")[0].close()
    return folder


@pytest.fixture
def vault(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template, folder)
    return folder


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str | Path,
    stdin: str = PASSPHRASE + "\n",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    try:
        code = cli.main([str(arg) for arg in argv])
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------
# Dutch by default, English when asked


def test_argparse_speaks_dutch_by_default_and_english_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = run(capsys, monkeypatch, "export")
    assert code == 2
    assert err.startswith("gebruik: kindcheck export")
    assert "kindcheck export: fout: de volgende argumenten zijn verplicht: -o/--output" in err
    code, _out, err = run(capsys, monkeypatch, "lijst")
    assert code == 2 and "ongeldige keuze: 'lijst' (kies uit 'outcome'" in err
    code, _out, err = run(capsys, monkeypatch, "list", "--alles")
    assert code == 2 and "onbekende argumenten: --alles" in err
    code, out, _err = run(capsys, monkeypatch, "--help")
    assert code == 0 and "toon deze hulptekst en stop" in out and "opties:" in out
    assert "show this help" not in out and "usage:" not in out

    code, _out, err = run(capsys, monkeypatch, "--lang", "en", "export")
    assert err.startswith("usage: kindcheck export")
    assert "error: the following arguments are required: -o/--output" in err
    code, _out, err = run(capsys, monkeypatch, "list", "--alles", "--lang=en")
    assert "unrecognized arguments: --alles" in err
    code, out, _err = run(capsys, monkeypatch, "--lang", "en", "due", "--help")
    assert "show this help message and exit" in out and "also list upcoming" in out


def test_the_settings_file_and_the_environment_choose_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("KINDCHECK_CONFIG_DIR", str(config))
    (config / "settings.toml").write_text('lang = "en"\n', "utf-8")
    assert "usage: kindcheck export" in run(capsys, monkeypatch, "export")[2]
    monkeypatch.setenv("KINDCHECK_LANG", "nl")  # the environment over the file
    assert "gebruik: kindcheck export" in run(capsys, monkeypatch, "export")[2]
    assert "usage: kindcheck export" in run(capsys, monkeypatch, "export", "--lang", "en")[2]
    monkeypatch.delenv("KINDCHECK_LANG")
    # A settings file the app would refuse does not stop a command: it falls back to Dutch.
    (config / "settings.toml").write_text('lang = "fr"\nidle_lock_minutes = "soon"\n', "utf-8")
    assert "gebruik: kindcheck export" in run(capsys, monkeypatch, "export")[2]


def _english_only_texts() -> list[str]:
    """Every en text of the command line's messages that differs from its nl text, long
    enough to be recognised (no "intake", no placeholders alone)."""
    texts = []
    for key, entry in catalog().items():
        if key.startswith(("cli.", "error.")) and not key.startswith(("cli.help.", "cli.audit.")):
            english = entry["en"].split("{")[0].strip()
            if len(english) >= 12 and english != entry["nl"].split("{")[0].strip():
                texts.append(english)
    for key, entry in plural_catalog().items():
        if key.startswith("cli.") and not key.startswith("cli.audit."):
            for form in PLURAL_FORMS:
                english = entry["en"][form].split("{")[0].strip()
                if len(english) >= 12:
                    texts.append(english)
    return texts


def test_a_dutch_session_at_the_command_line_has_no_english_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "vault"
    answers = tmp_path / "antwoorden.json"
    answers.write_text(json.dumps(make_answers("EPD-424242", "Jansen", problems=3)), "utf-8")
    keys = tmp_path / "sleutels"
    keys.mkdir()
    vault_args = ["--data-dir", folder, "--passphrase-stdin"]
    seen = []
    for argv, stdin in (
        (["init", *vault_args], PASSPHRASE + "\n"),
        (["init", *vault_args], PASSPHRASE + "\n"),  # already there: an error
        (["record", *vault_args, answers], PASSPHRASE + "\n"),
        (["list", *vault_args], PASSPHRASE + "\n"),
        (["list", *vault_args], "verkeerd verkeerd\n"),  # wrong passphrase
        (["verify", *vault_args], PASSPHRASE + "\n"),
        (["due", "--all", *vault_args, "--ics", tmp_path / "a.ics"], PASSPHRASE + "\n"),
        (["due", *vault_args, "--ics", tmp_path / "a.ics"], PASSPHRASE + "\n"),  # exists
        (["export", *vault_args, "-o", tmp_path / "t.csv"], PASSPHRASE + "\n"),
        (["log", *vault_args], PASSPHRASE + "\n"),
        (["log", *vault_args, "-o", tmp_path / "log.json"], PASSPHRASE + "\n"),
        (["backup", *vault_args, "-o", tmp_path / "kopie.db"], PASSPHRASE + "\n"),
        (["passwd", *vault_args], f"{PASSPHRASE}\nkort\n"),
        (["team-key", "--passphrase-stdin", "-o", keys], f"{PASSPHRASE}\n{PASSPHRASE}\n"),
        (["team-key", "-o", tmp_path / "a.ics"], ""),
        (["outcome", answers], ""),
        (["check-questionnaire", ROOT / "questionnaires" / "kindcheck-v1.toml"], ""),
    ):
        code, out, err = run(capsys, monkeypatch, *argv, stdin=stdin)
        seen.append((argv[0], code, out + err))
    codes = [code for _name, code, _text in seen]
    assert codes == [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0], seen
    everything = "\n".join(text for _name, _code, text in seen)
    for english in _english_only_texts():
        assert english not in everything, english
    for dutch in (
        "Kluis aangemaakt",
        "er is al een kluis",
        "Opgeslagen: intake van 2026-03-02 voor cliënt EPD-424242 (nieuwe cliënt).",
        "REFERENTIE",
        "kindcheck: verkeerde wachtzin",
        "In orde: het bestand is heel",
        "Agendabestand geschreven naar",
        "bestaat al; gebruik --force om het te overschrijven",
        "Geanonimiseerde telling geschreven",
        "WANNEER",
        "Tijden in lokale tijd",
        "Toegangslog (",
        "Reservekopie geschreven",
        "een wachtzin heeft minstens 12 tekens nodig (deze heeft er 4)",
        "Sleutelpaar geschreven",
        "is een bestand, geen map",
        "Probleemgebieden: 3",
        "in orde (kindcheck-v1,",
    ):
        assert dutch in everything, dutch


def test_prompts_ask_for_the_wachtzin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["lang genoeg wachtzin", "lang genoeg wachtzin"])

    def getpass(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", getpass)
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert cli.main(["init", "--data-dir", str(tmp_path / "v")]) == 0
    assert asked == ["Nieuwe wachtzin (minstens 12 tekens): ", "Herhaal de nieuwe wachtzin: "]
    capsys.readouterr()


def test_no_terminal_for_a_secret_is_said_in_dutch(
    vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = run(capsys, monkeypatch, "list", "--data-dir", vault, stdin="")
    assert code == 1
    assert err == (
        "kindcheck: geen terminal om de wachtzin te vragen: gebruik --passphrase-stdin of "
        "KINDCHECK_PASSPHRASE_FILE\n"
    )
    code, _out, err = run(
        capsys, monkeypatch, "passwd", "--data-dir", vault, "--passphrase-stdin", stdin="x\n"
    )
    assert err == "kindcheck: de nieuwe wachtzin verwacht op regel 2 van de standaardinvoer\n"


# --------------------------------------------------------------------------------------------
# The catalog


def _nl_texts() -> list[tuple[str, str]]:
    texts = [(key, entry["nl"]) for key, entry in catalog().items()]
    for key, entry in plural_catalog().items():
        texts += [(f"{key}.{form}", entry["nl"][form]) for form in PLURAL_FORMS]
    return texts


def test_wachtzin_everywhere_never_wachtwoord() -> None:
    assert any("wachtzin" in text.lower() for _key, text in _nl_texts())
    assert [key for key, text in _nl_texts() if "wachtwoord" in text.lower()] == []
    # Nor any Dutch text written in the code itself, app or command line.
    sources = [*(ROOT / "kindcheck").rglob("*.py"), *(ROOT / "screens").rglob("*.py")]
    assert [str(p) for p in sources if "wachtwoord" in p.read_text("utf-8").lower()] == []


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_command_line_message_has_both_languages_with_the_same_fields() -> None:
    for key, entry in catalog().items():
        if key.startswith(("cli.", "error.")):
            assert set(entry) == set(LANGUAGES), key
            if not key.startswith("cli.argparse."):
                assert _fields(entry["nl"]) == _fields(entry["en"]), key
    for key, entry in plural_catalog().items():
        assert set(entry) == set(LANGUAGES), key
        for lang in LANGUAGES:
            assert set(entry[lang]) == set(PLURAL_FORMS), (key, lang)
        fields = {lang: _fields(entry[lang]["other"]) for lang in LANGUAGES}
        assert fields["nl"] == fields["en"], key
        assert "count" in fields["en"] or "%s" in entry["en"]["other"], key


def test_counts_have_one_form_for_one_and_another_for_more() -> None:
    assert (
        plural("cli.log.written", 1, "nl", path="x") == "Toegangslog (1 regel) geschreven naar x."
    )
    assert (
        plural("cli.log.written", 2, "nl", path="x") == "Toegangslog (2 regels) geschreven naar x."
    )
    assert plural("cli.log.written", 0, "en", path="x") == "Access log (0 entries) written to x."
    assert plural("cli.outcome.questionnaire_ok", 1, "nl", path="a", key="b") == (
        "a: in orde (b, 1 vraag)"
    )
    assert plural("cli.vault.verify_bad", 1, "en").startswith("1 problem found.")
    # No command-line message writes "(s)", "(en)" or "probleem/problemen" any more.
    messages = [
        entry[lang]
        for key, entry in catalog().items()
        if key.startswith(("cli.", "error."))
        for lang in LANGUAGES
    ]
    for text in messages:
        assert not re.search(r"\w\((s|en|nen)\)|probleem/problemen", text), text


def test_plurals_are_chosen_in_one_place() -> None:
    """Every count the command line prints goes through kindcheck.i18n.plural (cli.common's
    counted): no other code in kindcheck/cli picks a word form by a number."""
    for path in CLI.glob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"== 1 else|!= 1 else|\(s\)", source), path.name


def _keys_used_by_the_command_line() -> set[str]:
    used: set[str] = set()
    calls = {
        "text": "cli.",
        "counted": "cli.",
        "fail": "cli.",
        "usage_fail": "cli.",
        "help_": "cli.help.",
    }
    for path in CLI.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in calls
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                used.add(calls[node.func.id] + node.args[0].value)
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"error\.[a-z_.]+", node.value)
            ):
                used.add(node.value)
    return used


def test_every_key_the_command_line_uses_is_in_the_catalog() -> None:
    known = set(catalog()) | set(plural_catalog())
    used = _keys_used_by_the_command_line()
    assert len(used) > 60
    assert sorted(used - known) == []


# --------------------------------------------------------------------------------------------
# One writer, control characters stripped


def test_only_common_writes_to_the_terminal() -> None:
    modules = sorted(CLI.glob("*.py"))
    assert {p.name for p in modules} >= {"__init__.py", "common.py", "parser.py", "vault.py"}
    writers = re.compile(r"\bprint\(|sys\.std(out|err)\.write|\.buffer\.write")
    offenders = [
        p.name for p in modules if p.name != "common.py" and writers.search(p.read_text("utf-8"))
    ]
    assert offenders == []


def test_text_from_the_user_reaches_the_terminal_without_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, monkeypatch, "list", "--bogus\x1b]0;pwned\x07\x1b[2J")
    assert code == 2 and "--bogus]0;pwned[2J" in err
    code, out, err = run(capsys, monkeypatch, "team-key", "-o", tmp_path / "missing\x1b[31m\x9b1m")
    assert code == 1 and "missing[31m1m" in err
    code, out, err = run(
        capsys, monkeypatch, "outcome", tmp_path / "geen\x1b[2Jbestand.json", "--lang", "en"
    )
    assert code == 1 and "geen[2Jbestand.json" in err
    for text in (out, err):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)


# --------------------------------------------------------------------------------------------
# kindcheck log in local time


def test_log_shows_local_time_and_says_which(vault: Path, tmp_path: Path) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        for moment in (
            datetime(2026, 1, 15, 8, 15, tzinfo=UTC),
            datetime(2026, 7, 15, 8, 15, tzinfo=UTC),
        ):
            with time_machine.travel(moment, tick=False):
                store.log_access("read", None, f"probe {moment.month}")
    secret = tmp_path / "secret"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)  # a private passphrase file: no warning

    def log(zone: str, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINDCHECK_")}
        env.update(TZ=zone, KINDCHECK_PASSPHRASE_FILE=str(secret), TMPDIR=str(tmp_path))
        return subprocess.run(
            [sys.executable, "-m", "kindcheck", "log", "--data-dir", str(vault), *extra],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )

    def rows(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
        found = {}
        for line in result.stdout.splitlines():
            if "probe" in line:
                found[line.split("probe ")[1].split()[0]] = " ".join(line.split()[:2])
        return found

    amsterdam = log("Europe/Amsterdam")
    assert amsterdam.returncode == 0, amsterdam.stderr
    assert rows(amsterdam) == {"1": "2026-01-15 09:15:00", "7": "2026-07-15 10:15:00"}
    assert amsterdam.stderr.startswith(
        "Tijden in lokale tijd (Europe/Amsterdam, UTC+01:00 en UTC+02:00"
    )
    utc = log("UTC", "--lang", "en")
    assert rows(utc) == {"1": "2026-01-15 08:15:00", "7": "2026-07-15 08:15:00"}
    assert utc.stderr.startswith("Times in local time (UTC, UTC+00:00)")
    as_json = json.loads(log("Europe/Amsterdam", "--json").stdout)
    times = [e["at"] for e in as_json["entries"] if e["detail"].startswith("probe")]
    assert times == ["2026-01-15T08:15:00+00:00", "2026-07-15T08:15:00+00:00"]


def test_reading_the_catalog_by_section_reads_what_the_whole_file_says() -> None:
    """t() parses one section of at most two levels at a time (kindcheck --help needs [cli]
    only, the first screen a few tables of [ui]): that is only right while every entry is on
    one line, so the parts, each a TOML document of its own, together equal the whole; and
    every message is found by its key as in the whole."""
    import tomllib

    from kindcheck import i18n

    whole = tomllib.loads(CATALOG.read_text("utf-8"))
    joined: dict[str, Any] = {}

    def merge(into: dict[str, Any], part: dict[str, Any], where: str) -> None:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value, f"{where}.{key}")
            else:
                assert key not in into, f"{where}.{key} is in two parts"
                into[key] = value

    for section, part in i18n._tables().items():
        assert section.count(".") <= 1
        merge(joined, tomllib.loads(part), "")
    assert joined == whole
    for key, entry in i18n.catalog().items():
        assert i18n._entry(key) == entry, key


# --------------------------------------------------------------------------------------------
# The vault's own errors (disk, file, folder) in the person's language


def test_the_vaults_file_errors_are_said_in_dutch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_vault = tmp_path / "geen-kluis"
    not_a_vault.mkdir()
    (not_a_vault / "kindcheck.db").write_bytes(b"dit is geen database" * 20)
    said = []
    for argv in (
        ["restore", "--data-dir", tmp_path / "nieuw", "--passphrase-stdin", tmp_path / "weg.db"],
        ["list", "--data-dir", tmp_path / "nergens", "--passphrase-stdin"],
        ["list", "--data-dir", not_a_vault, "--passphrase-stdin"],
    ):
        code, _out, err = run(capsys, monkeypatch, *argv, stdin=PASSPHRASE + "\n")
        said.append((code, err))
    assert [code for code, _err in said] == [1, 1, 1], said
    assert "er is geen reservekopie op" in said[0][1]
    assert "er is geen kluis in" in said[1][1] and "maak er een met `kindcheck init`" in said[1][1]
    assert "is geen Kindcheck-kluis (het is geen SQLite-database" in said[2][1]
    for english in ("there is no", "is not a Kindcheck vault", "nothing was"):
        assert not any(english in err for _code, err in said), english


def test_a_store_message_made_of_parts_is_said_whole_in_one_language() -> None:
    """A failed backup whose disk is full: the cause and what did not happen, both in Dutch."""
    from kindcheck.errors import Phrase, VaultError
    from kindcheck.i18n import error_message

    full = VaultError.from_catalog("error.store.full", nothing=Phrase("error.store.nothing.backup"))
    failed = VaultError.from_catalog("error.store.backup_log_failed", cause=full)
    assert str(failed).startswith("the disk is full: no backup was written; ")
    dutch = error_message(failed, "nl")
    assert dutch.startswith("de schijf is vol: er is geen reservekopie geschreven; ")
    assert "backup" not in dutch and "nothing" not in dutch


@pytest.mark.parametrize("writing", [True, False])
def test_every_disk_and_file_problem_of_the_store_has_its_text_in_both_languages(
    writing: bool,
) -> None:
    import errno as errnos
    import sqlite3

    from kindcheck.i18n import error_message
    from kindcheck.store.sqlite import _os_failure, _translate

    failures = []
    for code in (3, 5, 6, 8, 10, 11, 13, 14, 26, 1):
        error = sqlite3.OperationalError("x")
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
        error.sqlite_errorname = "SQLITE_X"  # type: ignore[attr-defined]
        for nothing in ("saved", "backup", "restored"):
            failures.append(_translate(error, writing=writing, nothing=nothing))
    for number in (errnos.EROFS, errnos.EACCES, errnos.ENOSPC, errnos.ENOENT, errnos.EIO):
        for doing in (
            "lock",
            "read_vault",
            "create_folder",
            "create_vault",
            "write_backup",
            "restore",
        ):
            failures.append(_os_failure(OSError(number, "boom"), Path("/map"), doing))
    for failure in failures:
        english, dutch = error_message(failure, "en"), error_message(failure, "nl")
        assert english == str(failure)
        for text in (english, dutch):
            assert "error.store" not in text and "{" not in text, text
        assert english != dutch
