"""The faster reads of issue 17 (second round) give what the slower ones gave.

- Records are parsed with orjson, falling back to the json module for what orjson refuses: a
  record reads exactly as the json module reads it, and what the json module refused (JSON
  with whitespace around it, trailing data, not an object, broken UTF-8) is still damage.
- The month close's follow-ups due (``due_facts``) count the plan's days without making aware
  datetimes and find the days within each follow-up's window by bisection: the same days met
  and missed as judging every planned day, one by one, against every follow-up held.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck.errors import FollowUpError, RecordDamaged
from kindcheck.followup import FollowUpPlan, move, occurrences, skip
from kindcheck.service.plans import ClientPlan, PlanVersion
from kindcheck.service.reports import due_facts
from kindcheck.store.envelope import _HEADER, HEADER_BYTES, unseal


def _sealed(payload: bytes, padding: int = 16) -> bytes:
    return _HEADER.pack(b"KE", 1, 7, len(payload)) + payload + bytes(padding)


# -- parsing ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_a_record_reads_as_the_json_module_reads_it(value: dict[str, Any]) -> None:
    payload = json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    opened = unseal(_sealed(payload))
    assert opened.generation == 7
    assert json.dumps(opened.value, sort_keys=True) == json.dumps(
        json.loads(payload), sort_keys=True
    )


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a":"\\ud800"}',  # a lone surrogate escape: orjson refuses it, json reads it
        b'{"a":NaN}',  # json reads NaN (never written: seal_json refuses it)
        b'{"a":1,"a":2}',  # the last of a repeated key
    ],
)
def test_what_orjson_refuses_reads_as_before(payload: bytes) -> None:
    expected = json.loads(payload)
    found = unseal(_sealed(payload)).value
    assert repr(found) == repr(expected)


@pytest.mark.parametrize(
    "payload",
    [
        b' {"a":1}',  # whitespace before
        b'{"a":1} ',  # whitespace after
        b'{"a":1}{"b":2}',  # two documents
        b'{"a":1',  # cut short
        b"[1,2]",  # not an object
        b'"text"',
        b'{"a":"\xff"}',  # not UTF-8
        b"",
    ],
)
def test_what_json_refused_is_still_damage(payload: bytes) -> None:
    with pytest.raises(RecordDamaged):
        unseal(_sealed(payload))


def test_padding_that_is_not_zero_is_still_damage() -> None:
    sealed = bytearray(_sealed(b'{"a":1}'))
    sealed[HEADER_BYTES + 8] = 1
    with pytest.raises(RecordDamaged):
        unseal(bytes(sealed))


# -- the month close's follow-ups due -----------------------------------------------------------


def _reference(
    plan: ClientPlan, held: list[date], today: date, window_days: int
) -> tuple[list[date], list[date]]:
    """The old way: every planned day (aware datetimes, per version in force), each judged
    against every follow-up held."""
    last_final = today - timedelta(days=window_days + 1)
    versions = plan.versions()
    due: set[date] = set()
    for number, version in enumerate(versions):
        first = version.plan.start
        if number:
            first = max(first, version.valid_from.date())
        last = last_final
        if number + 1 < len(versions):
            last = min(last, versions[number + 1].valid_from.date() - timedelta(days=1))
        due.update(moment.date() for moment in occurrences(version.plan, first, last))
    met, missed = [], []
    for day in sorted(due):
        near = any(abs((day - when).days) <= window_days for when in held)
        (met if near else missed).append(day)
    return met, missed


RULES = ("FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=WEEKLY;INTERVAL=6")
START = date(2024, 1, 8)


@st.composite
def plans(draw: Any) -> ClientPlan:
    rule = draw(st.sampled_from(RULES))
    start = START + timedelta(days=draw(st.integers(0, 60)))
    plan = FollowUpPlan(rule, start)
    for _ in range(draw(st.integers(0, 2))):
        days = [moment.date() for moment in occurrences(plan, start, start + timedelta(days=200))]
        if not days:
            break
        day = draw(st.sampled_from(days))
        if draw(st.booleans()):
            plan = skip(plan, day, "reason")
        else:
            target = day + timedelta(days=draw(st.integers(1, 5)))
            with contextlib.suppress(FollowUpError):  # a day taken already: left as it is
                plan = move(plan, day, target, "reason")
    history: tuple[PlanVersion, ...] = ()
    if draw(st.booleans()):
        earlier = FollowUpPlan(draw(st.sampled_from(RULES)), START)
        history = (PlanVersion(datetime(2024, 1, 1, tzinfo=UTC), earlier),)
    changed = datetime.combine(
        start + timedelta(days=draw(st.integers(0, 120))), datetime.min.time(), UTC
    )
    return ClientPlan(
        id="p",
        client_id="c",
        plan=plan,
        rhythm=None,
        updated_at=changed,
        revision=len(history),
        history=history,
    )


@settings(max_examples=300, deadline=None)
@given(
    plans(),
    st.lists(st.integers(-30, 400), max_size=8),
    st.integers(30, 420),
    st.integers(0, 10),
)
def test_due_facts_judges_every_planned_day_as_before(
    plan: ClientPlan, held_offsets: list[int], today_offset: int, window_days: int
) -> None:
    held = [START + timedelta(days=offset) for offset in held_offsets]
    today = START + timedelta(days=today_offset)
    facts = due_facts(plan, held, today, window_days)
    met, missed = _reference(plan, held, today, window_days)
    assert list(facts.due_held) == met
    assert list(facts.due_not_held) == missed
