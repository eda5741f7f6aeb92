"""Building the :class:`~kindcheck.record.model.SessionRecord` of one stored session.

Inputs are plain: the answers and the outcome JSON the vault stores for the session, the
Meldcode steps done (anything with ``step_id``, ``done_on`` and ``note``, such as the store's
``MeldcodeStepRecord``), decisions taken, who recorded it and when, its amendments, and the
client's follow-up plan. Nothing here reads the vault.

Every question is shown as it was asked: the text of the questionnaire version the session
names, never today's. Hidden questions are left out (an answer kept for a question that a
later answer hid counts for nothing, so the record does not show it); visible questions
without an answer are shown as not answered. With corrections, the current answers are shown
with each replaced answer marked and readable, and the outcome is recomputed from the current
answers; the outcome as it was recorded stays in the record beside it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from kindcheck.answers import FOLLOWUP, KINDCHECK, Session
from kindcheck.questionnaire import Answers, Localized, Questionnaire, Walker

from .amend import Amendment, OutcomeContext, current_answers, recompute_outcome, validated
from .labels import FREE_TEXT_TYPES, answer_label, literal, message
from .model import (
    AmendmentLine,
    AnswerLine,
    ChangeLine,
    Correction,
    HandoffLine,
    MeldcodeDecisionLine,
    MeldcodeSection,
    MeldcodeStepLine,
    NoteLine,
    PartRecord,
    PlanChangeLine,
    PlanSection,
    RepeatGroup,
    RepeatItem,
    SessionRecord,
)
from .outcome_view import asked_wording, outcome_section

NEXT_DATES = 3  # planned conversations a record lists


class MeldcodeStep(Protocol):
    """One Meldcode step done (the store's MeldcodeStepRecord is one)."""

    @property
    def step_id(self) -> str: ...
    @property
    def done_on(self) -> date | None: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True)
class MeldcodeDecision:
    """A decision of the Meldcode guide (version 2) with its date and reason."""

    decision_id: str
    decided_on: date | None
    reason: str = ""


@dataclass(frozen=True)
class PlanInput:
    """The client's follow-up plan (``FollowUpPlan.to_dict`` form) and the rhythm it follows
    (None: set by hand), read on ``as_of``."""

    plan: Mapping[str, Any]
    rhythm: str | None
    as_of: date


def build_session_record(
    answers: Mapping[str, Any],
    outcome: Mapping[str, Any],
    *,
    session_id: str | None = None,
    recorded_at: datetime | None = None,
    recorded_by: str | None = None,
    meldcode_steps: Iterable[MeldcodeStep] = (),
    meldcode_decisions: Iterable[MeldcodeDecision] = (),
    amendments: Sequence[Amendment] = (),
    plan: PlanInput | None = None,
    context: OutcomeContext | None = None,
) -> SessionRecord:
    """The record of one stored session (see the module docstring).

    ``context`` is what the vault knows that the outcome depends on (an open Meldcode
    process, open hand-offs, the user's professional group); it is used to recompute the
    outcome after a correction, and its ``open_handoffs`` to decide which follow-up questions
    were shown. Without it, the professional group is the stored outcome's and the rest is
    read from the answers.
    """
    original = copy.deepcopy(dict(answers))
    current = current_answers(original, amendments)
    session = validated(current)
    corrections = [a for a in amendments if a.kind == "correction"]
    stored_outcome = outcome_section(outcome, validated(original), "recorded")
    if corrections:
        from kindcheck.outcome import outcome_to_json

        group = outcome.get("professional_group")
        context = context or OutcomeContext(group=group if isinstance(group, str) else None)
        recomputed = recompute_outcome(original, amendments, context)
        shown, as_recorded = (
            outcome_section(outcome_to_json(recomputed), session, "recomputed"),
            stored_outcome,
        )
    else:
        shown, as_recorded = stored_outcome, None
    parts = _parts(session, corrections, context)
    return SessionRecord(
        session_id=session_id,
        kind=session.kind,
        setting=session.setting,
        session_date=session.session_date,
        client_reference=session.client_reference,
        client_name=session.client_name,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
        format_version=session.format_version,
        parts=parts,
        outcome=shown,
        outcome_as_recorded=as_recorded,
        meldcode=_meldcode(shown.version, bool(shown.signals), meldcode_steps, meldcode_decisions),
        handoffs=_handoffs(session),
        plan=plan_section(plan) if plan is not None else None,
        notes=tuple(_notes(parts)),
        amendments=tuple(_amendment_line(a, session) for a in amendments),
        original_answers=original,
        answers=current,
    )


# ---------------------------------------------------------------------------------------------
# The questions as asked


def _context(
    questionnaire: Questionnaire, answers: Answers, setting: str, open_handoffs: int | None
) -> dict[str, Any]:
    if open_handoffs is None:
        # Not stored with the session: a question shown only with open hand-offs that has an
        # answer was shown.
        answered = any(
            q.show_if is not None and "open_handoffs" in q.show_if.names() and q.id in answers
            for q in questionnaire.questions
        )
        open_handoffs = 1 if answered else 0
    return {"setting": setting, "open_handoffs": open_handoffs}


def _corrections_by_key(
    corrections: Sequence[Amendment], session: Session
) -> dict[tuple[str, str, int | None], list[Correction]]:
    found: dict[tuple[str, str, int | None], list[Correction]] = {}
    for amendment in corrections:
        for change in amendment.changes:
            part = session.parts.get(change.questionnaire)
            if part is None or not part.questionnaire.has_question(change.question):
                continue
            question = part.questionnaire.question(change.question)
            found.setdefault((change.questionnaire, change.question, change.item), []).append(
                Correction(
                    amendment.id,
                    change.before,
                    answer_label(question, change.before),
                    amendment.reason,
                    amendment.by,
                    amendment.at,
                )
            )
    return found


def _parts(
    session: Session, corrections: Sequence[Amendment], context: OutcomeContext | None
) -> tuple[PartRecord, ...]:
    corrected = _corrections_by_key(corrections, session)
    main_id = KINDCHECK if session.kind == "intake" else FOLLOWUP
    main_visible: Answers | None = None
    records: list[PartRecord] = []
    order = sorted(session.parts, key=lambda key: key != main_id)
    wording = asked_wording(session)
    for key in order:
        part = session.parts[key]
        questionnaire = part.questionnaire
        walk_context = _context(
            questionnaire,
            part.answers,
            session.setting,
            context.open_handoffs if context is not None else None,
        )
        main_answers = main_visible if questionnaire.is_scan and questionnaire.format == 2 else None
        walker = Walker(questionnaire, walk_context, part.answers, main_answers)
        if key == main_id:
            main_visible = walker.visible_answers()
        entries: list[AnswerLine | RepeatGroup] = []
        groups: dict[str, dict[int, list[AnswerLine]]] = {}
        for step in walker.steps():
            question = step.question
            value = walker.get(step)
            line = AnswerLine(
                question_id=question.id,
                item=step.item,
                type=question.type,
                question=question.worded(wording),
                value=copy.deepcopy(value),
                answer=answer_label(question, value),
                free_text=question.type in FREE_TEXT_TYPES,
                corrections=tuple(corrected.get((key, question.id, step.item), ())),
            )
            if step.item is None:
                entries.append(line)
                continue
            group_id = question.repeat or ""
            if group_id not in groups:
                groups[group_id] = {}
                entries.append(RepeatGroup(group_id, Localized("", ""), ()))  # placeholder
            groups[group_id].setdefault(step.item, []).append(line)
        entries = [_filled(entry, questionnaire, groups) for entry in entries]
        records.append(
            PartRecord(
                questionnaire_id=questionnaire.id,
                version=questionnaire.version,
                title=questionnaire.title,
                entries=tuple(entries),
                answers=copy.deepcopy(part.answers),
                questionnaire=questionnaire,
            )
        )
    # Keep the stored order of the questionnaires (the main one first in every session).
    position = {key: index for index, key in enumerate(session.parts)}
    return tuple(sorted(records, key=lambda record: position[record.questionnaire_id]))


def _filled(
    entry: AnswerLine | RepeatGroup,
    questionnaire: Questionnaire,
    groups: dict[str, dict[int, list[AnswerLine]]],
) -> AnswerLine | RepeatGroup:
    if isinstance(entry, AnswerLine):
        return entry
    repeat = questionnaire.repeat(entry.id)
    label = Localized(
        nl=repeat.label.nl.replace("{n}", "").strip(), en=repeat.label.en.replace("{n}", "").strip()
    )
    items = tuple(
        RepeatItem(
            number=index + 1,
            label=Localized(
                nl=repeat.label.nl.replace("{n}", str(index + 1)),
                en=repeat.label.en.replace("{n}", str(index + 1)),
            ),
            lines=tuple(lines),
        )
        for index, lines in sorted(groups[entry.id].items())
    )
    return RepeatGroup(entry.id, label, items)


def _notes(parts: tuple[PartRecord, ...]) -> list[NoteLine]:
    notes: list[NoteLine] = []
    for part in parts:
        for line in part.lines():
            if line.free_text and isinstance(line.value, str) and line.value.strip():
                notes.append(
                    NoteLine(
                        part.questionnaire_id,
                        line.question_id,
                        None if line.item is None else line.item + 1,
                        line.question,
                        line.answer.nl,
                    )
                )
    return notes


# ---------------------------------------------------------------------------------------------
# Meldcode, hand-offs, plan, amendments


def _meldcode(
    version: int,
    signals: bool,
    steps: Iterable[MeldcodeStep],
    decisions: Iterable[MeldcodeDecision],
) -> MeldcodeSection | None:
    from kindcheck.questionnaire import load_guide

    done = {step.step_id: step for step in steps}
    decided = list(decisions)
    if not signals and not done and not decided:
        return None
    guide = load_guide(2) if version >= 2 else load_guide(1)
    lines = tuple(
        MeldcodeStepLine(
            step.id,
            step.title,
            done[step.id].done_on if step.id in done else None,
            literal(done[step.id].note).nl if step.id in done else "",
        )
        for step in guide.steps
    )
    decision_lines: list[MeldcodeDecisionLine] = []
    for decision in decided:
        name = literal(decision.decision_id)
        if version >= 2:
            guide_v2 = load_guide(2)
            known = next((d for d in guide_v2.decisions if d.id == decision.decision_id), None)
            name = known.name if known is not None else name
        decision_lines.append(
            MeldcodeDecisionLine(
                decision.decision_id, name, decision.decided_on, literal(decision.reason).nl
            )
        )
    return MeldcodeSection(
        guide_version=guide.version,
        title=guide.title,
        steps=lines,
        decisions=tuple(decision_lines),
        not_a_decision=guide.not_a_decision,
    )


def _handoffs(session: Session) -> tuple[HandoffLine, ...]:
    catalog = session.main_part.questionnaire.catalog
    lines: list[HandoffLine] = []
    for handoff in session.handoffs:
        known = catalog is not None and catalog.has_handoff(handoff.option)
        lines.append(
            HandoffLine(
                option=handoff.option,
                name=catalog.handoff(handoff.option).name
                if catalog is not None and known
                else literal(handoff.option),
                organisation=literal(handoff.organisation).nl if handoff.organisation else None,
                consent_asked=handoff.consent_asked,
                consent_given=handoff.consent_given,
                contact=handoff.contact,
                contact_text=message(f"record.contact.{handoff.contact}"),
                contact_on=handoff.contact_on,
            )
        )
    return tuple(lines)


def plan_section(given: PlanInput) -> PlanSection:
    """The follow-up plan as the record shows it."""
    from kindcheck.followup import FollowUpPlan, occurrences
    from kindcheck.i18n import catalog

    plan = FollowUpPlan.from_dict(dict(given.plan))
    upcoming = occurrences(plan, given.as_of, given.as_of + timedelta(days=800))[:NEXT_DATES]
    rhythm = given.rhythm
    if rhythm is not None and f"record.rhythm.{rhythm}" in catalog():
        rhythm_text = message(f"record.rhythm.{rhythm}")
    else:
        rhythm_text = message("record.plan.by_hand")
    return PlanSection(
        rhythm=rhythm,
        rhythm_text=rhythm_text,
        start=plan.start,
        next_dates=tuple(moment.date() for moment in upcoming),
        ends_on=plan.ends_on,
        treatment_ended_on=plan.treatment_ended_on,
        changes=tuple(
            PlanChangeLine(c.original, c.action, c.new_date, literal(c.reason).nl)
            for c in plan.changes
        ),
        as_of=given.as_of,
    )


def _amendment_line(amendment: Amendment, session: Session) -> AmendmentLine:
    changes: list[ChangeLine] = []
    for change in amendment.changes:
        part = session.parts.get(change.questionnaire)
        if part is None or not part.questionnaire.has_question(change.question):
            question_text = literal(change.question)
            before, after = literal(str(change.before)), literal(str(change.after))
        else:
            question = part.questionnaire.question(change.question)
            question_text = question.worded(asked_wording(session))
            before = answer_label(question, change.before)
            after = answer_label(question, change.after)
        changes.append(
            ChangeLine(
                change.questionnaire,
                change.question,
                None if change.item is None else change.item + 1,
                question_text,
                before,
                after,
            )
        )
    return AmendmentLine(
        id=amendment.id,
        kind=amendment.kind,
        at=amendment.at,
        by=literal(amendment.by).nl,
        reason=literal(amendment.reason).nl,
        changes=tuple(changes),
        moved_from=amendment.moved_from,
        moved_to=amendment.moved_to,
    )
