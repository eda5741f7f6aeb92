"""The rules of issue 12 that the version-1 code broke, as a sceptical clinician would test
them: through the public API, on a session of the NEWEST shipped questionnaires (what a new
session gets), using only names the version-1 code also had. Run against the version-1 code
(commit a2a93ae) each of these fails on the rule itself; the failures are in the report of
issue 12.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.sessions import (
    ACUTE_NL,
    NO_FOLLOWUP_NL,
    WITH_A_CHILD,
    problem_answers_of,
    session,
    signal_question,
)

from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json
from kindcheck.questionnaire import Walker, load_shipped

# -- never mediation with violence ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_mediation_is_advised_or_offered_with_a_violence_signal(lang: str) -> None:
    violence = signal_question("domestic_violence")
    outcome = compute_outcome(
        session(
            WITH_A_CHILD | {violence.id: violence.signal_answers[0]}, problem_answers_of("relaties")
        )
    )
    data = outcome_to_json(outcome, lang)
    assert "domestic_violence" in [s["id"] for s in data["safety_signals"]]
    assert "relaties" in data["problem_domains"]
    advice = data["advice"]["relaties"]
    texts = [advice] if isinstance(advice, str) else advice
    word, refusal = (
        ("bemiddeling", "Geen relatie- of scheidingsbemiddeling")
        if lang == "nl"
        else ("mediation", "No relationship or divorce mediation")
    )
    for text in texts:
        assert word not in text.lower() or refusal in text, text
    assert "Veilig Thuis" in texts[0]  # safety first
    assert "relationship_mediation" not in data.get("handoffs_offered", [])


# -- 112 and Veilig Thuis first with any signal ---------------------------------------------------


def _signal_ids() -> list[str]:
    kindcheck = load_shipped("kindcheck")
    catalog = getattr(kindcheck, "catalog", None)
    signals = catalog.signals if catalog is not None else kindcheck.signals
    return [signal.id for signal in signals]


@pytest.mark.parametrize("signal_id", _signal_ids())
def test_any_signal_puts_112_then_veilig_thuis_first(signal_id: str) -> None:
    question = signal_question(signal_id)
    answers = WITH_A_CHILD | {question.id: question.signal_answers[0]}
    if question.show_if is not None and "expecting" in (question.show_if_source or ""):
        answers |= {"role:has_children": "no", "role:pregnancy": "yes"}
    outcome = compute_outcome(session(answers))
    assert signal_id in [s.id for s in outcome.safety_signals]
    for lang, acute, vt in (
        ("nl", ACUTE_NL, "!! Veilig Thuis: 0800-2000"),
        ("en", "!! In acute danger: call 112.", "!! Veilig Thuis: 0800-2000"),
    ):
        lines = outcome_lines(outcome, lang)
        assert lines[0] == acute
        assert lines[1].startswith(vt)


# -- every relevant unknown leads somewhere -------------------------------------------------------


def test_unknown_children_is_never_no_follow_up_needed() -> None:
    outcome = compute_outcome(session({"role:has_children": "unknown", "role:pregnancy": "no"}, {}))
    lines = outcome_lines(outcome)
    assert NO_FOLLOWUP_NL not in lines
    reask = [item for item in outcome_to_json(outcome)["open_items"] if item["reask_on"]]
    assert [(r["question"], r["reask_on"]) for r in reask] == [("has_minor_children", "2026-11-16")]


# -- who is asked what -------------------------------------------------------------------------------


def _shown(answers: dict[str, Any]) -> list[str]:
    walker = Walker(load_shipped("kindcheck"), {"setting": "ggz"}, {})
    for key, value in answers.items():
        step = next(s for s in walker.steps() if s.question.id == key)
        walker.answer(step, value)
    return [step.key for step in walker.steps()]


def test_violence_a_weapon_suicidality_and_a_dependent_adult_are_asked_of_every_client() -> None:
    shown = _shown({"has_minor_children": "no", "pregnancy": "no"})
    for asked in ("sig_domestic_violence", "sig_weapon", "suicidality", "vulnerable_adult"):
        assert asked in shown


def test_a_pregnancy_alone_asks_about_the_baby_not_about_the_children() -> None:
    shown = _shown({"has_minor_children": "no", "pregnancy": "yes"})
    for children_question in ("children_notice", "explained_to_children", "care_enough"):
        assert children_question not in shown
    for prenatal in ("prenatal_care", "prenatal_substances", "prenatal_violence"):
        assert prenatal in shown


# -- one problem is not counted four times ------------------------------------------------------


def test_the_symptoms_of_one_depression_do_not_stack_into_the_flag() -> None:
    """In GGZ the reason for care is pre-marked; the symptoms of that same depression
    (self-care, pain and tiredness, loneliness, no daily activity) add no domain."""
    scan = load_shipped("probleemscan")
    symptoms = ("hh_self_care", "lich_pain_fatigue", "net_lonely", "werk_no_activity")
    overrides = {"psy_reason_for_care": "yes"}
    for question in scan.questions:
        if question.id in symptoms:
            overrides[question.id] = question.problem_answers[0]
    outcome = compute_outcome(session(WITH_A_CHILD, overrides))
    assert [d.id for d in outcome.problem_domains] == ["psychisch"]
    assert not outcome.parenting_support_flag
