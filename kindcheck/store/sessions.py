"""The Store's sessions (answers and outcome, as the layer above made them) and their Meldcode
steps. A session's small header serves lists; its body is decrypted only when needed. Each
session's facts record (:mod:`.facts`) is written with it and follows its Meldcode steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import Any, Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.facts import (
    FACTS_LABEL,
    StoredFacts,
    _decode_facts,
    _facts_data,
    _steps_taken,
    facts_value,
)
from kindcheck.store.records import (
    DamagedNote,
    MeldcodeStepRecord,
    SessionSummary,
    StoredSession,
    _collect,
    _decode_session_values,
    _new_id,
    _now,
    _open_steps,
    _session_order,
    _steps_data,
    _summary_data,
    _summary_for,
)
from kindcheck.store.sqlite import Connection
from kindcheck.text import one_line

_READ_CHUNK: Final = 2000  # rows per fetch when iterating everything: bounded memory
_HEADERS: Final = "SELECT id, client_id, format_version, header FROM session"
_SESSIONS: Final = "SELECT id, client_id, format_version, header, body FROM session"
_STEPS: Final = "SELECT id, client_id, format_version, meldcode FROM session WHERE id = ?"
_CLIENT_STEPS: Final = (
    "SELECT id, client_id, format_version, meldcode FROM session WHERE client_id = ?"
)
_FACTS_ROW: Final = (
    "SELECT id, client_id, format_version, data FROM session_facts WHERE client_id = ? AND id = ?"
)


class _Sessions(_StoreBase):
    """Sessions and the Meldcode steps recorded for each."""

    def save_session(
        self,
        client_id: str,
        answers: dict[str, Any],
        outcome: dict[str, Any],
        facts: object = None,
    ) -> SessionSummary:
        """Store a validated session (Session.to_dict()) with its outcome (outcome_to_json).

        ``facts``: what the reports count of it (JSON, an object or a list, the layer above
        derives from the answers and outcome, see :mod:`.facts`), sealed in its own record
        beside it. None: the layer above computes them later (:meth:`complete_facts`)."""
        summary = _summary_for(_new_id(), client_id, answers, outcome)
        record_id = f"{summary.id}/{client_id}"
        given = facts_value(facts)
        with self._write() as conn:
            exists = conn.execute("SELECT id FROM client WHERE id = ?", (client_id,)).first()
            if exists is None:
                raise VaultError("no such client")
            ledger = self._ledger(conn)
            ledger.check_client(conn, client_id)
            header = self._seal(conn, "session.header", record_id, _summary_data(summary))
            body = self._seal(
                conn,
                "session.body",
                record_id,
                {"answers": answers, "outcome": outcome, "recorded_by": self._user_name},
            )
            meldcode = self._seal(conn, "session.meldcode", record_id, {"steps": {}})
            conn.execute(
                "INSERT INTO session (id, client_id, format_version, header, body, meldcode) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (summary.id, client_id, RECORD_FORMAT, header, body, meldcode),
            )
            stored = StoredFacts(
                summary.id, client_id, summary.session_date, summary.saved_at, 0, given
            )
            self._write_facts(conn, stored, new=True)
            if given is None:
                ledger.state.facts_pending += 1
            ledger.session_saved(conn, client_id, summary.id)
            self._log_client(conn, "create", client_id, f"session {summary.id}")
        return summary

    def list_sessions(
        self, client_id: str, damaged: list[str] | None = None, *, log: bool = True
    ) -> list[SessionSummary]:
        """A client's sessions, oldest first (by session date, then saved time).

        This is *opening a client*: one "read" entry in the access log (none for a client
        that does not exist). ``log=False`` for internal use and for lists that only need
        dates (a due list), which are not an opening of the client's file.
        """
        with self._write(reading=True) if log else self._read() as conn:
            rows = conn.execute(_HEADERS + " WHERE client_id = ?", (client_id,)).all()
            if (
                log
                and conn.execute("SELECT id FROM client WHERE id = ?", (client_id,)).first()
                is not None
            ):
                self._log_client(conn, "read", client_id, f"client file ({len(rows)} sessions)")
        found = [
            _collect(damaged, partial(self._summary_from_row, row), row.client_id) for row in rows
        ]
        return sorted((s for s in found if s is not None), key=_session_order)

    def get_session(self, session_id: str, *, log: bool = True) -> StoredSession | None:
        """A session with its answers and outcome. This is *opening a session*: one "read"
        entry in the access log, written only when the session decrypts (``log=False`` for a
        session loaded as part of a client view that was logged already)."""
        with self._write(reading=True) if log else self._read() as conn:
            row = conn.execute(_SESSIONS + " WHERE id = ?", (session_id,)).first()
            if row is None:
                return None
            session = self._session_from_row(row)
            if log:
                self._log_client(conn, "read", row.client_id, f"session {row.id}")
        return session

    def iter_sessions(self, damaged: list[str] | None = None) -> Iterator[StoredSession]:
        """Every session with answers and outcome, in the order they were saved.

        Reads in chunks of one constant query (bounded memory, and the mutex is free between
        chunks). Without ``damaged`` the first damaged record raises; with it, damaged ones
        are named there and skipped.
        """
        last_rowid = 0
        while True:
            with self._read() as conn:
                rows = conn.driver.execute(
                    "SELECT rowid, id, client_id, format_version, header, body FROM session "
                    "WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (last_rowid, _READ_CHUNK),
                ).fetchall()
            if not rows:
                return
            last_rowid = rows[-1][0]
            cipher = self._require_open()
            for row in rows:
                try:
                    yield _decode_session_values(cipher, *row[1:])
                except RecordDamaged as error:
                    if damaged is None:
                        raise
                    damaged.append(DamagedNote.of(error, row[2]))

    def client_sessions(
        self, client_id: str, damaged: list[str] | None = None
    ) -> list[StoredSession]:
        """Every session of a client with answers and outcome, in no particular order. Writes
        no access-log entry: for checks inside an operation that logs itself (recording a
        session refuses the same answers twice), not for showing a client's file. With
        ``damaged``, damaged sessions are named there and skipped."""
        with self._read() as conn:
            rows = conn.execute(_SESSIONS + " WHERE client_id = ?", (client_id,)).all()
        found = [
            _collect(damaged, partial(self._session_from_row, row), row.client_id) for row in rows
        ]
        return [session for session in found if session is not None]

    # -- Meldcode steps --------------------------------------------------------------------------

    def meldcode_steps(self, session_id: str) -> dict[str, MeldcodeStepRecord]:
        """The Meldcode steps recorded for a session, by step id."""
        with self._read() as conn:
            row = conn.execute(_STEPS, (session_id,)).first()
        if row is None:
            raise VaultError("no such session")
        return self._steps_from_row(row)

    def client_meldcode_steps(
        self, client_id: str, damaged: list[str] | None = None
    ) -> dict[str, dict[str, MeldcodeStepRecord]]:
        """The Meldcode steps of every session of a client (session id -> step id -> step),
        in one query (a client's page shows them all). With ``damaged``, a session whose steps
        cannot be read is named there and left out of the result."""
        with self._read() as conn:
            rows = conn.execute(_CLIENT_STEPS, (client_id,)).all()
        found = {
            row.id: _collect(damaged, partial(self._steps_from_row, row), client_id) for row in rows
        }
        return {session_id: steps for session_id, steps in found.items() if steps is not None}

    def set_meldcode_step(
        self, session_id: str, step_id: str, done_on: date | None, note: str = ""
    ) -> MeldcodeStepRecord:
        """Record (or change) one Meldcode step of a session."""
        if not isinstance(step_id, str) or not step_id or len(step_id) > 64:
            raise VaultError("a Meldcode step needs an id")
        if done_on is not None and not isinstance(done_on, date):
            raise VaultError("a Meldcode step's date must be a date")
        record = MeldcodeStepRecord(step_id, done_on, str(note), _now())
        with self._write() as conn:
            row = conn.execute(_STEPS, (session_id,)).first()
            if row is None:
                raise VaultError("no such session")
            steps = self._steps_from_row(row)
            steps[step_id] = record
            ledger = self._ledger(conn)
            ledger.check_client(conn, row.client_id)
            parent = f"{row.id}/{row.client_id}"
            if row.format_version != RECORD_FORMAT:
                # A record the upgrade could not re-seal (damaged then): its format is the
                # row's, so the steps cannot be written without the rest of the row.
                raise VaultError(
                    f"record session/{one_line(row.id)} is in an old format and cannot be "
                    "changed: restore a backup (`kindcheck restore`)"
                )
            # The record's other keys (the Meldcode process: afwegingen, decisions, closing)
            # stay as they are.
            data = dict(_open_steps(self._require_open(), row).value)
            data.update(_steps_data(steps))
            blob = self._seal(conn, "session.meldcode", parent, data)
            conn.execute("UPDATE session SET meldcode = ? WHERE id = ?", (blob, session_id))
            self._steps_changed(conn, row.id, row.client_id, _steps_taken(steps))
            ledger.steps_saved(conn, row.client_id, row.id)
            self._log_client(
                conn, "change", row.client_id, f"Meldcode step {step_id} of session {session_id}"
            )
        return record

    # -- the facts record ----------------------------------------------------------------------

    def _write_facts(self, conn: Connection, stored: StoredFacts, *, new: bool = False) -> None:
        """Seal a session's facts record with this transaction's generation (a new one, or in
        place of the one there)."""
        blob = self._seal(
            conn, FACTS_LABEL, f"{stored.session_id}/{stored.client_id}", _facts_data(stored)
        )
        if new:
            conn.execute(
                "INSERT INTO session_facts (client_id, id, format_version, data) "
                "VALUES (?, ?, ?, ?)",
                (stored.client_id, stored.session_id, RECORD_FORMAT, blob),
            )
        else:
            conn.execute(
                "INSERT OR REPLACE INTO session_facts (client_id, id, format_version, data) "
                "VALUES (?, ?, ?, ?)",
                (stored.client_id, stored.session_id, RECORD_FORMAT, blob),
            )

    def _steps_changed(self, conn: Connection, session_id: str, client_id: str, taken: int) -> None:
        """The Meldcode steps of a session changed: its facts record follows. Its other fields
        are kept; a facts record that is missing or cannot be read is made again from the
        session's header, its facts left for :meth:`complete_facts`."""
        cipher = self._require_open()
        row = conn.execute(_FACTS_ROW, (client_id, session_id)).first()
        stored: StoredFacts | None = None
        if row is not None:
            try:
                stored = _decode_facts(cipher, row)
            except RecordDamaged:
                stored = None
        if stored is None:
            header = conn.execute(_HEADERS + " WHERE id = ?", (session_id,)).first()
            if header is None:
                raise VaultError("no such session")
            summary = self._summary_from_row(header)
            stored = StoredFacts(
                session_id, client_id, summary.session_date, summary.saved_at, taken, None
            )
            self._ledger(conn).state.facts_pending += 1
        else:
            stored = stored.with_steps(taken)
        self._write_facts(conn, stored)
