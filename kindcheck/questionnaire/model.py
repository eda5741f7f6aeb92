"""The questionnaire model: plain, frozen data read from one TOML file.

The file format is described in questionnaires/FORMAT.md; :mod:`.loader` builds these values
and checks every reference between them, so code that holds a :class:`Questionnaire` may rely
on them (every ``repeat``, ``domain``, ``signal`` and ``concern`` id a question names exists).

Format 2 adds, on top of format 1: the two help texts (``help_client`` read aloud, ``guidance``
for the clinician), named conditions (:class:`Derived`), concerns and open items on questions,
advice items with conditions (:class:`AdviceItem`), SCP areas on scan indicators and the shared
outcome catalog (:mod:`.catalog`). A format-1 file fills every new field with its default, so
code written for format 1 keeps working (``Question.help`` is ``help_client``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kindcheck.conditions import Node

# Catalog and Signal live in .catalog, Localized in .localized (below the model, so the model
# can name them without an import circle); they are re-exported here.
from .catalog import Catalog as Catalog
from .catalog import Signal as Signal
from .localized import Localized as Localized

LANGUAGES = ("nl", "en")
QUESTION_TYPES = ("yesno", "choice", "multi", "number", "date", "text", "longtext")
YESNO_VALUES = ("yes", "no", "unknown")
SETTINGS = ("ggz", "sociaal_domein")
# The other wordings a format-2 question may have (`text_<wording>`), chosen by whom the
# question speaks of (Wording.text_keys): read aloud, "of straks de baby" to a client who is
# not expecting, or "de kinderen" to a client with only a baby on the way, is wrong.
TEXT_WORDINGS = ("no_baby", "one_no_baby", "baby_only", "no_children")
# Names a format-1 condition may use besides questions.
CONTEXT_NAMES = frozenset({"setting"})
# Names a format-2 question condition, derived condition or `requires` may use besides
# questions and derived names: the session context.
SESSION_CONTEXT_NAMES = frozenset({"setting", "open_handoffs"})
# Names an advice or hand-off condition (`only_if`, `not_if`, `offer_if`) may use.
OUTCOME_CONTEXT_NAMES = frozenset(
    {
        "setting",
        "signals",
        "concerns",
        "domains",
        "domain_count",
        "flag",
        "minors",
        "pregnancy",
        "meldcode_open",
    }
)
REASK_VALUES = ("next_contact",)
NO_SCP_AREA = "none"
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
class Option:
    id: str
    text: Localized
    exclusive: bool = False  # format 2, multi only: cannot be chosen with another option


@dataclass(frozen=True)
class Prefill:
    """An answer to pre-mark for the clinician to confirm, when ``condition`` holds."""

    condition: Node
    value: Any


@dataclass(frozen=True)
class Section:
    """A part of a questionnaire, from question ``first`` up to the next section: the app
    counts its progress per section ("Kindcheck · Veiligheid · 3/8"). A section that starts
    in a repeat group is counted per item ("Kind 1 · 2/7")."""

    id: str
    title: Localized
    first: str
    line: int


@dataclass(frozen=True)
class Wording:
    """Whom the questions speak of, as far as the answers so far tell.

    ``children`` is the number of minor children (None while not known), ``expecting`` whether
    a baby is on the way (None while not answered, or "don't know": a pregnancy not confirmed
    is not named to the client), ``no_children`` that the client said there are none.
    """

    children: int | None = None
    expecting: bool | None = None
    no_children: bool = False

    def text_keys(self) -> tuple[str, ...]:
        """The wordings to try, most specific first; the question's ``text`` comes after."""
        baby = self.expecting is True
        if self.children == 1:
            return ("one",) if baby else ("one_no_baby", "one")
        if self.no_children:
            return ("baby_only",) if baby else ("no_children",)
        # children, or their number not known yet ("don't know" counts as maybe)
        return () if baby else ("no_baby",)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Localized
    help_client: Localized  # read aloud when the client asks why (format 1: `help`)
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
    # format 2
    guidance: Localized | None = None  # for the clinician only, never read aloud
    concern: str | None = None
    concern_answers: tuple[str, ...] = ()
    open_answers: tuple[str, ...] = ()
    open_item: Localized | None = None
    reask: str | None = None  # "next_contact"
    same_as: str | None = None  # a question id of the session's main questionnaire
    scp_area: str | None = None  # scan indicators: an SCP area or "none"
    records_events: bool = False  # the TOML key `events`
    included_from: str | None = None  # "kindcheck-v2" when taken over with `from`
    # said of one child: "dit kind" where the text says "de kinderen" (presentation only)
    text_one: Localized | None = None
    help_one: Localized | None = None
    # the other wordings by whom the question speaks of (TEXT_WORDINGS; presentation only)
    text_wordings: tuple[tuple[str, Localized], ...] = ()
    prefills: tuple[Prefill, ...] = ()  # the list form of `prefill`, first match wins

    def text_for(self, lang: str, wording: Wording | None = None) -> str:
        """The question as asked to this client: of one child when there is exactly one, without
        the baby when none is on the way, of the baby alone when there are no children."""
        for key in wording.text_keys() if wording is not None else ():
            text = self.text_one if key == "one" else dict(self.text_wordings).get(key)
            if text is not None:
                return text.get(lang)
        return self.text.get(lang)

    def worded(self, wording: Wording | None) -> Localized:
        """The question as asked to this client, in both languages (for the record)."""
        return Localized(self.text_for("nl", wording), self.text_for("en", wording))

    def help_for(self, lang: str, wording: Wording | None = None) -> str:
        """The "why we ask" text, of one child when there is exactly one."""
        if wording is not None and wording.children == 1 and self.help_one is not None:
            return self.help_one.get(lang)
        return self.help_client.get(lang)

    @property
    def prefill_rules(self) -> tuple[Prefill, ...]:
        """Every prefill of the question in order: ``prefill_if``/``prefill``, then the list."""
        single = (Prefill(self.prefill_if, self.prefill),) if self.prefill_if is not None else ()
        return single + self.prefills

    @property
    def help(self) -> Localized:
        """The "why we ask" text (format 1's name for ``help_client``)."""
        return self.help_client

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

    def raises_concern(self, value: Any) -> bool:
        return _matches(value, self.concern_answers)

    def opens_item(self, value: Any) -> bool:
        return _matches(value, self.open_answers)


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
class AdviceItem:
    """One piece of advice for a counted domain, shown when its conditions allow it.

    ``only_if`` and ``not_if`` are read over the outcome context (FORMAT.md, "Two kinds of
    conditions"). A format-1 domain has one item, ``advice``, without conditions.
    """

    id: str
    text: Localized
    only_if: Node | None = None
    not_if: Node | None = None


@dataclass(frozen=True)
class Domain:
    id: str
    name: Localized
    advice: tuple[AdviceItem, ...]  # format 1: one item "advice" without conditions
    line: int


@dataclass(frozen=True)
class Derived:
    """A named condition (format 2): its value is "yes" or "no"."""

    id: str
    condition: Node
    line: int


@dataclass(frozen=True)
class ScanCompat:
    """How version-1 scan answers count under these rules (``[compat.v1]``, for the export)."""

    counts: frozenset[str]
    dropped: frozenset[str]
    scp_area: dict[str, str] = field(default_factory=dict, compare=False)


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
    # format 2
    format: int = 1
    catalog: Catalog | None = field(default=None, repr=False, compare=False)
    derived: tuple[Derived, ...] = ()
    scp_areas: tuple[str, ...] = ()
    compat_v1: ScanCompat | None = None
    # both formats
    context_from: tuple[tuple[str, tuple[str, ...]], ...] = ()  # questionnaire id -> names
    sections: tuple[Section, ...] = ()
    _index: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({question.id: question for question in self.questions})

    def question(self, question_id: str) -> Question:
        return self._index[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    def context_names(self) -> frozenset[str]:
        """The names of other questionnaires' answers a prefill condition may use."""
        return frozenset(name for _key, names in self.context_from for name in names)

    def section_of(self, question_id: str) -> Section | None:
        """The section a question stands in (None without sections)."""
        order = [q.id for q in self.questions]
        found: Section | None = None
        for section in self.sections:
            if section.first in order and order.index(section.first) <= order.index(question_id):
                found = section
        return found

    def by_role(self, role: str) -> Question | None:
        return next((q for q in self.questions if q.role == role), None)

    def wording(self, answers: Mapping[str, Any]) -> Wording:
        """Whom the questions speak of (Question.text_for), from this questionnaire's answers
        so far: one child makes "de kinderen" "het kind"; the baby is named only when the
        client said one is on the way; a pregnancy alone is spoken of as the baby."""
        counter = self.by_role("child_count")
        count = answers.get(counter.id) if counter is not None else None
        known = isinstance(count, int) and not isinstance(count, bool) and count > 0
        pregnancy = self.by_role("pregnancy")
        expecting = answers.get(pregnancy.id) if pregnancy is not None else None
        minors = self.by_role("has_children")
        return Wording(
            children=count if known else None,
            expecting={"yes": True, "no": False}.get(expecting)
            if isinstance(expecting, str)
            else None,
            no_children=minors is not None and answers.get(minors.id) == "no",
        )

    def repeat(self, repeat_id: str) -> Repeat:
        return next(r for r in self.repeats if r.id == repeat_id)

    def domain(self, domain_id: str) -> Domain:
        return next(d for d in self.domains if d.id == domain_id)

    def signal(self, signal_id: str) -> Signal:
        """A signal by id: the questionnaire's own (format 1) or its catalog's (format 2)."""
        if self.catalog is not None:
            return self.catalog.signal(signal_id)
        return next(s for s in self.signals if s.id == signal_id)

    def group_questions(self, repeat_id: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.repeat == repeat_id)

    def derived_condition(self, name: str) -> Node | None:
        return next((d.condition for d in self.derived if d.id == name), None)

    @property
    def is_scan(self) -> bool:
        """A problem scan (it has domains); otherwise a main questionnaire of a session."""
        return bool(self.domains)

    @property
    def key(self) -> str:
        return f"{self.id}-v{self.version}"
