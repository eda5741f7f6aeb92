"""The caseload's follow-ups: which conversations are due, overdue or upcoming, and the
pseudonymous codes a calendar gets.

One computation for ``kindcheck due``, the home screen and the anonymised export's overdue
plans, so all show the same dates. A plan's status counts from the latest session held,
whatever its kind. Everything is computed when asked; nothing here is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from kindcheck.followup import AMSTERDAM, FollowUpState, FollowUpStatus, status

if TYPE_CHECKING:
    from kindcheck.service.plans import ClientPlan
    from kindcheck.store import Client, Store

__all__ = [
    "DUE_WINDOW_DAYS",
    "DueFollowUp",
    "PlanStatus",
    "calendar_code",
    "followup_statuses",
    "plan_statuses",
    "today_in_amsterdam",
]

DUE_WINDOW_DAYS = 7
"""A conversation is due within this many days either side of its date, overdue after that
(kindcheck.followup.status); a session held this close to it covers it."""


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


@dataclass(frozen=True)
class PlanStatus:
    """One client's plan with its status today, by client id: also for a client whose own
    record cannot be read (the plan is a record of its own, bound to the client's id)."""

    client_id: str
    plan: ClientPlan
    status: FollowUpStatus
    last_held: date | None


def plan_statuses(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[PlanStatus]:
    """Every readable plan with its status today, counted from the latest session held. A
    damaged plan, or a damaged session header (left out of the latest session held), is
    named in ``damaged`` and never stops the others."""
    from kindcheck.service.plans import list_plans

    today = today or today_in_amsterdam()
    damaged = damaged if damaged is not None else []
    result: list[PlanStatus] = []
    for stored_plan in list_plans(store, damaged):
        sessions = store.list_sessions(stored_plan.client_id, damaged, log=False)
        last_held = max((s.session_date for s in sessions), default=None)
        plan_status = status(stored_plan.plan, today, last_held, DUE_WINDOW_DAYS)
        result.append(PlanStatus(stored_plan.client_id, stored_plan, plan_status, last_held))
    return result


def followup_statuses(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[DueFollowUp]:
    """Every client's plan with its status today, overdue first, then due, then upcoming.
    Damaged records (a client, a plan, a session header) are named in ``damaged``; a client
    whose own record cannot be read is left out here (it has no reference to show) and
    shown by the app through :func:`plan_statuses`."""
    damaged = damaged if damaged is not None else []
    clients = {o.client.id: o for o in store.list_clients(damaged=damaged)}
    result: list[DueFollowUp] = []
    for item in plan_statuses(store, today, damaged):
        overview = clients.get(item.client_id)
        if overview is None:
            continue
        result.append(DueFollowUp(overview.client, item.plan, item.status, item.last_held))
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
