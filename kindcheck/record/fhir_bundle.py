"""A session record as HL7 FHIR R4: a Bundle for the EPD.

Contents of the Bundle, in this order: a ``Patient`` that holds only the client reference
(the EPD number or pseudonym; the EPD has the person, so no name or birth date leaves the
vault), one ``Questionnaire`` per questionnaire version the session used (see
:mod:`kindcheck.record.fhir_questionnaire`), one ``QuestionnaireResponse`` per questionnaire
answered (``questionnaire`` = ``<url>|<version>``, only the questions that were shown, repeat
items as repeated group items), and one ``Observation`` with the outcome.

Choices, and why:

- **Bundle type ``collection``.** The receiver takes the resources it wants, in any order,
  with no processing rules. A ``document`` Bundle would need a ``Composition`` first and is an
  attested, signed clinical document with its own life cycle, which a tool's export is not;
  the EPD makes the dossier. (Posting to a FHIR server would wrap the same entries in a
  ``transaction``; that is the integration's choice.) Entries have ``urn:uuid`` full URLs
  derived from the session id, so the same session always gives the same ids.
- **The outcome as an ``Observation``**, not as items of the response: a
  QuestionnaireResponse holds the answers to the Questionnaire's items and nothing else (an
  item that the Questionnaire lacks is invalid), while the outcome is derived from the answers
  by rules. The Observation (category ``survey``) points at the responses with ``derivedFrom``
  and holds the summary as its value and each part (signal, concern, domain, count, flag,
  rhythm, open item, Meldcode step done, hand-off agreed) as a component. After a correction
  the responses and the Observation have status ``amended`` and the Observation notes it.
- **fhir.resources 8.x, its ``R4B`` models.** The release line whose default is R4 (4.0.1),
  fhir.resources 6.4 and older, is built on pydantic 1 and cannot be installed next to
  SQLModel's pydantic 2; 7.x and 8.x default to R5 and carry R4B (4.3.0) as a subpackage.
  R4B is R4 with technical corrections; the resources used here (Patient, Questionnaire,
  QuestionnaireResponse, Observation, Bundle) have the same elements in both, and the tests
  also read every Bundle with the R4 (4.0.1) models of the SMART on FHIR client (fhirclient),
  strictly, as a second check that it is R4, which Koppeltaal 2.0 and the Nictiz profiles use.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Final

from kindcheck.questionnaire import Localized

from .fhir_models import validated
from .fhir_questionnaire import (
    CANONICAL_BASE,
    answer_coding,
    canonical,
    questionnaire_resource,
    translated,
)
from .model import AnswerLine, OutcomeSection, PartRecord, RepeatGroup, SessionRecord

OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"


def _seed(record: SessionRecord) -> str:
    if record.session_id:
        return record.session_id
    original = json.dumps(record.original_answers, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(original.encode("utf-8")).hexdigest()


def _uuid(record: SessionRecord, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kindcheck:{_seed(record)}:{what}"))


def _coding(system: str, code: str, text: Localized) -> dict[str, Any]:
    return {"system": system, "code": code, **translated("display", text)}


def _value(part: PartRecord, line: AnswerLine, base: str) -> list[dict[str, Any]]:
    question = part.questionnaire.question(line.question_id)
    value = line.value
    if question.type in ("yesno", "choice"):
        return [{"valueCoding": answer_coding(part.questionnaire, question, value, base)}]
    if question.type == "multi":
        return [
            {"valueCoding": answer_coding(part.questionnaire, question, code, base)}
            for code in value
        ]
    if question.type == "number":
        return [{"valueInteger": value}]
    if question.type == "date":
        return [{"valueDate": value}]
    return [{"valueString": line.answer.nl}]


def _answer_item(part: PartRecord, line: AnswerLine, base: str) -> dict[str, Any] | None:
    answers = _value(part, line, base) if line.value not in (None, []) else []
    if not answers:
        return None
    return {"linkId": line.question_id, "text": line.question.nl, "answer": answers}


def _response_items(part: PartRecord, base: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for entry in part.entries:
        if isinstance(entry, RepeatGroup):
            for repeat_item in entry.items:
                members = [_answer_item(part, line, base) for line in repeat_item.lines]
                answered = [member for member in members if member is not None]
                if answered:
                    items.append({"linkId": entry.id, "text": entry.label.nl, "item": answered})
            continue
        item = _answer_item(part, entry, base)
        if item is not None:
            items.append(item)
    return items


def _component(code: str, text: str, value: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "code": {
            "coding": [{"system": f"{base}/CodeSystem/outcome-part", "code": code}],
            "text": text,
        },
        **value,
    }


def _concept(system: str, code: str, name: Localized) -> dict[str, Any]:
    return {"valueCodeableConcept": {"coding": [_coding(system, code, name)], "text": name.nl}}


def _components(record: SessionRecord, outcome: OutcomeSection, base: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for signal in outcome.signals:
        concept = _concept(f"{base}/CodeSystem/signal", signal.id, signal.name)
        items.append(_component("safety-signal", "Signaal van onveiligheid", concept, base))
    for concern in outcome.concerns:
        concept = _concept(f"{base}/CodeSystem/concern", concern.id, concern.name)
        items.append(_component("concern", "Zorg", concept, base))
    for item in outcome.open_items:
        value = {"valueString": item.text.nl}
        items.append(_component("open-item", "Nog uit te zoeken", value, base))
    items.append(
        _component(
            "check-closed", "Kindcheck afgerond", {"valueBoolean": outcome.check_closed}, base
        )
    )
    items.append(
        _component(
            "children-in-view", "Kinderen in beeld", {"valueInteger": len(outcome.children)}, base
        )
    )
    if outcome.scan_done:
        for domain in outcome.domains:
            concept = _concept(f"{base}/CodeSystem/domain", domain.id, domain.name)
            items.append(_component("problem-domain", "Probleemgebied", concept, base))
        count = {"valueInteger": outcome.domain_count}
        items.append(_component("problem-domain-count", "Aantal probleemgebieden", count, base))
        flag = {"valueBoolean": outcome.flag}
        items.append(_component("parenting-support-flag", "Hulp bij opvoeden", flag, base))
    for offered in outcome.handoffs_offered:
        concept = _concept(f"{base}/CodeSystem/handoff", offered.id, offered.name)
        items.append(_component("handoff-offered", "Hulp om aan te bieden", concept, base))
    if outcome.rhythm is not None:
        concept = _concept(f"{base}/CodeSystem/rhythm", outcome.rhythm, outcome.rhythm_text)
        items.append(_component("followup-rhythm", "Ritme vervolggesprekken", concept, base))
    if record.meldcode is not None:
        for step in record.meldcode.steps:
            if step.done_on is not None:
                value = {"valueDateTime": step.done_on.isoformat()}
                items.append(_component(f"meldcode-{step.id}", step.title.nl, value, base))
    for handoff in record.handoffs:
        contact = handoff.contact_text.nl
        if handoff.contact_on is not None:
            contact += f" ({handoff.contact_on.isoformat()})"
        text = f"Warme overdracht: {handoff.name.nl}"
        items.append(_component("handoff-agreed", text, {"valueString": contact}, base))
    return items


def _moment(record: SessionRecord) -> str:
    if record.recorded_at is not None and record.recorded_at.tzinfo is not None:
        return record.recorded_at.isoformat()
    return record.session_date.isoformat()


def render_fhir(record: SessionRecord, canonical_base: str = CANONICAL_BASE) -> dict[str, Any]:
    """The session as a FHIR R4 Bundle (type collection), validated; a JSON-ready dict."""
    base = canonical_base
    amended = record.corrected
    patient_url = f"urn:uuid:{_uuid(record, 'patient')}"
    patient = {
        "resourceType": "Patient",
        "id": _uuid(record, "patient"),
        "identifier": [{"system": f"{base}/client-reference", "value": record.client_reference}],
    }
    entries: list[tuple[str, dict[str, Any]]] = [(patient_url, patient)]
    for part in record.parts:
        resource = questionnaire_resource(part.questionnaire, base)
        entries.append((f"urn:uuid:{_uuid(record, 'questionnaire/' + resource['id'])}", resource))
    responses: list[str] = []
    for part in record.parts:
        response_id = _uuid(record, f"response/{part.questionnaire_id}")
        response: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": response_id,
            "language": "nl",
            "questionnaire": canonical(part.questionnaire, base),
            "status": "amended" if amended else "completed",
            "subject": {"reference": patient_url},
            "authored": _moment(record),
            "item": _response_items(part, base),
        }
        if record.recorded_by:
            response["author"] = {"display": record.recorded_by}
        responses.append(f"urn:uuid:{response_id}")
        entries.append((responses[-1], response))
    outcome = record.outcome
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _uuid(record, "outcome"),
        "status": "amended" if amended else "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [
                {
                    "system": f"{base}/CodeSystem/outcome",
                    "code": "kindcheck-outcome",
                    "display": "Uitkomst Kindcheck",
                }
            ],
            "text": "Uitkomst van de Kindcheck en de probleemscan",
        },
        "subject": {"reference": patient_url},
        "effectiveDateTime": record.session_date.isoformat(),
        "derivedFrom": [{"reference": url} for url in responses],
        "valueString": outcome.summary.nl,
        "component": _components(record, outcome, base),
    }
    if record.recorded_at is not None and record.recorded_at.tzinfo is not None:
        observation["issued"] = record.recorded_at.isoformat()
    if amended:
        observation["note"] = [
            {
                "text": "Herberekend uit de gecorrigeerde antwoorden; de oorspronkelijke staan in "
                "het verslag van Kindcheck."
            }
        ]
    entries.append((f"urn:uuid:{observation['id']}", observation))
    bundle = {
        "resourceType": "Bundle",
        "id": _uuid(record, "bundle"),
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    return validated(bundle)
