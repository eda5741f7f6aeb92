"""A plan's due days over its versions: every planned day once, in order, however the
versions' save moments lie (the month close joins the versions' days without a set when they
come in order, and must notice when they do not)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck.export.counts import Tally
from kindcheck.followup import FollowUpPlan, occurrence_days, skip
from kindcheck.service import counting
from kindcheck.service.counting import DueDays, due_facts
from kindcheck.service.plans import ClientPlan, PlanVersion

START = date(2024, 1, 8)
TODAY = date(2024, 12, 1)
WINDOW = 7


def _saved(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _plan(rules_and_saves: list[tuple[str, date, date]]) -> ClientPlan:
    """Versions (rule, start, saved on), oldest first; the last is the current plan."""
    versions = [
        PlanVersion(_saved(saved), FollowUpPlan(rule, start))
        for rule, start, saved in rules_and_saves
    ]
    current = versions[-1]
    return ClientPlan(
        id="p",
        client_id="c",
        plan=current.plan,
        rhythm=None,
        updated_at=current.valid_from,
        revision=len(versions) - 1,
        history=tuple(versions[:-1]),
    )


def _every_day_once(plan: ClientPlan, today: date = TODAY) -> list[date]:
    """The days as the close counted them before: each version's days on its own days,
    through a set."""
    last_final = today - timedelta(days=WINDOW + 1)
    versions = plan.versions()
    due: set[date] = set()
    for number, version in enumerate(versions):
        first = (
            version.plan.start if not number else max(version.plan.start, version.valid_from.date())
        )
        last = last_final
        if number + 1 < len(versions):
            last = min(last, versions[number + 1].valid_from.date() - timedelta(days=1))
        due.update(occurrence_days(version.plan, first, last))
    return sorted(due)


WEEKLY, BIWEEKLY, MONTHLY = "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY"


@pytest.mark.parametrize(
    "versions",
    [
        # saved in order: each version's days after the last of the one before
        [
            (MONTHLY, START, START),
            (WEEKLY, START, date(2024, 4, 2)),
            (BIWEEKLY, START, date(2024, 7, 1)),
        ],
        # the third saved before the second (a clock put back): its days overlap the first's
        [
            (WEEKLY, START, START),
            (MONTHLY, START, date(2024, 6, 3)),
            (BIWEEKLY, START, date(2024, 3, 4)),
        ],
        # a version in force for no day at all, between two that are
        [
            (BIWEEKLY, START, START),
            (WEEKLY, START, date(2024, 5, 6)),
            (MONTHLY, START, date(2024, 5, 6)),
        ],
    ],
    ids=["in order", "clock put back", "empty version"],
)
def test_every_planned_day_once_in_order(versions: list[tuple[str, date, date]]) -> None:
    plan = _plan(versions)
    held = [date(2024, 3, 11), date(2024, 8, 20)]
    facts = due_facts(plan, held, TODAY, WINDOW)
    days = sorted([*facts.due_held, *facts.due_not_held])
    assert days == _every_day_once(plan)
    assert list(facts.due_held) == sorted(set(facts.due_held))
    assert list(facts.due_not_held) == sorted(set(facts.due_not_held))
    assert not set(facts.due_held) & set(facts.due_not_held)


@pytest.mark.parametrize("chunk_days", [1, 20, 1 << 16])
def test_the_close_counts_the_due_days_as_tally_days_counts_due_facts(
    chunk_days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The close counts the plans' due days a chunk of plans at a time (DueDays) by day
    number: the same cells in the same order as Tally.days over due_facts, plan after plan,
    for follow-ups held exactly on the window's edge and one day past it, over versions, per
    month and quarter, however the plans fall into chunks."""
    monkeypatch.setattr(counting, "_CHUNK_DAYS", chunk_days)
    plans = [
        _plan([(WEEKLY, START, START), (MONTHLY, START, date(2024, 6, 3))]),
        _plan(
            [
                (WEEKLY, START, START),
                (MONTHLY, START, date(2024, 6, 3)),
                (BIWEEKLY, START, date(2024, 3, 4)),
            ]
        ),
        _plan([("FREQ=MONTHLY;BYDAY=2MO", START, START)]),
        _plan([(BIWEEKLY, date(2023, 12, 18), START)]),
        _plan([(WEEKLY, date(2025, 1, 6), START)]),  # no day due yet
        # every version every n days (counted as arithmetic runs): in order, and overlapping
        _plan([(WEEKLY, START, START), (BIWEEKLY, date(2024, 5, 1), date(2024, 4, 29))]),
        _plan(
            [
                (WEEKLY, START, START),
                (BIWEEKLY, START, date(2024, 6, 3)),
                ("FREQ=DAILY;INTERVAL=10", START, date(2024, 3, 4)),
            ]
        ),
    ]
    edge = timedelta(days=WINDOW)
    held_lists = [
        [START + timedelta(days=14) - edge, date(2024, 7, 1) + edge],  # on the edge: held
        [START + timedelta(days=7) - edge - timedelta(days=1), date(2024, 9, 1)],  # one past
        [date(2024, 2, 12) + edge + timedelta(days=1), date(2024, 5, 13) - edge],
        [date(2024, 1, 1) + edge, date(2023, 12, 18)],
        [date(2024, 3, 1)],
        [START + timedelta(days=7) + edge, date(2024, 5, 15) - edge - timedelta(days=1)],
        [date(2024, 3, 14) + edge, date(2024, 6, 17) - edge],
    ]
    for period in ("month", "quarter"):
        expected = Tally(period)
        due = DueDays(TODAY, WINDOW, period)
        for plan, held in zip(plans, held_lists, strict=True):
            facts = due_facts(plan, held, TODAY, WINDOW)
            expected.days(facts.due_held, "followups_due:held_in_window")
            expected.days(facts.due_not_held, "followups_due:not_held")
            due.add(plan, held)
        counted = due.periods()
        assert [(p, list(c.items())) for p, c in counted.items()] == [
            (p, list(c.items())) for p, c in expected.periods.items()
        ]
        assert sum(c.get("followups_due:held_in_window", 0) for c in counted.values()) >= 4


@st.composite
def versioned_plans(draw: st.DrawFn) -> ClientPlan:
    """Plans of one to four versions, each saved on any day (in order or not), every n days
    or not, with or without an end, a skipped day or a move."""
    versions = []
    for _ in range(draw(st.integers(1, 4))):
        start = START + timedelta(days=draw(st.integers(-40, 200)))
        plan = FollowUpPlan(
            draw(st.sampled_from([WEEKLY, BIWEEKLY, MONTHLY, "FREQ=DAILY;INTERVAL=10"])),
            start,
            ends_on=draw(st.none() | st.just(start + timedelta(days=draw(st.integers(0, 300))))),
        )
        if draw(st.integers(0, 5)) == 0:
            days = occurrence_days(plan, start, start + timedelta(days=60))
            if days:
                plan = skip(plan, days[-1], "reden")
        saved = START + timedelta(days=draw(st.integers(-30, 330)))
        versions.append(PlanVersion(_saved(saved), plan))
    return ClientPlan(
        "p", "c", versions[-1].plan, None, versions[-1].valid_from, 0, tuple(versions[:-1])
    )


@settings(max_examples=300, deadline=None)
@given(versioned_plans(), st.integers(0, 360))
def test_the_arithmetic_runs_are_the_days_of_the_versions(plan: ClientPlan, until: int) -> None:
    """What the close counts by arithmetic, when it does, are every version's planned days on
    its own days, each once; and the version in force on a day is the newest saved by then."""
    today = START + timedelta(days=until)
    runs = counting._arithmetic_runs(plan, today - timedelta(days=WINDOW + 1))
    days = _every_day_once(plan, today)
    if runs is not None:
        expanded = [
            n for begin, count, step in runs for n in range(begin, begin + count * step, step)
        ]
        assert expanded == [day.toordinal() for day in days]
        assert all(count for _, count, _ in runs)
    versions = plan.versions()
    for day in (today, START, START + timedelta(days=100)):
        for before in (None, _saved(day), _saved(day) + timedelta(hours=12)):
            saved = [
                v.plan
                for v in versions
                if v.valid_from.date() <= day and (before is None or v.valid_from < before)
            ]
            expected = saved[-1] if saved else versions[0].plan
            assert plan.in_force(day, before) is expected
