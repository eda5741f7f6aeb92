"""What the store keeps outside the vault file: the rollback check and the pending log.

The rollback check compares the vault's generation with the copy kept on this computer
(:mod:`.rollback`) at every unlock and keeps the warning until the user acknowledges it. The
pending log (:mod:`.pending`) holds the access-log entries of a vault that could only be read;
they go into its log at the next writable unlock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from kindcheck.accesslog import ACTIONS, OUTCOMES
from kindcheck.store.audit import _append_entry
from kindcheck.store.base import _StoreBase
from kindcheck.store.pending import NOTE
from kindcheck.store.rollback import RollbackStatus


class _Outside(_StoreBase):
    """The rollback check, its acknowledgement, and writing the pending log."""

    def _check_rollback(self) -> None:
        """Compare the vault's generation with the copy outside the file; warn if older.

        The warning is kept (a marker beside the counter) and shown at every unlock until the
        user acknowledges it (:meth:`acknowledge_rollback`); opening the vault never adopts
        the older generation. A restore through :meth:`restore` sets the outside copy itself,
        so it does not warn.
        """
        with self._mutex:
            counter, marker = self._rollback, self._marker
            if counter is None or marker is None:
                return
            generation = self.generation
            status = marker.read()
            outside = counter.read()
            self._outside_ready, self._outside_written = True, outside
            if (
                status is None
                and outside is not None
                and (generation is None or generation < outside)
            ):
                status = RollbackStatus(generation, outside, datetime.now(UTC).date())
                marker.write(status)
            self.rollback = status
            if generation is not None:
                self._remember_generation(generation)

    def acknowledge_rollback(self) -> None:
        """The user put this older copy back on purpose: one "restore" entry in the access
        log, the copy outside the file set to the vault's generation, the warning gone."""
        with self._mutex:
            status = self.rollback
            if status is None or self._rollback is None or self._marker is None:
                return
            found = "unknown" if status.found is None else str(status.found)
            self.log_access(
                "restore",
                None,
                f"an older copy of the vault (generation {found}; this computer had seen "
                f"{status.expected}) was accepted by the user on {date.today().isoformat()}",
            )
            generation = self.generation
            if generation is not None:
                self._rollback.write(generation)
                self._outside_written = generation
            self._marker.remove()
            self.rollback = None

    def _flush_pending(self) -> None:
        """Entries kept while the vault was read-only go into its log now, once."""
        pending = self._pending
        if pending is None or self._read_only:
            return
        entries = pending.entries()
        if not entries:
            return
        with self._write() as conn:
            present = {row.id for row in conn.execute("SELECT id FROM access_log")}
            for entry in entries:
                try:
                    row_id, at = str(entry["id"]), datetime.fromisoformat(str(entry["at"]))
                    action, outcome = str(entry["action"]), str(entry["outcome"])
                    reference = entry.get("client_reference")
                    detail, user = str(entry["detail"]) + NOTE, str(entry["user"])
                except (KeyError, TypeError, ValueError):
                    continue
                if row_id in present or action not in ACTIONS or outcome not in OUTCOMES:
                    continue
                ledger = self._ledger(conn)
                _append_entry(
                    conn,
                    self._require_open(),
                    ledger.state,
                    ledger.generation,
                    user,
                    action,
                    reference if isinstance(reference, str) else None,
                    detail,
                    outcome,
                    row_id=row_id,
                    at=at,
                )
        pending.clear()
