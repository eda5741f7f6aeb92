"""Follow-up plans between the store's plain data and the domain's FollowUpPlan and Rhythm.

The store keeps a plan as its JSON form and the rhythm's name (kindcheck.store.PlainPlan);
here it becomes a :class:`ClientPlan` (a ``StoredPlan[FollowUpPlan, Rhythm]``, with the same
fields) plus the plan's revision. A stored plan that no longer reads as a plan is a damaged
record: RecordDamaged naming ``followup_plan/<id>``, as for a record that does not decrypt, and
collected the same way in a ``damaged`` list.

Revision: every save of a *changed* plan (another plan or another rhythm) raises it by one; a
save of the same plan writes nothing. The calendar file writes it as SEQUENCE, and the time of
that save (``updated_at``) as LAST-MODIFIED, so calendar apps can tell a newer version of a
client's series from an older one. It is kept inside the plan's encrypted record, as the key
``"revision"`` beside the plan's own fields, and only from the first change on: a plan that
never changed is stored exactly as ``FollowUpPlan.to_dict`` gives it, and a plan without the
key reads as revision 0 (so stored plans need no migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, Final, TypeAlias

from kindcheck.errors import FollowUpError, RecordDamaged, VaultError
from kindcheck.followup import FollowUpPlan, Rhythm
from kindcheck.followup.plan import PLAN_FIELDS, plainly_read
from kindcheck.store import DamagedNote, PlainPlan, Store, StoredPlan
from kindcheck.text import one_line

__all__ = [
    "ClientPlan",
    "PlanVersion",
    "get_plan",
    "list_plans",
    "save_plan",
    "to_client_plan",
    "verify_vault",
]

REVISION_KEY: Final = "revision"
HISTORY_KEY: Final = "history"
MAX_HISTORY: Final = 200  # versions kept; a plan changed more often loses its oldest
_ONE_DAY: Final = timedelta(days=1)


@dataclass(frozen=True)
class PlanVersion:
    """An earlier version of a client's plan, in force from ``valid_from`` until the next."""

    valid_from: datetime
    plan: FollowUpPlan


@dataclass(frozen=True)
class ClientPlan(StoredPlan[FollowUpPlan, Rhythm]):
    """A client's stored plan as domain values, with its revision (0 until its first change)
    and its earlier versions (oldest first)."""

    revision: int = 0
    history: tuple[PlanVersion, ...] = ()

    def versions(self) -> list[PlanVersion]:
        """Every version, oldest first, the current one last."""
        return [*self.history, PlanVersion(self.updated_at, self.plan)]

    def in_force(self, day: date, before: datetime | None = None) -> FollowUpPlan:
        """The plan in force on ``day`` (and saved before ``before``, the moment the session
        judged against it was recorded): the newest such version, else the oldest."""
        chosen = self.history[0].plan if self.history else self.plan
        for saved, saved_on, plan in self._in_force[0]:
            if saved_on <= day and (before is None or saved < before):
                chosen = plan
        return chosen

    @property
    def days_in_force(self) -> tuple[DaysInForce, ...]:
        """Every version, oldest first, with the first day it is in force (from its start or
        the day it was saved, whichever is later; the oldest from its start) and the last
        (the day before the next one was saved; None for the current one). A version saved
        before the one it follows (a clock put back) can be in force on no day."""
        return self._in_force[1]

    @cached_property
    def _in_force(self) -> _VersionTables:
        # worked out once per plan: a report asks in_force for every follow-up held, and the
        # days in force of every plan (a fast read of a plan sets them as it reads it).
        # in_force compares as before, version by version (the same comparisons made).
        return _version_tables([(v.valid_from, v.plan) for v in self.versions()])


DaysInForce: TypeAlias = tuple[FollowUpPlan, date, date | None]
# the versions oldest first as (saved at, saved on, plan), and their days in force
_VersionTables: TypeAlias = tuple[
    tuple[tuple[datetime, date, FollowUpPlan], ...], tuple[DaysInForce, ...]
]


def _version_tables(versions: list[tuple[datetime, FollowUpPlan]]) -> _VersionTables:
    """ClientPlan's tables of its versions, (saved at, plan) oldest first."""
    saves: list[tuple[datetime, date, FollowUpPlan]] = []
    spans: list[DaysInForce] = []
    after: date | None = None  # the day the next version was saved
    for number in range(len(versions) - 1, -1, -1):
        saved, plan = versions[number]
        saved_on = saved.date()
        saves.append((saved, saved_on, plan))
        first = plan.start if not number else max(plan.start, saved_on)
        spans.append((plan, first, None if after is None else after - _ONE_DAY))
        after = saved_on
    saves.reverse()
    spans.reverse()
    return tuple(saves), tuple(spans)


@dataclass(frozen=True)
class _RevisedPlan:
    """What the store saves: the plan's JSON form, with its revision from the first change on
    and its earlier versions."""

    plan: FollowUpPlan
    revision: int
    history: tuple[PlanVersion, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = self.plan.to_dict()
        if self.revision:
            data[REVISION_KEY] = self.revision
        if self.history:
            data[HISTORY_KEY] = [
                {"valid_from": v.valid_from.isoformat(), "plan": v.plan.to_dict()}
                for v in self.history[-MAX_HISTORY:]
            ]
        return data


def _split_revision(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The plan's own fields and its revision; TypeError for a revision that is none."""
    data = {k: v for k, v in data.items() if k != HISTORY_KEY}
    if REVISION_KEY not in data:
        return data, 0
    fields = dict(data)
    revision = fields.pop(REVISION_KEY)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise TypeError("a plan's revision is a whole number from 1")
    return fields, revision


def _history(data: dict[str, Any]) -> tuple[PlanVersion, ...]:
    """The earlier versions stored with a plan; TypeError/ValueError when malformed."""
    items = data.get(HISTORY_KEY, [])
    if not isinstance(items, list):
        raise TypeError("a plan's history is a list")
    versions = []
    for item in items:
        if not isinstance(item, dict):
            raise TypeError("a plan version is an object")
        moment = datetime.fromisoformat(str(item["valid_from"]))
        versions.append(PlanVersion(moment, FollowUpPlan.from_dict(item["plan"])))
    return tuple(versions)


_RHYTHMS: Final = {rhythm.value: rhythm for rhythm in Rhythm}
_new_object = object.__new__
_set_attribute = object.__setattr__


def _plainly_read(stored: PlainPlan) -> ClientPlan | None:
    """``to_client_plan(stored)`` for a stored plan whose fields, and those of every version
    in its history, are plainly valid (:func:`kindcheck.followup.plan.plainly_read`): the
    same ClientPlan, made without checking again what their types settle; None for anything
    else, which :func:`to_client_plan` then reads and checks field by field. (A report
    reads every plan: tests/core/test_plan_fast_read.py holds the two to each other.)"""
    data = stored.plan
    if type(data) is not dict or not data.keys() >= PLAN_FIELDS:
        return None
    others = len(data) - len(PLAN_FIELDS)  # keys beside the plan's own fields
    revision = 0
    if REVISION_KEY in data:
        revision = data[REVISION_KEY]
        if type(revision) is not int or revision < 1:
            return None
        others -= 1
    items: list[Any] = []
    if HISTORY_KEY in data:
        items = data[HISTORY_KEY]
        if type(items) is not list:
            return None
        others -= 1
    name = stored.rhythm
    rhythm = _RHYTHMS.get(name) if type(name) is str else None
    if others or (rhythm is None and name is not None):
        return None
    plan = plainly_read(data)
    if plan is None:
        return None
    versions = []
    moments: list[tuple[datetime, FollowUpPlan]] = []
    for item in items:
        if type(item) is not dict:
            return None
        # what the checks read of a version, in their order (so that what raises first, if
        # anything does, is the same)
        moment, fields = item.get("valid_from"), item.get("plan")
        if type(moment) is not str or type(fields) is not dict or fields.keys() != PLAN_FIELDS:
            return None
        try:
            valid_from = datetime.fromisoformat(moment)
        except ValueError:
            return None
        earlier = plainly_read(fields)
        if earlier is None:
            return None
        version = _new_object(PlanVersion)
        _set_attribute(version, "__dict__", {"valid_from": valid_from, "plan": earlier})
        versions.append(version)
        moments.append((valid_from, earlier))
    client_plan = _new_object(ClientPlan)
    _set_attribute(
        client_plan,
        "__dict__",
        {
            "id": stored.id,
            "client_id": stored.client_id,
            "plan": plan,
            "rhythm": rhythm,
            "updated_at": stored.updated_at,
            "revision": revision,
            "history": tuple(versions),
        },
    )
    if moments:  # what the cached _in_force would work out, from what is at hand here
        moments.append((stored.updated_at, plan))
        vars(client_plan)["_in_force"] = _version_tables(moments)
    return client_plan


def to_client_plan(stored: PlainPlan) -> ClientPlan:
    """The stored plan as domain values; RecordDamaged if it does not read as a plan."""
    plan = _plainly_read(stored)
    if plan is not None:
        return plan
    return _checked_client_plan(stored)


def _checked_client_plan(stored: PlainPlan) -> ClientPlan:
    """:func:`to_client_plan`, every field checked."""
    try:
        fields, revision = _split_revision(stored.plan)
        return ClientPlan(
            id=stored.id,
            client_id=stored.client_id,
            plan=FollowUpPlan.from_dict(fields),
            rhythm=None if stored.rhythm is None else Rhythm(stored.rhythm),
            updated_at=stored.updated_at,
            revision=revision,
            history=_history(stored.plan),
        )
    except (KeyError, TypeError, ValueError, FollowUpError):
        raise RecordDamaged(
            f"record followup_plan/{one_line(stored.id)} is damaged or was moved",
            record=f"followup_plan/{stored.id}",
        ) from None


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
            damaged.append(DamagedNote.of(error, stored.client_id))
    return plans


def save_plan(
    store: Store, client_id: str, plan: FollowUpPlan, rhythm: Rhythm | str | None = None
) -> ClientPlan:
    """Store the client's plan (replacing the one before). ``rhythm``: the default rhythm it
    follows (ValueError for a name that is none), None for a plan set by hand.

    A changed plan or rhythm is saved with the next revision and a new ``updated_at``; the same
    plan and rhythm again write nothing (and log nothing) and return the plan as stored.
    """
    if not isinstance(plan, FollowUpPlan):
        raise VaultError("a follow-up plan is needed")
    chosen = None if rhythm is None else Rhythm(rhythm)
    with store.batch():  # the revision read and the save in one transaction
        revision = 0
        history: tuple[PlanVersion, ...] = ()
        try:
            before = store.get_plan(client_id)
        except RecordDamaged:
            before = None  # an unreadable plan is replaced; its revision is lost with it
        if before is not None:
            try:
                previous: ClientPlan | None = to_client_plan(before)
            except RecordDamaged:
                previous = None
            if previous is not None and previous.plan == plan and previous.rhythm == chosen:
                return previous
            revision = _stored_revision(before.plan) + 1
            if previous is not None:
                history = (*previous.history, PlanVersion(previous.updated_at, previous.plan))
        stored = store.save_plan(client_id, _RevisedPlan(plan, revision, history), chosen)
    return ClientPlan(
        stored.id, stored.client_id, plan, chosen, stored.updated_at, revision, history
    )


def _stored_revision(data: dict[str, Any]) -> int:
    """The revision of a stored plan, 0 when it has none or one that does not read."""
    try:
        return _split_revision(data)[1]
    except TypeError:
        return 0


def verify_vault(store: Store) -> list[str]:
    """Store.verify, with every plan also read as a plan and every session's facts record
    compared with what its answers and outcome, as its amendments leave them, give (what
    `kindcheck verify` reports)."""
    from .facts import facts_of_session, is_current

    return store.verify(
        check_plan=to_client_plan, check_facts=facts_of_session, facts_current=is_current
    )
