"""HL7 FHIR R4: the Questionnaire made from the TOML and the Bundle of every example."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from support.records import example_answers, record_of, session_examples, stored

from kindcheck.questionnaire import Questionnaire, Walker, load_shipped
from kindcheck.record import NewAnswer, correct, questionnaire_to_fhir, render_fhir
from kindcheck.record.fhir_models import parse_bundle
from kindcheck.record.fhir_questionnaire import (
    SHOW_IF_URL,
    TRANSLATION_URL,
    UNMAPPED_URL,
    canonical,
)

SHIPPED = [
    (qid, version) for qid in ("kindcheck", "probleemscan", "vervolggesprek") for version in (1, 2)
]


def without_primitive_extensions(value: Any) -> Any:
    """fhirclient's models do not keep ``_text``-style extensions; everything else must match."""
    if isinstance(value, dict):
        return {
            k: without_primitive_extensions(v) for k, v in value.items() if not k.startswith("_")
        }
    if isinstance(value, list):
        return [without_primitive_extensions(v) for v in value]
    return value


def _items(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        found[item["linkId"]] = item
        found |= _items(item.get("item", []))
    return found


@pytest.mark.parametrize("path", session_examples(), ids=lambda p: p.name)
def test_the_bundle_of_every_example_validates_and_round_trips(path: Path) -> None:
    bundle = render_fhir(record_of(example_answers(path.name)))
    text = json.dumps(bundle)
    assert parse_bundle(json.loads(text)) == bundle  # fhir.resources: parse, re-serialise
    r4 = R4Bundle(jsondict=json.loads(text), strict=True)  # the R4 (4.0.1) models, strictly
    assert r4.as_json() == without_primitive_extensions(bundle)
    assert bundle["type"] == "collection"

    resources = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    kinds = [resource["resourceType"] for resource in resources.values()]
    assert kinds[0] == "Patient" and kinds[-1] == "Observation"
    questionnaires = {
        f"{r['url']}|{r['version']}": r
        for r in resources.values()
        if r["resourceType"] == "Questionnaire"
    }
    responses = [r for r in resources.values() if r["resourceType"] == "QuestionnaireResponse"]
    assert (
        len(responses) == len(questionnaires) == len(example_answers(path.name)["questionnaires"])
    )
    for response in responses:
        assert response["status"] == "completed"
        assert resources[response["subject"]["reference"]]["resourceType"] == "Patient"
        items = _items(questionnaires[response["questionnaire"]]["item"])
        for answered in _items(response["item"]).values():
            defined = items[answered["linkId"]]
            options = [o["valueCoding"]["code"] for o in defined.get("answerOption", [])]
            for answer in answered.get("answer", []):
                if "valueCoding" in answer:
                    assert answer["valueCoding"]["code"] in options
    observation = list(resources.values())[-1]
    assert {ref["reference"] for ref in observation["derivedFrom"]} == {
        url for url, r in resources.items() if r["resourceType"] == "QuestionnaireResponse"
    }
    patient = next(iter(resources.values()))
    assert patient["identifier"][0]["value"] == example_answers(path.name)["client"]["reference"]
    assert "name" not in patient and "birthDate" not in patient


def test_the_outcome_observation_carries_signals_domains_and_the_flag() -> None:
    bundle = render_fhir(record_of(example_answers("three-or-more-domains.json")))
    observation = bundle["entry"][-1]["resource"]
    parts = {c["code"]["coding"][0]["code"]: c for c in observation["component"]}
    assert parts["parenting-support-flag"]["valueBoolean"] is True
    assert parts["problem-domain-count"]["valueInteger"] == 4
    assert parts["followup-rhythm"]["valueCodeableConcept"]["coding"][0]["code"] == "stacking"
    signals = render_fhir(record_of(example_answers("safety-signal.json")))["entry"][-1]["resource"]
    codes = [
        c["valueCodeableConcept"]["coding"][0]["code"]
        for c in signals["component"]
        if c["code"]["coding"][0]["code"] == "safety-signal"
    ]
    assert codes == ["domestic_violence", "other_concern"]


def test_a_corrected_session_is_amended_in_fhir() -> None:
    answers, _ = stored(example_answers("two-domains.json"))
    amendment = correct(
        answers,
        [NewAnswer("probleemscan", "adm_letters", "yes")],
        session_id="s",
        reason="r",
        by="me",
    )
    bundle = render_fhir(record_of(example_answers("two-domains.json"), amendments=[amendment]))
    statuses = {e["resource"]["resourceType"]: e["resource"].get("status") for e in bundle["entry"]}
    assert statuses["QuestionnaireResponse"] == "amended" and statuses["Observation"] == "amended"


def test_the_r4_check_can_fail() -> None:
    bundle = render_fhir(record_of(example_answers("two-domains.json")))
    del bundle["entry"][-1]["resource"]["status"]  # required in R4
    with pytest.raises(FHIRValidationError):
        R4Bundle(jsondict=bundle, strict=True)


@pytest.mark.parametrize(("qid", "version"), SHIPPED)
def test_every_questionnaire_version_becomes_a_valid_fhir_questionnaire(
    qid: str, version: int
) -> None:
    questionnaire = load_shipped(qid, version)
    resource = questionnaire_to_fhir(questionnaire)
    assert f"{resource['url']}|{resource['version']}" == canonical(questionnaire)
    assert resource["language"] == "nl"
    items = _items(resource["item"])
    for question in questionnaire.questions:
        item = items[question.id]
        assert item["text"] == question.text.nl
        translation = item["_text"]["extension"][0]
        assert translation["url"] == TRANSLATION_URL
        assert {"url": "content", "valueString": question.text.en} in translation["extension"]
        if question.type == "choice":
            assert [o["valueCoding"]["code"] for o in item["answerOption"]] == [
                o.id for o in question.options
            ]
        if question.show_if is not None:
            extensions = {e["url"]: e.get("valueString") for e in item["extension"]}
            assert extensions[SHOW_IF_URL] == question.show_if_source
            assert ("enableWhen" in item) != (UNMAPPED_URL in extensions)
    expected_unmapped = {
        ("kindcheck", 2): {"network_barriers"},
        ("vervolggesprek", 2): {"network_barriers", "handoff_started"},
    }.get((qid, version), set())
    unmapped = {
        link
        for link, item in items.items()
        if any(e["url"] == UNMAPPED_URL for e in item.get("extension", []))
    }
    assert unmapped == expected_unmapped


# ---------------------------------------------------------------------------------------------
# enableWhen says what show_if says: both evaluated over many answer sets


def _possible(question: Any) -> list[Any]:
    if question.type == "yesno":
        return ["yes", "no", "unknown"]
    if question.type == "choice":
        return [o.id for o in question.options]
    if question.type == "multi":
        ids = [o.id for o in question.options]
        return [[], *([i] for i in ids), ids[:2]]
    if question.type == "number":
        return [0, 1, 2, 3]
    if question.type == "date":
        return ["2026-01-01"]
    return ["", "tekst"]


def _fhir_values(item_answer: Any) -> list[Any]:
    if item_answer is None:
        return []
    return list(item_answer) if isinstance(item_answer, list) else [item_answer]


def _condition(when: dict[str, Any], values: list[Any]) -> bool:
    operator = when["operator"]
    if operator == "exists":
        return bool(values) == when["answerBoolean"]
    target = next(v for k, v in when.items() if k.startswith("answer"))
    target = target["code"] if isinstance(target, dict) else target
    if operator == "=":
        return any(v == target for v in values)
    if operator == "!=":
        return not any(v == target for v in values)
    compare = {
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
    }
    return any(compare[operator](v, target) for v in values)


def _fhir_enabled(
    questionnaire: Questionnaire,
    items: dict[str, dict[str, Any]],
    answers: dict[str, Any],
    oracle: set[str],
) -> set[str]:
    """The items enabled by FHIR's rules (a disabled item counts as unanswered); an item whose
    condition does not map takes the Kindcheck answer (``oracle``)."""
    enabled: set[str] = set()
    for question in questionnaire.questions:
        if question.repeat is not None:
            continue
        item = items[question.id]
        if "enableWhen" not in item:
            shown = question.show_if is None or question.id in oracle
        else:
            results = [
                _condition(
                    when,
                    _fhir_values(
                        answers.get(when["question"]) if when["question"] in enabled else None
                    ),
                )
                for when in item["enableWhen"]
            ]
            shown = any(results) if item.get("enableBehavior") == "any" else all(results)
        if shown:
            enabled.add(question.id)
    return enabled


@pytest.mark.parametrize(
    ("qid", "version"), [("kindcheck", 1), ("kindcheck", 2), ("vervolggesprek", 2)]
)
def test_enable_when_shows_exactly_the_questions_show_if_shows(qid: str, version: int) -> None:
    questionnaire = load_shipped(qid, version)
    top = [q for q in questionnaire.questions if q.repeat is None]
    items = _items(questionnaire_to_fhir(questionnaire)["item"])
    rng = random.Random(f"{qid}-{version}")
    for _ in range(400):
        answers = {q.id: rng.choice([None, *_possible(q)]) for q in top}
        answers = {k: v for k, v in answers.items() if v is not None}
        walker = Walker(
            questionnaire, {"setting": "ggz", "open_handoffs": rng.choice([0, 1])}, answers
        )
        shown = {step.question.id for step in walker.steps() if step.item is None}
        assert _fhir_enabled(questionnaire, items, answers, shown) == shown, answers
