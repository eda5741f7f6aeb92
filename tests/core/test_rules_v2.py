"""The clinical rules of version 2 (issue 12) that have no version-1 counterpart, each pinned
by a test: concerns and open items over generated answers, same_as, signals with requires,
the Meldcode process, the professional group, hand-offs, and version-1 sessions read as they
were recorded. (The rules version 1 broke are in test_rules_adversarial.py.)
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.sessions import (
    ACUTE_NL,
    NO_FOLLOWUP_NL,
    SESSION_DAY,
    WITH_A_CHILD,
    birth_date_for,
    harmless,
    problem_answers_of,
    session,
    signal_question,
    walk,
)

from kindcheck.answers import session_from_dict
from kindcheck.errors import AnswersError
from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json
from kindcheck.questionnaire import Question, Questionnaire, Walker, load_shipped

# -- 1. never mediation with violence ------------------------------------------------------------


def test_without_violence_the_relation_advice_does_offer_mediation() -> None:
    """The filter is a condition, not a deletion: without violence mediation is advised."""
    outcome = compute_outcome(session(WITH_A_CHILD, problem_answers_of("relaties")))
    data = outcome_to_json(outcome)
    assert data["advice_ids"]["relaties"] == ["mediation", "children_in_separation"]
    assert "relationship_mediation" in data["handoffs_offered"]


# -- 2. 112 and Veilig Thuis first with any signal ------------------------------------------------


def test_an_acute_concern_without_a_signal_also_puts_112_first() -> None:
    """A suicide plan without children is no Meldcode signal, but 112 still comes first."""
    outcome = compute_outcome(
        session({"has_minor_children": "no", "pregnancy": "no", "suicidality": "plan_or_attempt"})
    )
    assert not outcome.safety_signals and outcome.meldcode is None
    assert [c.id for c in outcome.concerns] == ["suicide_risk_adult"]
    lines = outcome_lines(outcome)
    assert lines[0] == ACUTE_NL and not lines[1].startswith("!!")


# -- 3. every worry leads somewhere ----------------------------------------------------------------


def _value_strategy(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "yesno":
        return st.sampled_from(["yes", "no", "unknown"])
    if question.type == "choice":
        return st.sampled_from([o.id for o in question.options])
    if question.type == "multi":
        exclusive = [[o.id] for o in question.options if o.exclusive]
        others = [o.id for o in question.options if not o.exclusive]
        subsets = st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True)
        return st.one_of(subsets, st.sampled_from(exclusive)) if exclusive else subsets
    if question.type == "number":
        low = question.minimum if question.minimum is not None else 0
        return st.integers(low, min(low + 2, question.maximum or low + 2))
    if question.type == "date":
        return st.just("2027-03-01")
    return st.just("notitie")


def _drawn_walk(
    data: st.DataObject, questionnaire: Questionnaire, setting: str, main: dict[str, Any] | None
) -> dict[str, Any]:
    walker = Walker(questionnaire, {"setting": setting}, {}, main)
    for _ in range(500):
        step = walker.first_unanswered()
        if step is None:
            break
        if step.question.role == "child_birth_date":  # one that fits the age drawn
            walker.answer(step, birth_date_for(walker, questionnaire, step))
            continue
        walker.answer(step, data.draw(_value_strategy(step.question), label=step.key))
    return walker.answers


@settings(max_examples=60, deadline=None)
@given(
    st.data(), st.sampled_from(["ggz", "sociaal_domein"]), st.sampled_from(["intake", "followup"])
)
def test_every_concern_and_every_relevant_unknown_appears_with_a_next_step(
    data: st.DataObject, setting: str, kind: str
) -> None:
    main_id = "kindcheck" if kind == "intake" else "vervolggesprek"
    main = load_shipped(main_id, 2)
    scan = load_shipped("probleemscan", 2)
    answers = _drawn_walk(data, main, setting, None)
    walker = Walker(main, {"setting": setting}, answers)
    visible = walker.visible_answers()
    parts = [{"id": main_id, "version": 2, "answers": answers}]
    closed = visible.get("has_minor_children") == "no" and visible.get("pregnancy") == "no"
    if (kind == "intake" and not closed) or visible.get("repeat_scan") == "yes":
        parts.append(
            {
                "id": "probleemscan",
                "version": 2,
                "answers": _drawn_walk(data, scan, setting, visible),
            }
        )
    outcome = compute_outcome(
        session_from_dict(
            {
                "format": "kindcheck-answers",
                "format_version": 2,
                "kind": kind,
                "client": {"reference": "EPD-1"},
                "setting": setting,
                "date": SESSION_DAY,
                "questionnaires": parts,
            }
        )
    )
    catalog = main.catalog
    assert catalog is not None
    raised = {concern.id: concern for concern in outcome.concerns}
    open_keys = {(item.question_id, item.item) for item in outcome.open_items}
    for step in walker.steps():
        value = walker.get(step)
        question = step.question
        if question.opens_item(value):
            assert (question.id, step.item) in open_keys, step.key
        if (
            question.raises_concern(value)
            and catalog.concern(question.concern or "").requires is None
        ):
            assert question.concern in raised, step.key
    for concern in outcome.concerns:
        assert concern.steps and all(s.nl and s.en for s in concern.steps), concern.id
    for item in outcome.open_items:
        assert item.text.nl and item.text.en
        assert (item.reask_on is not None) == (main.question(item.question_id).reask is not None)
    for lang in ("nl", "en"):
        lines = outcome_lines(outcome, lang)
        for concern in outcome.concerns:
            assert any(concern.steps[0].get(lang) in line for line in lines)
        if outcome.open_items:
            assert not any(
                "No follow-up conversation" in line or NO_FOLLOWUP_NL in line for line in lines
            )


# -- 7. one answer for two questionnaires -----------------------------------------------------------


def test_the_network_counts_from_the_kindcheck_without_asking_twice() -> None:
    scan = load_shipped("probleemscan", 2)
    walker = Walker(scan, {"setting": "ggz"}, {}, {"network_fallback": "no"})
    assert "net_fallback" not in [step.key for step in walker.steps()]
    assert walker.visible_answers()["net_fallback"] == "no"
    outcome = compute_outcome(session(WITH_A_CHILD | {"network_fallback": "no"}, {}))
    assert "netwerk" in [d.id for d in outcome.problem_domains]


def test_a_scan_answer_that_contradicts_the_kindcheck_is_refused() -> None:
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "examples" / "v2-worries-no-signal.json").read_text()
    )
    data["questionnaires"][1]["answers"]["net_fallback"] = "yes"
    with pytest.raises(AnswersError) as raised:
        session_from_dict(data, "a.json")
    assert raised.value.problems == [
        "a.json: questionnaires[1].answers.net_fallback: differs from the answer to "
        "network_fallback in kindcheck-v2"
    ]
    del data["questionnaires"][1]["answers"]["net_fallback"]
    filled = session_from_dict(data, "a.json")
    assert filled.parts["probleemscan"].answers["net_fallback"] == "no"


# -- 8. signals stay independent of other answers ----------------------------------------------------


def _other_answers() -> st.SearchStrategy[dict[str, Any]]:
    kindcheck = load_shipped("kindcheck", 2)
    others = {
        q.id: _value_strategy(q)
        for q in kindcheck.questions
        if q.repeat is None
        and q.signal is None
        and q.type in ("yesno", "choice")
        and q.role not in ("has_children", "pregnancy")
    }
    return st.fixed_dictionaries(others)


SIGNAL_QUESTIONS_V2 = [q for q in load_shipped("kindcheck", 2).questions if q.signal]


@settings(max_examples=80, deadline=None)
@given(_other_answers(), st.sampled_from(SIGNAL_QUESTIONS_V2), st.data())
def test_with_children_no_combination_of_other_answers_hides_a_signal(
    others: dict[str, Any], signal_q: Question, data: st.DataObject
) -> None:
    answers: dict[str, Any] = {q.id: harmless(q) for q in SIGNAL_QUESTIONS_V2} | others
    answers |= {"has_minor_children": "yes", "pregnancy": data.draw(st.sampled_from(["yes", "no"]))}
    answers[signal_q.id] = data.draw(st.sampled_from(signal_q.signal_answers))
    answers |= {
        "child_count": 1,
        "children": [
            {
                "child_age": 5,
                "child_relation": "own",
                "child_living": "always",
                "child_shared_care": ["partner"],
            }
        ],
    }
    walker = Walker(load_shipped("kindcheck", 2), {"setting": "ggz"}, answers)
    for step in walker.missing():  # fill what the drawn answers made required
        walker.answer(
            step, harmless(step.question) if step.question.type != "date" else "2027-03-01"
        )
    scan = walk(load_shipped("probleemscan", 2), "ggz", {}, walker.visible_answers())
    outcome = compute_outcome(
        session_from_dict(
            {
                "format": "kindcheck-answers",
                "format_version": 2,
                "kind": "intake",
                "client": {"reference": "EPD-1"},
                "setting": "ggz",
                "date": SESSION_DAY,
                "questionnaires": [
                    {"id": "kindcheck", "version": 2, "answers": walker.answers},
                    {"id": "probleemscan", "version": 2, "answers": scan},
                ],
            }
        )
    )
    assert signal_q.signal in {s.id for s in outcome.safety_signals}
    assert outcome_lines(outcome)[0] == ACUTE_NL
    assert outcome.followup_rhythm is not None and outcome.followup_rhythm.value == "safety"


# -- 11 and 13. the Meldcode process and the professional group ------------------------------------


def test_while_a_meldcode_process_is_open_a_quiet_follow_up_keeps_the_two_week_rhythm() -> None:
    quiet = session({"role:child_count": 1, "role:child_age": 6}, kind="followup")
    assert compute_outcome(quiet).followup_rhythm is not None
    assert compute_outcome(quiet).followup_rhythm.value == "children"
    held = compute_outcome(quiet, meldcode_open=True)
    assert held.followup_rhythm is not None and held.followup_rhythm.value == "safety"
    # and an open process keeps mediation away even without a new signal
    with_relations = compute_outcome(
        session(
            {"role:child_count": 1, "repeat_scan": "yes"},
            problem_answers_of("relaties"),
            kind="followup",
        ),
        meldcode_open=True,
    )
    assert outcome_to_json(with_relations)["advice_ids"]["relaties"] == ["violence_first"]


def test_the_afwegingskader_of_the_professional_group_or_the_prompt_to_set_it() -> None:
    violence = signal_question("domestic_violence")
    signalled = session({"role:has_children": "no", "role:pregnancy": "no", violence.id: "yes"})
    with_group = outcome_lines(compute_outcome(signalled, group="arts"))
    assert any("KNMG-meldcode" in line for line in with_group)
    without = outcome_lines(compute_outcome(signalled))
    assert any("Vul uw beroepsgroep in" in line for line in without)


# -- 12. hand-offs ---------------------------------------------------------------------------------


def test_a_recorded_hand_off_is_asked_about_next_time_and_not_started_is_a_concern() -> None:
    asked = session(
        {"role:child_count": 1, "handoff_started": "none"}, kind="followup"
    )  # without open hand-offs the question is not shown
    assert (
        "handoff_started"
        not in Walker(
            load_shipped("vervolggesprek"), {"setting": "ggz"}, asked.main_part.answers
        ).visible_answers()
    )
    main = load_shipped("vervolggesprek", 2)
    answers = walk(main, "ggz", {"role:child_count": 1, "handoff_started": "none"})
    walker = Walker(main, {"setting": "ggz", "open_handoffs": 1}, answers)
    for step in walker.missing():
        walker.answer(
            step, "none" if step.question.id == "handoff_started" else harmless(step.question)
        )
    assert "handoff_started" in [s.key for s in walker.steps()]
    followup = session_from_dict(
        {
            "format": "kindcheck-answers",
            "format_version": 2,
            "kind": "followup",
            "client": {"reference": "EPD-1"},
            "setting": "ggz",
            "date": SESSION_DAY,
            "questionnaires": [{"id": "vervolggesprek", "version": 2, "answers": walker.answers}],
        }
    )
    outcome = compute_outcome(followup, open_handoffs=1)
    assert "handoff_not_started" in [c.id for c in outcome.concerns]


def test_a_hand_off_needs_consent_before_contact_and_never_echoes_the_organisation() -> None:
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "examples" / "v2-flag-handoff.json").read_text()
    )
    data["handoffs"][0] |= {
        "consent_given": False,
        "organisation": "Mevrouw Jansen, Dorpsstraat 1" * 10,
        "option": "mediation_now",
    }
    with pytest.raises(AnswersError) as raised:
        session_from_dict(data, "a.json")
    problems = raised.value.problems
    assert any(
        p.startswith("a.json: handoffs[0].option: expected a hand-off of uitkomst-v2")
        for p in problems
    )
    assert (
        'a.json: handoffs[0].contact: without consent given the contact can only be "not_yet"'
        in problems
    )
    assert "a.json: handoffs[0].organisation: expected a text of at most 200 characters" in problems
    assert not any("Jansen" in p for p in problems)


# -- v1 sessions read as recorded -------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDED = json.loads((DATA / "v1-outcomes-as-recorded.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(RECORDED))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_version_1_session_computes_the_outcome_it_was_recorded_with(
    name: str, lang: str
) -> None:
    """Outcome JSON and lines as the version-1 code produced them (tests/data, recorded with
    that code). The only change: unknown children get a date to ask again, and no longer
    'no follow-up needed'."""
    folder = DATA if name.startswith("v1-") else Path(__file__).resolve().parents[2] / "examples"
    from kindcheck.answers import read_answers_file

    outcome = compute_outcome(read_answers_file(folder / name))
    recorded = RECORDED[name][lang]
    data = outcome_to_json(outcome, lang)
    assert {key: data[key] for key in recorded["json"]} == recorded["json"]
    lines = outcome_lines(outcome, lang)
    if outcome.has_children != "unknown":
        assert lines == recorded["lines"]
        return
    changed = [(old, new) for old, new in zip(recorded["lines"], lines, strict=True) if old != new]
    day = "2026-11-16"
    assert changed == (
        [
            (
                "Nog niet bekend of er minderjarige kinderen zijn: vraag dit opnieuw na.",
                f"Nog niet bekend of er minderjarige kinderen zijn: opnieuw vragen vóór {day}.",
            ),
            (NO_FOLLOWUP_NL, "Nog geen vervolgplan: zoek eerst de open punten hierboven uit."),
        ]
        if lang == "nl"
        else [
            (
                "Not yet known whether there are minor children: ask again.",
                f"Not yet known whether there are minor children: ask again by {day}.",
            ),
            (
                "No follow-up conversation about children needed.",
                "No follow-up plan yet: first find out the open items above.",
            ),
        ]
    )
    assert date.fromisoformat(data["open_items"][0]["reask_on"]).isoformat() == day


# -- the variants of the examples that design the rules (docs/CLINICAL.md) -----------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name: str, **main: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    data["questionnaires"][0]["answers"].update(main)
    return data


def test_worries_plus_violence_put_safety_first_and_take_mediation_away() -> None:
    data = _example("v2-worries-no-signal.json", sig_domestic_violence="yes")
    data["questionnaires"][1]["answers"]["rel_conflict"] = "yes"
    outcome = compute_outcome(session_from_dict(data))
    json_data = outcome_to_json(outcome)
    assert [s.id for s in outcome.safety_signals] == ["domestic_violence"]
    assert outcome_lines(outcome)[:2] == [f"!! {text}" for text in json_data["acute"]]
    assert json_data["advice_ids"]["relaties"] == ["violence_first"]
    assert "relationship_mediation" not in json_data["handoffs_offered"]
    assert json_data["followup_rhythm"] == "safety"


def test_a_suicide_plan_with_children_is_a_signal_and_without_them_an_acute_concern() -> None:
    with_children = compute_outcome(
        session_from_dict(_example("v2-suicidal-thoughts.json", suicidality="plan_or_attempt"))
    )
    assert [s.id for s in with_children.safety_signals] == ["suicide_risk"]
    assert outcome_lines(with_children)[0] == ACUTE_NL
    assert with_children.followup_rhythm is not None
    assert with_children.followup_rhythm.value == "safety"
    alone = compute_outcome(
        session_from_dict(
            _example(
                "v2-violence-no-children.json",
                sig_domestic_violence="no",
                suicidality="plan_or_attempt",
                sig_weapon="yes",
            )
        )
    )
    assert not alone.safety_signals and alone.meldcode is None
    assert [c.id for c in alone.concerns] == ["suicide_risk_adult", "weapon_access"]
    lines = outcome_lines(alone)
    assert lines[0] == ACUTE_NL and "Veilig Thuis" not in lines[1]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_outcome_line_of_every_example_is_a_finished_text(lang: str) -> None:
    """No message key or unfilled {field} reaches a clinician, in either language."""
    from kindcheck.answers import read_answers_file

    names = sorted(p.name for p in EXAMPLES.glob("*.json") if p.name != "expected.json")
    for name in names:
        if "event" in name and "followup" not in name:
            continue
        outcome = compute_outcome(read_answers_file(EXAMPLES / name), group="psycholoog")
        for line in outcome_lines(outcome, lang):
            assert not line.strip().startswith(("outcome.", "rhythm.")), (name, line)
            assert "{" not in line and "}" not in line, (name, line)
