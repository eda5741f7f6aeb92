"""What the client hears: a question read aloud names only the children and the baby there are.

A clinician reads the Kindcheck's questions aloud. "Of straks de baby" to a client who is not
expecting (perhaps after a miscarriage), "de kinderen" to a parent of one child, or a question
about "de kinderen" to a client who has none, tells the client that the tool was not listening.
These tests walk the whole version-2 Kindcheck as an intake does, for each family, and read every
question as the screen shows it (Question.text_for with the intake's wording).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kindcheck.questionnaire import Localized, Step
from kindcheck.service.intake import Intake

DAY = date(2026, 11, 2)


def _answer_for(step: Step, family: dict[str, Any]) -> Any:
    question = step.question
    if question.id in family:
        return family[question.id]
    if question.role == "child_age":
        return 6
    if question.type == "yesno":
        return "no"
    if question.type in ("choice", "multi"):
        first = question.options[0].id
        return first if question.type == "choice" else [first]
    if question.type == "number":
        return question.minimum if question.minimum is not None else 1
    if question.type == "date":
        return "2020-03-01" if question.id == "child_birth_date" else "2027-03-01"
    return "x"


def asked(family: dict[str, Any], lang: str) -> dict[str, str]:
    """Every question of the Kindcheck asked to this family, as shown, by question id."""
    intake = Intake("EPD-1", "ggz", DAY, version=2)
    walker = intake.main
    shown: dict[str, str] = {}
    step = walker.first_unanswered()
    while step is not None:
        shown[step.question.id] = step.question.text_for(lang, intake.children_in_wording())
        step = walker.answer(step, _answer_for(step, family))
    return shown


NO_CHILDREN = {"has_minor_children": "no"}
TWO_CHILDREN = {"has_minor_children": "yes", "child_count": 2}
ONE_CHILD = {"has_minor_children": "yes", "child_count": 1}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("family", [TWO_CHILDREN, ONE_CHILD], ids=["two", "one"])
def test_no_baby_is_named_to_a_client_who_is_not_expecting(family: dict[str, Any], lang: str):
    shown = asked({**family, "pregnancy": "no"}, lang)
    assert "network_fallback" in shown and "sig_severe_problems" in shown
    named = {qid: text for qid, text in shown.items() if "baby" in text.lower()}
    assert named == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_parent_of_one_child_is_asked_about_that_child(lang: str):
    shown = asked({**ONE_CHILD, "pregnancy": "no"}, lang)
    plural = "de kinderen" if lang == "nl" else "the children"
    assert "care_enough" in shown and "clinician_note" in shown
    assert {qid: text for qid, text in shown.items() if plural in text.lower()} == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("pregnancy", ["yes", "no"])
def test_a_client_without_children_is_not_asked_about_the_children(pregnancy: str, lang: str):
    shown = asked({**NO_CHILDREN, "pregnancy": pregnancy}, lang)
    assert "sig_other" in shown and "clinician_note" in shown
    plural = ("de kinderen", "het kind") if lang == "nl" else ("the children", "the child")
    about_children = {
        qid: text for qid, text in shown.items() if any(word in text.lower() for word in plural)
    }
    assert about_children == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_client_who_is_expecting_hears_of_the_baby(lang: str):
    expecting_only = asked({**NO_CHILDREN, "pregnancy": "yes"}, lang)
    both = asked({**TWO_CHILDREN, "pregnancy": "yes"}, lang)
    for shown in (expecting_only, both):
        assert "baby" in shown["network_fallback"].lower()
        assert "baby" in shown["sig_severe_problems"].lower()


def test_an_unconfirmed_pregnancy_is_not_named():
    """ "Don't know" (a possible pregnancy) gets an open item, not "of straks de baby"."""
    shown = asked({**TWO_CHILDREN, "pregnancy": "unknown"}, "nl")
    assert not any("baby" in text.lower() for text in shown.values())


def recorded(family: dict[str, Any]) -> dict[str, Localized]:
    """Every question of the Kindcheck as the record handed to the EPD shows it, by id."""
    from kindcheck.outcome import outcome_to_json
    from kindcheck.record import build_session_record

    intake = Intake("EPD-1", "ggz", DAY, version=2)
    walker = intake.main
    step = walker.first_unanswered()
    while step is not None:
        step = walker.answer(step, _answer_for(step, family))
    if intake.wants_scan():
        intake.follow_main()
        step = intake.scan.first_unanswered()
        while step is not None:
            step = intake.scan.answer(step, _answer_for(step, family))
    record = build_session_record(
        intake.session().to_dict(), outcome_to_json(intake.outcome(), "nl"), session_id="5e55101d"
    )
    return {line.question_id: line.question for line in record.parts[0].lines()}


@pytest.mark.parametrize(
    "family",
    [
        {**ONE_CHILD, "pregnancy": "no"},
        {**TWO_CHILDREN, "pregnancy": "no"},
        {**TWO_CHILDREN, "pregnancy": "unknown"},
        {**NO_CHILDREN, "pregnancy": "no"},
        {**NO_CHILDREN, "pregnancy": "yes"},
    ],
    ids=["one child", "two children", "pregnancy unknown", "no children", "baby only"],
)
def test_the_record_shows_each_question_as_it_was_asked(family: dict[str, Any]):
    """The EPD gets the questions as the client heard them, not the questionnaire's default
    wording: a record that says "of straks de baby" for a client who said she is not expecting,
    or "de kinderen" of one child, tells the next reader something that was never said."""
    in_record = recorded(family)
    assert in_record.keys() <= asked(family, "nl").keys()
    for lang in ("nl", "en"):
        heard = asked(family, lang)
        differs = {
            qid: text.get(lang) for qid, text in in_record.items() if text.get(lang) != heard[qid]
        }
        assert differs == {}


def heard_in_scan(family: dict[str, Any], lang: str) -> dict[str, str]:
    """Every question of the problem scan as the scan pages show it to this family, by id."""
    intake = Intake("EPD-1", "ggz", DAY, version=2)
    step = intake.main.first_unanswered()
    while step is not None:
        step = intake.main.answer(step, _answer_for(step, family))
    assert intake.wants_scan()
    wording = intake.children_in_wording()
    return {
        step.question.id: step.question.text_for(lang, wording)
        for page in intake.scan_pages()
        for step in page.steps
    }


PLURAL = {
    "nl": ("de kinderen", "een van de kinderen"),
    "en": ("the children", "one of the children"),
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("pregnancy", ["yes", "no"])
def test_the_scan_asks_a_parent_of_one_child_about_that_child(pregnancy: str, lang: str):
    heard = heard_in_scan({**ONE_CHILD, "pregnancy": pregnancy}, lang)
    assert "opv_development" in heard and "psy_partner_or_child" in heard
    plural = {
        qid: text for qid, text in heard.items() if any(p in text.lower() for p in PLURAL[lang])
    }
    assert plural == {}
    if pregnancy == "no":
        assert {qid: text for qid, text in heard.items() if "baby" in text.lower()} == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_scan_asks_an_expecting_client_without_children_of_her_household(lang: str):
    """A first pregnancy: the family questions speak of the partner and the household (and the
    baby where it fits), not of children the client does not have. The two questions about
    children's development and youth care are asked as written: they stay in the scan's count,
    and a clinical reviewer decides their wording (docs/CLINICAL.md, "Whom a question names")."""
    heard = heard_in_scan({**NO_CHILDREN, "pregnancy": "yes"}, lang)
    family = ("won_living_in", "psy_partner_or_child", "lich_family_illness", "rel_divorce")
    word = "kind" if lang == "nl" else "child"
    assert {qid: heard[qid] for qid in family if word in heard[qid].lower()} == {}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_parent_of_one_child_who_is_expecting_hears_of_that_child_and_the_baby(lang: str):
    shown = asked({**ONE_CHILD, "pregnancy": "yes"}, lang)
    assert "care_enough" in shown and "network_fallback" in shown
    assert {qid: text for qid, text in shown.items() if PLURAL[lang][0] in text.lower()} == {}
