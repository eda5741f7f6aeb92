"""The vault's tables as SQLModel classes: the schema's description in Python.

They describe the newest storage schema (:data:`.schema.SCHEMA_VERSION`) and are the source
of truth for what each table holds; the frozen DDL in :mod:`.schema` makes exactly these tables
(tests/core/test_schema_check.py compares the two column by column, index by index), and that
DDL is what creates and migrates a vault file. This module is imported only where the schema is
compared with these classes (the tests), never when a vault is opened: SQLModel, pydantic and
SQLAlchemy cost several times the key derivation to import.

Their own registry, so the vault's metadata never mixes with other SQLModel models.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


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


class SessionFactsRow(_VaultModel, table=True):
    """What the export and the due list count of one session (:mod:`.facts`) in ``data``.

    Kept by client (the primary key, and no rowid: a scan reads one client after another);
    the session's id is unique on its own. The store deletes it with its session.
    """

    __tablename__ = "session_facts"
    __table_args__ = {"sqlite_with_rowid": False}
    client_id: str = Field(primary_key=True)
    id: str = Field(primary_key=True, unique=True)
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
