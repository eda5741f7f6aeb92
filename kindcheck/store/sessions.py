"""The Store's sessions (answers and outcome, as the layer above made them) and their Meldcode
steps. A session's small header serves lists; its body is decrypted only when needed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import Any, Final

from sqlalchemy import insert, select, update

from kindcheck.errors import VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import (
    MeldcodeStepRecord,
    SessionSummary,
    StoredSession,
    _collect,
    _new_id,
    _now,
    _session_order,
    _steps_data,
    _summary_data,
    _summary_for,
)
from kindcheck.store.schema import _CLIENTS, _SESSIONS, _rowid_col
from kindcheck.text import one_line

_READ_CHUNK: Final = 2000  # rows per SELECT when iterating everything: bounded memory


class _Sessions(_StoreBase):
    """Sessions and the Meldcode steps recorded for each."""

    def save_session(
        self, client_id: str, answers: dict[str, Any], outcome: dict[str, Any]
    ) -> SessionSummary:
        """Store a validated session (Session.to_dict()) with its outcome (outcome_to_json)."""
        summary = _summary_for(_new_id(), client_id, answers, outcome)
        record_id = f"{summary.id}/{client_id}"
        with self._write() as conn:
            exists = conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == client_id)).first()
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
                insert(_SESSIONS).values(
                    id=summary.id,
                    client_id=client_id,
                    format_version=RECORD_FORMAT,
                    header=header,
                    body=body,
                    meldcode=meldcode,
                )
            )
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
            rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                ).where(_SESSIONS.c.client_id == client_id)
            ).all()
            if (
                log
                and conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == client_id)).first()
                is not None
            ):
                self._log_client(conn, "read", client_id, f"client file ({len(rows)} sessions)")
        found = [_collect(damaged, partial(self._summary_from_row, row)) for row in rows]
        return sorted((s for s in found if s is not None), key=_session_order)

    def get_session(self, session_id: str, *, log: bool = True) -> StoredSession | None:
        """A session with its answers and outcome. This is *opening a session*: one "read"
        entry in the access log, written only when the session decrypts (``log=False`` for a
        session loaded as part of a client view that was logged already)."""
        with self._write(reading=True) if log else self._read() as conn:
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                    _SESSIONS.c.body,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
            if row is None:
                return None
            session = self._session_from_row(row)
            if log:
                self._log_client(conn, "read", row.client_id, f"session {row.id}")
        return session

    def iter_sessions(self, damaged: list[str] | None = None) -> Iterator[StoredSession]:
        """Every session with answers and outcome, in the order they were saved.

        Reads in chunks (bounded memory, and the mutex is free between chunks). Without
        ``damaged`` the first damaged record raises; with it, damaged ones are named there and
        skipped.
        """
        last_rowid = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    select(
                        _rowid_col.label("rowid"),
                        _SESSIONS.c.id,
                        _SESSIONS.c.client_id,
                        _SESSIONS.c.format_version,
                        _SESSIONS.c.header,
                        _SESSIONS.c.body,
                    )
                    .where(last_rowid < _rowid_col)
                    .order_by(_rowid_col)
                    .limit(_READ_CHUNK)
                ).all()
            if not rows:
                return
            last_rowid = rows[-1].rowid
            for row in rows:
                session = _collect(damaged, partial(self._session_from_row, row))
                if session is not None:
                    yield session

    def client_sessions(self, client_id: str) -> list[StoredSession]:
        """Every session of a client with answers and outcome, in no particular order. Writes
        no access-log entry: for checks inside an operation that logs itself (recording a
        session refuses the same answers twice), not for showing a client's file."""
        with self._read() as conn:
            rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                    _SESSIONS.c.body,
                ).where(_SESSIONS.c.client_id == client_id)
            ).all()
        return [self._session_from_row(row) for row in rows]

    # -- Meldcode steps --------------------------------------------------------------------------

    def meldcode_steps(self, session_id: str) -> dict[str, MeldcodeStepRecord]:
        """The Meldcode steps recorded for a session, by step id."""
        with self._read() as conn:
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.meldcode,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
        if row is None:
            raise VaultError("no such session")
        return self._steps_from_row(row)

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
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.meldcode,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
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
            blob = self._seal(conn, "session.meldcode", parent, _steps_data(steps))
            conn.execute(
                update(_SESSIONS).where(_SESSIONS.c.id == session_id).values(meldcode=blob)
            )
            ledger.steps_saved(conn, row.client_id, row.id)
            self._log_client(
                conn, "change", row.client_id, f"Meldcode step {step_id} of session {session_id}"
            )
        return record
