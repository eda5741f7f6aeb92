"""The app walked with Textual's Pilot, as a clinician would, at 80x24.

Assertions are on widgets, the stored records and the screen stack, not only on screenshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kindcheck.screens.widgets.answers import ChoiceAnswer
from support.app import (
    PASSPHRASE,
    SIZE,
    USER,
    acute_first,
    answer_scan,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    skip_to_last_scan_page,
    start_intake,
    unlock,
    wait_screen,
    wait_until,
)
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from kindcheck.service.vault_service import VaultService


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return fresh_vault(tmp_path)


def stored_sessions(data_dir: Path) -> list:
    service = VaultService(data_dir)
    service.unlock(PASSPHRASE)
    try:
        overview = service.overview()
        return [service.client(client.client_id) for client in overview.clients]
    finally:
        service.close()


async def test_first_start_creates_the_vault_and_shows_the_recovery_key_once(tmp_path: Path):
    data_dir = tmp_path / "new"
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "CreateVaultScreen")
        await pilot.press(*USER, "enter", *"kort")
        assert "12" in str(screen.query_one("#strength", Static).render())
        await pilot.press("enter", *"kort", "enter")
        assert str(screen.query_one("#unlock-error", Static).render())  # refused: too short
        screen.query_one("#passphrase", Input).value = PASSPHRASE
        screen.query_one("#passphrase-repeat", Input).value = PASSPHRASE + "x"
        await pilot.press("enter")
        assert "niet gelijk" in str(screen.query_one("#unlock-error", Static).render())
        screen.query_one("#passphrase-repeat", Input).value = PASSPHRASE
        screen.query_one("#passphrase-repeat", Input).focus()
        await pilot.press("enter")
        recovery = await wait_screen(pilot, "RecoveryKeyScreen")
        key_text = str(recovery.query_one("#recovery-key", Static).render())
        assert len(key_text.replace("-", "").strip()) == 36
        assert recovery.query_one("#continue", Button).disabled
        await pilot.press("space")  # the checkbox has focus
        assert not recovery.query_one("#continue", Button).disabled
        await pilot.click("#continue")
        await wait_screen(pilot, "HomeScreen")
        assert recovery.recovery_key == ""  # not kept once confirmed
    assert (data_dir / "kindcheck.db").exists()


async def test_a_wrong_passphrase_says_so_and_the_right_one_opens(vault_dir: Path):
    app = make_app(vault_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "UnlockScreen")
        await pilot.press(*"niet de goede wachtzin", "enter")
        await wait_until(
            pilot, lambda: "klopt niet" in str(screen.query_one("#unlock-error", Static).render())
        )
        assert screen.query_one("#passphrase", Input).value == ""
        await unlock(pilot)


async def test_intake_with_children_and_three_domains_raises_the_flag_and_survives_a_restart(
    vault_dir: Path,
):
    app = make_app(vault_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        screen = await start_intake(pilot, "EPD-1234")
        await pilot.press(*kindcheck_keys())
        await pilot.pause()
        assert screen.intake.phase == "scan"
        assert screen.intake.child_count() == 2
        await answer_scan(pilot, {"financien", "wonen", "netwerk"})
        outcome = await wait_screen(pilot, "OutcomeScreen")
        assert outcome.outcome.problem_domain_count == 3
        assert outcome.query_one("#flag", Static)  # "hulp bij opvoeden"
        assert not outcome.query("#safety")
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("ctrl+q")
    # Restarted: unlock, the client and the outcome are there.
    app = make_app(vault_dir)
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        await wait_until(pilot, lambda: home.overview is not None)
        table = home.query_one("#clients", DataTable)
        assert table.row_count == 1
        assert home.overview.clients[0].reference == "EPD-1234"
        assert home.overview.clients[0].problem_domain_count == 3
        assert home.overview.clients[0].parenting_support_flag
        table.focus()
        await pilot.press("enter")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        view = client.detail.sessions[0]
        assert view.outcome.parenting_support_flag
        assert [d.id for d in view.outcome.problem_domains] == ["financien", "wonen", "netwerk"]
        assert len(view.outcome.children) == 2
        assert client.detail.plan is not None  # every 6 weeks
        assert client.query_one("#sessions", DataTable).row_count == 1


async def test_a_safety_signal_puts_the_meldcode_steps_first_and_stores_the_checklist(
    vault_dir: Path,
):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        await start_intake(pilot, "EPD-777")
        await pilot.press(*kindcheck_keys(signals=("j",) + ("n",) * 6))
        await skip_to_last_scan_page(pilot)
        outcome = await wait_screen(pilot, "OutcomeScreen")
        body = outcome.query_one("#outcome-body")
        # Version 2: "Bij acuut gevaar: bel 112" and Veilig Thuis before anything else, then
        # the summary, then the Meldcode steps.
        acute = acute_first(outcome)
        assert "bel 112" in acute[0] and "0800-2000" in acute[1]
        safety = body.children[0]
        assert safety.id == "safety"
        assert "0800-2000" in str(safety.query_one(".phone", Static).render())
        checks = list(outcome.query(".meldcode-check").results(Checkbox))
        assert len(checks) == 5
        checks[0].focus()
        await pilot.press("space")
        await pilot.pause()
        date_field = outcome.query_one("#date-map_signals", Input)
        assert date_field.value  # today, filled in
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("3")  # later: "talk with the client" done today
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: client.detail.sessions[0].meldcode_steps.get("talk_with_client") is not None,
        )
        await pilot.press("ctrl+q")
    (detail,) = stored_sessions(vault_dir)
    view = detail.sessions[0]
    assert view.outcome.has_safety_signal
    assert set(view.meldcode_steps) == {"map_signals", "talk_with_client"}
    assert view.meldcode_steps["map_signals"] is not None


async def test_a_client_without_children_closes_the_check_and_it_is_recorded(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "PSEUDO-42")
        await pilot.press("n", "n")  # no minor children, no pregnancy
        await pilot.pause()
        # Version 2 asks every client about a dependent adult, suicidality and violence,
        # then the optional closing note.
        assert screen.step is not None and screen.step.question.id == "vulnerable_adult"
        await pilot.press("1", "1", "n", "n", "n")
        await pilot.pause()
        assert screen.step is not None and screen.step.question.id == "clinician_note"
        await pilot.press("ctrl+n")
        outcome = await wait_screen(pilot, "OutcomeScreen")
        assert outcome.outcome.check_closed
        assert not outcome.outcome.scan_done
        assert "afgerond" in str(outcome.query_one("#children Static:last-child").render())
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "ClientScreen")
        await pilot.press("ctrl+q")
    (detail,) = stored_sessions(vault_dir)
    assert detail.sessions[0].outcome.check_closed
    assert detail.plan is None


async def test_back_and_forward_keep_answers_and_show_if_hides_questions(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot)
        await pilot.press("j", "n", "1", "enter", "4", "enter", "enter", "1", "1")  # own child
        # Child 1 lives with the client: the contact questions are not asked.
        assert screen.step.question.id == "child_shared_care"
        keys = [s.key for s in screen.intake.kindcheck.steps()]
        assert "child_contact_frequency[0]" not in keys
        await pilot.press("escape")  # back to "does the child live with you?"
        assert screen.step.question.id == "child_living"
        choice = screen.query_one("#choice", ChoiceAnswer)
        assert choice.highlighted == 0  # the given answer, highlighted
        await pilot.press("3")  # now: lives elsewhere
        await pilot.press("2", "enter")  # shared care (tick, then on): the other parent
        assert screen.step.question.id == "child_contact_frequency"
        for _ in range(6):
            await pilot.press("escape")
        assert screen.step.question.id == "child_count"
        assert screen.query_one("#number", Input).value == "1"
        await pilot.press("enter", "enter")  # forward again: age kept
        assert screen.intake.kindcheck.answers["children"][0]["child_age"] == 4
        assert screen.step.question.id == "child_birth_date"


async def test_why_we_ask_is_one_key_away(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot)
        help_panel = screen.query_one("#help", Static)
        assert not help_panel.display
        await pilot.press("h")  # F1 is the help screen now (issue 11); h shows why in place
        assert help_panel.display
        assert "We vragen dit aan iedereen" in str(help_panel.render())
        await pilot.press("h")
        assert not help_panel.display


async def test_the_idle_lock_keeps_the_open_form(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-555")
        await pilot.press(*kindcheck_keys()[:31])  # up to who takes the children (free text)
        assert screen.step.question.id == "crisis_plan_who"
        await pilot.press(*"Buurvrouw")  # typed, not yet confirmed
        app.last_activity -= 11 * 60
        app.check_idle_lock()
        await wait_screen(pilot, "UnlockScreen")
        await settle(pilot)
        assert not app.service.unlocked  # the key is gone
        await pilot.press(*PASSPHRASE, "enter")
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await pilot.pause()
        assert screen.step.question.id == "crisis_plan_who"
        assert screen.query_one("#text", Input).value == "Buurvrouw"
        assert screen.intake.kindcheck.answers["children"][1]["child_age"] == 9
    # The lock stored the form as an encrypted draft as well.
    service = VaultService(vault_dir)
    service.unlock(PASSPHRASE)
    try:
        (draft,) = service.overview().drafts
        assert draft.payload["pending_text"] == {"crisis_plan_who": "Buurvrouw"}
    finally:
        service.close()


async def test_the_command_palette_offers_the_actions_and_bindings_have_descriptions(
    vault_dir: Path,
):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        titles = [command.title for command in app.get_system_commands(home)]
        assert "Nieuwe intake" in titles and "Vergrendelen" in titles and "Stoppen" in titles
        for binding in home.active_bindings.values():
            if binding.binding.show:
                assert binding.binding.description, binding.binding.key
                assert not binding.binding.description.startswith("ui.")
        await pilot.press("ctrl+p")
        await wait_screen(pilot, "CommandPalette")
        await pilot.press(*"nieuwe intake")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_screen(pilot, "IntakeStartScreen")


async def test_english_with_lang_en(vault_dir: Path):
    app = make_app(vault_dir, lang="en", unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot)
        text = str(screen.query_one("#question-text", Static).render())
        assert text.startswith("Are there children under 18")
        await pilot.press("y")  # y is yes in English
        assert screen.intake.kindcheck.answers["has_minor_children"] == "yes"


async def test_a_resumed_draft_opens_where_it_was(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-888")
        await pilot.press(*kindcheck_keys())
        await skip_to_last_scan_page(pilot)
        await wait_screen(pilot, "OutcomeScreen")
        await pilot.press("escape")  # back to the last scan page
        await wait_screen(pilot, "IntakeScreen")
        await pilot.press("ctrl+s")  # later further
        home = await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: home.overview is not None and home.overview.drafts)
        await pilot.press("r")
        resumed = await wait_screen(pilot, "IntakeScreen")
        assert resumed is not screen
        assert resumed.intake.phase == "scan"
        assert resumed.intake.position == screen.intake.position
        assert resumed.intake.kindcheck.answers == screen.intake.kindcheck.answers


def test_the_vault_file_name_matches_the_store():
    from kindcheck.service.vault_service import VAULT_FILE
    from kindcheck.store import DB_NAME

    assert VAULT_FILE == DB_NAME


async def test_a_second_copy_is_told_the_vault_is_in_use(vault_dir: Path):
    first = VaultService(vault_dir)
    first.unlock(PASSPHRASE)
    try:
        app = make_app(vault_dir)
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_screen(pilot, "UnlockScreen")
            await pilot.press(*PASSPHRASE, "enter")
            await wait_until(
                pilot, lambda: "al open" in str(screen.query_one("#unlock-error", Static).render())
            )
    finally:
        first.close()


async def test_the_mouse_works_too(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot)
        await pilot.click("#choice", offset=(10, 1))  # the second option: "Nee"
        await pilot.pause()
        assert screen.intake.kindcheck.answers == {"has_minor_children": "no"}
        await pilot.click("#choice", offset=(10, 0))  # pregnancy: "Ja"
        await pilot.pause()
        assert screen.intake.kindcheck.answers["pregnancy"] == "yes"
