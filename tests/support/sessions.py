"""Sessions of the NEWEST shipped questionnaires, built the way a new session is: walking each
shown question. Only uses what the version-1 code also had (so the same tests can be run
against it); see tests/core/test_rules_adversarial.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from kindcheck.answers import session_from_dict
from kindcheck.questionnaire import Question, Questionnaire, Step, Walker, load_shipped

SESSION_DAY = "2026-11-02"
ACUTE_NL = "!! Bij acuut gevaar: bel 112."
NO_FOLLOWUP_NL = "Geen vervolggesprek over kinderen nodig."


def _matches(question: Question, name: str, value: Any) -> bool:
    check = getattr(question, name, None)  # version 1 has no concerns or open items
    return bool(check(value)) if check is not None else False


def harmless(question: Question) -> Any:
    """An answer that raises nothing: no signal, concern, open item or problem."""
    if question.type == "yesno":
        candidates: list[Any] = ["no", "yes", "unknown"]
    elif question.type == "choice":
        candidates = [option.id for option in question.options]
    else:
        candidates = [[option.id] for option in question.options]
    for value in candidates:
        if not any(
            _matches(question, name, value)
            for name in ("raises_signal", "raises_concern", "opens_item", "is_problem")
        ):
            return value
    return candidates[0]


def birth_date_for(walker: Walker, questionnaire: Questionnaire, step: Any) -> str:
    """A birth date that fits the child's age on SESSION_DAY (a session whose age and birth
    date disagree is refused): the child turned that age a month before."""
    age_question = questionnaire.by_role("child_age")
    age = walker.get(Step(age_question, step.item)) if age_question is not None else None
    years = age if isinstance(age, int) else 4
    day = date.fromisoformat(SESSION_DAY)
    return (day - relativedelta(years=years, months=1)).isoformat()


def walk(
    questionnaire: Questionnaire,
    setting: str,
    overrides: dict[str, Any],
    main_answers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Answer every shown question: ``overrides`` by id or by ``role:<role>``, else harmless."""
    if main_answers is not None and getattr(questionnaire, "format", 1) == 2:
        walker = Walker(questionnaire, {"setting": setting}, {}, main_answers)
    else:
        walker = Walker(questionnaire, {"setting": setting}, {})
    for _ in range(500):
        step = walker.first_unanswered()
        if step is None:
            break
        question = step.question
        role_key = f"role:{question.role}"
        if question.id in overrides:
            value = overrides[question.id]
        elif question.role and role_key in overrides:
            value = overrides[role_key]
        elif question.type in ("yesno", "choice", "multi"):
            value = harmless(question)
        elif question.type == "number":
            value = question.minimum if question.minimum is not None else 1
        elif question.type == "date" and question.role == "child_birth_date":
            value = birth_date_for(walker, questionnaire, step)
        elif question.type == "date":
            value = "2027-03-01"
        else:
            value = "notitie"
        walker.answer(step, value)
    return walker.answers


def session(
    main_overrides: dict[str, Any],
    scan_overrides: dict[str, Any] | None = None,
    setting: str = "ggz",
    kind: str = "intake",
) -> Any:
    """A session of the newest questionnaires (what a new session gets)."""
    main_id = "kindcheck" if kind == "intake" else "vervolggesprek"
    main = load_shipped(main_id)
    scan = load_shipped("probleemscan")
    main_answers = walk(main, setting, main_overrides)
    visible = Walker(main, {"setting": setting}, main_answers).visible_answers()
    parts = [{"id": main_id, "version": main.version, "answers": main_answers}]
    closed = visible.get("has_minor_children") == "no" and visible.get("pregnancy") == "no"
    wants_scan = (kind == "intake" and not closed) or visible.get("repeat_scan") == "yes"
    if wants_scan or scan_overrides is not None:
        scan_answers = walk(scan, setting, scan_overrides or {}, visible)
        parts.append({"id": "probleemscan", "version": scan.version, "answers": scan_answers})
    return session_from_dict(
        {
            "format": "kindcheck-answers",
            "format_version": getattr(main, "format", 1),
            "kind": kind,
            "client": {"reference": "EPD-424242"},
            "setting": setting,
            "date": SESSION_DAY,
            "questionnaires": parts,
        }
    )


WITH_A_CHILD = {"role:has_children": "yes", "role:pregnancy": "no", "role:child_count": 1}
WITH_A_CHILD |= {"role:child_age": 6}


def problem_answers_of(domain: str) -> dict[str, Any]:
    """Every indicator of ``domain`` in the newest scan answered as a problem."""
    scan = load_shipped("probleemscan")
    answers: dict[str, Any] = {}
    for question in scan.questions:
        if question.domain == domain and question.problem_answers:
            answer = question.problem_answers[0]
            answers[question.id] = [answer] if question.type == "multi" else answer
    return answers


def signal_question(signal_id: str) -> Question:
    return next(q for q in load_shipped("kindcheck").questions if q.signal == signal_id)
