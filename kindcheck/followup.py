"""Recurring follow-up conversations about a client's children (DOMAIN.md part 4).

A plan is stored as a rule plus exceptions, never as a list of dates: an RFC 5545 RRULE
(without DTSTART), a start date, a local wall-clock time, and a short tuple of skipped or
moved occurrences. Dates, due and overdue states are computed when asked, so nothing stale
is ever stored and editing the rhythm re-plans everything at once.

Time: conversations happen at a local time in Europe/Amsterdam (default 09:00). The rule is
expanded over *naive* local datetimes and the zone is attached afterwards, so a conversation
at 09:00 stays at 09:00 local across the March and October clock changes (its UTC offset
changes instead). Every occurrence falls on its own day (the rule may not set hours,
minutes or seconds), which is why skips and moves are keyed by date.

Ends: a plan runs up to and including ``final_day``, the earlier of ``ends_on`` (the
youngest child's 18th birthday, or treatment end) and ``treatment_ended_on``. A rule may not
carry COUNT or UNTIL: the end is clinical data that lives in the plan, not in the rule, and
the calendar export writes it into the exported RRULE as UNTIL.

Privacy: error messages never contain dates, reasons or references (see kindcheck.errors);
the calendar export carries a pseudonymous reference and nothing else about the client.

Pure functions over plain data: no Textual, no database. The store serialises a plan with
``FollowUpPlan.to_dict`` and reads it back with ``FollowUpPlan.from_dict``.
"""

from __future__ import annotations

import re
import string
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from kindcheck.errors import FollowUpError

__all__ = [
    "AMSTERDAM",
    "DEFAULT_TIME",
    "EVENT_DURATION",
    "FollowUpPlan",
    "FollowUpState",
    "FollowUpStatus",
    "OccurrenceChange",
    "Rhythm",
    "default_rhythm",
    "eighteenth_birthday",
    "end_treatment",
    "move",
    "new_plan",
    "next_occurrence",
    "occurrences",
    "plan_end_for_children",
    "plans_to_ics",
    "rrule_for",
    "skip",
    "status",
    "with_rule",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEFAULT_TIME = time(9, 0)
EVENT_DURATION = timedelta(minutes=45)
PLAN_FORMAT = 1  # version of the to_dict layout; bump when it changes

Action = Literal["skip", "move"]


class Rhythm(StrEnum):
    """The default rhythms of DOMAIN.md part 4 (a product decision, editable per client)."""

    SAFETY = "safety"  # every 2 weeks while the Meldcode process runs
    STACKING = "stacking"  # every 6 weeks with 3 or more problem domains
    CHILDREN = "children"  # every 3 months otherwise, with minor children


_RHYTHM_RULES: dict[Rhythm, str] = {
    Rhythm.SAFETY: "FREQ=WEEKLY;INTERVAL=2",
    Rhythm.STACKING: "FREQ=WEEKLY;INTERVAL=6",
    Rhythm.CHILDREN: "FREQ=MONTHLY;INTERVAL=3",
}
_RHYTHM_STEPS: dict[Rhythm, relativedelta] = {
    Rhythm.SAFETY: relativedelta(weeks=2),
    Rhythm.STACKING: relativedelta(weeks=6),
    Rhythm.CHILDREN: relativedelta(months=3),
}


def rrule_for(rhythm: Rhythm) -> str:
    """The RFC 5545 RRULE (without DTSTART) of a default rhythm."""
    return _RHYTHM_RULES[Rhythm(rhythm)]


def default_rhythm(
    has_children_or_pregnancy: bool,
    safety_signal: bool,
    problem_domain_count: int,
    threshold: int = 3,
) -> Rhythm | None:
    """The default rhythm for an intake outcome, or None when no plan is needed.

    Without minor children and without a pregnancy there is no child to keep in view, so no
    plan. Otherwise safety comes first, whatever the domain count (safety is never averaged
    away), then stacking at ``threshold`` or more problem domains, else the 3-monthly rhythm.
    """
    if problem_domain_count < 0:
        raise FollowUpError("the number of problem domains cannot be negative")
    if threshold < 1:
        raise FollowUpError("the stacking threshold must be at least 1")
    if not has_children_or_pregnancy:
        return None
    if safety_signal:
        return Rhythm.SAFETY
    if problem_domain_count >= threshold:
        return Rhythm.STACKING
    return Rhythm.CHILDREN


# --- rules -------------------------------------------------------------------------------

_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_ALLOWED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
_REFUSED_PARTS = {
    "COUNT": "COUNT is not allowed: a plan ends at its end date (treatment end or the "
    "youngest child's 18th birthday), which the plan keeps itself",
    "UNTIL": "UNTIL is not allowed: a plan ends at its end date (treatment end or the "
    "youngest child's 18th birthday), which the plan keeps itself",
    "BYHOUR": "the time of day is set by the plan, not by the rule",
    "BYMINUTE": "the time of day is set by the plan, not by the rule",
    "BYSECOND": "the time of day is set by the plan, not by the rule",
}
_RULE_CHARS = re.compile(r"[A-Z0-9=;,+\-]+")
_MAX_RULE_LENGTH = 200
_MAX_INTERVAL = 1000


def _rule_error(rule: str, detail: str) -> FollowUpError:
    shown = rule if len(rule) <= 80 else rule[:77] + "..."
    return FollowUpError(f"follow-up rule {shown!r} is not valid: {detail}")


def _split_rule(rule: str) -> list[tuple[str, str]]:
    """Check a rule's grammar before dateutil sees it (dateutil accepts INTERVAL=0: endless)."""
    if not rule:
        raise _rule_error(rule, "it is empty")
    if len(rule) > _MAX_RULE_LENGTH:
        raise _rule_error(rule, f"it is longer than {_MAX_RULE_LENGTH} characters")
    if not _RULE_CHARS.fullmatch(rule):
        raise _rule_error(rule, "write one RRULE such as FREQ=WEEKLY;INTERVAL=2, without DTSTART")
    parts: list[tuple[str, str]] = []
    seen: set[str] = set()
    for chunk in rule.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep or not name or not value:
            raise _rule_error(rule, f"{chunk!r} is not of the form NAME=VALUE")
        if name in _REFUSED_PARTS:
            raise _rule_error(rule, _REFUSED_PARTS[name])
        if name not in _ALLOWED_PARTS:
            raise _rule_error(rule, f"{name} is not supported")
        if name in seen:
            raise _rule_error(rule, f"{name} appears twice")
        seen.add(name)
        parts.append((name, value))
    values = dict(parts)
    if values.get("FREQ") not in _FREQS:
        raise _rule_error(rule, "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "INTERVAL" in values:
        interval = values["INTERVAL"]
        if not interval.isdigit() or not 1 <= int(interval) <= _MAX_INTERVAL:
            raise _rule_error(rule, f"INTERVAL must be a whole number from 1 to {_MAX_INTERVAL}")
    return parts


def _clamp_month_end(
    parts: list[tuple[str, str]], anchor_day: int, anchor_month: int
) -> list[tuple[str, str]]:
    """Keep a monthly or yearly rule from skipping months that lack the start's day.

    RFC 5545 drops invalid dates, so "every 3 months from 31 January" would silently skip
    April and become half-yearly. For a plain rule starting on day 29-31 we add
    BYMONTHDAY=28,...,day;BYSETPOS=-1: the start's day where the month has it, else the
    month's last day. Rules that already choose their days are left alone.
    """
    names = {name for name, _ in parts}
    if names & {"BYDAY", "BYMONTHDAY", "BYSETPOS"} or anchor_day <= 28:
        return parts
    freq = dict(parts)["FREQ"]
    days = ",".join(str(d) for d in range(28, anchor_day + 1))
    if freq == "MONTHLY":
        return [*parts, ("BYMONTHDAY", days), ("BYSETPOS", "-1")]
    if freq == "YEARLY" and anchor_month == 2 and "BYMONTH" not in names:
        return [*parts, ("BYMONTH", "2"), ("BYMONTHDAY", days), ("BYSETPOS", "-1")]
    return parts


def _normalise_rule(rule: str, start: date, anchor_day: int | None = None) -> str:
    """Canonical, validated form of a rule for a plan starting on ``start``."""
    if not isinstance(rule, str):
        raise FollowUpError("a follow-up rule must be text, such as FREQ=WEEKLY;INTERVAL=2")
    text = rule.strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = _clamp_month_end(_split_rule(text), anchor_day or start.day, start.month)
    normal = ";".join(f"{name}={value}" for name, value in parts)
    _check_rule_yields(normal, datetime.combine(start, DEFAULT_TIME))
    return normal


@lru_cache(maxsize=512)
def _check_rule_yields(rule: str, dtstart: datetime) -> None:
    """Refuse a rule dateutil rejects or that never produces a date (e.g. 30 February).

    Cached: proving that an impossible rule is empty makes dateutil walk to the year 9999
    (up to a few seconds for a daily rule), which we pay once, at validation, never later.
    """
    try:
        compiled = rrulestr(rule, dtstart=dtstart)
    except (ValueError, TypeError) as exc:
        raise _rule_error(rule, str(exc)) from None
    if compiled.after(dtstart, inc=True) is None:
        raise _rule_error(rule, "it never produces a date")


@lru_cache(maxsize=512)
def _compiled(rule: str, dtstart: datetime) -> rrule:
    """The dateutil rule over naive local datetimes (cached: plans are expanded often)."""
    compiled = rrulestr(rule, dtstart=dtstart, cache=True)
    assert isinstance(compiled, rrule)  # a single RRULE, never a set: checked by _split_rule
    return compiled


# --- plan data ---------------------------------------------------------------------------


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
    is completed so that short months are not skipped (see ``_clamp_month_end``).
    """

    rule: str
    start: date
    time_of_day: time = DEFAULT_TIME
    changes: tuple[OccurrenceChange, ...] = ()
    ends_on: date | None = None
    treatment_ended_on: date | None = None
    _dtstart: datetime = field(init=False, repr=False, compare=False)

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
        if not all(isinstance(c, OccurrenceChange) for c in changes):
            raise FollowUpError("a follow-up plan's changes must be OccurrenceChange values")
        originals = [c.original for c in changes]
        if len(set(originals)) != len(originals):
            raise FollowUpError("a follow-up plan changes the same occurrence twice")
        targets = [c.new_date for c in changes if c.new_date is not None]
        if len(set(targets)) != len(targets):
            raise FollowUpError("a follow-up plan moves two occurrences to the same day")
        # Sorted, so that two plans with the same changes compare equal.
        object.__setattr__(self, "changes", tuple(sorted(changes, key=lambda c: c.original)))
        object.__setattr__(self, "_dtstart", datetime.combine(self.start, self.time_of_day))

    @property
    def final_day(self) -> date | None:
        """The last day a conversation can fall on (inclusive), or None for an open plan."""
        ends = [d for d in (self.ends_on, self.treatment_ended_on) if d is not None]
        return min(ends, default=None)

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
        if not isinstance(data, dict):
            raise FollowUpError("follow-up plan: expected an object")
        expected = {
            "format",
            "rule",
            "start",
            "time_of_day",
            "changes",
            "ends_on",
            "treatment_ended_on",
        }
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


def _read_date(value: object, name: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FollowUpError(f"follow-up plan: field {name!r} must be a date (YYYY-MM-DD)")


def _read_optional_date(value: object, name: str) -> date | None:
    return None if value is None else _read_date(value, name)


# --- building plans ----------------------------------------------------------------------


def eighteenth_birthday(birth_date: date) -> date:
    """The 18th birthday; someone born on 29 February turns 18 on 28 February in a common year.

    (relativedelta clamps to the month's last day. Some jurisdictions use 1 March; this is
    the product's choice.)
    """
    if not _is_date(birth_date):
        raise FollowUpError("a birth date must be a date")
    return birth_date + relativedelta(years=18)


def plan_end_for_children(
    intake: date,
    children: list[tuple[int, date | None]],
    pregnancy_due: date | None = None,
    *,
    pregnancy: bool = False,
) -> date | None:
    """The day the youngest child turns 18: the latest end over all children, or None.

    Each child is (age in whole years at intake, birth date if known); the birth date wins
    when both are given. With only an age ``a`` we use the *latest* day the 18th birthday can
    fall on, intake + (18 - a) years: the child turned ``a`` at most on the intake day, so the
    real birthday is on or before that. Erring late keeps a plan running a little longer
    rather than dropping a minor child from view too early.

    An expected child (``pregnancy=True``, or a ``pregnancy_due`` date) ends at due + 18
    years; without a due date at intake + 18 years + 9 months (the latest a pregnancy known
    at intake can end). Children who are already adults at intake are ignored.
    """
    if not _is_date(intake):
        raise FollowUpError("the intake date must be a date")
    ends: list[date] = []
    for age, birth_date in children:
        if birth_date is not None:
            if not _is_date(birth_date):
                raise FollowUpError("a child's birth date must be a date")
            if birth_date > intake:
                raise FollowUpError(
                    "a child's birth date lies after the intake; "
                    "record an expected child as a pregnancy"
                )
            end = eighteenth_birthday(birth_date)
        else:
            if not isinstance(age, int) or isinstance(age, bool) or age < 0:
                raise FollowUpError("a child's age must be a whole number of years, 0 or more")
            end = intake + relativedelta(years=18 - age)
        if end > intake:  # an 18th birthday on or before the intake: not a minor
            ends.append(end)
    if pregnancy_due is not None:
        if not _is_date(pregnancy_due):
            raise FollowUpError("a due date must be a date")
        ends.append(pregnancy_due + relativedelta(years=18))
    elif pregnancy:
        ends.append(intake + relativedelta(years=18, months=9))
    return max(ends, default=None)


def new_plan(
    rhythm: Rhythm,
    start: date,
    ends_on: date | None,
    time_of_day: time = DEFAULT_TIME,
) -> FollowUpPlan:
    """A plan in a default rhythm whose first conversation is one interval after ``start``.

    ``start`` is the intake, which is itself the first conversation about the children. A
    3-monthly plan from 30 November keeps day 30 where a month has it (28 or 29 February).
    """
    rhythm = Rhythm(rhythm)
    if not _is_date(start):
        raise FollowUpError("a follow-up plan needs a start date")
    first = start + _RHYTHM_STEPS[rhythm]
    # Anchor month-end handling on the intake's day, not on a clamped first date (28 Feb).
    rule = _normalise_rule(rrule_for(rhythm), first, anchor_day=start.day)
    return FollowUpPlan(rule=rule, start=first, time_of_day=time_of_day, ends_on=ends_on)


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
    compiled = _compiled(plan.rule, plan._dtstart)
    lo = datetime.combine(first, time.min)
    hi = datetime.combine(last, time.max)
    return [dt.date() for dt in compiled.between(lo, hi, inc=True)]


def _is_rule_date(plan: FollowUpPlan, day: date) -> bool:
    """Whether the bare rule has an occurrence on ``day`` within the plan's end."""
    final = plan.final_day
    if day < plan.start or (final is not None and day > final):
        return False
    return datetime.combine(day, plan.time_of_day) in _compiled(plan.rule, plan._dtstart)


def occurrences(plan: FollowUpPlan, start: date, end: date) -> list[datetime]:
    """The planned conversations from ``start`` to ``end`` (both inclusive), in order.

    Aware datetimes in Europe/Amsterdam; skipped ones removed, moved ones on their new day,
    none after the plan's final day. A move keeps counting when its new day is before the
    end, even if its original day is after it.
    """
    final = plan.final_day
    last = end if final is None else min(end, final)
    if last < start:
        return []
    changed = {c.original for c in plan.changes}
    days = {d for d in _rule_dates(plan, start, last) if d not in changed}
    days.update(
        c.new_date for c in plan.changes if c.new_date is not None and start <= c.new_date <= last
    )
    return [_aware(plan, d) for d in sorted(days)]


def _first_on_or_after(plan: FollowUpPlan, first: date) -> date | None:
    """The first conversation day on or after ``first``, or None when the plan has no more."""
    final = plan.final_day
    changed = {c.original for c in plan.changes}
    candidates: list[date] = []
    compiled = _compiled(plan.rule, plan._dtstart)
    # xafter walks lazily; the rule is infinite (no COUNT/UNTIL) and changes are finite, so
    # this loop ends at the first unchanged date or at the plan's final day.
    for dt in compiled.xafter(datetime.combine(first, time.min), inc=True):
        day = dt.date()
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
    first = date.min if last_held is None else last_held + timedelta(days=due_window_days + 1)
    day = _first_on_or_after(plan, first)
    if day is None:
        return FollowUpStatus(FollowUpState.ENDED, None, 0)
    late = (today - day).days
    if late > due_window_days:
        return FollowUpStatus(FollowUpState.OVERDUE, _aware(plan, day), late)
    if late >= -due_window_days:
        return FollowUpStatus(FollowUpState.DUE, _aware(plan, day), 0)
    return FollowUpStatus(FollowUpState.UPCOMING, _aware(plan, day), 0)


# --- calendar export ---------------------------------------------------------------------

PRODID = "-//Kindcheck//NL"
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:kindcheck:followup")
# A pseudonymous code: no spaces, so "Jan Jansen" cannot pass, and at least one digit, so a
# single surname cannot either. The store's client references must fit this pattern.
_REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,62}")
_MAX_TEMPLATE_LENGTH = 120


def _check_ref(ref: object) -> str:
    if not (isinstance(ref, str) and _REF_PATTERN.fullmatch(ref) and any(c.isdigit() for c in ref)):
        # Never echo the value: if it is not a pseudonym it may be a name.
        raise FollowUpError(
            "a calendar entry takes a pseudonymous reference only "
            "(3-63 letters, digits, '-' or '_', with at least one digit), never a name"
        )
    return ref


def _check_template(template: object) -> str:
    """The summary template may hold fixed text and {ref}, nothing else (no {ref.attr})."""
    if not isinstance(template, str) or not template or len(template) > _MAX_TEMPLATE_LENGTH:
        raise FollowUpError(
            "the calendar summary template must be text of at most "
            f"{_MAX_TEMPLATE_LENGTH} characters"
        )
    if any(not ch.isprintable() for ch in template):
        raise FollowUpError("the calendar summary template may not contain control characters")
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        raise FollowUpError("the calendar summary template has unbalanced braces") from None
    names = [(name, spec, conv) for _, name, spec, conv in fields if name is not None]
    if not names or any(item != ("ref", "", None) for item in names):
        raise FollowUpError("the calendar summary template must contain {ref} and no other field")
    return template


def _event_uid(ref: str, plan: FollowUpPlan, suffix: str = "") -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, f"{ref}/{plan.start.isoformat()}{suffix}"))


def _event(uid: str, summary: str, start: datetime, stamp: datetime) -> Any:
    """A VEVENT with only what a calendar needs: no description, location or attendees."""
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("duration", EVENT_DURATION)
    return event


def plans_to_ics(
    entries: list[tuple[str, FollowUpPlan]],
    summary_template: str = "Vervolggesprek kinderen {ref}",
) -> bytes:
    """An iCalendar file with one recurring event per plan, for any calendar app.

    Each ``entries`` item is (pseudonymous reference, plan); the reference is the only client
    detail written. Per plan: DTSTART at the first rule date with TZID Europe/Amsterdam
    (DTSTART always counts as an occurrence in RFC 5545, so it must be a real one), DURATION
    45 minutes, the RRULE with UNTIL (in UTC, as RFC 5545 requires with a TZID) at the
    plan's final day, EXDATE for skipped and moved dates, and one event with RECURRENCE-ID
    per moved conversation. A move whose original date lies after the plan's end has no
    series instance to override and becomes a standalone event. Reasons never appear.
    """
    from icalendar import Calendar, vRecur  # lazy: only the export needs it

    template = _check_template(summary_template)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    stamp = datetime.now(UTC).replace(microsecond=0)
    seen: set[str] = set()
    earliest: list[date] = []
    latest: list[date] = []
    for entry in entries:
        if not (
            isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], FollowUpPlan)
        ):
            raise FollowUpError(
                "calendar entries are (pseudonymous reference, follow-up plan) pairs"
            )
        ref, plan = _check_ref(entry[0]), entry[1]
        uid = _event_uid(ref, plan)
        if uid in seen:
            raise FollowUpError("the same plan is listed twice for one reference")
        seen.add(uid)
        summary = template.format(ref=ref)
        final = plan.final_day
        compiled = _compiled(plan.rule, plan._dtstart)
        first_dt = compiled.after(plan._dtstart, inc=True)
        first = None if first_dt is None else first_dt.date()
        has_series = first is not None and (final is None or first <= final)

        if has_series:
            assert first is not None
            earliest.append(first)
            series = _event(uid, summary, _aware(plan, first), stamp)
            recur = vRecur.from_ical(plan.rule)
            if final is not None:
                recur["UNTIL"] = [_aware(plan, final).astimezone(UTC)]
                latest.append(final)
            series.add("rrule", recur)
            excluded = [
                _aware(plan, c.original)
                for c in plan.changes
                if c.original >= first and (final is None or c.original <= final)
            ]
            if excluded:
                series.add("exdate", excluded)
            calendar.add_component(series)
        for change in plan.changes:
            if change.new_date is None or (final is not None and change.new_date > final):
                continue
            earliest.append(change.new_date)
            latest.append(change.new_date)
            overrides = has_series and (final is None or change.original <= final)
            if overrides:
                moved = _event(uid, summary, _aware(plan, change.new_date), stamp)
                moved.add("recurrence-id", _aware(plan, change.original))
            else:
                alone = _event_uid(ref, plan, f"/{change.original.isoformat()}")
                moved = _event(alone, summary, _aware(plan, change.new_date), stamp)
            calendar.add_component(moved)
    if earliest:
        # Open-ended plans: cover the longest a children's plan can run (18 years + 9 months).
        last = max([*latest, max(earliest) + relativedelta(years=19)])
        calendar.add_missing_timezones(min(earliest) - timedelta(days=1), last + timedelta(days=1))
    return bytes(calendar.to_ical())  # icalendar does not annotate to_ical


# --- policy: the plan after a session ------------------------------------------------------
#
# What a client's plan becomes after a recorded session. Kept as one trailing block with its
# own imports so it can move as a whole into the follow-up policy module; the outcome module
# builds on this one, so the outcome and the stored plan are described by Protocols here.

from collections.abc import Sequence  # noqa: E402 (this block's own imports, see above)
from typing import Final, Protocol  # noqa: E402


class ChildFacts(Protocol):
    """A child in view, as far as the plan's end depends on it."""

    @property
    def age(self) -> int | None: ...
    @property
    def birth_date(self) -> date | None: ...


class SessionFindings(Protocol):
    """What the plan after a session depends on (kindcheck.outcome.Outcome has it)."""

    @property
    def followup_rhythm(self) -> Rhythm | None: ...
    @property
    def children(self) -> Sequence[ChildFacts]: ...
    @property
    def pregnancy(self) -> str | None: ...
    @property
    def pregnancy_due(self) -> date | None: ...


class PlanOnFile(Protocol):
    """A client's plan as stored, with the default rhythm it follows (None: set by hand)."""

    @property
    def plan(self) -> FollowUpPlan: ...
    @property
    def rhythm(self) -> Rhythm | None: ...


# More frequent first: a later session can tighten a plan's rhythm, never loosen it silently.
_RHYTHM_RANK: Final = {Rhythm.CHILDREN: 1, Rhythm.STACKING: 2, Rhythm.SAFETY: 3}


def _plan_end(outcome: SessionFindings, session_date: date) -> date | None:
    children = [
        (child.age if child.age is not None else 0, child.birth_date)
        for child in outcome.children
        if child.age is not None or child.birth_date is not None
    ]
    return plan_end_for_children(
        session_date,
        children,
        outcome.pregnancy_due,
        pregnancy=outcome.pregnancy == "yes",
    )


def plan_after_session(
    existing: PlanOnFile | None, outcome: SessionFindings, session_date: date
) -> tuple[FollowUpPlan, Rhythm | None, str] | None:
    """The plan a client should have after a session, and what changed.

    - No plan yet and the outcome has a rhythm: a new plan, first conversation one interval
      after the session, ending when the youngest child turns 18.
    - A plan in a default rhythm, and the new outcome's rhythm is *more frequent* (a safety
      signal, or stacking): the plan moves to the new rhythm from this session on, keeping its
      skips and moves where they still fit. A less frequent outcome never loosens a plan: the
      clinician decides that. A plan edited by hand (rhythm None) is left alone.
    - The end date only ever moves later (a new child or a pregnancy).

    Returns None when there is nothing to store (no plan and no rhythm).
    """
    rhythm = outcome.followup_rhythm
    end = _plan_end(outcome, session_date)
    if existing is None:
        if rhythm is None:
            return None
        return new_plan(rhythm, session_date, end), rhythm, "new"
    plan, change, stored_rhythm = existing.plan, "unchanged", existing.rhythm
    if (
        rhythm is not None
        and stored_rhythm is not None
        and _RHYTHM_RANK[rhythm] > _RHYTHM_RANK[stored_rhythm]
    ):
        fresh = new_plan(rhythm, session_date, plan.ends_on)
        plan = with_rule(plan, fresh.rule, start=fresh.start)
        stored_rhythm, change = rhythm, "more_frequent"
    if end is not None and plan.ends_on is not None and end > plan.ends_on:
        plan = FollowUpPlan(
            rule=plan.rule,
            start=plan.start,
            time_of_day=plan.time_of_day,
            changes=plan.changes,
            ends_on=end,
            treatment_ended_on=plan.treatment_ended_on,
        )
    return plan, stored_rhythm, change
