"""The caseload's follow-ups: which conversations are due, overdue or upcoming, and the
pseudonymous codes a calendar gets.

One computation for ``kindcheck due``, the home screen and the anonymised export's overdue
plans, so all show the same dates. A plan's status counts from the latest session held,
whatever its kind. Everything is computed when asked; nothing here is stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
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
    "due_list",
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
    damaged plan, or a damaged facts record (left out of the latest session held), is
    named in ``damaged`` and never stops the others."""
    today = today or today_in_amsterdam()
    _clients, plans, last_held = _read_caseload(store, damaged, with_clients=False)
    result: list[PlanStatus] = []
    for stored_plan in plans:
        held = last_held.get(stored_plan.client_id)
        plan_status = status(stored_plan.plan, today, held, DUE_WINDOW_DAYS)
        result.append(PlanStatus(stored_plan.client_id, stored_plan, plan_status, held))
    return result


def followup_statuses(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[DueFollowUp]:
    """Every client's plan with its status today, overdue first, then due, then upcoming.

    One read of the vault: the clients' records, the plans and the sessions' facts records
    (for the latest session of each client), each in one query; never the sessions. Damaged
    records are named in ``damaged``; a client whose own record cannot be read is left out
    here (it has no reference to show) and shown by the app through :func:`plan_statuses`."""
    clients, plans, last_held = _read_caseload(store, damaged, with_clients=True)
    return due_list(clients, plans, last_held, today)


def _read_caseload(
    store: Store, damaged: list[str] | None, *, with_clients: bool
) -> tuple[dict[str, Client], list[ClientPlan], dict[str, date]]:
    """The clients' records (when asked), every plan and each client's latest session held,
    in one read transaction."""
    from .plans import list_plans

    damaged = damaged if damaged is not None else []
    with store.reading():
        clients = {client.id: client for client in store.clients(damaged)} if with_clients else {}
        plans = list_plans(store, damaged)
        last_held: dict[str, date] = {}
        records = store.iter_facts(damaged, sessions=False)
        with contextlib.closing(records):
            for record in records:
                held = last_held.get(record.client_id)
                if held is None or held < record.session_date:
                    last_held[record.client_id] = record.session_date
    return clients, plans, last_held


def due_list(
    clients: Mapping[str, Client],
    plans: Iterable[ClientPlan],
    last_held: Mapping[str, date],
    today: date | None = None,
) -> list[DueFollowUp]:
    """The plans of the clients given, each with its status on ``today`` (counted from the
    client's latest session held, ``last_held``), overdue first, then due, then upcoming."""
    today = today or today_in_amsterdam()
    result: list[DueFollowUp] = []
    for stored_plan in plans:
        client = clients.get(stored_plan.client_id)
        if client is None:
            continue
        held = last_held.get(stored_plan.client_id)
        plan_status = status(stored_plan.plan, today, held, DUE_WINDOW_DAYS)
        result.append(DueFollowUp(client, stored_plan, plan_status, held))
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
