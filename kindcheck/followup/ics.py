"""The calendar file: one all-day recurring event per client's plan, with a pseudonymous code only.

What the file holds, and why:

- **All-day events, no time zone.** A follow-up is due *on a day*: the due list counts days
  and has a window of a week either side, and nothing in the app sets a time (every plan has
  the default ``time_of_day``). A timed event at an invented 09:00 made every client due on
  a day overlap and block the agenda, and needed a VTIMEZONE, which readers get wrong (vobject,
  behind Radicale and khal, misread the RDATE form an hour off after a clock change; Outlook is
  known to mishandle it). An all-day event has ``DTSTART;VALUE=DATE`` and ``DTEND`` the next
  day (as Outlook and Google write them), so no reader can shift it across midnight or a
  clock change; it is transparent (``TRANSP:TRANSPARENT``, and for Outlook
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``): a reminder in the day's header that blocks nothing;
  the clinician books the real appointment with the client. ``UNTIL`` is then a plain date
  (RFC 5545: UNTIL has DTSTART's value type). If the product ever schedules real times, the
  other correct form is a VTIMEZONE with the two yearly RRULE transitions, as Outlook writes it.
- **One event per client's plan for its whole life.** The UID is derived from the calendar
  code alone (a client has one plan), so a changed rhythm, a new start, skips, moves and the
  end keep it, and a calendar app that re-imports the file updates the series instead of
  adding a second one. ``SEQUENCE`` is the plan's revision (raised on every saved change) and
  ``LAST-MODIFIED`` the time of that change, on the series and on each of its overrides, so a
  reader can tell the newer version; an unchanged plan exports both unchanged.
- **A skip is an EXDATE, a move an override, never both.** A moved conversation is a
  component with the series' UID, ``RECURRENCE-ID`` its rule day and ``DTSTART`` its new day.
  Excluding that rule day as well would leave the override nothing to replace, and readers
  that follow RFC 5545 (recurring-ical-events) then drop it. A move whose rule day lies after
  the plan's end has no instance to override and stands alone under its own UID; a move whose
  new day lies after the end is gone, and its rule day is excluded like a skip.
- **Ended plans are written with their end** (``UNTIL``), so a re-import cuts the series. A
  plan that ended before its first conversation is written as a series with no instance left
  (its one rule day excluded), which clears the dates an earlier import showed.
- The calendar is named (``X-WR-CALNAME`` and RFC 7986 ``NAME``) so an import lands in a
  calendar of its own. Lines end in CRLF and are folded at 75 octets (icalendar does both).

Privacy: the pseudonymous code in the summary is the only client detail written; reasons for
skips and moves never appear. icalendar is imported lazily: only the export needs it.
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from kindcheck.errors import FollowUpError

from .plan import FollowUpPlan
from .rules import _compiled

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Kindcheck//NL"
DEFAULT_SUMMARY = "Vervolggesprek kinderen {ref}"
DEFAULT_CALENDAR_NAME = "Kindcheck vervolggesprekken"
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:kindcheck:followup")
# A pseudonymous code: no spaces, so "Jan Jansen" cannot pass, and at least one digit, so a
# single surname cannot either. The store's client references must fit this pattern.
_REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,62}")
_MAX_TEMPLATE_LENGTH = 120
_MAX_NAME_LENGTH = 80
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CalendarEntry:
    """One client's plan as the calendar shows it.

    ``code`` is the pseudonymous calendar code, the only client detail written; ``revision``
    becomes SEQUENCE and ``modified`` (an aware datetime, written in UTC) LAST-MODIFIED; None
    writes the export time.
    """

    code: str
    plan: FollowUpPlan
    revision: int = 0
    modified: datetime | None = None


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


def _check_name(name: object) -> str:
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > _MAX_NAME_LENGTH
        or any(not ch.isprintable() for ch in name)
    ):
        raise FollowUpError(
            f"the calendar name must be one line of text of at most {_MAX_NAME_LENGTH} characters"
        )
    return name


def _check_entry(entry: object) -> CalendarEntry:
    if isinstance(entry, tuple) and len(entry) == 2:
        entry = CalendarEntry(entry[0], entry[1])
    if not (isinstance(entry, CalendarEntry) and isinstance(entry.plan, FollowUpPlan)):
        raise FollowUpError("calendar entries are (pseudonymous reference, follow-up plan) pairs")
    _check_ref(entry.code)
    revision = entry.revision
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        raise FollowUpError("a calendar entry's revision is a whole number, 0 or more")
    modified = entry.modified
    if modified is not None and (not isinstance(modified, datetime) or modified.tzinfo is None):
        raise FollowUpError("a calendar entry's modification time needs a time zone")
    return entry


def _uid(code: str, suffix: str = "") -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, f"{code}{suffix}"))


def _utc_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class _Stamp:
    """What every component of one plan carries besides its days."""

    uid: str
    summary: str
    sequence: int
    modified: datetime
    exported: datetime


def _event(stamp: _Stamp, day: date, uid: str | None = None) -> Event:
    """An all-day VEVENT with only what a calendar needs: no description, location or
    attendees; free time, so it blocks nothing."""
    from icalendar import Event

    event = Event()
    event.add("uid", uid or stamp.uid)
    event.add("dtstamp", stamp.exported)
    event.add("last-modified", stamp.modified)
    event.add("sequence", stamp.sequence)
    event.add("summary", stamp.summary)
    event.add("dtstart", day)
    event.add("dtend", day + _ONE_DAY)
    event.add("transp", "TRANSPARENT")
    event.add("x-microsoft-cdo-busystatus", "FREE")
    event.add("x-microsoft-cdo-alldayevent", "TRUE")
    return event


def _first_rule_day(plan: FollowUpPlan) -> date | None:
    found = _compiled(plan.rule, plan._dtstart).after(plan._dtstart, inc=True)
    return None if found is None else found.date()


def _plan_components(entry: CalendarEntry, stamp: _Stamp) -> list[Event]:
    """The series (DTSTART on its first rule day, which RFC 5545 always counts as an
    instance), its overrides, and moves that stand alone."""
    from icalendar import vRecur

    plan, final = entry.plan, entry.plan.final_day
    first = _first_rule_day(plan)
    components: list[Event] = []
    if first is None:  # a validated rule always yields a day; nothing to write otherwise
        return components
    within = first if final is None or first <= final else None

    def in_series(day: date) -> bool:
        return within is not None and within <= day and (final is None or day <= final)

    series = _event(stamp, first)
    recur = vRecur.from_ical(plan.rule)
    if within is None:
        # Ended before its first conversation: a series with no instance left, so that a
        # re-import clears the dates an earlier export showed.
        recur["UNTIL"] = [first]
        series.add("rrule", recur)
        series.add("exdate", [first])
    else:
        if final is not None:
            recur["UNTIL"] = [final]
        series.add("rrule", recur)
        gone = [
            change.original
            for change in plan.changes
            if in_series(change.original)
            and (change.new_date is None or (final is not None and change.new_date > final))
        ]
        if gone:
            series.add("exdate", gone)
    components.append(series)
    for change in plan.changes:
        if change.new_date is None or (final is not None and change.new_date > final):
            continue
        if in_series(change.original):
            moved = _event(stamp, change.new_date)
            moved.add("recurrence-id", change.original)
        else:
            alone = _uid(entry.code, f"/moved/{change.original.isoformat()}")
            moved = _event(stamp, change.new_date, uid=alone)
        components.append(moved)
    return components


def plans_to_ics(
    entries: Sequence[CalendarEntry | tuple[str, FollowUpPlan]],
    summary_template: str = DEFAULT_SUMMARY,
    *,
    calendar_name: str = DEFAULT_CALENDAR_NAME,
    now: datetime | None = None,
) -> bytes:
    """An iCalendar file with one all-day recurring event per client's plan (see the module
    docstring for what it holds and why).

    Each entry is a :class:`CalendarEntry`, or a (pseudonymous code, plan) pair for revision 0
    modified now. ``summary_template`` is fixed text with ``{ref}``; ``calendar_name`` names
    the calendar; ``now`` (aware) is the export time written as DTSTAMP.
    """
    from icalendar import Calendar  # lazy: only the export needs it

    template = _check_template(summary_template)
    name = _check_name(calendar_name)
    exported = _utc_second(now if now is not None else datetime.now(UTC))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    seen: set[str] = set()
    for raw in entries:
        entry = _check_entry(raw)
        if entry.code in seen:
            raise FollowUpError("the same plan is listed twice for one reference")
        seen.add(entry.code)
        stamp = _Stamp(
            uid=_uid(entry.code),
            summary=template.format(ref=entry.code),
            sequence=entry.revision,
            modified=exported if entry.modified is None else _utc_second(entry.modified),
            exported=exported,
        )
        for component in _plan_components(entry, stamp):
            calendar.add_component(component)
    ical: bytes = calendar.to_ical()  # icalendar leaves this method unannotated
    return ical
