"""What follows a version-2 session, in the vault: the Meldcode process (afwegingen, decisions,
closing with the next rhythm) in the session's Meldcode record, events, warm hand-offs and
re-asks as lists in the client's record, the professional group in the profile. No table and
no migration: old records read with the new keys missing, and every change is access-logged
without free text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.vault import PASSPHRASE, make_answers

from kindcheck.answers import session_from_dict
from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.followup import Rhythm
from kindcheck.outcome import compute_outcome
from kindcheck.service.followthrough import (
    add_meldcode_decision,
    close_meldcode,
    meldcode_process,
    outcome_context,
    record_event,
    set_afweging,
)
from kindcheck.service.plans import get_plan
from kindcheck.service.recording import record_session
from kindcheck.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET_NOTE = "geheime-notitie-4711"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    made, _recovery = Store.create(tmp_path / "vault", PASSPHRASE, "t.tester")
    return made


def record(store: Store, answers: dict[str, Any]) -> tuple[str, str]:
    session = session_from_dict(answers)
    context = outcome_context(store, _client_id(store, session.client_reference))
    outcome = compute_outcome(
        session,
        meldcode_open=context.meldcode_open,
        open_handoffs=context.open_handoffs,
        group=context.group,
    )
    recorded = record_session(store, session, outcome)
    return recorded.client.id, recorded.session.id


def _client_id(store: Store, reference: str) -> str | None:
    client = store.find_client(reference, log=False)
    return client.id if client else None


def signal_intake(day: str = "2026-11-02") -> dict[str, Any]:
    answers = make_answers("EPD-300001", when=date.fromisoformat(day), signal=True, version=2)
    return answers


def quiet_followup(day: str) -> dict[str, Any]:
    return make_answers(
        "EPD-300001", kind="followup", when=date.fromisoformat(day), signal=False, version=2
    )


def log_details(store: Store) -> list[str]:
    return [entry.detail for entry in store.access_log()]


def test_while_the_meldcode_process_is_open_a_quiet_followup_keeps_the_2_weekly_rhythm(
    store: Store,
) -> None:
    client_id, _session = record(store, signal_intake())
    assert get_plan(store, client_id).rhythm == Rhythm.SAFETY
    process = meldcode_process(store, client_id)
    assert process is not None and process.is_open
    _, _ = record(store, quiet_followup("2026-11-16"))
    stored = store.client_sessions(client_id)
    latest = max(stored, key=lambda s: s.summary.session_date)
    assert latest.outcome["safety_signals"] == []
    assert latest.outcome["followup_rhythm"] == "safety"  # the process is open
    assert get_plan(store, client_id).rhythm == Rhythm.SAFETY


def test_closing_needs_a_reason_and_the_next_rhythm_and_then_the_chosen_rhythm_applies(
    store: Store,
) -> None:
    client_id, session_id = record(store, signal_intake())
    with pytest.raises(VaultError, match="reason"):
        close_meldcode(store, client_id, session_id, date(2026, 12, 1), "  ", "children")
    with pytest.raises(VaultError, match="next rhythm"):
        close_meldcode(store, client_id, session_id, date(2026, 12, 1), "veilig", "sometimes")
    with pytest.raises(VaultError, match="reason"):
        add_meldcode_decision(
            store, client_id, session_id, "closed_no_suspicion", date(2026, 12, 1)
        )
    assert meldcode_process(store, client_id).is_open  # nothing was stored
    add_meldcode_decision(
        store, client_id, session_id, "closed_no_suspicion", date(2026, 12, 1),
        reason=SECRET_NOTE, next_rhythm="children",
    )  # fmt: skip
    process = meldcode_process(store, client_id)
    assert process is not None and not process.is_open
    assert process.closed.next_rhythm == "children"
    plan = get_plan(store, client_id)
    assert plan.rhythm == Rhythm.CHILDREN
    assert plan.plan.start == date(2027, 3, 1)  # three months from the closing day
    # A quiet follow-up after closing no longer holds the 2-weekly rhythm.
    record(store, quiet_followup("2026-12-15"))
    latest = max(store.client_sessions(client_id), key=lambda s: s.summary.session_date)
    assert latest.outcome["followup_rhythm"] == "children"
    # Closed twice is refused.
    with pytest.raises(VaultError, match="closed already"):
        close_meldcode(store, client_id, session_id, date(2026, 12, 2), "x", "keep")


def test_afwegingen_and_decisions_are_stored_beside_the_steps_and_logged_without_notes(
    store: Store,
) -> None:
    client_id, session_id = record(store, signal_intake())
    store.set_meldcode_step(session_id, "map_signals", date(2026, 11, 3))
    set_afweging(store, session_id, "suspicion", "yes", date(2026, 11, 5), note=SECRET_NOTE)
    add_meldcode_decision(store, client_id, session_id, "reported", date(2026, 11, 6))
    store.set_meldcode_step(session_id, "consult", date(2026, 11, 7))  # keeps the rest
    process = meldcode_process(store, client_id)
    assert process.afwegingen["suspicion"].answer == "yes"
    assert [d.decision_id for d in process.decisions] == ["reported"]
    assert set(store.meldcode_steps(session_id)) == {"map_signals", "consult"}
    with pytest.raises(VaultError):
        set_afweging(store, session_id, "suspicion", "maybe", date(2026, 11, 5))
    with pytest.raises(VaultError):
        set_afweging(store, session_id, "not_an_afweging", "yes", date(2026, 11, 5))
    details = log_details(store)
    assert any("Meldcode afweging suspicion: yes" in d for d in details)
    assert any("Meldcode decision reported" in d for d in details)
    assert not any(SECRET_NOTE in d for d in details)
    assert store.verify() == []


def test_a_session_record_without_the_process_keys_reads_as_nothing_recorded(
    store: Store,
) -> None:
    client_id, session_id = record(store, signal_intake())
    assert store.meldcode_record(session_id) == {"steps": {}}
    process = meldcode_process(store, client_id)
    assert process.afwegingen == {} and process.decisions == () and process.closed is None


def test_events_hand_offs_and_reasks_live_in_the_client_record_and_are_logged(
    store: Store,
) -> None:
    client_id, _session_id = record(store, example("v2-flag-handoff.json"))
    [handoff] = store.client_handoffs(client_id)
    assert (handoff.option, handoff.status, handoff.consent_given) == ("home_start", "open", True)
    assert store.open_handoffs(client_id) == 1
    due_by = record_event(store, client_id, "admission", date(2027, 1, 12))
    assert due_by == date(2027, 1, 12)
    with pytest.raises(VaultError, match="no such event"):
        record_event(store, client_id, "holiday", date(2027, 1, 12))
    store.set_handoff_status(client_id, handoff.id, "started", date(2026, 12, 1))
    assert store.open_handoffs(client_id) == 0
    details = log_details(store)
    assert any(d.startswith("hand-off home_start (session ") for d in details)
    assert any(d.startswith("event admission on 2027-01-12") for d in details)
    assert any("hand-off home_start: started" in d for d in details)
    organisation = example("v2-flag-handoff.json")["handoffs"][0].get("organisation")
    if organisation:
        assert not any(organisation in d for d in details)
    assert store.verify() == []
    # No table was added: the schema is the one of this storage version.
    tables = {row[0] for row in store._read().__enter__().execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").all()}  # fmt: skip
    assert not {"handoff", "client_event"} & tables


def test_a_client_record_with_a_malformed_list_is_named_damaged(store: Store) -> None:
    from kindcheck.store.client_lists import parse_lists

    assert parse_lists({"reference": "x"}) == ((), (), ())
    with pytest.raises((ValueError, KeyError, TypeError)):
        parse_lists({"events": [{"event": "admission"}]})
    with pytest.raises((ValueError, KeyError, TypeError)):
        parse_lists({"handoffs": "not a list"})
    client = store.add_client("EPD-400001")
    with store._write() as conn:  # a list of the wrong shape, written as Kindcheck would
        store._ledger(conn).client_changed(conn, client.id, events=[{"event": "admission"}])
        store._log(conn, "change", None, "a write, so the transaction commits")
    with pytest.raises(RecordDamaged):
        store.clients()


def test_the_professional_group_is_in_the_profile_and_changes_are_logged(store: Store) -> None:
    assert store.professional_group() is None
    store.set_professional_group("psycholoog")
    assert store.professional_group() == "psycholoog"
    with pytest.raises(VaultError):
        store.set_professional_group("psycholoog; DROP")
    assert outcome_context(store, None).group == "psycholoog"
    assert "profile: professional group psycholoog" in log_details(store)
    assert store.verify() == []


def test_an_event_recorded_after_a_session_on_the_same_day_is_still_due(store: Store) -> None:
    """An admission recorded in the afternoon after the morning's version-2 intake: the
    Kindcheck is due again (the intake came before it). A follow-up's own events are not."""
    from kindcheck.service.caseload import due_items

    client_id, _session = record(store, example("v2-flag-handoff.json"))
    day = date.fromisoformat(example("v2-flag-handoff.json")["date"])
    assert [i.reason for i in due_items(store, day) if i.kind != "followup"] == []
    record_event(store, client_id, "admission", day)
    assert [i.reason for i in due_items(store, day) if i.kind != "followup"] == [
        "kindcheck:admission"
    ]
