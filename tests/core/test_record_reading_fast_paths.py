"""The month close's one-step reads of facts and client records agree with the checking path.

A report reads one facts record per session and checks the tag of every client record. A
sound current-format facts record is read in one step (kindcheck.store.facts
``_sound_facts_reader``), a client record's tag checked in one step (kindcheck.store.clients
``_authentic_client_check``); anything else goes the checking path, which names the damage.
What an adversary with the vault file tries against such a fast path: a record it accepts
that the checking path refuses (a flipped bit, a record moved to another session or client,
a changed version byte, an envelope or padding or JSON that is not as written, fields of the
wrong kind), or a record it reads differently (another date, time, offset, count or facts).
So on sound, tampered and malformed records alike: what the fast path gives is what the
checking path gives, byte for byte in its repr, and every sound record does take the fast path.
"""

from __future__ import annotations

import contextlib
import json
import struct
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.vault import PASSPHRASE, SESSION_DAY, flip_byte, make_answers, raw, record

from kindcheck.errors import RecordDamaged
from kindcheck.followup import FollowUpPlan
from kindcheck.service.counting import ClientFacts, _plan, read_clients
from kindcheck.service.plans import save_plan
from kindcheck.store import Store
from kindcheck.store import facts as store_facts
from kindcheck.store.clients import _authentic_client_check
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.facts import (
    FACTS_LABEL,
    _checking_facts_opener,
    _sound_facts_reader,
    facts_opener,
)
from kindcheck.vault import RecordCipher

CIPHER = RecordCipher(bytes(range(32)))
OTHER_KEY = RecordCipher(bytes(range(1, 33)))
SESSION, CLIENT = "5f0c2d1e-session", "9a7b-client"


def _outcome(open_record: Any, client_id: Any, session_id: Any, version: Any, blob: Any) -> str:
    """What opening a record gives, as text: the record and its generation, or the damage
    named (its message and record), or another error's type."""
    try:
        return repr(open_record(client_id, session_id, version, blob))
    except RecordDamaged as error:
        return f"damaged: {error} ({error.record})"
    except Exception as error:  # any other error must be the same one too
        return f"raised {type(error).__name__}"


def _assert_agree(client_id: Any, session_id: Any, version: Any, blob: Any) -> str:
    """The fast path, alone and as the store uses it, agrees with the checking path."""
    checking = _outcome(_checking_facts_opener(CIPHER), client_id, session_id, version, blob)
    assert _outcome(facts_opener(CIPHER), client_id, session_id, version, blob) == checking
    if version == RECORD_FORMAT:  # (what the store asks it: a current-format record)
        fast = _sound_facts_reader(CIPHER)(client_id, session_id, blob)
        if fast is not None:  # what it accepts, the checking path reads alike
            assert repr(fast) == checking
    return checking


def _short(value: Any) -> str:
    """A test case's id: a blob by its length and version byte (the full bytes make unreadable
    ids, and the nonce after the version byte differs from run to run and worker to worker)."""
    if isinstance(value, bytes | bytearray):
        return f"{len(value)}:{bytes(value[:1]).hex()}"
    if isinstance(value, str) and len(value) > 24:  # a blob as text
        return f"text:{len(value)}"
    return repr(value)[:24]


def _facts_record(value: Any, generation: int = 7) -> bytes:
    return seal_json(CIPHER, FACTS_LABEL, f"{SESSION}/{CLIENT}", value, generation)


def _sealed_plaintext(plaintext: bytes, cipher: RecordCipher = CIPHER) -> bytes:
    """A blob with this plaintext, encrypted as the record's own (its tag verifies)."""
    return cipher.encrypt(FACTS_LABEL, f"{SESSION}/{CLIENT}", plaintext, RECORD_FORMAT)


def _envelope(payload: bytes, padding: int = 100, *, start: bytes = b"KE\x01") -> bytes:
    return start + struct.pack(">QI", 7, len(payload)) + payload + bytes(padding)


# -- sound records --------------------------------------------------------------------------

offsets = st.builds(
    timezone,
    st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23)),
)
facts_values = (
    st.none()
    | st.lists(
        st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=12), max_size=6
    )
    | st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=6), max_size=4)
)


@settings(max_examples=150, deadline=None)
@given(
    st.dates(),
    st.datetimes(timezones=st.none() | offsets),
    st.integers(0, 2**40),
    facts_values,
    st.integers(0, 2**63),
)
def test_a_sound_record_takes_the_fast_path_and_reads_alike(
    day: date, saved_at: datetime, steps: int, facts: Any, generation: int
) -> None:
    value = {"date": day.isoformat(), "saved_at": saved_at.isoformat(), "steps": steps}
    blob = _facts_record(value | {"facts": facts}, generation)
    assert _sound_facts_reader(CIPHER)(CLIENT, SESSION, blob) is not None
    found = _assert_agree(CLIENT, SESSION, RECORD_FORMAT, blob)
    assert "damaged" not in found
    stored, read_generation = facts_opener(CIPHER)(CLIENT, SESSION, RECORD_FORMAT, blob)
    assert (stored.session_date, stored.saved_at, read_generation) == (day, saved_at, generation)
    assert stored.saved_at.utcoffset() == saved_at.utcoffset()


@pytest.mark.parametrize("kept", [4096, 2])
def test_one_date_read_many_times_reads_alike_each_time(
    kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a session date is parsed once and kept (a bounded number of them): later records of
    # that day, and of others after the kept ones were let go, read their own date
    monkeypatch.setattr(store_facts, "_DATES_KEPT", kept)
    read = _sound_facts_reader(CIPHER)
    days = [date(2026, 5, 19), date(2026, 5, 20), date(2026, 5, 21), date(2026, 5, 19)] * 2
    for number, day in enumerate(days):
        value = {
            "date": day.isoformat(),
            "facts": [number],
            "saved_at": "2026-11-30T14:54:42.631322+00:00",
            "steps": 0,
        }
        found = read(CLIENT, SESSION, _facts_record(value))
        assert found is not None
        assert (found[0].session_date, found[0].facts) == (day, [number])


# -- tampered and malformed records ----------------------------------------------------------

SOUND = _facts_record(
    {
        "date": "2026-05-19",
        "facts": [2, "followup", False, ["werk"]],
        "saved_at": "2026-11-30T14:54:42.631322+01:00",
        "steps": 1,
    }
)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SOUND) - 1), st.integers(1, 255))
def test_a_flipped_byte_is_named_alike(position: int, change: int) -> None:
    tampered = bytearray(SOUND)
    tampered[position] ^= change
    assert _assert_agree(CLIENT, SESSION, RECORD_FORMAT, bytes(tampered)).startswith("damaged")


@pytest.mark.parametrize(
    ("client_id", "session_id", "version", "blob"),
    [
        (CLIENT, "other-session", RECORD_FORMAT, SOUND),  # moved to another session
        ("other-client", SESSION, RECORD_FORMAT, SOUND),  # moved to another client
        (SESSION, CLIENT, RECORD_FORMAT, SOUND),  # ids swapped
        (CLIENT, SESSION, 1, SOUND),  # the format column changed
        (CLIENT, SESSION, 3, SOUND),
        (CLIENT, SESSION, 2.0, SOUND),  # a format stored as a real number
        (CLIENT, SESSION, RECORD_FORMAT, b"\x02" + SOUND[1:]),  # the version byte (no tag)
        (CLIENT, SESSION, RECORD_FORMAT, SOUND[:-1]),  # cut short
        (CLIENT, SESSION, RECORD_FORMAT, SOUND[:28]),
        (CLIENT, SESSION, RECORD_FORMAT, SOUND[:1]),
        (CLIENT, SESSION, RECORD_FORMAT, b""),
        (CLIENT, SESSION, RECORD_FORMAT, SOUND + b"\x00"),  # longer
        (CLIENT, SESSION, RECORD_FORMAT, SOUND.hex()),  # text, not a blob
        (CLIENT, SESSION, RECORD_FORMAT, None),
        (CLIENT, SESSION, RECORD_FORMAT, 12),
        (CLIENT, SESSION, RECORD_FORMAT, bytearray(SOUND)),
        (CLIENT, 17, RECORD_FORMAT, SOUND),  # an id that is not text
        (CLIENT, SESSION, RECORD_FORMAT, _sealed_plaintext(b"short")),
        (CLIENT, SESSION, RECORD_FORMAT, _sealed_plaintext(bytes(15))),
        (CLIENT, SESSION, RECORD_FORMAT, _sealed_plaintext(bytes(400))),
        (
            CLIENT,
            SESSION,
            RECORD_FORMAT,
            OTHER_KEY.encrypt(FACTS_LABEL, f"{SESSION}/{CLIENT}", b"x" * 400, RECORD_FORMAT),
        ),
    ],
    ids=_short,
)
def test_a_record_moved_cut_or_retyped_is_named_alike(
    client_id: Any, session_id: Any, version: Any, blob: Any
) -> None:
    _assert_agree(client_id, session_id, version, blob)


FIELDS = b'"date":"2026-05-19","facts":[1],"saved_at":"2026-11-30T14:54:42.631322+00:00","steps":1'


@pytest.mark.parametrize(
    "plaintext",
    [
        _envelope(b"{" + FIELDS + b"}"),  # sound (the control)
        _envelope(b"{" + FIELDS + b"}", padding=0),
        _envelope(b"{" + FIELDS + b"}", start=b"KF\x01"),  # the envelope's magic
        _envelope(b"{" + FIELDS + b"}", start=b"KE\x02"),  # its version
        _envelope(b"{" + FIELDS + b"}")[:-1] + b"\x01",  # padding that is not zero
        _envelope(b"{" + FIELDS + b"}  ")[:-102] + b"\x00" * 102,  # length beyond the payload
        _envelope(b"{" + FIELDS + b"}")[:11] + struct.pack(">I", 10**6) + b"{}",  # beyond it all
        _envelope(b" {" + FIELDS + b"}"),  # whitespace around the object
        _envelope(b"{" + FIELDS + b"} "),
        _envelope(b"[" + FIELDS + b"]"),
        _envelope(b"{" + FIELDS + b"}{}"),
        _envelope(b"{" + FIELDS),
        _envelope(b"{"),
        _envelope(b"}"),
        _envelope(b""),
        _envelope(b"{}"),
        _envelope(b'{"date":"2026-05-19","facts":[NaN],' + FIELDS[32:] + b"}"),  # json reads it
        _envelope(b'{"date":"2026-05-19","facts":["\\ud800"],' + FIELDS[32:] + b"}"),
        _envelope(b'{"steps":1,' + FIELDS + b"}"),  # a repeated key: the last one counts
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":-1') + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":true') + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":1.0') + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":"1"') + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":null') + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"steps":99999999999999999999') + b"}"),
        _envelope(b"{" + FIELDS.replace(b"[1]", b'"x"') + b"}"),
        _envelope(b"{" + FIELDS.replace(b"[1]", b"1") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"[1]", b"null") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"[1]", b"{}") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"2026-05-19", b"2026-02-30") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"2026-05-19", b"20260519") + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"2026-05-19"', b"[1]") + b"}"),  # unhashable
        _envelope(b"{" + FIELDS.replace(b'"2026-05-19"', b"20260519") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"+00:00", b"+25:00") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"+00:00", b"Z") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"+00:00", b"") + b"}"),
        _envelope(b"{" + FIELDS.replace(b"+00:00", b"-05:30") + b"}"),
        _envelope(b"{" + FIELDS.replace(b'"steps":1', b'"stap":1') + b"}"),  # a field missing
        _envelope(b'{"date":"2026-05-19","facts":[1],"steps":1}'),
    ],
    ids=_short,
)
def test_an_envelope_or_field_not_as_written_is_read_alike(plaintext: bytes) -> None:
    _assert_agree(CLIENT, SESSION, RECORD_FORMAT, _sealed_plaintext(plaintext))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 200), st.integers(0, 255))
def test_arbitrary_sealed_plaintext_is_read_alike(tail: bytes, cut: int, noise: int) -> None:
    # a sound plaintext with a part replaced by anything: the tag verifies, the rest may not
    sound = _envelope(b"{" + FIELDS + b"}")
    plaintext = sound[:cut] + tail + sound[cut + len(tail) :]
    if noise:
        plaintext = plaintext[:-1] + bytes([noise])
    _assert_agree(CLIENT, SESSION, RECORD_FORMAT, _sealed_plaintext(plaintext))


def test_json_the_fast_path_declines_is_read_by_the_checking_path() -> None:
    # NaN: orjson refuses it, the json module reads it (as before); never a damage of its own
    plaintext = _envelope(b'{"date":"2026-05-19","facts":[NaN],' + FIELDS[32:] + b"}")
    blob = _sealed_plaintext(plaintext)
    assert _sound_facts_reader(CIPHER)(CLIENT, SESSION, blob) is None
    stored, _generation = facts_opener(CIPHER)(CLIENT, SESSION, RECORD_FORMAT, blob)
    assert json.dumps(stored.facts) == "[NaN]"


# -- client records ----------------------------------------------------------------------------

CLIENT_RECORD = CIPHER.encrypt("client", CLIENT, bytes(512), RECORD_FORMAT)


def _opens(client_id: Any, blob: Any) -> bool | str:
    try:
        CIPHER.opener("client", RECORD_FORMAT)(client_id, bytes(blob))
    except RecordDamaged:
        return False
    except Exception as error:
        return f"raised {type(error).__name__}"
    return True


@pytest.mark.parametrize(
    ("client_id", "blob"),
    [
        (CLIENT, CLIENT_RECORD),
        ("other-client", CLIENT_RECORD),  # moved to another client (or swapped)
        ("", CLIENT_RECORD),
        (17, CLIENT_RECORD),  # an id that is not text: the checking path raises as before
        (CLIENT, b"\x02" + CLIENT_RECORD[1:]),
        (CLIENT, CLIENT_RECORD[:-1]),
        (CLIENT, CLIENT_RECORD[:28]),
        (CLIENT, b""),
        (CLIENT, CLIENT_RECORD.hex()),
        (CLIENT, None),
        (CLIENT, OTHER_KEY.encrypt("client", CLIENT, bytes(512), RECORD_FORMAT)),
        (CLIENT, CIPHER.encrypt("client", CLIENT, bytes(512), 1)),  # another format's
        (CLIENT, CIPHER.encrypt("followup_plan", CLIENT, bytes(512), RECORD_FORMAT)),
    ],
    ids=_short,
)
def test_a_client_record_is_authentic_exactly_when_it_opens(client_id: Any, blob: Any) -> None:
    authentic = _authentic_client_check(CIPHER)(client_id, blob)
    assert authentic is (_opens(client_id, blob) is True)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(CLIENT_RECORD) - 1), st.integers(1, 255))
def test_a_client_record_with_a_flipped_byte_is_not_authentic(position: int, change: int) -> None:
    tampered = bytearray(CLIENT_RECORD)
    tampered[position] ^= change
    assert _authentic_client_check(CIPHER)(CLIENT, bytes(tampered)) is False
    assert _opens(CLIENT, tampered) is False


# -- read_clients: grouping a client's records ---------------------------------------------------


def _read_clients_record_by_record(
    store: Store, damaged: list[str], tick: Callable[[], None] | None = None
) -> Iterator[ClientFacts]:
    """read_clients as it was (e111781): record by record."""
    plans = store.iter_plans(damaged)
    records = store.iter_facts(damaged)
    with contextlib.closing(plans), contextlib.closing(records):
        next_plan = next(plans, None)
        current: ClientFacts | None = None
        for record in records:
            if tick is not None:
                tick()
            if current is None or current.client_id != record.client_id:
                if current is not None:
                    yield current
                while next_plan is not None and next_plan.client_id < record.client_id:
                    yield ClientFacts(next_plan.client_id, [], _plan(next_plan, damaged))
                    next_plan = next(plans, None)
                plan = None
                if next_plan is not None and next_plan.client_id == record.client_id:
                    plan = _plan(next_plan, damaged)
                    next_plan = next(plans, None)
                current = ClientFacts(record.client_id, [], plan)
            current.records.append(record)
        if current is not None:
            yield current
        while next_plan is not None:
            yield ClientFacts(next_plan.client_id, [], _plan(next_plan, damaged))
            next_plan = next(plans, None)


def _events(read: Any, store: Store, ticking: bool) -> list[Any]:
    """Everything a reader of read_clients sees, in order: each tick, each client (its id,
    records and plan) with the damage named by then."""
    events: list[Any] = []
    damaged: list[str] = []
    with store.reading():
        tick = (lambda: events.append(("tick", len(damaged)))) if ticking else None
        for client in read(store, damaged, tick):
            plan = None if client.plan is None else repr(client.plan.plan)
            events.append((client.client_id, repr(client.records), plan, list(damaged)))
    return events


def test_read_clients_groups_as_record_by_record_did(tmp_path: Path) -> None:
    # clients with and without a plan, one with a plan only, one whose plan and one of whose
    # later facts records are damaged (its plan is made before that record is read): the same
    # clients, records, plans, ticks and damage, in the same order
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    sessions: dict[str, list[str]] = {}
    with store:
        for number in range(6):
            reference = f"EPD-{number:03d}"
            saved = record(store, make_answers(reference, problems=number % 4))
            client_id = saved.client.id
            sessions[client_id] = [saved.session.id]
            for visit in range(number % 3):
                when = SESSION_DAY + timedelta(days=30 * (visit + 1))
                answers = make_answers(reference, kind="followup", when=when)
                sessions[client_id].append(record(store, answers).session.id)
            if number % 2 or number == 2:
                plan = FollowUpPlan("FREQ=WEEKLY;INTERVAL=2", SESSION_DAY)
                save_plan(store, client_id, plan)
            if number == 2:
                damaged_client = client_id
        only_plan = store.add_client("EPD-PLAN")
        save_plan(store, only_plan.id, FollowUpPlan("FREQ=MONTHLY", SESSION_DAY))
    flip_byte(folder, "session_facts", "data", max(sessions[damaged_client]))
    with raw(folder) as conn:
        (blob,) = conn.execute(
            "SELECT data FROM followup_plan WHERE client_id = ?", (damaged_client,)
        ).fetchone()
        conn.execute(
            "UPDATE followup_plan SET data = ? WHERE client_id = ?",
            (blob[:40] + bytes([blob[40] ^ 1]) + blob[41:], damaged_client),
        )
    with Store.unlock(folder, PASSPHRASE) as opened:
        for ticking in (False, True):
            old = _events(_read_clients_record_by_record, opened, ticking)
            new = _events(read_clients, opened, ticking)
            assert new == old
    named = old[-1][-1]
    assert len(named) == 2
    assert "followup_plan" in named[0] and "session_facts" in named[1]
    ticks = [event for event in old if event[0] == "tick"]
    assert len(ticks) == sum(map(len, sessions.values())) - 1
