"""Follow-up rules: an RFC 5545 RRULE (without DTSTART) checked, normalised and compiled.

Only a plain recurrence is allowed: FREQ with INTERVAL and the BY-parts that choose days. COUNT
and UNTIL are refused (the end is clinical data kept by the plan), and so are BYHOUR, BYMINUTE
and BYSECOND (the plan sets the time of day). Rules are expanded over naive local datetimes in
Europe/Amsterdam; the zone is attached afterwards (see :mod:`.plan`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
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
