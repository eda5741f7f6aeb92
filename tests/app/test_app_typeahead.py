"""Keys typed ahead across a change of screen or page land where they were meant (issue 11,
found walking the app in tmux at full speed): each test posts every key before the app
handles the first, as a fast typist's terminal delivers them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.app import PASSPHRASE, fresh_vault, make_app, settle, wait_screen, wait_until
from test_app_walk import seed_draft  # the walk tests' draft, built through the app's Intake
from textual import events
from textual.widgets import Input

SIZE = (80, 24)
CHARACTERS = {"enter": "\r", "tab": "\t", "space": " ", "escape": "\x1b"}


def key_event(key: str) -> events.Key:
    return events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))


async def type_at_once(pilot: Any, *keys: str) -> None:
    for key in keys:
        pilot.app.post_message(key_event("space" if key == " " else key))
    await pilot.pause(0.3)
    await settle(pilot)


async def test_answers_typed_ahead_onto_the_first_scan_page_stay_and_turn_the_page(
    tmp_path: Path,
):
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    seed_draft(app, "EPD-7001", until="clinician_note")
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen", 30)
        await wait_until(pilot, lambda: home.overview is not None and home.overview.drafts, 30)
        await type_at_once(pilot, "r")
        screen = await wait_screen(pilot, "IntakeScreen", 30)
        # The note, Enter (the scan opens) and two money rows at once; a breath; the third.
        await type_at_once(pilot, "G", "enter", "n", "n")
        await type_at_once(pilot, "j")
        scan = screen.intake.scan
        answered = {step.question.id: scan.get(step) for step in scan.steps()}
        assert (answered["fin_arrears"], answered["fin_debts"]) == ("no", "no")
        assert answered["fin_children_basics"] == "yes"
        # Every row of the page answered: the next domain shows (it stayed, and the next
        # keys overwrote the money rows).
        assert screen.intake.position != "financien", [
            (row.step.question.id, row.value) for row in screen.rows()
        ]


async def test_n_and_a_reference_typed_at_once_on_home_start_an_intake(tmp_path: Path):
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen", 30)
        await wait_until(pilot, lambda: home.overview is not None, 30)
        await type_at_once(pilot, "n", *"EPD-7002", "enter", *"Jan", "enter", "enter")
        screen = await wait_screen(pilot, "IntakeScreen", 30)
        assert screen.intake.reference == "EPD-7002"


async def test_slash_then_a_reference_on_home_searches_and_n_is_a_letter_there(tmp_path: Path):
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen", 30)
        await wait_until(pilot, lambda: home.overview is not None, 30)
        await type_at_once(pilot, "slash", *"n1")
        assert app.screen is home
        assert home.query_one("#search", Input).value == "n1"


async def test_the_vault_form_typed_at_once_keeps_the_passphrase_out_of_the_name(
    tmp_path: Path,
):
    app = make_app(tmp_path / "vault")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "CreateVaultScreen", 30)
        await type_at_once(pilot, *"A. Tester", "tab", *PASSPHRASE, "tab", *PASSPHRASE)
        values = {field.id: field.value for field in screen.query(Input)}
        assert values == {
            "user-name": "A. Tester",
            "passphrase": PASSPHRASE,
            "passphrase-repeat": PASSPHRASE,
        }
        await type_at_once(pilot, "enter")
        recovery = await wait_screen(pilot, "RecoveryKeyScreen", 30)
        # "Written down" and on, at once: the Enter used to untick the box again.
        await type_at_once(pilot, "space", "enter")
        await wait_screen(pilot, "HomeScreen", 30)
        assert recovery.recovery_key == ""


async def test_a_search_and_a_key_for_the_found_client_typed_at_once(tmp_path: Path):
    from test_app_walk import seed_client

    app = make_app(fresh_vault(tmp_path), unlocked=True)
    seed_client(app, "EPD-7003")
    seed_client(app, "EPD-7004")
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen", 30)
        await wait_until(pilot, lambda: home.overview is not None, 30)
        await type_at_once(pilot, "slash", *"EPD-7004", "enter", "o")
        client = await wait_screen(pilot, "ClientScreen", 30)
        assert home.query_one("#search", Input).value == "EPD-7004"
        await wait_until(pilot, lambda: client.detail is not None, 30)
        assert client.detail.summary.reference == "EPD-7004"
