"""Follow-up policy: how often a client's children are talked about again, and until when.

This module is the one home of follow-up policy. Every other layer asks here instead of
deciding for itself: the default rhythms and the rule behind each, which rhythm an intake
outcome gets, and when a plan ends.

- Default rhythm (a product decision, editable per client and per team): with a signal of
  unsafety every 2 weeks while the Meldcode process runs; with 3 or more problem domains every
  6 weeks; otherwise, with minor children or a pregnancy, every 3 months. Without children or
  a pregnancy there is no plan.
- End: a plan ends when treatment ends or when the youngest child turns 18 (an expected child
  counts from its due date).
- The first conversation is one interval after the intake, which is itself the first
  conversation about the children.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from enum import StrEnum
from typing import Final, Protocol

from dateutil.relativedelta import relativedelta

from kindcheck.errors import FollowUpError

from .plan import FollowUpPlan, _is_date, with_rule
from .rules import DEFAULT_TIME, _normalise_rule


class Rhythm(StrEnum):
    """The default rhythms (a product decision, editable per client): see the module docstring."""

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


def rhythm_choice_of(rule: str) -> str | None:
    """The choice (a key of RHYTHM_RULES) whose rule a plan's RRULE follows, if any."""
    parts = set(rule.split(";"))
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
