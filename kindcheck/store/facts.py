"""Each session's facts: the small record the reports read instead of the session.

The anonymised export and the due list need little of a session: what the export's allowlist
counts, its date, and how many Meldcode steps were taken. Reading that from the sessions
themselves means decrypting every header and body (kilobytes each) and every Meldcode record,
on every report. So every session has a second, small record beside it, in the table
``session_facts`` (storage schema 4), sealed like every record (its generation in the envelope,
padded to one size, associated data binding the session and its client):

- ``facts``: JSON (an object or a list) the layer above derives from the session's answers
  and outcome when it saves the session (:meth:`Store.save_session`'s ``facts``). The store
  never looks inside: what to count is the domain's business (kindcheck.service.facts). None
  ("pending") when the caller gave none: a session saved before storage schema 4 (the
  migration writes every record pending) or saved without them; :meth:`Store.complete_facts`
  fills them in, with the function the layer above gives, and the state record counts the
  pending ones so that this costs nothing when there are none;
- ``date`` and ``saved_at``: the session's date and when it was saved (the order of a client's
  sessions), as in its header;
- ``steps``: how many of its Meldcode steps have a date, kept in step by
  :meth:`set_meldcode_step`.

:meth:`Store.iter_facts` (:mod:`.reporting`) reads them all in one query, client after client
(the table is kept in that order), with bounded memory. verify checks every facts record
against its session: the store's fields against the header and the Meldcode steps, and the
facts against what the layer above computes from the answers and outcome (``check_facts``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NamedTuple

import orjson
from cryptography.exceptions import InvalidTag

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.columns import FactsColumns
from kindcheck.store.envelope import (
    HEADER_BYTES,
    RECORD_FORMAT,
    SEALED_HEADER,
    SEALED_START,
    open_json,
    unseal,
)
from kindcheck.store.records import (
    MeldcodeStepRecord,
    StoredAmendment,
    StoredSession,
    _damaged,
    _open_steps,
    _steps_from,
)
from kindcheck.vault import BLOB_VERSION, NONCE_BYTES, RecordCipher

FACTS_LABEL: Final = "session.facts"


class StoredFacts(NamedTuple):
    """One session's facts record. ``facts`` is what the layer above gave (JSON: an object or
    a list; None: pending); ``session`` is the session itself, read only for a pending record
    (so the layer above can derive its facts, from it and its ``amendments``) and otherwise
    None. (A named tuple: a report
    makes one per session, and it is the quickest immutable record to make.)"""

    session_id: str
    client_id: str
    session_date: date
    saved_at: datetime
    meldcode_steps: int
    facts: Any
    session: StoredSession | None = None
    amendments: tuple[StoredAmendment, ...] = ()  # of ``session``, in order

    def with_steps(self, taken: int) -> StoredFacts:
        return self._replace(meldcode_steps=taken, session=None, amendments=())


def facts_value(facts: object) -> Any:
    """The facts a caller gives, as plain JSON data (a dict or a list; VaultError for
    anything else). Whether JSON can hold it is found when it is sealed."""
    if facts is None:
        return None
    if isinstance(facts, Mapping):
        return dict(facts)
    if isinstance(facts, list | tuple):
        return list(facts)
    raise VaultError("a session's facts are a table or a list of values")


def _steps_taken(steps: Mapping[str, MeldcodeStepRecord]) -> int:
    """How many Meldcode steps have a date (were taken)."""
    return sum(1 for step in steps.values() if step.done_on is not None)


def _facts_data(stored: StoredFacts) -> dict[str, Any]:
    return {
        "date": stored.session_date.isoformat(),
        "saved_at": stored.saved_at.isoformat(),
        "steps": stored.meldcode_steps,
        "facts": stored.facts,
    }


OpenRecord = Callable[[str, str, int, bytes], tuple["StoredFacts", int | None]]


def facts_opener(cipher: RecordCipher) -> OpenRecord:
    """What reads facts records, ``open(client_id, session_id, format, blob)``: the record and
    the generation that wrote it (RecordDamaged naming it). Made once for a long read: a
    report reads one per session, so this is the store's hottest path. A sound record of the
    current format is read in one step (:func:`_sound_facts_reader`); any other goes the
    checking path (:func:`_checking_facts_opener`), which names what is wrong with it."""
    read_sound = _sound_facts_reader(cipher)
    open_checking = _checking_facts_opener(cipher)

    def open_facts(
        client_id: str, session_id: str, format_version: int, blob: bytes
    ) -> tuple[StoredFacts, int | None]:
        if format_version == RECORD_FORMAT:
            found = read_sound(client_id, session_id, blob)
            if found is not None:
                return found
        return open_checking(client_id, session_id, format_version, blob)

    return open_facts


def _checking_facts_opener(cipher: RecordCipher) -> OpenRecord:
    """:func:`facts_opener` step by step, for a record of any format: each step checks what
    it reads (RecordDamaged naming the record)."""
    open_current = cipher.opener(FACTS_LABEL, RECORD_FORMAT)

    def open_facts(
        client_id: str, session_id: str, format_version: int, blob: bytes
    ) -> tuple[StoredFacts, int | None]:
        record_id = f"{session_id}/{client_id}"
        try:
            if format_version == RECORD_FORMAT:
                value, generation = unseal(open_current(record_id, bytes(blob)))
            else:
                value, generation = open_json(cipher, FACTS_LABEL, record_id, blob, format_version)
            return _stored_facts(client_id, session_id, value), generation
        except (RecordDamaged, KeyError, TypeError, ValueError):
            raise _damaged(f"session_facts/{session_id}") from None

    return open_facts


# What may go wrong in _sound_facts_reader's reader with a record that is not sound: it
# declines it then, and the checking path reads it (and names it damaged, or reads it as before).
_UNSOUND: Final = (InvalidTag, KeyError, TypeError, ValueError, IndexError, struct.error)
_DATES_KEPT: Final = 4096  # distinct session dates kept parsed: a few years' days


def _sound_facts_reader(
    cipher: RecordCipher,
) -> Callable[[str, str, bytes], tuple[StoredFacts, int | None] | None]:
    """``read(client_id, session_id, blob)``: a current-format (RECORD_FORMAT) facts record
    that is sound, as the checking path reads it, in one step, or None when it is not exactly
    as :func:`.envelope.seal_json` writes it (the checking path then reads it, and names it
    damaged as before). The same checks: the blob's version byte, the tag over the record's
    associated data, the envelope's start, its length and the zero padding after it, one JSON
    object in braces, steps a count, facts a table, a list or pending, the date and the time
    saved in ISO form. Only faster: a report reads one record per session, and the calls and
    messages the checking path makes for every record cost more than the decryption and the
    JSON. (Tests hold it to the checking path on sound, tampered and malformed records.)"""
    decrypt, prefix, id_length, suffix = cipher.decryption(FACTS_LABEL, RECORD_FORMAT)
    join = b"".join  # the associated data in one step
    unpack_header = SEALED_HEADER.unpack_from
    start, header_bytes, nonce_end = SEALED_START, HEADER_BYTES, 1 + NONCE_BYTES
    loads = orjson.loads
    day_of, time_of = date.fromisoformat, datetime.fromisoformat
    days: dict[str, date] = {}  # a session date is one of a few hundred days: parsed once
    make = tuple.__new__  # StoredFacts(...) without its Python-level __new__
    open_brace, close_brace = ord("{"), ord("}")

    def read(client_id: str, session_id: str, blob: bytes) -> tuple[StoredFacts, int | None] | None:
        try:
            if blob[0] != BLOB_VERSION:  # not covered by the tag: checked here
                return None
            ident = f"{session_id}/{client_id}".encode()
            plaintext = decrypt(
                blob[1:nonce_end],
                blob[nonce_end:],
                join((prefix, id_length(len(ident)), ident, suffix)),
            )
            begins, generation, length = unpack_header(plaintext)
            end = header_bytes + length
            if (
                begins != start
                # zero bytes from the payload's end to the plaintext's (none short of it)
                or plaintext.count(0, end) != len(plaintext) - end
                or plaintext[header_bytes] != open_brace
                or plaintext[end - 1] != close_brace
            ):
                return None
            value = loads(plaintext[header_bytes:end])
            if type(value) is not dict:
                return None
            steps, facts, text = value["steps"], value["facts"], value["date"]
            if type(steps) is not int or steps < 0 or not (facts is None or type(facts) in _JSON):
                return None
            day = days.get(text)
            if day is None:
                day = day_of(text)
                if len(days) >= _DATES_KEPT:
                    days.clear()
                days[text] = day
            stored = make(
                StoredFacts,
                (session_id, client_id, day, time_of(value["saved_at"]), steps, facts, None, ()),
            )
        except _UNSOUND:
            return None
        return stored, generation

    return read


def _decode_facts_values(
    open_facts: OpenRecord, client_id: str, session_id: str, format_version: int, blob: bytes
) -> tuple[StoredFacts, int | None]:
    """A facts record and the generation that wrote it; RecordDamaged naming it."""
    return open_facts(client_id, session_id, format_version, blob)


def _stored_facts(client_id: str, session_id: str, value: dict[str, Any]) -> StoredFacts:
    """A facts record's JSON as a record: KeyError, TypeError or ValueError if it is not one."""
    steps, facts = value["steps"], value["facts"]
    if type(steps) is not int or steps < 0 or not (facts is None or type(facts) in _JSON):
        raise TypeError
    return StoredFacts(
        session_id,
        client_id,
        date.fromisoformat(value["date"]),  # TypeError when not text
        datetime.fromisoformat(value["saved_at"]),
        steps,
        facts,
    )


_JSON: Final = (dict, list)


def _decode_facts(cipher: RecordCipher, row: FactsColumns) -> StoredFacts:
    return _decode_facts_values(
        facts_opener(cipher), row.client_id, row.id, row.format_version, row.data
    )[0]


def _steps_from_values(
    cipher: RecordCipher, session_id: str, client_id: str, version: int, blob: bytes
) -> dict[str, MeldcodeStepRecord]:
    row = _SessionSteps(session_id, client_id, version, blob)
    return _steps_from(row, _open_steps(cipher, row).value)


@dataclass(frozen=True, slots=True)
class _SessionSteps:
    id: str
    client_id: str
    format_version: int
    meldcode: bytes
