"""Corrections and moves as data: the original stays, the outcome follows the correction."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from support.records import example_answers, part_answers, record_of, stored

from kindcheck.record import (
    AmendmentError,
    NewAnswer,
    amendment_from_dict,
    apply,
    correct,
    current_answers,
    move,
    parse_answer_path,
    recompute_outcome,
    render_json,
    render_text,
)
from kindcheck.record.json_doc import record_document

AT = datetime(2026, 11, 5, 10, 30, tzinfo=UTC)


def _two_domains() -> dict[str, object]:
    answers, _outcome = stored(example_answers("two-domains.json"))
    return answers


def _add_domain(answers: dict[str, object]) -> object:
    """A correction that makes a third problem domain count (so the flag goes up)."""
    return correct(
        answers,
        [NewAnswer("probleemscan", "adm_letters", "yes")],
        session_id="s1",
        reason="Antwoord verkeerd aangeklikt",
        by="J. de Vries",
        at=AT,
    )


def test_a_correction_keeps_the_original_and_the_outcome_follows_the_new_answers() -> None:
    original = _two_domains()
    before = copy.deepcopy(original)
    amendment = _add_domain(original)
    assert original == before, "correcting never changes the stored answers"
    assert amendment.changes[0].before == "no" and amendment.changes[0].after == "yes"

    outcome = recompute_outcome(original, [amendment])
    assert outcome.problem_domain_count == 3 and outcome.parenting_support_flag

    record = record_of(example_answers("two-domains.json"), amendments=[amendment])
    assert record.corrected
    assert record.outcome.source == "recomputed" and record.outcome.flag
    assert record.outcome_as_recorded is not None
    assert record.outcome_as_recorded.domain_count == 2 and not record.outcome_as_recorded.flag
    line = next(
        line for part in record.parts for line in part.lines() if line.question_id == "adm_letters"
    )
    assert line.value == "yes" and line.corrected
    assert line.corrections[0].before.nl == "Nee" and line.corrections[0].reason.startswith("Antw")

    text = render_text(record, "nl")
    assert "Gecorrigeerd op 2026-11-05 11:30 door J. de Vries; eerder: Nee" in text
    assert "HULP BIJ OPVOEDEN" in text  # the recomputed outcome
    assert "Uitkomst zoals vastgelegd (voor de correcties):" in text
    assert "was: Nee  ->  nu: Ja" in text
    document = json.loads(render_json(record))
    assert document["original_answers"] == original
    assert document["outcome_as_recorded"]["flag"] is False and document["outcome"]["flag"]


def test_an_amendment_is_stored_as_json_and_read_back() -> None:
    amendment = _add_domain(_two_domains())
    assert amendment_from_dict(json.loads(json.dumps(amendment.to_dict()))) == amendment


def test_an_amendment_that_does_not_follow_from_the_answers_is_refused() -> None:
    """A lost or reordered amendment must not be applied silently over other answers."""
    original = _two_domains()
    first = _add_domain(original)
    second = correct(
        current_answers(original, [first]),
        [NewAnswer("probleemscan", "adm_letters", "no")],
        session_id="s1",
        reason="Toch niet",
        by="J. de Vries",
        at=AT,
    )
    assert current_answers(original, [first, second]) == original
    with pytest.raises(AmendmentError, match="does not follow from the answers before it"):
        current_answers(original, [second])  # the first one was lost
    with pytest.raises(AmendmentError, match="does not follow"):
        current_answers(original, [second, first])  # reordered


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewAnswer("probleemscan", "adm_letters", "maybe"), "expected"),
        (NewAnswer("probleemscan", "no_such_question", "yes"), "is not a question"),
        (NewAnswer("vervolggesprek", "child_count", 1), "has no answers"),
        (NewAnswer("kindcheck", "child_age", 4), "per item"),
    ],
)
def test_a_wrong_correction_is_refused_with_a_clear_message(new: NewAnswer, message: str) -> None:
    with pytest.raises(AmendmentError, match=message):
        correct(_two_domains(), [new], session_id="s1", reason="r", by="me", at=AT)


def test_a_correction_must_leave_a_valid_session() -> None:
    """Saying there are more children shows questions that then need an answer."""
    answers = _two_domains()
    with pytest.raises(AmendmentError) as error:
        correct(
            answers,
            [NewAnswer("kindcheck", "child_count", 2)],
            session_id="s1",
            reason="Tweede kind vergeten",
            by="me",
            at=AT,
        )
    assert "children[1].child_age: required, not answered" in str(error.value)
    fixed = correct(
        answers,
        [
            NewAnswer("kindcheck", "child_count", 2),
            NewAnswer("kindcheck", "child_age", 11, item=1),
            NewAnswer("kindcheck", "child_living", "always", item=1),
            NewAnswer("kindcheck", "child_relation", "own", item=1),
            NewAnswer("kindcheck", "child_shared_care", "other_parent", item=1),
        ],
        session_id="s1",
        reason="Tweede kind vergeten",
        by="me",
        at=AT,
    )
    assert len(recompute_outcome(answers, [fixed]).children) == 2


def test_free_text_in_a_correction_never_reaches_the_message() -> None:
    answers = _two_domains()
    secret = "Moeder zegt dat vader slaat " + "x" * 6000
    with pytest.raises(AmendmentError) as error:
        correct(
            answers,
            [NewAnswer("kindcheck", "clinician_note", secret)],
            session_id="s1",
            reason="r",
            by="me",
            at=AT,
        )
    assert "slaat" not in str(error.value)


@pytest.mark.parametrize(("reason", "by"), [("", "me"), ("   ", "me"), ("reden", "")])
def test_a_change_needs_a_reason_and_a_person(reason: str, by: str) -> None:
    with pytest.raises(AmendmentError):
        correct(
            _two_domains(),
            [NewAnswer("probleemscan", "adm_letters", "yes")],
            session_id="s1",
            reason=reason,
            by=by,
            at=AT,
        )


def test_a_correction_that_changes_nothing_is_refused() -> None:
    with pytest.raises(AmendmentError, match="changes no answer"):
        correct(
            _two_domains(),
            [NewAnswer("probleemscan", "adm_letters", "no")],
            session_id="s1",
            reason="r",
            by="me",
            at=AT,
        )


def test_moving_a_session_to_the_right_client_is_an_amendment_moved_from() -> None:
    answers = _two_domains()
    amendment = move(
        answers, "EPD-100099", session_id="s1", reason="Typefout in nummer", by="me", at=AT
    )
    assert amendment.moved_from == "EPD-100003" and amendment.moved_to == "EPD-100099"
    assert current_answers(answers, [amendment])["client"]["reference"] == "EPD-100099"
    record = record_of(example_answers("two-domains.json"), amendments=[amendment])
    assert record.client_reference == "EPD-100099" and record.moved and not record.corrected
    text = render_text(record, "nl")
    assert "Verplaatst van cliëntreferentie EPD-100003 op 2026-11-05 11:30" in text
    assert record_document(record)["session"]["moved"] is True
    with pytest.raises(AmendmentError, match="another reference"):
        apply(current_answers(answers, [amendment]), amendment)  # applied twice
    with pytest.raises(AmendmentError, match="already filed"):
        move(answers, "EPD-100003", session_id="s1", reason="r", by="me", at=AT)


def test_correcting_a_child_answer_marks_that_child_only() -> None:
    answers = example_answers("v2-flag-handoff.json")
    stored_answers, _ = stored(answers)
    amendment = correct(
        stored_answers,
        [NewAnswer("kindcheck", "child_age", 8, item=1)],
        session_id="s1",
        reason="Leeftijd verkeerd",
        by="me",
        at=AT,
    )
    record = record_of(answers, amendments=[amendment])
    ages = [
        line for part in record.parts for line in part.lines() if line.question_id == "child_age"
    ]
    assert [line.value for line in ages] == [3, 8, 12]
    assert [line.corrected for line in ages] == [False, True, False]
    assert part_answers(record.original_answers, "kindcheck")["children"][1]["child_age"] == 7


@pytest.mark.parametrize(
    ("path", "expected"),
    [("adm_letters", ("adm_letters", None)), ("children[2].child_age", ("child_age", 2))],
)
def test_an_answer_path_names_a_question_or_one_item(
    path: str, expected: tuple[str, int | None]
) -> None:
    assert parse_answer_path(path) == expected


def test_a_malformed_answer_path_is_refused_literally() -> None:
    with pytest.raises(AmendmentError) as error:
        parse_answer_path("children[x].\x1b[2Jage")
    assert "\x1b" not in str(error.value)
