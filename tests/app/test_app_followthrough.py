"""Issue 12 in the app: the version-2 outcome page (112 and Veilig Thuis first, concerns with
their next steps, open items, help to offer and a warm hand-off), the client page (events, the
Meldcode process of step 5) and the home screen's items besides the plan."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from support.app import (
    PASSPHRASE,
    SIZE,
    acute_first,
    fresh_vault,
    make_app,
    settle,
    wait_screen,
    wait_until,
)
from textual.widgets import Static

from kindcheck.answers import session_from_dict
from kindcheck.service.intake import Intake
from kindcheck.service.vault_service import VaultService

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 5, 10, 30, tzinfo=AMSTERDAM)
TODAY = NOW.date()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fixed_today() -> date:
    return TODAY


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return fresh_vault(tmp_path)


@pytest.fixture(autouse=True)
def at_now():
    with time_machine.travel(NOW, tick=True):
        yield


def recorded(vault_dir: Path, *names: str, group: str | None = None) -> str:
    """Record example sessions through the service; the client id of the last."""
    service = VaultService(vault_dir, clock=fixed_today)
    service.unlock(PASSPHRASE)
    try:
        if group is not None:
            service.set_professional_group(group)
        for name in names:
            result = service.record(session_from_dict(example(name)))
        return result.client.id
    finally:
        service.close()


def texts(widget: Any) -> list[str]:
    return [str(static.render()) for static in widget.query(Static)]


async def outcome_of(pilot: Any, answers: dict[str, Any], lang: str = "nl") -> Any:
    """The outcome page of an intake as the app shows it (the session given in full)."""
    from kindcheck.screens.outcome import OutcomeScreen

    session = session_from_dict(answers)
    intake = Intake(session.client_reference, session.setting, session.session_date)
    for part in session.parts.values():
        walker = intake.main if part.questionnaire.id == "kindcheck" else intake.scan
        walker.answers = dict(part.answers)
    intake.phase = "outcome"
    await pilot.app.push_screen(OutcomeScreen(intake, lambda: None))
    screen = await wait_screen(pilot, "OutcomeScreen")
    await wait_until(pilot, lambda: screen.outcome is not None and bool(screen.query("#save")))
    return screen


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_with_a_violence_signal_112_and_veilig_thuis_come_first(vault_dir: Path, lang: str):
    app = make_app(vault_dir, lang, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await outcome_of(pilot, example("v2-violence-no-children.json"), lang)
        body = screen.query_one("#outcome-body")
        first = acute_first(screen)
        assert "112" in first[0]
        assert "0800-2000" in first[1]
        assert body.children[0].id == "safety"
        # No professional group set: the prompt to set it, under the steps.
        prompt = "beroepsgroep" if lang == "nl" else "professional group"
        assert prompt in str(screen.query_one("#afwegingskader", Static).render())


async def test_worries_without_a_signal_each_come_with_next_steps_and_no_mediation(
    vault_dir: Path,
):
    answers = example("v2-worries-no-signal.json")
    main = answers["questionnaires"][0]["answers"]
    main["sig_domestic_violence"] = "yes"  # the variant of the rule: violence, and conflict
    answers["questionnaires"][1]["answers"]["rel_conflict"] = "yes"
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await outcome_of(pilot, answers)
        page = "\n".join(texts(screen.query_one("#outcome-body")))
        scan = screen.intake.scan_questionnaire
        relaties = next(domain for domain in scan.domains if domain.id == "relaties")
        advice = {item.id: item.text.get("nl") for item in relaties.advice}
        # The relaties domain counts, and only the violence-first advice is shown: never
        # mediation (nor the children-in-separation programmes), nor a mediation hand-off.
        assert "Relaties" in page
        assert advice["violence_first"] in page
        assert advice["mediation"] not in page
        assert advice["children_in_separation"] not in page
        assert "Relatie- of scheidingsbemiddeling (mediation)" not in page
        acute_first(screen)
    plain = example("v2-worries-no-signal.json")
    plain["questionnaires"][1]["answers"]["rel_conflict"] = "yes"  # without the violence
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await outcome_of(pilot, plain)
        assert not screen.query_one("#acute").display
        concerns = screen.query_one("#concerns")
        names = [c.name.get("nl") for c in screen.outcome.concerns]
        assert len(names) == 4
        shown = "\n".join(texts(concerns))
        for concern in screen.outcome.concerns:
            assert concern.name.get("nl") in shown
            assert concern.steps and all(step.get("nl") in shown for step in concern.steps)
        page = "\n".join(texts(screen.query_one("#outcome-body")))
        assert "Relatiebemiddeling of scheidingsbemiddeling (mediation)." in page  # the control
        items = "\n".join(texts(screen.query_one("#open-items")))
        assert screen.outcome.open_items[0].text.get("nl") in items
        assert screen.query_one("#handoffs")


async def test_unknown_children_show_the_day_to_ask_again_and_never_no_followup_needed(
    vault_dir: Path,
):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await outcome_of(pilot, example("v2-unknown-children.json"))
        page = "\n".join(texts(screen.query_one("#outcome-body")))
        assert "16-11-2026" in "\n".join(texts(screen.query_one("#open-items")))
        assert "Geen vervolggesprek over kinderen nodig" not in page


async def test_a_warm_hand_off_is_recorded_on_the_outcome_page_and_stored(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    answers = example("v2-flag-handoff.json")
    answers.pop("handoffs")
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await outcome_of(pilot, answers)
        await pilot.press("o")
        dialog = await wait_screen(pilot, "HandoffDialog")
        dialog.query_one("#consent-asked").value = True
        dialog.query_one("#consent-given").value = True
        dialog.query_one("#contact").value = "together"
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "OutcomeScreen")
        assert [h.option for h in screen.intake.handoffs] == ["cjg"]
        assert "Afgesproken" in str(screen.query_one("#handoffs-agreed", Static).render())
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        assert [(h.option, h.status) for h in client.detail.handoffs] == [("cjg", "open")]
        # Later, on the client page: the help started (w), with its date.
        await pilot.press("w")
        await wait_screen(pilot, "DatedChoiceDialog")
        await pilot.press("ctrl+s")  # the first choice: CJG, started
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: client.detail.handoffs[0].status == "started")
        assert client.detail.handoffs[0].status_on == TODAY


async def test_the_client_page_records_an_afweging_a_decision_and_closes_the_process(
    vault_dir: Path,
):
    client_id = recorded(vault_dir, "v2-violence-no-children.json")
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        from kindcheck.screens.messages import ClientOpened

        app.post_message(ClientOpened(client_id))
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        assert client.detail.meldcode is not None and client.detail.meldcode.is_open
        await pilot.press("a")
        await wait_screen(pilot, "DatedChoiceDialog")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: bool(client.detail.meldcode.afwegingen))
        assert client.detail.meldcode.afwegingen["suspicion"].answer == "yes"
        view = str(client.query_one("#meldcode-view", Static).render())
        assert "Daarna:" in view
        # Closing without a reason is refused in the dialog; with one, the process closes.
        await pilot.press("c")
        dialog = await wait_screen(pilot, "DatedChoiceDialog")
        await pilot.press("ctrl+s")
        assert "Reden" in str(dialog.query_one("#form-error", Static).render())
        dialog.query_one("#reason").value = "Geen vermoeden meer na overleg"
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: not client.detail.meldcode.is_open)
        assert "afgesloten" in str(client.query_one("#meldcode-view", Static).render())


async def test_an_event_on_the_client_page_puts_the_kindcheck_on_home(vault_dir: Path):
    client_id = recorded(vault_dir, "children-no-problems.json")
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        assert home.overview.items == ()
        from kindcheck.screens.messages import ClientOpened

        app.post_message(ClientOpened(client_id))
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("g")
        await wait_screen(pilot, "DatedChoiceDialog")
        await pilot.press("ctrl+s")  # the first event: an admission, today
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: bool(client.detail.due))
        assert [item.reason for item in client.detail.due] == ["kindcheck:admission"]
        assert "Kindcheck na Opname" in str(client.query_one("#followthrough-view").render())
        await pilot.press("escape")
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: bool(home.overview and home.overview.items))
        assert [item.reason for item in home.overview.items] == ["kindcheck:admission"]
