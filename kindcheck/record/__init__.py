"""The client record: one stored session read back, corrected, and handed to the EPD.

Pure core code over plain inputs (no store, no Textual). One view model, many renderings:

- :mod:`.model`: the :class:`SessionRecord` and its parts (answers as asked, outcome, Meldcode,
  hand-offs, plan, notes, amendments), texts in Dutch and English.
- :mod:`.build`: :func:`build_session_record` from a stored session's answers and outcome
  JSON, its Meldcode steps, amendments and the client's plan.
- :mod:`.amend`: corrections and moves as data (:class:`Amendment`, :func:`correct`,
  :func:`move`, :func:`current_answers`, :func:`recompute_outcome`); the original stays.
- :mod:`.outcome_view`: the stored outcome JSON read back in both languages.
- :mod:`.blocks`: the one rendering (blocks in one language) that text and PDF draw.
- :mod:`.text` (:func:`render_text`), :mod:`.json_doc` (:func:`render_json`, with the JSON
  Schema ``session_record.schema.json``), :mod:`.pdf` (:func:`render_pdf`, fpdf2, DejaVu Sans
  from ``fonts/``), :mod:`.fhir_questionnaire` (:func:`questionnaire_to_fhir`) and
  :mod:`.fhir_bundle` (:func:`render_fhir`): the hand-offs to the EPD.
- :mod:`.dossier`: :func:`render_client_dossier`, everything about one client (AVG art. 15).

fpdf2 and fhir.resources are imported inside the functions that use them.
"""

from __future__ import annotations

from .amend import (
    Amendment,
    AmendmentError,
    AmendmentIncomplete,
    AnswerChange,
    NewAnswer,
    OutcomeContext,
    amendment_from_dict,
    apply,
    correct,
    current_answers,
    move,
    parse_answer_path,
    recompute_outcome,
)
from .build import MeldcodeDecision, MeldcodeStep, PlanInput, build_session_record
from .dossier import Dossier, DossierClient, DossierEvent, render_client_dossier
from .fhir_bundle import render_fhir
from .fhir_questionnaire import CANONICAL_BASE, questionnaire_to_fhir
from .json_doc import record_document, record_schema, render_json
from .model import SessionRecord
from .pdf import render_pdf
from .text import render_text

__all__ = [
    "CANONICAL_BASE",
    "Amendment",
    "AmendmentError",
    "AmendmentIncomplete",
    "AnswerChange",
    "Dossier",
    "DossierClient",
    "DossierEvent",
    "MeldcodeDecision",
    "MeldcodeStep",
    "NewAnswer",
    "OutcomeContext",
    "PlanInput",
    "SessionRecord",
    "amendment_from_dict",
    "apply",
    "build_session_record",
    "correct",
    "current_answers",
    "move",
    "parse_answer_path",
    "questionnaire_to_fhir",
    "recompute_outcome",
    "record_document",
    "record_schema",
    "render_client_dossier",
    "render_fhir",
    "render_json",
    "render_pdf",
    "render_text",
]
