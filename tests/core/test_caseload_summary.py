"""The caseload summary home is drawn from (kindcheck.service.caseload_summary): the same
overview as reading every record, after a save, a correction, an event, a deletion; only the
client that changed read again; never trusted where the ledger disagrees with it; encrypted
and checked by verify like every record.

The summary is used from 200 clients on; these tests lower that to 1 (the rule is the same).
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.app import PASSPHRASE, fresh_vault
from support.vault import flip_byte, make_answers, raw, record

from kindcheck.errors import FollowUpError
from kindcheck.followup import (
    Rhythm,
    move,
    new_plan,
    next_conversation,
    occurrences,
    status,
    status_on,
)
from kindcheck.record import NewAnswer
from kindcheck.service import caseload_summary
from kindcheck.service.client_record import amend_session, delete_client
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

TODAY = date(2025, 3, 1)
REFERENCES = ("EPD-1", "EPD-2", "EPD-3", "EPD-4")


@pytest.fixture(autouse=True)
def small_caseloads_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    folder = fresh_vault(tmp_path)
    with Store.unlock(folder, PASSPHRASE) as store:
        for number, reference in enumerate(REFERENCES):
            record(
                store,
                make_answers(
                    reference,
                    when=TODAY - timedelta(days=40 * number + 3),
                    problems=number,
                    signal=number == 2,
                    version=1 + number % 2,
                ),
            )
    return folder


@pytest.fixture
def service(vault: Path) -> Iterator[VaultService]:
    with opened(vault) as service:
        yield service


def opened(vault: Path) -> VaultService:
    service = VaultService(vault, lambda: TODAY)
    service.unlock(PASSPHRASE)
    return service


def shown(overview: Any) -> tuple[Any, ...]:
    """What home shows of an overview."""
    return (
        overview.clients,
        tuple(overview.followups),
        overview.items,
        overview.drafts,
        overview.damaged,
    )


def same_as_the_records(service: VaultService, query: str = "") -> Any:
    quick = service.overview(query)
    assert not quick.complete, "the overview did not come from the summary"
    assert shown(quick) == shown(service.overview(query, complete=True))
    return quick


def kept_summary(vault: Path, service: VaultService) -> None:
    """The summary as the home screen keeps it: read once, then written."""
    service.overview()
    assert service.save_caseload_summary()


def test_a_fresh_unlock_lists_the_caseload_from_the_summary_as_the_records_have_it(
    vault: Path, service: VaultService
) -> None:
    first = service.overview()
    assert first.complete  # nothing kept yet: the records are read
    kept_summary(vault, service)
    service.lock()
    with opened(vault) as again:
        quick = same_as_the_records(again)
        assert [c.reference for c in quick.clients] == list(REFERENCES)
        assert quick.followups  # the due list is there, complete
        same_as_the_records(again, "epd-3")


def test_after_a_save_only_that_client_is_read_again(
    vault: Path, service: VaultService, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_summary(vault, service)
    ids = {c.reference: c.client_id for c in service.overview().clients}
    with service.store() as store:
        record(store, make_answers("EPD-2", kind="followup", when=TODAY, problems=3))
    read_again: list[str] = []
    get_client = Store.get_client

    def counted(store: Store, client_id: str) -> Any:
        read_again.append(client_id)
        return get_client(store, client_id)

    monkeypatch.setattr(Store, "get_client", counted)
    quick = service.overview()
    assert not quick.complete
    assert read_again == [ids["EPD-2"]]
    assert shown(quick) == shown(service.overview(complete=True))
    row = next(c for c in quick.clients if c.reference == "EPD-2")
    assert row.last_session == TODAY and row.problem_domain_count == 3


def test_a_new_client_a_correction_and_an_event_are_shown_as_the_records_have_them(
    vault: Path, service: VaultService
) -> None:
    kept_summary(vault, service)
    with service.store() as store:
        record(store, make_answers("EPD-0", when=TODAY))
        session_id = store.list_sessions(
            next(c.id for c in store.clients() if c.reference == "EPD-1"), log=False
        )[-1].id
        amend_session(
            store, session_id, [NewAnswer("kindcheck", "sig_other", "yes")], "typo", TODAY
        )
    same_as_the_records(service)
    client_id = next(c.client_id for c in service.overview().clients if c.reference == "EPD-4")
    service.record_event(client_id, "admission", TODAY - timedelta(days=20))
    quick = same_as_the_records(service)
    assert any(item.client_id == client_id for item in quick.items)


def test_a_deleted_client_leaves_the_list_and_the_summary(
    vault: Path, service: VaultService
) -> None:
    kept_summary(vault, service)
    with service.store() as store:
        delete_client(store, "EPD-3", "EPD-3")
        # The deleted client's reference does not stay behind in the vault's summary (its
        # entry goes with it; the others stay, so the next home reads no records again).
        document = store.read_caseload_summary()
        assert document is not None
        assert "EPD-3" not in json.dumps(document)
        assert len(document["clients"]) == len(store.record_generations() or {}) - len(
            store.list_drafts()
        )
    quick = same_as_the_records(service)
    assert "EPD-3" not in [c.reference for c in quick.clients]
    assert service.save_caseload_summary()
    service.lock()
    with opened(vault) as again:
        assert "EPD-3" not in [c.reference for c in same_as_the_records(again).clients]


def test_a_summary_the_ledger_moved_past_is_not_trusted(vault: Path, tmp_path: Path) -> None:
    """An older summary put back into the vault (from a copy) names generations the ledger
    no longer has for the clients changed since: those are read again."""
    with opened(vault) as service:
        kept_summary(vault, service)
    with raw(vault) as conn:
        (older,) = conn.execute("SELECT value FROM meta WHERE name = 'caseload'").fetchone()
    with opened(vault) as service, service.store() as store:
        record(store, make_answers("EPD-1", kind="followup", when=TODAY, problems=4))
    with raw(vault) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'caseload'", (older,))
    with opened(vault) as service:
        quick = same_as_the_records(service)
        assert next(c for c in quick.clients if c.reference == "EPD-1").last_session == TODAY


def test_a_summary_that_does_not_decrypt_is_made_again_and_verify_names_it(
    vault: Path,
) -> None:
    with opened(vault) as service:
        kept_summary(vault, service)
        with service.store() as store:
            assert store.verify() == []  # Kindcheck's own summary: nothing to say
    with raw(vault) as conn:
        (blob,) = conn.execute("SELECT value FROM meta WHERE name = 'caseload'").fetchone()
        changed = bytearray(blob)
        changed[40] ^= 0x01
        conn.execute("UPDATE meta SET value = ? WHERE name = 'caseload'", (bytes(changed),))
    with opened(vault) as service:
        with service.store() as store:
            assert any("meta/caseload" in str(problem) for problem in store.verify())
        assert service.overview().complete  # read from the records, not from the damage
        assert service.save_caseload_summary()
        with service.store() as store:
            assert store.verify() == []


def test_a_record_damaged_since_the_summary_is_found_and_named(vault: Path) -> None:
    with opened(vault) as service:
        kept_summary(vault, service)
        assert service.caseload_intact()
        header = service.overview().clients[1].client_id
    with raw(vault) as conn:
        (session_id,) = conn.execute(
            "SELECT id FROM session WHERE client_id = ?", (header,)
        ).fetchone()
    flip_byte(vault, "session", "header", session_id)
    with opened(vault) as service:
        assert not service.overview().complete  # drawn first from the summary ...
        assert not service.caseload_intact()  # ... which the check finds wanting
        named = service.overview(complete=True).damaged
        assert [item.record_id for item in named] == [session_id]


def test_the_status_in_two_steps_is_the_status() -> None:
    """What the summary keeps of a plan (its end and next conversation) gives the status
    ``status`` gives, on any day: with the arithmetic rhythms, an end, and a moved date."""
    rng = random.Random(17)
    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 400))
        ends_on = start + timedelta(days=rng.randint(30, 900)) if rng.random() < 0.5 else None
        plan = new_plan(rng.choice(list(Rhythm)), start, ends_on)
        if rng.random() < 0.3:
            planned = occurrences(plan, start, start + timedelta(days=200))
            if len(planned) > 1:
                original = planned[1].date()
                with contextlib.suppress(FollowUpError):
                    plan = move(plan, original, original + timedelta(days=3), "holiday")
        held = start + timedelta(days=rng.randint(-20, 500)) if rng.random() < 0.8 else None
        today = start + timedelta(days=rng.randint(-30, 1000))
        window = rng.choice((0, 3, 7))
        two_steps = status_on(plan.final_day, next_conversation(plan, held, window), today, window)
        assert two_steps == status(plan, today, held, window)


def test_the_summary_is_encrypted(vault: Path, service: VaultService) -> None:
    kept_summary(vault, service)
    with raw(vault) as conn:
        (blob,) = conn.execute("SELECT value FROM meta WHERE name = 'caseload'").fetchone()
    for reference in REFERENCES:
        assert reference.encode() not in blob


def test_the_due_list_finds_the_questionnaires_where_each_facts_format_keeps_them() -> None:
    """A facts format that adds a field (format 2 added the setting after the questionnaires)
    must not hide which sessions repeat the Kindcheck from the due list."""
    from kindcheck.service.caseload import _QUESTIONNAIRES_AT, _repeats_kindcheck
    from kindcheck.service.facts import FACTS_FORMAT, FIELDS

    assert FIELDS.index("questionnaires") - len(FIELDS) == _QUESTIONNAIRES_AT[FACTS_FORMAT]
    current = [FACTS_FORMAT, *([None] * len(FIELDS))]
    current[1 + FIELDS.index("questionnaires")] = [["kindcheck", 2], ["probleemscan", 2]]
    current[1 + FIELDS.index("setting")] = "ggz"
    assert _repeats_kindcheck(current)
    assert _repeats_kindcheck([1, *([None] * 9), [["vervolggesprek", 2]]])
    assert not _repeats_kindcheck([1, *([None] * 9), [["kindcheck", 1]]])
    assert not _repeats_kindcheck([99, [["kindcheck", 2]]])
