"""The reports: the anonymised export and the access log, one pipeline each for the command line
and the screens.

The export, in four steps: facts -> counts -> suppression -> render. :func:`count_vault` reads
every session's small facts record once (never the sessions themselves: see
kindcheck.service.facts), client by client beside the client's plan (:func:`read_clients`),
turns each into countable facts (:func:`session_facts`; the questionnaire versions are
gathered in the same pass) with one fact per follow-up plan, and counts them per period
(:func:`kindcheck.export.aggregate`). ``kindcheck export`` and the export screen both call it,
then :func:`kindcheck.export.suppress`, then :func:`render_table` for the file. The screen
passes a progress callback and a cancel check; every step it counts is work really done.

The access log's document and views are in :mod:`.access_log`.

What is logged follows the store's rules: showing suppressed counts on screen reads no client's
data and writes no entry; saving them is one "export" entry; saving a client's log is one
"export" entry about that client, and a refused write from the screen is logged refused.

The functions that take a :class:`~.vault_service.VaultService` are the screens' (blocking,
like every service method: call them from thread workers). They hold the service's session
while they use the store, so an idle lock waits for an export in progress instead of closing
the store under it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import KindcheckError

from .counting import ClientFacts, count_clients, due_facts, read_clients

if TYPE_CHECKING:
    from kindcheck.export import Counts, PeriodType, PlanFacts, SessionFacts, Table
    from kindcheck.export.release import Ledger
    from kindcheck.followup import FollowUpStatus
    from kindcheck.store import Store

    from .vault_service import VaultService
    from .views import DamagedRecord

__all__ = [
    "STEPS_PER_SESSION",
    "ClientFacts",
    "ComputedCounts",
    "ExportCancelled",
    "OverwriteNeeded",
    "Progress",
    "ReleasedTable",
    "compute_counts",
    "count_vault",
    "counts_detail",
    "due_facts",
    "ledger_table",
    "month_counts",
    "plan_facts",
    "read_clients",
    "read_ledger",
    "release_table",
    "release_vault",
    "render_release",
    "render_table",
    "save_export",
    "save_release",
    "scan_domain_names",
    "session_facts",
    "suppressed",
]

Progress = Callable[[int, int], None]
"""``progress(done, total)``: steps of the export done so far, of the total."""

# Each session costs three steps of an export: reading its facts record, completing its facts
# (with its client's other sessions and plan), counting them.
STEPS_PER_SESSION = 3


class ExportCancelled(Exception):
    """The screen that asked for the counts went away; stop reading."""


class OverwriteNeeded(KindcheckError):
    """The chosen file exists: ask before overwriting it (not an error to show)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


# ---------------------------------------------------------------------------------------------
# The anonymised export: facts -> counts -> suppression -> render
#
# facts        read_clients: every session's facts record (kindcheck.service.facts), client by
#              client beside the client's plan, in one pass over each table; client_facts adds
#              what needs the client's other sessions and plan (a follow-up's timing)
# counts       kindcheck.export.aggregate: exact counts per period (and add / merge)
# suppression  kindcheck.export.suppress: what may leave the laptop
# render       render_table: the CSV or JSON file


def session_facts(
    store: Store,
    damaged: list[str] | None = None,
    versions: dict[str, set[int]] | None = None,
    tick: Callable[[], None] | None = None,
) -> Iterator[SessionFacts]:
    """Each stored session reduced to countable facts (no text, no identity).

    Read from the sessions' facts records, never from the sessions themselves, in one pass.
    ``versions`` is filled with the questionnaire versions seen in that same pass; it is
    complete once the facts are read. ``tick`` is called after each record is read and after
    each session's facts are complete.
    """
    damaged = damaged if damaged is not None else []
    with store.reading():
        for client in read_clients(store, damaged, tick):
            for facts in _client_session_facts(client, versions, damaged):
                if tick is not None:
                    tick()
                yield facts


def _client_session_facts(
    client: ClientFacts, versions: dict[str, set[int]] | None, damaged: list[str]
) -> list[SessionFacts]:
    """A client's sessions as countable facts; the questionnaire versions into ``versions``."""
    from .caseload import DUE_WINDOW_DAYS
    from .facts import client_facts

    plan = client.plan.plan if client.plan is not None else None
    in_force = client.plan.in_force if client.plan is not None and client.plan.history else None
    return client_facts(client.records, plan, DUE_WINDOW_DAYS, damaged, versions, in_force)


def plan_facts(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[PlanFacts]:
    """One fact per plan: overdue now, counted in the period of the missed conversation."""
    from .caseload import followup_statuses

    return [_plan_fact(item.status) for item in followup_statuses(store, today, damaged)]


def _plan_fact(status: FollowUpStatus) -> PlanFacts:
    from kindcheck.export import PlanFacts
    from kindcheck.followup import FollowUpState

    overdue = status.state is FollowUpState.OVERDUE
    occurrence = status.occurrence
    return PlanFacts(overdue=overdue, due_on=occurrence.date() if overdue and occurrence else None)


def count_vault(
    store: Store,
    period: PeriodType,
    today: date | None = None,
    damaged: list[str] | None = None,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    report_every: float = 0.1,
) -> Counts:
    """The exact (unsuppressed) counts of the vault per ``period``, as ``kindcheck export`` and
    the export screen compute them. Follow-ups due are final as of ``today`` (default: today in
    Amsterdam); damaged records are named in ``damaged`` and left out.

    One read of the vault (one transaction): the clients, then the facts records and the plans
    side by side (:func:`read_clients`); each client's sessions and plan are counted as they
    come, so memory stays flat however large the vault.

    ``progress(done, total)`` is called first with 0, then at most every ``report_every``
    seconds, and last with total: three steps per session (its record read, its facts complete,
    its facts counted). ``cancelled()`` is asked at every step; when it says yes,
    ExportCancelled.
    """

    from .caseload import today_in_amsterdam

    today = today or today_in_amsterdam()
    damaged = damaged if damaged is not None else []
    tick: Callable[[], None] | None = None
    total = 0
    with store.reading():
        if progress is not None or cancelled is not None:
            sessions = int(store.count_records().get("session", 0))
            total = max(STEPS_PER_SESSION * sessions, 1)
            done = 0
            last_report = 0.0

            def tick() -> None:
                nonlocal done, last_report
                done += 1
                if cancelled is not None and cancelled():
                    raise ExportCancelled()
                now = time.monotonic()
                if progress is not None and now - last_report >= report_every:
                    last_report = now
                    progress(min(done, total), total)

            if progress is not None:
                progress(0, total)
        versions: dict[str, set[int]] = {}  # filled while the facts are read
        readable = store.readable_clients(damaged)
        counts = count_clients(store, period, today, damaged, versions, readable, tick)
    if progress is not None:
        progress(total, total)
    return counts


def read_ledger(store: Store) -> Ledger:
    """The vault's release ledger (empty before the first release)."""
    from kindcheck.errors import ExportError, RecordDamaged
    from kindcheck.export.release import Ledger

    try:
        return Ledger.from_dict(store.read_release_ledger())
    except RecordDamaged as error:
        raise ExportError(
            f"{error}. Nothing is released from a ledger that is not the newest: restore the "
            "newest backup of this vault"
        ) from None


def _needs_counting(ledger: Ledger, today: date) -> bool:
    """Whether a month may have closed since the ledger was written (else nothing to count)."""
    from kindcheck.export.release import closed_months

    if not ledger.months:
        return True
    closed = closed_months(min(ledger.months), today)
    return bool(closed) and closed[-1] not in ledger.months


def release_vault(
    store: Store,
    *,
    min_cell: int | None = None,
    raise_min_cell: int | None = None,
    damaged: list[str] | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Ledger:
    """THE export pipeline (``kindcheck export`` and the export screen): freeze the months
    closed since the last export, release every closed period not yet released (jointly with
    the earlier releases of its year), keep the ledger in the vault, and return it. Files are
    rendered from the returned ledger (:func:`render_release`); nothing is recomputed for a
    period already released. ``min_cell``: the threshold of the first release (later: must be
    the ledger's); ``raise_min_cell``: raise it for periods released from now on."""
    from kindcheck import __version__
    from kindcheck.export import SCAN_DOMAINS
    from kindcheck.export.release import all_domains
    from kindcheck.followup import AMSTERDAM

    now = datetime.now(AMSTERDAM)
    ledger = read_ledger(store)
    before = ledger.threshold
    threshold = ledger.settle_threshold(min_cell, raise_min_cell, now)
    frozen: list[str] = []
    if _needs_counting(ledger, now.date()):
        counts = count_vault(
            store, "month", now.date(), damaged, progress=progress, cancelled=cancelled
        )
        versions = {q: list(v) for q, v in counts.questionnaires.items()}
        frozen = ledger.freeze(counts.periods, {m: versions for m in counts.periods}, now.date())
    release = ledger.release(now, __version__, all_domains(ledger, SCAN_DOMAINS))
    if frozen or release is not None or before != threshold:
        store.write_release_ledger(ledger.to_dict(), ledger.head)
    return ledger


def month_counts(store: Store, today: date | None = None) -> Counts:
    """The exact month counts a release starts from: a month frozen in the ledger as frozen,
    any other as counted now (by recorded date)."""
    from kindcheck.export import Counts

    ledger = read_ledger(store)
    live = count_vault(store, "month", today)
    periods = {m: dict(c) for m, c in live.periods.items() if m not in ledger.months}
    periods.update({m: dict(c) for m, c in ledger.months.items() if c})
    return Counts("month", periods, live.questionnaires)


def render_release(
    ledger: Ledger, period: str, file_format: str, delimiter: str = ",", scope: str = "vault"
) -> bytes:
    """A file of the ledger's released ``period`` rows (a pure function of the ledger)."""
    from kindcheck.export.formats import render_release as render

    return render(ledger, period, file_format, delimiter, scope)


def render_table(table: Table, file_format: str, delimiter: str = ",") -> bytes:
    """A suppressed table as the bytes of its file: "json", or CSV with ``delimiter``."""
    from kindcheck import export

    if file_format == "json":
        return (json.dumps(export.to_json(table), ensure_ascii=False, indent=2) + "\n").encode()
    return export.to_csv(table, delimiter).encode("utf-8")


def counts_detail(period: str, file_format: str) -> str:
    """What an export of suppressed counts is called in the access log."""
    return f"anonymised counts ({period}, {file_format})"


@dataclass(frozen=True)
class ComputedCounts:
    """Exact counts for one period type, with what the screen says about them."""

    counts: Counts = field(repr=False)
    sessions: int
    damaged: tuple[DamagedRecord, ...]  # left out of the counts, each named
    today: date


def compute_counts(
    service: VaultService,
    period: PeriodType,
    today: date,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    report_every: float = 0.1,
) -> ComputedCounts:
    """The exact counts as ``kindcheck export --period PERIOD`` computes them (:func:`count_vault`),
    with the number of sessions and of damaged records for the screen."""
    from .damage import damaged_records

    damaged: list[str] = []
    with service.store() as store:
        sessions = int(store.count_records().get("session", 0))
        counts = count_vault(
            store,
            period,
            today,
            damaged,
            progress=progress,
            cancelled=cancelled,
            report_every=report_every,
        )
    return ComputedCounts(counts, sessions, damaged_records(damaged), today)


def suppressed(computed: ComputedCounts, threshold: int, rounding: bool) -> Table:
    """The counts as the screen shows and saves them: small cells hidden, as ``kindcheck
    export --threshold --rounding`` writes them (:func:`kindcheck.export.suppress`)."""
    from kindcheck.export import suppress

    return suppress(computed.counts, threshold, rounding=rounding)


@dataclass(frozen=True)
class ReleasedTable:
    """What the export screen shows: the ledger's released rows of one period type (the
    table ``kindcheck export`` writes for it), and the ledger they come from."""

    table: Table
    ledger: Ledger = field(repr=False)
    sessions: int
    damaged: tuple[DamagedRecord, ...]  # left out of the counts, each named


def ledger_table(ledger: Ledger, period: str) -> Table:
    """The released rows of ``period`` as a Table (a cell a row does not release: None)."""
    from kindcheck.export import Table
    from kindcheck.export.formats import released_file

    file = released_file(ledger, period)
    keys: list[str] = []
    values: dict[tuple[str, str], Any] = {}
    for row, cells in file.rows:
        for key, value in cells:
            if key not in keys:
                keys.append(key)
            values[(row, key)] = value
    rows = tuple(row for row, _cells in file.rows)
    for row in rows:
        for key in keys:
            values.setdefault((row, key), None)
    versions: dict[str, tuple[int, ...]] = {}
    for release in file.releases:
        for qid, numbers in release.questionnaires.items():
            versions[qid] = tuple(sorted({*versions.get(qid, ()), *numbers}))
    return Table(period, file.threshold, False, versions, rows, tuple(keys), values)  # type: ignore[arg-type]


def release_table(
    service: VaultService,
    period: str,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> ReleasedTable:
    """The export screen's table: the same release as ``kindcheck export`` (:func:`release_vault`,
    one ledger), so what the screen shows is what any file shows, and showing it releases
    the newly closed periods exactly as an export would."""
    from .damage import damaged_records

    damaged: list[str] = []
    with service.store() as store:
        sessions = int(store.count_records().get("session", 0))
        ledger = release_vault(store, damaged=damaged, progress=progress, cancelled=cancelled)
    return ReleasedTable(ledger_table(ledger, period), ledger, sessions, damaged_records(damaged))


def save_release(
    service: VaultService,
    released: ReleasedTable,
    path: str | Path,
    file_format: str,
    force: bool = False,
    delimiter: str = ",",
) -> Path:
    """Write the shown release as CSV or JSON (the bytes ``kindcheck export`` writes); one
    "export" entry, as the CLI writes."""
    period = released.table.period_type
    data = render_release(released.ledger, period, file_format, delimiter)
    return _write(service, path, data, force, None, counts_detail(period, file_format))


def scan_domain_names(lang: str) -> dict[str, str]:
    """The problem-scan domains' names in ``lang`` (empty when the scan cannot be loaded:
    the screen then shows the domains' ids)."""
    from kindcheck.errors import QuestionnaireError
    from kindcheck.questionnaire import load_shipped

    try:
        scan = load_shipped("probleemscan")
    except QuestionnaireError:
        return {}
    return {domain.id: domain.name.get(lang) for domain in scan.domains}


def save_export(
    service: VaultService, table: Table, path: str | Path, file_format: str, force: bool = False
) -> Path:
    """Write the suppressed table as CSV or JSON; one "export" entry, as the CLI writes."""
    data = render_table(table, file_format)
    return _write(service, path, data, force, None, counts_detail(table.period_type, file_format))


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

    with service.store() as store:
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


# ---------------------------------------------------------------------------------------------
