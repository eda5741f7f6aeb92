"""The arithmetic expansion of the usual follow-up rules (kindcheck.followup.rules.cadence)
gives exactly the dates dateutil gives: every rhythm a clinician can choose, from any start
day (29-31 included: the month-end form), over any window. And the export's follow-up timing,
which looks only at the first planned conversation after the previous one, says what
expanding every conversation in between says."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck.errors import FollowUpError
from kindcheck.followup import FollowUpPlan, end_treatment, move, occurrences, skip
from kindcheck.followup.plan import _first_on_or_after, _is_rule_date, _rule_dates
from kindcheck.followup.rules import _compiled, cadence
from kindcheck.service.facts import followup_timing

RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=WEEKLY;INTERVAL=4",
    "FREQ=WEEKLY;INTERVAL=6",
    "FREQ=MONTHLY",
    "FREQ=MONTHLY;INTERVAL=3",
    "FREQ=MONTHLY;INTERVAL=6",
    "FREQ=MONTHLY;INTERVAL=5",
]
starts = st.dates(min_value=date(1999, 1, 1), max_value=date(2040, 12, 31))


def dateutil_dates(plan: FollowUpPlan, first: date, last: date) -> list[date]:
    compiled = _compiled(plan.rule, plan._dtstart)
    lo, hi = datetime.combine(first, time.min), datetime.combine(last, time.max)
    return [dt.date() for dt in compiled.between(lo, hi, inc=True)]


def dateutil_first(plan: FollowUpPlan, first: date) -> date | None:
    compiled = _compiled(plan.rule, plan._dtstart)
    found = compiled.after(datetime.combine(first, time.min), inc=True)
    return None if found is None else found.date()


def test_the_usual_rhythms_are_arithmetic() -> None:
    for rule in RULES:
        for day in (1, 15, 28, 29, 30, 31):
            plan = FollowUpPlan(rule, date(2024, 1, day))
            assert cadence(plan.rule, plan.start.day) is not None, (rule, day)
    assert cadence("FREQ=WEEKLY;BYDAY=MO,TH", 1) is None
    assert cadence("FREQ=YEARLY", 1) is None


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from(RULES),
    start=starts,
    offset=st.integers(min_value=-400, max_value=3000),
    span=st.integers(min_value=0, max_value=800),
)
def test_arithmetic_dates_are_dateutils(rule: str, start: date, offset: int, span: int) -> None:
    plan = FollowUpPlan(rule, start)
    first = start + timedelta(days=offset)
    last = first + timedelta(days=span)
    assert _rule_dates(plan, first, last) == dateutil_dates(plan, first, last)
    # the first conversation on or after a day (a plan without changes or end)
    assert _first_on_or_after(plan, first) == dateutil_first(plan, first)
    for day in (first, last, start):
        expected = day >= start and dateutil_dates(plan, day, day) == [day]
        assert _is_rule_date(plan, day) == expected


def timing_by_expansion(
    plan: FollowUpPlan, held_on: date, previous: date | None, window: int
) -> str:
    """The follow-up timing as the export first computed it: every planned conversation from
    the day after the previous one's window up to the one held, expanded."""
    since = (previous + timedelta(days=window + 1)) if previous else plan.start
    missed = [
        o.date() for o in occurrences(plan, since, held_on) if (held_on - o.date()).days > window
    ]
    return "late" if missed else "on_time"


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from([*RULES, "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=YEARLY"]),
    start=starts,
    held=st.integers(min_value=-30, max_value=900),
    previous=st.none() | st.integers(min_value=-60, max_value=900),
    skipped=st.lists(st.integers(min_value=0, max_value=40), max_size=3),
    moved=st.lists(st.tuples(st.integers(0, 40), st.integers(-20, 20)), max_size=2),
    ends=st.none() | st.integers(min_value=0, max_value=900),
)
def test_the_follow_up_timing_finds_what_the_expansion_finds(
    rule: str,
    start: date,
    held: int,
    previous: int | None,
    skipped: list[int],
    moved: list[tuple[int, int]],
    ends: int | None,
) -> None:
    plan = FollowUpPlan(rule, start)
    days = [d.date() for d in occurrences(plan, start, start + timedelta(days=1200))]
    for number in skipped:
        if number < len(days):
            with contextlib.suppress(FollowUpError):  # already moved or skipped
                plan = skip(plan, days[number], "test")
    for number, shift in moved:
        if number < len(days) and shift:
            with contextlib.suppress(FollowUpError):
                plan = move(plan, days[number], days[number] + timedelta(days=shift), "test")
    if ends is not None:
        plan = end_treatment(plan, start + timedelta(days=ends))
    held_on = start + timedelta(days=held)
    before = None if previous is None else start + timedelta(days=previous)
    for window in (0, 7):
        assert followup_timing(plan, held_on, before, window) == timing_by_expansion(
            plan, held_on, before, window
        )
