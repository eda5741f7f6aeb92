"""The plain-text summary of a session for the EPD: every example, both languages."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from support.records import example_answers, part_answers, record_of, session_examples

from kindcheck.answers import session_from_dict
from kindcheck.questionnaire import Walker, load_shipped
from kindcheck.record import render_text
from kindcheck.record.text import WIDTH

EXAMPLES = session_examples()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_renders_as_plain_text_that_pastes_well(path: Path, lang: str) -> None:
    answers = example_answers(path.name)
    text = render_text(record_of(answers), lang)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert "\t" not in text
    assert not re.search(r"[\u2500-\u259f]", text), "no box drawing"
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text)
    assert answers["client"]["reference"] in text
    # Headings in capitals, underlined.
    heading = "VEILIGHEID EN MELDCODE" if lang == "nl" else "SAFETY AND THE MELDCODE"
    position = lines.index(heading)
    assert lines[position + 1] == "-" * len(heading)
    # Every shown question of every questionnaire, as that version asked it of this client
    # (worded by the first questionnaire's answers: one child, no baby), with its answer.
    body = flat(text)
    session = session_from_dict(answers)
    main = session.parts["kindcheck" if session.kind == "intake" else "vervolggesprek"]
    wording = main.questionnaire.wording(main.answers)
    for part in session.parts.values():
        walker = Walker(part.questionnaire, {"setting": answers["setting"]}, part.answers)
        for step in walker.steps():
            value = walker.get(step)
            if step.question.same_as and value is not None:
                continue  # shown once, in the main questionnaire
            assert flat(step.question.text_for(lang, wording)) in body
            if value is not None and step.question.type in ("choice", "multi"):
                shown = step.question.answer_label(value, lang)
                assert flat(shown) in body


def test_answers_are_option_texts_not_ids() -> None:
    text = render_text(record_of(example_answers("v2-flag-handoff.json")), "nl")
    assert "Mijn stiefkind" in text and "Een deel van de tijd" in text
    assert not re.search(r"^\s+(step|part_time|other_parent)\s*$", text, re.MULTILINE)


def test_notes_and_free_text_are_shown_literally_without_control_characters() -> None:
    answers = example_answers("v2-flag-handoff.json")
    note = "Zoon (7) was erbij toen \x1b[31mhet\x07 escaleerde.\nTweede regel: café, reünie."
    part_answers(answers, "kindcheck")["clinician_note"] = note
    text = render_text(record_of(answers), "nl")
    notes = text[text.index("NOTITIES") : text.index("ANTWOORDEN")]
    assert "Zoon (7) was erbij toen [31mhet escaleerde." in notes
    assert "\x1b" not in text and "\x07" not in text
    # The writer's own line break is kept.
    assert re.search(r"escaleerde\.\n\s+Tweede regel: café, reünie\.", notes)


def test_a_hidden_question_is_not_shown_even_with_an_answer_kept_for_it() -> None:
    answers = example_answers("v2-flag-handoff.json")
    kindcheck = part_answers(answers, "kindcheck")
    assert kindcheck["sig_other"] == "no"  # so sig_other_note is hidden
    kindcheck["sig_other_note"] = "VERBORGEN-ANTWOORD"
    text = render_text(record_of(answers), "nl")
    assert "VERBORGEN-ANTWOORD" not in text
    hidden_question = load_shipped("kindcheck", 2).question("sig_other_note").text.nl
    assert flat(hidden_question) not in flat(text)


def test_a_version_1_session_reads_with_the_version_1_questions() -> None:
    text = flat(render_text(record_of(example_answers("children-no-problems.json")), "en"))
    old = load_shipped("kindcheck", 1).question("has_minor_children").text.en
    new = load_shipped("kindcheck", 2).question("has_minor_children").text.en
    assert old != new
    assert flat(old) in text and flat(new) not in text
    assert "Kindcheck (version 1)" in text


def test_repeat_groups_are_shown_per_child() -> None:
    text = render_text(record_of(example_answers("v2-flag-handoff.json")), "en")
    answers = text[text.index("ANSWERS: KINDCHECK") :]
    blocks = re.split(r"^Child (\d)$", answers, flags=re.MULTILINE)
    assert blocks[1::2] == ["1", "2", "3"]
    assert "How often do you see this child?" not in blocks[2]  # lives with the client
    assert "How often do you see this child?" in blocks[6]


def test_safety_first_signals_and_meldcode_steps_with_their_dates() -> None:
    from datetime import UTC, date, datetime

    from kindcheck.store import MeldcodeStepRecord

    NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

    steps = [
        MeldcodeStepRecord("map_signals", date(2026, 11, 3), "Gesprek met moeder, feitelijk.", NOW)
    ]
    text = render_text(record_of(example_answers("safety-signal.json"), meldcode_steps=steps), "nl")
    assert text.index("VEILIGHEID EN MELDCODE") < text.index("KINDEREN")
    assert "!! Huiselijk geweld" in text or "- !! " in text
    assert "gedaan op 2026-11-03" in text
    assert "Gesprek met moeder, feitelijk." in text
    assert "nog open" in text


def test_the_two_languages_differ_only_in_wording() -> None:
    record = record_of(example_answers("two-domains.json"))
    dutch, english = render_text(record, "nl"), render_text(record, "en")
    assert "VERSLAG VAN HET GESPREK" in dutch and "RECORD OF THE CONVERSATION" in english
    assert "Samenvatting:" in dutch and "Summary:" in english
