"""The access log as the command line and the screen show it: :func:`read_access_log`
(viewing it is itself one "read" entry, in the same transaction) and :func:`log_document` (the
JSON of ``kindcheck log -o`` and of a client's log saved from the screen), one for both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .reports import _write

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry
    from kindcheck.store import Store

    from .vault_service import VaultService
    from .views import DamagedRecord

__all__ = [
    "LOG_FORMAT",
    "LogView",
    "log_document",
    "log_entry_words",
    "log_file",
    "read_access_log",
    "read_log",
    "save_client_log",
]

LOG_FORMAT = "kindcheck-access-log"


def read_access_log(
    store: Store, reference: str | None = None, damaged: list[str] | None = None
) -> list[AccessEntry]:
    """The log (or one client's part of it), oldest first. The viewing itself is one "read"
    entry, written first in the same transaction: if it cannot be written, nothing is shown."""
    with store.batch():
        store.log_access("read", reference, "access log")
        return store.access_log(reference, damaged)


def log_document(
    entries: list[AccessEntry], reference: str | None, user: str | None
) -> dict[str, Any]:
    """The JSON form of (part of) the access log: every field of every entry, with its hash,
    so the organisation can check the chain of a full export."""
    from kindcheck import __version__

    return {
        "format": LOG_FORMAT,
        "format_version": 1,
        "tool_version": __version__,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "vault_user": user,
        "client_reference": reference,
        "entries": [{**entry.to_dict(), "hash": entry.hash} for entry in entries],
    }


def log_file(entries: list[AccessEntry], reference: str | None, user: str | None) -> bytes:
    """The bytes of an access-log file (``kindcheck log -o``, a client's log saved on screen)."""
    document = log_document(entries, reference, user)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class LogView:
    entries: tuple[AccessEntry, ...]  # oldest first, as the store keeps them
    reference: str | None  # the filter, as typed
    damaged: tuple[DamagedRecord, ...]  # entries that cannot be read, each named

    @property
    def client_reference(self) -> str | None:
        """The filter as the client's reference is written in the log ("demo-5" is shown as
        the "DEMO-5" the entries carry; the store compares references normalised)."""
        if self.reference is None:
            return None
        return next(
            (e.client_reference for e in reversed(self.entries) if e.client_reference),
            self.reference,
        )


def read_log(service: VaultService, reference: str | None = None) -> LogView:
    """The log for the screen, read as ``kindcheck log`` reads it (:func:`read_access_log`)."""
    from .damage import damaged_records

    damaged: list[str] = []
    with service.store() as store:
        entries = read_access_log(store, reference, damaged)
    return LogView(tuple(entries), reference, damaged_records(damaged))


def save_client_log(
    service: VaultService, reference: str, path: str | Path, force: bool = False
) -> tuple[Path, int]:
    """One client's log entries as JSON (the file of ``kindcheck log -o``)."""
    with service.store() as store:
        entries = store.access_log(reference)
        data = log_file(entries, reference, store.user_name)
    written = _write(service, path, data, force, reference, f"access log ({len(entries)} entries)")
    return written, len(entries)


def log_entry_words(entry: AccessEntry, lang: str) -> tuple[str, str, str]:
    """An entry's action, outcome and detail as a person reading ``lang`` says them (the
    stored English detail is part of the hash chain; it is translated only for display)."""
    from kindcheck.accesslog import action_name, describe, outcome_name

    return (
        action_name(entry.action, lang),
        outcome_name(entry.outcome, lang),
        describe(entry.detail, lang),
    )
