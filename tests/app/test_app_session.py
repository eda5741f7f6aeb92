"""The session view and the client page's record actions in the app (issue 15): open a stored
session from the client page and read every answer and note; correct an answer and see the
outcome change with the original still visible; copy and save the summary; save the client's
dossier; delete the client after typing the reference; a snapshot of the session view.

One vault is filled once for the module (a copy of the session's template vault) at a fixed
date: EPD-300, an intake without safety signals, two problem domains, every free-text answer
holding NOTE (the note the clinician typed, which the session view must show).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from support.app import PASSPHRASE, SIZE, make_app, settle, template_vault, wait_screen, wait_until
from support.vault import make_answers
from textual.widgets import Input, Select, Static

from kindcheck.answers import session_from_dict
from kindcheck.record import render_text
from kindcheck.service.client_record import open_session
from kindcheck.service.plans import verify_vault
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=AMSTERDAM)
TODAY = NOW.date()
REFERENCE = "EPD-300"
NOTE = "Zoon (7) was erbij toen"


def fixed_today() -> date:
    return TODAY


@pytest.fixture(scope="module")
def session_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("session-template") / "vault"
    shutil.copytree(template_vault(), folder)
    # The session id is on screen: a fixed one keeps the snapshot the same from run to run.
    with (
        time_machine.travel(NOW, tick=False),
        mock.patch("kindcheck.store.sessions._new_id", lambda: "5e55" + "0" * 27 + "1"),
    ):
        service = VaultService(folder, clock=fixed_today)
        service.unlock(PASSPHRASE)
        try:
            answers = make_answers(
                REFERENCE, "Mevrouw Test", text=NOTE, problems=2, when=date(2026, 11, 20)
            )
            service.record(session_from_dict(answers))
        finally:
            service.close()
    return folder


@pytest.fixture
def vault_dir(session_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(session_template, target)
    return target


def shown(screen) -> str:
    return str(screen.query_one("#session-record", Static).render())


async def open_the_session(pilot):
    home = await wait_screen(pilot, "HomeScreen")
    await wait_until(pilot, lambda: home.overview is not None)
    client_id = next(c.client_id for c in home.overview.clients if c.reference == REFERENCE)
    home.open_client(client_id)
    client = await wait_screen(pilot, "ClientScreen")
    await wait_until(pilot, lambda: client.detail is not None)
    await pilot.press("enter")  # Enter on the page: the highlighted (newest) session
    session = await wait_screen(pilot, "SessionScreen")
    await wait_until(pilot, lambda: session.record is not None)
    await pilot.pause()
    return session


def log_actions(vault: Path) -> list[tuple[str, str | None, str]]:
    with Store.unlock(vault, PASSPHRASE) as store:
        return [(e.action, e.client_reference, e.detail) for e in store.access_log()]


# ---------------------------------------------------------------------------------------------


async def test_a_session_opens_from_the_client_page_with_every_answer_and_note(vault_dir: Path):
    before = len(log_actions(vault_dir))
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        text = shown(screen)
        record = screen.record
        lines = [line for part in record.parts for line in part.lines()]
        assert len(lines) > 20
        for line in lines:  # every question as it was asked, with its answer
            assert line.question.get("nl") in text, line.question_id
            assert line.answer.get("nl") in text, line.question_id
        assert record.notes and all(note.text in text for note in record.notes)
        assert NOTE in text
        assert "Vastgelegd:" in text and "Test Gebruiker" in text
        await pilot.press("escape")
        await wait_screen(pilot, "ClientScreen")
    # Opening the client page and the session: one "read" each (and the page, read again
    # when the clinician comes back to it), nothing else.
    after = log_actions(vault_dir)[before:]
    assert [action for action, _ref, _detail in after] == ["read", "read", "read"]
    assert after[0][2].startswith("client file") and after[2][2].startswith("client file")
    assert after[1][2] == f"session {record.session_id}"


async def test_a_row_of_the_timeline_opens_with_enter_when_it_has_the_focus(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        home.open_client(home.overview.clients[0].client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        client.query_one("#sessions").focus()
        await pilot.press("enter")
        session = await wait_screen(pilot, "SessionScreen")
        assert session.session_id == client.detail.sessions[0].session_id


async def correct_signal(pilot, screen, reason: str = "verkeerd aangevinkt") -> None:
    """The dialog: the question "anything else about safety", answer yes, a reason."""
    await pilot.press("c")
    dialog = await wait_screen(pilot, "CorrectAnswerDialog")
    index = next(i for i, asked in enumerate(dialog.asked) if asked.question.id == "sig_other")
    dialog.query_one("#correct-question", Select).value = index
    await pilot.pause()
    dialog.query_one("#correct-option", Select).value = "yes"
    reason_field = dialog.query_one("#correct-reason", Input)
    reason_field.focus()
    await pilot.press(*reason, "enter")


async def test_correcting_an_answer_changes_the_outcome_and_keeps_the_original(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        before = shown(screen)
        assert "Geen signalen van onveiligheid." in before
        assert "GECORRIGEERD" not in str(screen.query_one("#session-title", Static).render())
        await correct_signal(pilot, screen)
        await wait_screen(pilot, "SessionScreen")
        await wait_until(pilot, lambda: screen.record.corrected)
        await settle(pilot)
        after = shown(screen)
        # The outcome now: a safety signal, with the Meldcode steps.
        assert "Samenvatting: 1 signaal van onveiligheid, 2 probleemgebieden." in after
        assert "Breng de signalen in kaart" in after
        # The outcome as recorded, and the answer before, are still there.
        assert "Uitkomst zoals vastgelegd (voor de correcties):" in after
        assert "eerder: Nee" in after
        assert "verkeerd aangevinkt" in after and "Test Gebruiker" in after
        assert "GECORRIGEERD" in str(screen.query_one("#session-title", Static).render())
        await pilot.press("escape")
        client = await wait_screen(pilot, "ClientScreen")
        # The client page follows the corrected answers: the Meldcode steps are open now.
        await wait_until(pilot, lambda: client._signalled() is not None)
    actions = log_actions(vault_dir)
    changes = [entry for entry in actions if entry[0] == "change"]
    assert len(changes) == 1 and "correction" in changes[0][2]
    with Store.unlock(vault_dir, PASSPHRASE) as store:
        assert verify_vault(store) == []  # the facts record follows the correction too


async def test_a_correction_without_a_reason_is_not_saved(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        await pilot.press("c")
        dialog = await wait_screen(pilot, "CorrectAnswerDialog")
        index = next(i for i, a in enumerate(dialog.asked) if a.question.id == "sig_other")
        dialog.query_one("#correct-question", Select).value = index
        await pilot.pause()
        dialog.query_one("#correct-option", Select).value = "yes"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "CorrectAnswerDialog"
        error = str(dialog.query_one("#correct-error", Static).render())
        assert "reden" in error
        await pilot.press("escape")
        await wait_screen(pilot, "SessionScreen")
        assert not screen.record.corrected
    assert not [entry for entry in log_actions(vault_dir) if entry[0] == "change"]


async def test_a_correction_that_leaves_answers_missing_says_what_to_do_in_dutch(vault_dir: Path):
    """One more child needs that child's answers, which a correction cannot give: refused, in
    the app's language, with what to do instead; nothing is stored."""
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        await pilot.press("c")
        dialog = await wait_screen(pilot, "CorrectAnswerDialog")
        index = next(i for i, a in enumerate(dialog.asked) if a.question.id == "child_count")
        dialog.query_one("#correct-question", Select).value = index
        await pilot.pause()
        dialog.query_one("#correct-typed", Input).value = "3"
        dialog.query_one("#correct-reason", Input).value = "telfout"
        await pilot.press("ctrl+s")
        error = await wait_screen(pilot, "ErrorDialog")
        message = str(error.query_one("#dialog-message", Static).render())
        assert "ontbreken antwoorden" in message and "nieuwe sessie" in message
        assert "do not fit" not in message  # not the English internal text
        assert "child_age" in message  # what is missing, named
        await pilot.press("enter")
        await wait_screen(pilot, "SessionScreen")
        assert not screen.record.corrected
    assert not [entry for entry in log_actions(vault_dir) if entry[0] == "change"]


async def test_the_summary_is_copied_and_saved_as_text_pdf_and_fhir(
    vault_dir: Path, tmp_path: Path
):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    out = tmp_path / "out"
    out.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: pilot.app.clipboard != "")
        assert pilot.app.clipboard == render_text(screen.record, "nl")
        assert NOTE in pilot.app.clipboard
        for file_format, name in (("txt", "s.txt"), ("pdf", "s.pdf"), ("fhir", "s.fhir.json")):
            await pilot.press("s")
            dialog = await wait_screen(pilot, "SavePathDialog")
            dialog.query_one(f"#fmt-{file_format}").value = True
            await pilot.pause()
            field = dialog.query_one("#save-path", Input)
            assert field.value.endswith("." + name.split(".", 1)[1])  # the extension follows
            field.value = str(out / name)
            field.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda name=name: (out / name).exists())
            await settle(pilot)
        # An existing file is overwritten only when confirmed.
        await pilot.press("s")
        dialog = await wait_screen(pilot, "SavePathDialog")
        dialog.query_one("#save-path", Input).value = str(out / "s.txt")
        dialog.query_one("#save-path", Input).focus()
        await pilot.press("enter")
        await wait_screen(pilot, "ConfirmDialog")
        await pilot.press("n")
        await wait_screen(pilot, "SessionScreen")
    assert (out / "s.txt").read_text("utf-8") == render_text(screen.record, "nl")
    assert (out / "s.pdf").read_bytes().startswith(b"%PDF-")
    bundle = json.loads((out / "s.fhir.json").read_text("utf-8"))
    assert bundle["resourceType"] == "Bundle"
    exports = [entry for entry in log_actions(vault_dir) if entry[0] == "export"]
    assert [detail.split(" to ")[1] for _a, _r, detail in exports] == [
        "the clipboard",
        str(out / "s.txt"),
        str(out / "s.pdf"),
        str(out / "s.fhir.json"),
    ]
    assert all(reference == REFERENCE for _a, reference, _d in exports)


async def test_in_english_the_summary_is_copied_and_saved_in_english(
    vault_dir: Path, tmp_path: Path
):
    """The copy and the save run in a worker thread, which does not see the running app: the
    language is the app's all the same (found walking the app: the English app saved Dutch)."""
    app = make_app(vault_dir, "en", unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_session(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: pilot.app.clipboard != "")
        assert pilot.app.clipboard == render_text(screen.record, "en")
        assert "RECORD OF THE CONVERSATION" in pilot.app.clipboard
        await pilot.press("s")
        dialog = await wait_screen(pilot, "SavePathDialog")
        field = dialog.query_one("#save-path", Input)
        field.value = str(tmp_path / "s.txt")
        field.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "s.txt").exists())
        await settle(pilot)
    saved = (tmp_path / "s.txt").read_text("utf-8")
    assert saved == render_text(screen.record, "en")
    assert "VERSLAG" not in saved
    exports = [detail for action, _r, detail in log_actions(vault_dir) if action == "export"]
    assert len(exports) == 2 and all("(en)" in detail for detail in exports), exports


async def test_the_dossier_is_saved_from_the_client_page(vault_dir: Path, tmp_path: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        home.open_client(home.overview.clients[0].client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("d")
        dialog = await wait_screen(pilot, "SavePathDialog")
        dialog.query_one("#save-path", Input).value = str(tmp_path)
        dialog.query_one("#save-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(list(tmp_path.glob("kindcheck-dossier-*"))) == 2)
        await settle(pilot)
    document = json.loads(next(tmp_path.glob("kindcheck-dossier-*.json")).read_text("utf-8"))
    assert document["client"]["reference"] == REFERENCE
    assert len(document["sessions"]) == 1
    assert any(e["action"] == "create" for e in document["access_log"])


async def test_deleting_the_client_needs_the_reference_typed(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        home.open_client(home.overview.clients[0].client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("delete")
        dialog = await wait_screen(pilot, "TypedConfirmDialog")
        await pilot.press(*"EPD-301", "enter")  # not the reference: nothing happens
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "TypedConfirmDialog"
        assert "niet de referentie" in str(dialog.query_one("#typed-error", Static).render())
        field = dialog.query_one("#typed-input", Input)
        field.value = ""
        await pilot.press(*"epd-300", "enter")  # case does not matter, as in a search
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None and not home.overview.clients)
    with Store.unlock(vault_dir, PASSPHRASE) as store:
        assert store.find_client(REFERENCE, log=False) is None
        assert store.verify() == []
        assert store.access_log()[-1].action == "delete"
        assert store.access_log()[-1].client_reference.startswith("deleted-")


def test_the_session_view(snap_compare, vault_dir: Path):
    with time_machine.travel(NOW, tick=False):
        app = make_app(vault_dir, unlocked=True, clock=fixed_today)

        async def ready(pilot):
            await open_the_session(pilot)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_the_record_the_view_shows_is_the_one_the_service_reads(vault_dir: Path):
    """The view draws open_session's record; opening it is one "read" entry."""
    service = VaultService(vault_dir, clock=fixed_today)
    service.unlock(PASSPHRASE)
    try:
        client = service.overview().clients[0]
        session_id = service.client(client.client_id).sessions[0].session_id
        record = open_session(service, session_id)
        assert record.client_reference == REFERENCE and NOTE in render_text(record, "nl")
    finally:
        service.close()
