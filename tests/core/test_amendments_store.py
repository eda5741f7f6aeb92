"""Corrections and moves of stored sessions, in the vault (issue 15): stored as encrypted,
padded records with their generation, listed in the vault's ledger, and checked by verify
against deletion and replay; a move re-parents the session in one transaction; the outcome,
the plan and the export follow the corrected answers; storage schema 3 is upgraded.

The attacks edit the file with raw ``sqlite3`` (the store closed), as someone with the file but
not the passphrase would. Each was also run with the ledger not listing amendments (the
``unlisted`` fixture switches that off): verify then said nothing, so these tests fail there.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.vault import PASSPHRASE, make_answers, raw, record

from kindcheck.record import AmendmentError, NewAnswer
from kindcheck.service import client_record
from kindcheck.service.facts import FIELDS, complete_facts, facts_of_session
from kindcheck.service.plans import get_plan, verify_vault
from kindcheck.service.reports import count_vault, session_facts
from kindcheck.store import DB_NAME, LOCK_NAME, Store, StoredFacts
from kindcheck.store import schema as store_schema
from kindcheck.store.envelope import MINIMUM
from kindcheck.store.ledger import Ledger

TODAY = date(2026, 3, 10)
TAG_AND_NONCE = 1 + 12 + 16  # version byte, nonce, tag
REASON = "Reden-kanarie-5c1d verkeerd aangevinkt"


@dataclass(frozen=True)
class Template:
    folder: Path
    client_a: str  # EPD-500: intake, no signal, one problem domain; corrected once
    session_a: str
    client_b: str  # EPD-600: intake with a safety signal
    session_b: str
    amendment: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("amendments") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        a = record(store, make_answers("EPD-500", "Ada", problems=1))
        b = record(store, make_answers("EPD-600", "Bo", signal=True))
        amended = client_record.amend_session(
            store, a.session.id, [NewAnswer("kindcheck", "sig_other", "yes")], REASON, TODAY
        )
    (folder / LOCK_NAME).unlink()
    return Template(
        folder, a.client.id, a.session.id, b.client.id, b.session.id, amended.amendment.id
    )


@pytest.fixture
def vault(template: Template, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template.folder, target)
    return target


@pytest.fixture
def unlisted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger without its amendments: what verify would see had they not been listed."""
    monkeypatch.setattr(Ledger, "amendment_saved", lambda *args, **kwargs: None)


def problems_of(vault: Path) -> list[str]:
    """What `kindcheck verify` says: every facts record compared with its session as its
    amendments leave it, too."""
    with Store.unlock(vault, PASSPHRASE) as store:
        return verify_vault(store)


# ---------------------------------------------------------------------------------------------
# Stored as every record is


def test_an_amendment_is_an_encrypted_padded_record_with_its_generation(
    vault: Path, template: Template
) -> None:
    with raw(vault) as conn:
        rows = conn.execute("SELECT id, session_id, format_version, data FROM amendment").fetchall()
        everything = (vault / DB_NAME).read_bytes()
    assert [(r[0], r[1], r[2]) for r in rows] == [(template.amendment, template.session_a, 2)]
    assert len(rows[0][3]) == MINIMUM["amendment"] + TAG_AND_NONCE
    for secret in (REASON, "Reden-kanarie", "sig_other"):
        assert secret.encode() not in everything
    with Store.unlock(vault, PASSPHRASE) as store:
        (stored,) = store.session_amendments(template.session_a)
        assert stored.number == 1 and stored.amendment["reason"] == REASON
        assert verify_vault(store) == []


def test_the_original_answers_stay_and_the_current_ones_follow(
    vault: Path, template: Template
) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        stored = store.get_session(template.session_a, log=False)
        assert stored is not None
        kindcheck = next(p for p in stored.answers["questionnaires"] if p["id"] == "kindcheck")
        assert kindcheck["answers"]["sig_other"] == "no"  # as first stored
        assert not stored.outcome["safety_signals"]
        # The list header follows the corrected answers (home, the export)
        (summary,) = store.list_sessions(template.client_a, log=False)
        assert summary.safety_signal
        record_ = client_record.load_record(store, template.session_a, TODAY, log=False)
        assert record_.corrected and record_.outcome.signals
        assert record_.outcome_as_recorded is not None
        assert not record_.outcome_as_recorded.signals
        second = client_record.amend_session(
            store, template.session_a, [NewAnswer("kindcheck", "sig_other", "no")], "terug", TODAY
        )
        assert [a.number for a in store.session_amendments(template.session_a)] == [1, 2]
        assert not second.record.outcome.signals
        assert not store.list_sessions(template.client_a, log=False)[0].safety_signal
        assert verify_vault(store) == []


def test_a_correction_that_does_not_fit_stores_nothing(vault: Path, template: Template) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        before = store.access_log()
        with pytest.raises(AmendmentError):
            client_record.amend_session(
                store,
                template.session_a,
                [NewAnswer("kindcheck", "sig_other", "maybe")],
                "x",
                TODAY,
            )
        with pytest.raises(AmendmentError, match="reason"):
            client_record.amend_session(
                store, template.session_a, [NewAnswer("kindcheck", "sig_other", "no")], " ", TODAY
            )
        assert len(store.session_amendments(template.session_a)) == 1
        assert store.access_log() == before


def test_the_plan_and_the_export_follow_the_corrected_answers(
    vault: Path, template: Template
) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        plan = get_plan(store, template.client_a)
        assert plan is not None and plan.rhythm is not None
        assert plan.rhythm.value == "safety"  # the correction raised a signal: every 2 weeks
        # Both sessions count a safety signal now: EPD-600's as recorded, EPD-500's corrected.
        facts = list(session_facts(store))
        assert sorted(f.safety_signal for f in facts) == [True, True]
        assert count_vault(store, "quarter", TODAY).total()["safety_signals"] == 2
    # The export reads the facts records (the correction made EPD-500's again), never the
    # amendments: one that cannot be read changes nothing counted, and verify names it.
    with raw(vault) as conn:
        conn.execute("UPDATE amendment SET data = zeroblob(length(data))")
    with Store.unlock(vault, PASSPHRASE) as store:
        damaged: list[str] = []
        held = list(session_facts(store, damaged))
        assert sorted(f.safety_signal for f in held) == [True, True]
        assert damaged == []
        assert f"record amendment/{template.amendment} is damaged or was moved" in (
            " ".join(verify_vault(store))
        )


# ---------------------------------------------------------------------------------------------
# Deleted and replayed amendments


def test_a_deleted_amendment_is_named_by_verify(vault: Path, template: Template) -> None:
    """Deleting a correction would make the session read as before it, silently."""
    with raw(vault) as conn:
        conn.execute("DELETE FROM amendment")
    problems = problems_of(vault)
    assert len(problems) == 2, problems
    missing = f"record amendment/{template.amendment} (a correction of session"
    assert any(missing in p and "is missing: it was deleted outside" in p for p in problems)
    # and the session's facts record (made from the corrected answers) no longer agrees
    assert any(
        f"record session_facts/{template.session_a} does not agree with its session" in p
        for p in problems
    ), problems


def test_an_amendment_replayed_from_a_later_copy_is_named(
    tmp_path: Path, template: Template
) -> None:
    """The correction's row from a later copy of the vault put into an earlier copy: it
    decrypts there (same key, same session), but that copy's ledger does not list it."""
    earlier = tmp_path / "earlier"
    shutil.copytree(template.folder, earlier)
    later = tmp_path / "later"
    shutil.copytree(template.folder, later)
    with Store.unlock(later, PASSPHRASE) as store:
        client_record.amend_session(
            store, template.session_b, [NewAnswer("kindcheck", "sig_other", "no")], "x", TODAY
        )
    with raw(later) as conn:
        (row,) = conn.execute(
            "SELECT id, session_id, format_version, data FROM amendment WHERE session_id = ?",
            (template.session_b,),
        ).fetchall()
    with Store.unlock(earlier, PASSPHRASE) as store:  # the earlier copy lives on a while
        for number in range(3):
            store.add_client(f"EPD-90{number}")
    with raw(earlier) as conn:
        conn.execute("INSERT INTO amendment VALUES (?, ?, ?, ?)", row)
    problems = problems_of(earlier)
    replayed = [p for p in problems if f"record amendment/{row[0]}" in p]
    assert len(replayed) == 1, problems
    assert "is not listed by its client's record" in replayed[0]
    assert "put back from an older copy" in replayed[0]
    # anything else named is the session's facts record, which the replay left behind
    assert all(
        f"record session_facts/{template.session_b}" in p for p in problems if p not in replayed
    )


def test_an_amendment_put_back_after_its_session_was_deleted_is_named(
    vault: Path, template: Template
) -> None:
    with raw(vault) as conn:
        row = conn.execute("SELECT * FROM amendment").fetchone()
    with Store.unlock(vault, PASSPHRASE) as store:
        store.delete_client(template.client_a)
        assert verify_vault(store) == []
    with raw(vault) as conn:  # a raw connection: foreign keys are off
        conn.execute("INSERT INTO amendment VALUES (?, ?, ?, ?)", row)
    problems = problems_of(vault)
    assert any(
        f"record amendment/{template.amendment} belongs to no session" in p for p in problems
    ), problems


def test_an_amendment_moved_to_another_session_is_damaged(vault: Path, template: Template) -> None:
    with raw(vault) as conn:
        conn.execute("UPDATE amendment SET session_id = ?", (template.session_b,))
    problems = problems_of(vault)
    assert any(f"record amendment/{template.amendment} is damaged" in p for p in problems)


@pytest.mark.usefixtures("unlisted")
def test_without_the_ledger_a_deleted_amendment_goes_unnoticed(
    tmp_path: Path, template: Template
) -> None:
    """Why amendments are in the ledger: had they not been, the attack above is silent (when
    the attacker also puts back the session's facts record from before the correction)."""
    folder = tmp_path / "unlisted"
    shutil.copytree(template.folder, folder)
    facts = "SELECT client_id, id, format_version, data FROM session_facts WHERE id = ?"
    with raw(folder) as conn:
        before = conn.execute(facts, (template.session_b,)).fetchone()
    with Store.unlock(folder, PASSPHRASE) as store:
        client_record.amend_session(
            store, template.session_b, [NewAnswer("kindcheck", "sig_other", "no")], "x", TODAY
        )
    with raw(folder) as conn:
        conn.execute("DELETE FROM amendment WHERE session_id = ?", (template.session_b,))
        conn.execute("INSERT OR REPLACE INTO session_facts VALUES (?, ?, ?, ?)", before)
    assert problems_of(folder) == []


# ---------------------------------------------------------------------------------------------
# The facts records (what the export and the due list read) follow the amendments

FACTS_ROW = "SELECT client_id, id, format_version, data FROM session_facts WHERE id = ?"


def facts_of(store: Store, session_id: str) -> StoredFacts:
    (found,) = [f for f in store.iter_facts() if f.session_id == session_id]
    return found


def test_a_correction_makes_the_sessions_facts_record_again(
    vault: Path, template: Template
) -> None:
    """The facts record holds what the corrected answers count, not the original ones."""
    with Store.unlock(vault, PASSPHRASE) as store:
        stored = store.get_session(template.session_a, log=False)
        assert stored is not None
        amendments = store.session_amendments(template.session_a)
        record = facts_of(store, template.session_a)
        assert record.facts == facts_of_session(stored, amendments)
        assert record.facts != facts_of_session(stored)  # the correction changed what counts
        assert record.facts[1 + FIELDS.index("safety_signal")] is True
        assert verify_vault(store) == []


def test_a_facts_record_put_back_from_before_the_correction_is_named(tmp_path: Path) -> None:
    """The export would count the answers as they were before the correction: verify says
    so (the facts record against its session as its amendments leave it)."""
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        made = record(store, make_answers("EPD-510", "Ada", problems=1))
    with raw(folder) as conn:
        before = conn.execute(FACTS_ROW, (made.session.id,)).fetchone()
    with Store.unlock(folder, PASSPHRASE) as store:
        client_record.amend_session(
            store, made.session.id, [NewAnswer("kindcheck", "sig_other", "yes")], "x", TODAY
        )
        assert [f.safety_signal for f in session_facts(store)] == [True]
        assert verify_vault(store) == []
    with raw(folder) as conn:
        conn.execute("INSERT OR REPLACE INTO session_facts VALUES (?, ?, ?, ?)", before)
    with Store.unlock(folder, PASSPHRASE) as store:
        assert [f.safety_signal for f in session_facts(store)] == [False]
        assert verify_vault(store) == [
            f"record session_facts/{made.session.id} does not agree with its session (what it "
            "counts): it was changed or put back from an older copy; reports would count it "
            "wrongly"
        ]


def test_a_pending_facts_record_of_a_corrected_session_is_completed_from_the_correction(
    vault: Path, template: Template
) -> None:
    """A facts record that could not be read is made again, pending, at the next change of
    the session's Meldcode steps; completing it counts the corrected answers."""
    with raw(vault) as conn:
        conn.execute(
            "UPDATE session_facts SET data = zeroblob(length(data)) WHERE id = ?",
            (template.session_a,),
        )
    with Store.unlock(vault, PASSPHRASE) as store:
        store.set_meldcode_step(template.session_a, "map_signals", TODAY)
        assert facts_of(store, template.session_a).facts is None  # pending
        # Read while pending, the export derives it from the session and its amendments.
        assert count_vault(store, "quarter", TODAY).total()["safety_signals"] == 2
        assert complete_facts(store) == 1
        stored = store.get_session(template.session_a, log=False)
        assert stored is not None
        amendments = store.session_amendments(template.session_a)
        assert facts_of(store, template.session_a).facts == facts_of_session(stored, amendments)
        assert count_vault(store, "quarter", TODAY).total()["safety_signals"] == 2
        assert verify_vault(store) == []


def test_a_move_re_files_the_facts_record_with_its_session(vault: Path, template: Template) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        before = facts_of(store, template.session_a)
        client_record.move_session(store, template.session_a, "EPD-600", "typfout", TODAY)
        after = facts_of(store, template.session_a)
        assert after.client_id == template.client_b
        assert (after.facts, after.session_date, after.saved_at, after.meldcode_steps) == (
            before.facts,
            before.session_date,
            before.saved_at,
            before.meldcode_steps,
        )
        assert verify_vault(store) == []
    with raw(vault) as conn:
        rows = conn.execute(
            "SELECT client_id FROM session_facts WHERE id = ?", (template.session_a,)
        ).fetchall()
    assert rows == [(template.client_b,)]


def test_a_facts_record_left_under_the_old_client_after_a_move_is_named(
    vault: Path, template: Template
) -> None:
    """A move that re-parented the session but not its facts record (or an old copy of the
    record put back) files it under a client it no longer belongs to: verify names it."""
    with raw(vault) as conn:
        before = conn.execute(FACTS_ROW, (template.session_a,)).fetchone()
    with Store.unlock(vault, PASSPHRASE) as store:
        client_record.move_session(store, template.session_a, "EPD-600", "typfout", TODAY)
    with raw(vault) as conn:
        conn.execute("INSERT OR REPLACE INTO session_facts VALUES (?, ?, ?, ?)", before)
    assert problems_of(vault) == [
        f"record session_facts/{template.session_a} is filed under client/{template.client_a}, "
        f"its session under client/{template.client_b}: it was moved outside Kindcheck or put "
        "back from an older copy; reports would count it under the wrong client"
    ]


# ---------------------------------------------------------------------------------------------
# Moving a session


def test_a_move_re_parents_the_session_with_its_amendments(vault: Path, template: Template) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        moved = client_record.move_session(
            store, template.session_a, "EPD-600", "typfout in de referentie", TODAY
        )
        assert moved.client_id == template.client_b
        assert moved.record.client_reference == "EPD-600" and moved.record.moved
        assert [s.id for s in store.list_sessions(template.client_a, log=False)] == []
        assert {s.id for s in store.list_sessions(template.client_b, log=False)} == {
            template.session_a,
            template.session_b,
        }
        # The corrections moved with it, in order, and the original stays readable.
        assert [a.amendment["kind"] for a in store.session_amendments(template.session_a)] == [
            "correction",
            "move",
        ]
        assert get_plan(store, template.client_a) is None  # no session left for EPD-500
        log = store.access_log()
        assert log[-2:][0].action == "change" or log[-1].action == "delete"
        assert verify_vault(store) == []
    with raw(vault) as conn:
        (owner,) = conn.execute(
            "SELECT client_id FROM session WHERE id = ?", (template.session_a,)
        ).fetchone()
    assert owner == template.client_b


def test_a_move_that_fails_half_way_changes_nothing(
    vault: Path, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new client, the amendment, the re-parented row and the log entry are one
    transaction: a failure after the amendment's row was written leaves none of them."""
    from kindcheck.store import amendments

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(amendments._Amendments, "_reseal_session", broken)
    with Store.unlock(vault, PASSPHRASE) as store:
        log = store.access_log()
        with pytest.raises(RuntimeError):
            client_record.move_session(store, template.session_a, "EPD-700", "typfout", TODAY)
        assert store.find_client("EPD-700", log=False) is None
        assert len(store.session_amendments(template.session_a)) == 1
        assert [s.id for s in store.list_sessions(template.client_a, log=False)] == [
            template.session_a
        ]
        assert store.access_log() == log
        assert verify_vault(store) == []
    with raw(vault) as conn:
        assert conn.execute("SELECT count(*) FROM amendment").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM client").fetchone()[0] == 2


# ---------------------------------------------------------------------------------------------
# Storage schema 4 -> 5


def test_a_schema_4_vault_gets_the_amendment_table_on_unlock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vault made by the version before (storage schema 4: no amendment table) is upgraded
    on unlock by its own step, and then takes corrections that verify can check."""
    folder = tmp_path / "v4"
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", 4)
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store, monkeypatch.context() as version_4:
        # Kindcheck of schema 4 had no amendments to read when it recorded a session.
        version_4.setattr(Store, "client_amendments", lambda _store, _client_id: {})
        made = record(store, make_answers("EPD-800", "Els"))
        assert store.schema_version == 4
    with raw(folder) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "amendment" not in tables
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", 5)
    with Store.unlock(folder, PASSPHRASE) as upgraded:
        assert upgraded.schema_version == 5
        assert verify_vault(upgraded) == []
        client_record.amend_session(
            upgraded, made.session.id, [NewAnswer("kindcheck", "sig_other", "yes")], "x", TODAY
        )
        assert verify_vault(upgraded) == []
    with raw(folder) as conn:
        conn.execute("DELETE FROM amendment")
    assert any("is missing" in p for p in problems_of(folder))
