"""Fuzzing the readers of untrusted input: only the project's own clear errors may come out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kindcheck.answers import parse_answers, session_from_dict
from kindcheck.errors import AnswersError, QuestionnaireError
from kindcheck.outcome import compute_outcome
from kindcheck.questionnaire import parse_questionnaire

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "three-or-more-domains.json").read_text("utf-8"))
SCAN_SOURCE = (ROOT / "questionnaires" / "probleemscan-v1.toml").read_text("utf-8")


def outcome_or_clear_error(action: Callable[[], object]) -> None:
    """The reader returns, or raises the project's own error with a message for each problem."""
    try:
        action()
    except (AnswersError, QuestionnaireError) as error:
        assert error.problems
        assert all(problem.strip() and "Traceback" not in problem for problem in error.problems)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=300))
def test_answers_reader_survives_any_bytes(raw: bytes) -> None:
    outcome_or_clear_error(lambda: parse_answers(raw))


@given(json_values)
def test_answers_reader_survives_any_json_value(value: Any) -> None:
    outcome_or_clear_error(lambda: session_from_dict(value))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


EXAMPLE_PATHS = [path for path in _paths(EXAMPLE) if path]


@given(st.sampled_from(EXAMPLE_PATHS), json_values)
def test_one_field_of_a_real_answers_file_replaced_by_anything(
    path: tuple[Any, ...], value: Any
) -> None:
    data = json.loads(json.dumps(EXAMPLE))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        session = session_from_dict(data)
    except AnswersError:
        return
    compute_outcome(session)


@given(st.text(max_size=400))
def test_questionnaire_loader_survives_any_text(source: str) -> None:
    outcome_or_clear_error(lambda: parse_questionnaire(source))


@given(
    st.integers(min_value=0, max_value=len(SCAN_SOURCE) - 1),
    st.integers(1, 40),
    st.text(max_size=30),
)
def test_questionnaire_loader_survives_a_damaged_real_file(
    start: int, length: int, replacement: str
) -> None:
    damaged = SCAN_SOURCE[:start] + replacement + SCAN_SOURCE[start + length :]
    outcome_or_clear_error(lambda: parse_questionnaire(damaged))


TOML_SCALARS = (
    st.text(max_size=12) | st.integers() | st.booleans() | st.lists(st.text(max_size=5), max_size=3)
)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "type",
                "text",
                "help",
                "source",
                "required",
                "show_if",
                "options",
                "min",
                "max",
                "repeat",
                "domain",
                "problem_answers",
                "signal",
                "signal_answers",
                "prefill_if",
                "prefill",
                "role",
            ]
        ),
        TOML_SCALARS,
        max_size=10,
    )
)
def test_questionnaire_loader_survives_odd_question_tables(fields: dict[str, Any]) -> None:
    lines = [
        "format = 1",
        'id = "x"',
        "version = 1",
        'title = { nl = "x", en = "x" }',
        "[[questions]]",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
    outcome_or_clear_error(lambda: parse_questionnaire("\n".join(lines)))
