"""A follow-up plan: a rule plus skipped or moved occurrences, expanded when asked.

Dates, due and overdue states are computed from the plan, never stored; editing the rhythm
re-plans everything at once. Every occurrence falls on its own day, which is why skips and
moves are keyed by date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final, Literal

from kindcheck.dates import AMSTERDAM
from kindcheck.errors import FollowUpError

from .rules import (
    DEFAULT_TIME,
    _compiled,
    _normalise_rule,
    cadence,
    cadence_after,
    cadence_dates,
    cadence_first,
)

PLAN_FORMAT = 1  # version of the to_dict layout; bump when it changes

Action = Literal["skip", "move"]


def _is_date(value: object) -> bool:
    # datetime is a subclass of date; a datetime here would smuggle in a time and a zone.
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise FollowUpError("give a reason for skipping or moving a follow-up conversation")
    return reason.strip()


@dataclass(frozen=True)
class OccurrenceChange:
    """One exception to a plan's rule: an occurrence skipped or moved to another day."""

    original: date
    action: Action
    new_date: date | None
    reason: str

    def __post_init__(self) -> None:
        if not _is_date(self.original):
            raise FollowUpError("a changed follow-up needs its original date")
        if self.action == "skip":
            if self.new_date is not None:
                raise FollowUpError("a skipped follow-up has no new date")
        elif self.action == "move":
            if not _is_date(self.new_date):
                raise FollowUpError("a moved follow-up needs a new date")
            if self.new_date == self.original:
                raise FollowUpError("a moved follow-up needs a date other than its original one")
        else:
            raise FollowUpError("a follow-up change is either 'skip' or 'move'")
        # Reasons are kept (stripped) for the clinician; they never reach a calendar file.
        object.__setattr__(self, "reason", _check_reason(self.reason))


@dataclass(frozen=True)
class FollowUpPlan:
    """A recurring follow-up plan: a rule plus exceptions, expanded when needed.

    ``rule`` is an RRULE without DTSTART; ``start`` is its DTSTART date (the first
    conversation when it matches the rule). A monthly or yearly rule starting on day 29-31
    is completed so that short months are not skipped (see ``rules._clamp_month_end``).
    """

    rule: str
    start: date
    time_of_day: time = DEFAULT_TIME
    changes: tuple[OccurrenceChange, ...] = ()
    ends_on: date | None = None
    treatment_ended_on: date | None = None
    _dtstart: datetime = field(init=False, repr=False, compare=False)
    _final: date | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _is_date(self.start):
            raise FollowUpError("a follow-up plan needs a start date")
        if not isinstance(self.time_of_day, time) or self.time_of_day.tzinfo is not None:
            raise FollowUpError("a follow-up plan's time of day is a local time without a zone")
        for name in ("ends_on", "treatment_ended_on"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise FollowUpError(f"a follow-up plan's {name} must be a date")
        object.__setattr__(self, "rule", _normalise_rule(self.rule, self.start))
        changes = tuple(self.changes)
        if changes:  # most plans have none (and a report reads every plan)
            if not all(isinstance(c, OccurrenceChange) for c in changes):
                raise FollowUpError("a follow-up plan's changes must be OccurrenceChange values")
            originals = [c.original for c in changes]
            if len(set(originals)) != len(originals):
                raise FollowUpError("a follow-up plan changes the same occurrence twice")
            targets = [c.new_date for c in changes if c.new_date is not None]
            if len(set(targets)) != len(targets):
                raise FollowUpError("a follow-up plan moves two occurrences to the same day")
            # Sorted, so that two plans with the same changes compare equal.
            changes = tuple(sorted(changes, key=lambda c: c.original))
        object.__setattr__(self, "changes", changes)
        object.__setattr__(self, "_dtstart", datetime.combine(self.start, self.time_of_day))
        ends = [d for d in (self.ends_on, self.treatment_ended_on) if d is not None]
        object.__setattr__(self, "_final", min(ends, default=None))  # asked for on every date

    @property
    def final_day(self) -> date | None:
        """The last day a conversation can fall on (inclusive), or None for an open plan."""
        return self._final

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (ISO dates and times) that ``from_dict`` reads back."""
        return {
            "format": PLAN_FORMAT,
            "rule": self.rule,
            "start": self.start.isoformat(),
            "time_of_day": self.time_of_day.isoformat(),
            "changes": [
                {
                    "original": c.original.isoformat(),
                    "action": c.action,
                    "new_date": None if c.new_date is None else c.new_date.isoformat(),
                    "reason": c.reason,
                }
                for c in self.changes
            ],
            "ends_on": None if self.ends_on is None else self.ends_on.isoformat(),
            "treatment_ended_on": (
                None if self.treatment_ended_on is None else self.treatment_ended_on.isoformat()
            ),
        }

    @classmethod
    def from_dict(cls, data: object) -> FollowUpPlan:
        """Read a plan written by ``to_dict``; anything malformed raises FollowUpError.

        Messages name the field, never its value (a stored value may be client data).
        """
        if cls is FollowUpPlan and type(data) is dict and data.keys() == PLAN_FIELDS:
            plan = plainly_read(data)
            if plan is not None:
                return plan
        return cls._checked_from_dict(data)

    @classmethod
    def _checked_from_dict(cls, data: object) -> FollowUpPlan:
        """:meth:`from_dict`, every field checked and any fault named."""
        if not isinstance(data, dict):
            raise FollowUpError("follow-up plan: expected an object")
        expected = set(PLAN_FIELDS)
        if set(data) != expected:
            missing = sorted(expected - set(data))
            unknown = sorted(str(k) for k in set(data) - expected)
            raise FollowUpError(
                f"follow-up plan: missing fields {missing}, unknown fields {unknown}"
            )
        if data["format"] != PLAN_FORMAT or isinstance(data["format"], bool):
            raise FollowUpError(
                f"follow-up plan: unsupported format (this version reads {PLAN_FORMAT})"
            )
        if not isinstance(data["rule"], str):
            raise FollowUpError("follow-up plan: field 'rule' must be text")
        raw_changes = data["changes"]
        if not isinstance(raw_changes, list):
            raise FollowUpError("follow-up plan: field 'changes' must be a list")
        changes = []
        for index, raw in enumerate(raw_changes):
            where = f"changes[{index}]"
            if not isinstance(raw, dict) or set(raw) != {
                "original",
                "action",
                "new_date",
                "reason",
            }:
                raise FollowUpError(
                    f"follow-up plan: {where} needs original, action, new_date, reason"
                )
            changes.append(
                OccurrenceChange(
                    original=_read_date(raw["original"], f"{where}.original"),
                    action=raw["action"],
                    new_date=_read_optional_date(raw["new_date"], f"{where}.new_date"),
                    reason=raw["reason"],
                )
            )
        if not isinstance(data["time_of_day"], str):
            raise FollowUpError("follow-up plan: field 'time_of_day' must be a time (HH:MM)")
        try:
            time_of_day = time.fromisoformat(data["time_of_day"])
        except ValueError:
            raise FollowUpError(
                "follow-up plan: field 'time_of_day' must be a time (HH:MM)"
            ) from None
        return cls(
            rule=data["rule"],
            start=_read_date(data["start"], "start"),
            time_of_day=time_of_day,
            changes=tuple(changes),
            ends_on=_read_optional_date(data["ends_on"], "ends_on"),
            treatment_ended_on=_read_optional_date(
                data["treatment_ended_on"], "treatment_ended_on"
            ),
        )


PLAN_FIELDS: Final = frozenset(
    {"format", "rule", "start", "time_of_day", "changes", "ends_on", "treatment_ended_on"}
)
_new_object = object.__new__
_set_attribute = object.__setattr__
# what plainly_read worked out before (a report reads the same few rules and times again and
# again): a time of day without a zone by its text, the normal form of an arithmetic rule
_PLAIN_TIMES: dict[str, time] = {}
_PLAIN_RULES: dict[tuple[str, int, int], str] = {}
_PLAIN_CACHE_SIZE: Final = 4096


def plainly_read(data: dict[str, Any]) -> FollowUpPlan | None:
    """``FollowUpPlan.from_dict(data)`` for the fields of a plan that are plainly valid,
    decided with exact types (the caller checks the keys): the same plan, made without
    checking again what these types already settle; None for anything else, which
    :meth:`FollowUpPlan.from_dict` then reads, naming what is wrong. A report reads every
    version of every plan (tests/core/test_plan_fast_read.py holds the two to each other)."""
    rule, start, time_of_day, ends_on, ended_on = (
        data["rule"],
        data["start"],
        data["time_of_day"],
        data["ends_on"],
        data["treatment_ended_on"],
    )
    version, changes = data["format"], data["changes"]
    if not (
        type(rule) is str
        and type(start) is str
        and type(time_of_day) is str
        and type(version) is int
        and version == PLAN_FORMAT
        and type(changes) is list
        and not changes
        and (ends_on is None or type(ends_on) is str)
        and (ended_on is None or type(ended_on) is str)
    ):
        return None
    try:
        first = date.fromisoformat(start)
        ends = None if ends_on is None else date.fromisoformat(ends_on)
        ended = None if ended_on is None else date.fromisoformat(ended_on)
        at = _PLAIN_TIMES.get(time_of_day)
        if at is None:
            at = time.fromisoformat(time_of_day)
            if at.tzinfo is not None:
                return None
            if len(_PLAIN_TIMES) < _PLAIN_CACHE_SIZE:
                _PLAIN_TIMES[time_of_day] = at
        key = (rule, first.day, first.month)
        normal = _PLAIN_RULES.get(key)
        if normal is None:
            normal = _normalise_rule(rule, first)
            # an arithmetic rule's form depends on these three alone (see _normalise_rule)
            if cadence(normal, first.day) is not None and len(_PLAIN_RULES) < _PLAIN_CACHE_SIZE:
                _PLAIN_RULES[key] = normal
    except (ValueError, FollowUpError):
        return None
    plan = _new_object(FollowUpPlan)
    # the fields as __init__ and __post_init__ set them, in their order
    _set_attribute(
        plan,
        "__dict__",
        {
            "rule": normal,
            "start": first,
            "time_of_day": at,
            "changes": (),
            "ends_on": ends,
            "treatment_ended_on": ended,
            "_dtstart": datetime.combine(first, at),
            "_final": ended if ends is None else ends if ended is None else min(ends, ended),
        },
    )
    return plan


def _read_date(value: object, name: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FollowUpError(f"follow-up plan: field {name!r} must be a date (YYYY-MM-DD)")


def _read_optional_date(value: object, name: str) -> date | None:
    return None if value is None else _read_date(value, name)


# --- changing the rule or the end ------------------------------------------------------


def with_rule(plan: FollowUpPlan, rule: str, start: date | None = None) -> FollowUpPlan:
    """The plan with another rhythm (and optionally a new start date).

    A bad rule raises FollowUpError naming the rule; COUNT and UNTIL are refused because the
    plan keeps its own end. Skips and moves whose original date is still an occurrence of the
    new rule are kept; the others no longer refer to a planned conversation and are dropped
    (compare ``plan.changes`` before and after to tell the user).
    """
    candidate = replace(plan, rule=rule, start=plan.start if start is None else start, changes=())
    kept = tuple(
        c
        for c in plan.changes
        if _is_rule_date(candidate, c.original)
        and (c.new_date is None or not _is_rule_date(candidate, c.new_date))
    )
    return replace(candidate, changes=kept)


def end_treatment(plan: FollowUpPlan, on: date) -> FollowUpPlan:
    """The plan after treatment ends on ``on`` (the end day itself still counts)."""
    if not _is_date(on):
        raise FollowUpError("the treatment end must be a date")
    ends_on = on if plan.ends_on is None else min(plan.ends_on, on)
    return replace(plan, ends_on=ends_on, treatment_ended_on=on)


# --- expanding ---------------------------------------------------------------------------


def _aware(plan: FollowUpPlan, day: date) -> datetime:
    # Attach the zone to the local wall-clock time: 09:00 stays 09:00 across DST changes.
    return datetime.combine(day, plan.time_of_day, tzinfo=AMSTERDAM)


def _rule_dates(plan: FollowUpPlan, first: date, last: date) -> list[date]:
    """Dates of the bare rule within [first, last], ignoring changes and the plan's end."""
    found = cadence(plan.rule, plan.start.day)
    if found is not None:
        return cadence_dates(found, plan.start, first, last)
    compiled = _compiled(plan.rule, plan._dtstart)
    lo = datetime.combine(first, time.min)
    hi = datetime.combine(last, time.max)
    return [dt.date() for dt in compiled.between(lo, hi, inc=True)]


def _is_rule_date(plan: FollowUpPlan, day: date) -> bool:
    """Whether the bare rule has an occurrence on ``day`` within the plan's end."""
    final = plan.final_day
    if day < plan.start or (final is not None and day > final):
        return False
    found = cadence(plan.rule, plan.start.day)
    if found is not None:
        return cadence_dates(found, plan.start, day, day) == [day]
    return datetime.combine(day, plan.time_of_day) in _compiled(plan.rule, plan._dtstart)


def occurrences(plan: FollowUpPlan, start: date, end: date) -> list[datetime]:
    """The planned conversations from ``start`` to ``end`` (both inclusive), in order.

    Aware datetimes in Europe/Amsterdam; skipped ones removed, moved ones on their new day,
    none after the plan's final day. A move keeps counting when its new day is before the
    end, even if its original day is after it.
    """
    return [_aware(plan, d) for d in occurrence_days(plan, start, end)]


def occurrence_days(plan: FollowUpPlan, start: date, end: date) -> list[date]:
    """The days of :func:`occurrences`, in order (for counting them: no times, no zone)."""
    final = plan.final_day
    last = end if final is None else min(end, final)
    if last < start:
        return []
    if not plan.changes:
        return _rule_dates(plan, start, last)  # in order, each once
    changed = {c.original for c in plan.changes}
    days = {d for d in _rule_dates(plan, start, last) if d not in changed}
    days.update(
        c.new_date for c in plan.changes if c.new_date is not None and start <= c.new_date <= last
    )
    return sorted(days)


def _first_on_or_after(plan: FollowUpPlan, first: date) -> date | None:
    """The first conversation day on or after ``first``, or None when the plan has no more."""
    final = plan.final_day
    found = cadence(plan.rule, plan.start.day)
    if found is not None and not plan.changes:  # the common case, by arithmetic alone
        day = cadence_first(found, plan.start, first)
        return None if day is None or (final is not None and day > final) else day
    changed = {c.original for c in plan.changes}
    candidates: list[date] = []
    days: Iterator[date] = (
        cadence_after(found, plan.start, first)
        if found is not None
        else (
            dt.date()
            for dt in _compiled(plan.rule, plan._dtstart).xafter(
                datetime.combine(first, time.min), inc=True
            )
        )
    )
    # Both walk lazily; the rule is infinite (no COUNT/UNTIL) and changes are finite, so
    # this loop ends at the first unchanged date or at the plan's final day.
    for day in days:
        if final is not None and day > final:
            break
        if day not in changed:
            candidates.append(day)
            break
    candidates.extend(
        c.new_date
        for c in plan.changes
        if c.new_date is not None and c.new_date >= first and (final is None or c.new_date <= final)
    )
    return min(candidates, default=None)


def first_day_on_or_after(plan: FollowUpPlan, first: date) -> date | None:
    """The day of the first planned conversation on or after ``first`` (skips, moves and the
    plan's end taken into account), or None when the plan has no more. The first of
    ``occurrences(plan, first, ...)``, without expanding the rest."""
    return _first_on_or_after(plan, first)


def first_day_number_finder(plan: FollowUpPlan) -> Callable[[int], int | None]:
    """``first_day_on_or_after(plan, ·)`` on day numbers (:meth:`date.toordinal`), with what
    it looks up of the plan worked out once: a report asks it for every follow-up held,
    mostly against the same plan, and for a plain every-n-days plan it is arithmetic."""
    found = cadence(plan.rule, plan.start.day)
    if found is None or plan.changes or not found.days:

        def first_day_of(first: int) -> int | None:
            day = _first_on_or_after(plan, date.fromordinal(first))
            return None if day is None else day.toordinal()

        return first_day_of
    start, step = plan.start.toordinal(), found.days
    final = plan.final_day
    # cadence_first's last day: a day past date.max is none
    last = _LAST_DAY if final is None else min(final.toordinal(), _LAST_DAY)

    def first_day(first: int) -> int | None:  # _first_on_or_after's common case
        day = start if first <= start else start - (start - first) // step * step
        return None if day > last else day

    return first_day


_LAST_DAY = date.max.toordinal()


def next_occurrence(plan: FollowUpPlan, after: datetime) -> datetime | None:
    """The first planned conversation strictly after ``after``, or None.

    A naive ``after`` is read as Amsterdam local time.
    """
    if after.tzinfo is None:
        after = after.replace(tzinfo=AMSTERDAM)
    day = _first_on_or_after(plan, after.astimezone(AMSTERDAM).date())
    if day is not None and _aware(plan, day) <= after:
        day = _first_on_or_after(plan, day + timedelta(days=1))
    return None if day is None else _aware(plan, day)


# --- changing single occurrences ---------------------------------------------------------


def _current_original(plan: FollowUpPlan, when: date) -> date:
    """The rule date behind the conversation currently planned on ``when``."""
    if not _is_date(when):
        raise FollowUpError("pick the date of a planned follow-up conversation")
    for change in plan.changes:
        if change.new_date == when:
            return change.original
    for change in plan.changes:
        if change.original == when:
            if change.action == "skip":
                raise FollowUpError("that follow-up conversation was already skipped")
            raise FollowUpError(
                "that follow-up conversation was moved; change it at the date it was moved to"
            )
    if not _is_rule_date(plan, when):
        raise FollowUpError("no follow-up conversation is planned on that date")
    return when


def skip(plan: FollowUpPlan, original: date, reason: str) -> FollowUpPlan:
    """The plan without the conversation currently planned on ``original`` (reason required).

    ``original`` is a date as ``occurrences`` shows it; for a moved conversation that is its
    new date.
    """
    reason = _check_reason(reason)
    rule_day = _current_original(plan, original)
    others = tuple(c for c in plan.changes if c.original != rule_day)
    return replace(plan, changes=(*others, OccurrenceChange(rule_day, "skip", None, reason)))


def move(plan: FollowUpPlan, original: date, new_date: date, reason: str) -> FollowUpPlan:
    """The plan with the conversation on ``original`` moved to ``new_date`` (reason required).

    ``original`` is a date as ``occurrences`` shows it. Moving a conversation back to its
    rule date removes the change. The new day may not already hold a conversation or lie
    after the plan's end.
    """
    reason = _check_reason(reason)
    if not _is_date(new_date):
        raise FollowUpError("a moved follow-up needs a new date")
    rule_day = _current_original(plan, original)
    if new_date == original:
        raise FollowUpError("the new date is the date the conversation is already planned on")
    final = plan.final_day
    if final is not None and new_date > final:
        raise FollowUpError("the new date lies after the end of the follow-up plan")
    others = tuple(c for c in plan.changes if c.original != rule_day)
    if new_date == rule_day:
        return replace(plan, changes=others)
    if any(c.new_date == new_date for c in others) or (
        _is_rule_date(plan, new_date) and all(c.original != new_date for c in others)
    ):
        raise FollowUpError("another follow-up conversation is already planned on the new date")
    return replace(plan, changes=(*others, OccurrenceChange(rule_day, "move", new_date, reason)))


# --- status ------------------------------------------------------------------------------


class FollowUpState(StrEnum):
    """Where a plan stands today."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    ENDED = "ended"


@dataclass(frozen=True)
class FollowUpStatus:
    """A plan's state on a day, the occurrence it refers to, and days past that occurrence.

    ``days_overdue`` is counted from the occurrence date and is non-zero only when OVERDUE.
    """

    state: FollowUpState
    occurrence: datetime | None
    days_overdue: int = 0


def status(
    plan: FollowUpPlan,
    today: date,
    last_held: date | None,
    due_window_days: int = 7,
) -> FollowUpStatus:
    """The plan's status on ``today``, computed from the plan and the last held conversation.

    A conversation held on day h covers every occurrence on or before h + due_window_days, so
    one held a few days early (or late) counts. The relevant occurrence is the first one not
    covered. DUE within due_window_days either side of it, OVERDUE after that, UPCOMING
    before; ENDED once today is past the plan's final day or no occurrence is left.
    Keep the window under half the interval, or one conversation covers two occurrences.
    """
    if due_window_days < 0:
        raise FollowUpError("the due window cannot be negative")
    final = plan.final_day
    if final is not None and today > final:
        return FollowUpStatus(FollowUpState.ENDED, None, 0)
    conversation = next_conversation(plan, last_held, due_window_days)
    return status_on(final, conversation, today, due_window_days)


def next_conversation(
    plan: FollowUpPlan, last_held: date | None, due_window_days: int = 7
) -> datetime | None:
    """The first conversation not covered by the last one held (see :func:`status`), or None
    when the plan has none left. It does not depend on the day: kept, it gives the plan's
    status on any day through :func:`status_on` without reading the plan again."""
    if due_window_days < 0:
        raise FollowUpError("the due window cannot be negative")
    first = date.min if last_held is None else last_held + timedelta(days=due_window_days + 1)
    day = _first_on_or_after(plan, first)
    return None if day is None else _aware(plan, day)


def status_on(
    final_day: date | None,
    conversation: datetime | None,
    today: date,
    due_window_days: int = 7,
) -> FollowUpStatus:
    """The status on ``today`` of a plan ending on ``final_day`` whose first conversation not
    yet covered is ``conversation`` (:func:`next_conversation`); :func:`status` in two steps."""
    if (final_day is not None and today > final_day) or conversation is None:
        return FollowUpStatus(FollowUpState.ENDED, None, 0)
    day = conversation.date()
    late = (today - day).days
    if late > due_window_days:
        return FollowUpStatus(FollowUpState.OVERDUE, conversation, late)
    if late >= -due_window_days:
        return FollowUpStatus(FollowUpState.DUE, conversation, 0)
    return FollowUpStatus(FollowUpState.UPCOMING, conversation, 0)
