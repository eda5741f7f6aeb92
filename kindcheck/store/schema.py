"""The vault's tables: their frozen DDL per storage schema version, and the schema version.

The SQLModel table classes (:mod:`.models`) describe the newest schema: every column that could
say something about a client holds ciphertext (see :mod:`.records`). They are imported only
where the schema is compared with them (a test keeps them, this DDL and the migrations in
step); the store itself runs the frozen statements below and never imports SQLModel.

Storage schema versions: :data:`SCHEMA_VERSION`, with the migrations in :mod:`.migrations`.
Version 2 added the access log; version 3 changed no table but every record (format 2: the
write generation inside each record, padding, and the vault's ledger, see :mod:`.envelope`
and :mod:`.ledger`); version 4 added ``session_facts``: per session, the small record of what
the anonymised export and the due list count (:mod:`.facts`), so that reports read those and
never the sessions themselves; version 5 added the amendments of sessions (corrections and
moves, see :mod:`.amendments`). Every vault file was built by exactly the statements in
:data:`DDL_BY_VERSION` (``create_all`` never touches a vault), so that is what the schema check
(:mod:`.schemacheck`) expects to find in the file. Code elsewhere reads
``schema.SCHEMA_VERSION`` at call time (never a copy), so setting it, as the migration tests
do, reaches every check (``kindcheck.store`` re-exports the value it had at import: setting
that copy changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol

from kindcheck.errors import VaultError


class _Queries(Protocol):
    """What reads the schema version: a connection (:class:`.sqlite.Connection`)."""

    def execute(self, sql: str, parameters: Any = ...) -> Any: ...


DB_NAME: Final = "kindcheck.db"
# PRAGMA application_id: "KCK1". Lets us tell a Kindcheck vault from any other SQLite file
# before reading a table (and `file` on Unix shows it).
APPLICATION_ID: Final = 0x4B434B31
SQLITE_MAGIC: Final = b"SQLite format 3\x00"

SCHEMA_VERSION = 5  # not Final: tests patch it together with MIGRATIONS


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

# Per session, its facts (:mod:`.facts`), stored by client: a scan of the table reads one
# client's sessions after another (WITHOUT ROWID: the rows themselves are in key order), so a
# report needs only the current client in memory. ``id`` (the session's) is unique on its own
# too. No foreign key: the store deletes a client's facts with its sessions, and verify names
# a facts record without its session (a foreign key would name it a second time).
_SCHEMA_V4: Final = (
    """CREATE TABLE session_facts (
        client_id TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        format_version INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (client_id, id)) WITHOUT ROWID""",
)

# The amendments of sessions (corrections, moves), never changed once written. The foreign
# key removes them with their session. Kept apart from the other versions' DDL so that the step
# that adds it is one self-contained entry (migrations._migrate_4_to_5).
_SCHEMA_V5: Final = (
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
    5: _SCHEMA_V1 + _SCHEMA_V2 + _SCHEMA_V4 + _SCHEMA_V5,
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


def _schema_version(conn: _Queries) -> int:
    row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").first()
    if row is None:
        raise VaultError("the vault file has no schema version: it is damaged or not a vault")
    value = row.value
    text = bytes(value).decode("ascii", "replace") if isinstance(value, bytes | memoryview) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise VaultError("the vault file's schema version is unreadable: it is damaged")
    return int(text)
