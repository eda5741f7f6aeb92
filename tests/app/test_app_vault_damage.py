"""What a clinician sees of a damaged or replaced vault, screen by screen (issue 13, the app).

tests/app/test_app_vault_attacks.py holds the adversary's tests (each failed on the code of
the last release); these follow every screen a damaged record reaches, and the notices about
the vault itself: each damaged record is named with what to do and the rest is shown; an
older copy is accepted only by an answer, which is logged; a damaged key slot leads to a new
recovery key; read-only media is said. Everything is unlocked through the unlock screen, in
a SecretInput (tested here too).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens.widgets.secret_input import SecretInput
from support.app import (
    PASSPHRASE,
    SIZE,
    USER,
    make_app,
    shown_text,
    text_of,
    unlock,
    visible,
    wait_screen,
    wait_until,
)
from support.vault import SESSION_DAY, flip_byte, make_answers, raw, record
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from kindcheck.store import DB_NAME, LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.store import sqlite as store_sqlite
from kindcheck.vault import UnlockThrottle

TODAY = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


@dataclass(frozen=True)
class Template:
    folder: Path
    client_a: str  # EPD-100: safety signal (Meldcode steps), plan every 2 weeks, two sessions
    client_b: str  # EPD-200
    intake_a: str
    followup_a: str
    plan_a: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("app-damage") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, USER)
    with store:
        a = record(store, make_answers("EPD-100", "Anna", signal=True, problems=1))
        a2 = record(
            store,
            make_answers("EPD-100", kind="followup", when=SESSION_DAY + timedelta(days=14)),
        )
        b = record(store, make_answers("EPD-200", "Bram", problems=3))
        assert a.plan is not None
    (folder / LOCK_NAME).unlink()
    return Template(folder, a.client.id, b.client.id, a.session.id, a2.session.id, a.plan.id)


@pytest.fixture
def vault(template: Template, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template.folder, folder)
    return folder


def rows(table: DataTable[Any]) -> list[list[str]]:
    return [
        [getattr(cell, "plain", str(cell)) for cell in table.get_row_at(row)]
        for row in range(table.row_count)
    ]


async def open_home(pilot: Any) -> Any:
    home = await unlock(pilot)
    await wait_until(pilot, lambda: home.overview is not None)
    await pilot.pause()
    return home


async def open_client(pilot: Any, home: Any, client_id: str) -> Any:
    clients = home.query_one("#clients", DataTable)
    clients.focus()
    clients.move_cursor(row=clients.get_row_index(client_id))
    await pilot.press("enter")
    page = await wait_screen(pilot, "ClientScreen")
    await wait_until(pilot, lambda: page.detail is not None)
    await pilot.pause()
    return page


# --------------------------------------------------------------------------------------------
# Damaged records: named, with what to do, and the rest shown


async def test_a_client_whose_record_cannot_be_read_stays_in_both_lists_by_its_id(
    vault: Path, template: Template
) -> None:
    flip_byte(vault, "client", "data", template.client_a)
    short = template.client_a[:8]
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await open_home(pilot)
        notice = home.query_one("#damaged", Static)
        assert visible(notice)
        assert f"client {short}" in text_of(notice)
        assert "kindcheck restore" in text_of(notice) and "kindcheck verify" in text_of(notice)
        clients = rows(home.query_one("#clients", DataTable))
        assert [f"⚠ client {short}", "2026-03-16"] == clients[0][:2], clients
        # Its safety follow-up is overdue: it must not vanish from the due list.
        due = rows(home.query_one("#followups", DataTable))
        assert any(row[0] == f"⚠ client {short}" and "overdue" in row[1] for row in due), due
        # Holding it cannot work (the reference is in the unreadable record): said so.
        home.query_one("#followups", DataTable).focus()
        await pilot.press("enter")
        dialog = await wait_screen(pilot, "ErrorDialog")
        assert "cannot be read" in text_of(dialog.query_one("#dialog-message", Static))
        await pilot.press("escape")
        page = await open_client(pilot, home, template.client_a)
        assert short in text_of(page.query_one("#client-title", Static))
        assert "client record" in text_of(page.query_one("#client-damaged", Static))
        sessions = rows(page.query_one("#sessions", DataTable))
        assert len(sessions) == 2  # its sessions are records of their own, and read
        for action, parameters in (
            ("hold_followup", ()),
            ("change_plan", ("skip",)),
            ("toggle_step", (1,)),
        ):
            assert not page.check_action(action, parameters), action
        # ... and no key offered for them; Veilig Thuis still shown with its open steps.
        meldcode = text_of(page.query_one("#meldcode-view", Static))
        assert "0800-2000" in meldcode and "Press 1-5" not in meldcode, meldcode
        plan = text_of(page.query_one("#plan-view", Static))
        assert "overdue" in plan and "s skip" not in plan, plan


async def test_a_client_whose_plan_cannot_be_read_stays_in_the_due_list(
    vault: Path, template: Template
) -> None:
    flip_byte(vault, "followup_plan", "data", template.plan_a)
    app = make_app(vault, "nl", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await open_home(pilot)
        due = rows(home.query_one("#followups", DataTable))
        assert due[0][:2] == ["EPD-100", "⚠ plan onleesbaar"], due
        assert f"vervolgplan {template.plan_a[:8]} van EPD-100" in text_of(
            home.query_one("#damaged", Static)
        )
        page = await open_client(pilot, home, template.client_a)
        assert "vervolgplan is onleesbaar" in text_of(page.query_one("#plan-view", Static))
        assert page.check_action("hold_followup", ())  # a follow-up can still be held


async def test_a_session_whose_header_cannot_be_read_is_a_row_of_the_timeline(
    vault: Path, template: Template
) -> None:
    flip_byte(vault, "session", "header", template.followup_a)
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await open_home(pilot)
        assert f"session {template.followup_a[:8]} of EPD-100" in text_of(
            home.query_one("#damaged", Static)
        )
        page = await open_client(pilot, home, template.client_a)
        timeline = rows(page.query_one("#sessions", DataTable))
        assert timeline[0] == ["?", "⚠ unreadable", "-", f"session {template.followup_a[:8]}"]
        assert len(timeline) == 2, timeline  # and the intake, which reads


async def test_meldcode_steps_that_cannot_be_read_say_so_and_cannot_be_ticked(
    vault: Path, template: Template
) -> None:
    flip_byte(vault, "session", "meldcode", template.intake_a)
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await open_home(pilot)
        page = await open_client(pilot, home, template.client_a)
        meldcode = text_of(page.query_one("#meldcode-view", Static))
        assert "Meldcode steps cannot be read" in meldcode, meldcode
        assert "Veilig Thuis: 0800-2000" in meldcode and "Press 1-5" not in meldcode, meldcode
        assert not page.check_action("toggle_step", (1,))
        assert len(page.detail.sessions) == 2  # the session itself reads


async def test_the_export_screen_names_the_records_it_did_not_count(
    vault: Path, template: Template
) -> None:
    # The export counts each session's facts record (not its answers): that is what it reads.
    flip_byte(vault, "session_facts", "data", template.followup_a)
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_home(pilot)
        await pilot.press("e")
        screen = await wait_screen(pilot, "ExportScreen")
        status = screen.query_one("#export-status", Static)
        await wait_until(pilot, lambda: "Not counted" in text_of(status))
        assert f"session {template.followup_a[:8]}" in text_of(status)
        assert status.has_class("-error")


async def test_the_access_log_screen_names_an_entry_it_cannot_read(vault: Path) -> None:
    with raw(vault) as conn:
        (entry,) = conn.execute("SELECT id FROM access_log ORDER BY position LIMIT 1").fetchone()
    flip_byte(vault, "access_log", "data", entry)
    app = make_app(vault, "nl", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_home(pilot)
        await pilot.press("g")
        screen = await wait_screen(pilot, "AccessLogScreen")
        status = screen.query_one("#log-status", Static)
        await wait_until(pilot, lambda: "onleesbaar" in text_of(status))
        assert f"logregel {entry[:8]}" in text_of(status)
        assert screen.query_one("#log-table", DataTable).row_count > 0  # the rest is shown


async def test_escape_codes_in_a_record_id_from_the_file_never_reach_the_screen(
    vault: Path, template: Template
) -> None:
    planted = "x\x1b]0;pwned\x07\x1b[2J\u202eIn orde"
    with raw(vault) as conn:
        conn.execute("UPDATE session SET id = ? WHERE client_id = ?", (planted, template.client_b))
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await open_home(pilot)
        notice = text_of(home.query_one("#damaged", Static))
        assert "session x]0;pwne of EPD-200" in notice, notice
        text = shown_text(app)
        assert not any((ord(ch) < 32 and ch != "\n") or ch == "\u202e" for ch in text), repr(text)


# --------------------------------------------------------------------------------------------
# An older copy of the vault: accepted only by an answer, and the answer is logged


def roll_back(vault: Path, tmp_path: Path) -> None:
    older = tmp_path / "older.db"
    shutil.copy2(vault / DB_NAME, older)
    with Store.unlock(vault, PASSPHRASE) as store:
        store.add_client("EPD-7600")
    shutil.copy2(older, vault / DB_NAME)


async def test_accepting_an_older_copy_is_logged_and_ends_the_warning(
    vault: Path, tmp_path: Path
) -> None:
    roll_back(vault, tmp_path)
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        dialog = await wait_screen(pilot, "RollbackDialog")
        assert "put back on purpose" in text_of(dialog.query_one("#dialog-message", Static))
        assert dialog.focused is not None and dialog.focused.id == "keep"  # Enter keeps it
        await pilot.click("#accept")
        await wait_screen(pilot, "HomeScreen")
        banner = home.query_one("#rollback-banner", Static)
        await wait_until(pilot, lambda: not banner.display)
        await app.workers.wait_for_complete()
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.rollback is None
        last = store.access_log()[-1]
        assert last.action == "restore" and "accepted by the user" in last.detail
    again = make_app(vault, "en", clock=lambda: TODAY)
    async with again.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        await wait_until(pilot, lambda: home.overview is not None)
        await again.workers.wait_for_complete()
        await pilot.pause()
        assert type(again.screen).__name__ == "HomeScreen"
        assert not home.query_one("#rollback-banner", Static).display


async def test_not_sure_keeps_the_warning_on_home_and_w_asks_again(
    vault: Path, tmp_path: Path
) -> None:
    roll_back(vault, tmp_path)
    app = make_app(vault, "nl", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        await wait_screen(pilot, "RollbackDialog")
        await pilot.press("enter")  # the focused button: "No / not sure"
        await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        banner = home.query_one("#rollback-banner", Static)
        assert visible(banner) and "Druk op w" in text_of(banner)
        await pilot.press("w")
        await wait_screen(pilot, "RollbackDialog")
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.rollback is not None  # nothing was adopted


# --------------------------------------------------------------------------------------------
# A damaged key slot, read-only media: said after unlocking, with what to do


def damage_recovery_slot(vault: Path, how: str) -> None:
    with raw(vault) as conn:
        slot_id, text = conn.execute(
            "SELECT id, slot FROM key_slot WHERE kind = 'recovery'"
        ).fetchone()
        if how == "unreadable":
            text = "{"
        else:  # a byte of the wrapped key: the slot still parses; only its digest differs
            slot = json.loads(text)
            wrapped = slot["wrapped_key"]
            slot["wrapped_key"] = ("B" if wrapped[0] != "B" else "C") + wrapped[1:]
            text = json.dumps(slot)
        conn.execute("UPDATE key_slot SET slot = ? WHERE id = ?", (text, slot_id))


@pytest.mark.parametrize("how", ["unreadable", "changed"])
async def test_a_damaged_recovery_slot_is_said_and_a_new_recovery_key_mends_it(
    vault: Path, how: str
) -> None:
    damage_recovery_slot(vault, how)
    app = make_app(vault, "en", clock=lambda: TODAY)
    new_key = ""
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        dialog = await wait_screen(pilot, "NoticeDialog")
        assert "recovery key no longer opens the vault" in text_of(
            dialog.query_one("#dialog-message", Static)
        )
        await wait_until(pilot, lambda: home.overview is not None)
        assert "press k" in text_of(home.query_one("#vault-notices", Static))
        await pilot.press("enter")  # "Make a new recovery key"
        maker = await wait_screen(pilot, "NewRecoveryKeyScreen")
        await pilot.press(*PASSPHRASE, "enter")
        await wait_until(pilot, lambda: maker.made, timeout=20)
        new_key = text_of(maker.query_one("#new-recovery-key", Static)).split("\n")[-1]
        assert maker.focused is not None and maker.focused.id == "confirm"
        await pilot.press("enter")  # written down
        await wait_screen(pilot, "HomeScreen")
        notices = home.query_one("#vault-notices", Static)
        await wait_until(pilot, lambda: not notices.display)
    Store.unlock_with_recovery(vault, new_key, "een nieuwe lange wachtzin").close()


async def test_a_damaged_passphrase_slot_points_to_the_recovery_key(vault: Path) -> None:
    with raw(vault) as conn:
        conn.execute("UPDATE key_slot SET slot = '{' WHERE kind = 'passphrase'")
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "UnlockScreen")
        await pilot.press(*PASSPHRASE, "enter")
        error = screen.query_one("#unlock-error", Static)
        await wait_until(pilot, lambda: "Ctrl+R" in text_of(error))
        assert "key slot is damaged" in text_of(error)


async def test_read_only_media_is_said_after_unlocking(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store opens a vault it cannot write read-only (tests/core/test_durability.py
    mounts one); here the file only reports itself unwritable, as on such media."""
    real_access = os.access

    def no_writing(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and Path(path).resolve().parent == vault.resolve():
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(store_sqlite.os, "access", no_writing)
    app = make_app(vault, "en", clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        dialog = await wait_screen(pilot, "NoticeDialog")
        assert "read-only" in text_of(dialog.query_one("#dialog-message", Static))
        await pilot.press("enter")
        await wait_until(pilot, lambda: home.overview is not None)
        assert "nothing can be saved" in text_of(home.query_one("#vault-notices", Static))


# --------------------------------------------------------------------------------------------
# The passphrase field


class OneField(App[None]):
    def compose(self) -> ComposeResult:
        yield SecretInput(id="secret")


def held(field: SecretInput) -> str:
    with field._secret.utf8() as data:
        return bytes(data).decode("utf-8")


async def test_the_secret_input_edits_like_a_password_field_and_holds_no_text() -> None:
    app = OneField()
    async with app.run_test() as pilot:
        field = app.query_one(SecretInput)
        field.focus()
        await pilot.press(*"fiets", "left", "left", "x", "end", "backspace")
        assert field.value == "•" * 5  # the Input's own value is only the mask
        assert held(field) == "fiext"
        # A paste goes through the same edit: its first line, control characters dropped.
        field.post_message(events.Paste("\x1b[2J regen\nnot this"))
        await pilot.pause()
        assert held(field) == "fiext[2J regen"
        secret = field.take()
        assert field.value == "" and held(field) == ""
        with secret.utf8() as data:
            assert bytes(data) == b"fiext[2J regen"
        secret.wipe()
        field.value = "typed by a test"
        assert held(field) == "typed by a test" and field.value == "•" * 15
        buffer = field._secret._buffer
        field.value = ""
        assert not any(buffer)


def test_no_screen_uses_sqlite_directly() -> None:
    """Guard for the read-only test above: what it patches is the store's, not the app's."""
    assert store_sqlite.os is os and sqlite3 is not None


@pytest.mark.parametrize(
    ("lang", "what_to_do"), [("nl", "Zet een reservekopie terug"), ("en", "Restore a backup")]
)
async def test_a_planted_trigger_is_refused_at_unlock_in_the_users_language(
    vault: Path, lang: str, what_to_do: str
) -> None:
    with raw(vault) as conn:
        conn.execute(
            "CREATE TRIGGER kc_planted AFTER INSERT ON session "
            "BEGIN DELETE FROM session WHERE id = NEW.id; END"
        )
    app = make_app(vault, lang, clock=lambda: TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "UnlockScreen")
        await pilot.press(*PASSPHRASE, "enter")
        error = screen.query_one("#unlock-error", Static)
        await wait_until(pilot, lambda: "kc_planted" in text_of(error))
        assert what_to_do in text_of(error) and "kindcheck verify" in text_of(error)
        assert type(app.screen).__name__ == "UnlockScreen"  # nothing opened
