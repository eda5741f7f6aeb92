"""Reading what the reports count: every session's facts record, in one pass.

See :mod:`.facts` for the record. :meth:`_Reporting.iter_facts` is what the anonymised export
and the due list read (plus the plans and the clients, each in one query): never the sessions
themselves, except for a record still pending. :meth:`_Reporting.complete_facts` fills in the
pending ones with the layer above's function.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, Final

from kindcheck.errors import RecordDamaged
from kindcheck.store.amendments import _read_amendments
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.facts import (
    FACTS_LABEL,
    StoredFacts,
    _checking_facts_opener,
    _decode_facts_values,
    _facts_data,
    _sound_facts_reader,
    _steps_from_values,
    _steps_taken,
    facts_opener,
    facts_value,
)
from kindcheck.store.records import (
    DamagedNote,
    StoredAmendment,
    StoredSession,
    _damaged,
    _decode_session_values,
)
from kindcheck.store.sqlite import Connection

_CHUNK: Final = 1000  # rows per fetch: bounded memory

# The table's primary key is (client_id, id) and it has no rowid: this reads it in key order.
_ALL_FACTS: Final = (
    "SELECT client_id, id, format_version, data FROM session_facts ORDER BY client_id, id"
)


def _has_facts_table(conn: Connection) -> bool:
    """Whether the vault has storage schema 4's facts (an older vault opened read-only, or for
    inspection, is not upgraded and has none)."""
    return _has_table(conn, "session_facts")


def _has_table(conn: Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).first()
    return found is not None


class _Reporting(_StoreBase):
    """Reading the facts records, and completing pending ones."""

    def iter_facts(
        self, damaged: list[str] | None = None, *, sessions: bool = True
    ) -> Generator[StoredFacts, None, None]:
        """Every session's facts record, client after client (a client's records one after
        the other; in no particular order within a client). One query, bounded memory. A
        pending record comes with its session (``StoredFacts.session``). A record that cannot
        be read, or a session without one (both only from damage or changes outside
        Kindcheck, which verify names), raises RecordDamaged; with ``damaged``, it is named
        there and skipped. ``sessions=False``: a pending record comes without its session
        (for a reader that needs only the dates and steps).

        The store is held while it is read: read it to the end, or close it (in the thread
        that read it; ``contextlib.closing``). An older vault opened read-only (not upgraded)
        has no facts records: then every session is read and each comes as a pending record.
        """
        with self._read() as conn:
            cipher = self._require_open()
            if not _has_facts_table(conn):
                yield from self._facts_from_sessions(conn, damaged)
                return
            missing, orphans = self._unmatched(conn)
            for session_id in sorted(missing):
                error = _damaged(
                    f"session/{session_id}",
                    "has no facts record (deleted outside Kindcheck): it is not counted; "
                    "`kindcheck verify` lists it",
                )
                if damaged is None:
                    raise error
                damaged.append(DamagedNote(str(error), error.record))
            # facts_opener, one call less per record: a sound record in one step, any other
            # checked step by step
            read_sound = _sound_facts_reader(cipher)
            open_checking = _checking_facts_opener(cipher)
            cursor = conn.driver.execute(_ALL_FACTS)
            while rows := cursor.fetchmany(_CHUNK):
                for client_id, session_id, version, blob in rows:
                    try:
                        if session_id in orphans:
                            raise _damaged(
                                f"session_facts/{session_id}",
                                "has no session (deleted outside Kindcheck): it is not counted",
                            )
                        found = (
                            read_sound(client_id, session_id, blob)
                            if version == RECORD_FORMAT
                            else None
                        )
                        if found is None:
                            found = open_checking(client_id, session_id, version, blob)
                        stored = found[0]
                        if stored.facts is None and sessions:
                            stored = self._with_session(conn, stored)
                    except RecordDamaged as error:
                        if damaged is None:
                            raise
                        damaged.append(DamagedNote.of(error, client_id))
                        continue
                    yield stored

    def _unmatched(self, conn: Connection) -> tuple[set[str], set[str]]:
        """Sessions without a facts record, and facts records without a session (only from
        changes outside Kindcheck): two counts (each an index's length) when they agree, the
        ids only when they do not."""
        sessions = conn.execute("SELECT count(*) FROM session").scalar_one()
        records = conn.execute("SELECT count(*) FROM session_facts").scalar_one()
        if sessions == records:
            return set(), set()
        without_facts = conn.execute(
            "SELECT id FROM session WHERE id NOT IN (SELECT id FROM session_facts)"
        ).all()
        without_session = conn.execute(
            "SELECT id FROM session_facts WHERE id NOT IN (SELECT id FROM session)"
        ).all()
        return {str(r.id) for r in without_facts}, {str(r.id) for r in without_session}

    def _with_session(self, conn: Connection, stored: StoredFacts) -> StoredFacts:
        """A pending record with its session (one query: pending records are few, see
        :meth:`complete_facts`)."""
        row = conn.driver.execute(
            "SELECT id, client_id, format_version, header, body FROM session WHERE id = ?",
            (stored.session_id,),
        ).fetchone()
        if row is None:
            raise _damaged(f"session_facts/{stored.session_id}", "has no session")
        session = _decode_session_values(self._require_open(), *row)
        if session.summary.client_id != stored.client_id:
            raise _damaged(f"session_facts/{stored.session_id}")
        return stored._replace(session=session, amendments=self._amendments_of(conn, session))

    def _amendments_of(
        self, conn: Connection, session: StoredSession
    ) -> tuple[StoredAmendment, ...]:
        """A session's amendments, in order, for deriving its facts (none in a vault before
        storage schema 5, opened read-only and not upgraded)."""
        if not _has_table(conn, "amendment"):
            return ()
        return tuple(_read_amendments(conn, self._require_open(), session.id))

    def _facts_from_sessions(
        self, conn: Connection, damaged: list[str] | None
    ) -> Iterator[StoredFacts]:
        """Pending records made from the sessions themselves (a vault without facts records),
        client after client (the index on the sessions' client)."""
        cipher = self._require_open()
        cursor = conn.driver.execute(
            "SELECT id, client_id, format_version, header, body, meldcode FROM session "
            "ORDER BY client_id"
        )
        while rows := cursor.fetchmany(_CHUNK):
            for session_id, client_id, version, header, body, meldcode in rows:
                try:
                    session = _decode_session_values(
                        cipher, session_id, client_id, version, header, body
                    )
                    steps = _steps_from_values(cipher, session_id, client_id, version, meldcode)
                except RecordDamaged as error:
                    if damaged is None:
                        raise
                    damaged.append(DamagedNote.of(error, client_id))
                    continue
                summary = session.summary
                yield StoredFacts(
                    session_id,
                    client_id,
                    summary.session_date,
                    summary.saved_at,
                    _steps_taken(steps),
                    None,
                    session,
                )

    def complete_facts(
        self,
        compute: Callable[[StoredSession, Sequence[StoredAmendment]], object],
        facts_format: int | None = None,
        is_current: Callable[[Any], bool] | None = None,
    ) -> int:
        """Give every pending facts record its facts, ``compute(session, amendments)`` (the
        layer above's function; the session's amendments in order), in one transaction; the
        number completed. ``facts_format``: the format of what ``compute`` makes (opaque
        here); when the vault's records were made in another (the state keeps the last one
        given), every record ``is_current`` (the layer above's test of a record's facts; none:
        every record) does not accept is made again too. Costs one read of the
        state record when none are pending (it counts them), and does nothing on a vault that
        can only be read. A session that cannot be read stays as it was (verify names it)."""
        if self._read_only:
            return 0
        with self._write() as conn:
            if not _has_facts_table(conn):
                return 0
            ledger = self._ledger(conn)
            renew = facts_format is not None and ledger.state.facts_format != facts_format
            if not ledger.state.facts_pending and not renew:
                return 0
            cipher = self._require_open()
            pending: dict[str, StoredFacts] = {}
            open_record = facts_opener(cipher)
            for client_id, session_id, version, blob in conn.driver.execute(_ALL_FACTS):
                try:
                    stored = _decode_facts_values(
                        open_record, client_id, session_id, version, blob
                    )[0]
                except RecordDamaged:
                    continue
                if stored.facts is None or (
                    renew and (is_current is None or not is_current(stored.facts))
                ):
                    pending[session_id] = stored
            rows = conn.driver.execute(
                "SELECT id, client_id, format_version, header, body FROM session"
            )
            completed: list[StoredFacts] = []
            for row in rows:
                stored_or_none = pending.get(row[0])
                if stored_or_none is None:
                    continue
                try:
                    session = _decode_session_values(cipher, *row)
                except RecordDamaged:
                    continue
                facts = facts_value(compute(session, self._amendments_of(conn, session)))
                completed.append(stored_or_none._replace(facts=facts))
            for stored in completed:
                record_id = f"{stored.session_id}/{stored.client_id}"
                blob = self._seal(conn, FACTS_LABEL, record_id, _facts_data(stored))
                conn.execute(
                    "UPDATE session_facts SET format_version = ?, data = ? "
                    "WHERE client_id = ? AND id = ?",
                    (RECORD_FORMAT, blob, stored.client_id, stored.session_id),
                )
            ledger.state.facts_pending = sum(
                1 for stored in pending.values() if stored.facts is None
            ) - sum(1 for stored in completed if pending[stored.session_id].facts is None)
            if renew:
                ledger.state.facts_format = facts_format
            self._finish(conn)  # the count is written even when nothing could be completed
            return len(completed)
