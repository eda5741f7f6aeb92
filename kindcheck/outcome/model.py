"""The outcome of a session as plain, frozen values, with the reasons that led to each part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kindcheck.followup import Rhythm
from kindcheck.questionnaire import (
    AdviceItem,
    Event,
    Handoff,
    Localized,
    MeldcodeGuide,
    MeldcodeGuideV2,
    ProfessionalGroup,
)

# How long after a session an unknown that matters is asked again ("next contact"). A product
# choice, to become a team setting.
REASK_DAYS = 14


@dataclass(frozen=True)
class ChildInView:
    number: int  # 1-based, as the clinician counts them
    age: int | None
    birth_date: date | None
    living: str | None  # always / part_time / elsewhere
    shared_care: str | None


@dataclass(frozen=True)
class SafetySignal:
    id: str
    name: Localized
    question_id: str
    answer: Any
    questionnaire: str


@dataclass(frozen=True)
class Reason:
    question_id: str
    question_text: Localized
    answer: Any


@dataclass(frozen=True)
class ProblemDomain:
    id: str
    name: Localized
    advice: tuple[AdviceItem, ...]  # the items shown for this outcome, in file order
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RaisedConcern:
    """A concern (not a signal of unsafety) with the answer that raised it and its next steps."""

    id: str
    name: Localized
    question_id: str
    item: int | None  # the repeat item (0-based) for a question asked per child
    answer: Any
    steps: tuple[Localized, ...]
    acute: bool = False


@dataclass(frozen=True)
class OpenItem:
    """An answer that leaves something to find out, with what to do next; ``reask_on`` is the
    date by which to ask again (computed from the session's date, never stored on its own)."""

    question_id: str
    item: int | None
    answer: Any
    text: Localized
    reask_on: date | None = None

    @property
    def key(self) -> str:
        return self.question_id if self.item is None else f"{self.question_id}[{self.item}]"


@dataclass(frozen=True)
class Outcome:
    kind: str
    children: tuple[ChildInView, ...]
    has_children: str | None  # the yes/no/unknown answer, None when not asked
    pregnancy: str | None
    pregnancy_due: date | None
    check_closed: bool
    safety_signals: tuple[SafetySignal, ...]
    meldcode: MeldcodeGuide | MeldcodeGuideV2 | None
    scan_done: bool
    problem_domains: tuple[ProblemDomain, ...]
    stacking_threshold: int
    followup_rhythm: Rhythm | None
    # Added with format 2; a version-1 session fills what applies (its open item for unknown
    # children) and leaves the rest empty.
    version: int = 1
    session_date: date | None = None
    acute_lines: tuple[Localized, ...] = ()
    concerns: tuple[RaisedConcern, ...] = ()
    open_items: tuple[OpenItem, ...] = ()
    handoffs_offered: tuple[Handoff, ...] = ()
    events: tuple[Event, ...] = ()  # recorded by this session (a follow-up's events_since)
    scp_area_count: int | None = None
    professional_group: ProfessionalGroup | None = None
    meldcode_open: bool = False

    @property
    def problem_domain_count(self) -> int:
        return len(self.problem_domains)

    @property
    def parenting_support_flag(self) -> bool:
        return self.scan_done and self.problem_domain_count >= self.stacking_threshold

    @property
    def has_safety_signal(self) -> bool:
        return bool(self.safety_signals)

    @property
    def has_open_items(self) -> bool:
        return bool(self.open_items)

    @property
    def reasks(self) -> tuple[OpenItem, ...]:
        return tuple(item for item in self.open_items if item.reask_on is not None)

    @property
    def needs_followup(self) -> bool:
        """A rhythm, or something still to find out: never "no follow-up needed" then."""
        return self.followup_rhythm is not None or self.has_open_items
