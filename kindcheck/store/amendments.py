"""The Store's amendments of sessions: corrections of answers and moves to another client.

A session's answers, once stored, are never rewritten. An amendment is a record of its own
(table ``amendment``, one row each, never changed once written) that holds what the layer above
made of it (its JSON: what changed, why, by whom, when) and the outcome of the session's
answers after it. Its place among the session's amendments is in the record (``number``) and,
with its generation, in the client's manifest (:mod:`.ledger`), so verify names an amendment
that was deleted, added or put back (:mod:`.consistency`).

Storing an amendment also seals the session's list header again from the answers after it
(lists, the home screen and the export follow the correction), and its body unchanged (one
generation for both). Moving a session to another client seals the session's three blobs
again for their new parent, re-parents the row and moves its manifest entries, in the same
transaction as the "move" amendment and its access-log entry.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from kindcheck.errors import VaultError
from kindcheck.store.audit import CLIENT_ID as RECORD_ID
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import (
    AmendmentColumns,
    StoredAmendment,
    _amendment_data,
    _collect,
    _decode_amendment,
    _now,
    _open_body,
    _open_steps,
    _steps_from,
    _summary_data,
    _summary_for,
)
from kindcheck.store.schema import _AMENDMENTS, _CLIENTS, _SESSIONS
from kindcheck.text import one_line


def _kind(amendment: dict[str, Any]) -> str:
    kind = amendment.get("kind")
    return kind if kind in ("correction", "move") else "amendment"


class _Amendments(_StoreBase):
    """Amendments: stored beside the session they change, applied in order by the layer above."""

    def amend_session(
        self,
        session_id: str,
        amendment: dict[str, Any],
        answers: dict[str, Any],
        outcome: dict[str, Any],
    ) -> StoredAmendment:
        """Store ``amendment`` (its JSON; its ``id`` is the row's) after the session's earlier
        ones, with ``answers`` and ``outcome``: the session's answers after every amendment
        and their outcome, which the list header follows. One "change" entry."""
        with self._write() as conn:
            row, _source = self._session_row(conn, session_id)
            stored = self._insert_amendment(conn, row.id, row.client_id, amendment, outcome)
            self._reseal_session(conn, row, row.client_id, answers, outcome)
            self._ledger(conn).content_saved(conn, row.client_id, row.id)
            self._log_client(
                conn, "change", row.client_id, f"session {row.id}: {_kind(amendment)} {stored.id}"
            )
        return stored

    def move_session(
        self,
        session_id: str,
        to_client_id: str,
        amendment: dict[str, Any],
        answers: dict[str, Any],
        outcome: dict[str, Any],
    ) -> StoredAmendment:
        """Move a session (with its Meldcode steps and amendments) to another client, with the
        "move" ``amendment`` that says so, in one transaction. One "change" entry, about the
        client it moves to; it names neither reference (they are in the amendment)."""
        with self._write() as conn:
            row, _source = self._session_row(conn, session_id)
            if row.client_id == to_client_id:
                raise VaultError("the session is already filed under that client")
            target = conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == to_client_id))
            if target.first() is None:
                raise VaultError("no such client")
            ledger = self._ledger(conn)
            ledger.check_client(conn, to_client_id)
            # The session's manifest entries move first; the move's amendment follows them.
            ledger.session_moved(conn, row.client_id, to_client_id, row.id)
            stored = self._insert_amendment(conn, row.id, to_client_id, amendment, outcome)
            self._reseal_session(conn, row, to_client_id, answers, outcome)
            self._log_client(
                conn,
                "change",
                to_client_id,
                f"session {row.id}: moved here from another client reference ({stored.id})",
            )
        return stored

    def session_amendments(self, session_id: str) -> list[StoredAmendment]:
        """A session's amendments, in the order they apply (RecordDamaged for one that
        cannot be read: the session's current answers cannot be told without it)."""
        with self._read() as conn:
            rows = conn.execute(
                select(_AMENDMENTS).where(_AMENDMENTS.c.session_id == session_id)
            ).all()
        return _in_order([self._amendment_from_row(row) for row in rows]).get(session_id, [])

    def client_amendments(self, client_id: str) -> dict[str, list[StoredAmendment]]:
        """The amendments of every session of a client, by session id, each list in order
        (RecordDamaged for one that cannot be read)."""
        with self._read() as conn:
            rows = conn.execute(
                select(_AMENDMENTS)
                .join(_SESSIONS, _SESSIONS.c.id == _AMENDMENTS.c.session_id)
                .where(_SESSIONS.c.client_id == client_id)
            ).all()
        return _in_order([self._amendment_from_row(row) for row in rows])

    def all_amendments(
        self, damaged: list[str] | None = None
    ) -> dict[str, list[StoredAmendment] | None]:
        """Every amended session's amendments, by session id, each list in order. With
        ``damaged``, a damaged amendment is named there and its session maps to None: its
        current answers cannot be told, so the caller leaves the session out."""
        with self._read() as conn:
            rows = conn.execute(select(_AMENDMENTS)).all()
        readable: list[StoredAmendment] = []
        broken: set[str] = set()
        for row in rows:
            stored = _collect(damaged, partial(self._amendment_from_row, row))
            if stored is None:
                broken.add(str(row.session_id))
            else:
                readable.append(stored)
        found: dict[str, list[StoredAmendment] | None] = dict(_in_order(readable))
        found.update(dict.fromkeys(broken))
        return found

    # -- inside -------------------------------------------------------------------------------

    def _amendment_from_row(self, row: AmendmentColumns) -> StoredAmendment:
        return _decode_amendment(self._require_open(), row)

    def _session_row(self, conn: Connection, session_id: str) -> tuple[Any, str]:
        row = conn.execute(select(_SESSIONS).where(_SESSIONS.c.id == session_id)).first()
        if row is None:
            raise VaultError("no such session")
        if row.format_version != RECORD_FORMAT:
            raise VaultError(
                f"record session/{one_line(row.id)} is in an old format and cannot be "
                "changed: restore a backup (`kindcheck restore`)"
            )
        self._ledger(conn).check_client(conn, row.client_id)
        return row, row.client_id

    def _insert_amendment(
        self,
        conn: Connection,
        session_id: str,
        client_id: str,
        amendment: dict[str, Any],
        outcome: dict[str, Any],
    ) -> StoredAmendment:
        amendment_id = amendment.get("id")
        if not isinstance(amendment_id, str) or not RECORD_ID.fullmatch(amendment_id):
            # The id is the row's, plain in the file: only a random id may go there.
            raise VaultError("an amendment needs a random id (32 hex digits)")
        taken = conn.execute(select(_AMENDMENTS.c.id).where(_AMENDMENTS.c.id == amendment_id))
        if taken.first() is not None:
            raise VaultError("this amendment was stored already; nothing was saved")
        count = conn.execute(
            select(func.count())
            .select_from(_AMENDMENTS)
            .where(_AMENDMENTS.c.session_id == session_id)
        ).scalar_one()
        stored = StoredAmendment(
            amendment_id, session_id, int(count) + 1, dict(amendment), dict(outcome), _now()
        )
        blob = self._seal(
            conn, "amendment", f"{amendment_id}/{session_id}", _amendment_data(stored)
        )
        conn.execute(
            insert(_AMENDMENTS).values(
                id=amendment_id, session_id=session_id, format_version=RECORD_FORMAT, data=blob
            )
        )
        self._ledger(conn).amendment_saved(conn, client_id, session_id, amendment_id)
        return stored

    def _reseal_session(
        self,
        conn: Connection,
        row: Any,
        client_id: str,
        answers: dict[str, Any],
        outcome: dict[str, Any],
    ) -> None:
        """Seal the session's header (from the answers after the amendments), its body (as it
        was) and, for a move, its Meldcode steps again, for ``client_id``."""
        cipher = self._require_open()
        old = self._session_from_row(row)
        body = dict(_open_body(cipher, row).value)
        summary = replace(
            _summary_for(row.id, client_id, answers, outcome), saved_at=old.summary.saved_at
        )
        parent = f"{row.id}/{client_id}"
        values: dict[str, Any] = {
            "header": self._seal(conn, "session.header", parent, _summary_data(summary)),
            "body": self._seal(conn, "session.body", parent, body),
        }
        if client_id != row.client_id:
            steps = _open_steps(cipher, row).value
            _steps_from(row, steps)  # readable, or RecordDamaged: nothing is moved
            values["client_id"] = client_id
            values["meldcode"] = self._seal(conn, "session.meldcode", parent, dict(steps))
        conn.execute(update(_SESSIONS).where(_SESSIONS.c.id == row.id).values(**values))


def _in_order(amendments: list[StoredAmendment]) -> dict[str, list[StoredAmendment]]:
    found: dict[str, list[StoredAmendment]] = {}
    for stored in amendments:
        found.setdefault(stored.session_id, []).append(stored)
    for listed in found.values():
        listed.sort(key=lambda stored: stored.number)
    return found
