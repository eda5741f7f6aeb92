"""How a vault file is brought up to the newest storage schema.

:data:`MIGRATIONS` is keyed by the version a step migrates *from*; a step gets the record
cipher so that it can re-encrypt records (it is None only when a vault is created, from
version 0). A vault is migrated on unlock in one transaction (SQLite DDL is transactional),
and after every step the file's schema is checked against the one that version expects
(:mod:`.schemacheck`): a step that leaves anything else behind rolls the whole migration back.
A vault from a newer Kindcheck is refused before anything is written.

- 0 -> 1: the tables.
- 1 -> 2: the access log, and the vault's state record.
- 2 -> 3: every record re-sealed as format 2 (generation in the envelope, padding) and the
  ledger built: client manifests, the directory of clients in the state (:mod:`.upgrade`).
- 3 -> 4: the facts records (:mod:`.facts`): the table, and one record per session with its
  date, saved time and Meldcode steps taken, its facts pending (the store cannot derive them:
  the layer above completes them right after, :meth:`Store.complete_facts`).
- 4 -> 5: the amendment table (corrections and moves of sessions). No record changes: a
  client record without amendments in its manifest has none (:func:`.ledger.manifest_of`).

A step gets the connection (:class:`.sqlite.Connection`: SQL text, ``execute`` or
``exec_driver_sql``) and the record cipher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindcheck.errors import SchemaRefused, VaultError
from kindcheck.store import schema
from kindcheck.store.schema import _SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V4, _SCHEMA_V5
from kindcheck.store.schemacheck import remember_schema, schema_problems
from kindcheck.store.sqlite import Connection, read_schema
from kindcheck.store.upgrade import add_facts, reseal_all
from kindcheck.vault import RecordCipher

Migration = Callable[[Connection, RecordCipher | None], None]


def _migrate_0_to_1(conn: Connection, cipher: RecordCipher | None) -> None:
    """An empty file becomes a version 1 vault."""
    for statement in _SCHEMA_V1:
        conn.exec_driver_sql(statement)


def _migrate_1_to_2(conn: Connection, cipher: RecordCipher | None) -> None:
    """The access log (NEN 7513) and the vault's encrypted state record (generation counter
    and the head of the log's hash chain). Creating a vault adds the state record itself."""
    for statement in _SCHEMA_V2:
        conn.exec_driver_sql(statement)
    if cipher is not None:
        state: dict[str, Any] = {
            "generation": 0,
            "log_sequence": None,
            "log_hash": None,
            "rebuilt": [],
        }
        conn.execute(
            "INSERT INTO meta (name, format_version, value) VALUES ('state', 1, ?)",
            (cipher.encrypt_json("meta", "state", state, 1),),
        )


def _migrate_2_to_3(conn: Connection, cipher: RecordCipher | None) -> None:
    """Every record re-sealed as format 2, and the ledger built. No table changes."""
    if cipher is not None:
        reseal_all(conn, cipher)


def _migrate_3_to_4(conn: Connection, cipher: RecordCipher | None) -> None:
    """The facts records: the table, and a pending record per session."""
    for statement in _SCHEMA_V4:
        conn.exec_driver_sql(statement)
    if cipher is not None:
        add_facts(conn, cipher)


def _migrate_4_to_5(conn: Connection, cipher: RecordCipher | None) -> None:
    """The amendments of sessions: one new table, nothing re-sealed."""
    for statement in _SCHEMA_V5:
        conn.exec_driver_sql(statement)


MIGRATIONS: dict[int, Migration] = {
    0: _migrate_0_to_1,
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
    3: _migrate_3_to_4,
    4: _migrate_4_to_5,
}


def _run_migrations(conn: Connection, from_version: int, cipher: RecordCipher | None) -> int:
    version = from_version
    while version < schema.SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise VaultError(
                f"this version of Kindcheck cannot upgrade a vault from storage schema {version}"
            )
        step(conn, cipher)
        version += 1
        if version not in schema.DDL_BY_VERSION:
            remember_schema(version, MIGRATIONS, read_schema(conn))
            continue
        problems = schema_problems(read_schema(conn), version, MIGRATIONS)
        if problems:
            raise SchemaRefused(
                f"the upgrade to storage schema {version} left the vault's tables other than "
                "expected; nothing was changed: " + "; ".join(problems),
                problems,
            )
    conn.execute("DELETE FROM meta WHERE name = 'schema_version'")
    conn.execute(
        "INSERT INTO meta (name, format_version, value) VALUES ('schema_version', 0, ?)",
        (str(version).encode("ascii"),),
    )
    return version
