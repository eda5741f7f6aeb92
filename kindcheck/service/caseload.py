"""The caseload's follow-ups: which conversations are due, overdue or upcoming, and the
pseudonymous codes a calendar gets.

One computation for ``kindcheck due``, the home screen and the anonymised export's overdue
plans, so all show the same dates. A plan's status counts from the latest session held,
whatever its kind. Everything is computed when asked; nothing here is stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

from kindcheck.followup import AMSTERDAM, FollowUpState, FollowUpStatus, status
from kindcheck.followup.policy import RecordedEvent, item_state, kindchecks_due

if TYPE_CHECKING:
    from kindcheck.service.plans import ClientPlan
    from kindcheck.store import Client, ClientEvent, Store

__all__ = [
    "DUE_WINDOW_DAYS",
    "DueFollowUp",
    "DueItem",
    "PlanStatus",
    "calendar_code",
    "due_items",
    "due_list",
    "event_due_days",
    "followup_statuses",
    "merge_due",
    "plan_statuses",
    "read_caseload",
    "sort_due",
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
    clients, plans, last_held, _repeats = read_caseload(store, damaged)
    return due_list(clients, plans, last_held, today)


def _read_caseload(
    store: Store, damaged: list[str] | None, *, with_clients: bool
) -> tuple[dict[str, Client], list[ClientPlan], dict[str, date]]:
    """:func:`read_caseload` without the Kindcheck's repeats."""
    clients, plans, last_held, _repeats = read_caseload(store, damaged, with_clients=with_clients)
    return clients, plans, last_held


def read_caseload(
    store: Store, damaged: list[str] | None, *, with_clients: bool = True
) -> tuple[
    dict[str, Client], list[ClientPlan], dict[str, date], dict[str, list[tuple[date, datetime]]]
]:
    """The clients' records (when asked), every plan, each client's latest session held and
    the days of its format-2 sessions (each repeats the Kindcheck), in one read transaction:
    records, plans and facts."""
    from .plans import list_plans

    damaged = damaged if damaged is not None else []
    with store.reading():
        clients = {client.id: client for client in store.clients(damaged)} if with_clients else {}
        plans = list_plans(store, damaged)
        last_held: dict[str, date] = {}
        repeats: dict[str, list[tuple[date, datetime]]] = {}
        records = store.iter_facts(damaged, sessions=False)
        with contextlib.closing(records):
            for record in records:
                held = last_held.get(record.client_id)
                if held is None or held < record.session_date:
                    last_held[record.client_id] = record.session_date
                if _repeats_kindcheck(record.facts):
                    repeats.setdefault(record.client_id, []).append(
                        (record.session_date, record.saved_at)
                    )
    return clients, plans, last_held, repeats


# Where a facts record keeps its session's questionnaires' versions, by the record's format
# (its first element; kindcheck.service.facts.FIELDS): the last field in format 1, the one
# before the setting since format 2.
_QUESTIONNAIRES_AT = {1: -1, 2: -2}


def _repeats_kindcheck(facts: object) -> bool:
    """Whether a facts record is of a format-2 session (its questionnaires' versions): such a
    session, intake or follow-up, repeats the Kindcheck."""
    if not isinstance(facts, list) or not facts:
        return False
    at = _QUESTIONNAIRES_AT.get(facts[0]) if type(facts[0]) is int else None
    if at is None or len(facts) < -at or not isinstance(facts[at], list):
        return False
    return any(
        isinstance(pair, list)
        and len(pair) == 2
        and pair[0] in ("kindcheck", "vervolggesprek")
        and pair[1] == 2
        for pair in facts[at]
    )


_STATE_ORDER = {
    FollowUpState.OVERDUE: 0,
    FollowUpState.DUE: 1,
    FollowUpState.UPCOMING: 2,
    FollowUpState.ENDED: 3,
}


def due_items(
    store: Store, today: date | None = None, damaged: list[str] | None = None
) -> list[DueItem]:
    """Everything due for the caseload: planned follow-ups, Kindchecks due again after an
    event (whatever the plan's next date) and questions to ask again. Overdue first, then
    due, then upcoming; ties by date, then reference. The same read as
    :func:`followup_statuses` (never a session)."""
    today = today or today_in_amsterdam()
    clients, plans, last_held, repeats = read_caseload(store, damaged)
    return merge_due(clients, due_list(clients, plans, last_held, today), repeats, today)


def merge_due(
    clients: Mapping[str, Client],
    followups: Iterable[DueFollowUp],
    repeats: Mapping[str, list[tuple[date, datetime]]],
    today: date,
) -> list[DueItem]:
    """The plans' items with the events' and re-asks' items, in due-list order."""
    items = [
        DueItem(
            "followup",
            item.client.id,
            item.client.reference,
            item.status.occurrence.date() if item.status.occurrence else None,
            item.status.state,
            item.status.days_overdue,
        )
        for item in followups
    ]
    due_days: dict[str, int] | None = None  # the shipped catalog, read when a client needs it
    for client in clients.values():
        if client.events or client.reasks:
            if due_days is None and any(_recorded_apart(event) for event in client.events):
                due_days = event_due_days()
            # An event a follow-up named was answered by it (due_items_for): only the others
            # are looked up in the catalog.
            items += due_items_for(client, repeats.get(client.id, []), today, due_days or {})
    return sort_due(items)


def sort_due(items: list[DueItem]) -> list[DueItem]:
    """The due list's order: overdue first, then due, then upcoming, then ended; ties by
    date, then reference, then reason."""
    order, last = _STATE_ORDER, date.max
    # By kind, then detail: the order of the reasons ("followup" < "kindcheck:…" < "reask:…").
    items.sort(key=lambda i: (order[i.state], i.when or last, i.reference, i.kind, i.detail))
    return items


def _recorded_apart(event: ClientEvent) -> bool:
    """Whether an event was recorded on its own (not named by a follow-up session)."""
    return not event.source.startswith("session:")


def event_due_days() -> dict[str, int]:
    """Each event's days until the Kindcheck is due again, from the shipped catalog (the one
    of :func:`kindcheck.service.followthrough.catalog`). Imported here, not with the module:
    the questionnaires are read only when a client has an event or a re-ask, and the due
    list does not need the outcome rules that module brings."""
    from kindcheck.questionnaire import load_shipped

    found = load_shipped("kindcheck", 2).catalog
    assert found is not None  # a format-2 questionnaire always has one
    return {event.id: event.due_days for event in found.events}


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


# -- the due list ----------------------------------------------------------------------------


class DueItem(NamedTuple):
    """One line of the due list: a planned follow-up, a Kindcheck due after an event, or a
    question to ask again. ``detail`` is an id (event or question), never free text. (A
    named tuple: a caseload's list is tens of thousands of them, made in a blink.)"""

    kind: str  # "followup" | "kindcheck" | "reask"
    client_id: str
    reference: str
    when: date | None
    state: FollowUpState
    days_overdue: int
    detail: str = ""

    @property
    def reason(self) -> str:
        return self.kind if self.kind == "followup" else f"{self.kind}:{self.detail}"

    @property
    def calendar_code(self) -> str:
        return calendar_code(self.client_id)


def due_items_for(
    client: Client,
    repeats: Sequence[tuple[date, datetime]],
    today: date,
    due_days: Mapping[str, int],
) -> list[DueItem]:
    """A client's Kindchecks due after an event and its re-asks (the plan's items aside).
    ``repeats``: (day, saved at) of the client's format-2 sessions; each repeats the Kindcheck.

    An event is answered by such a session held after its day, or on its day but saved after
    the event was recorded (an admission recorded in the afternoon after a morning's intake is
    still to be answered); an event a follow-up named was answered by that follow-up."""
    open_events = [
        RecordedEvent(event.event, event.on)
        for event in client.events
        if _recorded_apart(event)
        and event.event in due_days
        and not any(
            held_on > event.on or (held_on == event.on and saved_at > event.recorded_at)
            for held_on, saved_at in repeats
        )
    ]
    items: list[DueItem] = []
    for due in kindchecks_due(open_events, due_days, []):
        state, late = item_state(due.due_on, today)
        items.append(
            DueItem("kindcheck", client.id, client.reference, due.due_on, state, late, due.event)
        )
    for reask in client.reasks:
        state, late = item_state(reask.due_on, today)
        items.append(
            DueItem("reask", client.id, client.reference, reask.due_on, state, late, reask.question)
        )
    return items
