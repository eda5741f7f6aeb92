"""``kindcheck show --json``: the session-record document, validated against its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from support.records import example_answers, part_answers, record_of, session_examples, stored

from kindcheck.record import record_schema, render_json

VALIDATOR = jsonschema.Draft202012Validator(
    record_schema(), format_checker=jsonschema.FormatChecker()
)


@pytest.mark.parametrize("path", session_examples(), ids=lambda p: p.name)
def test_every_example_gives_a_valid_document(path: Path) -> None:
    answers = example_answers(path.name)
    document = json.loads(render_json(record_of(answers)))
    VALIDATOR.validate(document)
    assert document["format"] == "kindcheck-session-record" and document["format_version"] == 1
    stored_answers, outcome = stored(answers)
    assert document["answers"] == stored_answers
    assert document["outcome"]["data"] == outcome
    assert document["outcome"]["source"] == "recorded" and document["original_answers"] is None
    assert document["session"]["recorded_at"] == "2026-11-02T13:05:00+00:00"


def test_the_schema_refuses_what_it_does_not_describe() -> None:
    document = json.loads(render_json(record_of(example_answers("two-domains.json"))))
    document["session"]["unexpected"] = 1
    assert list(VALIDATOR.iter_errors(document))
    document = json.loads(render_json(record_of(example_answers("two-domains.json"))))
    document["parts"][0]["entries"][0]["answer"] = "Ja"  # not in both languages
    assert list(VALIDATOR.iter_errors(document))


def test_answers_carry_the_option_text_in_both_languages_next_to_the_id() -> None:
    document = json.loads(render_json(record_of(example_answers("v2-flag-handoff.json"))))
    groups = [e for e in document["parts"][0]["entries"] if e["entry"] == "group"]
    third = groups[0]["items"][2]["answers"]
    relation = next(a for a in third if a["question_id"] == "child_relation")
    assert relation["value"] == "step"
    assert relation["answer"] == {"nl": "Mijn stiefkind", "en": "My stepchild"}
    assert relation["group"] == "children" and relation["item"] == 2


def test_free_text_is_given_literally_with_control_characters_stripped() -> None:
    answers = example_answers("v2-flag-handoff.json")
    part_answers(answers, "kindcheck")["clinician_note"] = "Lijn 1\u202e\x1b]0;titel\x07\nLijn 2"
    document = json.loads(render_json(record_of(answers)))
    assert document["notes"][-1]["text"] == "Lijn 1]0;titel\nLijn 2"
    assert "\x1b" not in render_json(record_of(answers))
