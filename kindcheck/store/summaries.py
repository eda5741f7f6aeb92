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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kindcheck.errors import RecordDamaged
from kindcheck.store.audit import _open_state
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import DamagedNote, _open_sealed

if TYPE_CHECKING:
    from kindcheck.store.sqlite import Connection

NAME = "meta/caseload"


class _Summaries(_StoreBase):
    """The caseload summary (one encrypted document, a cache of the client records)."""

    def read_caseload_summary(self, damaged: list[str] | None = None) -> dict[str, Any] | None:
        """The summary document; None when there is none or it cannot be read (it is made
        again from the records, which it only repeats). With ``damaged``, a summary that does
        not decrypt (altered, or another vault's) is named there."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT format_version, value FROM meta WHERE name = 'caseload'"
            ).first()
            try:
                state = _open_state(conn, self._require_open(), self._state_cache)
            except RecordDamaged:
                state = None
        expected = state.caseload if state is not None else None
        try:
            if row is None:
                if expected is not None:
                    raise RecordDamaged(
                        "the caseload summary is missing (it was deleted outside Kindcheck)",
                        record=NAME,
                    )
                return None
            opened = _open_sealed(
                self._require_open(), NAME, "meta", "caseload", row.value, row.format_version
            )
            if expected is not None and opened.generation != expected:
                raise RecordDamaged(
                    "the caseload summary is not the one this vault last wrote (put back from "
                    "a copy?): it is made again from the records",
                    record=NAME,
                )
        except RecordDamaged as error:
            if damaged is not None:
                damaged.append(DamagedNote.of(error))
            return None
        document = opened.value.get("summary")
        return document if isinstance(document, dict) else None

    def write_caseload_summary(self, document: dict[str, Any]) -> None:
        """Replace the summary (one transaction). Not logged: it is written when the home
        screen or ``kindcheck due`` has read the records it repeats, and that read is not an
        opening of a file."""
        with self._write() as conn:
            blob = self._seal(conn, "meta", "caseload", {"summary": document})
            changed = conn.execute(
                "UPDATE meta SET format_version = ?, value = ? WHERE name = 'caseload'",
                (RECORD_FORMAT, blob),
            )
            if not changed.rowcount:
                conn.execute(
                    "INSERT INTO meta (name, format_version, value) VALUES ('caseload', ?, ?)",
                    (RECORD_FORMAT, blob),
                )
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


def drop_from_caseload_summary(store: _StoreBase, conn: Connection, client_id: str) -> None:
    """Take a deleted client's entry out of the summary, inside the deletion's write
    transaction; delete the summary whole when it cannot be opened."""
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
