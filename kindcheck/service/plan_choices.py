"""The choices a clinician has about a follow-up plan, and the dates each choice gives.

The outcome page proposes a rhythm for a new intake and shows its first conversations; the
client page skips or moves one conversation, changes the rhythm or ends the treatment. The
screens call these and show what they return. The rules are the follow-up policy's
(kindcheck.followup.policy: the rhythms, where a plan starts and ends) and the plan's own
operations (kindcheck.followup: skip, move, end_treatment, re-exported here for the dialog).
No Textual here.
"""

from __future__ import annotations

from datetime import date, timedelta

from kindcheck.followup import (
    FollowUpPlan,
    FollowUpState,
    end_treatment,
    move,
    occurrences,
    skip,
    status,
    with_rule,
)
from kindcheck.followup.policy import (
    DEFAULT_RHYTHMS,
    NO_PLAN,
    RHYTHM_RULES,
    HeldSession,
    SessionFindings,
    build_plan,
    default_rhythm_choice,
    rhythm_choice_of,
    rhythm_restart,
)

from .caseload import DUE_WINDOW_DAYS
from .views import ClientDetail

__all__ = [
    "NO_PLAN",
    "RHYTHM_CHOICES",
    "current_rhythm",
    "default_rhythm_choice",
    "end_treatment",
    "move",
    "next_dates",
    "planned_dates",
    "proposed_dates",
    "rhythm_choice_of",
    "skip",
    "with_rhythm",
]

# The rhythms a clinician can choose, in the order they are offered (NO_PLAN aside).
RHYTHM_CHOICES: tuple[str, ...] = tuple(RHYTHM_RULES)
# How far ahead the dates of a plan are looked for (a rhythm is at most a few months).
_HORIZON = timedelta(days=800)


def proposed_dates(
    session: HeldSession, outcome: SessionFindings, rhythm: str, start: date, count: int = 3
) -> tuple[list[date], date | None] | None:
    """The first ``count`` conversations from ``start`` of the plan an intake gets in
    ``rhythm``, and the day the plan ends (None when the children's ages do not end it);
    None when the choice gives no plan (NO_PLAN)."""
    plan = build_plan(session, outcome, rhythm)
    if plan is None:
        return None
    found = occurrences(plan, start, start + _HORIZON)[:count]
    return [moment.date() for moment in found], plan.ends_on


def planned_dates(detail: ClientDetail) -> list[date]:
    """The conversations a clinician can skip or move: the one due or overdue now, if any,
    then the next ones."""
    found: list[date] = []
    state = detail.summary.followup
    if (
        state is not None
        and state.occurrence is not None
        and state.state in (FollowUpState.DUE, FollowUpState.OVERDUE)
    ):
        found.append(state.occurrence.date())
    for moment in detail.upcoming:
        if moment.date() not in found:
            found.append(moment.date())
    return found


def next_dates(
    plan: FollowUpPlan, today: date, last_held: date | None, count: int = 3
) -> list[date]:
    """The next conversations as the due list will show them: the first one not yet
    covered by the latest session (it may be due or late), then the ones after it."""
    first = status(plan, today, last_held, DUE_WINDOW_DAYS).occurrence
    if first is None:
        return []
    later = occurrences(plan, first.date(), first.date() + _HORIZON)
    return [moment.date() for moment in later[:count]]


def current_rhythm(plan: FollowUpPlan, stored_rhythm: str | None) -> str:
    """The rhythm a plan follows now, as one of RHYTHM_CHOICES (the children's by default)."""
    return stored_rhythm or rhythm_choice_of(plan.rule) or "children"


def with_rhythm(
    detail: ClientDetail, plan: FollowUpPlan, rhythm: str, today: date
) -> tuple[FollowUpPlan, str | None] | None:
    """The plan in another rhythm, and the default rhythm it follows (None: set by hand);
    None for a name that is no rhythm.

    A new rhythm counts from the latest session held: its first conversation is one interval
    after it, or today when that day has passed already (so a change of rhythm neither hides
    a conversation that is late nor makes a string of them overdue)."""
    if rhythm not in RHYTHM_RULES:
        return None
    rule, _step = RHYTHM_RULES[rhythm]
    changed = with_rule(plan, rule, start=rhythm_restart(rhythm, detail.last_held, today))
    return changed, rhythm if rhythm in DEFAULT_RHYTHMS else None
