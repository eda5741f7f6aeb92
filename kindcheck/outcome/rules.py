"""From a validated session to its outcome, with the reasons that led to each part.

Rules:

- Safety signals come from every answer given, shown or hidden: no combination of other
  answers can hide one. Any signal puts the Meldcode steps first.
- A domain counts when any of its shown indicators has a problem answer; the count reaching
  the questionnaire's threshold (default 3) raises the flag "hulp bij opvoeden". Advice per
  domain is given for every counted domain, the flag comes on top.
- No minor children and no pregnancy closes the check, and that result is recorded.
- The follow-up rhythm is the default of kindcheck.followup.policy (safety first, then
  stacking, then the 3-monthly rhythm for minor children or a pregnancy).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from kindcheck.answers import FOLLOWUP, KINDCHECK, SCAN, Part, Session, kindcheck_closed
from kindcheck.followup import Rhythm, default_rhythm
from kindcheck.i18n import t
from kindcheck.questionnaire import Localized, Questionnaire, Walker, questionnaire_dir


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
    advice: Localized
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class MeldcodeStep:
    id: str
    title: Localized
    detail: Localized


@dataclass(frozen=True)
class MeldcodeGuide:
    title: Localized
    phone: str
    advice_anytime: Localized
    not_a_decision: Localized
    steps: tuple[MeldcodeStep, ...]


@dataclass(frozen=True)
class Outcome:
    kind: str
    children: tuple[ChildInView, ...]
    has_children: str | None  # the yes/no/unknown answer, None when not asked
    pregnancy: str | None
    pregnancy_due: date | None
    check_closed: bool
    safety_signals: tuple[SafetySignal, ...]
    meldcode: MeldcodeGuide | None
    scan_done: bool
    problem_domains: tuple[ProblemDomain, ...]
    stacking_threshold: int
    followup_rhythm: Rhythm | None

    @property
    def problem_domain_count(self) -> int:
        return len(self.problem_domains)

    @property
    def parenting_support_flag(self) -> bool:
        return self.scan_done and self.problem_domain_count >= self.stacking_threshold

    @property
    def has_safety_signal(self) -> bool:
        return bool(self.safety_signals)


@cache
def meldcode_guide() -> MeldcodeGuide:
    data = tomllib.loads((questionnaire_dir() / "meldcode.toml").read_text("utf-8"))

    def text(value: dict[str, str]) -> Localized:
        return Localized(value["nl"], value["en"])

    return MeldcodeGuide(
        title=text(data["title"]),
        phone=data["veilig_thuis_phone"],
        advice_anytime=text(data["advice_anytime"]),
        not_a_decision=text(data["not_a_decision"]),
        steps=tuple(
            MeldcodeStep(step["id"], text(step["title"]), text(step["detail"]))
            for step in data["steps"]
        ),
    )


def safety_signals(part: Part) -> list[SafetySignal]:
    """Every signal raised by any answer of the part, whether or not its question is shown."""
    questionnaire = part.questionnaire
    found: list[SafetySignal] = []
    for question in questionnaire.questions:
        if question.signal is None:
            continue
        if question.repeat is None:
            values = [part.answers.get(question.id)]
        else:
            items = part.answers.get(question.repeat)
            values = (
                [item.get(question.id) for item in items if isinstance(item, dict)]
                if isinstance(items, list)
                else []
            )
        for value in values:
            if question.raises_signal(value):
                name = questionnaire.signal(question.signal).name
                found.append(
                    SafetySignal(question.signal, name, question.id, value, questionnaire.id)
                )
                break
    return found


def problem_domains(scan: Questionnaire, visible: dict[str, Any]) -> list[ProblemDomain]:
    """The domains with at least one shown indicator answered as a problem, in file order."""
    domains: list[ProblemDomain] = []
    for domain in scan.domains:
        reasons = tuple(
            Reason(question.id, question.text, visible[question.id])
            for question in scan.questions
            if question.domain == domain.id and question.is_problem(visible.get(question.id))
        )
        if reasons:
            domains.append(ProblemDomain(domain.id, domain.name, domain.advice, reasons))
    return domains


def children_in_view(questionnaire: Questionnaire, visible: dict[str, Any]) -> list[ChildInView]:
    age_question = questionnaire.by_role("child_age")
    if age_question is None or age_question.repeat is None:
        return []

    def role_id(role: str) -> str | None:
        question = questionnaire.by_role(role)
        return question.id if question else None

    items = visible.get(age_question.repeat, [])
    children: list[ChildInView] = []
    for number, item in enumerate(items, 1):
        birth = item.get(role_id("child_birth_date") or "")
        children.append(
            ChildInView(
                number=number,
                age=item.get(age_question.id),
                birth_date=date.fromisoformat(birth) if birth else None,
                living=item.get(role_id("child_living") or ""),
                shared_care=item.get(role_id("child_shared_care") or ""),
            )
        )
    return children


def _role_value(questionnaire: Questionnaire, visible: dict[str, Any], role: str) -> Any:
    question = questionnaire.by_role(role)
    return visible.get(question.id) if question else None


def compute_outcome(session: Session) -> Outcome:
    """The outcome of one validated session (an intake or a follow-up)."""
    main_id = KINDCHECK if session.kind == "intake" else FOLLOWUP
    main = session.parts[main_id]
    context = {"setting": session.setting}
    visible = Walker(main.questionnaire, context, main.answers).visible_answers()
    children = children_in_view(main.questionnaire, visible)
    has_children = _role_value(main.questionnaire, visible, "has_children")
    if has_children is None and session.kind == "followup":
        has_children = "yes" if children else None
    pregnancy = _role_value(main.questionnaire, visible, "pregnancy")
    due = _role_value(main.questionnaire, visible, "pregnancy_due_date")
    check_closed = session.kind == "intake" and kindcheck_closed(main, session.setting)

    signals = [signal for part in session.parts.values() for signal in safety_signals(part)]
    scan_part = session.parts.get(SCAN)
    domains: list[ProblemDomain] = []
    threshold = 3
    if scan_part is not None:
        threshold = scan_part.questionnaire.stacking_threshold
        scan_visible = Walker(scan_part.questionnaire, context, scan_part.answers).visible_answers()
        domains = problem_domains(scan_part.questionnaire, scan_visible)

    minors_or_pregnancy = bool(children) or has_children == "yes" or pregnancy == "yes"
    rhythm = default_rhythm(
        # A signal of unsafety is followed up even without children: the Meldcode also
        # covers domestic violence between adults.
        has_children_or_pregnancy=minors_or_pregnancy or bool(signals),
        safety_signal=bool(signals),
        problem_domain_count=len(domains),
        threshold=threshold,
    )
    return Outcome(
        kind=session.kind,
        children=tuple(children),
        has_children=has_children,
        pregnancy=pregnancy,
        pregnancy_due=date.fromisoformat(due) if due else None,
        check_closed=check_closed,
        safety_signals=tuple(signals),
        meldcode=meldcode_guide() if signals else None,
        scan_done=scan_part is not None,
        problem_domains=tuple(domains),
        stacking_threshold=threshold,
        followup_rhythm=rhythm,
    )


# ---------------------------------------------------------------------------------------------
# Presenting an outcome


def outcome_to_json(outcome: Outcome, lang: str = "nl") -> dict[str, Any]:
    """The machine-readable outcome (``kindcheck outcome --json``)."""
    return {
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
        "meldcode_steps": [step.id for step in outcome.meldcode.steps] if outcome.meldcode else [],
        "veilig_thuis": outcome.meldcode.phone if outcome.meldcode else None,
        "scan_done": outcome.scan_done,
        "problem_domains": [domain.id for domain in outcome.problem_domains],
        "problem_domain_count": outcome.problem_domain_count,
        "stacking_threshold": outcome.stacking_threshold,
        "parenting_support_flag": outcome.parenting_support_flag,
        "domain_reasons": {
            domain.id: [{"question": r.question_id, "answer": r.answer} for r in domain.reasons]
            for domain in outcome.problem_domains
        },
        "advice": {domain.id: domain.advice.get(lang) for domain in outcome.problem_domains},
        "followup_rhythm": outcome.followup_rhythm.value if outcome.followup_rhythm else None,
    }


def outcome_lines(outcome: Outcome, lang: str = "nl") -> list[str]:
    """The outcome as plain text for a person, safety first."""
    lines: list[str] = []
    if outcome.meldcode:
        guide = outcome.meldcode
        lines.append(f"!! {guide.title.get(lang)}")
        for signal in outcome.safety_signals:
            lines.append(f"   - {signal.name.get(lang)}")
        lines.append(f"   {guide.advice_anytime.get(lang)}")
        for step in guide.steps:
            lines.append(f"   {step.title.get(lang)}")
        lines.append(f"   {guide.not_a_decision.get(lang)}")
        lines.append("")
    if outcome.kind == "intake":
        if outcome.check_closed:
            lines.append(t("outcome.check_closed", lang))
        elif outcome.has_children == "unknown":
            lines.append(t("outcome.children_unknown", lang))
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
    if outcome.scan_done:
        lines.append("")
        lines.append(t("outcome.domain_count", lang, count=outcome.problem_domain_count))
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
        if outcome.problem_domains:
            for domain in outcome.problem_domains:
                lines.append(f"   {domain.name.get(lang)}: {domain.advice.get(lang)}")
    lines.append("")
    if outcome.followup_rhythm:
        lines.append(
            t("outcome.rhythm", lang, rhythm=t(f"rhythm.{outcome.followup_rhythm.value}", lang))
        )
    else:
        lines.append(t("outcome.no_followup", lang))
    return lines
