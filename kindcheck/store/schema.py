"""The vault's tables, their frozen DDL per storage schema version, and the schema version.

The SQLModel table classes describe the newest schema and never leave the package; every
column that could say something about a client holds ciphertext (see :mod:`.records`).

Storage schema versions: :data:`SCHEMA_VERSION`, with the migrations in :mod:`.migrations`.
Version 2 added the access log; version 3 changed no table but every record (format 2: the
write generation inside each record, padding, and the vault's ledger, see :mod:`.envelope`
and :mod:`.ledger`); version 4 added the amendments of sessions (corrections and moves, see
:mod:`.amendments`). Every vault file was built by exactly the statements in
:data:`DDL_BY_VERSION` (``create_all`` never touches a vault), so that is what the schema check
(:mod:`.schemacheck`) expects to find in the file. Code elsewhere reads
``schema.SCHEMA_VERSION`` at call time (never a copy), so setting it, as the migration tests
do, reaches every check (``kindcheck.store`` re-exports the value it had at import: setting
that copy changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Integer, Table, literal_column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import registry
from sqlalchemy.sql.elements import ColumnClause
from sqlmodel import Field, SQLModel

from kindcheck.errors import VaultError

DB_NAME: Final = "kindcheck.db"
# PRAGMA application_id: "KCK1". Lets us tell a Kindcheck vault from any other SQLite file
# before reading a table (and `file` on Unix shows it).
APPLICATION_ID: Final = 0x4B434B31
SQLITE_MAGIC: Final = b"SQLite format 3\x00"

SCHEMA_VERSION = 4  # not Final: tests patch it together with MIGRATIONS


# --------------------------------------------------------------------------------------------
# Tables. Their own registry, so the vault's metadata never mixes with other SQLModel models.


class _VaultModel(SQLModel, registry=registry()):
    """Base of the vault's tables."""


class MetaRow(_VaultModel, table=True):
    """Vault-wide values: ``schema_version`` (plain) and ``profile`` (ciphertext)."""

    __tablename__ = "meta"
    name: str = Field(primary_key=True)
    format_version: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
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


class AmendmentRow(_VaultModel, table=True):
    """One amendment of a session (a correction of answers, or a move to another client) in
    ``data``: never changed once written, removed only with its session. Its order among the
    session's amendments and its generation are in the client's manifest (:mod:`.ledger`)."""

    __tablename__ = "amendment"
    id: str = Field(primary_key=True)
    session_id: str = Field(foreign_key="session.id", ondelete="CASCADE", index=True)
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
_AMENDMENTS = _table(AmendmentRow)
_rowid_col: ColumnClause[int] = literal_column("rowid", Integer)


# --------------------------------------------------------------------------------------------
# The DDL of every storage schema version, frozen: the table classes above describe the newest
# schema only, so an old version must never be written in terms of them. The migrations
# (:mod:`.migrations`) run exactly these statements.

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

_SCHEMA_V2: Final = (
    """CREATE TABLE access_log (
        id TEXT NOT NULL PRIMARY KEY,
        position INTEGER NOT NULL UNIQUE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
)

# The amendments of sessions (corrections, moves). Kept apart from the other versions' DDL so
# that the step that adds it is one self-contained entry (migrations._migrate_3_to_4).
_SCHEMA_V4: Final = (
    """CREATE TABLE amendment (
        id TEXT NOT NULL PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL)""",
    "CREATE INDEX ix_amendment_session_id ON amendment (session_id)",
)

# Version 3 re-sealed every record; its tables are those of version 2.
DDL_BY_VERSION: Final[dict[int, tuple[str, ...]]] = {
    1: _SCHEMA_V1,
    2: _SCHEMA_V1 + _SCHEMA_V2,
    3: _SCHEMA_V1 + _SCHEMA_V2,
    4: _SCHEMA_V1 + _SCHEMA_V2 + _SCHEMA_V4,
}


@dataclass(frozen=True)
class SchemaObject:
    """One row of ``sqlite_master``: what the file says it holds."""

    type: str  # table, index, trigger, view
    name: str
    table: str  # sqlite_master.tbl_name
    sql: str | None  # whitespace runs folded to one space; None for an automatic index
    columns: tuple[str, ...] = ()  # a table's columns (PRAGMA table_xinfo), in order

    @property
    def key(self) -> tuple[str, str]:
        return self.type, self.name


def _schema_version(conn: Connection) -> int:
    row = conn.execute(select(_META.c.value).where(_META.c.name == "schema_version")).first()
    if row is None:
        raise VaultError("the vault file has no schema version: it is damaged or not a vault")
    value = row.value
    text = bytes(value).decode("ascii", "replace") if isinstance(value, bytes | memoryview) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise VaultError("the vault file's schema version is unreadable: it is damaged")
    return int(text)
