"""Walking a questionnaire: which question comes next, given the answers so far.

A condition's names are looked up in this order: the same repeat item's answers, the visible
answers so far, the file's derived names (format 2; evaluated when asked, "yes" or "no"), and
the session context (``setting``, and in format 2 ``open_handoffs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kindcheck.conditions import Node, truthy

from .model import Answers, Question, Questionnaire
from .values import check_value


@dataclass(frozen=True)
class Step:
    """One question to ask: a question, and for a repeat group the item (0-based)."""

    question: Question
    item: int | None = None

    @property
    def key(self) -> str:
        return self.question.id if self.item is None else f"{self.question.id}[{self.item}]"


class Walker:
    """Walks a questionnaire over a dict of answers (the shape of an answers file).

    Changing an earlier answer never deletes later ones: answers to questions that become
    hidden stay in :attr:`answers` (so going back and forth loses nothing) but count for
    nothing while hidden; :meth:`visible_answers` gives only what is shown.

    ``main_answers`` (a problem scan of format 2) are the visible answers of the session's main
    questionnaire: a ``same_as`` question whose target was answered there is not asked again
    (it is no step) and takes that answer in :meth:`visible_answers`.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        context: Mapping[str, Any] | None = None,
        answers: Answers | None = None,
        main_answers: Mapping[str, Any] | None = None,
    ) -> None:
        self.questionnaire = questionnaire
        self.context = dict(context or {})
        self.answers: Answers = _deep_copy(answers or {})
        self.main_answers = dict(main_answers) if main_answers is not None else None
        self._derived: dict[str, Node] = {d.id: d.condition for d in questionnaire.derived}
        # Bumped by every answer stored or cleared: the walk below is computed again after it.
        self._version = 0
        self._memo: _WalkMemo | None = None

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
        """The visible steps, in order, given the answers so far (a question answered in the
        main questionnaire through ``same_as`` is not a step)."""
        return [step for step, _value, taken in self._walk_all() if not taken]

    def answered_in_main(self, step: Step) -> Any:
        """The main questionnaire's answer a ``same_as`` question takes, or None."""
        question = step.question
        if question.same_as is None or self.main_answers is None or step.item is not None:
            return None
        return self.main_answers.get(question.same_as)

    def taken_from_main(self) -> list[tuple[Step, Any]]:
        """The visible ``same_as`` steps answered in the main questionnaire, with that answer."""
        return [(step, value) for step, value, taken in self._walk_all() if taken]

    def _walk(self) -> Iterator[tuple[Step, Any]]:
        for step, value, _taken in self._walk_all():
            yield step, value

    def _walk_all(self) -> list[tuple[Step, Any, bool]]:
        """The walk over the answers as they stand: (step, value, taken from main) per visible
        step. Computed once per change of what a walk reads (the answers, the context, the
        main answers) and kept: the screens ask for the steps several times per answer key.

        What the walk read is kept as a copy and compared, besides the answers' version, so an
        answer changed in place from outside (or a context updated in place) is seen too."""
        memo = self._memo
        if memo is not None and memo.holds(self):
            return memo.walk
        walk = list(self._compute_walk())
        self._memo = _WalkMemo(
            self._version,
            self.answers,
            _snapshot(self.answers),
            _snapshot(self.context),
            None if self.main_answers is None else _snapshot(self.main_answers),
            self.questionnaire,
            walk,
        )
        return walk

    def _compute_walk(self) -> Iterator[tuple[Step, Any, bool]]:
        visible: dict[str, Any] = {}
        questions = self.questionnaire.questions
        index = 0
        while index < len(questions):
            question = questions[index]
            if question.repeat is None:
                step = Step(question)
                if self._shown(question, visible, None):
                    taken = self.answered_in_main(step)
                    value = taken if taken is not None else self.get(step)
                    visible[question.id] = value
                    yield step, value, taken is not None
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
                        yield step, value, False
            index += len(group)

    def _lookup(
        self, visible: Mapping[str, Any], scope: dict[str, Any] | None
    ) -> Callable[[str], Any]:
        def top(name: str) -> Any:
            if name in visible:
                return visible[name]
            derived = self._derived.get(name)
            if derived is not None:
                return "yes" if truthy(derived.evaluate(top)) else "no"
            return self.context.get(name)

        def lookup(name: str) -> Any:
            if scope is not None and name in scope:
                return scope[name]
            return top(name)

        return lookup

    def lookup(self) -> Callable[[str], Any]:
        """Names as a condition over the whole walk sees them: the visible answers (outside
        repeat groups), derived names and the context. The catalog's ``requires`` use this."""
        visible = {s.question.id: v for s, v in self._walk() if s.item is None}
        return self._lookup(visible, None)

    def derived_value(self, name: str) -> str | None:
        """A derived name's value ("yes" or "no") over the visible answers; None if unknown."""
        if name not in self._derived:
            return None
        value: str = self.lookup()(name)
        return value

    def _shown(
        self, question: Question, visible: dict[str, Any], scope: dict[str, Any] | None
    ) -> bool:
        if question.show_if is None:
            return True
        return truthy(question.show_if.evaluate(self._lookup(visible, scope)))

    def prefill(self, step: Step) -> Any:
        """The answer to pre-mark for the clinician to confirm, if the file says so (the
        first of its prefills whose condition holds)."""
        rules = step.question.prefill_rules
        if not rules or self.get(step) is not None:
            return None
        visible = {s.question.id: v for s, v in self._walk() if s.item is None}
        lookup = self._lookup(visible, None)
        for rule in rules:
            if truthy(rule.condition.evaluate(lookup)):
                return rule.value
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
        self._version += 1
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


@dataclass(frozen=True)
class _WalkMemo:
    """A walk, and what it was computed from (see :meth:`Walker._walk_all`)."""

    version: int
    answers_object: Answers
    answers: Answers
    context: dict[str, Any]
    main_answers: dict[str, Any] | None
    questionnaire: Questionnaire
    walk: list[tuple[Step, Any, bool]]

    def holds(self, walker: Walker) -> bool:
        """Whether the walk still holds for ``walker`` (nothing it read has changed)."""
        return (
            walker._version == self.version
            and walker.answers is self.answers_object
            and walker.questionnaire is self.questionnaire
            and walker.answers == self.answers
            and walker.context == self.context
            and walker.main_answers == self.main_answers
        )


def _snapshot(value: Any) -> Any:
    """A copy of answers or a context deep enough that changing the original in place
    leaves the copy as it was (answers are JSON-like: dicts, lists and scalars)."""
    if isinstance(value, dict):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    return value


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
