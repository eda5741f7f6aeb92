"""Questionnaires as data: load and validate a TOML file, then walk it.

The file format is described in questionnaires/FORMAT.md. Loading validates the whole file and
raises one :class:`QuestionnaireError` listing every problem, each with file, question id and
line, so an author fixes them all in one go. Everything here is plain data and pure functions.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kindcheck.conditions import Node, parse_condition, truthy
from kindcheck.errors import AnswersError, ConditionError, QuestionnaireError

LANGUAGES = ("nl", "en")
QUESTION_TYPES = ("yesno", "choice", "multi", "number", "date", "text", "longtext")
YESNO_VALUES = ("yes", "no", "unknown")
SETTINGS = ("ggz", "sociaal_domein")
CONTEXT_NAMES = frozenset({"setting"})
ROLES = frozenset(
    {
        "has_children",
        "child_count",
        "pregnancy",
        "pregnancy_due_date",
        "child_age",
        "child_birth_date",
        "child_living",
        "child_shared_care",
    }
)
TEXT_LIMITS = {"text": 200, "longtext": 5000}
NUMBER_LIMIT = 10**6
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FILE_FORMAT = 1


@dataclass(frozen=True)
class Localized:
    """A text in Dutch and English."""

    nl: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


@dataclass(frozen=True)
class Option:
    id: str
    text: Localized


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Localized
    help: Localized
    source: str
    line: int
    required: bool = True
    show_if: Node | None = None
    show_if_source: str | None = None
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    repeat: str | None = None
    domain: str | None = None
    problem_answers: tuple[str, ...] = ()
    signal: str | None = None
    signal_answers: tuple[str, ...] = ()
    prefill_if: Node | None = None
    prefill: Any = None
    role: str | None = None

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)

    def answer_label(self, value: Any, lang: str) -> str:
        """The answer as a person reads it, in the given language."""
        from kindcheck.i18n import t

        if value is None:
            return t("answer.none", lang)
        if self.type == "yesno":
            return t(f"answer.{value}", lang)
        if self.type == "choice":
            option = self.option(value)
            return option.text.get(lang) if option else str(value)
        if self.type == "multi":
            labels = [_option_text(self, option_id, lang) for option_id in value]
            return ", ".join(labels) if labels else t("answer.none_selected", lang)
        return str(value)

    def is_problem(self, value: Any) -> bool:
        return _matches(value, self.problem_answers)

    def raises_signal(self, value: Any) -> bool:
        return _matches(value, self.signal_answers)


def _option_text(question: Question, option_id: str, lang: str) -> str:
    option = question.option(option_id)
    return option.text.get(lang) if option else option_id


def _matches(value: Any, wanted: tuple[str, ...]) -> bool:
    if not wanted or value is None:
        return False
    if isinstance(value, list):
        return any(item in wanted for item in value)
    return value in wanted


@dataclass(frozen=True)
class Repeat:
    id: str
    count_from: str
    label: Localized
    line: int


@dataclass(frozen=True)
class Domain:
    id: str
    name: Localized
    advice: Localized
    line: int


@dataclass(frozen=True)
class Signal:
    id: str
    name: Localized
    line: int


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: Localized
    intro: Localized | None
    sources: tuple[str, ...]
    questions: tuple[Question, ...]
    repeats: tuple[Repeat, ...] = ()
    domains: tuple[Domain, ...] = ()
    signals: tuple[Signal, ...] = ()
    stacking_threshold: int = 3
    path: str = ""
    _index: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({question.id: question for question in self.questions})

    def question(self, question_id: str) -> Question:
        return self._index[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    def by_role(self, role: str) -> Question | None:
        return next((q for q in self.questions if q.role == role), None)

    def repeat(self, repeat_id: str) -> Repeat:
        return next(r for r in self.repeats if r.id == repeat_id)

    def domain(self, domain_id: str) -> Domain:
        return next(d for d in self.domains if d.id == domain_id)

    def signal(self, signal_id: str) -> Signal:
        return next(s for s in self.signals if s.id == signal_id)

    def group_questions(self, repeat_id: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.repeat == repeat_id)

    @property
    def key(self) -> str:
        return f"{self.id}-v{self.version}"


# ---------------------------------------------------------------------------------------------
# Loading


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

    def build_list(self, key: str, lines: list[int], build: Any) -> list[Any]:
        raw_items = self.data.get(key, [])
        if not isinstance(raw_items, list):
            self.add(1, None, f"'{key}' must be a list of tables ([[{key}]])")
            return []
        items = []
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


# ---------------------------------------------------------------------------------------------
# Shipped questionnaires


def questionnaire_dir() -> Path:
    """Where the shipped questionnaire files are, from a source checkout or an installed wheel."""
    return Path(str(resources.files("kindcheck.questionnaires")))


def shipped_files() -> list[Path]:
    return sorted(questionnaire_dir().glob("*-v*.toml"))


@cache
def load_shipped(questionnaire_id: str, version: int | None = None) -> Questionnaire:
    """Load a shipped questionnaire; the newest version unless one is asked for."""
    pattern = re.compile(rf"^{re.escape(questionnaire_id)}-v(\d+)\.toml$")
    found = {int(m.group(1)): path for path in shipped_files() if (m := pattern.match(path.name))}
    if not found:
        raise QuestionnaireError([f"no questionnaire '{questionnaire_id}' is installed"])
    if version is None:
        version = max(found)
    if version not in found:
        versions = ", ".join(str(v) for v in sorted(found))
        raise QuestionnaireError(
            [
                f"questionnaire '{questionnaire_id}' version {version} is not installed "
                f"(installed: {versions})"
            ]
        )
    return load_questionnaire(found[version])


# ---------------------------------------------------------------------------------------------
# Answers: checking one value

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Drop control characters (ESC, CSI, bells, ...) but keep newlines and tabs."""
    text = _CONTROL.sub("", text)
    # Unicode format characters such as bidi overrides can disguise what is shown.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch == "\u200d")


def check_value(question: Question, value: Any) -> Any:
    """Validate one stored answer; return it normalised or raise AnswersError with the reason."""
    problem = _value_problem(question, value)
    if problem:
        raise AnswersError([f"{question.id}: {problem}"])
    if question.type in TEXT_LIMITS:
        return clean_text(value)
    if question.type == "multi":
        return [option.id for option in question.options if option.id in value]
    return value


def _value_problem(question: Question, value: Any) -> str | None:
    kind = question.type
    if kind == "yesno":
        if value not in YESNO_VALUES:
            return f'expected "yes", "no" or "unknown", got {_short(value)}'
    elif kind == "choice":
        ids = [option.id for option in question.options]
        if not isinstance(value, str) or value not in ids:
            return f"expected one of {', '.join(ids)}, got {_short(value)}"
    elif kind == "multi":
        ids = [option.id for option in question.options]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of options ({', '.join(ids)}), got {_short(value)}"
        unknown = [v for v in value if v not in ids]
        if unknown:
            return f"unknown option {_short(unknown[0])}; expected some of {', '.join(ids)}"
        if len(set(value)) != len(value):
            return "an option is chosen twice"
    elif kind == "number":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a whole number, got {_short(value)}"
        low = question.minimum if question.minimum is not None else -NUMBER_LIMIT
        high = question.maximum if question.maximum is not None else NUMBER_LIMIT
        if not low <= value <= high:
            return f"expected a number from {low} to {high}, got {value}"
    elif kind == "date":
        if not isinstance(value, str):
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
        if parsed.isoformat() != value:
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
    elif kind in TEXT_LIMITS:
        if not isinstance(value, str):
            return f"expected a text, got {_short(value)}"
        if len(value) > TEXT_LIMITS[kind]:
            return f"text is longer than {TEXT_LIMITS[kind]} characters"
    return None


def _short(value: Any) -> str:
    """Describe a wrong value without echoing free text (it may hold client data)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"' if _ID.match(value) and len(value) <= 32 else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_USER_YESNO = {
    "y": "yes",
    "yes": "yes",
    "j": "yes",
    "ja": "yes",
    "n": "no",
    "no": "no",
    "nee": "no",
    "?": "unknown",
    "unknown": "unknown",
    "onbekend": "unknown",
    "weet niet": "unknown",
}


def parse_user_input(question: Question, text: str) -> Any:
    """Turn what a person typed into a stored answer (for a prompt or a text field)."""
    stripped = text.strip()
    if question.type == "yesno":
        value: Any = _USER_YESNO.get(stripped.lower(), stripped)
    elif question.type == "number":
        try:
            value = int(stripped)
        except ValueError:
            raise AnswersError([f"{question.id}: expected a whole number"]) from None
    elif question.type == "multi":
        value = [part.strip() for part in stripped.split(",") if part.strip()]
    elif question.type in TEXT_LIMITS:
        value = text
    else:
        value = stripped
    return check_value(question, value)


# ---------------------------------------------------------------------------------------------
# Walking


@dataclass(frozen=True)
class Step:
    """One question to ask: a question, and for a repeat group the item (0-based)."""

    question: Question
    item: int | None = None

    @property
    def key(self) -> str:
        return self.question.id if self.item is None else f"{self.question.id}[{self.item}]"


Answers = dict[str, Any]


class Walker:
    """Walks a questionnaire over a dict of answers (the shape of an answers file).

    Changing an earlier answer never deletes later ones: answers to questions that become
    hidden stay in :attr:`answers` (so going back and forth loses nothing) but count for
    nothing while hidden; :meth:`visible_answers` gives only what is shown.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        context: Mapping[str, Any] | None = None,
        answers: Answers | None = None,
    ) -> None:
        self.questionnaire = questionnaire
        self.context = dict(context or {})
        self.answers: Answers = _deep_copy(answers or {})

    # -- reading ----------------------------------------------------------------------------

    def get(self, step: Step) -> Any:
        if step.item is None:
            return self.answers.get(step.question.id)
        items = self.answers.get(step.question.repeat or "")
        if (
            isinstance(items, list)
            and step.item < len(items)
            and isinstance(items[step.item], dict)
        ):
            return items[step.item].get(step.question.id)
        return None

    def steps(self) -> list[Step]:
        """The visible steps, in order, given the answers so far."""
        return [step for step, _value in self._walk()]

    def _walk(self) -> Iterator[tuple[Step, Any]]:
        visible: dict[str, Any] = {}
        questions = self.questionnaire.questions
        index = 0
        while index < len(questions):
            question = questions[index]
            if question.repeat is None:
                step = Step(question)
                if self._shown(question, visible, None):
                    value = self.get(step)
                    visible[question.id] = value
                    yield step, value
                index += 1
                continue
            group = self.questionnaire.group_questions(question.repeat)
            repeat = self.questionnaire.repeat(question.repeat)
            count = visible.get(repeat.count_from)
            count = count if isinstance(count, int) and not isinstance(count, bool) else 0
            for item in range(max(0, min(count, 100))):
                scope: dict[str, Any] = {}
                for member in group:
                    step = Step(member, item)
                    if self._shown(member, visible, scope):
                        value = self.get(step)
                        scope[member.id] = value
                        yield step, value
            index += len(group)

    def _lookup(self, visible: dict[str, Any], scope: dict[str, Any] | None) -> Any:
        def lookup(name: str) -> Any:
            if scope is not None and name in scope:
                return scope[name]
            if name in visible:
                return visible[name]
            return self.context.get(name)

        return lookup

    def _shown(
        self, question: Question, visible: dict[str, Any], scope: dict[str, Any] | None
    ) -> bool:
        if question.show_if is None:
            return True
        return truthy(question.show_if.evaluate(self._lookup(visible, scope)))

    def prefill(self, step: Step) -> Any:
        """The answer to pre-mark for the clinician to confirm, if the file says so."""
        question = step.question
        if question.prefill_if is None or self.get(step) is not None:
            return None
        visible = {s.question.id: v for s, v in self._walk() if s.item is None}
        if truthy(question.prefill_if.evaluate(self._lookup(visible, None))):
            return question.prefill
        return None

    def first_unanswered(self) -> Step | None:
        """Where to resume: the first visible step without an answer."""
        return next((step for step, value in self._walk() if value is None), None)

    def missing(self) -> list[Step]:
        """Visible required steps that have no answer yet."""
        return [step for step, value in self._walk() if value is None and step.question.required]

    def is_complete(self) -> bool:
        return not self.missing()

    def next_step(self, step: Step | None) -> Step | None:
        """The visible step after ``step`` (the first one for None)."""
        steps = self.steps()
        if step is None:
            return steps[0] if steps else None
        keys = [s.key for s in steps]
        if step.key in keys:
            position = keys.index(step.key) + 1
            return steps[position] if position < len(steps) else None
        return self._after_hidden(step, steps)

    def previous_step(self, step: Step | None) -> Step | None:
        """The visible step before ``step`` (the last one for None)."""
        steps = self.steps()
        if step is None:
            return steps[-1] if steps else None
        keys = [s.key for s in steps]
        if step.key in keys:
            position = keys.index(step.key) - 1
            return steps[position] if position >= 0 else None
        order = self._order(step)
        earlier = [s for s in steps if self._order(s) < order]
        return earlier[-1] if earlier else None

    def _order(self, step: Step) -> tuple[int, int, int]:
        questions = self.questionnaire.questions
        index = questions.index(step.question)
        if step.question.repeat is None:
            return (index, 0, 0)
        first = questions.index(self.questionnaire.group_questions(step.question.repeat)[0])
        return (first, (step.item or 0) + 1, index)

    def _after_hidden(self, step: Step, steps: list[Step]) -> Step | None:
        order = self._order(step)
        later = [s for s in steps if self._order(s) > order]
        return later[0] if later else None

    def visible_answers(self) -> Answers:
        """The answers of visible questions only, in the shape of an answers file."""
        result: Answers = {}
        for step, value in self._walk():
            if value is None:
                continue
            if step.item is None:
                result[step.question.id] = value
            else:
                items = result.setdefault(step.question.repeat or "", [])
                while len(items) <= step.item:
                    items.append({})
                items[step.item][step.question.id] = value
        return result

    # -- writing ----------------------------------------------------------------------------

    def answer(self, step: Step, value: Any) -> Step | None:
        """Validate and store an answer; return the next visible step."""
        checked = check_value(step.question, value)
        self._store(step, checked)
        return self.next_step(step)

    def clear(self, step: Step) -> None:
        self._store(step, None)

    def _store(self, step: Step, value: Any) -> None:
        if step.item is None:
            if value is None:
                self.answers.pop(step.question.id, None)
            else:
                self.answers[step.question.id] = value
            return
        items = self.answers.setdefault(step.question.repeat or "", [])
        if not isinstance(items, list):
            items = []
            self.answers[step.question.repeat or ""] = items
        while len(items) <= step.item:
            items.append({})
        if value is None:
            items[step.item].pop(step.question.id, None)
        else:
            items[step.item][step.question.id] = value


def _deep_copy(answers: Answers) -> Answers:
    copied: Answers = {}
    for key, value in answers.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            copied[key] = [dict(item) for item in value]
        elif isinstance(value, list):
            copied[key] = list(value)
        else:
            copied[key] = value
    return copied
