"""The answers file: one completed session as versioned JSON.

Format (``format_version`` 1)::

    {
      "format": "kindcheck-answers",
      "format_version": 1,
      "kind": "intake",                    # or "followup"
      "client": {"reference": "EPD-123456", "name": "optional"},
      "setting": "ggz",                    # or "sociaal_domein"
      "date": "2026-11-25",
      "questionnaires": [
        {"id": "kindcheck", "version": 1, "answers": {...}},
        {"id": "probleemscan", "version": 1, "answers": {...}}
      ]
    }

An intake holds the Kindcheck and, unless the check closed (no minor children and no
pregnancy), the problem scan. A follow-up holds the follow-up conversation and, when its
``repeat_scan`` is "yes", the problem scan. Answers are keyed by question id; repeated
questions (one set per child) are a list of tables under the repeat group's id.

The same reader serves the CLI and the app. Every problem is reported at once, each with its
place in the file (``questionnaires[1].answers.fin_arrears``) and what was expected. Messages
never repeat free text from the file: it may hold client data.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kindcheck.errors import AnswersError, QuestionnaireError
from kindcheck.paths import InputFileError, read_regular_file
from kindcheck.questionnaire import (
    SETTINGS,
    Answers,
    Question,
    Questionnaire,
    Walker,
    check_value,
    load_shipped,
)
from kindcheck.questionnaire.values import _value_problem
from kindcheck.text import clean_text, one_line

# Records one problem (field path, message); all are reported together at the end.
Problem = Callable[[str, str], None]

FORMAT_NAME = "kindcheck-answers"
FORMAT_VERSION = 1
KINDS = ("intake", "followup")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_REFERENCE = 64
MAX_NAME = 200
KINDCHECK = "kindcheck"
SCAN = "probleemscan"
FOLLOWUP = "vervolggesprek"


@dataclass(frozen=True)
class Part:
    """The answers to one questionnaire."""

    questionnaire: Questionnaire
    answers: Answers

    def walker(self, setting: str) -> Walker:
        return Walker(self.questionnaire, {"setting": setting}, self.answers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.questionnaire.id,
            "version": self.questionnaire.version,
            "answers": self.answers,
        }


@dataclass(frozen=True)
class Session:
    """One completed session, validated."""

    kind: str
    client_reference: str
    setting: str
    session_date: date
    parts: dict[str, Part]
    client_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def part(self, questionnaire_id: str) -> Part | None:
        return self.parts.get(questionnaire_id)

    def to_dict(self) -> dict[str, Any]:
        client: dict[str, Any] = {"reference": self.client_reference}
        if self.client_name:
            client["name"] = self.client_name
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "client": client,
            "setting": self.setting,
            "date": self.session_date.isoformat(),
            "questionnaires": [part.to_dict() for part in self.parts.values()],
        }


def read_answers_file(path: str | Path) -> Session:
    """Read and validate an answers file; AnswersError lists every problem. Only a regular
    file is read, and never more than MAX_FILE_BYTES (a named pipe or /dev/zero is refused at
    once, see kindcheck.paths.read_regular_file)."""
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES, "an answers file")
    except InputFileError as error:
        raise AnswersError([str(error)]) from None
    return parse_answers(raw, str(path))


class _HugeNumber(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.digits = sum(ch.isdigit() for ch in text)


_MAX_NUMBER_CHARS = 15  # more than any answer needs; int() of thousands of digits is refused


def _whole_number(text: str) -> int:
    if len(text) > _MAX_NUMBER_CHARS:
        raise _HugeNumber(text)
    return int(text)


def _fraction(text: str) -> float:
    if len(text) > _MAX_NUMBER_CHARS + 10:
        raise _HugeNumber(text)
    return float(text)


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def parse_answers(raw: bytes | str, name: str = "<answers>") -> Session:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise AnswersError([f"{name}: not a UTF-8 text file"]) from None
    try:
        data = json.loads(
            text, parse_int=_whole_number, parse_float=_fraction, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise AnswersError(
            [f"{name}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
        ) from None
    except _HugeNumber as error:
        raise AnswersError(
            [f"{name}: a number with {error.digits} digits is not an answer"]
        ) from None
    except ValueError as error:
        raise AnswersError([f"{name}: not valid JSON ({one_line(error)})"]) from None
    except RecursionError:
        raise AnswersError([f"{name}: nested too deeply"]) from None
    return session_from_dict(data, name)


def session_from_dict(data: Any, name: str = "<answers>") -> Session:
    problems: list[str] = []

    def problem(where: str, message: str) -> None:
        problems.append(f"{name}: {where}: {message}")

    if not isinstance(data, dict):
        raise AnswersError([f"{name}: expected a JSON object at the top"])
    known = {"format", "format_version", "kind", "client", "setting", "date", "questionnaires"}
    for key in sorted(set(data) - known):
        problem(key, "unknown field" + _hint(key, known))
    if data.get("format") != FORMAT_NAME:
        problem("format", f'expected "{FORMAT_NAME}"')
    if data.get("format_version") != FORMAT_VERSION:
        problem("format_version", f"expected {FORMAT_VERSION}")
    kind = data.get("kind", "intake")
    if kind not in KINDS:
        problem("kind", 'expected "intake" or "followup"')
        kind = "intake"
    reference, client_name = _client(data.get("client"), problem)
    setting = data.get("setting")
    if setting not in SETTINGS:
        problem("setting", 'expected "ggz" or "sociaal_domein"')
        setting = "ggz"
    session_date = _date(data.get("date"), "date", problem)
    parts = _parts(data.get("questionnaires"), setting, problem)
    _check_required_parts(kind, parts, setting, problem)
    if problems:
        raise AnswersError(problems)
    return Session(
        kind=kind,
        client_reference=reference,
        setting=setting,
        session_date=session_date or date.today(),
        parts=parts,
        client_name=client_name,
    )


def _hint(key: str, known: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _client(client: Any, problem: Problem) -> tuple[str, str | None]:
    if not isinstance(client, dict):
        problem("client", 'expected an object with "reference" (and optionally "name")')
        return "", None
    for key in sorted(set(client) - {"reference", "name"}):
        problem(f"client.{key}", "unknown field" + _hint(key, {"reference", "name"}))
    reference = client.get("reference")
    if not isinstance(reference, str) or not clean_text(reference).strip():
        problem("client.reference", "expected a client reference (EPD number or pseudonym)")
        reference = ""
    elif len(reference) > MAX_REFERENCE:
        problem("client.reference", f"longer than {MAX_REFERENCE} characters")
    name = client.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
        problem("client.name", f"expected a text of at most {MAX_NAME} characters")
        name = None
    return clean_text(reference).strip(), (clean_text(name).strip() or None) if name else None


def _date(value: Any, where: str, problem: Problem) -> date | None:
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != value:
        problem(where, "expected a date as YYYY-MM-DD")
        return None
    return parsed


def _parts(items: Any, setting: str, problem: Problem) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    if not isinstance(items, list) or not items:
        problem("questionnaires", "expected a list of questionnaires with their answers")
        return parts
    for index, item in enumerate(items):
        where = f"questionnaires[{index}]"
        if not isinstance(item, dict):
            problem(where, 'expected an object with "id", "version" and "answers"')
            continue
        for key in sorted(set(item) - {"id", "version", "answers"}):
            problem(f"{where}.{key}", "unknown field" + _hint(key, {"id", "version", "answers"}))
        questionnaire_id, version = item.get("id"), item.get("version")
        if questionnaire_id not in (KINDCHECK, SCAN, FOLLOWUP):
            problem(f"{where}.id", f'expected "{KINDCHECK}", "{SCAN}" or "{FOLLOWUP}"')
            continue
        if not isinstance(version, int) or isinstance(version, bool):
            problem(f"{where}.version", "expected a whole number")
            continue
        if questionnaire_id in parts:
            problem(f"{where}.id", f"questionnaire '{questionnaire_id}' occurs twice")
            continue
        try:
            questionnaire = load_shipped(questionnaire_id, version)
        except QuestionnaireError as error:
            problem(f"{where}.version", str(error))
            continue
        answers = item.get("answers")
        if not isinstance(answers, dict):
            problem(f"{where}.answers", "expected an object of answers keyed by question id")
            continue
        checked = check_answers(questionnaire, answers, setting, f"{where}.answers", problem)
        parts[questionnaire_id] = Part(questionnaire, checked)
    return parts


def check_answers(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    setting: str,
    where: str,
    problem: Problem,
) -> Answers:
    """Check every answer's question and value, then that every shown required one is there."""
    checked: Answers = {}
    group_ids = {repeat.id for repeat in questionnaire.repeats}
    top_ids = [q.id for q in questionnaire.questions if q.repeat is None]
    for key, value in answers.items():
        if key in group_ids:
            checked[key] = _check_group(questionnaire, key, value, f"{where}.{key}", problem)
            continue
        if not questionnaire.has_question(key):
            problem(
                f"{where}.{key}",
                f"unknown question in {questionnaire.key}"
                + _hint(key, top_ids + sorted(group_ids)),
            )
            continue
        question = questionnaire.question(key)
        if question.repeat is not None:
            problem(f"{where}.{key}", f'is asked per item: put it inside "{question.repeat}"')
            continue
        _store_checked(checked, question, value, f"{where}.{key}", problem)
    walker = Walker(questionnaire, {"setting": setting}, checked)
    for step in walker.missing():
        path = (
            f"{where}.{step.question.id}"
            if step.item is None
            else f"{where}.{step.question.repeat}[{step.item}].{step.question.id}"
        )
        problem(path, "required, not answered")
    return checked


def _check_group(
    questionnaire: Questionnaire, group_id: str, items: Any, where: str, problem: Problem
) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        problem(where, "expected a list with one object per item")
        return []
    members = {q.id: q for q in questionnaire.group_questions(group_id)}
    result: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        item_where = f"{where}[{index}]"
        checked_item: dict[str, Any] = {}
        if not isinstance(item, dict):
            problem(item_where, "expected an object of answers")
            result.append(checked_item)
            continue
        for key, value in item.items():
            question = members.get(key)
            if question is None:
                problem(
                    f"{item_where}.{key}",
                    f"unknown question in group '{group_id}'" + _hint(key, list(members)),
                )
                continue
            _store_checked(checked_item, question, value, f"{item_where}.{key}", problem)
        result.append(checked_item)
    return result


def _store_checked(
    checked: dict[str, Any], question: Question, value: Any, where: str, problem: Problem
) -> None:
    """Keep a valid answer in ``checked``; report a wrong one. An explicit null is no answer."""
    if value is None:
        return
    reason = _value_problem(question, value)
    if reason:
        problem(where, reason)
    else:
        checked[question.id] = check_value(question, value)


def _check_required_parts(
    kind: str, parts: dict[str, Part], setting: str, problem: Problem
) -> None:
    if kind == "intake":
        if FOLLOWUP in parts:
            problem("questionnaires", f"an intake does not hold '{FOLLOWUP}'")
        kindcheck = parts.get(KINDCHECK)
        if kindcheck is None:
            problem("questionnaires", f"an intake needs the '{KINDCHECK}' answers")
            return
        closed = kindcheck_closed(kindcheck, setting)
        if SCAN not in parts and not closed:
            problem("questionnaires", f"an intake with children needs the '{SCAN}' answers")
    else:
        if KINDCHECK in parts:
            problem("questionnaires", f"a follow-up does not hold '{KINDCHECK}'")
        followup = parts.get(FOLLOWUP)
        if followup is None:
            problem("questionnaires", f"a follow-up needs the '{FOLLOWUP}' answers")
            return
        wants_scan = followup.walker(setting).visible_answers().get("repeat_scan") == "yes"
        if wants_scan and SCAN not in parts:
            problem(
                "questionnaires", f"repeat_scan is \"yes\" but the '{SCAN}' answers are missing"
            )


def kindcheck_closed(part: Part, setting: str) -> bool:
    """No minor children and no pregnancy: the Kindcheck closes, with that result recorded."""
    visible = part.walker(setting).visible_answers()

    def role_value(role: str) -> object:
        question = part.questionnaire.by_role(role)
        return visible.get(question.id) if question else None

    return role_value("has_children") == "no" and role_value("pregnancy") == "no"
