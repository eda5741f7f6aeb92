"""Loading a questionnaire file: parse the TOML, validate the whole of it, build the model.

Loading raises one :class:`~kindcheck.errors.QuestionnaireError` listing every problem, each
with file, question id and line, so an author fixes them all in one go.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kindcheck.conditions import Node, parse_condition
from kindcheck.errors import ConditionError, QuestionnaireError

from .model import (
    _ID,
    CONTEXT_NAMES,
    LANGUAGES,
    QUESTION_TYPES,
    ROLES,
    YESNO_VALUES,
    Domain,
    Localized,
    Option,
    Question,
    Questionnaire,
    Repeat,
    Signal,
)

_FILE_FORMAT = 1
_Item = TypeVar("_Item", Repeat, Domain, Signal)


class _Problems:
    """Collects problems so that a file's author sees all of them at once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int | None, where: str | None, message: str) -> None:
        location = self.path if line is None else f"{self.path}:{line}"
        subject = f" [{where}]" if where else ""
        self.items.append(f"{location}{subject}: {message}")


def _table_lines(source: str, table: str) -> list[int]:
    """The line numbers (1-based) of each ``[[table]]`` header, in order."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [number for number, line in enumerate(source.splitlines(), 1) if header.match(line)]


def _line_of(lines: list[int], index: int) -> int:
    return lines[index] if index < len(lines) else 1


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate one questionnaire file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError([f"{name}: file not found"]) from None
    except UnicodeDecodeError:
        raise QuestionnaireError([f"{name}: not a UTF-8 text file"]) from None
    except OSError as error:
        raise QuestionnaireError([f"{name}: cannot be read ({error.strerror})"]) from None
    return parse_questionnaire(source, name)


def parse_questionnaire(source: str, name: str = "<questionnaire>") -> Questionnaire:
    """Validate questionnaire TOML text; ``name`` is used in the messages."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError([f"{name}: not valid TOML: {error}"]) from None
    problems = _Problems(name)
    builder = _Builder(data, source, problems)
    questionnaire = builder.build()
    if problems.items or questionnaire is None:
        raise QuestionnaireError(problems.items)
    return questionnaire


class _Builder:
    def __init__(self, data: dict[str, Any], source: str, problems: _Problems) -> None:
        self.data = data
        self.problems = problems
        self.question_lines = _table_lines(source, "questions")
        self.repeat_lines = _table_lines(source, "repeats")
        self.domain_lines = _table_lines(source, "domains")
        self.signal_lines = _table_lines(source, "signals")

    def add(self, line: int | None, where: str | None, message: str) -> None:
        self.problems.add(line, where, message)

    def localized(self, value: Any, line: int | None, where: str | None, key: str) -> Localized:
        if not isinstance(value, dict):
            self.add(line, where, f"'{key}' must be a table with 'nl' and 'en' texts")
            return Localized("", "")
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                language = "Dutch" if lang == "nl" else "English"
                self.add(line, where, f"missing {language} text for '{key}' ('{key}.{lang}')")
                texts[lang] = ""
            else:
                texts[lang] = text
        return Localized(texts["nl"], texts["en"])

    def build(self) -> Questionnaire | None:
        data = self.data
        if data.get("format") != _FILE_FORMAT:
            self.add(1, None, f"'format' must be {_FILE_FORMAT}")
        questionnaire_id = data.get("id")
        if not isinstance(questionnaire_id, str) or not _ID.match(questionnaire_id):
            self.add(1, None, "'id' must be a lower-case identifier such as \"kindcheck\"")
            questionnaire_id = ""
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.add(1, None, "'version' must be a whole number of at least 1")
            version = 0
        title = self.localized(data.get("title"), 1, None, "title")
        intro = self.localized(data["intro"], 1, None, "intro") if "intro" in data else None
        sources = data.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.add(1, None, "'sources' must be a list of texts")
            sources = []
        known = {
            "format",
            "id",
            "version",
            "title",
            "intro",
            "sources",
            "questions",
            "repeats",
            "domains",
            "signals",
            "outcome",
        }
        for key in sorted(set(data) - known):
            self.add(1, None, f"unknown top-level key '{key}'")

        threshold = 3
        outcome = data.get("outcome", {})
        if not isinstance(outcome, dict):
            self.add(1, None, "'outcome' must be a table")
        elif "stacking_threshold" in outcome:
            threshold = outcome["stacking_threshold"]
            if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
                self.add(1, "outcome", "'stacking_threshold' must be a whole number of at least 1")
                threshold = 3

        repeats = self.build_list("repeats", self.repeat_lines, self.build_repeat)
        domains = self.build_list("domains", self.domain_lines, self.build_domain)
        signals = self.build_list("signals", self.signal_lines, self.build_signal)
        raw_questions = data.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            self.add(1, None, "there are no [[questions]]")
            raw_questions = []
        questions: list[Question] = []
        for index, raw in enumerate(raw_questions):
            line = _line_of(self.question_lines, index)
            if not isinstance(raw, dict):
                self.add(line, None, "a question must be a table")
                continue
            question = self.build_question(raw, line)
            if question is not None:
                questions.append(question)
        self.check_ids(questions, repeats, domains, signals)
        self.check_references(questions, repeats, domains, signals)
        if not isinstance(questionnaire_id, str) or not isinstance(version, int):
            return None
        return Questionnaire(
            id=questionnaire_id,
            version=version,
            title=title,
            intro=intro,
            sources=tuple(sources),
            questions=tuple(questions),
            repeats=tuple(repeats),
            domains=tuple(domains),
            signals=tuple(signals),
            stacking_threshold=threshold,
            path=self.problems.path,
        )

    def build_list(
        self, key: str, lines: list[int], build: Callable[[dict[str, Any], int, str], _Item]
    ) -> list[_Item]:
        raw_items = self.data.get(key, [])
        if not isinstance(raw_items, list):
            self.add(1, None, f"'{key}' must be a list of tables ([[{key}]])")
            return []
        items: list[_Item] = []
        for index, raw in enumerate(raw_items):
            line = _line_of(lines, index)
            if not isinstance(raw, dict):
                self.add(line, None, f"each of [[{key}]] must be a table")
                continue
            item_id = raw.get("id")
            if not isinstance(item_id, str) or not _ID.match(item_id):
                self.add(line, None, f"[[{key}]] needs an 'id' that is a lower-case identifier")
                continue
            items.append(build(raw, line, item_id))
        return items

    def build_repeat(self, raw: dict[str, Any], line: int, repeat_id: str) -> Repeat:
        count_from = raw.get("count_from")
        if not isinstance(count_from, str):
            self.add(line, repeat_id, "'count_from' must name a number question")
            count_from = ""
        return Repeat(
            repeat_id, count_from, self.localized(raw.get("label"), line, repeat_id, "label"), line
        )

    def build_domain(self, raw: dict[str, Any], line: int, domain_id: str) -> Domain:
        return Domain(
            domain_id,
            self.localized(raw.get("name"), line, domain_id, "name"),
            self.localized(raw.get("advice"), line, domain_id, "advice"),
            line,
        )

    def build_signal(self, raw: dict[str, Any], line: int, signal_id: str) -> Signal:
        return Signal(signal_id, self.localized(raw.get("name"), line, signal_id, "name"), line)

    def condition(self, raw: Any, line: int, where: str, key: str) -> Node | None:
        if raw is None:
            return None
        try:
            return parse_condition(raw)
        except ConditionError as error:
            self.add(line, where, f"'{key}' cannot be read: {error}")
            return None

    def build_question(self, raw: dict[str, Any], line: int) -> Question | None:
        question_id = raw.get("id")
        if not isinstance(question_id, str) or not _ID.match(question_id):
            self.add(line, None, "a question needs an 'id' that is a lower-case identifier")
            return None
        where = question_id
        known_keys = {
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
        }
        for key in sorted(set(raw) - known_keys):
            close = difflib.get_close_matches(key, known_keys, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add(line, where, f"unknown key '{key}'{hint}")
        question_type = raw.get("type")
        if question_type not in QUESTION_TYPES:
            self.add(
                line,
                where,
                f"unknown type {question_type!r}; expected one of " + ", ".join(QUESTION_TYPES),
            )
            question_type = "text"
        text = self.localized(raw.get("text"), line, where, "text")
        help_text = self.localized(raw.get("help"), line, where, "help")
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            self.add(line, where, "'source' must say what the question rests on")
            source = ""
        required = raw.get("required", True)
        if not isinstance(required, bool):
            self.add(line, where, "'required' must be true or false")
            required = True
        options = self.build_options(raw, line, where, question_type)
        minimum, maximum = self.bounds(raw, line, where, question_type)
        role = raw.get("role")
        if role is not None and role not in ROLES:
            self.add(line, where, f"unknown role {role!r}")
            role = None
        values = _allowed_values(question_type, options)
        problem_answers = self.answer_list(raw, "problem_answers", line, where, values)
        signal_answers = self.answer_list(raw, "signal_answers", line, where, values)
        prefill = raw.get("prefill")
        if prefill is not None and values is not None and prefill not in values:
            self.add(line, where, f"'prefill' {prefill!r} is not an answer of this question")
        if ("prefill" in raw) != ("prefill_if" in raw):
            self.add(line, where, "'prefill' and 'prefill_if' go together")
        for key in ("repeat", "domain", "signal"):
            if key in raw and not isinstance(raw[key], str):
                self.add(line, where, f"'{key}' must be an id")
        return Question(
            id=question_id,
            type=question_type,
            text=text,
            help=help_text,
            source=source,
            line=line,
            required=required,
            show_if=self.condition(raw.get("show_if"), line, where, "show_if"),
            show_if_source=raw.get("show_if") if isinstance(raw.get("show_if"), str) else None,
            options=options,
            minimum=minimum,
            maximum=maximum,
            repeat=raw.get("repeat") if isinstance(raw.get("repeat"), str) else None,
            domain=raw.get("domain") if isinstance(raw.get("domain"), str) else None,
            problem_answers=problem_answers,
            signal=raw.get("signal") if isinstance(raw.get("signal"), str) else None,
            signal_answers=signal_answers,
            prefill_if=self.condition(raw.get("prefill_if"), line, where, "prefill_if"),
            prefill=prefill,
            role=role,
        )

    def build_options(
        self, raw: dict[str, Any], line: int, where: str, question_type: str
    ) -> tuple[Option, ...]:
        raw_options = raw.get("options")
        if question_type not in ("choice", "multi"):
            if raw_options is not None:
                self.add(line, where, f"a {question_type} question has no 'options'")
            return ()
        if not isinstance(raw_options, list) or not raw_options:
            self.add(line, where, f"a {question_type} question needs 'options'")
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for raw_option in raw_options:
            option_id = raw_option.get("id") if isinstance(raw_option, dict) else None
            if not isinstance(option_id, str) or not _ID.match(option_id):
                self.add(line, where, "each option needs an 'id' that is a lower-case identifier")
                continue
            if option_id in seen:
                self.add(line, where, f"duplicate option id '{option_id}'")
            seen.add(option_id)
            options.append(
                Option(option_id, self.localized(raw_option, line, where, f"option {option_id}"))
            )
        return tuple(options)

    def bounds(
        self, raw: dict[str, Any], line: int, where: str, question_type: str
    ) -> tuple[int | None, int | None]:
        result: list[int | None] = []
        for key in ("min", "max"):
            value = raw.get(key)
            if value is not None and question_type != "number":
                self.add(line, where, f"'{key}' applies to number questions only")
                value = None
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                self.add(line, where, f"'{key}' must be a whole number")
                value = None
            result.append(value)
        minimum, maximum = result
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add(line, where, "'min' is larger than 'max'")
        return minimum, maximum

    def answer_list(
        self, raw: dict[str, Any], key: str, line: int, where: str, values: tuple[str, ...] | None
    ) -> tuple[str, ...]:
        answers = raw.get(key, [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            self.add(line, where, f"'{key}' must be a list of answers")
            return ()
        if values is None and answers:
            self.add(line, where, f"'{key}' needs a yesno, choice or multi question")
            return ()
        for answer in answers:
            if values is not None and answer not in values:
                self.add(
                    line,
                    where,
                    f"'{key}' names {answer!r}, which is not an answer of this question",
                )
        return tuple(answers)

    def check_ids(
        self,
        questions: list[Question],
        repeats: list[Repeat],
        domains: list[Domain],
        signals: list[Signal],
    ) -> None:
        for kind, items in (
            ("question", questions),
            ("repeat", repeats),
            ("domain", domains),
            ("signal", signals),
        ):
            seen: dict[str, int] = {}
            for item in items:
                if item.id in seen:
                    self.add(
                        item.line,
                        item.id,
                        f"duplicate {kind} id (first defined at line {seen[item.id]})",
                    )
                else:
                    seen[item.id] = item.line
        question_ids = {q.id for q in questions}
        for repeat in repeats:
            if repeat.id in question_ids:
                self.add(repeat.line, repeat.id, "a repeat group has the id of a question")
        roles: dict[str, str] = {}
        for question in questions:
            if question.role:
                if question.role in roles:
                    self.add(
                        question.line,
                        question.id,
                        f"role '{question.role}' is already held by '{roles[question.role]}'",
                    )
                roles[question.role] = question.id

    def check_references(
        self,
        questions: list[Question],
        repeats: list[Repeat],
        domains: list[Domain],
        signals: list[Signal],
    ) -> None:
        position = {q.id: index for index, q in enumerate(questions)}
        by_id = {q.id: q for q in questions}
        repeat_ids = {r.id: r for r in repeats}
        domain_ids = {d.id for d in domains}
        signal_ids = {s.id for s in signals}
        for index, question in enumerate(questions):
            for key, node in (("show_if", question.show_if), ("prefill_if", question.prefill_if)):
                if node is None:
                    continue
                for name in sorted(node.names()):
                    if name in CONTEXT_NAMES:
                        continue
                    if name not in position:
                        close = difflib.get_close_matches(name, list(position), n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names unknown question '{name}'{hint}",
                        )
                    elif position[name] >= index:
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names '{name}', which comes later (a condition can "
                            "only look back)",
                        )
                    elif by_id[name].repeat and by_id[name].repeat != question.repeat:
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names '{name}', which is asked per item of repeat "
                            f"group '{by_id[name].repeat}'",
                        )
            if question.repeat is not None and question.repeat not in repeat_ids:
                self.add(question.line, question.id, f"unknown repeat group '{question.repeat}'")
            if question.domain is not None:
                if question.domain not in domain_ids:
                    self.add(question.line, question.id, f"unknown domain '{question.domain}'")
                if not question.problem_answers:
                    self.add(
                        question.line,
                        question.id,
                        "an indicator of a domain needs 'problem_answers'",
                    )
            elif question.problem_answers:
                self.add(question.line, question.id, "'problem_answers' without a 'domain'")
            if question.signal is not None:
                if question.signal not in signal_ids:
                    self.add(question.line, question.id, f"unknown signal '{question.signal}'")
                if not question.signal_answers:
                    self.add(question.line, question.id, "a signal question needs 'signal_answers'")
            elif question.signal_answers:
                self.add(question.line, question.id, "'signal_answers' without a 'signal'")
        for domain in domains:
            if not any(q.domain == domain.id for q in questions):
                self.add(domain.line, domain.id, "domain has no indicator questions")
        for signal in signals:
            if not any(q.signal == signal.id for q in questions):
                self.add(signal.line, signal.id, "signal is raised by no question")
        for repeat in repeats:
            members = [position[q.id] for q in questions if q.repeat == repeat.id]
            if not members:
                self.add(repeat.line, repeat.id, "repeat group has no questions")
                continue
            if members != list(range(members[0], members[0] + len(members))):
                self.add(
                    repeat.line, repeat.id, "the questions of a repeat group must stand together"
                )
            counter = by_id.get(repeat.count_from)
            if counter is None:
                self.add(
                    repeat.line,
                    repeat.id,
                    f"'count_from' names unknown question '{repeat.count_from}'",
                )
            elif counter.type != "number" or counter.repeat is not None:
                self.add(
                    repeat.line,
                    repeat.id,
                    "'count_from' must name a number question outside the group",
                )
            elif position[counter.id] >= members[0]:
                self.add(
                    repeat.line,
                    repeat.id,
                    f"'count_from' question '{counter.id}' must come before the group",
                )


def _allowed_values(question_type: str, options: tuple[Option, ...]) -> tuple[str, ...] | None:
    if question_type == "yesno":
        return YESNO_VALUES
    if question_type in ("choice", "multi"):
        return tuple(option.id for option in options)
    return None
