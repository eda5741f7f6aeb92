"""The one rendering of a session record: a list of blocks in one language.

The plain-text summary, the PDF and the client dossier all draw these blocks, so what reaches
the EPD says the same whichever way it goes. Order, safety first: the session and who recorded
it; safety signals, the Meldcode and concerns; the children; the domains with the answers
behind them, the flag and advice; help offered and hand-offs agreed; the follow-up; notes;
every answer as it was asked; corrections.

A block is a title, a heading, a subheading or a line (with an indent level, a bullet and a
style). Free text (notes, reasons, an organisation) is a ``literal`` line: shown as typed,
line breaks kept, control characters already stripped by the builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kindcheck.i18n import t

from .model import (
    AnswerLine,
    MeldcodeSection,
    OutcomeSection,
    PlanSection,
    RepeatGroup,
    SessionRecord,
)


@dataclass(frozen=True)
class Block:
    kind: str  # "title", "heading", "subheading", "line", "blank"
    text: str = ""
    indent: int = 0
    bullet: bool = False
    style: str = ""  # "", "alert" (safety first), "strong", "muted", "literal"


def title(text: str) -> Block:
    return Block("title", text)


def heading(text: str) -> Block:
    return Block("heading", text)


def subheading(text: str, indent: int = 0) -> Block:
    return Block("subheading", text, indent)


def line(text: str, indent: int = 0, *, bullet: bool = False, style: str = "") -> Block:
    return Block("line", text, indent, bullet, style)


BLANK = Block("blank")


def day(value: date | None, lang: str) -> str:
    return value.isoformat() if value is not None else t("record.no_date", lang)


def moment(value: datetime, lang: str) -> str:
    """A stored moment in the Netherlands' local time, as a person reads it."""
    from kindcheck.dates import AMSTERDAM

    local = value.astimezone(AMSTERDAM) if value.tzinfo is not None else value
    return local.strftime("%Y-%m-%d %H:%M")


def _qa(question: str, answer: str, lang: str) -> str:
    return t("record.qa", lang, question=question, answer=answer)


def session_blocks(record: SessionRecord, lang: str) -> list[Block]:
    """Every block of one session's record, in ``lang``."""
    blocks = _header(record, lang)
    blocks += _safety(record, lang)
    blocks += _children(record.outcome, lang)
    blocks += _domains(record.outcome, lang)
    blocks += _help(record, lang)
    blocks += _followup(record, lang)
    blocks += _notes(record, lang)
    blocks += _answers(record, lang)
    blocks += _amendments(record, lang)
    return blocks


def _header(record: SessionRecord, lang: str) -> list[Block]:
    blocks = [
        title(t("record.title", lang)),
        line(t("record.confidential_line", lang), style="strong"),
        line(t("record.client", lang, reference=record.client_reference)),
        line(
            t(
                "record.session_line",
                lang,
                kind=t(f"record.kind.{record.kind}", lang),
                setting=t(f"record.setting.{record.setting}", lang),
                day=record.session_date.isoformat(),
            )
        ),
    ]
    if record.recorded_at is not None or record.recorded_by:
        when = moment(record.recorded_at, lang) if record.recorded_at else "-"
        who = record.recorded_by or t("record.unknown_user", lang)
        blocks.append(line(t("record.recorded", lang, when=when, who=who)))
    names = ", ".join(
        t("record.questionnaire", lang, title=part.title.get(lang), version=part.version)
        for part in record.parts
    )
    blocks.append(line(t("record.questionnaires", lang, names=names)))
    if record.session_id:
        blocks.append(line(t("record.session_id", lang, id=record.session_id), style="muted"))
    for amendment in record.amendments:
        if amendment.kind == "move":
            blocks.append(
                line(
                    t(
                        "record.moved_from",
                        lang,
                        reference=amendment.moved_from or "",
                        when=moment(amendment.at, lang),
                    ),
                    style="strong",
                )
            )
    if record.corrected:
        blocks.append(line(t("record.corrected_note", lang), style="strong"))
    return blocks


def _safety(record: SessionRecord, lang: str) -> list[Block]:
    outcome = record.outcome
    blocks = [BLANK, heading(t("record.heading.safety", lang))]
    blocks += [line(text.get(lang), style="alert") for text in outcome.acute]
    blocks.append(line(outcome.summary.get(lang), style="strong"))
    if outcome.signals:
        blocks.append(subheading(t("record.signals", lang)))
        for signal in outcome.signals:
            blocks.append(line(signal.name.get(lang), 1, bullet=True, style="alert"))
            if signal.question is not None and signal.answer is not None:
                blocks.append(
                    line(
                        _qa(signal.question.get(lang), signal.answer.get(lang), lang),
                        2,
                        style="muted",
                    )
                )
    else:
        blocks.append(line(t("record.no_signals", lang)))
    if record.meldcode is not None:
        blocks += _meldcode(record.meldcode, lang)
    if outcome.concerns:
        blocks.append(subheading(t("outcome.concerns_title", lang)))
        for concern in outcome.concerns:
            name = concern.name.get(lang)
            if concern.child is not None:
                name = t("outcome.open_item_child", lang, number=concern.child, text=name)
            blocks.append(line(name, 1, bullet=True, style="alert" if concern.acute else ""))
            if concern.question is not None and concern.answer is not None:
                text = _qa(concern.question.get(lang), concern.answer.get(lang), lang)
                blocks.append(line(text, 2, style="muted"))
            blocks += [line("> " + step.get(lang), 2) for step in concern.steps]
    if outcome.open_items:
        blocks.append(subheading(t("outcome.open_items_title", lang)))
        for item in outcome.open_items:
            text = item.text.get(lang)
            if item.child is not None:
                text = t("outcome.open_item_child", lang, number=item.child, text=text)
            if item.reask_on is not None and item.reask_on.isoformat() not in text:
                text += " (" + t("outcome.reask", lang, day=item.reask_on.isoformat()) + ")"
            blocks.append(line(text, 1, bullet=True))
    return blocks


def _meldcode(meldcode: MeldcodeSection, lang: str) -> list[Block]:
    blocks = [subheading(meldcode.title.get(lang))]
    for step in meldcode.steps:
        state = (
            t("record.step_done", lang, day=step.done_on.isoformat())
            if step.done_on is not None
            else t("record.step_open", lang)
        )
        blocks.append(line(f"{step.title.get(lang)}: {state}", 1, bullet=True))
        if step.note:
            blocks.append(line(step.note, 2, style="literal"))
    for decision in meldcode.decisions:
        text = t(
            "record.decision",
            lang,
            name=decision.name.get(lang),
            day=day(decision.decided_on, lang),
        )
        blocks.append(line(text, 1, bullet=True, style="strong"))
        if decision.reason:
            blocks.append(line(decision.reason, 2, style="literal"))
    blocks.append(line(meldcode.not_a_decision.get(lang), 1, style="muted"))
    return blocks


def _children(outcome: OutcomeSection, lang: str) -> list[Block]:
    blocks = [BLANK, heading(t("record.heading.children", lang))]
    if outcome.check_closed:
        blocks.append(line(t("outcome.check_closed", lang)))
    elif outcome.has_minor_children == "unknown" and not outcome.children:
        blocks.append(line(t("record.children_unknown", lang)))
    if outcome.children:
        blocks.append(line(t("outcome.children_in_view", lang, count=len(outcome.children))))
        for child in outcome.children:
            living = child.living.get(lang) if child.living else "-"
            age = "-" if child.age is None else str(child.age)
            text = t("outcome.child_line", lang, number=child.number, age=age, living=living)
            if child.birth_date is not None:
                text += " " + t("record.born", lang, day=child.birth_date.isoformat())
            blocks.append(line(text, 1, bullet=True))
    elif not outcome.check_closed and outcome.has_minor_children != "unknown":
        blocks.append(line(t("record.no_children", lang)))
    if outcome.pregnancy == "yes":
        text = t("outcome.pregnancy", lang)
        if outcome.pregnancy_due is not None:
            text += " " + t("record.due", lang, day=outcome.pregnancy_due.isoformat())
        blocks.append(line(text))
    return blocks


def _domains(outcome: OutcomeSection, lang: str) -> list[Block]:
    blocks = [BLANK, heading(t("record.heading.domains", lang))]
    if not outcome.scan_done:
        return [*blocks, line(t("record.no_scan", lang))]
    blocks.append(line(t("outcome.domain_count", lang, count=outcome.domain_count)))
    for domain in outcome.domains:
        blocks.append(line(domain.name.get(lang), 1, bullet=True, style="strong"))
        for reason in domain.reasons:
            text = _qa(reason.question.get(lang), reason.answer.get(lang), lang)
            blocks.append(line(text, 2, style="muted"))
    if outcome.flag:
        blocks.append(line(t("outcome.flag", lang, threshold=outcome.threshold), style="alert"))
    elif outcome.domains:
        blocks.append(line(t("outcome.tackle_each", lang)))
    else:
        blocks.append(line(t("outcome.no_stacking", lang)))
    for domain in outcome.domains:
        if domain.advice:
            blocks.append(subheading(domain.name.get(lang), 1))
            blocks += [line("> " + advice.get(lang), 2) for advice in domain.advice]
    if outcome.scp_area_count is not None:
        blocks.append(line(t("outcome.scp_areas", lang, count=outcome.scp_area_count)))
    return blocks


def _help(record: SessionRecord, lang: str) -> list[Block]:
    outcome = record.outcome
    if not (outcome.handoffs_offered or record.handoffs or outcome.events):
        return []
    blocks = [BLANK, heading(t("record.heading.help", lang))]
    if outcome.handoffs_offered:
        blocks.append(subheading(t("outcome.handoffs_title", lang)))
        for offered in outcome.handoffs_offered:
            what = f": {offered.detail.get(lang)}" if offered.detail else ""
            blocks.append(line(offered.name.get(lang) + what, 1, bullet=True))
    if record.handoffs:
        blocks.append(subheading(t("record.handoffs_agreed", lang)))
        for handoff in record.handoffs:
            blocks.append(line(handoff.name.get(lang), 1, bullet=True, style="strong"))
            if handoff.organisation:
                blocks.append(line(t("record.organisation", lang, name=handoff.organisation), 2))
            consent = t(
                "record.consent",
                lang,
                asked=t("answer.yes" if handoff.consent_asked else "answer.no", lang),
                given=t("answer.yes" if handoff.consent_given else "answer.no", lang),
            )
            blocks.append(line(consent, 2))
            contact = handoff.contact_text.get(lang)
            if handoff.contact_on is not None:
                contact += f" ({handoff.contact_on.isoformat()})"
            blocks.append(line(contact, 2))
    if outcome.events:
        names = ", ".join(event.name.get(lang) for event in outcome.events)
        blocks.append(line(t("outcome.events", lang, events=names)))
    return blocks


def _followup(record: SessionRecord, lang: str) -> list[Block]:
    blocks = [BLANK, heading(t("record.heading.followup", lang))]
    blocks.append(line(record.outcome.rhythm_text.get(lang)))
    if record.plan is not None:
        blocks += plan_blocks(record.plan, lang)
    return blocks


def plan_blocks(plan: PlanSection, lang: str) -> list[Block]:
    blocks = [
        subheading(t("record.plan.title", lang, day=plan.as_of.isoformat())),
        line(t("record.plan.rhythm", lang, rhythm=plan.rhythm_text.get(lang)), 1),
    ]
    if plan.next_dates:
        dates = ", ".join(d.isoformat() for d in plan.next_dates)
        blocks.append(line(t("record.plan.next", lang, dates=dates), 1))
    else:
        blocks.append(line(t("record.plan.none_planned", lang), 1))
    if plan.treatment_ended_on is not None:
        text = t("record.plan.treatment_ended", lang, day=plan.treatment_ended_on.isoformat())
        blocks.append(line(text, 1))
    elif plan.ends_on is not None:
        blocks.append(line(t("record.plan.ends", lang, day=plan.ends_on.isoformat()), 1))
    for change in plan.changes:
        if change.action == "skip":
            text = t("record.plan.skipped", lang, day=change.original.isoformat())
        else:
            text = t(
                "record.plan.moved",
                lang,
                day=change.original.isoformat(),
                new=day(change.new_date, lang),
            )
        blocks.append(line(text, 1, bullet=True))
        blocks.append(line(change.reason, 2, style="literal"))
    return blocks


def _notes(record: SessionRecord, lang: str) -> list[Block]:
    blocks = [BLANK, heading(t("record.heading.notes", lang))]
    if not record.notes:
        return [*blocks, line(t("record.no_notes", lang))]
    for note in record.notes:
        label = note.question.get(lang)
        if note.child is not None:
            label = t("outcome.open_item_child", lang, number=note.child, text=label)
        blocks.append(line(label, style="strong"))
        blocks.append(line(note.text, 1, style="literal"))
    return blocks


def _answer_blocks(answer: AnswerLine, lang: str, indent: int) -> list[Block]:
    blocks = [line(answer.question.get(lang), indent, bullet=True)]
    if answer.type == "longtext" and answer.value:
        blocks.append(line(t("record.see_notes", lang), indent + 1, style="muted"))
    else:
        style = "literal" if answer.free_text and answer.value else "strong"
        blocks.append(line(answer.answer.get(lang), indent + 1, style=style))
    for correction in answer.corrections:
        text = t(
            "record.corrected_answer",
            lang,
            before=correction.before.get(lang),
            when=moment(correction.at, lang),
            who=correction.by,
        )
        blocks.append(line(text, indent + 1, style="muted"))
    return blocks


def _answers(record: SessionRecord, lang: str) -> list[Block]:
    blocks: list[Block] = []
    for part in record.parts:
        blocks += [
            BLANK,
            heading(
                t(
                    "record.heading.answers",
                    lang,
                    title=part.title.get(lang),
                    version=part.version,
                )
            ),
        ]
        for entry in part.entries:
            if isinstance(entry, RepeatGroup):
                for item in entry.items:
                    blocks.append(subheading(item.label.get(lang)))
                    for answer in item.lines:
                        blocks += _answer_blocks(answer, lang, 1)
            else:
                blocks += _answer_blocks(entry, lang, 0)
    return blocks


def _amendments(record: SessionRecord, lang: str) -> list[Block]:
    if not record.amendments:
        return []
    blocks = [BLANK, heading(t("record.heading.amendments", lang))]
    if record.outcome_as_recorded is not None:
        blocks.append(subheading(t("record.outcome_as_recorded", lang)))
        blocks.append(line(record.outcome_as_recorded.summary.get(lang), 1))
        names = ", ".join(d.name.get(lang) for d in record.outcome_as_recorded.domains)
        if names:
            blocks.append(line(t("record.domains_then", lang, names=names), 1))
        blocks.append(line(record.outcome_as_recorded.rhythm_text.get(lang), 1))
    for amendment in record.amendments:
        header = t(
            f"record.amendment.{amendment.kind}",
            lang,
            when=moment(amendment.at, lang),
            who=amendment.by,
        )
        blocks.append(subheading(header))
        blocks.append(line(t("record.amendment.reason", lang), 1))
        blocks.append(line(amendment.reason, 2, style="literal"))
        if amendment.kind == "move":
            text = t(
                "record.amendment.moved",
                lang,
                source=amendment.moved_from or "",
                target=amendment.moved_to or "",
            )
            blocks.append(line(text, 1, bullet=True))
        for change in amendment.changes:
            label = change.question.get(lang)
            if change.child is not None:
                label = t("outcome.open_item_child", lang, number=change.child, text=label)
            blocks.append(line(label, 1, bullet=True))
            text = t(
                "record.amendment.change",
                lang,
                before=change.before.get(lang),
                after=change.after.get(lang),
            )
            blocks.append(line(text, 2, style="literal"))
    return blocks
