"""The month close counts a session straight from its facts record's fields when they are
plainly valid: count_clients checks them inline (exact types), adds one to the cells
Tally.session_cells made once per combination, keeps a period's cells per hour of the clock a
session was saved by (service.facts._recorded_on) and works out a follow-up's timing on day
numbers (followup.first_day_number_finder, the plan in force from versions worked out once).
Each fast path stands beside a checking path; a sceptic holds the two together on valid and
malformed input: the same counts in the same order, the same error, the same damaged records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import close_reference

import kindcheck.service.counting as counting
from kindcheck.dates import AMSTERDAM
from kindcheck.errors import ExportError
from kindcheck.export import SCAN_DOMAINS
from kindcheck.export.counts import Tally
from kindcheck.followup import (
    FollowUpPlan,
    OccurrenceChange,
    first_day_number_finder,
    first_day_on_or_after,
)
from kindcheck.service import facts as facts_module
from kindcheck.service.caseload import DUE_WINDOW_DAYS
from kindcheck.service.counting import ClientFacts, count_clients
from kindcheck.service.plans import ClientPlan, PlanVersion
from kindcheck.store import StoredFacts

FIRST_DAY = date(2026, 1, 5)
TODAY = date(2027, 6, 1)
RULES = (
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=DAILY;INTERVAL=10",
    "FREQ=MONTHLY",
    "FREQ=WEEKLY;BYDAY=MO,TH",  # not arithmetic: dateutil expands it
)
# clocks a session can be saved by: UTC (the store's), fixed offsets (a record saved with
# one), odd ones (minutes, far east and west) and none (naive: read as UTC)
CLOCKS = (
    UTC,
    timezone(timedelta(hours=1)),
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-3)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(minutes=20)),
    timezone(timedelta(hours=13, minutes=45)),
    timezone(timedelta(hours=-9, minutes=-30)),
    None,
)
# instants (UTC) where the Amsterdam day is about to turn: both changes of the clock, a
# month's end in winter and in summer, a year's end
TURNS = (
    datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
    datetime(2026, 1, 31, 21, 0, tzinfo=UTC),
    datetime(2026, 6, 30, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 21, 0, tzinfo=UTC),
    datetime(2027, 3, 28, 0, 0, tzinfo=UTC),
)

odd = st.sampled_from([None, True, False, 0, 1, 2, -1, 7, 8, 10**9, 10**9 + 1, 1.0, "x", []])
flags = st.booleans() | odd
counts = st.integers(min_value=0, max_value=4) | odd
domain_ids = st.sampled_from([*SCAN_DOMAINS[:4], "Wonen", "x y", "", 3, True, None])
domain_lists = st.none() | st.lists(domain_ids, max_size=4) | st.sampled_from(["wonen", 2, ()])


def saved_at(turn: datetime, minutes: int, clock: timezone | None) -> datetime:
    moment = turn + timedelta(minutes=minutes)
    if clock is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(clock)


moments = st.builds(saved_at, st.sampled_from(TURNS), st.integers(0, 300), st.sampled_from(CLOCKS))


@st.composite
def fields(draw: st.DrawFn, kind: str) -> list[Any]:
    if draw(st.integers(0, 9)) == 0:  # a record the store should never hold: named damaged
        return draw(st.sampled_from([[1, kind], [2, "other", *[None] * 10], {"kind": kind}]))
    plain = draw(st.booleans())  # half of them plainly valid
    domains = draw(st.lists(st.sampled_from(SCAN_DOMAINS[:5]), max_size=4, unique=True))
    return [
        2,
        kind,
        draw(st.booleans() if plain else flags),
        draw(st.booleans() if plain else flags),
        draw(st.integers(0, 3) if plain else counts),
        draw(st.sampled_from([None, domains]) if plain else domain_lists),
        draw(st.just(False) if plain else flags),
        draw(st.booleans() if plain else flags),
        draw(st.sampled_from([None, 1, 2] if plain else [None, 1, 2, 3, True, 1.0])),
        draw(st.sampled_from([None, 0, 7] if plain else [None, 0, 7, 8, -1, True])),
        [["probleemscan", draw(st.sampled_from([1, 2]))]],
        draw(st.sampled_from([None, "ggz", "sociaal_domein"])),
    ]


@st.composite
def client_plans(draw: st.DrawFn) -> ClientPlan | None:
    versions = []
    for number in range(draw(st.integers(0, 3))):
        start = FIRST_DAY + timedelta(days=draw(st.integers(0, 200)))
        saved = datetime.combine(start, datetime.min.time(), UTC) + timedelta(
            hours=draw(st.integers(-30, 30))
        )
        ends_on = draw(st.none() | st.just(start + timedelta(days=draw(st.integers(0, 120)))))
        versions.append(
            PlanVersion(saved, FollowUpPlan(draw(st.sampled_from(RULES)), start, ends_on=ends_on))
        )
        del number
    if not versions:
        return None
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


@st.composite
def clients(draw: st.DrawFn) -> list[ClientFacts]:
    out = []
    for client in range(draw(st.integers(1, 3))):
        records = []
        for number in range(draw(st.integers(1, 6))):
            kind = "intake" if number == 0 else "followup"
            records.append(
                StoredFacts(
                    f"s{client}-{number}",
                    f"c{client}",
                    FIRST_DAY + timedelta(days=draw(st.integers(0, 420))),
                    draw(moments),
                    draw(st.integers(0, 3) | st.sampled_from([10**9, 10**9 + 1])),
                    draw(fields(kind)),
                )
            )
        out.append(ClientFacts(f"c{client}", records, draw(client_plans())))
    return out


def outcome(close: Any) -> tuple[Any, ...]:
    """What a close gives: its counts in order (periods and their cells), the questionnaire
    versions and the damaged records named; or the error it raises (then nothing is
    released, and the old close had named the damaged records of the whole client)."""
    damaged: list[str] = []
    versions: dict[str, set[int]] = {}
    try:
        counts = close(damaged, versions)
    except ExportError as error:
        return "ExportError", str(error)
    except TypeError:  # a field of no use (a naive time beside a plan's, a count of no list):
        return ("TypeError",)  # which one the close meets first is not promised
    periods = [(label, list(cells.items())) for label, cells in counts.periods.items()]
    return periods, dict(counts.questionnaires), damaged


def new_close(found: list[ClientFacts]) -> Any:
    def close(damaged: list[str], versions: dict[str, set[int]]) -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(counting, "read_clients", lambda store, damaged, tick: iter(found))
            # no client readable: the due days are DueDays' (tests/core/test_due_days_versions.py)
            return count_clients(None, "month", TODAY, damaged, versions, set(), None)  # type: ignore[arg-type]

    return close


def old_close(found: list[ClientFacts]) -> Any:
    """d298649's counting: every session's facts made and checked (aggregate), session after
    session (the reference makes a client's facts at once: here from each record's prefix of
    the client's records, so an error is the first session's in order, as the close's)."""

    def close(damaged: list[str], versions: dict[str, set[int]]) -> Any:
        def facts() -> Any:
            for client in found:
                plan = client.plan
                ordered = sorted(client.records, key=lambda r: (r.session_date, r.saved_at))
                named = 0
                for end in range(1, len(ordered) + 1):
                    seen: list[str] = []
                    made = close_reference.client_facts(
                        ordered[:end],
                        None if plan is None else plan.plan,
                        DUE_WINDOW_DAYS,
                        seen,
                        versions,
                        plan.in_force if plan is not None and plan.history else None,
                    )
                    if len(seen) > named:  # this record is damaged
                        damaged.append(seen[-1])
                        named = len(seen)
                    else:
                        yield made[-1]

        return close_reference.aggregate(facts(), [], "month", versions)

    return close


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(found=clients())
def test_the_close_counts_from_the_fields_as_aggregate_counts_the_facts(
    found: list[ClientFacts],
) -> None:
    facts_module._DAY_OF_HOUR.clear()  # each example fills the hours afresh
    assert outcome(new_close(found)) == outcome(old_close(found))


def test_a_field_of_the_wrong_type_is_refused_as_aggregate_refuses_it() -> None:
    """1 is not True and True is not 1 here: a check by value (1 == True) would count them.
    (A scan version 1.0 passes aggregate's check: it is counted by the checking path.)"""
    for wrong, refused in (
        ([2, "intake", 1, False, 0, None, False, False, None, None, [], None], True),
        ([2, "intake", True, False, True, None, False, False, None, None, [], None], True),
        ([2, "intake", True, 0, 0, None, False, False, None, None, [], None], True),
        ([2, "intake", True, False, 0, ["wonen", "wonen"], False, False, 1, None, [], None], True),
        ([2, "intake", True, False, 0, ["wonen"], False, False, 1, True, [], None], True),
        ([2, "followup", True, False, 0, ["wonen"], False, False, 1.0, None, [], None], False),
    ):
        record = StoredFacts("s", "c", FIRST_DAY, datetime(2026, 1, 5, 9, tzinfo=UTC), 0, wrong)
        found = [ClientFacts("c", [record], None)]
        new, old = outcome(new_close(found)), outcome(old_close(found))
        assert new == old
        assert (new[0] == "ExportError") is refused


def test_the_day_of_an_hour_is_the_day_of_every_moment_in_it() -> None:
    """The Amsterdam day of a moment, kept per hour of its clock, is astimezone's: every 7
    minutes for five hours around each change of the clock (found hour by hour) and the turns
    of TURNS, on every clock (the first moment of an hour asked fills it for the others)."""
    facts_module._DAY_OF_HOUR.clear()
    turns = list(TURNS)
    for year in (1977, 1995, 2026, 2040):
        hour = datetime(year, 1, 1, tzinfo=UTC)
        offset = hour.astimezone(AMSTERDAM).utcoffset()
        while hour.year == year:
            hour += timedelta(hours=1)
            if hour.astimezone(AMSTERDAM).utcoffset() != offset:
                offset = hour.astimezone(AMSTERDAM).utcoffset()
                turns.append(hour)
    assert len(turns) == len(TURNS) + 8  # two changes a year
    checked = 0
    for turn in turns:
        for clock in CLOCKS:
            for minutes in range(0, 300, 7):
                moment = saved_at(turn - timedelta(hours=2), minutes, clock)
                aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
                assert facts_module._recorded_on(moment) == aware.astimezone(AMSTERDAM).date()
                checked += 1
    assert checked > 5_000
    assert facts_module._DAY_OF_HOUR  # the hours were kept (this tested the kept days)


@settings(max_examples=400, deadline=None)
@given(
    moments=st.lists(
        st.builds(
            saved_at,
            st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)).map(
                lambda moment: moment.replace(tzinfo=UTC)
            ),
            st.integers(0, 59),
            st.sampled_from(CLOCKS)
            | st.integers(-14 * 60, 14 * 60).map(
                lambda minutes: timezone(timedelta(minutes=minutes))
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_day_of_an_hour_on_any_clock(moments: list[datetime]) -> None:
    for moment in [*moments, *(m + timedelta(minutes=m.minute % 7 * 9) for m in moments)]:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        assert facts_module._recorded_on(moment) == aware.astimezone(AMSTERDAM).date()


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from(RULES),
    start=st.integers(0, 400),
    ends=st.none() | st.integers(0, 300),
    skipped=st.none() | st.integers(0, 60),
    first=st.integers(-50, 800),
)
def test_the_first_day_by_number_is_first_day_on_or_after(
    rule: str, start: int, ends: int | None, skipped: int | None, first: int
) -> None:
    begin = FIRST_DAY + timedelta(days=start)
    plan = FollowUpPlan(rule, begin, ends_on=None if ends is None else begin + timedelta(days=ends))
    if skipped is not None:
        days = [d for d in _days(plan, begin, begin + timedelta(days=120))]
        if days:
            day = days[min(skipped, len(days) - 1)]
            plan = FollowUpPlan(
                plan.rule,
                plan.start,
                ends_on=plan.ends_on,
                changes=(OccurrenceChange(day, "skip", None, "ziek"),),
            )
    asked = FIRST_DAY + timedelta(days=first)
    expected = first_day_on_or_after(plan, asked)
    found = first_day_number_finder(plan)(asked.toordinal())
    assert found == (None if expected is None else expected.toordinal())


def _days(plan: FollowUpPlan, first: date, last: date) -> list[date]:
    from kindcheck.followup import occurrence_days

    return occurrence_days(plan, first, last)


def test_a_day_past_the_last_date_is_none_as_before() -> None:
    plan = FollowUpPlan("FREQ=WEEKLY;INTERVAL=2", date(9999, 12, 1))
    asked = date(9999, 12, 30)
    assert first_day_on_or_after(plan, asked) is None
    assert first_day_number_finder(plan)(asked.toordinal()) is None


def test_the_cells_of_a_session_are_the_cells_session_counts() -> None:
    """Every combination of a checked session's facts: Tally.session_cells, then its
    children, domains and steps, adds the same cells in the same order as Tally.session."""
    from itertools import product

    from kindcheck.export.counts import domain_cell

    for kind, completed, minor, count, flag, signal, timing, setting in product(
        ("intake", "followup"),
        (True, False),
        (True, False),
        (None, 0, 1, 2, 3, 5),
        (True, False),
        (True, False),
        (None, "on_time", "late"),
        (None, "ggz", "sociaal_domein"),
    ):
        domains = tuple(SCAN_DOMAINS[: count or 0])
        for children, steps in ((0, 0), (2, 3)):
            expected: dict[str, int] = {"before": 1}
            Tally.session(
                expected,
                kind,
                completed,
                minor,
                children,
                count,
                domains,
                flag,
                signal,
                steps,
                timing,
                setting,
            )
            found: dict[str, int] = {"before": 1}
            before, middle, after = Tally.session_cells(
                kind, completed, minor, count, flag, signal, timing, setting
            )
            for key in before:
                found[key] = found.get(key, 0) + 1
            if middle is not None:
                if children:
                    found["children_in_view"] = found.get("children_in_view", 0) + children
                for key in middle:
                    found[key] = found.get(key, 0) + 1
                for domain in domains:
                    found[domain_cell(domain)] = found.get(domain_cell(domain), 0) + 1
            for key in after:
                found[key] = found.get(key, 0) + 1
            if steps:
                found["meldcode_steps_taken"] = found.get("meldcode_steps_taken", 0) + steps
            assert list(found.items()) == list(expected.items())


def test_an_hour_that_spans_a_month_turn_counts_each_session_in_its_own_month() -> None:
    """On a clock 20 minutes ahead of UTC, 23:10 and 23:30 on 31 January are one hour of its
    clock but lie either side of midnight in Amsterdam (23:00 UTC): one intake in January,
    one in February, whichever is counted first."""
    clock = timezone(timedelta(minutes=20))
    for minutes in ((10, 30), (30, 10)):
        found = [
            ClientFacts(
                f"c{number}",
                [
                    StoredFacts(
                        f"s{number}",
                        f"c{number}",
                        date(2026, 1, 31),
                        datetime(2026, 1, 31, 23, minute, tzinfo=clock),
                        0,
                        [2, "intake", True, True, 1, None, False, False, None, None, [], None],
                    )
                ],
                None,
            )
            for number, minute in enumerate(minutes)
        ]
        facts_module._DAY_OF_HOUR.clear()
        new = outcome(new_close(found))
        assert new == outcome(old_close(found))
        assert {label for label, _cells in new[0]} == {"2026-01", "2026-02"}
