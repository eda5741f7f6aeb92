"""Session records of the shipped examples, as the vault would hand them over: the answers
(Session.to_dict) and the outcome JSON computed when the session was recorded."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kindcheck.answers import session_from_dict
from kindcheck.outcome import compute_outcome, outcome_to_json
from kindcheck.record import SessionRecord, build_session_record

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RECORDED_AT = datetime(2026, 11, 2, 13, 5, tzinfo=UTC)


def session_examples() -> list[Path]:
    """Every example that is a session (the event example records an event, not a session)."""
    return [
        path
        for path in sorted(EXAMPLES.glob("*.json"))
        if json.loads(path.read_text("utf-8")).get("format") == "kindcheck-answers"
    ]


def example_answers(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    return data


def stored(answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the vault stores for a session: its answers and the outcome computed then."""
    session = session_from_dict(copy.deepcopy(answers))
    return session.to_dict(), outcome_to_json(compute_outcome(session), "nl")


def record_of(answers: dict[str, Any], **extra: Any) -> SessionRecord:
    stored_answers, outcome = stored(answers)
    extra.setdefault("session_id", "5e55101d")
    extra.setdefault("recorded_at", RECORDED_AT)
    extra.setdefault("recorded_by", "J. de Vries")
    return build_session_record(stored_answers, outcome, **extra)


def part_answers(answers: dict[str, Any], questionnaire: str) -> dict[str, Any]:
    part = next(p for p in answers["questionnaires"] if p["id"] == questionnaire)
    found: dict[str, Any] = part["answers"]
    return found


TODAY = date(2026, 11, 20)
