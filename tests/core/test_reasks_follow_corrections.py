"""A question to ask again follows the answers as they stand after a correction.

"Don't know" on a question that matters (is there a pregnancy, are there children) puts a
re-ask on the client's due list. When the clinician corrects that answer afterwards (the client
said "no" after all, or it was typed in the wrong session), the due list must follow: a re-ask
of an answer that is no longer "don't know" sends the clinician after a question already
answered, and a corrected answer that becomes "don't know" must not be forgotten.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.vault import PASSPHRASE, make_answers

from kindcheck.answers import session_from_dict
from kindcheck.outcome import compute_outcome
from kindcheck.record import NewAnswer
from kindcheck.service.client_record import amend_session, move_session
from kindcheck.service.followthrough import outcome_context
from kindcheck.service.recording import record_session
from kindcheck.store import Store

TODAY = date(2026, 11, 30)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    made, _recovery = Store.create(tmp_path / "vault", PASSPHRASE, "t.tester")
    return made


def intake(reference: str, pregnancy: str, day: date = date(2026, 11, 2)) -> dict[str, Any]:
    answers = make_answers(reference, when=day, version=2)
    answers["questionnaires"][0]["answers"]["pregnancy"] = pregnancy
    return answers


def record(store: Store, answers: dict[str, Any]) -> tuple[str, str]:
    session = session_from_dict(answers)
    found = store.find_client(session.client_reference, log=False)
    context = outcome_context(store, found.id if found else None)
    outcome = compute_outcome(
        session,
        meldcode_open=context.meldcode_open,
        open_handoffs=context.open_handoffs,
        group=context.group,
    )
    recorded = record_session(store, session, outcome)
    return recorded.client.id, recorded.session.id


def reasks(store: Store, client_id: str) -> list[str]:
    client = store.get_client(client_id)
    assert client is not None
    return [reask.question for reask in client.reasks]


def test_a_corrected_dont_know_takes_its_reask_off_the_due_list(store: Store) -> None:
    client_id, session_id = record(store, intake("EPD-500001", "unknown"))
    assert reasks(store, client_id) == ["pregnancy"]
    amend_session(store, session_id, [NewAnswer("kindcheck", "pregnancy", "no")], "navraag", TODAY)
    assert reasks(store, client_id) == []
    assert store.verify() == []


def test_an_answer_corrected_to_dont_know_puts_a_reask_on_the_due_list(store: Store) -> None:
    client_id, session_id = record(store, intake("EPD-500002", "no"))
    assert reasks(store, client_id) == []
    amend_session(
        store, session_id, [NewAnswer("kindcheck", "pregnancy", "unknown")], "tikfout", TODAY
    )
    assert reasks(store, client_id) == ["pregnancy"]


def test_a_session_moved_to_another_client_takes_its_reask_along(store: Store) -> None:
    first, session_id = record(store, intake("EPD-500003", "unknown"))
    second, _other = record(store, intake("EPD-500004", "no", date(2026, 10, 5)))
    assert (reasks(store, first), reasks(store, second)) == (["pregnancy"], [])
    move_session(store, session_id, "EPD-500004", "verkeerde cliënt", TODAY)
    assert (reasks(store, first), reasks(store, second)) == ([], ["pregnancy"])
