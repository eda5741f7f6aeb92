"""The vault operations behind the team lead's screens: the anonymised export, the access log,
and the passphrase (change it; set a new one with the recovery key).

Blocking, like every :class:`~.services.VaultService` method: call from thread workers only.
Each function takes the app's service and holds its lock while it uses the store, so an idle
lock waits for an export in progress instead of closing the store under it.

The export computes exactly what ``kindcheck export`` computes (kindcheck.commands_reports):
:func:`~kindcheck.reporting.session_facts` (which also gathers the questionnaire versions) and
:func:`~kindcheck.reporting.plan_facts` into :func:`kindcheck.export.aggregate`,
then :func:`kindcheck.export.suppress`, and the file is rendered by the CLI's own renderer.
What is logged follows the store's rules and the CLI: showing suppressed counts on screen reads
no client's data and writes no entry; saving them is one "export" entry; viewing the access log
is one "read" entry (with the client's reference when the view is of one client); saving a
client's log is one "export" entry about that client, and a refused write is logged refused.

This module reaches into the service (its lock and its open store) because the service has no
public door for these yet; see ``with_store``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kindcheck.errors import KindcheckError

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry
    from kindcheck.export import Counts, PeriodType, Table
    from kindcheck.store import Store

    from .services import VaultService

Progress = Callable[[int, int], None]


class ExportCancelled(Exception):
    """The screen that asked for the counts went away; stop reading."""


class OverwriteNeeded(KindcheckError):
    """The chosen file exists: ask before overwriting it (not an error to show)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


@contextlib.contextmanager
def with_store(service: VaultService) -> Iterator[Store]:
    """The service's open store, under the service's lock (VaultNotOpen when locked).

    The service has no public accessor for its store; this is the one place that uses its
    private lock and ``_open`` (a candidate for a ``VaultService.store()`` context manager).
    """
    with service._lock:
        yield service._open()


# ---------------------------------------------------------------------------------------------
# The anonymised export


@dataclass(frozen=True)
class ComputedCounts:
    """Exact counts for one period type, with what the screen says about them."""

    counts: Counts = field(repr=False)
    sessions: int
    damaged: int
    today: date


class _CountingStore:
    """The store, with every session read counted (for the progress bar and cancelling)."""

    def __init__(self, store: Store, tick: Callable[[], None]) -> None:
        self._store = store
        self._tick = tick

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def iter_sessions(self, damaged: list[str] | None = None) -> Iterator[Any]:
        for stored in self._store.iter_sessions(damaged=damaged):
            self._tick()
            yield stored


def count_sessions(service: VaultService) -> int:
    """How many sessions the vault holds (one SQL count, no decryption)."""
    with with_store(service) as store:
        return int(store.count_records().get("session", 0))


def compute_counts(
    service: VaultService,
    period: PeriodType,
    today: date,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    report_every: float = 0.1,
) -> ComputedCounts:
    """The exact counts as ``kindcheck export --period PERIOD`` computes them.

    The sessions are read twice (facts, then questionnaire versions, as the CLI does) and
    reduced once: ``progress(done, total)`` is called at most every ``report_every`` seconds
    and at the end, with total = 3 x the sessions counted first.
    """
    from kindcheck import export
    from kindcheck.reporting import plan_facts, session_facts

    with with_store(service) as store:
        sessions = int(store.count_records().get("session", 0))
        total = max(3 * sessions, 1)
        done = 0
        last_report = 0.0

        def tick() -> None:
            nonlocal done, last_report
            done += 1
            if cancelled():
                raise ExportCancelled()
            now = time.monotonic()
            if progress is not None and now - last_report >= report_every:
                last_report = now
                progress(min(done, total), total)

        if progress is not None:
            progress(0, total)
        counting = cast("Store", _CountingStore(store, tick))
        damaged: list[str] = []
        versions: dict[str, set[int]] = {}  # filled while the facts are read

        def facts() -> Iterator[Any]:
            for fact in session_facts(counting, damaged, versions):
                tick()
                yield fact

        counts = export.aggregate(
            facts(),
            plan_facts(store, today, damaged=damaged),
            period=period,
            questionnaires=versions,
        )
        if progress is not None:
            progress(total, total)
    return ComputedCounts(counts, sessions, len(set(damaged)), today)


def render_export(table: Table, file_format: str) -> bytes:
    """The file's bytes, by the same renderer as ``kindcheck export``."""
    from kindcheck import export
    from kindcheck.commands_reports import render_export

    return cast(bytes, render_export(export, table, file_format))


def _write(
    service: VaultService,
    path: str | Path,
    data: bytes,
    force: bool,
    reference: str | None,
    what: str,
) -> Path:
    """Write a checked file; an existing one raises OverwriteNeeded unless ``force``. Logs the
    export (or its refusal) in the access log."""
    from kindcheck.paths import OutputPathError, check_output_path, write_output

    with with_store(service) as store:
        try:
            check_output_path(path, force)
        except OutputPathError as error:
            if not force and _exists_plainly(path):
                raise OverwriteNeeded(Path(path)) from None
            with contextlib.suppress(KindcheckError):
                store.log_access("export", reference, f"{what} to {path}: {error}", "refused")
            raise
        try:
            written = write_output(path, data, force)
        except OutputPathError as error:
            with contextlib.suppress(KindcheckError):
                store.log_access("export", reference, f"{what} to {path}: {error}", "refused")
            raise
        store.log_access("export", reference, f"{what} to {written}")
        return written


def _exists_plainly(path: str | Path) -> bool:
    """Whether ``path`` is refused only because a file is there (overwriting may be asked)."""
    from kindcheck.paths import OutputPathError, check_output_path

    try:
        check_output_path(path, force=True)
    except OutputPathError:
        return False
    return True


def save_export(
    service: VaultService, table: Table, path: str | Path, file_format: str, force: bool = False
) -> Path:
    """Write the suppressed table as CSV or JSON; one "export" entry, as the CLI writes."""
    data = render_export(table, file_format)
    return _write(
        service, path, data, force, None, f"anonymised counts ({table.period_type}, {file_format})"
    )


# ---------------------------------------------------------------------------------------------
# The access log


@dataclass(frozen=True)
class LogView:
    entries: tuple[AccessEntry, ...]  # oldest first, as the store keeps them
    reference: str | None  # the filter, as typed
    damaged: int

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
    """The log (or one client's part of it); the viewing itself is one "read" entry, written
    first in the same transaction, as ``kindcheck log`` does."""
    damaged: list[str] = []
    with with_store(service) as store, store.batch():
        store.log_access("read", reference, "access log")
        entries = store.access_log(reference, damaged)
    return LogView(tuple(entries), reference, len(set(damaged)))


def save_client_log(
    service: VaultService, reference: str, path: str | Path, force: bool = False
) -> tuple[Path, int]:
    """One client's log entries as JSON (the format of ``kindcheck log -o``)."""
    from kindcheck.commands import log_document

    with with_store(service) as store:
        entries = store.access_log(reference)
        document = log_document(entries, reference, store.user_name)
    data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    written = _write(service, path, data, force, reference, f"access log ({len(entries)} entries)")
    return written, len(entries)


# ---------------------------------------------------------------------------------------------
# Passphrases


def change_passphrase(service: VaultService, old: str, new: str) -> None:
    """Rewrap the data key for ``new`` (WrongPassphrase when ``old`` is not the passphrase)."""
    with with_store(service) as store:
        store.change_passphrase(old, new)


def unlock_with_recovery(service: VaultService, recovery_key: str, new: str) -> None:
    """Open the vault with the recovery key and set ``new`` as the passphrase."""
    from kindcheck.store import Store

    with service._lock:
        if service._store is not None:
            raise KindcheckError("the vault is open already")
        service._store = Store.unlock_with_recovery(service.data_dir, recovery_key, new)
