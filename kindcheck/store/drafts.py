"""The Store's drafts: unfinished forms, encrypted from the first answer."""

from __future__ import annotations

from functools import partial
from typing import Any, Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.records import Draft, _collect, _draft_data, _new_id, _now
from kindcheck.text import one_line

_DRAFT_COLUMNS: Final = "SELECT id, ref_index, format_version, data FROM draft"


class _Drafts(_StoreBase):
    """Drafts: a form is saved from its first answer, so nothing typed is lost."""

    def save_draft(
        self,
        payload: dict[str, Any],
        reference: str | None = None,
        draft_id: str | None = None,
    ) -> Draft:
        """Save a new draft, or update ``draft_id``. Encrypted before anything is written: if
        encryption fails, nothing is saved and VaultError says so."""
        if not isinstance(payload, dict):
            raise VaultError("a draft is a table of answers")
        reference = reference.strip() if isinstance(reference, str) and reference.strip() else None
        index = self._require_index()(reference) if reference else None
        now = _now()
        with self._write() as conn:
            created = now
            if draft_id is not None:
                row = conn.execute(_DRAFT_COLUMNS + " WHERE id = ?", (draft_id,)).first()
                if row is None:
                    raise VaultError("no such draft")
                created = self._draft_from_row(row).created_at
            draft = Draft(draft_id or _new_id(), reference, payload, created, now)
            blob = self._seal(conn, "draft", f"{draft.id}/{index or '-'}", _draft_data(draft))
            if draft_id is None:
                conn.execute(
                    "INSERT INTO draft (id, ref_index, format_version, data) VALUES (?, ?, ?, ?)",
                    (draft.id, index, RECORD_FORMAT, blob),
                )
                # Only a draft's creation is logged, not every autosave of it.
                self._log(conn, "create", draft.reference, f"draft {draft.id}")
            else:
                conn.execute(
                    "UPDATE draft SET ref_index = ?, format_version = ?, data = ? WHERE id = ?",
                    (index, RECORD_FORMAT, blob, draft.id),
                )
            self._ledger(conn).draft_saved(draft.id)
        return draft

    def get_draft(self, draft_id: str) -> Draft | None:
        with self._read() as conn:
            row = conn.execute(_DRAFT_COLUMNS + " WHERE id = ?", (draft_id,)).first()
        return None if row is None else self._draft_from_row(row)

    def list_drafts(self, damaged: list[str] | None = None) -> list[Draft]:
        """Every draft, most recently changed first."""
        with self._read() as conn:
            rows = conn.execute(_DRAFT_COLUMNS).all()
        found = [_collect(damaged, partial(self._draft_from_row, row)) for row in rows]
        return sorted((d for d in found if d is not None), key=lambda d: d.updated_at, reverse=True)

    def delete_draft(self, draft_id: str) -> None:
        """Delete a draft (no draft with that id is fine, and not logged)."""
        with self._write() as conn:
            row = conn.execute(_DRAFT_COLUMNS + " WHERE id = ?", (draft_id,)).first()
            if row is None:
                return
            reference, note = None, ""
            try:
                reference = self._draft_from_row(row).reference
            except RecordDamaged:
                note = " (damaged)"
            conn.execute("DELETE FROM draft WHERE id = ?", (draft_id,))
            self._ledger(conn).draft_removed(draft_id)
            self._log(conn, "delete", reference, f"draft {one_line(draft_id)}{note}")
