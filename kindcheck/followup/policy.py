"""Follow-up policy: how often a client's children are talked about again, and until when.

This module is the one home of follow-up policy. Every other layer asks here instead of
deciding for itself: the default rhythms and the rule behind each, which rhythm an intake
outcome gets, and when a plan ends.

- Default rhythm (a product decision, editable per client and per team): with a signal of
  unsafety every 2 weeks while the Meldcode process runs; with 3 or more problem domains every
  6 weeks; with a concern about the children (format-2 sessions) also every 6 weeks; otherwise,
  with minor children or a pregnancy, every 3 months. Without children or a pregnancy there is
  no plan.
- End: a plan ends when treatment ends or when the youngest child turns 18 (an expected child
  counts from its due date).
- The first conversation is one interval after the intake, which is itself the first
  conversation about the children.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from dateutil.relativedelta import relativedelta

from kindcheck.errors import FollowUpError

from .plan import FollowUpPlan, FollowUpState, _is_date, with_rule
from .rules import DEFAULT_TIME, _normalise_rule


class Rhythm(StrEnum):
    """The default rhythms (a product decision, editable per client): see the module docstring."""

    SAFETY = "safety"  # every 2 weeks while the Meldcode process runs
    STACKING = "stacking"  # every 6 weeks with 3 or more problem domains
    CONCERN = "concern"  # every 6 weeks with a concern about the children (format 2)
    CHILDREN = "children"  # every 3 months otherwise, with minor children


_RHYTHM_RULES: dict[Rhythm, str] = {
    Rhythm.SAFETY: "FREQ=WEEKLY;INTERVAL=2",
    Rhythm.STACKING: "FREQ=WEEKLY;INTERVAL=6",
    Rhythm.CONCERN: "FREQ=WEEKLY;INTERVAL=6",
    Rhythm.CHILDREN: "FREQ=MONTHLY;INTERVAL=3",
}
_RHYTHM_STEPS: dict[Rhythm, relativedelta] = {
    Rhythm.SAFETY: relativedelta(weeks=2),
    Rhythm.STACKING: relativedelta(weeks=6),
    Rhythm.CONCERN: relativedelta(weeks=6),
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
    concern: bool = False,
) -> Rhythm | None:
    """The default rhythm for an intake outcome, or None when no plan is needed.

    Without minor children and without a pregnancy there is no child to keep in view, so no
    plan. Otherwise safety comes first, whatever the domain count (safety is never averaged
    away), then stacking at ``threshold`` or more problem domains, then a concern (every 6
    weeks too, but it says why), else the 3-monthly rhythm. A concern counts only with
    children or a pregnancy: when it is unknown whether there are children, the re-ask
    carries the follow-up, not a plan.
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
    if concern:
        return Rhythm.CONCERN
    return Rhythm.CHILDREN


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


# =============================================================================================
# Issue 12 (clinical content v2): concerns, the Meldcode process, re-asks and events.
# Pure functions over plain values; the store keeps no dates derived from them.
# =============================================================================================

# A re-ask or a Kindcheck made due by an event is DUE from its day and OVERDUE after this many
# days (the same window as a planned follow-up).
ITEM_DUE_WINDOW_DAYS: Final = 7
# The rhythms a clinician chooses from when closing a Meldcode process ("keep": the plan as is).
CLOSING_RHYTHMS: Final = ("children", "concern", "stacking", "keep")
# A re-ask of these questions is also answered by these (a follow-up has no has_minor_children
# question: its child_count answers it).
_REASK_ANSWERED_BY: Final[dict[str, tuple[str, ...]]] = {
    "has_minor_children": ("has_minor_children", "child_count"),
    "pregnancy": ("pregnancy",),
}


def rhythm_while_meldcode_open(rhythm: Rhythm | None, meldcode_open: bool) -> Rhythm | None:
    """While the client's Meldcode process is open the 2-weekly rhythm holds, whatever a
    session finds; only closing the process (with a chosen rhythm) loosens it."""
    return Rhythm.SAFETY if meldcode_open else rhythm


def proposed_rhythm_after_closing(
    has_children_or_pregnancy: bool,
    problem_domain_count: int,
    threshold: int = 3,
    concern: bool = False,
) -> Rhythm | None:
    """What the close dialog proposes: the rhythm the last outcome gives without the signal."""
    return default_rhythm(
        has_children_or_pregnancy, False, problem_domain_count, threshold, concern=concern
    )


def plan_after_meldcode_closed(
    existing: PlanOnFile, closed_on: date, next_rhythm: str
) -> tuple[FollowUpPlan, Rhythm | None]:
    """The plan after closing a Meldcode process: the chosen rhythm restarts from the closing
    day (first conversation one interval later), keeping the plan's end, skips and moves.

    ``next_rhythm`` is required (one of :data:`CLOSING_RHYTHMS`): closing never silently
    keeps or drops the 2-weekly rhythm. "keep" leaves the plan as it is.
    """
    if next_rhythm not in CLOSING_RHYTHMS:
        raise FollowUpError(
            "closing a Meldcode process needs the next rhythm: " + ", ".join(CLOSING_RHYTHMS)
        )
    if not _is_date(closed_on):
        raise FollowUpError("closing a Meldcode process needs its date")
    if next_rhythm == "keep":
        return existing.plan, existing.rhythm
    rhythm = Rhythm(next_rhythm)
    fresh = new_plan(rhythm, closed_on, existing.plan.ends_on)
    return with_rule(existing.plan, fresh.rule, start=fresh.start), rhythm


def item_state(due_on: date, today: date) -> tuple[FollowUpState, int]:
    """(state, days overdue) of a dated item: UPCOMING before its day, DUE from its day, and
    OVERDUE more than :data:`ITEM_DUE_WINDOW_DAYS` after it (days counted from its day)."""
    late = (today - due_on).days
    if late > ITEM_DUE_WINDOW_DAYS:
        return FollowUpState.OVERDUE, late
    if late >= 0:
        return FollowUpState.DUE, 0
    return FollowUpState.UPCOMING, 0


@dataclass(frozen=True)
class SessionRecord:
    """What the re-ask and event rules need of one stored session (plain data from the store
    and the stored outcome; no free text)."""

    held_on: date
    format_version: int
    answered: frozenset[str]  # question ids with a known answer (not "unknown"), top level
    reasks: tuple[tuple[str, date], ...] = ()  # (question id, ask again by) from its outcome


def session_record(answers: Mapping[str, Any], outcome: Mapping[str, Any]) -> SessionRecord:
    """A stored session (its answers file and outcome JSON, as the vault keeps them) as the
    re-ask and event rules see it: the main questionnaire's known answers and the outcome's
    re-asks. Raises FollowUpError for a session without a valid date."""
    try:
        held_on = date.fromisoformat(str(answers.get("date")))
    except ValueError:
        raise FollowUpError("a session needs its date") from None
    version = answers.get("format_version", 1)
    parts = [p for p in answers.get("questionnaires") or [] if isinstance(p, dict)]
    main = next((p for p in parts if p.get("id") in ("kindcheck", "vervolggesprek")), {})
    given: dict[str, Any] = main["answers"] if isinstance(main.get("answers"), dict) else {}
    answered = frozenset(
        key for key, value in given.items() if value is not None and value != "unknown"
    )
    reasks: list[tuple[str, date]] = []
    for item in outcome.get("open_items") or []:
        if isinstance(item, dict) and item.get("reask_on") and item.get("item") is None:
            try:
                reasks.append((str(item["question"]), date.fromisoformat(item["reask_on"])))
            except (KeyError, ValueError):
                continue
    return SessionRecord(
        held_on, version if isinstance(version, int) else 1, answered, tuple(reasks)
    )


@dataclass(frozen=True)
class Reask:
    """An unknown that matters, to ask again by ``due_on`` (from the session ``asked_on``)."""

    question_id: str
    asked_on: date
    due_on: date


def pending_reasks(sessions: Sequence[SessionRecord]) -> list[Reask]:
    """The re-asks still open for one client, computed each time, never stored.

    They are those of the latest session that left something to ask again, minus what a
    later session answered (a known answer; for unknown children also a follow-up's child
    count). A later session that answers "unknown" again leaves its own re-ask instead.
    """
    ordered = sorted(enumerate(sessions), key=lambda pair: (pair[1].held_on, pair[0]))
    latest = max(
        (index for index, (_original, record) in enumerate(ordered) if record.reasks),
        default=None,
    )
    if latest is None:
        return []
    source = ordered[latest][1]
    later = [record for _original, record in ordered[latest + 1 :]]
    pending: list[Reask] = []
    for question_id, due_on in source.reasks:
        answered_by = _REASK_ANSWERED_BY.get(question_id, (question_id,))
        if any(set(answered_by) & record.answered for record in later):
            continue
        pending.append(Reask(question_id, source.held_on, due_on))
    return pending


@dataclass(frozen=True)
class RecordedEvent:
    """An event recorded for a client on the client page or in a follow-up."""

    event: str
    on: date


@dataclass(frozen=True)
class KindcheckDue:
    """The Kindcheck is due again after ``event`` (on ``on``), from ``due_on``."""

    event: str
    on: date
    due_on: date


def kindchecks_due(
    events: Sequence[RecordedEvent],
    due_days: Mapping[str, int],
    sessions: Sequence[SessionRecord],
) -> list[KindcheckDue]:
    """The events that make the Kindcheck due now, whatever the plan's next date, earliest
    first. A format-2 session (intake or follow-up, both repeat the Kindcheck) held on or after
    the event's day clears it; a follow-up's own events carry its date, so it clears them."""
    repeats = [s.held_on for s in sessions if s.format_version >= 2]
    due: list[KindcheckDue] = []
    for recorded in events:
        if any(held_on >= recorded.on for held_on in repeats):
            continue
        days = due_days.get(recorded.event)
        if days is None:
            raise FollowUpError("an event that is not in the catalog")
        due.append(KindcheckDue(recorded.event, recorded.on, recorded.on + timedelta(days=days)))
    return sorted(due, key=lambda item: (item.due_on, item.event))


# --- the plan after a session -------------------------------------------------------------
# The outcome module builds on this package, so the outcome and the stored plan are described
# by Protocols here.


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
# A concern ranks with stacking (both every 6 weeks): neither replaces the other.
_RHYTHM_RANK: Final = {
    Rhythm.CHILDREN: 1,
    Rhythm.CONCERN: 2,
    Rhythm.STACKING: 2,
    Rhythm.SAFETY: 3,
}


def rhythm_rank(rhythm: Rhythm | None) -> int:
    """How frequent a default rhythm is (higher: more often); 0 for no rhythm."""
    return 0 if rhythm is None else _RHYTHM_RANK[rhythm]


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


# --- the rhythms a clinician chooses from ---------------------------------------------------
# The outcome page and the plan dialog offer the default rhythms and two in between, most
# frequent first. Each is an RRULE and the step from a session to the first conversation; the
# default rhythms' entries are the ones above, not copies of them.

NO_PLAN: Final = "none"
"""The choice "no follow-up plan" (not a rhythm)."""

DEFAULT_RHYTHMS: Final = frozenset(rhythm.value for rhythm in Rhythm)

RHYTHM_RULES: Final[dict[str, tuple[str, relativedelta]]] = {
    Rhythm.SAFETY.value: (_RHYTHM_RULES[Rhythm.SAFETY], _RHYTHM_STEPS[Rhythm.SAFETY]),
    "weeks4": ("FREQ=WEEKLY;INTERVAL=4", relativedelta(weeks=4)),
    Rhythm.STACKING.value: (_RHYTHM_RULES[Rhythm.STACKING], _RHYTHM_STEPS[Rhythm.STACKING]),
    # The same 6 weeks as stacking, for another reason: a plan's rule names stacking, the
    # stored rhythm says which (rhythm_choice_of finds stacking first).
    Rhythm.CONCERN.value: (_RHYTHM_RULES[Rhythm.CONCERN], _RHYTHM_STEPS[Rhythm.CONCERN]),
    Rhythm.CHILDREN.value: (_RHYTHM_RULES[Rhythm.CHILDREN], _RHYTHM_STEPS[Rhythm.CHILDREN]),
    "months6": ("FREQ=MONTHLY;INTERVAL=6", relativedelta(months=6)),
}


class HeldSession(Protocol):
    """The session a plan starts from (kindcheck.answers.Session has it)."""

    @property
    def session_date(self) -> date: ...


def default_rhythm_choice(outcome: SessionFindings) -> str:
    """The choice proposed on the outcome page: the outcome's default rhythm, else no plan."""
    return outcome.followup_rhythm.value if outcome.followup_rhythm else NO_PLAN


def build_plan(
    session: HeldSession, outcome: SessionFindings, rhythm: str, ends_on: date | None = None
) -> FollowUpPlan | None:
    """The follow-up plan for an intake in the chosen rhythm (None for NO_PLAN or a name that
    is no rhythm). It ends when the youngest child turns 18, unless ``ends_on`` is given."""
    if rhythm not in RHYTHM_RULES:
        return None
    start = session.session_date
    if ends_on is None:
        ends_on = _plan_end(outcome, start)
    if rhythm in DEFAULT_RHYTHMS:
        return new_plan(Rhythm(rhythm), start, ends_on)
    rule, step = RHYTHM_RULES[rhythm]
    return FollowUpPlan(rule=rule, start=start + step, ends_on=ends_on)


def chosen_plan(
    session: HeldSession, outcome: SessionFindings, rhythm: str
) -> tuple[FollowUpPlan, Rhythm | None]:
    """The plan an intake gets when the clinician chose its rhythm, and the default rhythm it
    follows (None for a rhythm in between, which later sessions leave alone).

    Choosing no plan gives a plan that ends on the day of the intake: no conversation falls in
    it, and the client's page shows the plan as ended (the choice is on file) rather than as
    never made.
    """
    plan = build_plan(session, outcome, rhythm)
    if plan is None:
        ended = build_plan(session, outcome, Rhythm.CHILDREN.value, ends_on=session.session_date)
        assert ended is not None  # a default rhythm always gives a plan
        return ended, None
    return plan, Rhythm(rhythm) if rhythm in DEFAULT_RHYTHMS else None


def rhythm_choice_of(rule: str, stored: str | None = None) -> str | None:
    """The choice (a key of RHYTHM_RULES) whose rule a plan's RRULE follows, if any: the
    ``stored`` choice the plan was made as when its rule still follows it (two choices can
    share an interval), else the first that fits."""
    parts = set(rule.split(";"))
    if stored in RHYTHM_RULES and set(RHYTHM_RULES[stored][0].split(";")) <= parts:
        return stored
    for key, (known, _step) in RHYTHM_RULES.items():
        if set(known.split(";")) <= parts:
            return key
    return None


def rhythm_restart(rhythm: str, last_held: date | None, today: date) -> date:
    """The first conversation when a plan changes to ``rhythm``: one interval after the latest
    session held, or today when that day has passed already (so a change of rhythm neither
    hides a conversation that is late nor makes a string of them overdue)."""
    _rule, step = RHYTHM_RULES[rhythm]
    if last_held is None:
        return today + step
    return max(last_held + step, today)
