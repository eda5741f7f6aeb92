"""The Store's amendments of sessions: corrections of answers and moves to another client.

A session's answers, once stored, are never rewritten. An amendment is a record of its own
(table ``amendment``, storage schema 5, one row each, never changed once written) that holds
what the layer above made of it (its JSON: what changed, why, by whom, when) and the outcome of
the session's answers after it. Its place among the session's amendments is in the record
(``number``) and, with its generation, in the client's manifest (:mod:`.ledger`), so verify
names an amendment that was deleted, added or put back (:mod:`.consistency`).

Storing an amendment also seals the session's list header again from the answers after it
(lists and the home screen follow the correction), its body unchanged (one generation for
both), and its facts record (:mod:`.facts`) with the facts the layer above derives from the
answers after it, so the anonymised export and the due list count the corrected session.
Moving a session to another client seals the session's three blobs and its facts record again
for their new parent, re-parents the rows and moves its manifest entries, in the same
transaction as the "move" amendment and its access-log entry.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any, Final

from kindcheck.errors import VaultError
from kindcheck.store.audit import CLIENT_ID as RECORD_ID
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.facts import StoredFacts, _steps_taken, facts_value
from kindcheck.store.records import (
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
from kindcheck.store.sessions import _Sessions
from kindcheck.store.sqlite import Connection, Row
from kindcheck.text import one_line
from kindcheck.vault import RecordCipher

_SESSION_ROW: Final = (
    "SELECT id, client_id, format_version, header, body, meldcode FROM session WHERE id = ?"
)
_AMENDMENT_COLUMNS: Final = "SELECT id, session_id, format_version, data FROM amendment"
_OF_SESSION: Final = _AMENDMENT_COLUMNS + " WHERE session_id = ?"
_OF_CLIENT: Final = (
    "SELECT a.id, a.session_id, a.format_version, a.data FROM amendment AS a "
    "JOIN session AS s ON s.id = a.session_id WHERE s.client_id = ?"
)


def _kind(amendment: dict[str, Any]) -> str:
    kind = amendment.get("kind")
    return kind if kind in ("correction", "move") else "amendment"


class _Amendments(_Sessions):
    """Amendments: stored beside the session they change, applied in order by the layer above."""

    def amend_session(
        self,
        session_id: str,
        amendment: dict[str, Any],
        answers: dict[str, Any],
        outcome: dict[str, Any],
        facts: object = None,
    ) -> StoredAmendment:
        """Store ``amendment`` (its JSON; its ``id`` is the row's) after the session's earlier
        ones, with ``answers`` and ``outcome``: the session's answers after every amendment
        and their outcome, which the list header follows; ``facts``: what the reports count of
        those answers (as :meth:`save_session` takes them; None: pending). One "change"
        entry."""
        given = facts_value(facts)
        with self._write() as conn:
            row = self._session_row(conn, session_id)
            stored = self._insert_amendment(conn, row.id, row.client_id, amendment, outcome)
            self._reseal_session(conn, row, row.client_id, answers, outcome, given)
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
        facts: object = None,
    ) -> StoredAmendment:
        """Move a session (with its Meldcode steps, amendments and facts record) to another
        client, with the "move" ``amendment`` that says so, in one transaction. One "change"
        entry, about the client it moves to; it names neither reference (they are in the
        amendment)."""
        given = facts_value(facts)
        with self._write() as conn:
            row = self._session_row(conn, session_id)
            if row.client_id == to_client_id:
                raise VaultError("the session is already filed under that client")
            target = conn.execute("SELECT id FROM client WHERE id = ?", (to_client_id,))
            if target.first() is None:
                raise VaultError("no such client")
            ledger = self._ledger(conn)
            ledger.check_client(conn, to_client_id)
            # The session's manifest entries move first; the move's amendment follows them.
            ledger.session_moved(conn, row.client_id, to_client_id, row.id)
            stored = self._insert_amendment(conn, row.id, to_client_id, amendment, outcome)
            self._reseal_session(conn, row, to_client_id, answers, outcome, given)
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
            return _read_amendments(conn, self._require_open(), session_id)

    def client_amendments(self, client_id: str) -> dict[str, list[StoredAmendment]]:
        """The amendments of every session of a client, by session id, each list in order
        (RecordDamaged for one that cannot be read)."""
        with self._read() as conn:
            rows = conn.execute(_OF_CLIENT, (client_id,)).all()
        cipher = self._require_open()
        return _in_order([_decode_amendment(cipher, row) for row in rows])

    def all_amendments(
        self, damaged: list[str] | None = None
    ) -> dict[str, list[StoredAmendment] | None]:
        """Every amended session's amendments, by session id, each list in order. With
        ``damaged``, a damaged amendment is named there and its session maps to None: its
        current answers cannot be told, so the caller leaves the session out."""
        with self._read() as conn:
            rows = conn.execute(_AMENDMENT_COLUMNS).all()
        cipher = self._require_open()
        readable: list[StoredAmendment] = []
        broken: set[str] = set()
        for row in rows:
            stored = _collect(damaged, partial(_decode_amendment, cipher, row))
            if stored is None:
                broken.add(str(row.session_id))
            else:
                readable.append(stored)
        found: dict[str, list[StoredAmendment] | None] = dict(_in_order(readable))
        found.update(dict.fromkeys(broken))
        return found

    # -- inside -------------------------------------------------------------------------------

    def _session_row(self, conn: Connection, session_id: str) -> Row:
        row = conn.execute(_SESSION_ROW, (session_id,)).first()
        if row is None:
            raise VaultError("no such session")
        if row.format_version != RECORD_FORMAT:
            raise VaultError(
                f"record session/{one_line(row.id)} is in an old format and cannot be "
                "changed: restore a backup (`kindcheck restore`)"
            )
        self._ledger(conn).check_client(conn, row.client_id)
        return row

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
        taken = conn.execute("SELECT id FROM amendment WHERE id = ?", (amendment_id,))
        if taken.first() is not None:
            raise VaultError("this amendment was stored already; nothing was saved")
        count = conn.execute(
            "SELECT count(*) FROM amendment WHERE session_id = ?", (session_id,)
        ).scalar_one()
        stored = StoredAmendment(
            amendment_id, session_id, int(count) + 1, dict(amendment), dict(outcome), _now()
        )
        blob = self._seal(
            conn, "amendment", f"{amendment_id}/{session_id}", _amendment_data(stored)
        )
        conn.execute(
            "INSERT INTO amendment (id, session_id, format_version, data) VALUES (?, ?, ?, ?)",
            (amendment_id, session_id, RECORD_FORMAT, blob),
        )
        self._ledger(conn).amendment_saved(conn, client_id, session_id, amendment_id)
        return stored

    def _reseal_session(
        self,
        conn: Connection,
        row: Row,
        client_id: str,
        answers: dict[str, Any],
        outcome: dict[str, Any],
        facts: Any,
    ) -> None:
        """Seal the session's header (from the answers after the amendments), its body (as it
        was), for a move its Meldcode steps, and its facts record (``facts``) again, for
        ``client_id``."""
        cipher = self._require_open()
        old = self._session_from_row(row)
        body = dict(_open_body(cipher, row).value)
        steps = _open_steps(cipher, row).value
        taken = _steps_taken(_steps_from(row, steps))  # readable, or RecordDamaged: no change
        summary = replace(
            _summary_for(row.id, client_id, answers, outcome), saved_at=old.summary.saved_at
        )
        parent = f"{row.id}/{client_id}"
        header = self._seal(conn, "session.header", parent, _summary_data(summary))
        sealed_body = self._seal(conn, "session.body", parent, body)
        if client_id == row.client_id:
            conn.execute(
                "UPDATE session SET header = ?, body = ? WHERE id = ?",
                (header, sealed_body, row.id),
            )
        else:
            meldcode = self._seal(conn, "session.meldcode", parent, dict(steps))
            conn.execute(
                "UPDATE session SET client_id = ?, header = ?, body = ?, meldcode = ? WHERE id = ?",
                (client_id, header, sealed_body, meldcode, row.id),
            )
        # The facts record follows: the old one goes (under the client it was filed under),
        # a new one is sealed for the session's client now.
        conn.execute("DELETE FROM session_facts WHERE id = ?", (row.id,))
        record = StoredFacts(
            row.id, client_id, summary.session_date, summary.saved_at, taken, facts
        )
        self._write_facts(conn, record, new=True)
        if facts is None:
            self._ledger(conn).state.facts_pending += 1


def _read_amendments(
    conn: Connection, cipher: RecordCipher, session_id: str
) -> list[StoredAmendment]:
    """A session's amendments in order (RecordDamaged for one that cannot be read)."""
    rows = conn.execute(_OF_SESSION, (session_id,)).all()
    return _in_order([_decode_amendment(cipher, row) for row in rows]).get(session_id, [])


def _in_order(amendments: list[StoredAmendment]) -> dict[str, list[StoredAmendment]]:
    found: dict[str, list[StoredAmendment]] = {}
    for stored in amendments:
        found.setdefault(stored.session_id, []).append(stored)
    for listed in found.values():
        listed.sort(key=lambda stored: stored.number)
    return found
