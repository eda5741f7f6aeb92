"""Tests for kindcheck.followup: rhythms, DST, exceptions, ends, status, storage, calendar."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import recurring_ical_events
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from kindcheck.errors import FollowUpError, KindcheckError
from kindcheck.followup import (
    AMSTERDAM,
    FollowUpPlan,
    FollowUpState,
    OccurrenceChange,
    Rhythm,
    default_rhythm,
    eighteenth_birthday,
    end_treatment,
    move,
    new_plan,
    next_occurrence,
    occurrences,
    plan_end_for_children,
    plans_to_ics,
    rrule_for,
    skip,
    status,
    with_rule,
)

FAST = settings(max_examples=40, deadline=None)


def days(plan: FollowUpPlan, first: date, last: date) -> list[date]:
    return [o.date() for o in occurrences(plan, first, last)]


# --- rhythms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("children", "safety", "count", "expected"),
    [
        (False, False, 0, None),
        (False, True, 5, None),  # no minor child and no pregnancy: no plan at all
        (True, True, 0, Rhythm.SAFETY),
        (True, True, 4, Rhythm.SAFETY),  # safety is never averaged away by the count
        (True, False, 3, Rhythm.STACKING),
        (True, False, 7, Rhythm.STACKING),
        (True, False, 2, Rhythm.CHILDREN),
        (True, False, 0, Rhythm.CHILDREN),
    ],
)
def test_default_rhythm(children: bool, safety: bool, count: int, expected: Rhythm | None) -> None:
    assert default_rhythm(children, safety, count) == expected


def test_default_rhythm_threshold_comes_from_the_questionnaire() -> None:
    assert default_rhythm(True, False, 3, threshold=4) is Rhythm.CHILDREN
    assert default_rhythm(True, False, 4, threshold=4) is Rhythm.STACKING
    with pytest.raises(FollowUpError):
        default_rhythm(True, False, -1)


def test_rrule_for() -> None:
    assert rrule_for(Rhythm.SAFETY) == "FREQ=WEEKLY;INTERVAL=2"
    assert rrule_for(Rhythm.STACKING) == "FREQ=WEEKLY;INTERVAL=6"
    assert rrule_for(Rhythm.CHILDREN) == "FREQ=MONTHLY;INTERVAL=3"
    assert issubclass(FollowUpError, KindcheckError)


@pytest.mark.parametrize(
    ("rhythm", "expected"),
    [
        (Rhythm.SAFETY, [date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16), date(2026, 3, 2)]),
        (
            Rhythm.STACKING,
            [date(2026, 2, 16), date(2026, 3, 30), date(2026, 5, 11), date(2026, 6, 22)],
        ),
        (
            Rhythm.CHILDREN,
            [date(2026, 4, 5), date(2026, 7, 5), date(2026, 10, 5), date(2027, 1, 5)],
        ),
    ],
)
def test_occurrences_of_each_rhythm_start_one_interval_after_intake(
    rhythm: Rhythm, expected: list[date]
) -> None:
    plan = new_plan(rhythm, date(2026, 1, 5), None)
    found = occurrences(plan, date(2026, 1, 5), expected[-1])
    assert [o.date() for o in found] == expected
    assert all(o.tzinfo is AMSTERDAM and o.time() == time(9, 0) for o in found)


def test_quarterly_plan_from_a_month_end_does_not_skip_short_months() -> None:
    # Plain RFC 5545 would drop 31 April and turn "every 3 months" into half-yearly.
    plan = new_plan(Rhythm.CHILDREN, date(2025, 10, 31), None)
    assert days(plan, date(2025, 1, 1), date(2026, 12, 31)) == [
        date(2026, 1, 31),
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]
    # From 30 November the first conversation is 28 February, then day 30 again.
    plan = new_plan(Rhythm.CHILDREN, date(2025, 11, 30), None)
    assert days(plan, date(2025, 1, 1), date(2026, 9, 1)) == [
        date(2026, 2, 28),
        date(2026, 5, 30),
        date(2026, 8, 30),
    ]


@pytest.mark.parametrize(
    ("week_start", "change_day", "offset_before", "offset_after"),
    [
        (date(2026, 3, 26), date(2026, 3, 29), timedelta(hours=1), timedelta(hours=2)),
        (date(2026, 10, 22), date(2026, 10, 25), timedelta(hours=2), timedelta(hours=1)),
    ],
)
def test_dst_week_keeps_the_local_hour(
    week_start: date, change_day: date, offset_before: timedelta, offset_after: timedelta
) -> None:
    plan = FollowUpPlan(rule="FREQ=DAILY", start=week_start)
    week = occurrences(plan, week_start, week_start + timedelta(days=6))
    assert len(week) == 7
    assert {o.hour for o in week} == {9}
    assert {o.astimezone(AMSTERDAM).hour for o in week} == {9}
    for o in week:
        assert o.utcoffset() == (offset_before if o.date() < change_day else offset_after)
    # In UTC the conversation moves by an hour, as it should for a local appointment.
    assert len({o.astimezone(UTC).hour for o in week}) == 2


def test_two_weekly_plan_across_both_changes_stays_at_nine() -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 3, 9), None)
    found = occurrences(plan, date(2026, 3, 1), date(2026, 11, 30))
    assert date(2026, 3, 23) in [o.date() for o in found]
    assert all((o.hour, o.minute) == (9, 0) for o in found)
    assert {o.utcoffset() for o in found} == {timedelta(hours=1), timedelta(hours=2)}


def test_time_of_day_is_kept() -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 1, 5), None, time_of_day=time(14, 30))
    assert occurrences(plan, date(2026, 1, 1), date(2026, 1, 31))[0].time() == time(14, 30)


# --- skip and move -----------------------------------------------------------------------


@pytest.fixture
def safety_plan() -> FollowUpPlan:
    # Conversations on 19 Jan, 2 Feb, 16 Feb, 2 Mar, 16 Mar 2026, ...
    return new_plan(Rhythm.SAFETY, date(2026, 1, 5), None)


def test_skip_and_move_with_reasons(safety_plan: FollowUpPlan) -> None:
    plan = skip(safety_plan, date(2026, 2, 2), "  cliënt op vakantie  ")
    plan = move(plan, date(2026, 2, 16), date(2026, 2, 18), "vakantie behandelaar")
    assert days(plan, date(2026, 1, 1), date(2026, 3, 3)) == [
        date(2026, 1, 19),
        date(2026, 2, 18),
        date(2026, 3, 2),
    ]
    assert plan.changes == (
        OccurrenceChange(date(2026, 2, 2), "skip", None, "cliënt op vakantie"),
        OccurrenceChange(date(2026, 2, 16), "move", date(2026, 2, 18), "vakantie behandelaar"),
    )
    # The original plan is untouched (frozen data).
    assert len(days(safety_plan, date(2026, 1, 1), date(2026, 3, 3))) == 4


def test_moved_conversations_are_sorted_and_can_cross_others(safety_plan: FollowUpPlan) -> None:
    plan = move(safety_plan, date(2026, 2, 2), date(2026, 2, 20), "later")
    assert days(plan, date(2026, 1, 1), date(2026, 3, 3)) == [
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 2, 20),
        date(2026, 3, 2),
    ]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_missing_reason_is_refused(safety_plan: FollowUpPlan, reason: Any) -> None:
    with pytest.raises(FollowUpError, match="reason"):
        skip(safety_plan, date(2026, 2, 2), reason)
    with pytest.raises(FollowUpError, match="reason"):
        move(safety_plan, date(2026, 2, 2), date(2026, 2, 3), reason)
    with pytest.raises(FollowUpError, match="reason"):
        OccurrenceChange(date(2026, 2, 2), "skip", None, reason)


def test_changing_a_date_that_is_not_an_occurrence_is_refused(safety_plan: FollowUpPlan) -> None:
    with pytest.raises(FollowUpError, match="no follow-up conversation is planned"):
        move(safety_plan, date(2026, 2, 3), date(2026, 2, 4), "wrong day")
    with pytest.raises(FollowUpError, match="no follow-up conversation is planned"):
        skip(safety_plan, date(2026, 1, 5), "the intake is not a follow-up")
    skipped = skip(safety_plan, date(2026, 2, 2), "ziek")
    with pytest.raises(FollowUpError, match="already skipped"):
        skip(skipped, date(2026, 2, 2), "again")
    moved = move(safety_plan, date(2026, 2, 2), date(2026, 2, 5), "ziek")
    with pytest.raises(FollowUpError, match="moved"):
        move(moved, date(2026, 2, 2), date(2026, 2, 6), "old date")


def test_message_names_no_dates(safety_plan: FollowUpPlan) -> None:
    with pytest.raises(FollowUpError) as caught:
        move(safety_plan, date(2026, 2, 3), date(2026, 2, 4), "wrong day")
    assert "2026" not in str(caught.value)


def test_move_clashes_and_plan_end_are_refused(safety_plan: FollowUpPlan) -> None:
    with pytest.raises(FollowUpError, match="already planned"):
        move(safety_plan, date(2026, 2, 2), date(2026, 2, 16), "double")
    with pytest.raises(FollowUpError, match="already planned on"):
        move(safety_plan, date(2026, 2, 2), date(2026, 2, 2), "same day")
    ended = end_treatment(safety_plan, date(2026, 3, 1))
    with pytest.raises(FollowUpError, match="after the end"):
        move(ended, date(2026, 2, 16), date(2026, 3, 2), "too late")


def test_a_moved_conversation_is_changed_at_its_new_date(safety_plan: FollowUpPlan) -> None:
    moved = move(safety_plan, date(2026, 2, 2), date(2026, 2, 5), "ziek")
    again = move(moved, date(2026, 2, 5), date(2026, 2, 9), "nog ziek")
    assert again.changes == (
        OccurrenceChange(date(2026, 2, 2), "move", date(2026, 2, 9), "nog ziek"),
    )
    back = move(again, date(2026, 2, 9), date(2026, 2, 2), "toch op de oude dag")
    assert back == safety_plan
    dropped = skip(moved, date(2026, 2, 5), "gaat niet door")
    assert dropped.changes == (OccurrenceChange(date(2026, 2, 2), "skip", None, "gaat niet door"),)
    # Onto a skipped date is allowed: that day is free again.
    onto = move(skip(safety_plan, date(2026, 2, 16), "x"), date(2026, 2, 2), date(2026, 2, 16), "y")
    assert days(onto, date(2026, 1, 1), date(2026, 3, 3)) == [
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 3, 2),
    ]


def test_next_occurrence(safety_plan: FollowUpPlan) -> None:
    plan = skip(safety_plan, date(2026, 2, 2), "ziek")
    at = datetime(2026, 1, 19, 9, 0, tzinfo=AMSTERDAM)
    assert next_occurrence(plan, at - timedelta(minutes=1)) == at
    assert next_occurrence(plan, at) == datetime(2026, 2, 16, 9, tzinfo=AMSTERDAM)
    assert next_occurrence(plan, datetime(2026, 1, 19, 8, 30, tzinfo=UTC)) == datetime(
        2026, 2, 16, 9, tzinfo=AMSTERDAM
    )
    assert next_occurrence(plan, datetime(2026, 1, 19, 8, 59)) == at  # naive: local time
    moved = move(plan, date(2026, 2, 16), date(2026, 2, 10), "eerder")
    assert next_occurrence(moved, at) == datetime(2026, 2, 10, 9, tzinfo=AMSTERDAM)
    assert next_occurrence(end_treatment(plan, date(2026, 2, 15)), at) is None


# --- rule editing ------------------------------------------------------------------------


def test_with_rule_changes_the_rhythm_and_keeps_fitting_changes(safety_plan: FollowUpPlan) -> None:
    plan = skip(safety_plan, date(2026, 3, 2), "a")  # also a 6-weekly date from 19 Jan
    plan = skip(plan, date(2026, 2, 2), "b")  # not a 6-weekly date: dropped
    edited = with_rule(plan, "rrule:freq=weekly;interval=6")
    assert edited.rule == "FREQ=WEEKLY;INTERVAL=6"
    assert [c.original for c in edited.changes] == [date(2026, 3, 2)]
    assert days(edited, date(2026, 1, 1), date(2026, 5, 1)) == [
        date(2026, 1, 19),
        date(2026, 4, 13),
    ]
    restarted = with_rule(plan, rrule_for(Rhythm.CHILDREN), start=date(2026, 4, 1))
    assert days(restarted, date(2026, 1, 1), date(2026, 10, 1)) == [
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ("FREQ=WEEKLY;COUNT=5", "COUNT"),
        ("FREQ=WEEKLY;UNTIL=20270101T000000Z", "UNTIL"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;INTERVAL=-2", "INTERVAL"),
        ("FREQ=HOURLY", "FREQ"),
        ("FREQ=DAILY;BYHOUR=9", "time of day"),
        ("FREQ=FORTNIGHTLY", "FREQ"),
        ("INTERVAL=2", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("DTSTART:20260101T090000\nRRULE:FREQ=WEEKLY", "without DTSTART"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", "never produces"),
        ("", "empty"),
        ("every two weeks", "without DTSTART"),
    ],
)
def test_bad_rules_are_refused_by_name(safety_plan: FollowUpPlan, rule: str, detail: str) -> None:
    with pytest.raises(FollowUpError, match=detail) as caught:
        with_rule(safety_plan, rule)
    assert "follow-up rule" in str(caught.value)


# --- ends --------------------------------------------------------------------------------


def test_eighteenth_birthday() -> None:
    assert eighteenth_birthday(date(2010, 6, 15)) == date(2028, 6, 15)
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 2, 28)  # 2026 is not a leap year
    assert eighteenth_birthday(date(2012, 2, 29)) == date(2030, 2, 28)
    assert eighteenth_birthday(date(2014, 2, 28)) == date(2032, 2, 28)


def test_plan_ends_at_the_youngest_childs_eighteenth_birthday() -> None:
    intake = date(2026, 3, 10)
    children = [(15, date(2010, 9, 1)), (8, date(2018, 2, 28)), (12, None)]
    assert plan_end_for_children(intake, children) == date(2036, 2, 28)
    # A 29 February child: 28 February in a common year; already 18 at a later intake.
    assert plan_end_for_children(intake, [(18, date(2008, 2, 29))]) is None
    assert plan_end_for_children(date(2025, 1, 1), [(16, date(2008, 2, 29))]) == date(2026, 2, 28)


def test_age_only_children_end_at_the_latest_possible_birthday() -> None:
    intake = date(2026, 3, 10)
    # Turned 12 on the intake at the latest, so 18 on 10 March 2032 at the latest.
    assert plan_end_for_children(intake, [(12, None)]) == date(2032, 3, 10)
    assert plan_end_for_children(intake, [(0, None)]) == date(2044, 3, 10)
    # The youngest decides, whatever the order.
    assert plan_end_for_children(intake, [(3, None), (16, None)]) == date(2041, 3, 10)
    # A known birth date wins over the age.
    assert plan_end_for_children(intake, [(12, date(2014, 1, 1))]) == date(2032, 1, 1)


def test_adults_are_ignored_and_no_minor_means_no_end() -> None:
    intake = date(2026, 3, 10)
    assert plan_end_for_children(intake, []) is None
    assert plan_end_for_children(intake, [(18, None), (25, date(2001, 1, 1))]) is None
    assert plan_end_for_children(intake, [(20, None), (5, None)]) == date(2039, 3, 10)
    with pytest.raises(FollowUpError):
        plan_end_for_children(intake, [(-1, None)])
    with pytest.raises(FollowUpError, match="pregnancy"):
        plan_end_for_children(intake, [(0, date(2026, 5, 1))])


def test_pregnancy_keeps_the_plan_running() -> None:
    intake = date(2026, 3, 10)
    assert plan_end_for_children(intake, [], pregnancy_due=date(2026, 8, 20)) == date(2044, 8, 20)
    assert plan_end_for_children(intake, [], pregnancy=True) == date(2044, 12, 10)
    assert plan_end_for_children(intake, [(10, None)], pregnancy=True) == date(2044, 12, 10)


def test_no_conversation_after_the_youngest_childs_birthday() -> None:
    intake = date(2026, 1, 5)
    end = plan_end_for_children(intake, [(17, date(2008, 11, 20))])
    assert end == date(2026, 11, 20)
    plan = new_plan(Rhythm.CHILDREN, intake, end)
    assert days(plan, intake, date(2030, 1, 1)) == [
        date(2026, 4, 5),
        date(2026, 7, 5),
        date(2026, 10, 5),
    ]
    assert next_occurrence(plan, datetime(2026, 10, 6, tzinfo=AMSTERDAM)) is None


def test_treatment_end_stops_the_plan(safety_plan: FollowUpPlan) -> None:
    ended = end_treatment(safety_plan, date(2026, 2, 16))
    assert ended.treatment_ended_on == date(2026, 2, 16)
    # The end day itself still counts: the last session can hold the conversation.
    assert days(ended, date(2026, 1, 1), date(2027, 1, 1)) == [
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
    ]
    # A later treatment end does not extend a plan that ends earlier (youngest child 18).
    early = end_treatment(
        new_plan(Rhythm.SAFETY, date(2026, 1, 5), date(2026, 2, 1)), date(2026, 6, 1)
    )
    assert early.ends_on == early.final_day == date(2026, 2, 1)


# --- status ------------------------------------------------------------------------------


def test_status_states(safety_plan: FollowUpPlan) -> None:
    first = datetime(2026, 1, 19, 9, tzinfo=AMSTERDAM)
    cases = [
        ("2026-01-11", None, FollowUpState.UPCOMING, first, 0),
        ("2026-01-12", None, FollowUpState.DUE, first, 0),
        ("2026-01-26", None, FollowUpState.DUE, first, 0),
        ("2026-01-27", None, FollowUpState.OVERDUE, first, 8),
        ("2026-02-20", None, FollowUpState.OVERDUE, first, 32),
        (
            "2026-01-27",
            date(2026, 1, 19),
            FollowUpState.DUE,
            datetime(2026, 2, 2, 9, tzinfo=AMSTERDAM),
            0,
        ),
    ]
    for when, held, state, occurrence, late in cases:
        with time_machine.travel(datetime.fromisoformat(when + "T12:00+01:00"), tick=False):
            result = status(safety_plan, date.today(), held)
        assert (result.state, result.occurrence, result.days_overdue) == (
            state,
            occurrence,
            late,
        ), when


def test_a_conversation_held_early_covers_the_occurrence(safety_plan: FollowUpPlan) -> None:
    with time_machine.travel(datetime(2026, 2, 1, 12, tzinfo=AMSTERDAM), tick=False):
        today = date.today()
        # Held three days before the 2 Feb occurrence: that one counts as done.
        held_early = status(safety_plan, today, date(2026, 1, 30))
        assert held_early.state is FollowUpState.UPCOMING
        assert held_early.occurrence == datetime(2026, 2, 16, 9, tzinfo=AMSTERDAM)
        assert status(safety_plan, today, date(2026, 1, 19)).state is FollowUpState.DUE
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=AMSTERDAM), tick=False):
        # The last one held long ago: the first occurrence after its coverage is overdue.
        late = status(safety_plan, date.today(), date(2026, 1, 19))
        assert late.occurrence == datetime(2026, 2, 2, 9, tzinfo=AMSTERDAM)
        assert (late.state, late.days_overdue) == (FollowUpState.OVERDUE, 46)


def test_status_follows_skips_and_moves(safety_plan: FollowUpPlan) -> None:
    plan = move(
        skip(safety_plan, date(2026, 2, 2), "ziek"), date(2026, 2, 16), date(2026, 2, 25), "x"
    )
    result = status(plan, date(2026, 2, 10), date(2026, 1, 19))
    assert (result.state, result.occurrence) == (
        FollowUpState.UPCOMING,
        datetime(2026, 2, 25, 9, tzinfo=AMSTERDAM),
    )


def test_status_ended(safety_plan: FollowUpPlan) -> None:
    ended = end_treatment(safety_plan, date(2026, 2, 20))
    with time_machine.travel(datetime(2026, 2, 21, 12, tzinfo=AMSTERDAM), tick=False):
        assert status(ended, date.today(), None).state is FollowUpState.ENDED
        assert status(ended, date.today(), None).occurrence is None
    # Not yet past the end, but every occurrence is covered: nothing left.
    assert status(ended, date(2026, 2, 18), date(2026, 2, 16)).state is FollowUpState.ENDED
    # Before the end an overdue conversation still shows.
    assert status(ended, date(2026, 2, 20), None).state is FollowUpState.OVERDUE


# --- storage -----------------------------------------------------------------------------


def test_round_trip_through_json(safety_plan: FollowUpPlan) -> None:
    plan = move(
        skip(safety_plan, date(2026, 2, 2), "ziek"),
        date(2026, 2, 16),
        date(2026, 2, 18),
        "vakantie",
    )
    plan = end_treatment(plan, date(2026, 12, 1))
    data = json.loads(json.dumps(plan.to_dict()))
    assert FollowUpPlan.from_dict(data) == plan
    assert FollowUpPlan.from_dict(data).to_dict() == plan.to_dict()


def _valid() -> dict[str, Any]:
    plan = skip(new_plan(Rhythm.SAFETY, date(2026, 1, 5), None), date(2026, 2, 2), "ziek")
    return plan.to_dict()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("rule"),
        lambda d: d.update(extra=1),
        lambda d: d.update(format=2),
        lambda d: d.update(format=True),
        lambda d: d.update(rule=3),
        lambda d: d.update(rule="FREQ=WEEKLY;COUNT=2"),
        lambda d: d.update(start="Jan Jansen 2026"),
        lambda d: d.update(start="2026-01-05T09:00"),
        lambda d: d.update(time_of_day="9 uur"),
        lambda d: d.update(time_of_day="09:00+01:00"),
        lambda d: d.update(ends_on=20260101),
        lambda d: d.update(changes="none"),
        lambda d: d["changes"].append("skip"),
        lambda d: d["changes"][0].update(action="delete"),
        lambda d: d["changes"][0].update(reason=""),
        lambda d: d["changes"][0].update(new_date="2026-02-03"),
        lambda d: d["changes"].append(dict(d["changes"][0])),
    ],
)
def test_malformed_dicts_are_refused(mutate: Any) -> None:
    data = _valid()
    mutate(data)
    with pytest.raises(FollowUpError) as caught:
        FollowUpPlan.from_dict(data)
    assert "Jansen" not in str(caught.value)


def test_from_dict_refuses_non_dicts() -> None:
    for data in (None, [], "plan"):
        with pytest.raises(FollowUpError):
            FollowUpPlan.from_dict(data)


@st.composite
def plans(draw: st.DrawFn) -> FollowUpPlan:
    """A default plan with a few skips and moves of real occurrences, maybe ended."""
    rhythm = draw(st.sampled_from(list(Rhythm)))
    intake = draw(st.dates(date(2024, 1, 1), date(2030, 12, 31)))
    ends_on = draw(st.none() | st.dates(intake, intake + timedelta(days=3 * 365)))
    plan = new_plan(
        rhythm, intake, ends_on, time_of_day=draw(st.sampled_from([time(9), time(13, 15)]))
    )
    upcoming = days(plan, intake, intake + timedelta(days=2 * 365))
    for index in draw(st.lists(st.integers(0, 40), max_size=4, unique=True)):
        if index >= len(upcoming):
            continue
        when = upcoming[index]
        if draw(st.booleans()):
            plan = skip(plan, when, "reden")
        else:
            target = when + timedelta(days=draw(st.integers(-6, 6).filter(bool)))
            with contextlib.suppress(FollowUpError):  # a clash or past the end: tested elsewhere
                plan = move(plan, when, target, "reden")
    if draw(st.booleans()):
        plan = end_treatment(plan, draw(st.dates(intake, intake + timedelta(days=3 * 365))))
    return plan


@FAST
@given(plans())
def test_round_trip_property(plan: FollowUpPlan) -> None:
    assert FollowUpPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


@FAST
@given(plans())
def test_occurrences_property(plan: FollowUpPlan) -> None:
    first, last = plan.start - timedelta(days=30), plan.start + timedelta(days=3 * 365)
    found = occurrences(plan, first, last)
    assert found == sorted(set(found))
    assert all(o.time() == plan.time_of_day and o.tzinfo is AMSTERDAM for o in found)
    if plan.final_day is not None:
        assert all(o.date() <= plan.final_day for o in found)
    assert not {c.original for c in plan.changes} & {o.date() for o in found} - {
        c.new_date for c in plan.changes
    }
    # next_occurrence walks the same list.
    walked: list[datetime] = []
    cursor = datetime.combine(first, time.min, tzinfo=AMSTERDAM)
    while (nxt := next_occurrence(plan, cursor)) is not None and nxt.date() <= last:
        walked.append(nxt)
        cursor = nxt
    assert walked == found


# --- calendar ----------------------------------------------------------------------------


def expand_ics(data: bytes, first: date, last: date) -> dict[str, list[date]]:
    """The days a calendar app shows, per SUMMARY: expanded by recurring-ical-events, which
    reads EXDATE and RECURRENCE-ID as RFC 5545 does (an override of an excluded instance
    replaces nothing). The file's events are all-day: every start must be a date."""
    found: dict[str, list[date]] = {}
    for event in recurring_ical_events.of(Calendar.from_ical(data)).between(
        first, last + timedelta(days=1)
    ):
        start = event["DTSTART"].dt
        assert not isinstance(start, datetime), "an all-day event"
        found.setdefault(str(event["SUMMARY"]), []).append(start)
    return {summary: sorted(days) for summary, days in found.items()}


def _calendar_plans() -> list[tuple[str, FollowUpPlan]]:
    a = new_plan(Rhythm.SAFETY, date(2026, 3, 2), date(2026, 11, 9))
    a = skip(a, date(2026, 3, 30), "ziekenhuisopname Jan Jansen")
    a = move(a, date(2026, 10, 26), date(2026, 10, 23), "BSN 123456782 herfstvakantie")
    b = new_plan(Rhythm.CHILDREN, date(2025, 11, 30), None)
    b = move(b, date(2026, 8, 30), date(2026, 9, 2), "moeder Fatima, Kerkstraat 12")
    # 16 Feb, 30 Mar, 11 May, ...; 11 May brought forward, then treatment ends in between:
    # the moved conversation has no series instance left to override, so it stands alone.
    c = new_plan(Rhythm.STACKING, date(2026, 1, 5), None)
    c = end_treatment(move(c, date(2026, 5, 11), date(2026, 5, 8), "eerder"), date(2026, 5, 10))
    return [("K-0001", a), ("K-0002", b), ("K-0003", c)]


def test_ics_occurrences_equal_the_plans() -> None:
    entries = _calendar_plans()
    first, last = date(2025, 1, 1), date(2028, 1, 1)
    expanded = expand_ics(plans_to_ics(entries), first, last)
    for ref, plan in entries:
        expected = days(plan, first, last)
        assert expected, ref
        assert expanded[f"Vervolggesprek kinderen {ref}"] == expected


@FAST
@given(plans())
def test_ics_matches_occurrences_property(plan: FollowUpPlan) -> None:
    first, last = plan.start - timedelta(days=30), plan.start + timedelta(days=3 * 365)
    expected = days(plan, first, last)
    expanded = expand_ics(plans_to_ics([("R-42", plan)]), first, last)
    assert expanded.get("Vervolggesprek kinderen R-42", []) == expected


def test_ics_structure() -> None:
    exported = datetime(2026, 1, 2, 10, tzinfo=UTC)
    with time_machine.travel(exported, tick=False):
        data = plans_to_ics(_calendar_plans())
        again = plans_to_ics(_calendar_plans())
    assert data == again  # stable UIDs, frozen DTSTAMP
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//Kindcheck//NL"
    assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == "Kindcheck vervolggesprekken"
    assert calendar.timezones == []  # all-day events need no time zone
    events = list(calendar.walk("VEVENT"))
    series = [e for e in events if "RRULE" in e]
    assert len(series) == 3
    for event in events:
        start = event["DTSTART"].dt
        assert type(start) is date  # all day: no time a reader could shift
        assert event["DTEND"].dt == start + timedelta(days=1) and "DURATION" not in event
        assert str(event["TRANSP"]) == "TRANSPARENT"  # a reminder that blocks nothing
        assert str(event["X-MICROSOFT-CDO-BUSYSTATUS"]) == "FREE"
        assert event["DTSTAMP"].dt == exported
        assert (event["SEQUENCE"], event["LAST-MODIFIED"].dt) == (0, exported)
    until = series[0]["RRULE"]["UNTIL"][0]
    assert until == date(2026, 11, 9)  # a date, like DTSTART
    assert b"UNTIL=20261109;" in data
    assert b"DTSTART;VALUE=DATE:20260316" in data
    # Only the skip is excluded; the move (26 Oct) is an override alone. Until issue 16 the
    # moved day was excluded too, and readers that follow RFC 5545 then dropped the override.
    assert b"EXDATE;VALUE=DATE:20260330\r\n" in data
    assert not any(item.dt == date(2026, 10, 26) for item in series[0]["EXDATE"].dts)
    assert b"RECURRENCE-ID;VALUE=DATE:20261026" in data
    assert "RRULE" not in events[-1] and "RECURRENCE-ID" not in events[-1]  # the standalone move
    assert len({str(e["UID"]) for e in events}) == 4


def test_ics_contains_the_reference_and_no_canaries() -> None:
    canaries = [
        "Jan Jansen",
        "123456782",
        "Fatima",
        "Kerkstraat",
        "ziekenhuis",
        "herfstvakantie",
        "eerder",
    ]
    data = plans_to_ics(_calendar_plans())
    text = data.decode().replace("\r\n ", "")  # unfold long lines before searching
    for ref in ("K-0001", "K-0002", "K-0003"):
        assert ref in text
    for canary in canaries:
        assert canary.lower() not in text.lower()
    for field in ("DESCRIPTION", "LOCATION", "ATTENDEE", "COMMENT:"):
        assert field not in text
    # The only extensions are fixed texts: the calendar's name and Outlook's all-day flags.
    extensions = {line for line in text.split("\r\n") if line.startswith("X-")}
    assert extensions == {
        "X-WR-CALNAME:Kindcheck vervolggesprekken",
        "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
        "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
    }


@pytest.mark.parametrize(
    "ref", ["Jan Jansen", "Jansen", "K 12", "K-1\nDESCRIPTION:x", "", "K1", 1234]
)
def test_ics_refuses_anything_but_a_pseudonymous_reference(ref: Any) -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 1, 5), None)
    with pytest.raises(FollowUpError) as caught:
        plans_to_ics([(ref, plan)])
    if isinstance(ref, str) and ref:
        assert ref not in str(caught.value)


@pytest.mark.parametrize(
    "template",
    [
        "Vervolggesprek",
        "{name}",
        "{ref.__class__}",
        "{ref!r}",
        "{ref:>20}",
        "{ref}{0}",
        "{",
        "a\n{ref}",
    ],
)
def test_ics_refuses_templates_with_other_fields(template: str) -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 1, 5), None)
    with pytest.raises(FollowUpError):
        plans_to_ics([("K-0001", plan)], summary_template=template)


def test_ics_refuses_duplicates_and_wrong_entries() -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 1, 5), None)
    with pytest.raises(FollowUpError):
        plans_to_ics([("K-0001", plan), ("K-0001", plan)])
    with pytest.raises(FollowUpError):
        plans_to_ics([("K-0001", plan.to_dict())])  # type: ignore[list-item]
    assert b"BEGIN:VCALENDAR" in plans_to_ics([])


def test_a_plan_made_for_concerns_is_named_for_concerns_not_for_three_domains() -> None:
    """Two rhythm choices share every 6 weeks ("concern" and 3+ domains): the client page
    names the one the plan was made as, while its rule still follows it."""
    from kindcheck.followup.policy import RHYTHM_RULES, rhythm_choice_of

    six_weeks = RHYTHM_RULES["concern"][0]
    assert RHYTHM_RULES["stacking"][0] == six_weeks  # the clash this guards against
    assert rhythm_choice_of(six_weeks, "concern") == "concern"
    assert rhythm_choice_of(six_weeks, "stacking") == "stacking"
    # A stored choice the rule no longer follows (tightened since) is not shown.
    assert rhythm_choice_of(RHYTHM_RULES["safety"][0], "concern") == "safety"
