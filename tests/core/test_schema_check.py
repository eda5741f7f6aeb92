"""The schema check (issue 13): what it expects is exactly what Kindcheck makes, it names what
is not, and it runs before anything is written (also when the schema changes while the vault
is open, and after a migration step)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import create_engine
from support.vault import PASSPHRASE, make_answers, raw, record

from kindcheck import store as store_module
from kindcheck.errors import SchemaRefused
from kindcheck.store import DB_NAME, LOCK_NAME, MIGRATIONS, Store, schema
from kindcheck.store import keys as store_keys
from kindcheck.store.schemacheck import expected_schema, schema_problems
from kindcheck.store.sqlite import read_schema
from kindcheck.vault import UnlockThrottle

V2_VAULT = Path(__file__).parent / "data" / "vault-v2"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("schema") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        record(store, make_answers("EPD-100", "Anna", signal=True))
    (folder / LOCK_NAME).unlink()
    return folder


@pytest.fixture
def vault(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template, folder)
    return folder


def shape(conn: sqlite3.Connection) -> dict[str, Any]:
    """Everything SQLite says about each table: columns, indexes with their columns, foreign
    keys (names of automatic indexes aside, which differ only by how SQLite numbers them)."""
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
    ]
    result: dict[str, Any] = {}
    for table in tables:
        columns = [
            (name, kind.upper().replace("VARCHAR", "TEXT"), notnull, default, pk, hidden)
            for _cid, name, kind, notnull, default, pk, hidden in conn.execute(
                f"PRAGMA table_xinfo({table})"
            )
        ]
        indexes = sorted(
            (
                unique,
                origin,
                partial,
                tuple(row[2] for row in conn.execute(f"PRAGMA index_info('{name}')")),
            )
            for _seq, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})")
        )
        keys = sorted(
            (row[2], row[3], row[4], row[5], row[6])
            for row in conn.execute(f"PRAGMA foreign_key_list({table})")
        )
        result[table] = (columns, indexes, keys)
    return result


def test_the_frozen_ddl_makes_what_the_table_classes_describe(tmp_path: Path) -> None:
    """The constants the check compares with and the SQLModel classes the code uses agree on
    every column, index and foreign key."""
    engine = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    store_module._VaultModel.metadata.create_all(engine)
    engine.dispose()
    frozen = sqlite3.connect(tmp_path / "frozen.db")
    for statement in schema.DDL_BY_VERSION[schema.SCHEMA_VERSION]:
        frozen.execute(statement)
    models = sqlite3.connect(tmp_path / "models.db")
    try:
        assert shape(models) == shape(frozen)
    finally:
        models.close()
        frozen.close()


@pytest.mark.parametrize("version", sorted(schema.DDL_BY_VERSION))
def test_the_migrations_make_exactly_the_frozen_ddl(tmp_path: Path, version: int) -> None:
    engine = store_module._engine_for(tmp_path / "migrated.db", create=True)
    try:
        with engine.begin() as conn:
            for step in range(version):
                MIGRATIONS[step](conn, None)
            found = read_schema(conn)
    finally:
        engine.dispose()
    assert sorted(found, key=lambda o: o.key) == sorted(
        expected_schema(version, MIGRATIONS), key=lambda o: o.key
    )


def test_a_new_vault_holds_exactly_the_expected_schema(vault: Path) -> None:
    conn = sqlite3.connect(vault / DB_NAME)
    try:
        found = read_schema(conn)
    finally:
        conn.close()
    assert not schema_problems(found, schema.SCHEMA_VERSION, MIGRATIONS)
    # the automatic indexes of the primary keys and UNIQUE columns are expected too
    automatic = {o.name for o in found if o.type == "index" and o.sql is None}
    assert automatic == {
        "sqlite_autoindex_meta_1",
        "sqlite_autoindex_key_slot_1",
        "sqlite_autoindex_client_1",
        "sqlite_autoindex_client_2",
        "sqlite_autoindex_session_1",
        "sqlite_autoindex_followup_plan_1",
        "sqlite_autoindex_followup_plan_2",
        "sqlite_autoindex_draft_1",
        "sqlite_autoindex_amendment_1",
        "sqlite_autoindex_access_log_1",
        "sqlite_autoindex_access_log_2",
        "sqlite_autoindex_session_facts_1",
    }
    assert not [o for o in found if o.type in ("trigger", "view")]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            ["CREATE TRIGGER t1 AFTER INSERT ON draft BEGIN DELETE FROM draft; END"],
            "the vault file holds a trigger t1 on draft that Kindcheck did not make",
        ),
        (["CREATE VIEW v1 AS SELECT 1"], "holds a view v1"),
        (["CREATE TABLE extra (x)"], "holds an extra table extra"),
        (["CREATE INDEX i1 ON client (data)"], "holds an extra index i1 on client"),
        (["DROP INDEX ix_draft_ref_index"], "the index ix_draft_ref_index on draft is missing"),
        (
            ["ALTER TABLE draft ADD COLUMN kc TEXT"],
            "the table draft is not as Kindcheck made it: extra column kc",
        ),
        (
            ["ALTER TABLE draft DROP COLUMN format_version"],
            "missing column format_version",
        ),
    ],
    ids=["trigger", "view", "table", "index", "missing index", "extra column", "dropped column"],
)
def test_each_difference_is_named(vault: Path, statements: list[str], expected: str) -> None:
    with raw(vault) as conn:
        for statement in statements:
            conn.execute(statement)
    with pytest.raises(SchemaRefused) as refused:
        Store.unlock(vault, PASSPHRASE)
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems
    assert "nothing was changed" in str(refused.value)
    # verify's way in: read-only, the problems listed, the records still checked
    with Store.unlock(vault, PASSPHRASE, inspect=True) as inspected:
        assert inspected.read_only
        assert any(expected in line for line in inspected.verify())


def test_a_trigger_planted_while_the_vault_is_open_is_refused_before_the_write(
    vault: Path,
) -> None:
    """SQLite's schema counter moves; the next write checks again and refuses before its
    first statement, so the trigger never fires."""
    with Store.unlock(vault, PASSPHRASE) as store:
        before = store.count_records()
        other = sqlite3.connect(vault / DB_NAME)
        other.execute("CREATE TRIGGER kc_now AFTER INSERT ON client BEGIN DELETE FROM session; END")
        other.commit()
        other.close()
        with pytest.raises(SchemaRefused, match="kc_now"):
            store.add_client("EPD-200")
        with pytest.raises(SchemaRefused, match="kc_now"):
            store.backup(vault.parent / "copy.db")
        assert not (vault.parent / "copy.db").exists()
        assert store.count_records() == before


def test_a_migration_step_that_leaves_something_else_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "v2"
    shutil.copytree(V2_VAULT, folder)
    before = (folder / DB_NAME).read_bytes()
    real = MIGRATIONS[2]

    def leaves_a_trigger(conn: Any, cipher: Any) -> None:
        real(conn, cipher)
        conn.exec_driver_sql("CREATE TRIGGER left_over AFTER INSERT ON draft BEGIN SELECT 1; END")

    monkeypatch.setitem(MIGRATIONS, 2, leaves_a_trigger)
    with pytest.raises(SchemaRefused, match="left_over"):
        Store.unlock(folder, PASSPHRASE)
    assert (folder / DB_NAME).read_bytes() == before


@pytest.fixture
def vault_v3(tmp_path: Path) -> Path:
    """A vault of storage schema 3, not yet upgraded (its tables are those of schema 2)."""
    folder = tmp_path / "v3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "SCHEMA_VERSION", 3)
        Store.create(folder, PASSPHRASE, "tester")[0].close()
    (folder / LOCK_NAME).unlink(missing_ok=True)
    return folder


def test_an_edited_schema_version_is_named_by_the_state_record(vault_v3: Path) -> None:
    """The plain value says 2, the tables are those of 2 and 3 alike, the encrypted state
    says 3: refused (migrating would re-seal records that are already sealed)."""
    vault = vault_v3
    with raw(vault) as conn:
        conn.execute("UPDATE meta SET value = X'32' WHERE name = 'schema_version'")
    before = (vault / DB_NAME).read_bytes()
    with pytest.raises(SchemaRefused, match="schema version says 2, but its encrypted state"):
        Store.unlock(vault, PASSPHRASE)
    with Store.unlock(vault, PASSPHRASE, inspect=True) as inspected:
        assert any("edited or damaged" in line for line in inspected.verify())
    assert (vault / DB_NAME).read_bytes() == before


def test_a_schema_page_that_is_not_utf8_is_damage_not_a_crash(vault: Path) -> None:
    db = vault / DB_NAME
    data = bytearray(db.read_bytes())
    position = data.find(b"draftdraft", 0, 4096)
    data[position : position + 5] = b"dr\xffft"
    db.write_bytes(bytes(data))
    with pytest.raises(store_module.VaultError, match="damaged"):
        Store.unlock(vault, PASSPHRASE)
