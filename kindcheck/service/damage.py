"""Damaged records as the screens show them: the store's ``damaged`` notes (and a
:class:`~kindcheck.errors.RecordDamaged` caught here) as :class:`~.views.DamagedRecord`.

The store names a record it cannot read as ``table/id`` (the id as it is in the file) and,
where the row says so, the client it belongs to (:class:`kindcheck.store.DamagedNote`). Here
that becomes the record's kind, its id and, when the client's own record reads, the client's
reference: what a person needs to find it in a backup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

from kindcheck.errors import RecordDamaged

from .views import DamagedRecord

__all__ = ["damaged_record", "damaged_records"]

# The store's table names, as the kinds the screens word.
KINDS: Final = {
    "client": "client",
    "session": "session",
    "session_facts": "session",  # what the export counts of a session
    "followup_plan": "plan",
    "draft": "draft",
    "access_log": "log",
    "meta": "vault",
}


def damaged_record(
    record: str | None,
    client_id: str | None = None,
    references: Mapping[str, str] | None = None,
    held_on: date | None = None,
) -> DamagedRecord:
    """The record named ``table/id`` (None: not known) as a DamagedRecord; ``references``
    maps client ids to references, for the records of clients whose own record reads."""
    table, _, record_id = (record or "").partition("/")
    kind = KINDS.get(table, "vault" if table else "record")
    if kind == "client":
        client_id = record_id
    reference = (references or {}).get(client_id) if client_id and kind != "client" else None
    return DamagedRecord(kind, record_id, client_id, reference, held_on)


def damaged_records(
    notes: Iterable[str | RecordDamaged],
    references: Mapping[str, str] | None = None,
    dates: Mapping[str, date] | None = None,
) -> tuple[DamagedRecord, ...]:
    """Each damaged record once (the same record may be met by more than one reading), in
    the order met. ``notes``: the store's notes, or errors caught. ``dates``: session id ->
    the date of a session whose list header reads."""
    found: dict[tuple[str, str], DamagedRecord] = {}
    for note in notes:
        record = getattr(note, "record", None)
        client_id = getattr(note, "client_id", None)
        item = damaged_record(record, client_id, references)
        if item.kind == "session" and dates and item.record_id in dates:
            item = DamagedRecord(
                item.kind, item.record_id, item.client_id, item.reference, dates[item.record_id]
            )
        key = (item.kind, item.record_id if record else str(note))
        found.setdefault(key, item)
    return tuple(found.values())
