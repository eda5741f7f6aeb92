"""Outcome rules, with property tests for the count, the flag and the safety signals."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindcheck.answers import parse_answers, session_from_dict
from kindcheck.errors import AnswersError
from kindcheck.followup import Rhythm
from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json
from kindcheck.questionnaire import load_shipped, parse_questionnaire

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KINDCHECK = load_shipped("kindcheck", 1)
SCAN = load_shipped("probleemscan", 1)
SIGNAL_QUESTIONS = [q for q in KINDCHECK.questions if q.signal]


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def with_scan(data: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for part in data["questionnaires"]:
        if part["id"] == "probleemscan":
            part["answers"] = answers
    return data


def all_no() -> dict[str, str]:
    return {q.id: "no" for q in SCAN.questions}


def test_no_children_closes_the_check_and_plans_nothing() -> None:
    outcome = compute_outcome(session_from_dict(example("no-children.json")))
    assert outcome.check_closed
    assert outcome.followup_rhythm is None
    assert not outcome.children and not outcome.safety_signals
    assert "Kindcheck afgerond" in "\n".join(outcome_lines(outcome))


def test_unknown_children_does_not_close_the_check() -> None:
    data = example("no-children.json")
    data["questionnaires"][0]["answers"]["has_minor_children"] = "unknown"
    with pytest.raises(AnswersError, match="needs the 'probleemscan' answers"):
        session_from_dict(data)


def test_each_domain_counts_once_with_the_answers_that_made_it_count() -> None:
    answers = all_no() | {"fin_arrears": "yes", "fin_debts": "yes", "won_unstable": "yes"}
    outcome = compute_outcome(session_from_dict(with_scan(example("two-domains.json"), answers)))
    assert [d.id for d in outcome.problem_domains] == ["financien", "wonen"]
    assert [r.question_id for r in outcome.problem_domains[0].reasons] == [
        "fin_arrears",
        "fin_debts",
    ]
    assert not outcome.parenting_support_flag
    assert outcome.followup_rhythm is Rhythm.CHILDREN


def test_three_domains_raise_the_flag_and_the_six_week_rhythm() -> None:
    answers = all_no() | {"fin_arrears": "yes", "won_unstable": "yes", "net_lonely": "yes"}
    outcome = compute_outcome(session_from_dict(with_scan(example("two-domains.json"), answers)))
    assert outcome.problem_domain_count == 3
    assert outcome.parenting_support_flag
    assert outcome.followup_rhythm is Rhythm.STACKING
    text = "\n".join(outcome_lines(outcome, "en"))
    assert "HELP WITH PARENTING" in text


def test_safety_signal_puts_the_meldcode_first_and_the_two_week_rhythm() -> None:
    outcome = compute_outcome(session_from_dict(example("safety-signal.json")))
    assert [s.id for s in outcome.safety_signals] == ["domestic_violence", "other_concern"]
    assert outcome.meldcode is not None and len(outcome.meldcode.steps) == 5
    assert outcome.followup_rhythm is Rhythm.SAFETY
    lines = outcome_lines(outcome)
    assert lines[0].startswith("!! Signalen van onveiligheid")
    assert any("0800-2000" in line for line in lines[:5])


def test_dont_know_about_a_weapon_is_a_signal() -> None:
    data = example("children-no-problems.json")
    data["questionnaires"][0]["answers"]["sig_weapon"] = "unknown"
    outcome = compute_outcome(session_from_dict(data))
    assert [s.id for s in outcome.safety_signals] == ["weapon"]


def test_threshold_comes_from_the_questionnaire_file() -> None:
    source = (ROOT / "questionnaires" / "probleemscan-v1.toml").read_text("utf-8")
    changed = parse_questionnaire(
        source.replace("stacking_threshold = 3", "stacking_threshold = 2")
    )
    assert changed.stacking_threshold == 2


def test_json_outcome_carries_the_contract_fields() -> None:
    outcome = compute_outcome(session_from_dict(example("three-or-more-domains.json")))
    data = outcome_to_json(outcome, "en")
    assert data["problem_domains"] == ["financien", "administratie", "psychisch", "netwerk"]
    assert data["problem_domain_count"] == 4
    assert data["parenting_support_flag"] is True
    assert data["safety_signals"] == []
    assert [c["age"] for c in data["children"]] == [2, 9, 15]
    assert data["children"][0]["birth_date"] == "2024-05-17"


def test_followup_session_outcome() -> None:
    outcome = compute_outcome(session_from_dict(example("followup.json")))
    assert outcome.kind == "followup"
    assert [d.id for d in outcome.problem_domains] == ["financien", "psychisch"]
    assert len(outcome.children) == 1 and not outcome.check_closed


# -- properties ---------------------------------------------------------------------------------

scan_answers = st.fixed_dictionaries(
    {q.id: st.sampled_from(["yes", "no", "unknown"]) for q in SCAN.questions}
)


@given(scan_answers)
def test_count_equals_domains_with_a_problem_answer(answers: dict[str, str]) -> None:
    outcome = compute_outcome(session_from_dict(with_scan(example("two-domains.json"), answers)))
    expected = {q.domain for q in SCAN.questions if answers[q.id] in q.problem_answers}
    assert {d.id for d in outcome.problem_domains} == expected
    assert outcome.problem_domain_count == len(expected)


@given(scan_answers, st.integers(min_value=1, max_value=11))
def test_flag_is_raised_exactly_at_or_above_the_threshold(
    answers: dict[str, str], threshold: int
) -> None:
    source = (ROOT / "questionnaires" / "probleemscan-v1.toml").read_text("utf-8")
    scan = parse_questionnaire(
        source.replace("stacking_threshold = 3", f"stacking_threshold = {threshold}")
    )
    from kindcheck.answers import Part
    from kindcheck.outcome import Outcome

    session = session_from_dict(with_scan(example("two-domains.json"), answers))
    parts = dict(session.parts)
    parts["probleemscan"] = Part(scan, parts["probleemscan"].answers)
    outcome: Outcome = compute_outcome(
        type(session)(
            session.kind, session.client_reference, session.setting, session.session_date, parts
        )
    )
    assert outcome.parenting_support_flag == (outcome.problem_domain_count >= threshold)


def kindcheck_answers() -> st.SearchStrategy[dict[str, Any]]:
    yesno = st.sampled_from(["yes", "no", "unknown"])
    others: dict[str, st.SearchStrategy[Any]] = {
        q.id: yesno
        for q in KINDCHECK.questions
        if q.type == "yesno" and not q.signal and q.repeat is None
    }
    others |= {
        q.id: st.sampled_from([o.id for o in q.options])
        for q in KINDCHECK.questions
        if q.type == "choice" and q.repeat is None
    }
    return st.fixed_dictionaries(others)


@given(kindcheck_answers(), scan_answers, st.sampled_from(SIGNAL_QUESTIONS), st.data())
def test_no_combination_of_other_answers_hides_a_safety_signal(
    others: dict[str, Any], scan: dict[str, str], signal_question: Any, data: st.DataObject
) -> None:
    answers: dict[str, Any] = {q.id: "no" for q in SIGNAL_QUESTIONS} | others
    answers[signal_question.id] = data.draw(st.sampled_from(signal_question.signal_answers))
    if answers.get("has_minor_children") == "yes":
        answers["child_count"] = 1
        answers["children"] = [
            {
                "child_age": 5,
                "child_relation": "own",
                "child_living": "always",
                "child_shared_care": "no",
            }
        ]
    payload = {
        "format": "kindcheck-answers",
        "format_version": 1,
        "kind": "intake",
        "client": {"reference": "EPD-1"},
        "setting": "ggz",
        "date": "2026-11-02",
        "questionnaires": [
            {"id": "kindcheck", "version": 1, "answers": answers},
            {"id": "probleemscan", "version": 1, "answers": scan},
        ],
    }
    outcome = compute_outcome(parse_answers(json.dumps(payload)))
    assert signal_question.signal in {s.id for s in outcome.safety_signals}
    assert outcome.meldcode is not None
    assert outcome.followup_rhythm is Rhythm.SAFETY
    assert outcome_lines(outcome)[0].startswith("!!")
