"""The walker keeps its walk between questions about it (the screens ask several times per
key): a kept walk must never be one the answers have moved away from, however they changed.

Each check compares the walker with a fresh one over the same answers, context and main
answers, after answers stored through the walker, changed in place from outside, a context
updated in place, or the main answers replaced.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

from kindcheck.errors import AnswersError
from kindcheck.questionnaire import YESNO_VALUES, Step, Walker, load_shipped


def _same_as_fresh(walker: Walker) -> None:
    fresh = Walker(walker.questionnaire, walker.context, walker.answers, walker.main_answers)
    assert [s.key for s in walker.steps()] == [s.key for s in fresh.steps()]
    assert walker.visible_answers() == fresh.visible_answers()
    assert [s.key for s in walker.missing()] == [s.key for s in fresh.missing()]
    first, fresh_first = walker.first_unanswered(), fresh.first_unanswered()
    assert (first.key if first else None) == (fresh_first.key if fresh_first else None)


def _a_value(step: Step, rng: random.Random) -> Any:
    question = step.question
    if question.type == "yesno":
        return rng.choice(YESNO_VALUES)
    if question.type == "choice":
        return rng.choice(question.options).id
    if question.type == "multi":
        return [rng.choice(question.options).id]
    if question.type == "number":
        low = question.minimum or 0
        return rng.randint(low, min(question.maximum or low + 4, low + 4))
    if question.type == "date":
        return "2019-05-03"
    return "tekst"


def test_an_answer_changed_in_place_from_outside_is_seen() -> None:
    walker = Walker(load_shipped("kindcheck", 2), {"setting": "ggz", "open_handoffs": 0})
    walker.answer(Step(walker.questionnaire.question("has_minor_children")), "no")
    walker.answer(Step(walker.questionnaire.question("pregnancy")), "no")
    closed = [s.key for s in walker.steps()]
    walker.answers["has_minor_children"] = "yes"  # not through answer(): still seen
    assert [s.key for s in walker.steps()] != closed
    _same_as_fresh(walker)
    walker.answers = {}  # replaced
    _same_as_fresh(walker)


def test_a_context_updated_in_place_and_main_answers_replaced_are_seen() -> None:
    scan = Walker(load_shipped("probleemscan", 2), {"setting": "ggz"}, None, {})
    before = scan.visible_answers()
    scan.main_answers = {"no_fixed_home": "yes", "network_fallback": "yes"}
    _same_as_fresh(scan)
    assert scan.visible_answers() != before  # taken from the Kindcheck now
    scan.context["setting"] = "sociaal_domein"
    _same_as_fresh(scan)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("name", "version"), [("kindcheck", 1), ("kindcheck", 2)])
def test_a_kept_walk_always_equals_a_fresh_one(name: str, version: int, seed: int) -> None:
    rng = random.Random(seed)
    walker = Walker(load_shipped(name, version), {"setting": "ggz", "open_handoffs": 0})
    for _ in range(120):
        steps = walker.steps()
        step = rng.choice(steps)
        action = rng.random()
        if action < 0.7:
            with contextlib.suppress(AnswersError):
                walker.answer(step, _a_value(step, rng))
        elif action < 0.8:
            walker.clear(step)
        elif action < 0.9 and step.item is None:
            walker.answers[step.question.id] = _a_value(step, rng)  # in place, from outside
        else:
            walker.context["setting"] = rng.choice(["ggz", "sociaal_domein"])
        _same_as_fresh(walker)
