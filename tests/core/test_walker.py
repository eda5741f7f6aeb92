"""Walking a questionnaire: branching, children one by one, going back without losing answers."""

from __future__ import annotations

import itertools

import pytest

from kindcheck.errors import AnswersError
from kindcheck.questionnaire import Step, Walker, load_shipped, parse_user_input


@pytest.fixture
def kindcheck_walker() -> Walker:
    return Walker(load_shipped("kindcheck", 1), {"setting": "ggz"})


def keys(walker: Walker) -> list[str]:
    return [step.key for step in walker.steps()]


def step_for(walker: Walker, key: str) -> Step:
    return next(step for step in walker.steps() if step.key == key)


def test_no_children_and_no_pregnancy_shows_only_the_opening_questions(
    kindcheck_walker: Walker,
) -> None:
    walker = kindcheck_walker
    first = walker.next_step(None)
    assert first is not None and first.key == "has_minor_children"
    second = walker.answer(first, "no")
    assert second is not None and second.key == "pregnancy"
    after = walker.answer(second, "no")
    # Nothing more about children there are none of, not even the closing note (issue 11).
    assert after is None
    assert walker.is_complete()


def test_children_are_asked_one_by_one(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "pregnancy"), "no")
    nxt = walker.answer(step_for(walker, "child_count"), 2)
    assert nxt is not None and nxt.key == "child_age[0]"
    visible = keys(walker)
    assert visible.index("child_age[0]") < visible.index("child_age[1]")
    assert "child_contact_frequency[0]" not in visible
    walker.answer(step_for(walker, "child_living[1]"), "elsewhere")
    visible = keys(walker)
    assert "child_contact_frequency[1]" in visible
    assert "child_contact_frequency[0]" not in visible


def test_going_back_and_changing_an_answer_keeps_later_answers(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "child_count"), 2)
    walker.answer(step_for(walker, "child_age[1]"), 9)
    walker.answer(step_for(walker, "sig_weapon"), "no")
    walker.answer(step_for(walker, "child_count"), 1)
    assert "child_age[1]" not in keys(walker)
    assert len(walker.visible_answers().get("children", [])) <= 1
    walker.answer(step_for(walker, "has_minor_children"), "no")
    walker.answer(step_for(walker, "pregnancy"), "no")
    assert "sig_weapon" not in walker.visible_answers()
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "child_count"), 2)
    assert walker.get(step_for(walker, "child_age[1]")) == 9
    assert walker.get(step_for(walker, "sig_weapon")) == "no"


def test_previous_and_next_walk_the_visible_steps(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "child_count"), 1)
    steps = walker.steps()
    for before, after in itertools.pairwise(steps):
        assert walker.next_step(before) == after
        assert walker.previous_step(after) == before
    assert walker.previous_step(steps[0]) is None
    assert walker.next_step(steps[-1]) is None


def test_next_from_a_step_that_became_hidden_continues_after_it(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "pregnancy"), "yes")
    count = step_for(walker, "child_count")
    walker.answer(step_for(walker, "has_minor_children"), "no")
    nxt = walker.next_step(count)
    assert nxt is not None and nxt.key == "care_enough"
    previous = walker.previous_step(count)
    assert previous is not None and previous.key == "pregnancy_due_date"


def test_first_unanswered_is_where_a_draft_resumes(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    walker.answer(step_for(walker, "pregnancy"), "no")
    walker.answer(step_for(walker, "child_count"), 1)
    resumed = Walker(walker.questionnaire, walker.context, walker.answers)
    first = resumed.first_unanswered()
    assert first is not None and first.key == "child_age[0]"


def test_missing_lists_required_visible_steps_only(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    missing = {step.key for step in walker.missing()}
    assert "child_count" in missing and "pregnancy" in missing
    assert "care_takeover" not in missing  # optional
    assert not walker.is_complete()


def test_answers_are_validated_for_their_type(kindcheck_walker: Walker) -> None:
    walker = kindcheck_walker
    walker.answer(step_for(walker, "has_minor_children"), "yes")
    count = step_for(walker, "child_count")
    with pytest.raises(AnswersError, match="expected a number from 1 to 15"):
        walker.answer(count, 40)
    with pytest.raises(AnswersError, match="expected a whole number"):
        walker.answer(count, "two")
    with pytest.raises(AnswersError, match='expected "yes", "no" or "unknown"'):
        walker.answer(step_for(walker, "pregnancy"), "maybe")
    assert walker.get(count) is None


def test_user_input_parsing_accepts_keys_and_words() -> None:
    question = load_shipped("kindcheck", 1).question("has_minor_children")
    assert parse_user_input(question, "y") == "yes"
    assert parse_user_input(question, "Nee") == "no"
    assert parse_user_input(question, "?") == "unknown"
    note = load_shipped("kindcheck", 1).question("clinician_note")
    assert parse_user_input(note, "a\x1b[2Jb\x07\n\tc") == "a[2Jb\n\tc"


def test_prefill_marks_the_reason_for_care_in_ggz_only() -> None:
    scan = load_shipped("probleemscan", 1)
    ggz = Walker(scan, {"setting": "ggz"})
    social = Walker(scan, {"setting": "sociaal_domein"})
    step = Step(scan.question("psy_reason_for_care"))
    assert ggz.prefill(step) == "yes"
    assert social.prefill(step) is None
    ggz.answer(step, "no")
    assert ggz.prefill(step) is None  # the clinician's answer wins
