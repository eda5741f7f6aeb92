"""The Store's release ledger: what the anonymised export has released, kept in the vault.

One record, ``meta/releases``, sealed like every record (its generation in the envelope,
associated data binding its name). The store never looks inside (the export's ledger document,
kindcheck.export.release): it keeps it, and the state record keeps its generation and the hash
of its newest release, so a ledger put back from an older copy of the vault (which would let
a period be released a second time, differently) is refused, not used. No table of its own:
the ledger rides in ``meta``, so it needs no storage schema of its own.
"""

from __future__ import annotations

from typing import Any

from kindcheck.errors import RecordDamaged
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import _damaged, _open_sealed

_NAME = "meta/releases"


class _Releases(_StoreBase):
    """The export's release ledger (one encrypted document)."""

    def read_release_ledger(self) -> dict[str, Any] | None:
        """The ledger document; None before the first release. RecordDamaged when it cannot
        be read, or is not the one the vault's state says was written last."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT format_version, value FROM meta WHERE name = 'releases'"
            ).first()
            state = self._ledger_state(conn)
        expected = state.releases if state is not None else None
        if row is None:
            if expected is not None:
                raise RecordDamaged(
                    "the release ledger is missing (it was deleted outside Kindcheck)",
                    record=_NAME,
                )
            return None
        opened = _open_sealed(
            self._require_open(), _NAME, "meta", "releases", row.value, row.format_version
        )
        if expected is not None and opened.generation != expected:
            raise RecordDamaged(
                "the release ledger is older than the one this vault last wrote (put back "
                "from a copy?): nothing is released from it",
                record=_NAME,
            )
        document = opened.value.get("ledger")
        if not isinstance(document, dict):
            raise _damaged(_NAME)
        return document

    def write_release_ledger(self, document: dict[str, Any], head: str) -> None:
        """Replace the ledger (one transaction). Not logged by itself: a release reads no
        client's data, and the file made from it is logged as the export."""
        with self._write() as conn:
            blob = self._seal(conn, "meta", "releases", {"ledger": document, "head": head})
            changed = conn.execute(
                "UPDATE meta SET format_version = ?, value = ? WHERE name = 'releases'",
                (RECORD_FORMAT, blob),
            )
            if not changed.rowcount:
                conn.execute(
                    "INSERT INTO meta (name, format_version, value) VALUES ('releases', ?, ?)",
                    (RECORD_FORMAT, blob),
                )
            ledger = self._ledger(conn)
            ledger.state.releases = ledger.generation
            ledger.state.releases_head = head

    def _ledger_state(self, conn: Any) -> Any:
        from kindcheck.store.audit import _open_state

        try:
            return _open_state(conn, self._require_open(), self._state_cache)
        except RecordDamaged:
            return None
