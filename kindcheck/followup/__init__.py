"""Recurring follow-up conversations about a client's children.

A plan is stored as a rule plus exceptions, never as a list of dates: an RFC 5545 RRULE
(without DTSTART), a start date, a local wall-clock time, and a short tuple of skipped or
moved occurrences. Dates, due and overdue states are computed when asked, so nothing stale
is ever stored and editing the rhythm re-plans everything at once.

Time: conversations happen at a local time in Europe/Amsterdam (default 09:00). The rule is
expanded over *naive* local datetimes and the zone is attached afterwards, so a conversation
at 09:00 stays at 09:00 local across the March and October clock changes (its UTC offset
changes instead). Every occurrence falls on its own day (the rule may not set hours,
minutes or seconds), which is why skips and moves are keyed by date. The calendar file
writes the days only, as all-day events (see :mod:`.ics` for why).

Ends: a plan runs up to and including ``final_day``, the earlier of ``ends_on`` (the
youngest child's 18th birthday, or treatment end) and ``treatment_ended_on``. A rule may not
carry COUNT or UNTIL: the end is clinical data that lives in the plan, not in the rule, and
the calendar export writes it into the exported RRULE as UNTIL.

Privacy: error messages never contain dates, reasons or references (see kindcheck.errors);
the calendar export carries a pseudonymous code and nothing else about the client.

Pure functions over plain data: no Textual, no database. The store serialises a plan with
``FollowUpPlan.to_dict`` and reads it back with ``FollowUpPlan.from_dict``.

Modules: :mod:`.rules` (checking and normalising an RRULE), :mod:`.plan` (FollowUpPlan, its
occurrences, skip and move, status), :mod:`.policy` (the one home of follow-up policy: the
default rhythms and the plan's end), :mod:`.ics` (the calendar file). Every name stays
importable from ``kindcheck.followup``.
"""

from __future__ import annotations

from kindcheck.dates import AMSTERDAM

from .ics import PRODID, CalendarEntry, plans_to_ics
from .plan import (
    PLAN_FORMAT,
    Action,
    FollowUpPlan,
    FollowUpState,
    FollowUpStatus,
    OccurrenceChange,
    end_treatment,
    first_day_number_finder,
    first_day_on_or_after,
    move,
    next_conversation,
    next_occurrence,
    occurrence_days,
    occurrences,
    skip,
    status,
    status_on,
    with_rule,
)
from .policy import (
    CLOSING_RHYTHMS,
    ITEM_DUE_WINDOW_DAYS,
    ChildFacts,
    KindcheckDue,
    PlanOnFile,
    Reask,
    RecordedEvent,
    Rhythm,
    SessionFindings,
    SessionRecord,
    default_rhythm,
    eighteenth_birthday,
    item_state,
    kindchecks_due,
    new_plan,
    pending_reasks,
    plan_after_meldcode_closed,
    plan_after_session,
    plan_end_for_children,
    proposed_rhythm_after_closing,
    rhythm_while_meldcode_open,
    rrule_for,
    session_record,
)
from .rules import DEFAULT_TIME

__all__ = [
    "AMSTERDAM",
    "CLOSING_RHYTHMS",
    "DEFAULT_TIME",
    "ITEM_DUE_WINDOW_DAYS",
    "PLAN_FORMAT",
    "PRODID",
    "Action",
    "CalendarEntry",
    "ChildFacts",
    "FollowUpPlan",
    "FollowUpState",
    "FollowUpStatus",
    "KindcheckDue",
    "OccurrenceChange",
    "PlanOnFile",
    "Reask",
    "RecordedEvent",
    "Rhythm",
    "SessionFindings",
    "SessionRecord",
    "default_rhythm",
    "eighteenth_birthday",
    "end_treatment",
    "first_day_number_finder",
    "first_day_on_or_after",
    "item_state",
    "kindchecks_due",
    "move",
    "new_plan",
    "next_conversation",
    "next_occurrence",
    "occurrence_days",
    "occurrences",
    "pending_reasks",
    "plan_after_meldcode_closed",
    "plan_after_session",
    "plan_end_for_children",
    "plans_to_ics",
    "proposed_rhythm_after_closing",
    "rhythm_while_meldcode_open",
    "rrule_for",
    "session_record",
    "skip",
    "status",
    "status_on",
    "with_rule",
]
