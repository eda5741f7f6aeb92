"""The answers file: one completed session as versioned JSON; and the event file.

Format (``format_version`` 1; version 2 is the same shape for sessions answered with format-2
questionnaires, with an optional ``handoffs`` list, see questionnaires/FORMAT.md)::

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

One session, one generation: ``format_version`` 2 goes with format-2 questionnaires and 1 with
format-1 ones, never mixed. In a version-2 session the problem scan's ``same_as`` answers are
the main questionnaire's (filled in when missing, refused when different), and ``handoffs``
records the warm hand-offs agreed in the session. An event file (``"format":
"kindcheck-event"``) records one event for a client; :func:`read_record_file` reads either.

One module, a little over 600 lines: it is the one reader of everything ``kindcheck record``
takes, and its parts share the problem list and the rule that no message echoes free text.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kindcheck.child_dates import child_date_problems
from kindcheck.errors import AnswersError, QuestionnaireError
from kindcheck.i18n import LANGUAGES, error_message
from kindcheck.paths import InputFileError, read_regular_file
from kindcheck.questionnaire import (
    SETTINGS,
    Answers,
    Catalog,
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
FORMAT_VERSIONS = (1, 2)
FORMAT_VERSION = 2  # the newest; a session's own is :func:`format_version_for` its questionnaires
EVENT_FORMAT_NAME = "kindcheck-event"
EVENT_FORMAT_VERSION = 1
HANDOFF_CONTACTS = ("client_calls", "together", "referred", "not_yet")
MAX_ORGANISATION = 200
KINDS = ("intake", "followup")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_REFERENCE = 64
MAX_NAME = 200
KINDCHECK = "kindcheck"
SCAN = "probleemscan"
FOLLOWUP = "vervolggesprek"


def format_version_for(questionnaires: Iterable[Questionnaire]) -> int:
    """The answers file version that goes with these questionnaires: 2 when any is format 2."""
    return 2 if any(q.format == 2 for q in questionnaires) else 1


@dataclass(frozen=True)
class HandoffRecord:
    """A warm hand-off agreed in a session: to which help, consent, and how contact is made.

    ``organisation`` is free text (it may name a person or place), so it is never repeated in a
    message."""

    option: str
    consent_asked: bool
    consent_given: bool
    contact: str
    contact_on: date | None = None
    organisation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"option": self.option}
        if self.organisation:
            data["organisation"] = self.organisation
        data |= {
            "consent_asked": self.consent_asked,
            "consent_given": self.consent_given,
            "contact": self.contact,
        }
        if self.contact_on is not None:
            data["contact_on"] = self.contact_on.isoformat()
        return data


@dataclass(frozen=True)
class EventRecord:
    """One event for a client (an admission, a crisis, ...) that makes the Kindcheck due."""

    client_reference: str
    event: str
    on: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": EVENT_FORMAT_NAME,
            "format_version": EVENT_FORMAT_VERSION,
            "client": {"reference": self.client_reference},
            "event": self.event,
            "date": self.on.isoformat(),
        }


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
    handoffs: tuple[HandoffRecord, ...] = ()

    def part(self, questionnaire_id: str) -> Part | None:
        return self.parts.get(questionnaire_id)

    @property
    def format_version(self) -> int:
        return format_version_for(part.questionnaire for part in self.parts.values())

    @property
    def main_part(self) -> Part:
        """The questionnaire that starts the session: the Kindcheck, or the follow-up."""
        return self.parts[KINDCHECK if self.kind == "intake" else FOLLOWUP]

    def to_dict(self) -> dict[str, Any]:
        client: dict[str, Any] = {"reference": self.client_reference}
        if self.client_name:
            client["name"] = self.client_name
        data: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "kind": self.kind,
            "client": client,
            "setting": self.setting,
            "date": self.session_date.isoformat(),
            "questionnaires": [part.to_dict() for part in self.parts.values()],
        }
        if self.handoffs:
            data["handoffs"] = [handoff.to_dict() for handoff in self.handoffs]
        return data


def read_answers_file(path: str | Path) -> Session:
    """Read and validate an answers file; AnswersError lists every problem."""
    path = Path(path)
    return parse_answers(_read_bytes(path), str(path))


def read_record_file(path: str | Path) -> Session | EventRecord:
    """An answers file or an event file (``kindcheck record FILE``), by its ``format``."""
    path = Path(path)
    data = _json(_read_bytes(path), str(path))
    if isinstance(data, dict) and data.get("format") == EVENT_FORMAT_NAME:
        return event_from_dict(data, str(path))
    return session_from_dict(data, str(path))


def _read_bytes(path: Path) -> bytes:
    """Only a regular file is read, and never more than MAX_FILE_BYTES (a named pipe or
    /dev/zero is refused at once, see kindcheck.paths.read_regular_file)."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES, "an answers file")
    except InputFileError as error:
        localized = {lang: [error_message(error, lang)] for lang in LANGUAGES}
        raise AnswersError([str(error)], localized=localized) from None


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


def _json(raw: bytes | str, name: str) -> Any:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise AnswersError([f"{name}: not a UTF-8 text file"]) from None
    try:
        return json.loads(
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


def parse_answers(raw: bytes | str, name: str = "<answers>") -> Session:
    return session_from_dict(_json(raw, name), name)


class _Problems:
    """Every problem of one file, in English and, where the catalog has the text, in each
    language (a :data:`Problem` itself: ``problems(where, message)`` adds an English one)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_lang: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}

    def __call__(self, where: str, message: str) -> None:
        for lines in self.by_lang.values():
            lines.append(f"{self.name}: {where}: {message}")

    def localized(self, where: str, message: Callable[[str], str]) -> None:
        for lang, lines in self.by_lang.items():
            lines.append(f"{self.name}: {where}: {message(lang)}")

    def __bool__(self) -> bool:
        return bool(self.by_lang["en"])

    def error(self) -> AnswersError:
        return AnswersError(self.by_lang["en"], localized=self.by_lang)


def session_from_dict(
    data: Any, name: str = "<answers>", *, answers_checked: bool = False
) -> Session:
    """A session from its answers file's JSON; AnswersError lists every problem.

    ``answers_checked``: the answers of a session the vault recorded (or corrected), checked
    then against their questionnaires and kept since under its authenticated encryption: the
    file's shape is checked again (format, kind, client, setting, date, which questionnaires,
    hand-offs), the answers are taken as they were checked. Checking them again is most of the
    cost of reading a session back (about 1.6 ms of 2 on a client's page) and finds nothing
    new: a record changed since does not open (kindcheck.store names it damaged).
    """
    problems = problem = _Problems(name)

    if not isinstance(data, dict):
        raise AnswersError([f"{name}: expected a JSON object at the top"])
    known = {
        "format",
        "format_version",
        "kind",
        "client",
        "setting",
        "date",
        "questionnaires",
        "handoffs",
    }
    for key in sorted(set(data) - known):
        problem(key, "unknown field" + _hint(key, known))
    if data.get("format") != FORMAT_NAME:
        problem("format", f'expected "{FORMAT_NAME}"')
    version = data.get("format_version")
    if version not in FORMAT_VERSIONS or isinstance(version, bool):
        problem("format_version", "expected " + " or ".join(str(v) for v in FORMAT_VERSIONS))
        version = None
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
    parts = _parts(
        data.get("questionnaires"), setting, kind, problem, session_date, answers_checked
    )
    if not answers_checked:
        _check_required_parts(kind, parts, setting, problem)
    handoffs: tuple[HandoffRecord, ...] = ()
    if parts:
        expected = format_version_for(part.questionnaire for part in parts.values())
        formats = {part.questionnaire.format for part in parts.values()}
        if len(formats) > 1:
            keys = " and ".join(part.questionnaire.key for part in parts.values())
            problem("questionnaires", f"{keys} do not go together (one session, one generation)")
        elif version is not None and version != expected:
            generation = "format-2" if expected == 2 else "format-1"
            problem(
                "format_version",
                f"expected {expected}: the questionnaires are {generation} questionnaires "
                "(one session, one generation)",
            )
        if "handoffs" in data:
            main = parts.get(KINDCHECK if kind == "intake" else FOLLOWUP)
            catalog = main.questionnaire.catalog if main is not None else None
            if expected != 2 or catalog is None:
                problem("handoffs", "hand-offs are recorded in format_version 2 sessions only")
            else:
                handoffs = _handoffs(data["handoffs"], catalog, problem)
    if problems:
        raise problems.error()
    return Session(
        kind=kind,
        client_reference=reference,
        setting=setting,
        session_date=session_date or date.today(),
        parts=parts,
        client_name=client_name,
        handoffs=handoffs,
    )


def _handoffs(items: Any, catalog: Catalog, problem: Problem) -> tuple[HandoffRecord, ...]:
    if not isinstance(items, list):
        problem("handoffs", "expected a list of hand-offs")
        return ()
    known = {"option", "organisation", "consent_asked", "consent_given", "contact", "contact_on"}
    records: list[HandoffRecord] = []
    for index, item in enumerate(items):
        where = f"handoffs[{index}]"
        if not isinstance(item, dict):
            problem(where, "expected an object with option, consent and contact")
            continue
        bad = len(records)
        for key in sorted(set(item) - known):
            problem(f"{where}.{key}", "unknown field" + _hint(key, known))
        option = item.get("option")
        if not isinstance(option, str) or not catalog.has_handoff(option):
            ids = ", ".join(h.id for h in catalog.handoffs)
            problem(f"{where}.option", f"expected a hand-off of {catalog.key} ({ids})")
        organisation = item.get("organisation")
        if organisation is not None and (
            not isinstance(organisation, str) or len(organisation) > MAX_ORGANISATION
        ):
            problem(
                f"{where}.organisation", f"expected a text of at most {MAX_ORGANISATION} characters"
            )
        flags: dict[str, bool] = {}
        for key in ("consent_asked", "consent_given"):
            value = item.get(key)
            if not isinstance(value, bool):
                problem(f"{where}.{key}", "expected true or false")
            flags[key] = value is True
        if flags["consent_given"] and not flags["consent_asked"]:
            problem(f"{where}.consent_given", "consent can only be given when it was asked")
        contact = item.get("contact")
        if contact not in HANDOFF_CONTACTS:
            problem(f"{where}.contact", "expected one of " + ", ".join(HANDOFF_CONTACTS))
        elif contact != "not_yet" and not flags["consent_given"]:
            problem(
                f"{where}.contact",
                'without consent given the contact can only be "not_yet"',
            )
        contact_on = None
        if contact != "not_yet":
            contact_on = _date(item.get("contact_on"), f"{where}.contact_on", problem)
        elif item.get("contact_on") is not None:
            problem(f"{where}.contact_on", 'no date when the contact is "not_yet"')
        if len(records) == bad and isinstance(option, str) and contact in HANDOFF_CONTACTS:
            records.append(
                HandoffRecord(
                    option=option,
                    consent_asked=flags["consent_asked"],
                    consent_given=flags["consent_given"],
                    contact=str(contact),
                    contact_on=contact_on,
                    organisation=(clean_text(organisation).strip() or None)
                    if isinstance(organisation, str)
                    else None,
                )
            )
    return tuple(records)


def event_from_dict(data: Any, name: str = "<event>") -> EventRecord:
    """Validate an event file; the event must be one of the newest catalog's."""
    problems: list[str] = []

    def problem(where: str, message: str) -> None:
        problems.append(f"{name}: {where}: {message}")

    if not isinstance(data, dict):
        raise AnswersError([f"{name}: expected a JSON object at the top"])
    known = {"format", "format_version", "client", "event", "date"}
    for key in sorted(set(data) - known):
        problem(key, "unknown field" + _hint(key, known))
    if data.get("format") != EVENT_FORMAT_NAME:
        problem("format", f'expected "{EVENT_FORMAT_NAME}"')
    if data.get("format_version") != EVENT_FORMAT_VERSION:
        problem("format_version", f"expected {EVENT_FORMAT_VERSION}")
    reference, _name = _client(data.get("client"), problem)
    on = _date(data.get("date"), "date", problem)
    catalog = load_shipped(KINDCHECK).catalog
    event = data.get("event")
    if catalog is None or not isinstance(event, str) or not catalog.has_event(event):
        ids = ", ".join(e.id for e in catalog.events) if catalog else ""
        problem("event", f"expected one of {ids}")
    if problems or on is None or not isinstance(event, str):
        raise AnswersError(problems)
    return EventRecord(reference, event, on)


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


def _parts(
    items: Any,
    setting: str,
    kind: str,
    problems: _Problems,
    session_date: date | None,
    answers_checked: bool = False,
) -> dict[str, Part]:
    """Each questionnaire's answers, checked; the main questionnaire first, so that the scan's
    ``same_as`` answers can be compared with (or taken from) it. A child whose age and birth
    date disagree (or who is born after the session) is a problem too (kindcheck.child_dates).
    ``answers_checked``: the answers are taken as they are (see :func:`session_from_dict`)."""
    problem: Problem = problems
    parts: dict[str, Part] = {}
    if not isinstance(items, list) or not items:
        problem("questionnaires", "expected a list of questionnaires with their answers")
        return parts
    raw_parts: dict[str, tuple[Questionnaire, dict[str, Any], str]] = {}
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
        raw_parts[questionnaire_id] = (questionnaire, answers, f"{where}.answers")
    if answers_checked:
        return {
            key: Part(questionnaire, answers)
            for key, (questionnaire, answers, _) in raw_parts.items()
        }
    main_id = KINDCHECK if kind == "intake" else FOLLOWUP
    main_visible: Answers | None = None
    main_key: str | None = None
    for questionnaire_id in sorted(raw_parts, key=lambda key: key != main_id):
        questionnaire, answers, where = raw_parts[questionnaire_id]
        main_answers = main_visible if questionnaire.is_scan else None
        checked = check_answers(
            questionnaire, answers, setting, where, problem, main_answers, main_key
        )
        parts[questionnaire_id] = Part(questionnaire, checked)
        if session_date is not None:
            for found in child_date_problems(questionnaire, checked, session_date):
                place = f"{where}.{found.group}[{found.item}]"
                problems.localized(place, found.message)
        if questionnaire_id == main_id and questionnaire.format == 2:
            main_visible = parts[questionnaire_id].walker(setting).visible_answers()
            main_key = questionnaire.key
    # Keep the file's order (the main questionnaire first in every shipped example).
    return {key: parts[key] for key in raw_parts if key in parts}


def check_answers(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    setting: str,
    where: str,
    problem: Problem,
    main_answers: Answers | None = None,
    main_key: str | None = None,
) -> Answers:
    """Check every answer's question and value, then that every shown required one is there.

    With ``main_answers`` (a format-2 scan), a ``same_as`` answer must equal the main
    questionnaire's answer and is filled in from it when missing."""
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
    walker = Walker(questionnaire, {"setting": setting}, checked, main_answers)
    for step, value in walker.taken_from_main():
        own = checked.get(step.question.id)
        if own is not None and own != value:
            problem(
                f"{where}.{step.question.id}",
                f"differs from the answer to {step.question.same_as} in {main_key}",
            )
        checked[step.question.id] = value
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
    return closes_kindcheck(part.questionnaire, part.walker(setting).visible_answers())


def closes_kindcheck(questionnaire: Questionnaire, visible: Mapping[str, Any]) -> bool:
    """Whether these visible answers of the Kindcheck close it (see :func:`kindcheck_closed`)."""

    def role_value(role: str) -> object:
        question = questionnaire.by_role(role)
        return visible.get(question.id) if question else None

    return role_value("has_children") == "no" and role_value("pregnancy") == "no"
