"""Follow-up policy of issue 12 (kindcheck.followup.policy): the concern rhythm, the 2-weekly
rhythm held while a Meldcode process is open and chosen anew when it closes, re-asks for
unknowns that matter, and events that make the Kindcheck due again. Pure functions; the dates
they give are computed, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest

from kindcheck.errors import FollowUpError
from kindcheck.followup import (
    FollowUpPlan,
    FollowUpState,
    Reask,
    RecordedEvent,
    Rhythm,
    SessionRecord,
    default_rhythm,
    item_state,
    kindchecks_due,
    new_plan,
    next_occurrence,
    pending_reasks,
    plan_after_meldcode_closed,
    plan_after_session,
    rhythm_while_meldcode_open,
    session_record,
)

DAY = date(2026, 11, 2)


@dataclass(frozen=True)
class _Plan:
    plan: FollowUpPlan
    rhythm: Rhythm | None


@dataclass(frozen=True)
class _Findings:
    followup_rhythm: Rhythm | None
    children: tuple[Any, ...] = ()
    pregnancy: str | None = None
    pregnancy_due: date | None = None


def first_after(plan: FollowUpPlan, day: date) -> date:
    found = next_occurrence(plan, datetime.combine(day, time()))
    assert found is not None
    return found.date()


# -- the concern rhythm ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("children", "signal", "count", "concern", "expected"),
    [
        (True, False, 0, True, Rhythm.CONCERN),
        (True, False, 3, True, Rhythm.STACKING),  # the flag says more than a concern
        (True, True, 0, True, Rhythm.SAFETY),
        (True, False, 2, False, Rhythm.CHILDREN),
        (False, False, 0, True, None),  # no child in view (unknown children: the re-ask)
    ],
)
def test_a_concern_tightens_the_rhythm_to_six_weeks_with_children(
    children: bool, signal: bool, count: int, concern: bool, expected: Rhythm | None
) -> None:
    assert default_rhythm(children, signal, count, 3, concern=concern) is expected


def test_the_concern_rhythm_is_every_six_weeks_and_tightens_a_three_monthly_plan() -> None:
    quarterly = new_plan(Rhythm.CHILDREN, DAY, None)
    later = date(2026, 12, 1)
    planned = plan_after_session(
        _Plan(quarterly, Rhythm.CHILDREN), _Findings(Rhythm.CONCERN), later
    )
    assert planned is not None
    plan, rhythm, change = planned
    assert (rhythm, change) == (Rhythm.CONCERN, "more_frequent")
    assert first_after(plan, later) == date(2027, 1, 12)  # six weeks after the session
    stacking = new_plan(Rhythm.STACKING, DAY, None)
    same = plan_after_session(_Plan(stacking, Rhythm.STACKING), _Findings(Rhythm.CONCERN), later)
    assert same is not None and same[2] == "unchanged"  # same rank: neither replaces the other


# -- the Meldcode process -------------------------------------------------------------------------


def test_while_the_meldcode_process_is_open_the_two_weekly_rhythm_holds() -> None:
    for rhythm in (None, Rhythm.CHILDREN, Rhythm.CONCERN, Rhythm.STACKING):
        assert rhythm_while_meldcode_open(rhythm, True) is Rhythm.SAFETY
        assert rhythm_while_meldcode_open(rhythm, False) is rhythm
    two_weekly = new_plan(Rhythm.SAFETY, DAY, None)
    quiet = plan_after_session(
        _Plan(two_weekly, Rhythm.SAFETY), _Findings(Rhythm.CHILDREN), date(2026, 11, 16)
    )
    assert quiet is not None and quiet[:2] == (two_weekly, Rhythm.SAFETY)


def test_closing_the_meldcode_process_needs_the_next_rhythm_and_restarts_it() -> None:
    two_weekly = _Plan(new_plan(Rhythm.SAFETY, DAY, date(2040, 1, 1)), Rhythm.SAFETY)
    closed_on = date(2027, 1, 20)
    for missing in ("", "safety", "never"):
        with pytest.raises(FollowUpError, match="needs the next rhythm"):
            plan_after_meldcode_closed(two_weekly, closed_on, missing)
    plan, rhythm = plan_after_meldcode_closed(two_weekly, closed_on, "children")
    assert rhythm is Rhythm.CHILDREN
    assert first_after(plan, closed_on) == date(2027, 4, 20)
    assert plan.ends_on == date(2040, 1, 1)
    assert plan_after_meldcode_closed(two_weekly, closed_on, "keep") == (
        two_weekly.plan,
        Rhythm.SAFETY,
    )


# -- re-asks ----------------------------------------------------------------------------------


def test_unknown_children_are_asked_again_until_a_later_session_knows() -> None:
    unknown = SessionRecord(
        DAY, 2, frozenset({"pregnancy"}), (("has_minor_children", date(2026, 11, 16)),)
    )
    assert pending_reasks([unknown]) == [Reask("has_minor_children", DAY, date(2026, 11, 16))]
    unrelated = SessionRecord(date(2026, 11, 10), 2, frozenset({"pregnancy"}))
    assert pending_reasks([unknown, unrelated]) == pending_reasks([unknown])
    counted = SessionRecord(date(2026, 11, 14), 2, frozenset({"child_count"}))
    assert pending_reasks([counted, unknown]) == []  # order of the list does not matter
    again = SessionRecord(
        date(2026, 11, 20), 2, frozenset(), (("has_minor_children", date(2026, 12, 4)),)
    )
    assert pending_reasks([unknown, again]) == [
        Reask("has_minor_children", date(2026, 11, 20), date(2026, 12, 4))
    ]


@pytest.mark.parametrize(
    ("today", "state", "late"),
    [
        (date(2026, 11, 15), FollowUpState.UPCOMING, 0),
        (date(2026, 11, 16), FollowUpState.DUE, 0),
        (date(2026, 11, 23), FollowUpState.DUE, 0),
        (date(2026, 11, 24), FollowUpState.OVERDUE, 8),
    ],
)
def test_a_dated_item_is_due_from_its_day_and_overdue_after_a_week(
    today: date, state: FollowUpState, late: int
) -> None:
    assert item_state(date(2026, 11, 16), today) == (state, late)


def test_a_stored_session_becomes_a_record_without_free_text() -> None:
    answers = {
        "format_version": 2,
        "date": "2026-11-02",
        "questionnaires": [
            {
                "id": "kindcheck",
                "answers": {
                    "has_minor_children": "unknown",
                    "pregnancy": "no",
                    "clinician_note": "x",
                },
            },
            {"id": "probleemscan", "answers": {"fin_arrears": "yes"}},
        ],
    }
    outcome = {
        "open_items": [
            {"question": "has_minor_children", "item": None, "reask_on": "2026-11-16"},
            {"question": "child_spoken_with", "item": 1, "reask_on": None},
        ]
    }
    record = session_record(answers, outcome)
    assert record.held_on == DAY and record.format_version == 2
    assert record.answered == frozenset({"pregnancy", "clinician_note"})
    assert record.reasks == (("has_minor_children", date(2026, 11, 16)),)
    with pytest.raises(FollowUpError):
        session_record({"date": "2 november"}, {})


# -- events -----------------------------------------------------------------------------------------


def test_an_event_makes_the_kindcheck_due_until_a_v2_session_on_or_after_it() -> None:
    due_days = {"admission": 0, "new_partner": 14}
    events = [
        RecordedEvent("new_partner", date(2027, 1, 5)),
        RecordedEvent("admission", date(2027, 1, 12)),
    ]
    v1_followup = SessionRecord(date(2027, 1, 13), 1, frozenset())
    earlier_v2 = SessionRecord(date(2027, 1, 4), 2, frozenset())
    due = kindchecks_due(events, due_days, [v1_followup, earlier_v2])
    assert [(d.event, d.due_on) for d in due] == [
        ("admission", date(2027, 1, 12)),
        ("new_partner", date(2027, 1, 19)),
    ]
    between = SessionRecord(date(2027, 1, 8), 2, frozenset())
    assert [d.event for d in kindchecks_due(events, due_days, [between])] == ["admission"]
    after = SessionRecord(date(2027, 1, 14), 2, frozenset())
    assert kindchecks_due(events, due_days, [after]) == []
    with pytest.raises(FollowUpError):
        kindchecks_due([RecordedEvent("holiday", DAY)], due_days, [])
