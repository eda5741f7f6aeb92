"""The client record at the command line (issue 15): ``show`` (text and JSON), ``amend``,
``move``, ``handoff`` (text, PDF, FHIR), ``dossier`` and ``delete-client``, each with what it
writes to the access log; and the canary run: no client data in any temporary or leftover
file after each hand-off, the commands run as a user runs them (a subprocess whose TMPDIR is
an empty private folder).

Most tests call ``kindcheck.cli.main`` in this process; the vault is made once per module.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from support.vault import PASSPHRASE, make_answers, record

from kindcheck import cli
from kindcheck.record import record_schema
from kindcheck.record.dossier import dossier_schema
from kindcheck.store import LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

REFERENCE = "EPD-4711"
CANARY_NAME = "Kanarie Naam-c4f1"
CANARY_NOTE = "Kanarie notitie-9b7e: zoon (7) was erbij"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


@dataclass(frozen=True)
class Template:
    folder: Path
    session_id: str
    client_id: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("cli-record") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store:
        record(store, make_answers("EPD-1000", "Ander"))
        made = record(store, make_answers(REFERENCE, CANARY_NAME, text=CANARY_NOTE, problems=2))
    (folder / LOCK_NAME).unlink()
    return Template(folder, made.session.id, made.client.id)


@pytest.fixture
def vault(template: Template, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template.folder, target)
    return target


class Runner:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def __call__(self, vault: Path, *argv: str | Path, stdin: str = "") -> tuple[int, str, str]:
        text = PASSPHRASE + "\n" + stdin
        self._monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        words = [str(arg) for arg in argv] + ["--data-dir", str(vault), "--passphrase-stdin"]
        code = cli.main(words)
        out, err = self._capsys.readouterr()
        return code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(capsys, monkeypatch)


def log(vault: Path) -> list[tuple[str, str | None, str, str]]:
    with Store.unlock(vault, PASSPHRASE) as store:
        return [(e.action, e.client_reference, e.detail, e.outcome) for e in store.access_log()]


def new_entries(vault: Path, before: int) -> list[tuple[str, str | None, str, str]]:
    return log(vault)[before:]


# ---------------------------------------------------------------------------------------------
# show


def test_show_prints_the_session_with_every_answer_and_note(
    run: Runner, vault: Path, template: Template
) -> None:
    before = len(log(vault))
    code, out, err = run(vault, "show", template.session_id)
    assert code == 0, err
    assert out.startswith("KINDCHECK: VERSLAG VAN HET GESPREK\n")
    assert f"Cliëntreferentie: {REFERENCE}" in out and "door t.tester" in out
    assert CANARY_NOTE in out and "NOTITIES" in out
    assert "Geld" in out and "Antwoord: Ja" in out  # a problem domain, with the answer behind it
    assert [(a, r) for a, r, _d, _o in new_entries(vault, before)] == [("read", REFERENCE)]


def test_show_json_by_reference_gives_every_session_as_a_record_document(
    run: Runner, vault: Path, template: Template
) -> None:
    before = len(log(vault))
    code, out, err = run(vault, "show", " epd-4711 ", "--json")
    assert code == 0, err
    documents = json.loads(out)
    assert isinstance(documents, list) and len(documents) == 1
    jsonschema.validate(documents[0], record_schema())
    assert documents[0]["session"]["id"] == template.session_id
    entries = new_entries(vault, before)
    assert [(a, r) for a, r, _d, _o in entries] == [("read", REFERENCE)]
    assert entries[0][2].startswith("client file")
    # One session by its id: the document itself.
    code, out, _err = run(vault, "show", template.session_id, "--json")
    assert code == 0 and json.loads(out)["session"]["client_reference"] == REFERENCE


def test_show_of_an_unknown_reference_says_so_in_dutch_and_logs_the_search(
    run: Runner, vault: Path
) -> None:
    before = len(log(vault))
    code, out, err = run(vault, "show", "EPD-9999")
    assert code == 1 and out == ""
    assert "er is geen cliënt met referentie EPD-9999 in de kluis" in err
    assert new_entries(vault, before) == [
        ("search", "EPD-9999", "reference search: no match", "done")
    ]


# ---------------------------------------------------------------------------------------------
# amend and move


def test_amend_corrects_an_answer_and_the_outcome_follows(
    run: Runner, vault: Path, template: Template
) -> None:
    before = len(log(vault))
    code, out, err = run(
        vault,
        "amend",
        template.session_id,
        "--answer",
        "sig_other=ja",
        "--reason",
        "Verkeerd aangevinkt tijdens het gesprek",
    )
    assert code == 0, err
    assert "Uitkomst nu: Samenvatting: 1 signaal van onveiligheid, 2 probleemgebieden." in out
    assert "Uitkomst zoals vastgelegd: Samenvatting: geen signalen" in out
    entries = new_entries(vault, before)
    assert [(a, r) for a, r, _d, _o in entries] == [("change", REFERENCE)]
    assert "correction" in entries[0][2]
    code, out, _err = run(vault, "show", template.session_id)
    assert "Gecorrigeerd op" in out and "eerder: Nee" in out
    assert "Verkeerd aangevinkt tijdens het gesprek" in out


def test_amend_refuses_what_does_not_fit_and_stores_nothing(
    run: Runner, vault: Path, template: Template
) -> None:
    before = len(log(vault))
    code, _out, err = run(
        vault, "amend", template.session_id, "--answer", "sig_other=misschien", "--reason", "x"
    )
    assert code == 1 and "de correctie is niet opgeslagen" in err
    code, _out, err = run(
        vault, "amend", template.session_id, "--answer", "no_such_question=ja", "--reason", "x"
    )
    assert code == 1 and "no_such_question" in err
    code, _out, err = run(
        vault, "amend", template.session_id, "--answer", "sig_other", "--reason", "x"
    )
    assert code == 2 and "--answer verwacht VRAAG=WAARDE" in err
    assert not [e for e in new_entries(vault, before) if e[0] == "change"]


def test_move_files_the_session_under_the_right_reference(
    run: Runner, vault: Path, template: Template
) -> None:
    code, out, err = run(
        vault, "move", template.session_id, "--to", "EPD-4712", "--reason", "typfout"
    )
    assert code == 0, err
    assert f"van cliëntreferentie {REFERENCE} naar EPD-4712" in out
    code, out, _err = run(vault, "show", "EPD-4712")
    assert code == 0 and "Cliëntreferentie: EPD-4712" in out
    assert f"Verplaatst van cliëntreferentie {REFERENCE}" in out
    code, out, _err = run(vault, "show", REFERENCE)
    assert code == 0 and out.strip() == "Deze cliënt heeft (nog) geen sessies."
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.verify() == []


# ---------------------------------------------------------------------------------------------
# handoff and dossier


def test_handoff_writes_text_pdf_and_fhir_and_logs_each_as_an_export(
    run: Runner, vault: Path, template: Template, tmp_path: Path
) -> None:
    before = len(log(vault))
    out_dir = tmp_path / "epd"
    out_dir.mkdir()
    for file_format, name in (("text", "s.txt"), ("pdf", "s.pdf"), ("fhir", "s.fhir.json")):
        code, out, err = run(
            vault, "handoff", template.session_id, "--format", file_format, "-o", out_dir / name
        )
        assert code == 0, err
        assert out.strip() == f"Geschreven naar {out_dir / name}."
    assert CANARY_NOTE in (out_dir / "s.txt").read_text("utf-8")
    assert (out_dir / "s.pdf").read_bytes().startswith(b"%PDF-")
    bundle = json.loads((out_dir / "s.fhir.json").read_text("utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    # -o -: the same text on standard output, and nothing else there.
    code, out, _err = run(vault, "handoff", template.session_id, "-o", "-")
    assert code == 0 and out == (out_dir / "s.txt").read_text("utf-8")
    # An existing file is not overwritten without --force.
    code, _out, err = run(vault, "handoff", template.session_id, "-o", out_dir / "s.txt")
    assert code == 1 and "bestaat al; gebruik --force" in err
    entries = new_entries(vault, before)
    assert [(a, r, o) for a, r, _d, o in entries] == [("export", REFERENCE, "done")] * 4
    assert entries[1][2] == f"session {template.session_id} as pdf (nl) to {out_dir / 's.pdf'}"
    assert entries[3][2].endswith("to standard output")


def test_handoff_in_english(run: Runner, vault: Path, template: Template) -> None:
    code, out, _err = run(vault, "--lang", "en", "handoff", template.session_id, "-o", "-")
    assert code == 0 and out.startswith("KINDCHECK: RECORD OF THE CONVERSATION\n")


def test_a_pdf_is_not_written_into_a_terminal(
    run: Runner, vault: Path, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kindcheck.cli import client_record as cli_record

    monkeypatch.setattr(cli_record, "is_terminal", lambda stream: True)
    code, out, err = run(vault, "handoff", template.session_id, "--format", "pdf", "-o", "-")
    assert code == 1 and out == "" and "een PDF hoort niet in een terminalvenster" in err


def test_dossier_writes_pdf_and_json_of_everything_about_the_client(
    run: Runner, vault: Path, template: Template, tmp_path: Path
) -> None:
    run(vault, "amend", template.session_id, "--answer", "sig_other=ja", "--reason", "r")
    before = len(log(vault))
    code, out, err = run(vault, "dossier", REFERENCE, "-o", tmp_path)
    assert code == 0, err
    (pdf,) = tmp_path.glob("kindcheck-dossier-EPD-4711-*.pdf")
    (doc,) = tmp_path.glob("kindcheck-dossier-EPD-4711-*.json")
    assert str(pdf) in out and str(doc) in out
    document = json.loads(doc.read_text("utf-8"))
    jsonschema.validate(document, dossier_schema())
    (session,) = document["sessions"]
    assert session["session"]["corrected"] and session["amendments"][0]["reason"] == "r"
    assert {e["action"] for e in document["access_log"]} >= {"create", "change"}
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert [(a, r) for a, r, _d, _o in new_entries(vault, before)] == [("export", REFERENCE)]
    code, _out, err = run(vault, "dossier", REFERENCE, "-o", tmp_path)
    assert code == 1 and "bestaat al" in err  # today's dossier is there: --force replaces it


# ---------------------------------------------------------------------------------------------
# delete-client


def test_delete_client_needs_the_reference_typed(
    run: Runner, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = run(vault, "delete-client", REFERENCE)  # no terminal, no --yes-i-typed
    assert code == 1 and "--yes-i-typed" in err
    code, _out, err = run(vault, "delete-client", REFERENCE, "--yes-i-typed", "EPD-4712")
    assert code == 1 and "er is niets verwijderd" in err
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.find_client(REFERENCE, log=False) is not None
    from kindcheck.cli import client_record as cli_record

    monkeypatch.setattr(cli_record, "is_terminal", lambda stream: True)
    code, out, err = run(vault, "delete-client", REFERENCE, stdin="epd-4711\n")
    assert code == 0, err
    assert f"Typ de referentie ({REFERENCE}) om te verwijderen: " in out
    assert f"Cliënt {REFERENCE} is verwijderd" in out
    assert "Het dossier in het EPD blijft (WGBO: 20 jaar)." in err
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.find_client(REFERENCE, log=False) is None
        assert store.verify() == []
        last = store.access_log()[-1]
        assert last.action == "delete" and last.client_reference.startswith("deleted-")


def test_delete_client_for_scripts(run: Runner, vault: Path) -> None:
    code, out, err = run(
        vault, "--lang", "en", "delete-client", REFERENCE, "--yes-i-typed", REFERENCE
    )
    assert code == 0, err
    assert f"Client {REFERENCE} was deleted" in out


# ---------------------------------------------------------------------------------------------
# The canary run: nothing of the client in a temporary or leftover file


def kindcheck(*argv: str | Path, tmp: Path, vault: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KINDCHECK_")}
    environment.update({"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)})
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kindcheck.cli",
            *map(str, argv),
            "--data-dir",
            str(vault),
            "--passphrase-stdin",
        ],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_no_client_data_in_any_temporary_or_leftover_file_after_each_handoff(
    vault: Path, template: Template, tmp_path: Path
) -> None:
    private = tmp_path / "tmp"
    private.mkdir(mode=0o700)
    out = tmp_path / "out"
    out.mkdir()
    canaries = [c.encode() for c in (CANARY_NAME, CANARY_NOTE, "Kanarie")]
    expected: list[str] = []
    for name, argv in (
        ("s.txt", ("handoff", template.session_id, "--format", "text", "-o", out / "s.txt")),
        ("s.pdf", ("handoff", template.session_id, "--format", "pdf", "-o", out / "s.pdf")),
        (
            "s.fhir.json",
            ("handoff", template.session_id, "--format", "fhir", "-o", out / "s.fhir.json"),
        ),
        ("-", ("handoff", template.session_id, "-o", "-")),
        ("dossier", ("dossier", REFERENCE, "-o", out)),
    ):
        result = kindcheck(*argv, tmp=private, vault=vault)
        assert result.returncode == 0, result.stderr
        if name == "-":
            assert CANARY_NOTE in result.stdout  # it went where it was asked to
        elif name == "dossier":
            expected += sorted(p.name for p in out.glob("kindcheck-dossier-*"))
        else:
            expected.append(name)
        leftovers = list(private.rglob("*"))
        assert leftovers == [], (name, leftovers)  # nothing at all was written there
        assert sorted(p.name for p in out.iterdir()) == sorted(expected), name  # no .partial
        for path in vault.iterdir():  # and nothing new beside the vault
            assert path.name in ("kindcheck.db", "kindcheck.db-journal", LOCK_NAME), path
            if path.is_file():
                assert not any(c in path.read_bytes() for c in canaries), path
    assert CANARY_NOTE.encode() in (out / "s.txt").read_bytes()  # the canary was there to find
    assert len(expected) == 5
