"""Presenting an outcome: as JSON (``kindcheck outcome --json``, and what the vault stores), as
plain lines for a person (the CLI; the app's outcome screens follow the same order), and as a
one-line summary to start with.

Order of the lines of a format-2 outcome, safety first:

1. the acute lines ("Bij acuut gevaar: bel 112", then Veilig Thuis) with any signal;
2. the summary line;
3. with signals: the Meldcode steps, the afwegingskader of the user's professional group;
4. concerns, each with its next steps (acute ones first);
5. open items, each with what to do (and by when to ask again);
6. the Kindcheck: closed, the children in view, a pregnancy;
7. the problem scan: domains with reasons, the flag, advice per domain, help to offer;
8. events recorded; the rhythm, and never "no follow-up needed" while something is open.

A version-1 outcome keeps the lines it always had; only "no follow-up needed" gives way to "no
plan yet" while it is unknown whether there are children (then with the date to ask again).
"""

from __future__ import annotations

from typing import Any

from kindcheck.i18n import t
from kindcheck.questionnaire import MeldcodeGuide, MeldcodeGuideV2

from .model import Outcome

# The outcome screen's headline is one line of an 80-column terminal, less its padding.
HEADLINE_WIDTH = 78


def outcome_summary(outcome: Outcome, lang: str = "nl", *, short: bool = False) -> str:
    """One line to start with: signals, concerns, open items, domains and the flag.

    ``short`` is the screen's headline (fits 80 columns): the parts joined by " · ", the flag
    a part of its own in capitals."""

    def counted(key: str, count: int) -> str:
        if count == 0:
            return t(f"outcome.summary.{key}_none", lang)
        if count == 1:
            return t(f"outcome.summary.{key}_one", lang)
        return t(f"outcome.summary.{key}_many", lang, count=count)

    signals = len(outcome.safety_signals)
    parts = [counted("signals", signals)]
    if outcome.version >= 2:
        parts.append(counted("concerns", len(outcome.concerns)))
    if outcome.open_items:
        parts.append(counted("open_items", len(outcome.open_items)))
    if outcome.check_closed:
        parts.append(t("outcome.summary.check_closed", lang))
    elif not outcome.scan_done:
        parts.append(t("outcome.summary.no_scan", lang))
    else:
        domains = counted("domains", outcome.problem_domain_count)
        if outcome.parenting_support_flag and short:
            parts.extend([domains, t("outcome.summary.flag_short", lang)])
        elif outcome.parenting_support_flag:
            parts.append(domains + " " + t("outcome.summary.flag", lang))
        else:
            parts.append(domains)
    if short:
        line = " · ".join(parts)
        if len(line) > HEADLINE_WIDTH:  # version 2's concerns and open items lengthen it
            compact = " · ".join([counted("signals_compact", signals), *parts[1:]])
            line = compact if len(compact) <= HEADLINE_WIDTH else line  # only if one line
        return line[:1].upper() + line[1:]
    return t("outcome.summary.line", lang, parts=", ".join(parts))


def outcome_to_json(outcome: Outcome, lang: str = "nl") -> dict[str, Any]:
    """The machine-readable outcome. The keys of version 1 keep their meaning; a version-1
    outcome keeps ``advice`` as one text per domain, a version-2 outcome gives a list."""
    guide = outcome.meldcode
    data: dict[str, Any] = {
        "kind": outcome.kind,
        "check_closed": outcome.check_closed,
        "has_minor_children": outcome.has_children,
        "pregnancy": outcome.pregnancy,
        "pregnancy_due_date": outcome.pregnancy_due.isoformat() if outcome.pregnancy_due else None,
        "children": [
            {
                "number": child.number,
                "age": child.age,
                "birth_date": child.birth_date.isoformat() if child.birth_date else None,
                "living": child.living,
                "shared_care": child.shared_care,
            }
            for child in outcome.children
        ],
        "safety_signals": [
            {
                "id": signal.id,
                "name": signal.name.get(lang),
                "question": signal.question_id,
                "answer": signal.answer,
            }
            for signal in outcome.safety_signals
        ],
        "meldcode_steps": [step.id for step in guide.steps] if guide else [],
        "veilig_thuis": guide.phone if guide else None,
        "scan_done": outcome.scan_done,
        "problem_domains": [domain.id for domain in outcome.problem_domains],
        "problem_domain_count": outcome.problem_domain_count,
        "stacking_threshold": outcome.stacking_threshold,
        "parenting_support_flag": outcome.parenting_support_flag,
        "domain_reasons": {
            domain.id: [{"question": r.question_id, "answer": r.answer} for r in domain.reasons]
            for domain in outcome.problem_domains
        },
        "advice": {
            domain.id: (
                domain.advice[0].text.get(lang)
                if outcome.version == 1
                else [item.text.get(lang) for item in domain.advice]
            )
            for domain in outcome.problem_domains
        },
        "followup_rhythm": outcome.followup_rhythm.value if outcome.followup_rhythm else None,
        # Added with version 2 (a version-1 outcome has them too, mostly empty).
        "version": outcome.version,
        "summary": outcome_summary(outcome, lang),
        "acute": [line.get(lang) for line in outcome.acute_lines],
        "concerns": [
            {
                "id": concern.id,
                "name": concern.name.get(lang),
                "question": concern.question_id,
                "item": concern.item,
                "answer": concern.answer,
                "acute": concern.acute,
                "steps": [step.get(lang) for step in concern.steps],
            }
            for concern in outcome.concerns
        ],
        "open_items": [
            {
                "question": item.question_id,
                "item": item.item,
                "text": item.text.get(lang),
                "reask_on": item.reask_on.isoformat() if item.reask_on else None,
            }
            for item in outcome.open_items
        ],
        "advice_ids": {
            domain.id: [item.id for item in domain.advice] for domain in outcome.problem_domains
        },
        "handoffs_offered": [handoff.id for handoff in outcome.handoffs_offered],
        "events": [event.id for event in outcome.events],
        "scp_area_count": outcome.scp_area_count,
        "professional_group": (
            outcome.professional_group.id if outcome.professional_group else None
        ),
    }
    return data


def outcome_lines(outcome: Outcome, lang: str = "nl") -> list[str]:
    """The outcome as plain text for a person, safety first (see the module docstring)."""
    if outcome.version == 1:
        return _lines_v1(outcome, lang)
    lines = [f"!! {line.get(lang)}" for line in outcome.acute_lines]
    lines.append(outcome_summary(outcome, lang))
    lines.append("")
    guide = outcome.meldcode
    if isinstance(guide, MeldcodeGuideV2):
        lines.append(f"!! {guide.title.get(lang)}")
        for signal in outcome.safety_signals:
            lines.append(f"   - {signal.name.get(lang)}")
        for step in guide.steps:
            lines.append(f"   {step.title.get(lang)}")
        group = outcome.professional_group
        if group is not None:
            lines.append(
                "   " + t("outcome.afwegingskader", lang, text=group.afwegingskader.get(lang))
            )
        else:
            lines.append("   " + t("outcome.no_group", lang))
        lines.append(f"   {guide.not_a_decision.get(lang)}")
        lines.append("")
    if outcome.concerns:
        lines.append(t("outcome.concerns_title", lang))
        for concern in outcome.concerns:
            lines.append(f"   - {concern.name.get(lang)}")
            for next_step in concern.steps:
                lines.append(f"       > {next_step.get(lang)}")
        lines.append("")
    if outcome.open_items:
        lines.append(t("outcome.open_items_title", lang))
        for item in outcome.open_items:
            line = item.text.get(lang)
            if item.item is not None:
                line = t("outcome.open_item_child", lang, number=item.item + 1, text=line)
            if item.reask_on is not None:
                line += " (" + t("outcome.reask", lang, day=item.reask_on.isoformat()) + ")"
            lines.append(f"   - {line}")
        lines.append("")
    lines += _kindcheck_lines(outcome, lang, with_unknown=False)
    if outcome.scan_done:
        lines += _scan_lines(outcome, lang)
        if outcome.scp_area_count is not None:
            lines.append(t("outcome.scp_areas", lang, count=outcome.scp_area_count))
    if outcome.handoffs_offered:
        lines.append("")
        lines.append(t("outcome.handoffs_title", lang))
        for handoff in outcome.handoffs_offered:
            lines.append(f"   - {handoff.name.get(lang)}: {handoff.what.get(lang)}")
    if outcome.events:
        lines.append("")
        names = ", ".join(event.name.get(lang) for event in outcome.events)
        lines.append(t("outcome.events", lang, events=names))
    lines.append("")
    lines.append(_rhythm_line(outcome, lang))
    return lines


def _kindcheck_lines(outcome: Outcome, lang: str, *, with_unknown: bool) -> list[str]:
    lines: list[str] = []
    if outcome.kind == "intake":
        if outcome.check_closed:
            lines.append(t("outcome.check_closed", lang))
        elif with_unknown and outcome.has_children == "unknown":
            reask = next(
                (i for i in outcome.open_items if i.reask_on is not None and i.item is None), None
            )
            lines.append(reask.text.get(lang) if reask else t("outcome.children_unknown", lang))
    if outcome.children:
        lines.append(t("outcome.children_in_view", lang, count=len(outcome.children)))
        for child in outcome.children:
            living = t(f"living.{child.living}", lang) if child.living else "-"
            age = "-" if child.age is None else str(child.age)
            lines.append(
                "   " + t("outcome.child_line", lang, number=child.number, age=age, living=living)
            )
    if outcome.pregnancy == "yes":
        lines.append(t("outcome.pregnancy", lang))
    return lines


def _scan_lines(outcome: Outcome, lang: str) -> list[str]:
    lines = ["", t("outcome.domain_count", lang, count=outcome.problem_domain_count)]
    for domain in outcome.problem_domains:
        lines.append(f"   - {domain.name.get(lang)}")
        for reason in domain.reasons:
            lines.append(f"       {reason.question_text.get(lang)}")
    if outcome.parenting_support_flag:
        lines.append("")
        lines.append("** " + t("outcome.flag", lang, threshold=outcome.stacking_threshold))
    elif outcome.problem_domains:
        lines.append("")
        lines.append(t("outcome.tackle_each", lang))
    else:
        lines.append(t("outcome.no_stacking", lang))
    for domain in outcome.problem_domains:
        texts = [item.text.get(lang) for item in domain.advice]
        if outcome.version == 1:
            lines.append(f"   {domain.name.get(lang)}: {texts[0]}")
            continue
        lines.append(f"   {domain.name.get(lang)}:")
        lines += [f"       > {text}" for text in texts]
    return lines


def _rhythm_line(outcome: Outcome, lang: str) -> str:
    if outcome.followup_rhythm:
        rhythm = t(f"rhythm.{outcome.followup_rhythm.value}", lang)
        return t("outcome.rhythm", lang, rhythm=rhythm)
    if outcome.has_open_items:
        return t("outcome.no_plan_yet", lang)
    return t("outcome.no_followup", lang)


def _lines_v1(outcome: Outcome, lang: str) -> list[str]:
    lines: list[str] = []
    guide = outcome.meldcode
    if isinstance(guide, MeldcodeGuide):
        lines.append(f"!! {guide.title.get(lang)}")
        for signal in outcome.safety_signals:
            lines.append(f"   - {signal.name.get(lang)}")
        lines.append(f"   {guide.advice_anytime.get(lang)}")
        for step in guide.steps:
            lines.append(f"   {step.title.get(lang)}")
        lines.append(f"   {guide.not_a_decision.get(lang)}")
        lines.append("")
    lines += _kindcheck_lines(outcome, lang, with_unknown=True)
    if outcome.scan_done:
        lines += _scan_lines(outcome, lang)
    lines.append("")
    lines.append(_rhythm_line(outcome, lang))
    return lines
