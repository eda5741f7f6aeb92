"""The Store's caseload summary: what the home screen lists of every client, kept in one
encrypted record so that a large caseload is shown without reading every client's records.

One record, ``meta/caseload``, sealed like every record (its generation in the envelope,
associated data binding its name). The document is the service's
(kindcheck.service.caseload_summary); the store keeps it. It holds nothing that is not in the
client's own records, and each entry names the generation of the client's records it was made
from: the service trusts an entry only while the vault's ledger (the state record, itself
protected against rollback) says that client's records are still of that generation, and
makes it again from the records otherwise. The state record also names the generation of the
summary last written: a summary put back from an older copy (or deleted outside Kindcheck)
is named as damaged and made again, like one altered or of another vault. verify names it too.

The store knows one thing of the document: ``clients`` maps each client's id to its entry.
Deleting a client takes its entry out in the same transaction (so the deleted client's
reference does not stay behind, and the rest of the summary stays current); a summary that
cannot be opened then is deleted whole. No table of its own: it rides in ``meta`` like the
release ledger.

Beside it, ``meta/caseload_due``: the part of the summary ``kindcheck due`` reads, alone
(a fifth of the size, no names, no scan counts). It is only ever written together with
``meta/caseload``, in the same transaction and so with the same generation, which the state
record pins for both; any other write of the summary (home's, a deletion's) deletes it, and
``due`` makes it again from ``meta/caseload`` without reading a client's records. A missing
one is therefore no damage; one put back from a copy, altered or of another vault is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kindcheck.errors import RecordDamaged
from kindcheck.store.audit import _open_state
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT, sealed_generation
from kindcheck.store.records import DamagedNote, _open_sealed

if TYPE_CHECKING:
    from kindcheck.store.sqlite import Connection

NAME = "meta/caseload"
DUE_NAME = "meta/caseload_due"


class _Summaries(_StoreBase):
    """The caseload summary (one encrypted document, a cache of the client records)."""

    def read_caseload_summary(self, damaged: list[str] | None = None) -> dict[str, Any] | None:
        """The summary document; None when there is none or it cannot be read (it is made
        again from the records, which it only repeats). With ``damaged``, a summary that does
        not decrypt (altered, or another vault's) is named there."""
        rows, expected = self._summary_rows()
        return self._open_summary(rows.get("caseload"), "caseload", expected, damaged)

    def read_caseload_due(self, damaged: list[str] | None = None) -> dict[str, Any] | None:
        """The due part of the summary (``meta/caseload_due``); None when there is none (it
        is made again from the summary) or it cannot be read (named in ``damaged``). None too
        when the summary itself is not the one the vault last wrote (missing, altered, put
        back, another vault's): the due part, written with it, is then not used, and reading
        the summary names what is wrong with it. The summary is only decrypted for that (its
        tag and generation checked), not read."""
        rows, expected = self._summary_rows()
        summary, due = rows.get("caseload"), rows.get("caseload_due")
        if summary is None or due is None or summary[0] != RECORD_FORMAT:
            return None
        try:
            plaintext = self._require_open().opener("meta", RECORD_FORMAT)("caseload", summary[1])
        except RecordDamaged:
            return None
        written = sealed_generation(plaintext)
        if written is None or (expected is not None and written != expected):
            return None
        return self._open_summary(due, "caseload_due", expected, damaged)

    def _summary_rows(self) -> tuple[dict[str, tuple[int, bytes]], int | None]:
        """The summary's rows (format, ciphertext) by name, and the generation the state
        record says they were last written with (None: not known)."""
        with self._read() as conn:
            rows = {
                name: (version, bytes(value))
                for name, version, value in conn.driver.execute(
                    "SELECT name, format_version, value FROM meta "
                    "WHERE name IN ('caseload', 'caseload_due')"
                )
            }
            try:
                state = _open_state(conn, self._require_open(), self._state_cache)
            except RecordDamaged:
                state = None
        return rows, state.caseload if state is not None else None

    def _open_summary(
        self,
        row: tuple[int, bytes] | None,
        row_name: str,
        expected: int | None,
        damaged: list[str] | None,
    ) -> dict[str, Any] | None:
        name = f"meta/{row_name}"
        try:
            if row is None:
                if expected is not None and row_name == "caseload":  # the due part may be
                    raise RecordDamaged(
                        "the caseload summary is missing (it was deleted outside Kindcheck)",
                        record=name,
                    )
                return None
            opened = _open_sealed(self._require_open(), name, "meta", row_name, row[1], row[0])
            if expected is not None and opened.generation != expected:
                raise RecordDamaged(
                    "the caseload summary is not the one this vault last wrote (put back from "
                    "a copy?): it is made again from the records",
                    record=name,
                )
        except RecordDamaged as error:
            if damaged is not None:
                damaged.append(DamagedNote.of(error))
            return None
        document = opened.value.get("summary")
        return document if isinstance(document, dict) else None

    def write_caseload_summary(
        self, document: dict[str, Any], due: dict[str, Any] | None = None
    ) -> None:
        """Replace the summary, and its due part with ``due`` (one transaction); without
        ``due`` the due part kept is deleted (it would no longer be the summary's). Not
        logged: it is written when the home screen or ``kindcheck due`` has read the records
        it repeats, and that read is not an opening of a file."""
        with self._write() as conn:
            _put_meta(conn, "caseload", self._seal(conn, "meta", "caseload", {"summary": document}))
            if due is None:
                conn.execute("DELETE FROM meta WHERE name = 'caseload_due'")
            else:
                blob = self._seal(conn, "meta", "caseload_due", {"summary": due})
                _put_meta(conn, "caseload_due", blob)
            ledger = self._ledger(conn)
            ledger.state.caseload = ledger.generation

    def home_records_intact(self) -> bool:
        """Whether every client record, session header and plan still decrypts (its tag
        verifies for its own row), without reading what they hold: what home lists from the
        summary stands on these. False at the first that does not (or that has an older
        format): the records are then read, and what cannot be read is named."""
        cipher = self._require_open()
        reads = (
            ("SELECT id, id, format_version, data FROM client", "client", False),
            ("SELECT id, client_id, format_version, header FROM session", "session.header", True),
            (
                "SELECT id, client_id, format_version, data FROM followup_plan",
                "followup_plan",
                True,
            ),
        )
        with self._read() as conn:
            for statement, label, with_parent in reads:
                open_current = cipher.opener(label, RECORD_FORMAT)
                for record_id, parent, version, blob in conn.driver.execute(statement):
                    if version != RECORD_FORMAT:
                        return False
                    try:
                        open_current(f"{record_id}/{parent}" if with_parent else record_id, blob)
                    except RecordDamaged:
                        return False
        return True


def _put_meta(conn: Connection, name: str, blob: bytes) -> None:
    changed = conn.execute(
        "UPDATE meta SET format_version = ?, value = ? WHERE name = ?", (RECORD_FORMAT, blob, name)
    )
    if not changed.rowcount:
        conn.execute(
            "INSERT INTO meta (name, format_version, value) VALUES (?, ?, ?)",
            (name, RECORD_FORMAT, blob),
        )


def drop_from_caseload_summary(store: _StoreBase, conn: Connection, client_id: str) -> None:
    """Take a deleted client's entry out of the summary, inside the deletion's write
    transaction; delete the summary whole when it cannot be opened. The due part goes whole
    (``kindcheck due`` makes it again from the summary, reading no client's records)."""
    conn.execute("DELETE FROM meta WHERE name = 'caseload_due'")
    row = conn.execute("SELECT format_version, value FROM meta WHERE name = 'caseload'").first()
    if row is None:
        return
    document: object = None
    try:
        opened = _open_sealed(
            store._require_open(), NAME, "meta", "caseload", row.value, row.format_version
        )
        document = opened.value.get("summary")
        clients = document.get("clients") if isinstance(document, dict) else None
    except RecordDamaged:
        clients = None
    ledger = store._ledger(conn)
    if not isinstance(clients, dict) or not isinstance(document, dict):  # not ours: made again
        conn.execute("DELETE FROM meta WHERE name = 'caseload'")
        ledger.state.caseload = None
        return
    if clients.pop(client_id, None) is None:
        return
    blob = store._seal(conn, "meta", "caseload", {"summary": document})
    conn.execute(
        "UPDATE meta SET format_version = ?, value = ? WHERE name = 'caseload'",
        (RECORD_FORMAT, blob),
    )
    ledger.state.caseload = ledger.generation
