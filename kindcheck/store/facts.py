"""Each session's facts: the small record the reports read instead of the session.

The anonymised export and the due list need little of a session: what the export's allowlist
counts, its date, and how many Meldcode steps were taken. Reading that from the sessions
themselves means decrypting every header and body (kilobytes each) and every Meldcode record,
on every report. So every session has a second, small record beside it, in the table
``session_facts`` (storage schema 4), sealed like every record (its generation in the envelope,
padded to one size, associated data binding the session and its client):

- ``facts``: a JSON object the layer above derives from the session's answers and outcome when
  it saves the session (:meth:`Store.save_session`'s ``facts``). The store never looks inside:
  what to count is the domain's business (kindcheck.service.facts). None ("pending") when the
  caller gave none: a session saved before storage schema 4 (the migration writes every record
  pending) or saved without them; :meth:`Store.complete_facts` fills them in, with the
  function the layer above gives, and the state record counts the pending ones so that this
  costs nothing when there are none;
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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final, Protocol

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.envelope import open_json
from kindcheck.store.records import (
    MeldcodeStepRecord,
    StoredSession,
    _damaged,
    _iso_date,
    _iso_datetime,
    _open_steps,
    _steps_from,
)
from kindcheck.vault import RecordCipher

FACTS_LABEL: Final = "session.facts"


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """One session's facts record. ``facts`` is what the layer above gave (None: pending);
    ``session`` is the session itself, read only for a pending record (so the layer above can
    derive its facts) and otherwise None."""

    session_id: str
    client_id: str
    session_date: date
    saved_at: datetime
    meldcode_steps: int
    facts: dict[str, Any] | None
    session: StoredSession | None = None

    def with_steps(self, taken: int) -> StoredFacts:
        return replace(self, meldcode_steps=taken, session=None)


class FactsColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


def facts_value(facts: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The facts a caller gives, as a plain dict (VaultError for anything but a mapping)."""
    if facts is None:
        return None
    if not isinstance(facts, Mapping):
        raise VaultError("a session's facts are a table of values")
    return dict(facts)


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


def _decode_facts_values(
    cipher: RecordCipher, client_id: str, session_id: str, format_version: int, blob: bytes
) -> tuple[StoredFacts, int | None]:
    """A facts record and the generation that wrote it; RecordDamaged naming it."""
    name = f"session_facts/{session_id}"
    try:
        opened = open_json(cipher, FACTS_LABEL, f"{session_id}/{client_id}", blob, format_version)
    except (RecordDamaged, ValueError, TypeError):
        raise _damaged(name) from None
    value = opened.value
    try:
        steps, facts = value["steps"], value["facts"]
        if type(steps) is not int or steps < 0 or not (facts is None or type(facts) is dict):
            raise TypeError
        stored = StoredFacts(
            session_id,
            client_id,
            _iso_date(value["date"]),
            _iso_datetime(value["saved_at"]),
            steps,
            facts,
        )
    except (KeyError, TypeError, ValueError):
        raise _damaged(name) from None
    return stored, opened.generation


def _decode_facts(cipher: RecordCipher, row: FactsColumns) -> StoredFacts:
    return _decode_facts_values(cipher, row.client_id, row.id, row.format_version, row.data)[0]


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
