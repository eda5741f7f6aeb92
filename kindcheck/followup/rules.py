"""Follow-up rules: an RFC 5545 RRULE (without DTSTART) checked, normalised and compiled.

Only a plain recurrence is allowed: FREQ with INTERVAL and the BY-parts that choose days. COUNT
and UNTIL are refused (the end is clinical data kept by the plan), and so are BYHOUR, BYMINUTE
and BYSECOND (the plan sets the time of day). Rules are expanded over naive local datetimes in
Europe/Amsterdam; the zone is attached afterwards (see :mod:`.plan`).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateutil.rrule import rrule, rrulestr

from kindcheck.errors import FollowUpError

DEFAULT_TIME = time(9, 0)

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
    normal = _normal_form(rule, anchor_day or start.day, start.month)
    if cadence(normal, start.day) is None:  # an arithmetic rule always yields dates
        _check_rule_yields(normal, datetime.combine(start, DEFAULT_TIME))
    return normal


@lru_cache(maxsize=1024)
def _normal_form(rule: str, anchor_day: int, anchor_month: int) -> str:
    """The rule checked and written canonically (it depends only on these three: cached, as
    every plan read back is normalised again). A bad rule raises FollowUpError each time."""
    text = rule.strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = _clamp_month_end(_split_rule(text), anchor_day, anchor_month)
    return ";".join(f"{name}={value}" for name, value in parts)


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


@dataclass(frozen=True)
class Cadence:
    """A rule whose dates follow from its start by arithmetic, as dateutil would expand it:
    every ``days`` days (DAILY, WEEKLY without BY-parts), or every ``months`` months on the
    start's day (MONTHLY without BY-parts from a day 1-28), or on ``clamp`` or the month's
    last day when it is shorter (the month-end form :func:`_clamp_month_end` makes, for a
    start on that day). Reports expand thousands of plans; dateutil walks every rule from its
    start on every question, which costs a report more than everything else it does.
    (tests/core/test_followup_cadence.py checks it against dateutil.)"""

    days: int = 0
    months: int = 0
    clamp: int | None = None


@lru_cache(maxsize=256)
def cadence(rule: str, start_day: int) -> Cadence | None:
    """The arithmetic form of a normalised ``rule`` for a plan starting on day ``start_day``
    of its month; None for a rule only dateutil expands."""
    parts = dict(chunk.partition("=")[::2] for chunk in rule.split(";"))
    interval = parts.pop("INTERVAL", "1")
    freq = parts.pop("FREQ", "")
    if not interval.isdigit() or int(interval) < 1:
        return None
    step = int(interval)
    if freq in ("DAILY", "WEEKLY") and not parts:
        return Cadence(days=step * (7 if freq == "WEEKLY" else 1))
    if freq == "MONTHLY" and not parts and 1 <= start_day <= 28:
        return Cadence(months=step)
    clamped = {"BYMONTHDAY": ",".join(str(d) for d in range(28, start_day + 1)), "BYSETPOS": "-1"}
    if freq == "MONTHLY" and 29 <= start_day <= 31 and parts == clamped:
        return Cadence(months=step, clamp=start_day)
    return None


def _month_day(year: int, month: int, day: int, clamp: int | None) -> date:
    if clamp is None:
        return date(year, month, day)
    return date(year, month, min(clamp, monthrange(year, month)[1]))


def _steps_before(found: Cadence, start: date, first: date) -> int:
    """A number of steps of ``found.months`` from ``start`` whose date lies before ``first``
    (not more: counting on from it reaches the first date on or after ``first``)."""
    months = (first.year - start.year) * 12 + first.month - start.month
    return max(0, months // found.months - 1)


_FROM_ORDINAL = date.fromordinal


def cadence_dates(found: Cadence, start: date, first: date, last: date) -> list[date]:
    """The dates of ``found`` from ``start`` within [first, last] (both inclusive)."""
    if last < first or last < start:
        return []
    if found.days:
        # By day number: a report expands every plan from its start (a million days at
        # 100,000 sessions).
        skip = max(0, -(-(first - start).days // found.days))
        numbers = range(start.toordinal() + skip * found.days, last.toordinal() + 1, found.days)
        return [_FROM_ORDINAL(number) for number in numbers]
    months = _steps_before(found, start, first)
    days: list[date] = []
    while True:
        index = start.month - 1 + months * found.months
        year = start.year + index // 12
        if year > last.year:
            return days
        day = _month_day(year, index % 12 + 1, start.day, found.clamp)
        if day > last:
            return days
        if day >= first:
            days.append(day)
        months += 1


def cadence_first(found: Cadence, start: date, first: date) -> date | None:
    """The first date of ``found`` from ``start`` on or after ``first`` (None past year 9999)."""
    if found.days:
        first = max(first, start)
        skip = -(-(first - start).days // found.days)
        try:
            return start + timedelta(days=skip * found.days)
        except OverflowError:
            return None
    return next(cadence_after(found, start, first), None)


def cadence_after(found: Cadence, start: date, first: date) -> Iterator[date]:
    """The dates of ``found`` from ``start`` on or after ``first``, in order, without end."""
    first = max(first, start)
    if found.days:
        skip = -(-(first - start).days // found.days)
        try:
            day = start + timedelta(days=skip * found.days)
        except OverflowError:
            return
        step = timedelta(days=found.days)
        while True:
            yield day
            if date.max - day < step:
                return
            day += step
    months = _steps_before(found, start, first)
    while True:
        index = start.month - 1 + months * found.months
        year = start.year + index // 12
        if year > date.max.year:
            return
        day = _month_day(year, index % 12 + 1, start.day, found.clamp)
        if day >= first:
            yield day
        months += 1


@lru_cache(maxsize=512)
def _compiled(rule: str, dtstart: datetime) -> rrule:
    """The dateutil rule over naive local datetimes (cached: plans are expanded often)."""
    compiled = rrulestr(rule, dtstart=dtstart, cache=True)
    assert isinstance(compiled, rrule)  # a single RRULE, never a set: checked by _split_rule
    return compiled
