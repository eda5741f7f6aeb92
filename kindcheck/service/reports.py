"""The reports: the anonymised export and the access log, one pipeline each for the command line
and the screens.

The export: :func:`count_vault` reads every session once, reduces each to countable facts
(:func:`session_facts`; the questionnaire versions are gathered in the same pass), adds one
fact per follow-up plan (:func:`plan_facts`) and counts them per period
(:func:`kindcheck.export.aggregate`). ``kindcheck export`` and the export screen both call it,
then :func:`kindcheck.export.suppress`, then :func:`render_table` for the file. The screen
passes a progress callback and a cancel check; every step it counts is work really done.

The access log: :func:`read_access_log` (viewing it is itself one "read" entry, in the same
transaction) and :func:`log_document` (the JSON of ``kindcheck log -o`` and of a client's log
saved from the screen).

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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kindcheck.errors import KindcheckError

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry
    from kindcheck.export import Counts, PeriodType, PlanFacts, SessionFacts, Table
    from kindcheck.followup import FollowUpPlan
    from kindcheck.store import Store, StoredSession

    from .vault_service import VaultService

__all__ = [
    "LOG_FORMAT",
    "STEPS_PER_SESSION",
    "ComputedCounts",
    "ExportCancelled",
    "LogView",
    "OverwriteNeeded",
    "Progress",
    "compute_counts",
    "count_vault",
    "counts_detail",
    "log_document",
    "log_entry_words",
    "log_file",
    "plan_facts",
    "read_access_log",
    "read_log",
    "render_table",
    "save_client_log",
    "save_export",
    "scan_domain_names",
    "session_facts",
    "suppressed",
]

Progress = Callable[[int, int], None]
"""``progress(done, total)``: steps of the export done so far, of the total."""

# Each session costs three steps of an export: reading it, reading its Meldcode steps, counting
# its facts.
STEPS_PER_SESSION = 3


class ExportCancelled(Exception):
    """The screen that asked for the counts went away; stop reading."""


class OverwriteNeeded(KindcheckError):
    """The chosen file exists: ask before overwriting it (not an error to show)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


# ---------------------------------------------------------------------------------------------
# Export facts


def _followup_timing(
    plan: FollowUpPlan | None, held_on: date, previous_held: date | None
) -> Literal["on_time", "late"]:
    """On time when no planned conversation was missed by more than the due window before
    this one; late otherwise."""
    from kindcheck.followup import occurrences

    from .caseload import DUE_WINDOW_DAYS

    if plan is None:
        return "on_time"
    since = (previous_held + timedelta(days=DUE_WINDOW_DAYS + 1)) if previous_held else plan.start
    missed = [
        o.date()
        for o in occurrences(plan, since, held_on)
        if (held_on - o.date()).days > DUE_WINDOW_DAYS
    ]
    return "late" if missed else "on_time"


def session_facts(
    store: Store,
    damaged: list[str] | None = None,
    versions: dict[str, set[int]] | None = None,
    tick: Callable[[], None] | None = None,
) -> Iterator[SessionFacts]:
    """Each stored session reduced to countable facts (no text, no identity).

    Every session is read and decrypted once. ``versions`` is filled with the questionnaire
    versions seen in that same pass; it is complete once the facts are read. ``tick`` is
    called after each session is read and after each session's Meldcode steps are read (its
    facts are then complete).
    """
    from .plans import list_plans

    damaged = damaged if damaged is not None else []
    plans = {p.client_id: p.plan for p in list_plans(store, damaged)}
    by_client: dict[str, list[StoredSession]] = {}
    for stored in store.iter_sessions(damaged=damaged):
        if tick is not None:
            tick()
        by_client.setdefault(stored.summary.client_id, []).append(stored)
        if versions is not None:
            for questionnaire_id, version in stored.summary.questionnaires:
                versions.setdefault(questionnaire_id, set()).add(version)
    for client_id, sessions in by_client.items():
        sessions.sort(key=lambda s: (s.summary.session_date, s.summary.saved_at))
        previous: date | None = None
        for stored in sessions:
            facts = _facts(store, stored, plans.get(client_id), previous)
            if tick is not None:
                tick()
            yield facts
            previous = stored.summary.session_date


def _facts(
    store: Store, stored: StoredSession, plan: FollowUpPlan | None, previous_held: date | None
) -> SessionFacts:
    from kindcheck.export import SessionFacts
    from kindcheck.export.versions import scan_version_facts

    summary, outcome = stored.summary, stored.outcome
    steps = store.meldcode_steps(summary.id)
    scan = scan_version_facts(stored.answers, outcome)  # v1 and v2 scans: export/versions.py
    answered = outcome.get("has_minor_children")
    children = outcome.get("children") or []
    domains = tuple(outcome.get("problem_domains") or ()) if summary.scan_done else ()
    return SessionFacts(
        kind="followup" if summary.kind == "followup" else "intake",
        held_on=summary.session_date,
        # Done means an answer, not a tick: "don't know" whether there are children is not a
        # completed check (the research complaint is checks "only ticked off as done").
        kindcheck_completed=summary.kind == "intake" and answered in ("yes", "no"),
        has_minor_children=answered == "yes" or bool(children),
        children_in_view=len(children),
        problem_domain_count=len(domains) if summary.scan_done else None,
        problem_domains=domains,
        parenting_support_flag=summary.parenting_support_flag,
        safety_signal=summary.safety_signal,
        meldcode_steps_taken=sum(1 for step in steps.values() if step.done_on is not None),
        followup_timing=(
            _followup_timing(plan, summary.session_date, previous_held)
            if summary.kind == "followup"
            else None
        ),
        scan_version=scan.version if summary.scan_done else None,
        scp_area_count=scan.scp_area_count if summary.scan_done else None,
    )


def plan_facts(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[PlanFacts]:
    """One fact per plan: overdue now, counted in the period of the missed conversation."""
    from kindcheck.export import PlanFacts
    from kindcheck.followup import FollowUpState

    from .caseload import followup_statuses

    facts: list[PlanFacts] = []
    for item in followup_statuses(store, today, damaged):
        overdue = item.status.state is FollowUpState.OVERDUE
        occurrence = item.status.occurrence
        facts.append(
            PlanFacts(overdue=overdue, due_on=occurrence.date() if overdue and occurrence else None)
        )
    return facts


# ---------------------------------------------------------------------------------------------
# The anonymised export


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
    the export screen compute them. Plans are overdue as of ``today`` (default: today in
    Amsterdam); damaged records are named in ``damaged`` and left out.

    ``progress(done, total)`` is called first with 0, then at most every ``report_every``
    seconds, and last with total: three steps per session (read, its Meldcode steps read, its
    facts counted). ``cancelled()`` is asked at every step; when it says yes, ExportCancelled.
    """
    from kindcheck import export

    damaged = damaged if damaged is not None else []
    tick: Callable[[], None] | None = None
    total = 0
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
    plans = plan_facts(store, today, damaged=damaged)

    def counted(facts: Iterator[SessionFacts]) -> Iterator[SessionFacts]:
        for fact in facts:
            yield fact
            if tick is not None:
                tick()  # aggregate asks for the next fact: this one is counted

    counts = export.aggregate(
        counted(session_facts(store, damaged, versions, tick)),
        plans,
        period=period,
        questionnaires=versions,
    )
    if progress is not None:
        progress(total, total)
    return counts


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
    damaged: int
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
    return ComputedCounts(counts, sessions, len(set(damaged)), today)


def suppressed(computed: ComputedCounts, threshold: int, rounding: bool) -> Table:
    """The counts as the screen shows and saves them: small cells hidden, as ``kindcheck
    export --threshold --rounding`` writes them (:func:`kindcheck.export.suppress`)."""
    from kindcheck.export import suppress

    return suppress(computed.counts, threshold, rounding=rounding)


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
# The access log

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
    """The log for the screen, read as ``kindcheck log`` reads it (:func:`read_access_log`)."""
    damaged: list[str] = []
    with service.store() as store:
        entries = read_access_log(store, reference, damaged)
    return LogView(tuple(entries), reference, len(set(damaged)))


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
