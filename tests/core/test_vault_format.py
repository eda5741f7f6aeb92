"""Record format 2 and the vault's ledger (issue 13): the generation inside every record,
padding, the upgrade of an existing vault, and what verify names when rows are removed, added
or put back older.

The attack suite (test_vault_attacks.py) drives the command line; these tests look at the
store's own promises one by one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
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
from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store import DB_NAME, LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.store.envelope import HEADER_BYTES, MINIMUM, open_json, padded_length, padme
from kindcheck.vault import RecordCipher, UnlockThrottle, new_data_key

V2_VAULT = Path(__file__).parent / "data" / "vault-v2"
V2_RECOVERY = "2VCW-EK4T-WN8N-X626-9TYS-2BRT-X0TZ-W47T-PWJE"
TAG_AND_NONCE = 1 + 12 + 16


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("format") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        record(store, make_answers("EPD-100", "Anna", signal=True, problems=1))
        record(store, make_answers("EPD-200", "Bram", problems=3))
        store.save_draft({"half": "way"}, "EPD-100")
    (folder / LOCK_NAME).unlink()
    return folder


@pytest.fixture
def vault(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template, folder)
    return folder


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    folder = tmp_path / "v2"
    shutil.copytree(V2_VAULT, folder)
    return folder


def ids(folder: Path, table: str) -> list[str]:
    with raw(folder) as conn:
        return [row[0] for row in conn.execute(f"SELECT id FROM {table} ORDER BY rowid")]


# --------------------------------------------------------------------------------------------
# The envelope and padding


def test_padme_keeps_its_promises() -> None:
    sizes = set()
    for length in range(1, 70_000):
        padded = padme(length)
        assert padded >= length
        assert padded - length <= length * 0.12 + 1
        sizes.add(padded)
    assert len(sizes) < 600  # few buckets: the exact length is hidden
    assert padded_length(300, 384) == 384 and padded_length(5000, 4096) == padme(5000)


def test_a_record_carries_its_generation_and_zero_padding() -> None:
    cipher = RecordCipher(new_data_key())
    blob = store_module.envelope.seal_json(cipher, "client", "c1", {"reference": "X"}, 41)
    assert len(blob) == MINIMUM["client"] + TAG_AND_NONCE
    opened = open_json(cipher, "client", "c1", blob, 2)
    assert (opened.generation, opened.value) == (41, {"reference": "X"})
    # Anything else under a valid tag is damage: non-zero padding, a length past the end,
    # another magic. (Only someone with the key can make these; they are still refused.)
    good = cipher.decrypt("client", "c1", blob, 2)
    for bad in (
        good[:-1] + b"\x01",
        good[:11] + (10_000).to_bytes(4, "big") + good[15:],
        b"XX" + good[2:],
    ):
        with pytest.raises(RecordDamaged):
            open_json(cipher, "client", "c1", cipher.encrypt("client", "c1", bad, 2), 2)
    # a format 1 record (storage schema 2) still reads, without a generation
    legacy = cipher.encrypt_json("client", "c1", {"reference": "X"}, 1)
    assert open_json(cipher, "client", "c1", legacy, 1).generation is None
    with pytest.raises(RecordDamaged):
        open_json(cipher, "client", "c1", blob, 1)  # the format is bound too


def test_sizes_do_not_tell_kinds_of_log_entries_or_families_apart(vault: Path) -> None:
    """A read and a Meldcode step write log entries of one size; plans of a family with one
    and with four children, and client records, are one size too."""
    with Store.unlock(vault, PASSPHRASE) as store:
        clients = {o.client.reference: o.client.id for o in store.list_clients()}
        sessions = store.list_sessions(clients["EPD-100"])
        store.set_meldcode_step(
            sessions[0].id, "consult", SESSION_DAY, "overleg met de aandachtsfunctionaris"
        )
        store.find_client("EPD-200")
        big = make_answers("EPD-300", "Cees")
        big["questionnaires"][0] = walk_shipped(
            "kindcheck",
            {"has_minor_children": "yes", "child_count": 4, "child_age": 6, "pregnancy": "no"},
            "notitie",
            SESSION_DAY,
        )
        record(store, big)
    with raw(vault) as conn:
        log = {len(row[0]) for row in conn.execute("SELECT data FROM access_log")}
        plans = {len(row[0]) for row in conn.execute("SELECT data FROM followup_plan")}
        client_sizes = {len(row[0]) for row in conn.execute("SELECT data FROM client")}
    assert log == {MINIMUM["access_log"] + TAG_AND_NONCE}
    assert plans == {MINIMUM["followup_plan"] + TAG_AND_NONCE}
    assert client_sizes == {MINIMUM["client"] + TAG_AND_NONCE}


# --------------------------------------------------------------------------------------------
# An existing vault: storage schema 2, format 1 records


def test_a_schema_2_vault_reads_as_it_is_and_is_upgraded_on_unlock(v2: Path) -> None:
    with Store.unlock(v2, PASSPHRASE, read_only=True) as old:
        assert old.schema_version == 2
        before = {
            "clients": [(o.client.reference, o.session_count) for o in old.list_clients()],
            "sessions": sorted((s.id, s.answers == s.answers) for s in old.iter_sessions()),
            "log": old.access_log(),
            "drafts": [d.payload for d in old.list_drafts()],
        }
        steps = {s.id: old.meldcode_steps(s.id) for s in old.iter_sessions()}
    with Store.unlock(v2, PASSPHRASE) as upgraded:
        assert upgraded.schema_version == store_module.SCHEMA_VERSION == 5
        assert upgraded.verify() == []
        assert [(o.client.reference, o.session_count) for o in upgraded.list_clients()] == (
            before["clients"]
        )
        assert upgraded.access_log() == before["log"]  # same entries, same hash chain
        assert [d.payload for d in upgraded.list_drafts()] == before["drafts"]
        assert {s.id: upgraded.meldcode_steps(s.id) for s in upgraded.iter_sessions()} == steps
    with raw(v2) as conn:
        for table, column in (("client", "data"), ("session", "body"), ("access_log", "data")):
            formats = {r[0] for r in conn.execute(f"SELECT format_version FROM {table}")}
            assert formats == {2}, table
            sizes = {len(r[0]) for r in conn.execute(f"SELECT {column} FROM {table}")}
            assert all(size >= 384 + TAG_AND_NONCE for size in sizes), (table, sizes)
    # and the recovery key made by the old version still opens it
    Store.unlock_with_recovery(v2, V2_RECOVERY, "een nieuw wachtwoord hier").close()


def test_a_schema_2_backup_is_upgraded_when_restored(v2: Path, tmp_path: Path) -> None:
    target = tmp_path / "restored"
    Store.restore(v2 / DB_NAME, target, passphrase=PASSPHRASE)
    with Store.unlock(target, PASSPHRASE) as restored:
        assert restored.schema_version == store_module.SCHEMA_VERSION == 5
        assert restored.verify() == []
        assert restored.access_log()[-1].action == "restore"


def test_a_record_the_upgrade_could_not_read_stays_named(v2: Path) -> None:
    session_id = ids(v2, "session")[0]
    flip_byte(v2, "session", "body", session_id)
    with Store.unlock(v2, PASSPHRASE) as upgraded:
        assert upgraded.verify() == [f"record session/{session_id} is damaged or was moved"]
        with pytest.raises(VaultError, match="old format"):
            upgraded.set_meldcode_step(session_id, "consult", None)


# --------------------------------------------------------------------------------------------
# The ledger: what verify names


def _steal(vault: Path, sql: str) -> None:
    with raw(vault) as conn:
        conn.execute(sql)


def test_a_deleted_draft_and_a_deleted_plan_are_named(vault: Path) -> None:
    (draft,) = ids(vault, "draft")
    plan = ids(vault, "followup_plan")[0]
    _steal(vault, f"DELETE FROM draft WHERE id = '{draft}'")
    _steal(vault, f"DELETE FROM followup_plan WHERE id = '{plan}'")
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = store.verify()
    assert any(f"draft/{draft} is missing" in line for line in problems), problems
    assert any(f"followup_plan/{plan} is missing" in line for line in problems), problems


def test_an_older_draft_and_profile_are_named(vault: Path) -> None:
    (draft,) = ids(vault, "draft")
    with raw(vault) as conn:
        (old_draft,) = conn.execute("SELECT data FROM draft").fetchone()
        (old_profile,) = conn.execute("SELECT value FROM meta WHERE name = 'profile'").fetchone()
    with Store.unlock(vault, PASSPHRASE) as store:
        store.save_draft({"half": "more"}, "EPD-100", draft_id=draft)
    with raw(vault) as conn:
        conn.execute("UPDATE draft SET data = ?", (old_draft,))
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = store.verify()
    assert any(f"draft/{draft} is older" in line for line in problems), problems
    # the profile was written once, at creation: an "older" one is one from another vault
    # state; put back it is the same, so nothing is reported
    with raw(vault) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'profile'", (old_profile,))
    with Store.unlock(vault, PASSPHRASE) as store:
        assert not [line for line in store.verify() if "meta/profile" in line]


def test_a_session_moved_to_another_client_is_named_once(vault: Path) -> None:
    """Its blobs name the first client: damaged, and not also "missing" and "added"."""
    clients = ids(vault, "client")
    session = ids(vault, "session")[0]
    _steal(vault, f"UPDATE session SET client_id = '{clients[1]}' WHERE id = '{session}'")
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.verify() == [f"record session/{session} is damaged or was moved"]


def test_a_lost_state_record_is_rebuilt_at_once_and_reported(vault: Path) -> None:
    _steal(vault, "DELETE FROM meta WHERE name = 'state'")
    with Store.unlock(vault, PASSPHRASE) as store:
        (problem,) = store.verify()
    assert "was missing and was rebuilt" in problem
    assert "records deleted or put back before then can no longer be told" in problem


def test_problems_have_codes_and_name_their_record(vault: Path) -> None:
    session = ids(vault, "session")[0]
    _steal(vault, f"DELETE FROM session WHERE id = '{session}'")
    with Store.unlock(vault, PASSPHRASE) as store:
        (problem,) = store.check()
    assert (problem.code, problem.record) == ("record.missing", f"session/{session}")


# --------------------------------------------------------------------------------------------
# Key slots


def test_a_new_recovery_key_replaces_the_old_one(vault: Path, template: Path) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        with pytest.raises(store_module.WrongPassphrase):
            store.new_recovery_key("not the passphrase")
        fresh = store.new_recovery_key(PASSPHRASE)
        assert store.verify() == []
        assert store.access_log()[-1].detail == "recovery key replaced"
    Store.unlock_with_recovery(vault, fresh, "weer een ander wachtwoord").close()


def test_slots_added_or_deleted_outside_kindcheck_are_named(vault: Path) -> None:
    with raw(vault) as conn:
        slot_id, slot = conn.execute(
            "SELECT id, slot FROM key_slot WHERE kind = 'recovery'"
        ).fetchone()
        conn.execute("DELETE FROM key_slot WHERE id = ?", (slot_id,))
        # Another id for the same slot: its first character changed (never to itself).
        other = ("e" if slot_id[0] == "f" else "f") + slot_id[1:]
        conn.execute("INSERT INTO key_slot VALUES (?, 'recovery', ?)", (other, slot))
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = store.verify()
    assert any(f"key slot {slot_id} is missing" in line for line in problems), problems
    assert any("was added outside Kindcheck" in line for line in problems), problems


def test_a_damaged_slot_is_reported_at_unlock(vault: Path) -> None:
    _steal(vault, "UPDATE key_slot SET slot = '{' WHERE kind = 'recovery'")
    with Store.unlock(vault, PASSPHRASE) as store:
        (damaged,) = store.damaged_slots
        assert damaged.kind == "recovery" and "new recovery key" in damaged.message


# --------------------------------------------------------------------------------------------
# Rollback, read-only media, backups, secrets


def test_a_restore_through_kindcheck_acknowledges_an_older_copy(
    vault: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    with Store.unlock(vault, PASSPHRASE) as store:
        store.backup(copy)
        store.add_client("EPD-900")
    shutil.copy2(copy, vault / DB_NAME)
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.rollback is not None
    Store.restore(copy, vault, force=True, passphrase=PASSPHRASE)
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.rollback is None


def test_reads_of_a_read_only_vault_are_logged_once_it_is_writable(vault: Path) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        before = len(store.access_log())
        client = store.list_clients()[0].client
    before_bytes = (vault / DB_NAME).read_bytes()
    with Store.unlock(vault, PASSPHRASE, read_only=True) as store:
        assert store.read_only and store.read_only_warning
        store.list_sessions(client.id)  # opening a client: a "read" entry
        with pytest.raises(VaultError, match="read-only"):
            store.add_client("EPD-901")
    assert (vault / DB_NAME).read_bytes() == before_bytes
    for _ in range(2):  # appended once, not again at the next unlock
        with Store.unlock(vault, PASSPHRASE) as store:
            entries = store.access_log()
            assert len(entries) == before + 1
            assert entries[-1].action == "read"
            assert entries[-1].detail.endswith("(written later: the vault was read-only)")
            assert store.verify() == []


def test_a_backup_whose_log_entry_fails_is_not_written(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "backup.db"
    with Store.unlock(vault, PASSPHRASE) as store:

        def full_disk(*args: Any, **kwargs: Any) -> None:
            raise VaultError("the disk is full: nothing was saved")

        monkeypatch.setattr(store, "log_access", full_disk)
        with pytest.raises(VaultError, match="no backup was written"):
            store.backup(target)
        assert not target.exists() and not list(tmp_path.glob(".backup.db.partial*"))


def test_no_copy_of_the_passphrase_is_kept_by_the_store_after_the_lock(vault: Path) -> None:
    """The store derives the key and lets the passphrase go (the app's input widgets are
    another matter: see the app's attack tests). Every object reachable from the store is
    looked at, modules and classes aside (they are the program, not its state)."""
    import gc
    import sys
    import types

    secret = "".join(reversed(PASSPHRASE[::-1]))  # a new object, equal to the passphrase
    store = Store.unlock(vault, secret)
    del secret
    try:
        store.lock()
        module_dicts = {id(vars(m)) for m in list(sys.modules.values()) if m is not None}
        found: list[str] = []
        seen: set[int] = set()
        stack: list[Any] = [store]
        while stack and len(seen) < 500_000:
            item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, types.ModuleType | type) or id(item) in module_dicts:
                continue
            if isinstance(item, str | bytes | bytearray):
                if (item if isinstance(item, str) else bytes(item).decode("utf-8", "replace")) == (
                    PASSPHRASE
                ):
                    found.append(type(item).__name__)
                continue
            stack.extend(gc.get_referents(item))
        assert not found
    finally:
        store.close()


def test_store_messages_hold_no_control_characters(vault: Path) -> None:
    escape = "x\x1b[2J\n\u202eIn orde"
    _steal(vault, f"UPDATE draft SET id = '{escape}'")
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = store.verify()
        damaged: list[str] = []
        store.list_drafts(damaged)
    for line in [*problems, *damaged]:
        assert not any(ord(ch) < 32 or ch == "\u202e" for ch in line), repr(line)
    assert any("x[2J In orde" in line for line in problems), problems


def test_the_state_record_keeps_no_client_data(vault: Path) -> None:
    """The directory holds ids and generations; references stay in the client records."""
    with Store.unlock(vault, PASSPHRASE) as store:
        cipher = store._require_open()
    with raw(vault) as conn:
        (blob,) = conn.execute("SELECT value FROM meta WHERE name = 'state'").fetchone()
    state = open_json(cipher, "meta", "state", blob, 2).value
    assert "EPD-100" not in json.dumps(state) and "Anna" not in json.dumps(state)
    assert set(state) >= {"generation", "clients", "drafts", "slots", "schema_version"}
    assert len(blob) >= HEADER_BYTES


def test_sqlite_is_never_asked_to_run_a_planted_trigger_through_a_restore(
    template: Path, tmp_path: Path
) -> None:
    crafted = tmp_path / "crafted"
    shutil.copytree(template, crafted)
    with raw(crafted) as conn:
        conn.execute("CREATE TRIGGER t AFTER INSERT ON access_log BEGIN DELETE FROM client; END")
    with pytest.raises(VaultError, match="trigger t on access_log"):
        Store.restore(crafted / DB_NAME, tmp_path / "new", passphrase=PASSPHRASE)
    assert not (tmp_path / "new" / DB_NAME).exists()
    conn = sqlite3.connect(crafted / DB_NAME)
    try:
        assert conn.execute("SELECT count(*) FROM client").fetchone()[0] == 2
    finally:
        conn.close()


def test_a_log_cut_back_to_a_point_after_which_only_reads_happened_is_seen_only_outside(
    vault: Path,
) -> None:
    """The limit SECURITY.md states: reads change no record, so the state of that point and
    the log cut back to it make exactly the older file. Nothing in the file can tell; the
    generation kept on this computer can."""
    with Store.unlock(vault, PASSPHRASE) as store:
        client = store.list_clients()[0].client
    with raw(vault) as conn:
        (old_state,) = conn.execute("SELECT value FROM meta WHERE name = 'state'").fetchone()
        (old_end,) = conn.execute("SELECT max(position) FROM access_log").fetchone()
    with Store.unlock(vault, PASSPHRASE) as store:
        store.list_sessions(client.id)  # what the insider wants hidden: reading the file
        store.find_client("EPD-200")
    with raw(vault) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'state'", (old_state,))
        conn.execute("DELETE FROM access_log WHERE position > ?", (old_end,))
    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.verify() == []  # undetectable inside the file
        assert store.rollback is not None  # but this computer saw a newer generation
