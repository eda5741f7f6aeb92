"""The questionnaire model: plain, frozen data read from one TOML file.

The file format is described in questionnaires/FORMAT.md; :mod:`.loader` builds these values
and checks every reference between them, so code that holds a :class:`Questionnaire` may rely
on them (every ``repeat``, ``domain`` and ``signal`` id a question names exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kindcheck.conditions import Node

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
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

# The shape of an answers file: question id -> answer, repeat group id -> list of items.
Answers = dict[str, Any]


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
