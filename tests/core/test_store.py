"""Tests for kindcheck.store: the repository, what reaches the file, tampering, migrations.

Argon2id costs about 0.1-0.2 s per derivation, so one vault is created per module (with a few
clients, sessions, a plan, a draft and Meldcode steps) and each test unlocks its own copy of
that folder. ``make_answers`` builds valid answers files by walking the shipped
questionnaires; test_cli_vault and test_durability import it from here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.vault import (
    PASSPHRASE,
    SESSION_DAY,
    flip_byte,
    make_answers,
    raw,
    record,
    walk_shipped,
)

from kindcheck import store as store_module
from kindcheck import vault as vault_module
from kindcheck.answers import session_from_dict
from kindcheck.errors import RecordDamaged, VaultError, VaultLocked, WrongPassphrase
from kindcheck.followup import FollowUpPlan, Rhythm, new_plan, plan_after_session, rrule_for
from kindcheck.outcome import compute_outcome, outcome_to_json
from kindcheck.service.plans import get_plan
from kindcheck.service.recording import record_session
from kindcheck.store import (
    DB_NAME,
    Client,
    ClientOverview,
    Draft,
    MeldcodeStepRecord,
    SessionSummary,
    Store,
    StoredPlan,
    StoredSession,
    normalise_reference,
)
from kindcheck.store import schema as store_schema
from kindcheck.vault import UnlockThrottle

# --------------------------------------------------------------------------------------------
# Fixtures


@dataclass(frozen=True)
class Template:
    folder: Path
    recovery: str
    client_a: str
    client_b: str
    sessions: tuple[str, ...]
    draft: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("template") / "vault"
    store, recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        first = record(store, make_answers("EPD-100", "Anna de Vries", signal=True, problems=1))
        second = record(store, make_answers("EPD-200", "Bram", problems=3))
        third = record(
            store, make_answers("EPD-100", kind="followup", when=SESSION_DAY + timedelta(days=30))
        )
        store.set_meldcode_step(first.session.id, "map_signals", SESSION_DAY, "gesprek gepland")
        draft = store.save_draft({"kindcheck": {"has_minor_children": "yes"}}, "EPD-100")
    return Template(
        folder,
        recovery,
        first.client.id,
        second.client.id,
        (first.session.id, second.session.id, third.session.id),
        draft.id,
    )


@pytest.fixture
def vault_dir(template: Template, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template.folder, folder)
    return folder


@pytest.fixture
def store(vault_dir: Path) -> Iterator[Store]:
    opened = Store.unlock(vault_dir, PASSPHRASE)
    yield opened
    opened.close()


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# The repository


def test_everything_comes_back_as_plain_dataclasses(store: Store, template: Template) -> None:
    overviews = store.list_clients()
    assert [type(item) for item in overviews] == [ClientOverview, ClientOverview]
    anna, bram = overviews
    assert isinstance(anna.client, Client)
    assert (anna.client.reference, anna.client.name, anna.session_count) == (
        "EPD-100",
        "Anna de Vries",
        2,
    )
    assert anna.last_session is not None and anna.last_session.kind == "followup"
    assert anna.last_session.session_date == SESSION_DAY + timedelta(days=30)
    assert bram.last_session is not None and bram.last_session.problem_domain_count == 3
    assert bram.last_session.parenting_support_flag

    sessions = store.list_sessions(template.client_a)
    assert [s.kind for s in sessions] == ["intake", "followup"]
    assert all(isinstance(s, SessionSummary) for s in sessions)
    loaded = store.get_session(template.sessions[0])
    assert isinstance(loaded, StoredSession)
    assert loaded.answers["client"]["reference"] == "EPD-100"
    assert loaded.outcome["safety_signals"] and loaded.summary.safety_signal
    assert store.get_session("0" * 32) is None
    assert {s.id for s in store.iter_sessions()} == set(template.sessions)

    steps = store.meldcode_steps(template.sessions[0])
    assert steps == {
        "map_signals": MeldcodeStepRecord(
            "map_signals", SESSION_DAY, "gesprek gepland", steps["map_signals"].updated_at
        )
    }
    assert store.meldcode_steps(template.sessions[1]) == {}

    plan = get_plan(store, template.client_a)
    assert isinstance(plan, StoredPlan) and plan.rhythm is Rhythm.SAFETY
    assert isinstance(plan.plan, FollowUpPlan)
    assert [p.client_id for p in store.list_plans()].count(template.client_a) == 1
    store.delete_plan(template.client_a)
    assert store.get_plan(template.client_a) is None
    store.delete_plan(template.client_a)  # nothing to delete is fine
    replanned = store.save_plan(template.client_a, plan.plan, None)
    assert store.get_plan(template.client_a) == replanned and replanned.rhythm is None

    (draft,) = store.list_drafts()
    assert isinstance(draft, Draft) and draft.reference == "EPD-100"
    assert store.user_name == "tester"
    assert store.schema_version == store_module.SCHEMA_VERSION


def test_find_client_by_normalised_reference(store: Store, template: Template) -> None:
    found = store.find_client("  epd-100 ")
    assert found is not None and found.id == template.client_a
    assert store.find_client("EPD-999") is None
    with pytest.raises(VaultError, match="already exists"):
        store.add_client("Epd-100")
    with pytest.raises(VaultError, match="empty"):
        store.find_client(" \t ")
    assert normalise_reference("EPD\u00a0 12\x1b") == "epd 12"


def test_recording_the_same_answers_twice_is_refused(store: Store) -> None:
    answers = make_answers("EPD-300", problems=1)
    record(store, answers)
    before = store.count_records()
    with pytest.raises(VaultError, match="already recorded"):
        record(store, answers)
    assert store.count_records() == before


def test_batch_is_all_or_nothing(store: Store) -> None:
    before = store.count_records()
    with pytest.raises(RuntimeError), store.batch():
        client = store.add_client("EPD-400")
        store.save_session(client.id, make_answers("EPD-400"), {})
        raise RuntimeError("something failed half-way")
    assert store.count_records() == before
    assert store.find_client("EPD-400") is None


def test_drafts_are_saved_updated_and_deleted(store: Store, template: Template) -> None:
    draft = store.save_draft({"step": 1})
    assert draft.reference is None
    updated = store.save_draft({"step": 2}, "EPD-500", draft_id=draft.id)
    assert updated.created_at == draft.created_at and updated.updated_at >= draft.updated_at
    assert store.get_draft(draft.id) == updated
    assert store.list_drafts()[0].id == draft.id  # most recently changed first
    store.delete_draft(draft.id)
    assert store.get_draft(draft.id) is None
    with pytest.raises(VaultError, match="no such draft"):
        store.save_draft({}, draft_id="f" * 32)


def test_a_draft_that_cannot_be_encrypted_saves_nothing(store: Store) -> None:
    before = store.count_records()
    with pytest.raises(VaultError, match=r"could not be encrypted.*: nothing was saved"):
        store.save_draft({"when": date(2026, 1, 1)})  # not JSON
    with pytest.raises(VaultError, match="nothing was saved"):
        store.save_draft({"score": float("nan")})
    assert store.count_records() == before


def test_meldcode_steps_can_be_changed(store: Store, template: Template) -> None:
    session_id = template.sessions[0]
    store.set_meldcode_step(session_id, "consult", None, "collega gebeld")
    store.set_meldcode_step(session_id, "consult", SESSION_DAY, "collega en Veilig Thuis")
    steps = store.meldcode_steps(session_id)
    assert set(steps) == {"map_signals", "consult"}
    assert steps["consult"].done_on == SESSION_DAY
    assert steps["consult"].note == "collega en Veilig Thuis"
    with pytest.raises(VaultError, match="no such session"):
        store.set_meldcode_step("0" * 32, "consult", None)


def test_deleting_a_client_removes_all_its_records(
    store: Store, template: Template, vault_dir: Path
) -> None:
    with raw(vault_dir) as conn:
        blobs = [
            row[0]
            for row in conn.execute(
                "SELECT body FROM session WHERE client_id = ?", (template.client_a,)
            )
        ]
    store.delete_client(template.client_a)
    assert store.get_client(template.client_a) is None
    assert store.list_sessions(template.client_a) == []
    assert store.get_plan(template.client_a) is None
    assert store.list_drafts() == []  # the draft was for EPD-100
    with pytest.raises(VaultError, match="no such session"):
        store.meldcode_steps(template.sessions[0])
    assert [o.client.reference for o in store.list_clients()] == ["EPD-200"]
    store.close()
    with raw(vault_dir) as conn:
        for table in ("session", "followup_plan"):
            count = conn.execute(
                f"SELECT count(*) FROM {table} WHERE client_id = ?", (template.client_a,)
            ).fetchone()[0]
            assert count == 0
    # secure_delete: the deleted ciphertext is overwritten, not just unlinked from the tree.
    content = (vault_dir / DB_NAME).read_bytes()
    assert blobs and not any(blob[20:60] in content for blob in blobs)


def test_store_is_safe_across_threads(store: Store) -> None:
    client = store.add_client("EPD-600")
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for index in range(5):
                answers = make_answers("EPD-600", text=f"thread {number} {index}")
                store.save_session(client.id, answers, {})
                store.list_sessions(client.id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list_sessions(client.id)) == 20


def test_the_idle_lock_keeps_the_lock_file(store: Store, vault_dir: Path) -> None:
    draft = store.save_draft({"half": "way"})
    store.lock()
    assert not store.is_open
    with pytest.raises(VaultError, match="the vault is locked"):
        store.get_draft(draft.id)
    with pytest.raises(VaultLocked):  # still ours while locked
        Store.unlock(vault_dir, PASSPHRASE)
    throttle = UnlockThrottle(sleep=FakeSleep())
    with pytest.raises(WrongPassphrase):
        store.resume("not the passphrase", throttle=throttle)
    assert throttle.failures == 1 and not store.is_open
    store.resume(PASSPHRASE, throttle=throttle)
    assert throttle.failures == 0
    assert store.get_draft(draft.id) is not None


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    store.close()  # twice is fine
    assert not store.is_open
    with pytest.raises(VaultError, match="locked"):
        store.list_clients()
    with pytest.raises(VaultError, match="closed"):
        store.resume(PASSPHRASE)


# --------------------------------------------------------------------------------------------
# What is on disk


def test_the_connection_settings(store: Store) -> None:
    assert store._engine is not None
    with store._engine.connect() as conn:
        settings = {
            pragma: conn.exec_driver_sql(f"PRAGMA {pragma}").scalar_one()
            for pragma in (
                "journal_mode",
                "synchronous",
                "secure_delete",
                "foreign_keys",
                "temp_store",
            )
        }
    # synchronous 2 = FULL, temp_store 2 = MEMORY
    assert settings == {
        "journal_mode": "truncate",
        "synchronous": 2,
        "secure_delete": 1,
        "foreign_keys": 1,
        "temp_store": 2,
    }


def test_only_ids_versions_and_slots_are_plain(store: Store, vault_dir: Path) -> None:
    store.close()
    with raw(vault_dir) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == store_module.APPLICATION_ID
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert tables == {
            "meta",
            "key_slot",
            "client",
            "session",
            "followup_plan",
            "draft",
            "access_log",
            "amendment",
            "session_facts",
        }
        hexes = set("0123456789abcdef")
        for table, text_columns in {
            "client": ("id", "ref_index"),
            "session": ("id", "client_id"),
            "session_facts": ("id", "client_id"),
            "followup_plan": ("id", "client_id"),
            "draft": ("id", "ref_index"),
            "access_log": ("id",),
            "amendment": ("id", "session_id"),
        }.items():
            for row in conn.execute(f"SELECT {', '.join(text_columns)} FROM {table}"):
                for value in row:
                    assert value is None or (set(value) <= hexes and len(value) in (32, 64))
        meta = dict(conn.execute("SELECT name, value FROM meta"))
        assert set(meta) == {"schema_version", "profile", "state"}
        assert b"tester" not in meta["profile"]
        for (slot,) in conn.execute("SELECT slot FROM key_slot"):
            assert set(json.loads(slot)) == {
                "version",
                "kind",
                "salt",
                "kdf",
                "nonce",
                "wrapped_key",
            }
    content = (vault_dir / DB_NAME).read_bytes()
    for plain in (
        b"EPD-100",
        b"Anna",
        b"2026-03-02",
        b"gesprek gepland",
        b"tester",
        "cliënt".encode(),
    ):
        assert plain not in content


def test_nothing_plain_in_the_journal_during_a_transaction(
    store: Store, vault_dir: Path, tmp_path: Path
) -> None:
    canary = "CANARY-JOURNAL-7f3a"
    record(store, make_answers(f"{canary}-ref", f"{canary}-name", text=f"{canary}-text"))
    client = store.find_client(f"{canary}-ref")
    assert client is not None
    seen: dict[str, bytes] = {}
    with store.batch():
        # Deleting the client rewrites the pages holding its records: SQLite copies their
        # old content into the journal before changing them. Look at every file now.
        store.delete_client(client.id)
        store.save_draft({"note": "x" * 5000})
        for path in vault_dir.iterdir():
            seen[path.name] = path.read_bytes()
    assert seen[DB_NAME + "-journal"], "the journal should hold page images mid-transaction"
    for name, content in seen.items():
        assert canary.encode() not in content, name


def test_a_ciphertext_is_bound_to_its_row(
    store: Store, template: Template, vault_dir: Path
) -> None:
    store.close()
    first, second, _third = template.sessions
    with raw(vault_dir) as conn:
        (body,) = conn.execute("SELECT body FROM session WHERE id = ?", (first,)).fetchone()
        conn.execute("UPDATE session SET body = ? WHERE id = ?", (body, second))
        # The session row itself moved to another client: its blobs name the old parent.
        conn.execute(
            "UPDATE session SET client_id = ? WHERE id = ?",
            (template.client_b, template.sessions[2]),
        )
    with Store.unlock(vault_dir, PASSPHRASE) as reopened:
        with pytest.raises(RecordDamaged, match=f"record session/{second} is damaged"):
            reopened.get_session(second)
        with pytest.raises(RecordDamaged, match=f"session/{template.sessions[2]}"):
            reopened.get_session(template.sessions[2])
        assert reopened.get_session(first) is not None
        problems = reopened.verify()
        assert len(problems) == 2
        assert any(second in line for line in problems)


def test_a_swapped_search_index_is_noticed(
    store: Store, template: Template, vault_dir: Path
) -> None:
    store.close()
    with raw(vault_dir) as conn:
        rows = dict(conn.execute("SELECT id, ref_index FROM client"))
        conn.execute("UPDATE client SET ref_index = 'x' WHERE id = ?", (template.client_a,))
        conn.execute(
            "UPDATE client SET ref_index = ? WHERE id = ?",
            (rows[template.client_a], template.client_b),
        )
    with Store.unlock(vault_dir, PASSPHRASE) as reopened:
        with pytest.raises(RecordDamaged, match="does not match its search index"):
            reopened.find_client("EPD-100")
        problems = reopened.verify()
        assert {line.split()[1] for line in problems} == {
            f"client/{template.client_a}",
            f"client/{template.client_b}",
        }


def test_one_flipped_byte_is_named_and_everything_else_loads(
    store: Store, template: Template, vault_dir: Path
) -> None:
    store.close()
    damaged_id = template.sessions[1]
    flip_byte(vault_dir, "session", "body", damaged_id, position=100)
    with Store.unlock(vault_dir, PASSPHRASE) as reopened:
        assert reopened.verify() == [f"record session/{damaged_id} is damaged or was moved"]
        damaged: list[str] = []
        loaded = list(reopened.iter_sessions(damaged))
        assert damaged == [f"record session/{damaged_id} is damaged or was moved"]
        assert {s.id for s in loaded} == set(template.sessions) - {damaged_id}
        for session_id in set(template.sessions) - {damaged_id}:
            assert reopened.get_session(session_id) is not None
        with pytest.raises(RecordDamaged):
            reopened.get_session(damaged_id)
        with pytest.raises(RecordDamaged):
            list(reopened.iter_sessions())
        assert len(reopened.list_clients()) == 2  # the header is intact
        assert reopened.get_plan(template.client_a) is not None
        assert len(reopened.list_drafts()) == 1


def test_damaged_records_of_every_kind_are_named(
    store: Store, template: Template, vault_dir: Path
) -> None:
    store.close()
    with raw(vault_dir) as conn:
        plan_id = conn.execute(
            "SELECT id FROM followup_plan WHERE client_id = ?", (template.client_b,)
        ).fetchone()[0]
    flip_byte(vault_dir, "client", "data", template.client_b, position=-1)
    flip_byte(vault_dir, "session", "meldcode", template.sessions[0], position=13)
    flip_byte(vault_dir, "followup_plan", "data", plan_id, position=20)
    flip_byte(vault_dir, "draft", "data", template.draft, position=0)  # the version byte
    with Store.unlock(vault_dir, PASSPHRASE) as reopened:
        assert sorted(line.split()[1] for line in reopened.verify()) == sorted(
            [
                f"client/{template.client_b}",
                f"session/{template.sessions[0]}",
                f"followup_plan/{plan_id}",
                f"draft/{template.draft}",
            ]
        )
        damaged: list[str] = []
        overviews = reopened.list_clients(damaged)
        assert [o.client.reference for o in overviews] == ["EPD-100"]
        assert damaged == [f"record client/{template.client_b} is damaged or was moved"]
        plans_damaged: list[str] = []
        assert reopened.list_plans(plans_damaged) and len(plans_damaged) == 1
        drafts_damaged: list[str] = []
        assert reopened.list_drafts(drafts_damaged) == [] and len(drafts_damaged) == 1


def test_a_damaged_profile_does_not_lock_the_user_out(store: Store, vault_dir: Path) -> None:
    store.close()
    with raw(vault_dir) as conn:
        (blob,) = conn.execute("SELECT value FROM meta WHERE name = 'profile'").fetchone()
        conn.execute("UPDATE meta SET value = ? WHERE name = 'profile'", (blob[:-1],))
    with Store.unlock(vault_dir, PASSPHRASE) as reopened:
        assert reopened.user_name is None
        assert reopened.verify() == ["record meta/profile is damaged or was moved"]


# --------------------------------------------------------------------------------------------
# Passphrases, slots and the throttle


def test_wrong_passphrase_same_message_growing_delay(vault_dir: Path) -> None:
    sleep = FakeSleep()
    throttle = UnlockThrottle(sleep=sleep)
    messages = []
    for attempt in ("wrong one entirely", "", "paraplu lavendel zeven maart "):
        with pytest.raises(WrongPassphrase) as caught:
            Store.unlock(vault_dir, attempt, throttle=throttle)
        messages.append(str(caught.value))
    assert messages == ["wrong passphrase"] * 3
    assert sleep.calls == [1.0, 2.0]  # 0 after the first failure, then 1, 2, 4 ...
    # The lock file was released after each failure; a success resets the throttle.
    Store.unlock(vault_dir, PASSPHRASE, throttle=throttle).close()
    assert throttle.failures == 0


def test_absurd_kdf_parameters_are_refused_before_deriving(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with raw(vault_dir) as conn:
        slot_id, text = conn.execute(
            "SELECT id, slot FROM key_slot WHERE kind = 'passphrase'"
        ).fetchone()
    for memory_kib, pattern in ((2**40, "above the maximum"), (8, "below the minimum")):
        slot = json.loads(text)
        slot["kdf"]["memory_kib"] = memory_kib
        with raw(vault_dir) as conn:
            conn.execute("UPDATE key_slot SET slot = ? WHERE id = ?", (json.dumps(slot), slot_id))

        def no_derivation(*args: object, **kwargs: object) -> None:
            raise AssertionError("Argon2id must not run for refused parameters")

        monkeypatch.setattr(vault_module, "_argon2id", no_derivation)
        throttle = UnlockThrottle(sleep=FakeSleep())
        started = time.perf_counter()
        with pytest.raises(VaultError, match=pattern) as caught:
            Store.unlock(vault_dir, PASSPHRASE, throttle=throttle)
        assert not isinstance(caught.value, WrongPassphrase)
        assert time.perf_counter() - started < 0.5
        assert throttle.failures == 0


def test_a_malformed_slot_is_named(vault_dir: Path) -> None:
    with raw(vault_dir) as conn:
        conn.execute("UPDATE key_slot SET slot = '{\"version\": 1' WHERE kind = 'passphrase'")
    with pytest.raises(VaultError, match=r"key slot .*not readable JSON"):
        Store.unlock(vault_dir, PASSPHRASE)


def test_change_passphrase_rewraps_and_drops_the_old_slot(store: Store, vault_dir: Path) -> None:
    throttle = UnlockThrottle(sleep=FakeSleep())
    with pytest.raises(WrongPassphrase):
        store.change_passphrase("not the passphrase", "a brand new passphrase", throttle=throttle)
    with pytest.raises(VaultError, match="at least 12"):
        store.change_passphrase(PASSPHRASE, "too short")
    with raw(vault_dir) as conn:
        blobs_before = conn.execute("SELECT body FROM session ORDER BY id").fetchall()
    store.change_passphrase(PASSPHRASE, "a brand new passphrase")
    store.close()
    with raw(vault_dir) as conn:
        kinds = sorted(row[0] for row in conn.execute("SELECT kind FROM key_slot"))
        assert kinds == ["passphrase", "recovery"]
        assert conn.execute("SELECT body FROM session ORDER BY id").fetchall() == blobs_before
    with pytest.raises(WrongPassphrase):
        Store.unlock(vault_dir, PASSPHRASE, throttle=throttle)
    with Store.unlock(vault_dir, "a brand new passphrase") as reopened:
        assert len(reopened.list_clients()) == 2


def test_recovery_key_sets_a_new_passphrase(vault_dir: Path, template: Template) -> None:
    throttle = UnlockThrottle(sleep=FakeSleep())
    typo = template.recovery[:-1] + ("0" if template.recovery[-1] != "0" else "1")
    with pytest.raises(VaultError, match="not a valid recovery key"):
        Store.unlock_with_recovery(vault_dir, typo, "new passphrase here", throttle=throttle)
    other = vault_module.generate_recovery_key()[1]
    with pytest.raises(WrongPassphrase):
        Store.unlock_with_recovery(vault_dir, other, "new passphrase here", throttle=throttle)
    with pytest.raises(VaultError, match="at least 12"):
        Store.unlock_with_recovery(vault_dir, template.recovery, "short")
    recovered = Store.unlock_with_recovery(
        vault_dir, template.recovery.lower(), "new passphrase here"
    )
    with recovered:
        assert len(recovered.list_clients()) == 2
    with pytest.raises(WrongPassphrase):
        Store.unlock(vault_dir, PASSPHRASE, throttle=throttle)
    Store.unlock(vault_dir, "new passphrase here").close()


# --------------------------------------------------------------------------------------------
# Locking, files that are not vaults, versions


def test_a_second_copy_is_refused_clearly(store: Store, vault_dir: Path) -> None:
    with pytest.raises(VaultLocked, match="open in another Kindcheck window or process"):
        Store.unlock(vault_dir, PASSPHRASE)
    with pytest.raises(VaultLocked):
        Store.restore(vault_dir / DB_NAME, vault_dir, force=True)
    client = store.add_client("EPD-700")  # the first copy carries on
    store.close()
    with Store.unlock(vault_dir, PASSPHRASE) as second:
        assert second.get_client(client.id) is not None


def test_no_vault_and_existing_vault(tmp_path: Path, vault_dir: Path) -> None:
    with pytest.raises(VaultError, match="there is no vault"):
        Store.unlock(tmp_path / "nowhere", PASSPHRASE)
    assert not (tmp_path / "nowhere").exists()  # unlocking never creates folders
    with pytest.raises(VaultError, match="already exists"):
        Store.create(vault_dir, PASSPHRASE, "tester")
    with pytest.raises(VaultError, match="at least 12"):
        Store.create(tmp_path / "new", "short", "tester")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"this is a note, not a database\n" * 10,
        b"SQLite format 3\x00" + bytes(200),
    ],
)
def test_a_file_that_is_not_a_vault_is_left_alone(vault_dir: Path, content: bytes) -> None:
    db = vault_dir / DB_NAME
    db.write_bytes(content)
    with pytest.raises(VaultError, match="not a Kindcheck vault") as caught:
        Store.unlock(vault_dir, PASSPHRASE)
    assert "nothing was changed" in str(caught.value)
    assert db.read_bytes() == content
    # The lock was released: another attempt gives the same answer, not "open elsewhere".
    with pytest.raises(VaultError, match="not a Kindcheck vault"):
        Store.unlock(vault_dir, PASSPHRASE)


def test_another_sqlite_database_is_not_a_vault(tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("CREATE TABLE notes (text)")
    before = digest(folder / DB_NAME)
    with pytest.raises(VaultError, match="SQLite database but not a Kindcheck vault"):
        Store.unlock(folder, PASSPHRASE)
    assert digest(folder / DB_NAME) == before


def test_a_damaged_page_gives_a_clear_message_and_changes_nothing(
    store: Store, vault_dir: Path
) -> None:
    for number in range(30):  # enough pages that damage lands inside record data
        store.save_draft({"note": f"{number} " + "x" * 3000})
    store.close()
    db = vault_dir / DB_NAME
    content = bytearray(db.read_bytes())
    page = 4096
    middle = (len(content) // page // 2) * page
    content[middle : middle + page] = b"\xa5" * page
    db.write_bytes(bytes(content))
    before = digest(db)
    try:
        reopened = Store.unlock(vault_dir, PASSPHRASE)
    except VaultError as error:  # damage in a page unlock needs: a clear refusal
        assert "damaged" in str(error)
    else:
        with reopened:
            problems = reopened.verify()
            assert problems and all(isinstance(line, str) for line in problems)
            assert any("the database file" in line or "damaged" in line for line in problems)
    assert digest(db) == before


def test_a_newer_schema_is_refused(vault_dir: Path) -> None:
    with raw(vault_dir) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (b"99",))
    before = digest(vault_dir / DB_NAME)
    with pytest.raises(VaultError, match=r"newer version of Kindcheck.*schema 99"):
        Store.unlock(vault_dir, PASSPHRASE)
    assert digest(vault_dir / DB_NAME) == before


def test_an_older_schema_is_migrated_on_unlock(
    vault_dir: Path, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    current = store_module.SCHEMA_VERSION

    def migrate_to_next(conn: Any, cipher: Any) -> None:
        assert cipher is not None  # a migration may re-encrypt records
        calls.append(1)
        conn.exec_driver_sql("CREATE TABLE next_table (id TEXT PRIMARY KEY, entry BLOB)")

    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, current, migrate_to_next)
    with Store.unlock(vault_dir, PASSPHRASE) as migrated:
        assert migrated.schema_version == current + 1
        assert len(list(migrated.iter_sessions())) == 3
    with Store.unlock(vault_dir, PASSPHRASE) as again:
        assert again.schema_version == current + 1
    assert calls == [1]  # once only
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current)
    with pytest.raises(VaultError, match="newer version"):
        Store.unlock(vault_dir, PASSPHRASE)


def test_a_failing_migration_changes_nothing(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: Any, cipher: Any) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (id TEXT)")
        raise VaultError("migration failed on purpose")

    current = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, current, broken)
    with pytest.raises(VaultError, match="on purpose"):
        Store.unlock(vault_dir, PASSPHRASE)
    with raw(vault_dir) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in tables
        assert (
            conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
            == str(current).encode()
        )


def test_the_migrated_schema_matches_the_table_classes(tmp_path: Path) -> None:
    """Migration 0 -> 1 is frozen SQL; the SQLModel classes must describe the same tables."""
    from sqlmodel import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    store_module._VaultModel.metadata.create_all(engine)
    engine.dispose()
    migrated = store_module._engine_for(tmp_path / "migrated.db", create=True)
    with migrated.begin() as conn:
        store_module._run_migrations(conn, 0, None)
    migrated.dispose()

    def shape(path: Path) -> dict[str, list[tuple[str, str, int, int]]]:
        with sqlite3.connect(path) as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            return {
                table: sorted(
                    (
                        col[1],
                        col[2].upper().replace("VARCHAR", "TEXT").replace("INTEGER", "INT"),
                        col[3],
                        col[5],
                    )
                    for col in conn.execute(f"PRAGMA table_info({table})")
                )
                for table in tables
            }

    assert shape(tmp_path / "models.db") == shape(tmp_path / "migrated.db")


# --------------------------------------------------------------------------------------------
# Backup and restore


def test_backup_and_restore(store: Store, vault_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.kindcheck"
    assert store.backup(copy) == copy
    with pytest.raises(VaultError, match="already exists"):
        store.backup(copy)
    store.backup(copy, force=True)
    content = copy.read_bytes()
    assert content.startswith(store_module.SQLITE_MAGIC)
    assert b"EPD-100" not in content and b"Anna" not in content
    assert not list(tmp_path.glob(".backup.kindcheck.partial*"))
    store.add_client("EPD-800")  # after the backup
    store.close()

    throttle = UnlockThrottle(sleep=FakeSleep())
    before = digest(vault_dir / DB_NAME)
    with pytest.raises(VaultError, match=r"already exists.*--force"):
        Store.restore(copy, vault_dir)
    with pytest.raises(WrongPassphrase):
        Store.restore(
            copy, vault_dir, force=True, passphrase="not the passphrase", throttle=throttle
        )
    not_a_vault = tmp_path / "notes.txt"
    not_a_vault.write_text("hello\n" * 50)
    with pytest.raises(VaultError, match="not a Kindcheck vault"):
        Store.restore(not_a_vault, vault_dir, force=True)
    assert digest(vault_dir / DB_NAME) == before

    Store.restore(copy, vault_dir, force=True, passphrase=PASSPHRASE)
    assert sorted(p.name for p in vault_dir.iterdir()) == [
        DB_NAME,
        DB_NAME + "-journal",
        "kindcheck.lock",
    ]
    with Store.unlock(vault_dir, PASSPHRASE) as restored:
        assert restored.find_client("EPD-800") is None
        assert restored.find_client("EPD-100") is not None
        assert restored.verify() == []

    fresh = tmp_path / "fresh"
    Store.restore(copy, fresh)  # into an empty place: no --force needed
    assert Store.exists(fresh)


def test_restore_ignores_a_stale_journal(vault_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.kindcheck"
    with Store.unlock(vault_dir, PASSPHRASE) as opened:
        opened.backup(copy)
    # A left-over journal with garbage must never be "rolled back" into the restored file.
    (vault_dir / (DB_NAME + "-journal")).write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" * 600)
    Store.restore(copy, vault_dir, force=True)
    with Store.unlock(vault_dir, PASSPHRASE) as restored:
        assert restored.verify() == []


# --------------------------------------------------------------------------------------------
# Follow-up plans after a session


def _outcome(answers: dict[str, Any]) -> Any:
    return compute_outcome(session_from_dict(answers))


def test_plan_after_session_rules() -> None:
    calm = _outcome(make_answers("EPD-1"))
    unsafe = _outcome(make_answers("EPD-1", signal=True))
    assert calm.followup_rhythm is Rhythm.CHILDREN and unsafe.followup_rhythm is Rhythm.SAFETY

    made = plan_after_session(None, calm, SESSION_DAY)
    assert made is not None
    plan, rhythm, change = made
    assert (rhythm, change) == (Rhythm.CHILDREN, "new")
    assert plan.ends_on is not None and plan.ends_on > SESSION_DAY
    existing = StoredPlan("p", "c", plan, rhythm, store_module._now())

    later = SESSION_DAY + timedelta(days=20)
    tightened = plan_after_session(existing, unsafe, later)
    assert tightened is not None
    assert tightened[1:] == (Rhythm.SAFETY, "more_frequent")
    assert tightened[0].rule.startswith(rrule_for(Rhythm.SAFETY))
    assert tightened[0].ends_on == plan.ends_on

    safe_plan = StoredPlan("p", "c", tightened[0], Rhythm.SAFETY, store_module._now())
    kept = plan_after_session(safe_plan, calm, later)
    assert (
        kept is not None and kept[0] == safe_plan.plan and kept[1:] == (Rhythm.SAFETY, "unchanged")
    )
    by_hand = StoredPlan(
        "p", "c", new_plan(Rhythm.CHILDREN, SESSION_DAY, None), None, store_module._now()
    )
    untouched = plan_after_session(by_hand, unsafe, later)
    assert untouched is not None and untouched[1:] == (None, "unchanged")

    closed = _outcome(
        {
            **make_answers("EPD-2"),
            "questionnaires": [
                walk_shipped(
                    "kindcheck", {"has_minor_children": "no", "pregnancy": "no"}, "x", SESSION_DAY
                )
            ],
        }
    )
    assert plan_after_session(None, closed, SESSION_DAY) is None


def test_record_tightens_an_existing_plan(store: Store, template: Template) -> None:
    result = record(
        store,
        make_answers(
            "EPD-200", kind="followup", signal=True, when=SESSION_DAY + timedelta(days=50)
        ),
    )
    assert not result.client_created and result.plan_change == "more_frequent"
    plan = get_plan(store, template.client_b)
    assert plan is not None and plan.rhythm is Rhythm.SAFETY
    calm_again = record(
        store, make_answers("EPD-200", kind="followup", when=SESSION_DAY + timedelta(days=64))
    )
    assert calm_again.plan_change == "unchanged"
    stored = get_plan(store, template.client_b)
    assert stored is not None and stored.rhythm is Rhythm.SAFETY


def test_outcome_json_round_trips(store: Store, template: Template) -> None:
    session = session_from_dict(make_answers("EPD-900", problems=2))
    outcome = compute_outcome(session)
    result = record_session(store, session, outcome, "en")
    loaded = store.get_session(result.session.id)
    assert loaded is not None
    assert loaded.outcome == outcome_to_json(outcome, "en")
    assert loaded.answers == session.to_dict()
