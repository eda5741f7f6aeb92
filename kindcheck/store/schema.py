"""The vault's tables and how a vault file is brought up to the newest schema.

The SQLModel table classes describe the newest schema and never leave the package; every
column that could say something about a client holds ciphertext (see :mod:`.records`).

Schema versions: :data:`SCHEMA_VERSION` with :data:`MIGRATIONS` keyed by the version they
migrate from. A vault is migrated on unlock in one transaction (SQLite DDL is transactional),
and a vault from a newer Kindcheck is refused before anything is written. Version 2 added the
access log. Code elsewhere reads ``schema.SCHEMA_VERSION`` at call time (never a copy), so
setting it here, as the migration tests do, reaches every check (``kindcheck.store`` re-exports
the value it had at import: setting that copy changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

from sqlalchemy import Integer, Table, insert, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import registry
from sqlalchemy.sql.elements import ColumnClause
from sqlmodel import Field, SQLModel

from kindcheck.errors import VaultError
from kindcheck.vault import RecordCipher

DB_NAME: Final = "kindcheck.db"
# PRAGMA application_id: "KCK1". Lets us tell a Kindcheck vault from any other SQLite file
# before reading a table (and `file` on Unix shows it).
APPLICATION_ID: Final = 0x4B434B31
SQLITE_MAGIC: Final = b"SQLite format 3\x00"

SCHEMA_VERSION = 2  # not Final: tests patch it together with MIGRATIONS


# --------------------------------------------------------------------------------------------
# Tables. Their own registry, so the vault's metadata never mixes with other SQLModel models.


class _VaultModel(SQLModel, registry=registry()):
    """Base of the vault's tables."""


class MetaRow(_VaultModel, table=True):
    """Vault-wide values: ``schema_version`` (plain) and ``profile`` (ciphertext)."""

    __tablename__ = "meta"
    name: str = Field(primary_key=True)
    format_version: int = 0
    value: bytes


class KeySlotRow(_VaultModel, table=True):
    """One key slot (vault.KeySlot.to_json): the data key wrapped, never the key itself."""

    __tablename__ = "key_slot"
    id: str = Field(primary_key=True)
    kind: str
    slot: str


class ClientRow(_VaultModel, table=True):
    """A client: reference and name in ``data``; ``ref_index`` is the blind index."""

    __tablename__ = "client"
    id: str = Field(primary_key=True)
    ref_index: str = Field(unique=True)
    format_version: int
    data: bytes


class SessionRow(_VaultModel, table=True):
    """A session: small ``header`` (for lists), ``body`` (answers, outcome), Meldcode steps.

    Every session has a ``meldcode`` blob (empty at first) so that the file does not show which
    sessions raised a safety signal.
    """

    __tablename__ = "session"
    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    format_version: int
    header: bytes
    body: bytes
    meldcode: bytes


class PlanRow(_VaultModel, table=True):
    """The follow-up plan of one client."""

    __tablename__ = "followup_plan"
    id: str = Field(primary_key=True)
    client_id: str = Field(foreign_key="client.id", ondelete="CASCADE", unique=True)
    format_version: int
    data: bytes


class DraftRow(_VaultModel, table=True):
    """An unfinished form, encrypted from the first answer; ``ref_index`` may be empty."""

    __tablename__ = "draft"
    id: str = Field(primary_key=True)
    ref_index: str | None = Field(default=None, index=True)
    format_version: int
    data: bytes


class AccessLogRow(_VaultModel, table=True):
    """One access-log entry (accesslog.AccessEntry.to_dict) in ``data``.

    ``position`` is the insertion order (plain: the order of entries says nothing about a
    client, and the hash chain inside the ciphertext detects a changed order anyway). There is
    no foreign key: an entry about a client outlives the client (NEN 7513 keeps it 5 years).
    """

    __tablename__ = "access_log"
    id: str = Field(primary_key=True)
    position: int = Field(unique=True)
    format_version: int
    data: bytes


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_META = _table(MetaRow)
_SLOTS = _table(KeySlotRow)
_CLIENTS = _table(ClientRow)
_SESSIONS = _table(SessionRow)
_PLANS = _table(PlanRow)
_DRAFTS = _table(DraftRow)
_LOG = _table(AccessLogRow)
_rowid_col: ColumnClause[int] = literal_column("rowid", Integer)


# --------------------------------------------------------------------------------------------
# Migrations. Each is frozen SQL for its version: the table classes above describe the newest
# schema only, so an old migration must never be written in terms of them.

Migration = Callable[[Connection, RecordCipher | None], None]

_SCHEMA_V1: Final = (
    """CREATE TABLE meta (
        name TEXT NOT NULL PRIMARY KEY,
        format_version INTEGER NOT NULL DEFAULT 0,
        value BLOB NOT NULL)""",
    """CREATE TABLE key_slot (
        id TEXT NOT NULL PRIMARY KEY,
        kind TEXT NOT NULL,
        slot TEXT NOT NULL)""",
    """CREATE TABLE client (
        id TEXT NOT NULL PRIMARY KEY,
        ref_index TEXT NOT NULL UNIQUE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
    """CREATE TABLE session (
        id TEXT NOT NULL PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES client (id) ON DELETE CASCADE,
        format_version INTEGER NOT NULL,
        header BLOB NOT NULL,
        body BLOB NOT NULL,
        meldcode BLOB NOT NULL)""",
    "CREATE INDEX ix_session_client_id ON session (client_id)",
    """CREATE TABLE followup_plan (
        id TEXT NOT NULL PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE REFERENCES client (id) ON DELETE CASCADE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
    """CREATE TABLE draft (
        id TEXT NOT NULL PRIMARY KEY,
        ref_index TEXT,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
    "CREATE INDEX ix_draft_ref_index ON draft (ref_index)",
)


def _migrate_0_to_1(conn: Connection, cipher: RecordCipher | None) -> None:
    """An empty file becomes a version 1 vault."""
    for statement in _SCHEMA_V1:
        conn.exec_driver_sql(statement)


_SCHEMA_V2: Final = (
    """CREATE TABLE access_log (
        id TEXT NOT NULL PRIMARY KEY,
        position INTEGER NOT NULL UNIQUE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
)


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
            insert(_META).values(
                name="state", format_version=1, value=cipher.encrypt_json("meta", "state", state, 1)
            )
        )


# Keyed by the version a step migrates *from*. A step gets the cipher so that a future one can
# re-encrypt records (it is None only when creating the vault, from version 0).
MIGRATIONS: dict[int, Migration] = {0: _migrate_0_to_1, 1: _migrate_1_to_2}


def _run_migrations(conn: Connection, from_version: int, cipher: RecordCipher | None) -> int:
    version = from_version
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise VaultError(
                f"this version of Kindcheck cannot upgrade a vault from storage schema {version}"
            )
        step(conn, cipher)
        version += 1
    conn.execute(_META.delete().where(_META.c.name == "schema_version"))
    conn.execute(
        insert(_META).values(
            name="schema_version", format_version=0, value=str(version).encode("ascii")
        )
    )
    return version


def _schema_version(conn: Connection) -> int:
    row = conn.execute(select(_META.c.value).where(_META.c.name == "schema_version")).first()
    if row is None:
        raise VaultError("the vault file has no schema version: it is damaged or not a vault")
    try:
        return int(bytes(row.value).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise VaultError("the vault file's schema version is unreadable: it is damaged") from None
