"""From the store to what reports need: follow-ups due, calendar entries, export facts.

Shared by the CLI (`kindcheck due`, `kindcheck export`) and the app, so both show the same
dates and the same counts. Everything is computed when asked; nothing here is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from kindcheck.export import PlanFacts, SessionFacts
from kindcheck.export.versions import scan_version_facts
from kindcheck.followup import (
    AMSTERDAM,
    FollowUpPlan,
    FollowUpState,
    FollowUpStatus,
    occurrences,
    status,
)

if TYPE_CHECKING:
    from kindcheck.service.plans import ClientPlan
    from kindcheck.store import Client, Store, StoredSession

DUE_WINDOW_DAYS = 7


def today_in_amsterdam() -> date:
    return datetime.now(AMSTERDAM).date()


def calendar_code(client_id: str) -> str:
    """A pseudonymous code for calendars: derived from the random client id, meaningless
    outside this vault. Calendars sync to clouds, so not even the EPD number goes there."""
    return f"KC-{int(client_id[:12], 16) % 10**8:08d}"


@dataclass(frozen=True)
class DueFollowUp:
    client: Client
    plan: ClientPlan
    status: FollowUpStatus
    last_held: date | None

    @property
    def calendar_code(self) -> str:
        return calendar_code(self.client.id)


def followup_statuses(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[DueFollowUp]:
    """Every client's plan with its status today, overdue first, then due, then upcoming."""
    from kindcheck.service.plans import list_plans

    today = today or today_in_amsterdam()
    damaged = damaged if damaged is not None else []
    clients = {o.client.id: o for o in store.list_clients(damaged=damaged)}
    result: list[DueFollowUp] = []
    for stored_plan in list_plans(store, damaged):
        overview = clients.get(stored_plan.client_id)
        if overview is None:
            continue
        sessions = store.list_sessions(stored_plan.client_id, log=False)
        last_held = max((s.session_date for s in sessions), default=None)
        plan_status = status(stored_plan.plan, today, last_held, DUE_WINDOW_DAYS)
        result.append(DueFollowUp(overview.client, stored_plan, plan_status, last_held))
    order = {
        FollowUpState.OVERDUE: 0,
        FollowUpState.DUE: 1,
        FollowUpState.UPCOMING: 2,
        FollowUpState.ENDED: 3,
    }
    result.sort(
        key=lambda item: (
            order[item.status.state],
            item.status.occurrence or datetime.max.replace(tzinfo=AMSTERDAM),
            item.client.reference,
        )
    )
    return result


# ---------------------------------------------------------------------------------------------
# Export facts


def _followup_timing(plan: FollowUpPlan | None, held_on: date, previous_held: date | None) -> str:
    """On time when no planned conversation was missed by more than the due window before
    this one; late otherwise."""
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
) -> Iterator[SessionFacts]:
    """Each stored session reduced to countable facts (no text, no identity).

    ``versions`` is filled with the questionnaire versions seen, in the same pass (decrypting
    every session twice would double the export's cost); it is complete once the facts are read.
    """
    from kindcheck.service.plans import list_plans

    damaged = damaged if damaged is not None else []
    plans = {p.client_id: p.plan for p in list_plans(store, damaged)}
    by_client: dict[str, list[StoredSession]] = {}
    for stored in store.iter_sessions(damaged=damaged):
        by_client.setdefault(stored.summary.client_id, []).append(stored)
        if versions is not None:
            for questionnaire_id, version in stored.summary.questionnaires:
                versions.setdefault(questionnaire_id, set()).add(version)
    for client_id, sessions in by_client.items():
        sessions.sort(key=lambda s: (s.summary.session_date, s.summary.saved_at))
        previous: date | None = None
        for stored in sessions:
            yield _facts(store, stored, plans.get(client_id), previous)
            previous = stored.summary.session_date


def _facts(
    store: Store, stored: StoredSession, plan: FollowUpPlan | None, previous_held: date | None
) -> SessionFacts:
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
            _followup_timing(plan, summary.session_date, previous_held)  # type: ignore[arg-type]
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
    facts: list[PlanFacts] = []
    for item in followup_statuses(store, today, damaged):
        overdue = item.status.state is FollowUpState.OVERDUE
        occurrence = item.status.occurrence
        facts.append(
            PlanFacts(overdue=overdue, due_on=occurrence.date() if overdue and occurrence else None)
        )
    return facts
