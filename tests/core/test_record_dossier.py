"""The client's dossier (right of access): everything about one client, PDF and JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import jsonschema
from pypdf import PdfReader
from support.records import example_answers, record_of, stored

from kindcheck.accesslog import new_entry
from kindcheck.questionnaire import Localized
from kindcheck.record import (
    DossierClient,
    DossierEvent,
    NewAnswer,
    PlanInput,
    correct,
    record_schema,
    render_client_dossier,
)
from kindcheck.record.dossier import dossier_schema

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PLAN = {
    "format": 1,
    "rule": "FREQ=MONTHLY;INTERVAL=3",
    "start": "2026-11-02",
    "time_of_day": "09:00:00",
    "changes": [
        {"original": "2027-02-02", "action": "skip", "new_date": None, "reason": "Vakantie cliënt"}
    ],
    "ends_on": "2034-05-01",
    "treatment_ended_on": None,
}


def test_the_dossier_holds_every_session_with_corrections_the_plan_and_the_access_log() -> None:
    intake = example_answers("two-domains.json")
    intake["client"]["name"] = "Zoë de Boer"
    answers, _ = stored(intake)
    amendment = correct(
        answers,
        [NewAnswer("probleemscan", "adm_letters", "yes")],
        session_id="s1",
        reason="Verkeerd aangeklikt",
        by="J. de Vries",
        at=NOW,
    )
    sessions = [record_of(intake, session_id="s1", amendments=[amendment])]
    first = new_entry(None, "create", "J. de Vries", "EPD-100003", "session s1", now=NOW)
    log = [first, new_entry(first, "change", "J. de Vries", "EPD-100003", "session s1", now=NOW)]
    dossier = render_client_dossier(
        DossierClient("EPD-100003", "Zoë de Boer", NOW),
        sessions,
        log,
        plan=PlanInput(PLAN, "children", date(2026, 12, 1)),
        events=[DossierEvent("admission", Localized("Opname", "Admission"), date(2026, 11, 20))],
        produced_at=NOW,
        produced_by="J. de Vries",
    )
    document = json.loads(dossier.json)
    checker = jsonschema.FormatChecker()
    jsonschema.validate(document, dossier_schema(), format_checker=checker)
    for session in document["sessions"]:
        jsonschema.validate(session, record_schema(), format_checker=checker)
    assert document["client"]["name"] == "Zoë de Boer"
    assert document["sessions"][0]["amendments"][0]["reason"] == "Verkeerd aangeklikt"
    assert [entry["action"] for entry in document["access_log"]] == ["create", "change"]
    assert document["plan"]["changes"][0]["reason"] == "Vakantie cliënt"
    assert document["plan"]["next_dates"] == ["2027-05-02", "2027-08-02", "2027-11-02"]

    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(dossier.pdf)).pages]
    text = "\n".join(pages)
    assert len(pages) >= 3  # the cover, the session, the access log
    for expected in (
        "Naam: Zoë de Boer",
        "Vakantie cliënt",
        "Opname",
        "Verkeerd aangeklikt",
        "Toegangslogboek over deze cliënt",
        "veranderd · J. de Vries · session s1",
    ):
        assert expected in text, expected
    assert all("VERTROUWELIJK" in page for page in pages)
