"""The calendar export: one recurring event per plan, with a pseudonymous reference only."""

from __future__ import annotations

import re
import string
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from kindcheck.errors import FollowUpError

from .plan import FollowUpPlan, _aware
from .rules import _compiled

if TYPE_CHECKING:
    from icalendar import Event

EVENT_DURATION = timedelta(minutes=45)
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


def _event(uid: str, summary: str, start: datetime, stamp: datetime) -> Event:
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
    ical: bytes = calendar.to_ical()  # icalendar leaves this method unannotated
    return ical
