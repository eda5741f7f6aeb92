"""Follow-up conversations in the app: due on home, held, saved, the next date moved on, the
domain count over time on the client page, and plan changes.

One vault is filled once for the module (a copy of the session's template vault, so no extra
key derivation) at a fixed date with time-machine; each test works on a copy of it:

- EPD-100: intake on 14-10-2026 with three problem domains, so a 6-weekly plan whose first
  conversation is today (25-11-2026): due.
- EPD-200: intake on 01-07-2026 with four domains (6-weekly: 12-08, 23-09, 04-11, ...),
  follow-ups on 12-08 (scan repeated: two domains) and 23-09 (no scan): the one of 04-11 is
  21 days late. Its chart reads 4, 2, gap.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from kindcheck.screens.followup_outcome import domain_change
from kindcheck.screens.intake import IntakeScreen
from kindcheck.screens.widgets.domain_chart import chart_lines
from support.app import (
    PASSPHRASE,
    SIZE,
    acute_first,
    answer_scan,
    make_app,
    settle,
    template_vault,
    wait_screen,
    wait_until,
)
from support.sessions import harmless
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from kindcheck.followup import FollowUpState
from kindcheck.questionnaire import Step, Walker
from kindcheck.service.caseload import followup_statuses
from kindcheck.service.demo import DemoClient, demo_intake
from kindcheck.service.intake import Intake, PreviousSession
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=AMSTERDAM)
TODAY = NOW.date()
THREE = frozenset({"fin_debts", "won_too_small", "net_no_fallback"})
FOUR = frozenset({"fin_arrears", "werk_no_activity", "adm_letters", "opv_worries"})


def fixed_today() -> date:
    return TODAY


def fill(walker: Walker, choose: Any) -> None:
    """Answer every visible step in order with ``choose(step)`` (None: leave it empty)."""
    index = 0
    while index < len(steps := walker.steps()):
        step = steps[index]
        if walker.get(step) is None:
            value = choose(step)
            if value is not None:
                walker.answer(step, value)
        index += 1


def followup_answers(
    intake: Intake, *, scan: frozenset[str] | None = None, signals: frozenset[str] = frozenset()
) -> Intake:
    """A follow-up answered in full: children well, no signals unless told, the scan
    repeated when ``scan`` is given (those indicators "yes")."""

    def choose(step: Step) -> object:
        question = step.question
        if question.id == "repeat_scan":
            return "yes" if scan is not None else "no"
        if question.id in signals:
            return "yes"
        if intake.version >= 2 and question.type in ("yesno", "choice", "multi"):
            # Version 2 (new sessions): an answer that raises no signal, concern or open item.
            return harmless(question)
        if question.type == "yesno":
            return "no" if question.id.startswith("sig_") else "yes"
        if question.type == "choice":
            return question.options[0].id
        if question.type == "multi":
            return ["none"]
        return None

    fill(intake.main, choose)
    if scan is not None:
        fill(intake.scan, lambda step: "yes" if step.question.id in scan else "no")
    return intake


def held_followup(
    service: VaultService, client_id: str, day: date, scan: frozenset[str] | None = None
) -> None:
    start = service.followup_start(client_id)
    intake = Intake.followup(
        start.reference,
        start.setting,
        day,
        child_ages=list(start.child_ages or ()),
        previous=start.previous,
    )
    service.save_followup(followup_answers(intake, scan=scan).session(), {}, None)


@pytest.fixture(scope="module")
def followup_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("followup-template") / "vault"
    shutil.copytree(template_vault(), folder)
    with time_machine.travel(NOW, tick=False):
        service = VaultService(folder, clock=fixed_today)
        service.unlock(PASSPHRASE)
        try:
            for client, rhythm in (
                (
                    DemoClient(
                        "EPD-100", 42, children=((4, "always"), (9, "elsewhere")), problems=THREE
                    ),
                    "stacking",
                ),
                (DemoClient("EPD-200", 147, children=((7, "always"),), problems=FOUR), "stacking"),
            ):
                session = demo_intake(client, TODAY).session()
                service.save_intake(session, {}, rhythm, False, None)
            second = next(c for c in service.overview().clients if c.reference == "EPD-200")
            held_followup(
                service,
                second.client_id,
                date(2026, 8, 12),
                scan=frozenset({"fin_arrears", "adm_letters"}),
            )
            held_followup(service, second.client_id, date(2026, 9, 23))
        finally:
            service.close()
    return folder


@pytest.fixture
def vault_dir(followup_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(followup_template, target)
    return target


@pytest.fixture
def at_today():
    with time_machine.travel(NOW, tick=True):
        yield


def statuses(data_dir: Path) -> dict[str, Any]:
    """The follow-up statuses as `kindcheck due` computes them, by reference."""
    store = Store.unlock(data_dir, PASSPHRASE)
    try:
        return {item.client.reference: item for item in followup_statuses(store, TODAY)}
    finally:
        store.close()


def client_id_of(app: Any, reference: str) -> str:
    return next(c.client_id for c in app.screen.overview.clients if c.reference == reference)


def rendered(widget: Any) -> str:
    return str(widget.render())


# ---------------------------------------------------------------------------------------------
# Without the app


def test_the_domain_change_reads_as_before_now_and_difference():
    assert domain_change(4, 2) == "4 → 2 (-2)"
    assert domain_change(1, 3) == "1 → 3 (+2)"
    assert domain_change(2, 2) == "2 → 2 (±0)"


def test_the_chart_labels_its_axis_and_shows_a_missing_scan_as_a_gap():
    points = [(date(2026, 7, 1), 4), (date(2026, 8, 12), 0), (date(2026, 9, 23), None)]
    lines = [line.plain for line in chart_lines(points, 76, "nl")]
    assert [line[:4] for line in lines[:4]] == [" 4 ┤", " 3 ┤", " 2 ┤", " 1 ┤"]
    assert lines[4].startswith(" 0 └")
    assert lines[0] == " 4 ┤ ███"  # only the first session reaches 4
    assert lines[3] == " 1 ┤ ███   ▁▁▁"  # 0 is a flat line, no scan is nothing at all
    assert lines[5].split() == ["4", "0", "-"]
    assert lines[6].split() == ["01-07", "12-08", "23-09"]
    # Eleven domains: two per row, a half block for an odd count; the newest sessions fit.
    counts = [1] * 14 + [11, 0, None, 5, 2, 9]
    many = [(date(2026, 1, n), count) for n, count in enumerate(counts, 1)]
    tall = [line.plain for line in chart_lines(many, 40, "en")]
    assert len(tall) == 6 + 3
    assert tall[0] == "12 ┤ ▄▄▄"  # 11: full up to 10, then half a row
    assert tall[1] == "10 ┤ ███                           ▄▄▄"  # 9 likewise
    assert tall[-2].split() == ["11", "0", "-", "5", "2", "9"]
    assert tall[-1].split() == ["01-15", "01-16", "01-17", "01-18", "01-19", "01-20"]


def test_a_followup_draft_round_trips_with_what_it_compares_with():
    previous = PreviousSession(
        date(2026, 10, 14), date(2026, 10, 14), 3, ("weapon",), date(2026, 10, 14)
    )
    intake = Intake.followup("EPD-1", "ggz", TODAY, child_ages=[5, 9], previous=previous)
    assert intake.main.answers["child_count"] == 2
    assert intake.suggested == {"child_count", "child_age[0]", "child_age[1]"}
    # Version 2 asks first what happened since last time, then the children to confirm.
    assert intake.position == "events_since"
    again = Intake.from_payload(intake.draft_id, intake.to_payload())
    assert again.kind == "followup" and again.previous == previous
    assert again.main.answers == intake.main.answers
    followup_answers(again)
    assert not again.wants_scan()
    session = again.session()
    assert session.kind == "followup" and list(session.parts) == ["vervolggesprek"]


# ---------------------------------------------------------------------------------------------
# In the app


async def test_a_due_followup_is_held_saved_and_the_next_date_moves_on(vault_dir: Path, at_today):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        table = home.query_one("#followups", DataTable)
        assert [str(table.get_row_at(n)[0]) for n in range(table.row_count)] == [
            "EPD-200",
            "EPD-100",
        ]  # the most overdue first
        assert str(table.get_row_at(0)[1]) == "21 dagen te laat"
        assert str(table.get_row_at(1)[1]) == "nu gepland"
        assert app.focused is table  # ready for Enter
        await pilot.press("down", "enter")
        screen = await wait_screen(pilot, "IntakeScreen")
        intake = screen.intake
        assert intake.kind == "followup" and intake.reference == "EPD-100"
        assert "Vervolggesprek" in rendered(screen.query_one("#intake-title", Static))
        # Version 2 asks first what happened since last time: nothing major.
        assert screen.step.key == "events_since"
        await pilot.press("1", "enter")
        # The children as the intake left them, to confirm: 2 children, 4 and 9.
        assert screen.query_one("#number", Input).value == "2"
        assert "14-10-2026" in rendered(screen.query_one("#answer-hint", Static))
        await pilot.press("enter", "enter")  # 2 children; child 1 is 4
        await pilot.press("1", "1", "enter")  # lives with the client; nobody else cares
        assert screen.step.key == "child_wellbeing[0]"
        # well, no changes, knows, the other parent is there, spoken with at home, nothing
        # said to note, school says it goes well, consent to contact it
        await pilot.press("1", "ctrl+n", "j", "1", "enter", "1", "ctrl+n", "1", "1")
        assert screen.query_one("#number", Input).value == "9"
        await pilot.press("enter", "1", "1", "enter")  # 9, lives with the client, nobody else
        # worried, sleeps badly, does not know, the other parent is there, spoken with ...
        await pilot.press("3", *"Slaapt slecht", "ctrl+n", "n", "1", "enter", "1", "ctrl+n")
        await pilot.press("1", "1")
        # parenting sometimes hard, no pregnancy, care enough, wants support, someone to fall
        # back on (babysitting), nothing stops asking, a written crisis plan (no name)
        await pilot.press("2", "n", "j", "j", "j", "1", "enter", "8", "enter", "1", "enter")
        assert screen.step.question.id == "referrals"
        await pilot.press("1", "7", "enter", "enter")  # parenting support, youth care; no note
        await pilot.press("1", "1", "j", "n")  # no dependent adult, suicidality, home, custody
        await pilot.press(*["n"] * 7)  # no signals of unsafety
        await pilot.press("j", "ctrl+n")  # repeat the scan; no closing note
        await pilot.pause()
        assert intake.phase == "scan"
        await answer_scan(pilot, {"financien"})
        outcome = await wait_screen(pilot, "FollowUpOutcomeScreen")
        await wait_until(pilot, lambda: outcome.query("#domain-change"))
        assert not outcome.query("#safety")
        assert "3 → 1 (-2)" in rendered(outcome.query_one("#domain-change", Static))
        assert "14-10-2026" in rendered(outcome.query_one("#domain-change", Static))
        children = outcome.query_one("#children")
        assert "Ik maak me zorgen" in " ".join(rendered(w) for w in children.query(Static))
        assert "jeugdhulp" in rendered(outcome.query_one("#referrals", Static)).casefold()
        await wait_until(
            pilot, lambda: "06-01-2027" in rendered(outcome.query_one("#next-dates", Static))
        )
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        chart = client.query_one("#domain-chart")
        assert chart.points == [(date(2026, 10, 14), 3), (TODAY, 1)]
        lines = rendered(chart).splitlines()
        assert lines[-2].split() == ["3", "1"] and lines[-1].split() == ["14-10", "25-11"]
        sessions = client.query_one("#sessions", DataTable)
        assert str(sessions.get_row_at(0)[2]) == "1 (-2)"
        assert "zorgen om 1" in str(sessions.get_row_at(0)[3])
        assert "06-01-2027" in rendered(client.query_one("#plan-view", Static))
        await pilot.press("escape")
        home = await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        await wait_until(
            pilot, lambda: [c.reference for c in home.overview.followups] == ["EPD-200"]
        )
        assert home.query_one("#followups", DataTable).row_count == 1
        assert not home.overview.drafts  # the draft went with the save
        await pilot.press("ctrl+q")
    # `kindcheck due` sees the same: held today, the next one in six weeks.
    due = statuses(vault_dir)
    assert due["EPD-100"].last_held == TODAY
    assert due["EPD-100"].status.state == FollowUpState.UPCOMING
    assert due["EPD-100"].status.occurrence.date() == date(2027, 1, 6)
    assert due["EPD-200"].status.state == FollowUpState.OVERDUE


async def test_a_new_safety_signal_in_a_followup_brings_the_meldcode_steps_first(
    vault_dir: Path, at_today
):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        start = app.service.followup_start(client_id_of(pilot.app, "EPD-100"))
        intake = Intake.followup(
            start.reference,
            start.setting,
            TODAY,
            child_ages=list(start.child_ages),
            previous=start.previous,
        )
        followup_answers(intake, signals=frozenset({"sig_domestic_violence"}))
        intake.phase = "outcome"
        app.push_screen(IntakeScreen(intake))
        outcome = await wait_screen(pilot, "FollowUpOutcomeScreen")
        body = outcome.query_one("#outcome-body")
        # 112 and Veilig Thuis first, the summary, then the Meldcode steps: before the
        # children and everything else.
        acute_first(outcome)
        assert body.children[0].id == "safety"
        assert "NIEUW" in rendered(outcome.query_one("#safety .signal", Static))
        assert len(outcome.query(".meldcode-check")) == 5
        await wait_until(
            pilot, lambda: "2 weken" in rendered(outcome.query_one("#next-dates", Static))
        )  # the rhythm tightens
        outcome.query_one("#check-map_signals", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        assert client.detail.plan_rhythm == "safety"
        meldcode = rendered(client.query_one("#meldcode-view", Static))
        assert "25-11-2026" in meldcode and "✓" in meldcode
        # The next follow-up finds the same signal: no new checklist, the process goes on.
        start = app.service.followup_start(client.client_id)
        assert start.previous.signals == ("domestic_violence",)
        again = followup_answers(
            Intake.followup(
                start.reference,
                start.setting,
                TODAY,
                child_ages=list(start.child_ages),
                previous=start.previous,
            ),
            signals=frozenset({"sig_domestic_violence"}),
        )
        again.phase = "outcome"
        app.push_screen(IntakeScreen(again))
        second = await wait_screen(pilot, "FollowUpOutcomeScreen")
        acute_first(second)
        assert second.query_one("#outcome-body").children[0].id == "safety"
        assert not second.query(".meldcode-check")
        assert "25-11-2026" in rendered(second.query_one("#meldcode-continues", Static))


async def test_skipping_a_conversation_needs_a_reason_and_is_stored(vault_dir: Path, at_today):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await pilot.press("o")  # the due list has the focus: its first client, EPD-200
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        assert client.detail.summary.reference == "EPD-200"
        chart = client.query_one("#domain-chart")
        assert [count for _day, count in chart.points] == [4, 2, None]
        assert rendered(chart).splitlines()[-2].split() == ["4", "2", "-"]
        await pilot.press("s")
        dialog = await wait_screen(pilot, "PlanChangeDialog")
        assert dialog.query_one("#occurrence", Select).value == "2026-11-04"  # the late one
        await pilot.press("ctrl+s")
        assert "reden" in rendered(dialog.query_one("#plan-error", Static))
        dialog.query_one("#reason", Input).focus()
        await pilot.press(*"Op vakantie", "enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: client.detail.plan.changes)
        assert "04-11-2026 overgeslagen: Op vakantie" in rendered(
            client.query_one("#plan-view", Static)
        )
        # Move the next one (16-12) a week on.
        await pilot.press("m")
        dialog = await wait_screen(pilot, "PlanChangeDialog")
        assert dialog.query_one("#occurrence", Select).value == "2026-12-16"
        dialog.query_one("#new-date", Input).value = "23-12-2026"
        dialog.query_one("#reason", Input).value = "Vakantie"
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: len(client.detail.plan.changes) == 2)
        assert client.detail.upcoming[0].date() == date(2026, 12, 23)
        await pilot.press("ctrl+q")
    (due,) = [item for ref, item in statuses(vault_dir).items() if ref == "EPD-200"]
    changes = {c.original: c for c in due.plan.plan.changes}
    assert changes[date(2026, 11, 4)].action == "skip"
    assert changes[date(2026, 11, 4)].reason == "Op vakantie"
    assert changes[date(2026, 12, 16)].new_date == date(2026, 12, 23)
    assert due.status.state == FollowUpState.UPCOMING
    assert due.status.occurrence.date() == date(2026, 12, 23)


async def test_the_rhythm_changes_and_the_treatment_ends(vault_dir: Path, at_today):
    app = make_app(vault_dir, unlocked=True, clock=fixed_today)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await pilot.press("o")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await pilot.press("r")
        dialog = await wait_screen(pilot, "PlanChangeDialog")
        dialog.query_one("#rhythm", Select).value = "weeks4"
        await pilot.pause()
        # Four weeks after the latest session (23-09) has passed: the first one is today.
        assert "25-11-2026, 23-12-2026" in rendered(dialog.query_one("#rhythm-dates", Static))
        await pilot.press("ctrl+s")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(
            pilot, lambda: "elke 4 weken" in rendered(client.query_one("#plan-view", Static))
        )
        assert client.detail.plan_rhythm is None  # set by hand: later sessions leave it alone
        assert client.detail.summary.followup.state == FollowUpState.DUE
        await pilot.press("e")
        dialog = await wait_screen(pilot, "PlanChangeDialog")
        assert dialog.query_one("#end-date", Input).value == "25-11-2026"
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await wait_until(pilot, lambda: client.detail.plan.treatment_ended_on == TODAY)
        assert "Behandeling beëindigd op 25-11-2026" in rendered(
            client.query_one("#plan-view", Static)
        )


def test_the_client_page_with_its_chart(snap_compare, vault_dir: Path):
    with time_machine.travel(NOW, tick=False):
        app = make_app(vault_dir, unlocked=True, clock=fixed_today)

        async def ready(pilot):
            home = await wait_screen(pilot, "HomeScreen")
            await wait_until(pilot, lambda: home.overview is not None)
            home.open_client(client_id_of(pilot.app, "EPD-200"))
            client = await wait_screen(pilot, "ClientScreen")
            await wait_until(pilot, lambda: client.detail is not None)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=ready)
