"""The session record as JSON: the document ``kindcheck show --json`` prints.

Versioned (``format`` "kindcheck-session-record", ``format_version`` 1) and described by the
JSON Schema ``session_record.schema.json`` beside this module (:func:`record_schema`); a test
validates every example against it. Texts of the questionnaire and the app come in both
languages (``{"nl": ..., "en": ...}``), so one document serves either; values keep their ids
(``value``) next to the text a person reads (``answer``). Free text is given literally, control
characters stripped. ``answers`` is the current answers in the answers-file shape, and
``original_answers`` the answers as first stored when amendments changed them.

Adding a field is a minor change for readers (the schema allows no unknown fields, so the
schema and this version are updated together); renaming or removing one bumps
``format_version``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from kindcheck.questionnaire import Localized

from .model import AnswerLine, OutcomeSection, PartRecord, RepeatGroup, SessionRecord

FORMAT_NAME: Final = "kindcheck-session-record"
FORMAT_VERSION: Final = 1
SCHEMA_FILE: Final = "session_record.schema.json"


def plain(value: Any) -> Any:
    """Dataclasses, Localized, dates and tuples as JSON values (fields with ``repr=False``,
    such as the questionnaire object behind a part, are left out)."""
    if isinstance(value, Localized):
        return {"nl": value.nl, "en": value.en}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.repr
        }
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def _line(line: AnswerLine, group: str | None) -> dict[str, Any]:
    data: dict[str, Any] = plain(line)
    data["group"] = group
    return data


def _part(part: PartRecord) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for entry in part.entries:
        if isinstance(entry, RepeatGroup):
            entries.append(
                {
                    "entry": "group",
                    "id": entry.id,
                    "label": plain(entry.label),
                    "items": [
                        {
                            "number": item.number,
                            "label": plain(item.label),
                            "answers": [_line(line, entry.id) for line in item.lines],
                        }
                        for item in entry.items
                    ],
                }
            )
        else:
            entries.append({"entry": "answer", **_line(entry, None)})
    return {
        "questionnaire": part.questionnaire_id,
        "version": part.version,
        "title": plain(part.title),
        "entries": entries,
    }


def _outcome(section: OutcomeSection | None) -> dict[str, Any] | None:
    if section is None:
        return None
    data: dict[str, Any] = plain(section)
    data["data"] = json.loads(json.dumps(section.data))
    return data


def record_document(record: SessionRecord) -> dict[str, Any]:
    """The JSON document of one session record (a dict; :func:`render_json` gives text)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "session": {
            "id": record.session_id,
            "kind": record.kind,
            "setting": record.setting,
            "date": record.session_date.isoformat(),
            "client_reference": record.client_reference,
            "client_name": record.client_name,
            "recorded_at": plain(record.recorded_at),
            "recorded_by": record.recorded_by,
            "answers_format_version": record.format_version,
            "questionnaires": [
                {"id": part.questionnaire_id, "version": part.version, "title": plain(part.title)}
                for part in record.parts
            ],
            "corrected": record.corrected,
            "moved": record.moved,
        },
        "parts": [_part(part) for part in record.parts],
        "outcome": _outcome(record.outcome),
        "outcome_as_recorded": _outcome(record.outcome_as_recorded),
        "meldcode": plain(record.meldcode),
        "handoffs": plain(record.handoffs),
        "plan": plain(record.plan),
        "notes": plain(record.notes),
        "amendments": plain(record.amendments),
        "answers": json.loads(json.dumps(record.answers)),
        "original_answers": (
            json.loads(json.dumps(record.original_answers)) if record.amendments else None
        ),
    }


def render_json(record: SessionRecord) -> str:
    """The JSON document as text (UTF-8 characters kept, two-space indent, ends with a line
    break): what ``kindcheck show --json`` prints and what a file of it holds."""
    return json.dumps(record_document(record), ensure_ascii=False, indent=2) + "\n"


@cache
def record_schema() -> dict[str, Any]:
    """The JSON Schema of the document (draft 2020-12)."""
    text = resources.files("kindcheck.record").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
