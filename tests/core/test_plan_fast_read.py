"""Stored plans whose fields are plainly valid are read without checking twice (issue 17, the
month close): the fast reading gives exactly the plan the checking reading gives, and leaves
everything else to it, so a malformed or tampered plan is still damaged, named the same.

The adversary's test: plans as ``to_dict`` writes them, with and without revision and
history, then damaged one field at a time (a wrong type, a value that looks right but is
not, a key too many or too few, at the top or inside a version of the history).
"""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from support.vault import PASSPHRASE, flip_byte, make_answers, raw

from kindcheck.answers import session_from_dict
from kindcheck.errors import FollowUpError, RecordDamaged
from kindcheck.followup import FollowUpPlan, end_treatment, occurrences, skip
from kindcheck.followup.plan import PLAN_FIELDS, plainly_read
from kindcheck.outcome import compute_outcome
from kindcheck.service import plans
from kindcheck.service.recording import record_session
from kindcheck.store import DamagedNote, PlainPlan, Store
from kindcheck.store.envelope import seal_json

RULES = [
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;INTERVAL=3",
    "FREQ=MONTHLY",
    "FREQ=DAILY",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=YEARLY",
]

# Values a damaged or tampered field may hold: wrong types, and text that is nearly right.
ODD_VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        2,
        -1,
        1.0,
        "",
        "1",
        [],
        {},
        ["x"],
        {"a": 1},
        "2024-02-30",
        "2024-01-31",
        "20240131",
        "2024-W05-3",
        "2024-01-31T09:00:00",
        "2024-01-31T09:00:00+00:00",
        "2024-01-31 09:00",
        "09:00",
        "09:00:00",
        "09:00:00+01:00",
        "25:00",
        "freq=weekly",
        " FREQ=WEEKLY ",
        "RRULE:FREQ=WEEKLY",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=HOURLY",
        "safety",
        "SAFETY",
        "children",
    ]
)
ODD_KEYS = st.sampled_from(
    [*sorted(PLAN_FIELDS), "revision", "history", "valid_from", "plan", "extra", "Rule"]
)


@st.composite
def plan_dicts(draw: st.DrawFn) -> dict[str, Any]:
    start = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    plan = FollowUpPlan(
        draw(st.sampled_from(RULES)),
        start,
        time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
        ends_on=draw(st.none() | st.just(date(2042, 5, 12))),
    )
    if draw(st.booleans()):
        plan = end_treatment(plan, date(2030, 1, 1))
    if draw(st.integers(0, 4)) == 0:
        first = occurrences(plan, start, date(2026, 1, 1))
        if first:
            plan = skip(plan, first[0].date(), "reden")
    return plan.to_dict()


def _damage(draw: st.DrawFn, data: dict[str, Any]) -> None:
    """One field of ``data`` (a dict, changed in place) damaged."""
    how = draw(st.sampled_from(["value", "drop", "add"]))
    if how == "value" and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(ODD_VALUES)
    elif how == "drop" and data:
        del data[draw(st.sampled_from(sorted(data)))]
    else:
        data[draw(ODD_KEYS)] = draw(ODD_VALUES)


@st.composite
def stored_plans(draw: st.DrawFn) -> PlainPlan:
    data = draw(plan_dicts())
    versions = draw(st.integers(0, 3))
    # a revision from 1 (none for a plan that never changed), or one that is none
    revision = draw(st.sampled_from([None, None, 1, 2, 7, 0, -1, True, "1", 1.0]))
    if revision is not None:
        data["revision"] = revision
    if versions:
        data["history"] = [
            {"valid_from": f"2025-0{n + 1}-02T10:00:00+00:00", "plan": draw(plan_dicts())}
            for n in range(versions)
        ]
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):  # none, one or two fields damaged
        where = draw(st.sampled_from(["plan", "version", "version's plan"]))
        history = data.get("history")
        item = draw(st.sampled_from(history)) if isinstance(history, list) and history else None
        if where == "plan" or not isinstance(item, dict):
            _damage(draw, data)
        elif where == "version" or not isinstance(item.get("plan"), dict):
            _damage(draw, item)
        else:
            _damage(draw, item["plan"])
    rhythm = draw(st.sampled_from([None, "safety", "children", "concern", "SAFETY"]))
    return PlainPlan("p\x1b1", "c1", data, rhythm, datetime(2026, 1, 5, 12, tzinfo=UTC))


def _same_object(fast: object, slow: object) -> None:
    """Equal, and made of the same fields with values of the same types (a dataclass's
    equality leaves out the fields it does not compare, and what it keeps worked out)."""
    assert type(fast) is type(slow)
    if isinstance(slow, tuple):
        assert isinstance(fast, tuple) and len(fast) == len(slow)
        for mine, theirs in zip(fast, slow, strict=True):
            _same_object(mine, theirs)
    elif is_dataclass(slow):
        assert fast == slow
        assert list(vars(fast)) == list(vars(slow))
        for name, value in vars(slow).items():
            _same_object(vars(fast)[name], value)
    else:
        assert fast == slow


@settings(max_examples=400, deadline=None)
@given(stored_plans())
def test_the_fast_reading_agrees_with_the_checking_one(stored: PlainPlan) -> None:
    fast = plans._plainly_read(stored)
    try:
        slow = plans._checked_client_plan(stored)
    except RecordDamaged as damage:
        event("damaged")
        assert fast is None, "the fast reading accepted a plan the checks call damaged"
        with pytest.raises(RecordDamaged) as read:
            plans.to_client_plan(stored)
        assert str(read.value) == str(damage) == "record followup_plan/p1 is damaged or was moved"
        assert read.value.record == damage.record == "followup_plan/p\x1b1"
        return
    assert plans.to_client_plan(stored) == slow
    event("read fast" if fast is not None else "read with the checks")
    if fast is not None:
        if "_in_force" in vars(fast):  # worked out as the fast reading reads the versions
            assert fast.days_in_force == slow.days_in_force  # (and now worked out for slow)
        _same_object(fast, slow)


@settings(max_examples=300, deadline=None)
@given(plan_dicts(), st.booleans(), st.data())
def test_a_plan_version_reads_as_from_dict_reads_it(
    data: dict[str, Any], damaged: bool, draw: st.DataObject
) -> None:
    if damaged:
        _damage(draw.draw, data)
    try:
        slow = FollowUpPlan._checked_from_dict(data)
    except FollowUpError as error:
        if data.keys() == PLAN_FIELDS:
            assert plainly_read(data) is None
        with pytest.raises(FollowUpError) as read:
            FollowUpPlan.from_dict(data)
        assert str(read.value) == str(error)
        return
    _same_object(FollowUpPlan.from_dict(data), slow)
    if data.keys() == PLAN_FIELDS and (fast := plainly_read(data)) is not None:
        _same_object(fast, slow)


def test_the_plans_a_report_reads_take_the_fast_reading() -> None:
    """Plans as the app saves them, with their history, are read without the checks (or the
    close would not be faster); one with a change of occurrence is left to the checks."""
    plan = FollowUpPlan("FREQ=WEEKLY;INTERVAL=2", date(2025, 6, 11), ends_on=date(2042, 5, 12))
    data = {
        **plan.to_dict(),
        "revision": 1,
        "history": [{"valid_from": "2026-11-30T14:47:20+00:00", "plan": plan.to_dict()}],
    }
    stored = PlainPlan("p1", "c1", data, "safety", datetime(2026, 1, 5, 12, tzinfo=UTC))
    fast = plans._plainly_read(stored)
    assert fast is not None and fast == plans._checked_client_plan(stored)
    skipped = skip(plan, date(2025, 6, 25), "vakantie").to_dict()
    assert plainly_read(skipped) is None
    assert FollowUpPlan.from_dict(skipped).changes[0].original == date(2025, 6, 25)


def _noted(notes: list[str]) -> list[tuple[str, str | None, str | None]]:
    """The damaged notes with what they say about the record and its client."""
    assert all(isinstance(note, DamagedNote) for note in notes)
    return sorted(
        (str(note), note.record, note.client_id) for note in notes if isinstance(note, DamagedNote)
    )


def test_the_long_read_of_plans_names_damaged_plans_as_the_single_read(tmp_path: Path) -> None:
    """iter_plans (the close's read, straight from the columns) gives the plans and names the
    damaged ones exactly as list_plans (one row object each): a tampered blob, a format this
    version does not read, and records that decrypt but are no plan (beside one sealed the
    same way that is a plan, and reads)."""
    store, _recovery = Store.create(tmp_path / "v", PASSPHRASE, "t.tester")
    contents = [
        None,  # its blob tampered with
        None,  # its format changed
        {"plan": [], "rhythm": None, "updated_at": "2026-01-05T10:00:00+00:00"},
        {"plan": {}, "rhythm": "safety", "updated_at": 7},
        {"plan": {}, "rhythm": 3, "updated_at": "2026-01-05T10:00:00+00:00"},
        {"plan": {"any": 1}, "rhythm": None, "updated_at": "2026-01-05T10:00:00+00:00"},
        None,  # left alone
    ]
    blobs: dict[str, bytes] = {}
    with store:
        ids = {}
        for number, content in enumerate(contents):
            answers = session_from_dict(make_answers(f"EPD-{number}", when=date(2026, 1, 5)))
            client = record_session(store, answers, compute_outcome(answers)).client
            plan = FollowUpPlan("FREQ=WEEKLY;INTERVAL=2", date(2026, 1, 5))
            ids[client.id] = plans.save_plan(store, client.id, plan, "safety").id
            if content is not None:
                record_id = f"{ids[client.id]}/{client.id}"
                blobs[client.id] = seal_json(
                    store._require_open(), "followup_plan", record_id, content, 1
                )
    clients = list(ids)
    with raw(tmp_path / "v") as conn:
        conn.execute("UPDATE followup_plan SET format_version = 9 WHERE id = ?", (ids[clients[1]],))
        for client_id, blob in blobs.items():
            conn.execute("UPDATE followup_plan SET data = ? WHERE id = ?", (blob, ids[client_id]))
    flip_byte(tmp_path / "v", "followup_plan", "data", ids[clients[0]], position=20)
    with Store.unlock(tmp_path / "v", PASSPHRASE) as reopened:
        single: list[str] = []
        expected = reopened.list_plans(single)
        long: list[str] = []
        with reopened.reading():
            found = list(reopened.iter_plans(long))
    assert len(single) == 5
    assert sorted(p.client_id for p in expected) == sorted([clients[5], clients[6]])
    assert _noted(long) == _noted(single)
    assert sorted(found, key=lambda p: p.client_id) == sorted(expected, key=lambda p: p.client_id)
