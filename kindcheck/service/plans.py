"""Follow-up plans between the store's plain data and the domain's FollowUpPlan and Rhythm.

The store keeps a plan as its JSON form and the rhythm's name (kindcheck.store.PlainPlan);
here it becomes ``StoredPlan[FollowUpPlan, Rhythm]`` (:data:`ClientPlan`), with the same
fields. A stored plan that no longer reads as a plan is a damaged record: RecordDamaged naming
``followup_plan/<id>``, as for a record that does not decrypt, and collected the same way in
a ``damaged`` list.
"""

from __future__ import annotations

from typing import TypeAlias

from kindcheck.errors import FollowUpError, RecordDamaged
from kindcheck.followup import FollowUpPlan, Rhythm
from kindcheck.store import PlainPlan, Store, StoredPlan

__all__ = ["ClientPlan", "get_plan", "list_plans", "save_plan", "to_client_plan", "verify_vault"]

ClientPlan: TypeAlias = StoredPlan[FollowUpPlan, Rhythm]


def to_client_plan(stored: PlainPlan) -> ClientPlan:
    """The stored plan as domain values; RecordDamaged if it does not read as a plan."""
    try:
        return StoredPlan(
            id=stored.id,
            client_id=stored.client_id,
            plan=FollowUpPlan.from_dict(stored.plan),
            rhythm=None if stored.rhythm is None else Rhythm(stored.rhythm),
            updated_at=stored.updated_at,
        )
    except (KeyError, TypeError, ValueError, FollowUpError):
        raise RecordDamaged(f"record followup_plan/{stored.id} is damaged or was moved") from None


def get_plan(store: Store, client_id: str) -> ClientPlan | None:
    """The client's plan, or None."""
    stored = store.get_plan(client_id)
    return None if stored is None else to_client_plan(stored)


def list_plans(store: Store, damaged: list[str] | None = None) -> list[ClientPlan]:
    """Every client's plan. Without ``damaged`` a damaged plan raises RecordDamaged; with it,
    damaged plans are named there and skipped."""
    plans: list[ClientPlan] = []
    for stored in store.list_plans(damaged):
        if damaged is None:
            plans.append(to_client_plan(stored))
            continue
        try:
            plans.append(to_client_plan(stored))
        except RecordDamaged as error:
            damaged.append(str(error))
    return plans


def save_plan(
    store: Store, client_id: str, plan: FollowUpPlan, rhythm: Rhythm | str | None = None
) -> ClientPlan:
    """Store the client's plan (replacing the one before). ``rhythm``: the default rhythm it
    follows (ValueError for a name that is none), None for a plan set by hand."""
    chosen = None if rhythm is None else Rhythm(rhythm)
    stored = store.save_plan(client_id, plan, chosen)
    return StoredPlan(stored.id, stored.client_id, plan, chosen, stored.updated_at)


def verify_vault(store: Store) -> list[str]:
    """Store.verify, with every plan also read as a plan (what `kindcheck verify` reports)."""
    return store.verify(check_plan=to_client_plan)
