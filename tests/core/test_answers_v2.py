"""Answers files of format_version 2 and event files (kindcheck.answers)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kindcheck.answers import (
    EventRecord,
    event_from_dict,
    read_record_file,
    session_from_dict,
)
from kindcheck.errors import AnswersError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(AnswersError) as raised:
        session_from_dict(data, "a.json")
    return raised.value.problems


def test_one_session_one_generation() -> None:
    v2 = example("v2-worries-no-signal.json")
    v2["format_version"] = 1
    assert problems(v2) == [
        "a.json: format_version: expected 2: the questionnaires are format-2 questionnaires "
        "(one session, one generation)"
    ]
    v1 = example("two-domains.json")
    v1["format_version"] = 2
    assert problems(v1) == [
        "a.json: format_version: expected 1: the questionnaires are format-1 questionnaires "
        "(one session, one generation)"
    ]


def test_questionnaires_of_two_generations_do_not_mix() -> None:
    data = example("v2-worries-no-signal.json")
    data["questionnaires"][1] = example("two-domains.json")["questionnaires"][1]
    assert (
        "a.json: questionnaires: kindcheck-v2 and probleemscan-v1 do not go together (one "
        "session, one generation)"
    ) in problems(data)


def test_hand_offs_belong_to_version_2_sessions() -> None:
    v1 = example("two-domains.json")
    v1["handoffs"] = example("v2-flag-handoff.json")["handoffs"]
    assert problems(v1) == [
        "a.json: handoffs: hand-offs are recorded in format_version 2 sessions only"
    ]


def test_a_session_with_a_hand_off_round_trips() -> None:
    session = session_from_dict(example("v2-flag-handoff.json"))
    assert session.format_version == 2
    (handoff,) = session.handoffs
    assert (
        handoff.option,
        handoff.contact,
        handoff.contact_on.isoformat() if handoff.contact_on else None,
    ) == (
        "home_start",
        "together",
        "2026-11-09",
    )
    again = session_from_dict(session.to_dict())
    assert again.to_dict() == session.to_dict()
    assert again.to_dict()["handoffs"] == example("v2-flag-handoff.json")["handoffs"]


def test_an_exclusive_option_goes_with_no_other() -> None:
    data = example("v2-worries-no-signal.json")
    data["questionnaires"][0]["answers"]["children"][0]["child_shared_care"] = ["nobody", "partner"]
    assert (
        'a.json: questionnaires[0].answers.children[0].child_shared_care: "nobody" cannot be '
        "chosen together with another answer"
    ) in problems(data)


def test_an_event_file_names_a_known_event_and_a_date() -> None:
    event = read_record_file(EXAMPLES / "v2-event-admission.json")
    assert event == EventRecord("EPD-100002", "admission", date(2027, 1, 12))
    bad = event.to_dict() | {"event": "holiday", "date": "12-01-2027", "note": "x"}
    with pytest.raises(AnswersError) as raised:
        event_from_dict(bad, "e.json")
    assert raised.value.problems == [
        "e.json: note: unknown field",
        "e.json: date: expected a date as YYYY-MM-DD",
        "e.json: event: expected one of admission, crisis, discharge, treatment_evaluation, "
        "new_child_or_pregnancy, new_partner, separation",
    ]


def test_record_files_are_told_apart_by_their_format() -> None:
    assert read_record_file(EXAMPLES / "v2-worries-no-signal.json").kind == "intake"  # type: ignore[union-attr]
