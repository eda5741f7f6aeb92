"""The session record: one stored session as a person reads it, in both languages.

Plain frozen values built by :func:`kindcheck.record.build.build_session_record` and read by
every rendering (text, JSON, PDF, FHIR, the client dossier) and, later, the app's session
view. Texts of the questionnaire version the session was answered with are kept as
:class:`~kindcheck.questionnaire.Localized` (Dutch and English); what a person typed (notes,
free text, an organisation, a reason) is kept literally as ``str``, control characters
stripped, and is the same in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kindcheck.questionnaire import Localized, Questionnaire


@dataclass(frozen=True)
class Correction:
    """An earlier answer replaced by an amendment: readable, and marked as corrected."""

    amendment_id: str
    before_value: Any  # None: it was not answered
    before: Localized
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class AnswerLine:
    """One question as it was asked, with its answer (option text, never the option id)."""

    question_id: str
    item: int | None  # the repeat item (0-based), None outside a group
    type: str
    question: Localized
    value: Any  # the stored value (ids); None when not answered
    answer: Localized
    free_text: bool  # text or longtext: shown literally
    corrections: tuple[Correction, ...] = ()

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)


@dataclass(frozen=True)
class RepeatItem:
    """The answers about one child (or one item of another repeat group)."""

    number: int  # 1-based, as the clinician counts
    label: Localized  # "Kind 1"
    lines: tuple[AnswerLine, ...]


@dataclass(frozen=True)
class RepeatGroup:
    id: str
    label: Localized  # the group's label without the number ("Kind")
    items: tuple[RepeatItem, ...]


@dataclass(frozen=True)
class PartRecord:
    """The answers to one questionnaire of the session, in the order they were asked."""

    questionnaire_id: str
    version: int
    title: Localized
    entries: tuple[AnswerLine | RepeatGroup, ...]
    answers: dict[str, Any] = field(repr=False)  # the current answers, stored shape
    questionnaire: Questionnaire = field(repr=False, compare=False)

    def lines(self) -> list[AnswerLine]:
        """Every answer line, those per child included, in order."""
        found: list[AnswerLine] = []
        for entry in self.entries:
            if isinstance(entry, AnswerLine):
                found.append(entry)
            else:
                found += [line for item in entry.items for line in item.lines]
        return found


@dataclass(frozen=True)
class Named:
    """An item of the questionnaire's catalog (a hand-off offered, an event) by id and name."""

    id: str
    name: Localized
    detail: Localized | None = None


@dataclass(frozen=True)
class SignalLine:
    id: str
    name: Localized
    question: Localized | None  # the question that raised it
    answer: Localized | None


@dataclass(frozen=True)
class ConcernLine:
    id: str
    name: Localized
    acute: bool
    child: int | None  # 1-based, for a question asked per child
    question: Localized | None
    answer: Localized | None
    steps: tuple[Localized, ...]


@dataclass(frozen=True)
class OpenItemLine:
    question_id: str
    child: int | None  # 1-based
    text: Localized
    reask_on: date | None


@dataclass(frozen=True)
class ChildLine:
    number: int
    age: int | None
    birth_date: date | None
    living: Localized | None


@dataclass(frozen=True)
class ReasonLine:
    question_id: str
    question: Localized
    answer: Localized


@dataclass(frozen=True)
class DomainLine:
    id: str
    name: Localized
    reasons: tuple[ReasonLine, ...]
    advice: tuple[Localized, ...]


@dataclass(frozen=True)
class OutcomeSection:
    """The outcome, as stored with the session (``source`` "recorded") or recomputed from the
    corrected answers ("recomputed"); ``data`` is the outcome JSON it was read from."""

    source: str
    version: int
    summary: Localized
    acute: tuple[Localized, ...]
    signals: tuple[SignalLine, ...]
    concerns: tuple[ConcernLine, ...]
    open_items: tuple[OpenItemLine, ...]
    check_closed: bool
    has_minor_children: str | None
    pregnancy: str | None
    pregnancy_due: date | None
    children: tuple[ChildLine, ...]
    scan_done: bool
    domains: tuple[DomainLine, ...]
    domain_count: int
    threshold: int
    flag: bool
    scp_area_count: int | None
    handoffs_offered: tuple[Named, ...]
    events: tuple[Named, ...]
    rhythm: str | None
    rhythm_text: Localized
    data: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class MeldcodeStepLine:
    id: str
    title: Localized
    done_on: date | None
    note: str


@dataclass(frozen=True)
class MeldcodeDecisionLine:
    id: str
    name: Localized
    decided_on: date | None
    reason: str


@dataclass(frozen=True)
class MeldcodeSection:
    """The Meldcode steps of the guide the session was answered with, with what was done."""

    guide_version: int
    title: Localized
    steps: tuple[MeldcodeStepLine, ...]
    decisions: tuple[MeldcodeDecisionLine, ...]
    not_a_decision: Localized


@dataclass(frozen=True)
class HandoffLine:
    """A warm hand-off agreed in the session."""

    option: str
    name: Localized
    organisation: str | None
    consent_asked: bool
    consent_given: bool
    contact: str
    contact_text: Localized
    contact_on: date | None


@dataclass(frozen=True)
class PlanChangeLine:
    original: date
    action: str  # "skip" or "move"
    new_date: date | None
    reason: str


@dataclass(frozen=True)
class PlanSection:
    """The client's follow-up plan as it stood when the record was made."""

    rhythm: str | None  # the default rhythm it follows; None: set by hand
    rhythm_text: Localized
    start: date
    next_dates: tuple[date, ...]
    ends_on: date | None
    treatment_ended_on: date | None
    changes: tuple[PlanChangeLine, ...]
    as_of: date


@dataclass(frozen=True)
class NoteLine:
    """Free text typed in the session (a note, an explanation), literally."""

    questionnaire_id: str
    question_id: str
    child: int | None  # 1-based
    question: Localized
    text: str


@dataclass(frozen=True)
class ChangeLine:
    questionnaire_id: str
    question_id: str
    child: int | None  # 1-based
    question: Localized
    before: Localized
    after: Localized


@dataclass(frozen=True)
class AmendmentLine:
    id: str
    kind: str  # "correction" or "move"
    at: datetime
    by: str
    reason: str
    changes: tuple[ChangeLine, ...]
    moved_from: str | None
    moved_to: str | None


@dataclass(frozen=True)
class SessionRecord:
    """One stored session as a person reads it (see the module docstring)."""

    session_id: str | None
    kind: str  # intake / followup
    setting: str
    session_date: date
    client_reference: str
    client_name: str | None
    recorded_at: datetime | None
    recorded_by: str | None
    format_version: int
    parts: tuple[PartRecord, ...]
    outcome: OutcomeSection
    outcome_as_recorded: OutcomeSection | None  # set when corrections changed the answers
    meldcode: MeldcodeSection | None
    handoffs: tuple[HandoffLine, ...]
    plan: PlanSection | None
    notes: tuple[NoteLine, ...]
    amendments: tuple[AmendmentLine, ...]
    original_answers: dict[str, Any] = field(repr=False, compare=False)
    answers: dict[str, Any] = field(repr=False, compare=False)  # current (corrected) answers

    @property
    def corrected(self) -> bool:
        return any(a.kind == "correction" for a in self.amendments)

    @property
    def moved(self) -> bool:
        return any(a.kind == "move" for a in self.amendments)
