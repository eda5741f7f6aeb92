"""The vault on disk: SQLite tables that only ever hold ciphertext, and the repository API.

The app and the CLI use :class:`Store` and get plain dataclasses back; the SQLModel table
classes never leave this module. Crypto comes from :mod:`kindcheck.vault`.

On disk, in plain text, there are only random ids (uuid4 hex), the per-row record format
version, the schema version, the key slots (wrapped keys, see vault.py), a blind index of each
client reference (HMAC-SHA256, see ``_BlindIndex``) and what SQLite itself needs. Everything a
person typed or that describes a client (references, names, answers, notes, session and plan
dates, the vault's user name) is inside AES-256-GCM ciphertext whose associated data binds the
table, the row id, the parent row id and the format version (a blob copied to another row
fails to decrypt).

SQLite settings (SECURITY.md, "Storage"):

- rollback journal in TRUNCATE mode with ``synchronous=FULL``: the commit point is the
  truncation of the journal, which SQLite fsyncs in FULL mode, so a save that returned survives
  a killed process and a power cut. (DELETE mode would need synchronous=EXTRA for the same
  guarantee: the unlink of the journal is not synced. WAL: see DESIGN.md, SQLite 3.40 here.)
- ``secure_delete=ON`` so deleted records are overwritten, ``foreign_keys=ON`` so deleting a
  client deletes its records, ``temp_store=MEMORY`` so no temporary file reaches /tmp.
- one connection (the single writer) behind a mutex, and a lock file (``kindcheck.lock``,
  filelock, timeout 0) taken before the database is opened: a second running copy is refused
  with :class:`VaultLocked`.

Schema versions: ``SCHEMA_VERSION`` with ``MIGRATIONS`` keyed by the version they migrate from;
a vault is migrated on unlock in one transaction (SQLite DDL is transactional), and a vault
from a newer Kindcheck is refused before anything is written. Version 2 added the access log.

The access log (NEN 7513, SECURITY.md "Access log"): the store writes one encrypted,
hash-chained entry per action on client data in the same transaction as the action (see
:meth:`Store.log_access`, :meth:`Store.access_log`). Opening a client is
:meth:`Store.list_sessions`, opening a session :meth:`Store.get_session`; both take
``log=False`` for loads that are part of a view already logged. Draft autosaves are not logged,
a draft's creation and deletion are.

Rollback detection (SECURITY.md "Rollback detection"): every committing write raises the
vault's encrypted generation counter (``meta/state``, with the log's chain head); a second copy
lives outside the data dir (:class:`_RollbackCounter`, in :func:`state_dir`), and an unlock that
finds the vault older sets :attr:`Store.rollback_warning`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from filelock import FileLock, Timeout
from sqlalchemy import Table, delete, event, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel, create_engine

from kindcheck.accesslog import ACTIONS, OUTCOMES, AccessEntry, new_entry, verify_chain
from kindcheck.answers import Session
from kindcheck.errors import (
    FollowUpError,
    KindcheckError,
    RecordDamaged,
    VaultError,
    VaultLocked,
    WrongPassphrase,
)
from kindcheck.followup import (
    FollowUpPlan,
    Rhythm,
    new_plan,
    plan_end_for_children,
    with_rule,
)
from kindcheck.outcome import Outcome, outcome_to_json
from kindcheck.paths import OutputPathError, check_output_path
from kindcheck.questionnaire import clean_text
from kindcheck.vault import (
    PASSPHRASE,
    RECOVERY,
    KeySlot,
    RecordCipher,
    UnlockThrottle,
    generate_recovery_key,
    make_passphrase_slot,
    make_recovery_slot,
    new_data_key,
    open_slot,
    parse_recovery_key,
)

__all__ = [
    "DB_NAME",
    "LOCK_NAME",
    "MIGRATIONS",
    "MIN_PASSPHRASE_CHARS",
    "ROLLBACK_WARNING",
    "SCHEMA_VERSION",
    "STATE_DIR_ENV",
    "AccessEntry",
    "Client",
    "ClientOverview",
    "Draft",
    "MeldcodeStepRecord",
    "Recorded",
    "SessionSummary",
    "Store",
    "StoredPlan",
    "StoredSession",
    "check_new_passphrase",
    "normalise_reference",
    "plan_after_session",
    "state_dir",
]

DB_NAME: Final = "kindcheck.db"
LOCK_NAME: Final = "kindcheck.lock"
JOURNAL_SUFFIX: Final = "-journal"
# PRAGMA application_id: "KCK1". Lets us tell a Kindcheck vault from any other SQLite file
# before reading a table (and `file` on Unix shows it).
APPLICATION_ID: Final = 0x4B434B31
SQLITE_MAGIC: Final = b"SQLite format 3\x00"

SCHEMA_VERSION = 2  # not Final: tests patch it together with MIGRATIONS
RECORD_FORMAT: Final = 1  # the shape of the decrypted JSON of every record kind
MIN_PASSPHRASE_CHARS: Final = 12
_READ_CHUNK: Final = 2000  # rows per SELECT when iterating everything: bounded memory

# The second copy of the vault's generation counter lives outside the data dir (see
# _RollbackCounter): in platformdirs' user_state_dir("kindcheck"), or here (tests, portable use).
STATE_DIR_ENV: Final = "KINDCHECK_STATE_DIR"
ROLLBACK_WARNING: Final = (
    "This vault is older than the last one opened on this computer (generation {found}, "
    "expected at least {expected}). If you restored a backup on purpose, this is expected; "
    "otherwise the file may have been replaced."
)

# One throttle per process: the app retries in-process, and each failure (wrong passphrase or
# recovery key, from any Store) makes the next attempt wait longer. See vault.UnlockThrottle.
_THROTTLE = UnlockThrottle()

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED = 3, 5, 6
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26


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
_rowid_col = literal_column("rowid")


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
        state = {"generation": 0, "log_sequence": None, "log_hash": None, "rebuilt": []}
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


# --------------------------------------------------------------------------------------------
# Plain results


@dataclass(frozen=True)
class Client:
    """A client as the app shows it."""

    id: str
    reference: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True)
class SessionSummary:
    """What lists need of a session, from its small encrypted header."""

    id: str
    client_id: str
    kind: str  # intake / followup
    session_date: date
    setting: str
    questionnaires: tuple[tuple[str, int], ...]
    scan_done: bool
    problem_domain_count: int | None  # None when no problem scan was done
    safety_signal: bool
    parenting_support_flag: bool
    followup_rhythm: str | None
    saved_at: datetime


@dataclass(frozen=True)
class StoredSession:
    """A session with its answers (Session.to_dict shape) and outcome (outcome_to_json)."""

    summary: SessionSummary
    answers: dict[str, Any]
    outcome: dict[str, Any]

    @property
    def id(self) -> str:
        return self.summary.id


@dataclass(frozen=True)
class ClientOverview:
    """A client with the number of sessions and the last one (by session date)."""

    client: Client
    session_count: int
    last_session: SessionSummary | None


@dataclass(frozen=True)
class Draft:
    """An unfinished form."""

    id: str
    reference: str | None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredPlan:
    """A client's follow-up plan; ``rhythm`` is None for a plan edited by hand."""

    id: str
    client_id: str
    plan: FollowUpPlan
    rhythm: Rhythm | None
    updated_at: datetime


@dataclass(frozen=True)
class MeldcodeStepRecord:
    """One Meldcode step of one session: when it was done, and a note."""

    step_id: str
    done_on: date | None
    note: str
    updated_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What :meth:`Store.record` did."""

    client: Client
    client_created: bool
    session: SessionSummary
    plan: StoredPlan | None
    plan_change: str  # "new", "more_frequent", "unchanged" or "none"


# --------------------------------------------------------------------------------------------
# Small helpers


def _new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_reference(reference: str) -> str:
    """The form of a client reference that the blind index is computed over.

    Control characters dropped, Unicode NFKC, whitespace runs collapsed, case folded: "epd 12"
    and "EPD  12" find the same client. Display keeps the reference as it was typed.
    """
    if not isinstance(reference, str):
        raise VaultError("a client reference is text")
    text = unicodedata.normalize("NFKC", clean_text(reference))
    return " ".join(text.split()).casefold()


class _BlindIndex:
    """HMAC-SHA256 over the normalised reference, with a key derived from the data key.

    Lets a reference be found with one indexed lookup instead of decrypting every client. The
    key is secret, so someone holding the file cannot test guesses of EPD numbers against it;
    it is per vault, so the same reference in two vaults gives unrelated values.
    """

    def __init__(self, data_key: bytes) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"kindcheck blind index v1"
        ).derive(data_key)

    @property
    def fingerprint(self) -> bytes:
        """A value that identifies the data key without revealing it (or the index key)."""
        return hmac.new(self._key, b"kindcheck key fingerprint", hashlib.sha256).digest()

    def __call__(self, reference: str) -> str:
        normalised = normalise_reference(reference)
        if not normalised:
            raise VaultError("a client reference must not be empty")
        return hmac.new(self._key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def check_new_passphrase(passphrase: str) -> None:
    """VaultError unless ``passphrase`` is acceptable as a new passphrase (length only: a
    strength meter would need a word list, and Argon2id already slows guessing)."""
    if not isinstance(passphrase, str):
        raise VaultError("a passphrase is text")
    length = len(unicodedata.normalize("NFC", passphrase))
    if length < MIN_PASSPHRASE_CHARS:
        raise VaultError(
            f"a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters "
            f"(this one has {length}); a few unrelated words work well"
        )


def _iso_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    return datetime.fromisoformat(value)


def _iso_date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)


def _sqlite_code(error: BaseException) -> int | None:
    original = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(original, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _translate(error: BaseException, writing: bool) -> VaultError:
    """A database error as a message for a person. Never includes SQL or values."""
    code = _sqlite_code(error)
    unsaved = ": nothing was saved" if writing else ""
    if code == _SQLITE_FULL:
        return VaultError(f"the disk is full{unsaved or ': the vault could not be read'}")
    if code == _SQLITE_IOERR:
        return VaultError(
            "the disk could not be "
            + ("written" if writing else "read")
            + " (it may be full, removed or failing)"
            + unsaved
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM):
        return VaultError("the vault is on a read-only disk or folder" + unsaved)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return VaultError(
            "the vault file is damaged; nothing was changed. `kindcheck verify` lists what can "
            "still be read; `kindcheck restore` puts back a backup"
        )
    if code == _SQLITE_CANTOPEN:
        return VaultError("the vault file cannot be opened (check the folder and its rights)")
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return VaultError("the vault file is in use by another program" + unsaved)
    name = getattr(getattr(error, "orig", error), "sqlite_errorname", type(error).__name__)
    return VaultError(f"the vault could not be {'written' if writing else 'read'} ({name})")


def _os_failure(error: OSError, place: Path, doing: str) -> VaultError:
    """An OS error (lock file, folder, backup file) as a message for a person."""
    if error.errno == errno.EROFS:
        return VaultError(
            f"{place} is on a read-only disk: Kindcheck cannot {doing} there. Choose a writable "
            "folder with --data-dir or KINDCHECK_DATA_DIR"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return VaultError(f"no permission to {doing} in {place}; check the folder's rights")
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return VaultError(f"the disk is full: could not {doing} in {place}; nothing was saved")
    if error.errno == errno.ENOENT:
        return VaultError(f"{place} does not exist")
    return VaultError(f"could not {doing} in {place} ({error.strerror or 'error'})")


def _fsync_path(path: Path, directory: bool = False) -> None:
    # A rename or a new file is only durable once its folder is synced (POSIX). Windows cannot
    # open a directory for fsync; there the rename is already durable enough (NTFS journal).
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _journal(db: Path) -> Path:
    return db.with_name(db.name + JOURNAL_SUFFIX)


def _journal_may_be_hot(db: Path) -> bool:
    # In TRUNCATE mode a committed journal has length 0; a longer one may need a rollback,
    # which SQLite performs when the file is opened.
    try:
        return _journal(db).stat().st_size > 0
    except OSError:
        return False


def _check_header(db: Path) -> None:
    """Refuse a file that is not a Kindcheck vault, reading only its first 100 bytes."""
    try:
        with open(db, "rb") as handle:
            header = handle.read(100)
    except IsADirectoryError:
        raise VaultError(f"{db} is a folder, not a Kindcheck vault") from None
    except OSError as error:
        raise _os_failure(error, db, "read the vault") from None
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise VaultError(
            f"{db} is not a Kindcheck vault (it is not an SQLite database, or its first bytes "
            "are damaged); nothing was changed. Restore a backup with `kindcheck restore`"
        )
    if int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise VaultError(
            f"{db} is an SQLite database but not a Kindcheck vault; nothing was changed"
        )


def _connect(db: Path, *, create: bool = False, read_only: bool = False) -> sqlite3.Connection:
    """One sqlite3 connection with the vault's settings.

    ``mode=rw``: opening never creates a missing file (a typo in --data-dir must not make an
    empty vault). ``isolation_level=None``: transactions are begun explicitly (see _engine_for),
    not by the sqlite3 module's guesses. ``check_same_thread=False``: the app calls the store
    from worker threads; the Store's mutex serialises every use.
    """
    mode = "rwc" if create else ("ro" if read_only else "rw")
    conn = sqlite3.connect(
        f"{db.resolve().as_uri()}?mode={mode}",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=0.0,  # the lock file already makes us the only user; never wait silently
    )
    try:
        if not read_only:
            conn.execute("PRAGMA journal_mode = TRUNCATE").fetchall()
        for pragma in (
            "PRAGMA synchronous = FULL",
            "PRAGMA secure_delete = ON",
            "PRAGMA foreign_keys = ON",
            "PRAGMA temp_store = MEMORY",
            "PRAGMA cell_size_check = ON",  # notice damaged pages early, not by crashing later
            "PRAGMA trusted_schema = OFF",
        ):
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


def _engine_for(db: Path, *, create: bool = False) -> Engine:
    """An engine with exactly one connection: the vault's only writer."""
    engine = create_engine(
        "sqlite://", creator=lambda: _connect(db, create=create), poolclass=StaticPool
    )

    # SQLAlchemy's documented recipe for real SQLite transactions with pysqlite: the driver is
    # in autocommit mode (isolation_level=None above) and every SQLAlchemy transaction starts
    # with an explicit BEGIN, so reads and writes in one block see one consistent database.
    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _make_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise VaultError(f"{data_dir} exists and is not a folder") from None
    except OSError as error:
        raise _os_failure(error, data_dir, "create the data folder") from None


def _acquire_lock(data_dir: Path) -> FileLock:
    """Take the vault's lock file, or tell the user another copy has it.

    timeout=0: a second copy is refused at once rather than hanging. thread_local=False: the
    app may unlock in one worker thread and close in another.
    """
    if not data_dir.is_dir():
        raise VaultError(
            f"there is no vault in {data_dir}: create one with `kindcheck init`"
            if not data_dir.exists()
            else f"{data_dir} is not a folder"
        )
    lock = FileLock(data_dir / LOCK_NAME, timeout=0, thread_local=False, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise VaultLocked(
            f"the vault in {data_dir} is open in another Kindcheck window or process; "
            "close that one first"
        ) from None
    except OSError as error:
        raise _os_failure(error, data_dir, "lock the vault") from None
    return lock


def _release(lock: FileLock | None) -> None:
    if lock is not None:
        with contextlib.suppress(Exception):
            lock.release(force=True)


# --------------------------------------------------------------------------------------------
# The vault's state record, the access log and the rollback counter
#
# meta/state (encrypted, like every record) holds the vault's *generation* (raised by one in
# every committing write transaction, inside that transaction) and the *head* of the access
# log's hash chain (sequence and hash of the newest entry), so a removed, edited, reordered or
# cut-off entry is detected by verify (accesslog.verify_chain).


def _total_changes(conn: Connection) -> int:
    """Rows changed so far on this connection (sqlite3's counter)."""
    driver = cast(sqlite3.Connection, conn.connection.driver_connection)
    return driver.total_changes


def _open_record(
    cipher: RecordCipher,
    name: str,
    label: str,
    record_id: str,
    blob: bytes,
    format_version: int,
) -> dict[str, Any]:
    """Decrypt one JSON record; RecordDamaged naming ``name`` if it does not decrypt."""
    if format_version != RECORD_FORMAT:
        raise RecordDamaged(
            f"record {name} has format {format_version}, which this version of Kindcheck "
            "does not read"
        )
    try:
        value = cipher.decrypt_json(label, record_id, blob, format_version)
    except RecordDamaged:
        raise RecordDamaged(f"record {name} is damaged or was moved") from None
    if not isinstance(value, dict):
        raise RecordDamaged(f"record {name} is damaged or was moved")
    return value


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_state(data: dict[str, Any]) -> dict[str, Any]:
    generation, sequence, head = (
        data.get("generation"),
        data.get("log_sequence"),
        data.get("log_hash"),
    )
    rebuilt = data.get("rebuilt", [])
    if (
        not _is_count(generation)
        or not (sequence is None or _is_count(sequence))
        or (sequence is None) != (head is None)
        or not (head is None or isinstance(head, str))
        or not isinstance(rebuilt, list)
        or not all(isinstance(note, str) for note in rebuilt)
    ):
        raise RecordDamaged("record meta/state is damaged or was moved")
    return {
        "generation": generation,
        "log_sequence": sequence,
        "log_hash": head,
        "rebuilt": list(rebuilt),
    }


def _read_state(conn: Connection, cipher: RecordCipher) -> dict[str, Any] | None:
    """The state record; None when it is missing, RecordDamaged when it does not decrypt."""
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "state")
    ).first()
    if row is None:
        return None
    return _parse_state(
        _open_record(cipher, "meta/state", "meta", "state", row.value, row.format_version)
    )


def _write_state(conn: Connection, cipher: RecordCipher, state: dict[str, Any]) -> None:
    blob = cipher.encrypt_json("meta", "state", state, RECORD_FORMAT)
    changed = conn.execute(
        update(_META)
        .where(_META.c.name == "state")
        .values(format_version=RECORD_FORMAT, value=blob)
    )
    if not changed.rowcount:
        conn.execute(insert(_META).values(name="state", format_version=RECORD_FORMAT, value=blob))


def _load_state(conn: Connection, cipher: RecordCipher) -> dict[str, Any]:
    """The state record for a write. A missing or damaged one is rebuilt from the newest
    readable log entry (saving must not stop over it), and the rebuild is noted inside the
    new record, so ``verify`` keeps reporting it: entries cut off after that point could no
    longer be told from a complete log."""
    try:
        state = _read_state(conn, cipher)
        reason = "missing"
    except RecordDamaged:
        state, reason = None, "damaged"
    if state is not None:
        return state
    last: AccessEntry | None = None
    for row in conn.execute(select(_LOG).order_by(_LOG.c.position.desc())):
        try:
            last = _entry_from_row(cipher, row)
            break
        except RecordDamaged:
            continue
    state = {"generation": 0, "log_sequence": None, "log_hash": None, "rebuilt": []}
    if last is not None:
        state["log_sequence"], state["log_hash"] = last.sequence, last.hash
    after = "before its first entry" if last is None else f"after entry {last.sequence}"
    state["rebuilt"].append(
        f"access log: the vault's record of the newest entry was {reason} and was rebuilt "
        f"{after} on {_now():%Y-%m-%d}; entries after that point may be missing"
    )
    return state


def _entry_from_row(cipher: RecordCipher, row: Any) -> AccessEntry:
    name = f"access_log/{row.id}"
    data = _open_record(cipher, name, "access_log", row.id, row.data, row.format_version)
    try:
        entry = AccessEntry.from_dict(data)
    except (KeyError, TypeError):
        raise RecordDamaged(f"record {name} is damaged or was moved") from None
    if (
        not _is_count(entry.sequence)
        or entry.action not in ACTIONS
        or entry.outcome not in OUTCOMES
        or not all(
            isinstance(value, str)
            for value in (entry.at, entry.user, entry.detail, entry.previous_hash)
        )
        or not (entry.client_reference is None or isinstance(entry.client_reference, str))
    ):
        raise RecordDamaged(f"record {name} is damaged or was moved")
    return entry


def _append_entry(
    conn: Connection,
    cipher: RecordCipher,
    state: dict[str, Any],
    user: str,
    action: str,
    client_reference: str | None,
    detail: str,
    outcome: str,
) -> AccessEntry:
    """Add one entry after the head in ``state`` (updated here; the caller writes it)."""
    entry = new_entry(None, action, user, client_reference, str(detail), outcome)
    if state["log_sequence"] is not None:
        entry = replace(entry, sequence=state["log_sequence"] + 1, previous_hash=state["log_hash"])
    row_id = _new_id()
    position = conn.execute(select(func.coalesce(func.max(_LOG.c.position), -1) + 1)).scalar_one()
    blob = cipher.encrypt_json("access_log", row_id, entry.to_dict(), RECORD_FORMAT)
    conn.execute(
        insert(_LOG).values(id=row_id, position=position, format_version=RECORD_FORMAT, data=blob)
    )
    state["log_sequence"], state["log_hash"] = entry.sequence, entry.hash
    return entry


def _profile_user(conn: Connection, cipher: RecordCipher) -> str:
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "profile")
    ).first()
    if row is None:
        return "unknown"
    try:
        data = _open_record(
            cipher, "meta/profile", "meta", "profile", row.value, row.format_version
        )
    except RecordDamaged:
        return "unknown"
    return str(data.get("user_name") or "unknown")


def _log_into_file(
    db: Path, data_key: bytes, action: str, detail: str, outcome: str, *, own_key: bool
) -> int:
    """Append one entry to the vault file ``db`` (not open in a Store) in one transaction that
    also raises its generation; return the new generation.

    ``own_key``: the key came from this file's own key slot (a backup being restored), so an
    older schema is upgraded in the same transaction and a damaged state record rebuilt.
    Otherwise (another file that may or may not share the key) the state record must decrypt
    before anything is written (RecordDamaged if not) and an older schema is left alone."""
    cipher = RecordCipher(data_key)
    engine = _engine_for(db)
    try:
        with engine.begin() as conn:
            version = _schema_version(conn)
            if version < SCHEMA_VERSION:
                if not own_key:
                    raise VaultError("the vault has an older schema")
                _run_migrations(conn, version, cipher)
            state = _load_state(conn, cipher) if own_key else _read_state(conn, cipher)
            if state is None:
                raise VaultError("the vault has no state record")
            _append_entry(
                conn, cipher, state, _profile_user(conn, cipher), action, None, detail, outcome
            )
            state["generation"] += 1
            _write_state(conn, cipher, state)
            return int(state["generation"])
    finally:
        engine.dispose()


def _vault_id(data_key: bytes) -> str:
    """A stable pseudonymous id of the vault: derived from the data key (so it reveals nothing
    about it, survives passphrase changes and is shared by the vault's backups)."""
    return (
        HKDF(
            algorithm=hashes.SHA256(),
            length=16,
            salt=None,
            info=b"kindcheck vault id v1",
        )
        .derive(data_key)
        .hex()
    )


def state_dir() -> Path:
    """Where the rollback counters live: KINDCHECK_STATE_DIR, else the platform's per-user
    state folder (platformdirs ``user_state_dir("kindcheck")``, e.g.
    ``~/.local/state/kindcheck`` on Linux)."""
    from_env = os.environ.get(STATE_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir("kindcheck", appauthor=False))


class _RollbackCounter:
    """The second copy of a vault's generation, outside the database file.

    A small JSON file in :func:`state_dir`, named by a value derived from the data key (so the
    name identifies the vault without revealing anything, and backups of one vault share it),
    holding the generation and an HMAC over it under another key derived from the data key:
    it cannot be forged or moved to another vault's name without the key, and it holds no
    client data. A file that fails its check is ignored (and replaced). Writing it is best
    effort: a read-only or missing state folder must never stop a save.
    """

    def __init__(self, data_key: bytes) -> None:
        vault_id = _vault_id(data_key)
        name = hashlib.sha256(f"kindcheck rollback counter {vault_id}".encode("ascii"))
        self._name = f"vault-{name.hexdigest()[:32]}.json"
        self._key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"kindcheck rollback counter v1",
        ).derive(data_key)

    @property
    def path(self) -> Path:
        return state_dir() / self._name

    def _mac(self, generation: int) -> str:
        message = f"kindcheck generation {self._name} {generation}".encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def read(self) -> int | None:
        try:
            with open(self.path, "rb") as handle:
                data = json.loads(handle.read(4096))
            generation, mac = data["generation"], data["mac"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _is_count(generation) or not isinstance(mac, str):
            return None
        if not hmac.compare_digest(mac, self._mac(generation)):
            return None
        return int(generation)

    def write(self, generation: int) -> None:
        path = self.path
        temporary = path.with_name(f".{path.name}.tmp")
        content = json.dumps(
            {
                "format": "kindcheck-generation",
                "version": 1,
                "generation": generation,
                "mac": self._mac(generation),
            }
        )
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            descriptor = os.open(
                temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                0o600,
            )
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(content)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()


# --------------------------------------------------------------------------------------------
# Follow-up plan rules

# More frequent first: a later session can tighten a plan's rhythm, never loosen it silently.
_RHYTHM_RANK: Final = {Rhythm.CHILDREN: 1, Rhythm.STACKING: 2, Rhythm.SAFETY: 3}


def _plan_end(outcome: Outcome, session_date: date) -> date | None:
    children = [
        (child.age if child.age is not None else 0, child.birth_date)
        for child in outcome.children
        if child.age is not None or child.birth_date is not None
    ]
    return plan_end_for_children(
        session_date,
        children,
        outcome.pregnancy_due,
        pregnancy=outcome.pregnancy == "yes",
    )


def plan_after_session(
    existing: StoredPlan | None, outcome: Outcome, session_date: date
) -> tuple[FollowUpPlan, Rhythm | None, str] | None:
    """The plan a client should have after a session, and what changed.

    - No plan yet and the outcome has a rhythm: a new plan, first conversation one interval
      after the session, ending when the youngest child turns 18.
    - A plan in a default rhythm, and the new outcome's rhythm is *more frequent* (a safety
      signal, or stacking): the plan moves to the new rhythm from this session on, keeping its
      skips and moves where they still fit. A less frequent outcome never loosens a plan: the
      clinician decides that. A plan edited by hand (rhythm None) is left alone.
    - The end date only ever moves later (a new child or a pregnancy).

    Returns None when there is nothing to store (no plan and no rhythm).
    """
    rhythm = outcome.followup_rhythm
    end = _plan_end(outcome, session_date)
    if existing is None:
        if rhythm is None:
            return None
        return new_plan(rhythm, session_date, end), rhythm, "new"
    plan, change, stored_rhythm = existing.plan, "unchanged", existing.rhythm
    if (
        rhythm is not None
        and stored_rhythm is not None
        and _RHYTHM_RANK[rhythm] > _RHYTHM_RANK[stored_rhythm]
    ):
        fresh = new_plan(rhythm, session_date, plan.ends_on)
        plan = with_rule(plan, fresh.rule, start=fresh.start)
        stored_rhythm, change = rhythm, "more_frequent"
    if end is not None and plan.ends_on is not None and end > plan.ends_on:
        plan = FollowUpPlan(
            rule=plan.rule,
            start=plan.start,
            time_of_day=plan.time_of_day,
            changes=plan.changes,
            ends_on=end,
            treatment_ended_on=plan.treatment_ended_on,
        )
    return plan, stored_rhythm, change


# --------------------------------------------------------------------------------------------
# The store


class Store:
    """An unlocked vault. Create with :meth:`create`, :meth:`unlock` or
    :meth:`unlock_with_recovery`; always :meth:`close` (or use ``with``).

    Thread-safe: one mutex serialises every use of the single connection. Every method returns
    plain dataclasses; damaged records raise :class:`RecordDamaged` naming ``table/id``, and the
    ``iter_*``/``list_*`` methods take a ``damaged`` list to collect those and go on instead.
    """

    def __init__(self, *, data_dir: Path, lock: FileLock, engine: Engine, data_key: bytes) -> None:
        self._data_dir = data_dir
        self._db = data_dir / DB_NAME
        self._lock: FileLock | None = lock
        self._engine: Engine | None = engine
        self._cipher: RecordCipher | None = RecordCipher(data_key)
        self._index: _BlindIndex | None = _BlindIndex(data_key)
        self._mutex = threading.RLock()
        self._batch: Connection | None = None
        self._user_name: str | None = None
        self._rollback: _RollbackCounter | None = _RollbackCounter(data_key)
        self._vault_id = _vault_id(data_key)
        self._tx_state: dict[str, Any] | None = None  # meta/state within one transaction
        self._quiet = 0  # > 0: the store's own operations write no access-log entries
        self._outside_ready = False  # the rollback check ran: commits update the outside copy
        self._outside_written: int | None = None
        #: Set on unlock when the vault is older than the last one opened on this computer
        #: (see ROLLBACK_WARNING); show it to the user. None otherwise.
        self.rollback_warning: str | None = None

    # -- opening and closing -----------------------------------------------------------------

    @staticmethod
    def exists(data_dir: Path | str) -> bool:
        """Whether a vault file is in ``data_dir`` (nothing is opened)."""
        return (Path(data_dir) / DB_NAME).exists()

    @classmethod
    def create(cls, data_dir: Path | str, passphrase: str, user_name: str) -> tuple[Store, str]:
        """Create a vault; return it, unlocked, and the recovery key's display form.

        The recovery key is returned once and stored nowhere in plain form: show it to the
        user and tell them to write it down. The database is built under a temporary name and
        renamed into place, so a crash leaves no half-made vault.
        """
        check_new_passphrase(passphrase)
        data_dir = Path(data_dir)
        _make_data_dir(data_dir)
        lock = _acquire_lock(data_dir)
        engine: Engine | None = None
        building = data_dir / (DB_NAME + ".new")
        try:
            db = data_dir / DB_NAME
            if db.exists() or db.is_symlink():
                raise VaultError(f"a vault already exists in {data_dir}; nothing was changed")
            data_key = new_data_key()
            recovery_key, recovery_text = generate_recovery_key()
            slots = [
                make_passphrase_slot(data_key, passphrase),
                make_recovery_slot(data_key, recovery_key),
            ]
            cipher = RecordCipher(data_key)
            profile = {"user_name": str(user_name), "created_at": _now().isoformat()}
            for leftover in (building, _journal(building)):
                _remove(leftover)
            try:
                # Made here with 0600 so SQLite (which copies the database's mode to its
                # journal) never creates a readable file.
                os.close(os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except OSError as error:
                raise _os_failure(error, data_dir, "create the vault") from None
            build_engine = _engine_for(building)
            try:
                with build_engine.begin() as conn:
                    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                    _run_migrations(conn, 0, None)
                    conn.execute(
                        insert(_META).values(
                            name="profile",
                            format_version=RECORD_FORMAT,
                            value=cipher.encrypt_json("meta", "profile", profile, RECORD_FORMAT),
                        )
                    )
                    _write_state(
                        conn,
                        cipher,
                        {"generation": 1, "log_sequence": None, "log_hash": None, "rebuilt": []},
                    )
                    for slot in slots:
                        conn.execute(
                            insert(_SLOTS).values(id=_new_id(), kind=slot.kind, slot=slot.to_json())
                        )
            except (DBAPIError, sqlite3.Error) as error:
                raise _translate(error, writing=True) from None
            finally:
                build_engine.dispose()
            try:
                _fsync_path(building)
                os.replace(building, db)
                _remove(_journal(building))
                _fsync_path(data_dir, directory=True)
            except OSError as error:
                raise _os_failure(error, data_dir, "create the vault") from None
            engine = _engine_for(db)
            store = cls(data_dir=data_dir, lock=lock, engine=engine, data_key=data_key)
            store._user_name = profile["user_name"]
            store._outside_ready = True
            store._remember_generation(1)
            return store, recovery_text
        except BaseException:
            for leftover in (building, _journal(building)):
                with contextlib.suppress(OSError):
                    _remove(leftover)
            if engine is not None:
                engine.dispose()
            _release(lock)
            raise

    @classmethod
    def unlock(
        cls,
        data_dir: Path | str,
        passphrase: str,
        *,
        throttle: UnlockThrottle | None = None,
    ) -> Store:
        """Open the vault with the passphrase.

        WrongPassphrase (always the message "wrong passphrase") when it does not open the vault;
        each failure in this process waits longer (vault.UnlockThrottle). VaultLocked when
        another copy has the vault open; VaultError for a missing, damaged or foreign file.
        """
        if not isinstance(passphrase, str):
            raise TypeError("the passphrase is text (str)")
        store, _data_key = cls._open(
            Path(data_dir),
            throttle or _THROTTLE,
            lambda slots: _open_any(slots, PASSPHRASE, passphrase),
        )
        return store

    @classmethod
    def unlock_with_recovery(
        cls,
        data_dir: Path | str,
        recovery_text: str,
        new_passphrase: str,
        *,
        throttle: UnlockThrottle | None = None,
    ) -> Store:
        """Open the vault with the recovery key and set a new passphrase.

        The old passphrase slot is deleted in the same transaction, so the forgotten (or
        compromised) passphrase stops working. The recovery key itself stays valid.
        """
        check_new_passphrase(new_passphrase)
        recovery_key = parse_recovery_key(recovery_text)  # a typo is reported as such
        store, data_key = cls._open(
            Path(data_dir),
            throttle or _THROTTLE,
            lambda slots: _open_any(slots, RECOVERY, recovery_key),
        )
        try:
            store._replace_passphrase_slots(data_key, new_passphrase)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _open(
        cls,
        data_dir: Path,
        throttle: UnlockThrottle,
        open_key: Callable[[list[KeySlot]], bytes],
    ) -> tuple[Store, bytes]:
        """Lock, check the file, read the slots, open one; the store and the data key."""
        db = data_dir / DB_NAME
        if not db.exists():
            raise VaultError(f"there is no vault in {data_dir}: create one with `kindcheck init`")
        lock = _acquire_lock(data_dir)
        engine: Engine | None = None
        try:
            if not _journal_may_be_hot(db):
                _check_header(db)
            engine = _engine_for(db)
            version, slots = _read_vault_info(engine, db)
            try:
                data_key = open_key(slots)
            except WrongPassphrase:
                engine.dispose()
                engine = None
                _release(lock)
                throttle.failed()
                raise
            store = cls(data_dir=data_dir, lock=lock, engine=engine, data_key=data_key)
        except BaseException:
            if engine is not None:
                engine.dispose()
            _release(lock)
            raise
        try:
            store._user_name = store._read_profile().get("user_name")
            if version < SCHEMA_VERSION:
                store._migrate(version)
            store._check_rollback()
        except BaseException:
            store.close()
            raise
        throttle.succeeded()
        return store, data_key

    def close(self) -> None:
        """Drop the key, close the database and release the lock file. Safe to call twice."""
        with self._mutex:
            self._drop_key_and_connection()
            _release(self._lock)
            self._lock = None

    def lock(self) -> None:
        """The idle lock: drop the key and close the database, but keep the lock file, so no
        second copy can open the vault while this one waits for :meth:`resume`. Save any open
        form as a draft first."""
        with self._mutex:
            self._drop_key_and_connection()

    def _drop_key_and_connection(self) -> None:
        """Forget the key and everything derived from it, and close the database (the caller
        holds the mutex)."""
        self._cipher = None
        self._index = None
        self._rollback = None
        self._outside_ready = False
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def resume(self, passphrase: str, *, throttle: UnlockThrottle | None = None) -> None:
        """Unlock again after :meth:`lock` (same rules and throttle as :meth:`unlock`)."""
        throttle = throttle or _THROTTLE
        with self._mutex:
            if self._lock is None:
                raise VaultError("the vault is closed; open it again")
            if self.is_open:
                return
            engine = _engine_for(self._db)
            try:
                _version, slots = _read_vault_info(engine, self._db)
                data_key = _open_any(slots, PASSPHRASE, passphrase)
            except WrongPassphrase:
                engine.dispose()
                throttle.failed()
                raise
            except BaseException:
                engine.dispose()
                raise
            throttle.succeeded()
            self._engine = engine
            self._cipher = RecordCipher(data_key)
            self._index = _BlindIndex(data_key)
            self._rollback = _RollbackCounter(data_key)
            self._check_rollback()  # the file may have been replaced while locked

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._cipher is not None

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def user_name(self) -> str | None:
        """The vault's user (for the access log); None if the profile record is damaged."""
        return self._user_name

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return _schema_version(conn)

    # -- passphrases -------------------------------------------------------------------------

    def change_passphrase(
        self, old: str, new: str, *, throttle: UnlockThrottle | None = None
    ) -> None:
        """Set a new passphrase. Only the key slot is rewrapped; the old slot is deleted, so
        the old passphrase stops working at once. Records are not re-encrypted."""
        check_new_passphrase(new)
        throttle = throttle or _THROTTLE
        with self._mutex:
            self._require_open()
            try:
                # The store does not keep the data key itself (only inside AESGCM); opening
                # the old slot yields it again, and proves the old passphrase.
                data_key = _open_any(self._slots(), PASSPHRASE, old)
            except WrongPassphrase:
                throttle.failed()
                raise
            throttle.succeeded()
            self._replace_passphrase_slots(data_key, new)

    def _replace_passphrase_slots(self, data_key: bytes, new_passphrase: str) -> None:
        """Delete every passphrase slot and add one for ``new_passphrase``, in one transaction."""
        # The key must be this vault's: compare what it derives, never the key itself.
        if not hmac.compare_digest(
            _BlindIndex(data_key).fingerprint, self._require_index().fingerprint
        ):
            raise VaultError("the key slot does not belong to this vault's key")
        slot = make_passphrase_slot(data_key, new_passphrase)
        with self._write() as conn:
            conn.execute(delete(_SLOTS).where(_SLOTS.c.kind == PASSPHRASE))
            conn.execute(insert(_SLOTS).values(id=_new_id(), kind=slot.kind, slot=slot.to_json()))

    def _slots(self) -> list[KeySlot]:
        with self._read() as conn:
            return _parse_slots(conn.execute(select(_SLOTS.c.id, _SLOTS.c.slot)).all())

    # -- transactions --------------------------------------------------------------------------

    def _require_open(self) -> RecordCipher:
        if self._cipher is None or self._engine is None:
            raise VaultError("the vault is locked")
        return self._cipher

    @contextlib.contextmanager
    def _write(self, *, reading: bool = False) -> Iterator[Connection]:
        """One write transaction (or the surrounding batch). All or nothing.

        Every committing transaction raises the vault's generation by one, inside it, and then
        updates the copy outside the file (_RollbackCounter). ``reading``: a read that is
        written to the access log; if the entry cannot be written, nothing is shown.
        """
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            if self._batch is not None:
                yield self._batch
                return
            self._tx_state = None
            generation: int | None = None
            try:
                with self._engine.begin() as conn:
                    before = _total_changes(conn)
                    yield conn
                    if _total_changes(conn) != before:  # a transaction that wrote nothing
                        generation = self._finish(conn)  # does not count
            except (DBAPIError, sqlite3.Error) as error:
                failure = _translate(error, writing=True)
                if reading:
                    failure = VaultError(
                        failure.args[0].replace(
                            "nothing was saved",
                            "the access could not be written to the access log, so nothing was "
                            "opened",
                        )
                    )
                raise failure from None
            finally:
                self._tx_state = None
            if generation is not None:
                self._remember_generation(generation)

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            if self._batch is not None:
                yield self._batch
                return
            try:
                with self._engine.connect() as conn:
                    yield conn
            except (DBAPIError, sqlite3.Error) as error:
                raise _translate(error, writing=False) from None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group several changes into one transaction: all are saved, or none."""
        with self._mutex, self._write() as conn:
            if self._batch is conn:  # nested: the outer batch commits
                yield
                return
            self._batch = conn
            try:
                yield
            finally:
                self._batch = None

    def _migrate(self, from_version: int) -> None:
        cipher = self._require_open()
        with self._write() as conn:
            _run_migrations(conn, from_version, cipher)

    # -- the access log, the generation and the rollback check --------------------------------

    def _state(self, conn: Connection) -> dict[str, Any]:
        """meta/state as this transaction has it (read once, written once at commit)."""
        if self._tx_state is None:
            self._tx_state = _load_state(conn, self._require_open())
        return self._tx_state

    def _finish(self, conn: Connection) -> int:
        """End of a write transaction: one generation more, the state record written."""
        state = self._state(conn)
        state["generation"] += 1
        _write_state(conn, self._require_open(), state)
        return int(state["generation"])

    def _remember_generation(self, generation: int) -> None:
        """After a commit: the copy outside the file follows (after the rollback check)."""
        if (
            self._outside_ready
            and self._rollback is not None
            and generation != self._outside_written
        ):
            self._rollback.write(generation)
            self._outside_written = generation

    def _check_rollback(self) -> None:
        """Compare the vault's generation with the copy outside the file; warn if older.

        Warns once per replaced file: the entry written about it (an access-log "restore"
        entry) and the outside copy then follow the vault as it is now. A restore through
        :meth:`restore` updates the outside copy itself, so it does not warn.
        """
        with self._mutex:
            self.rollback_warning = None
            counter = self._rollback
            if counter is None:
                return
            with self._read() as conn:
                try:
                    state = _read_state(conn, self._require_open())
                except RecordDamaged:
                    state = None
            generation = None if state is None else int(state["generation"])
            outside = counter.read()
            self._outside_ready = True
            if outside is not None and (generation is None or generation < outside):
                found = "unknown" if generation is None else str(generation)
                self.rollback_warning = ROLLBACK_WARNING.format(found=found, expected=outside)
                try:
                    self.log_access(
                        "restore",
                        None,
                        f"an older copy of the vault was opened (generation {found}, this "
                        f"computer had seen {outside}): restored by hand or replaced",
                    )
                    return  # the commit updated the outside copy
                except KindcheckError:
                    pass  # a read-only vault: warn all the same
            if generation is not None:
                self._remember_generation(generation)

    @contextlib.contextmanager
    def _unlogged(self) -> Iterator[None]:
        """The store's own operations inside write no entries (a composite operation, such
        as :meth:`record`, writes its one entry itself)."""
        with self._mutex:
            self._quiet += 1
            try:
                yield
            finally:
                self._quiet -= 1

    def _append(
        self,
        conn: Connection,
        action: str,
        client_reference: str | None,
        detail: str,
        outcome: str = "done",
    ) -> None:
        _append_entry(
            conn,
            self._require_open(),
            self._state(conn),
            self._user_name or "unknown",
            action,
            client_reference,
            detail,
            outcome,
        )

    def _log(
        self, conn: Connection, action: str, client_reference: str | None, detail: str
    ) -> None:
        if not self._quiet:
            self._append(conn, action, client_reference, detail)

    def _log_client(self, conn: Connection, action: str, client_id: str, detail: str) -> None:
        """An entry about the client ``client_id`` (its reference is looked up)."""
        if self._quiet:
            return
        row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.id == client_id)).first()
        reference, note = None, ""
        if row is None:
            note = f" (client {client_id} not found)"
        else:
            try:
                reference = self._client_from_row(row).reference
            except RecordDamaged:
                note = f" (record client/{client_id} is damaged)"
        self._append(conn, action, reference, detail + note)

    def _log_refusal(self, action: str, client_reference: str | None, detail: str) -> None:
        """A refused action, in its own transaction (the refused one was rolled back). Inside
        a batch nothing is written: the batch is being abandoned, and its caller decides."""
        if self._batch is not None or self._quiet:
            return
        with contextlib.suppress(KindcheckError):
            self.log_access(action, client_reference, detail, "refused")

    def log_access(
        self, action: str, client_reference: str | None, detail: str, outcome: str = "done"
    ) -> None:
        """Write one access-log entry: ``action`` one of accesslog.ACTIONS (create, read,
        change, delete, search, export, backup, restore, print), ``outcome`` "done" or
        "refused", ``client_reference`` the client's reference (None for an action over no
        single client), ``detail`` what was touched, e.g. "export (quarter) to FILE".

        Its own transaction; inside :meth:`batch`, part of the batch (so an export's entry and
        the export can be one unit). The user is the vault's user name. A reference that
        belongs to a client in the vault is logged as that client's reference is written
        ("epd 12" becomes "EPD-12"), so one client's entries read alike.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown access-log action {action!r}")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown access-log outcome {outcome!r}")
        if client_reference is not None and not isinstance(client_reference, str):
            raise VaultError("a client reference is text")
        with self._write() as conn:
            if client_reference is not None and normalise_reference(client_reference):
                row = conn.execute(
                    select(_CLIENTS).where(
                        _CLIENTS.c.ref_index == self._require_index()(client_reference)
                    )
                ).first()
                with contextlib.suppress(RecordDamaged):
                    found = None if row is None else self._client_from_row(row).reference
                    if found is not None and normalise_reference(found) == normalise_reference(
                        client_reference
                    ):
                        client_reference = found
            self._append(conn, action, client_reference, str(detail), outcome)

    def access_log(
        self, client_reference: str | None = None, damaged: list[str] | None = None
    ) -> list[AccessEntry]:
        """The access log, oldest first; with ``client_reference``, only the entries about
        that client (compared as normalise_reference does). Reading the log writes no entry
        itself: the caller logs the viewing or export it does.

        Without ``damaged`` a damaged entry raises RecordDamaged; with it, damaged entries are
        named there and skipped. Entries about deleted clients are kept.
        """
        wanted = None if client_reference is None else normalise_reference(client_reference)
        with self._read() as conn:
            rows = conn.execute(select(_LOG).order_by(_LOG.c.position)).all()
        cipher = self._require_open()
        entries: list[AccessEntry] = []
        for row in rows:
            entry = _collect(damaged, lambda row=row: _entry_from_row(cipher, row))
            if entry is None:
                continue
            if wanted is not None and (
                entry.client_reference is None
                or normalise_reference(entry.client_reference) != wanted
            ):
                continue
            entries.append(entry)
        return entries

    @property
    def vault_id(self) -> str:
        """A stable pseudonymous id of this vault (32 hex digits), derived from the data key:
        the same after a passphrase change and in the vault's backups; reveals nothing. For
        team files (one laptop's files are told apart) and the rollback counter's file name."""
        return self._vault_id

    @property
    def generation(self) -> int | None:
        """The vault's generation (raised by every committing write); None if unreadable."""
        with self._read() as conn:
            try:
                state = _read_state(conn, self._require_open())
            except RecordDamaged:
                return None
        return None if state is None else int(state["generation"])

    # -- encryption helpers ----------------------------------------------------------------------

    def _seal(self, label: str, record_id: str, value: dict[str, Any]) -> bytes:
        cipher = self._require_open()
        try:
            return cipher.encrypt_json(label, record_id, value, RECORD_FORMAT)
        except (TypeError, ValueError) as error:
            # Encrypt before writing: if this fails, nothing reaches the disk.
            raise VaultError(
                f"the {label.split('.')[0]} could not be encrypted ({type(error).__name__}): "
                "nothing was saved"
            ) from None

    def _unseal(
        self, name: str, label: str, record_id: str, blob: bytes, format_version: int
    ) -> dict[str, Any]:
        return _open_record(self._require_open(), name, label, record_id, blob, format_version)

    # -- profile ---------------------------------------------------------------------------------

    def _read_profile(self) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(
                select(_META.c.format_version, _META.c.value).where(_META.c.name == "profile")
            ).first()
        if row is None:
            return {}
        try:
            return self._unseal("meta/profile", "meta", "profile", row.value, row.format_version)
        except RecordDamaged:
            return {}  # the user name is not worth refusing the vault over; verify names it

    # -- clients -----------------------------------------------------------------------------------

    def _client_from_row(self, row: Any) -> Client:
        name = f"client/{row.id}"
        data = self._unseal(name, "client", row.id, row.data, row.format_version)
        try:
            return Client(
                id=row.id,
                reference=str(data["reference"]),
                name=data["name"],
                created_at=_iso_datetime(data["created_at"]),
            )
        except (KeyError, TypeError, ValueError):
            raise RecordDamaged(f"record {name} is damaged or was moved") from None

    def add_client(self, reference: str, name: str | None = None) -> Client:
        """Add a client; VaultError if the reference is already in use."""
        index = self._require_index()(reference)
        client = Client(
            id=_new_id(), reference=reference.strip(), name=name or None, created_at=_now()
        )
        blob = self._seal("client", client.id, _client_data(client))
        refused = False
        try:
            with self._write() as conn:
                taken = conn.execute(
                    select(_CLIENTS.c.id).where(_CLIENTS.c.ref_index == index)
                ).first()
                if taken is not None:
                    refused = True
                    raise VaultError("a client with this reference already exists")
                conn.execute(
                    insert(_CLIENTS).values(
                        id=client.id, ref_index=index, format_version=RECORD_FORMAT, data=blob
                    )
                )
                self._log(conn, "create", client.reference, "client")
        except VaultError:
            if refused:
                self._log_refusal(
                    "create", client.reference, "client (the reference is already in use)"
                )
            raise
        return client

    def find_client(self, reference: str, *, log: bool = True) -> Client | None:
        """The client with this reference (normalised, see normalise_reference), or None.

        A "search" entry in the access log, found or not (``log=False`` for lookups that are
        part of another logged operation)."""
        index = self._require_index()(reference)
        with self._write(reading=True) if log else self._read() as conn:
            row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.ref_index == index)).first()
            client = None if row is None else self._client_from_row(row)
            # A blind index copied onto another row would hand out the wrong client: check it.
            if client is not None and normalise_reference(client.reference) != normalise_reference(
                reference
            ):
                raise RecordDamaged(f"record client/{client.id} does not match its search index")
            if log:
                self._log(
                    conn,
                    "search",
                    client.reference if client else reference.strip(),
                    "reference search: " + ("found" if client else "no match"),
                )
        return client

    def get_client(self, client_id: str) -> Client | None:
        with self._read() as conn:
            row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.id == client_id)).first()
        return None if row is None else self._client_from_row(row)

    def set_client_name(self, client_id: str, name: str | None) -> Client:
        """Change the name shown for a client."""
        with self.batch():
            client = self.get_client(client_id)
            if client is None:
                raise VaultError("no such client")
            updated = Client(client.id, client.reference, name or None, client.created_at)
            blob = self._seal("client", client.id, _client_data(updated))
            with self._write() as conn:
                conn.execute(update(_CLIENTS).where(_CLIENTS.c.id == client.id).values(data=blob))
                self._log(conn, "change", client.reference, "client name")
        return updated

    def list_clients(self, damaged: list[str] | None = None) -> list[ClientOverview]:
        """Every client with its session count and last session, sorted by reference."""
        with self._read() as conn:
            client_rows = conn.execute(select(_CLIENTS)).all()
            header_rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                )
            ).all()
        by_client: dict[str, list[SessionSummary]] = {}
        for row in header_rows:
            summary = _collect(damaged, lambda row=row: self._summary_from_row(row))
            if summary is not None:
                by_client.setdefault(summary.client_id, []).append(summary)
        overviews = []
        for row in client_rows:
            client = _collect(damaged, lambda row=row: self._client_from_row(row))
            if client is None:
                continue
            sessions = sorted(by_client.get(client.id, []), key=_session_order)
            overviews.append(
                ClientOverview(client, len(sessions), sessions[-1] if sessions else None)
            )
        overviews.sort(key=lambda item: normalise_reference(item.client.reference))
        return overviews

    def delete_client(self, client_id: str) -> None:
        """Delete a client with all its records: sessions, Meldcode steps, plan, drafts.

        secure_delete overwrites the freed space in the file. The access-log entries about
        the client stay (NEN 7513: 5 years); they hold the reference, not the client's data.
        """
        with self._write() as conn:
            row = conn.execute(
                select(_CLIENTS.c.ref_index).where(_CLIENTS.c.id == client_id)
            ).first()
            if row is None:
                raise VaultError("no such client")
            sessions = conn.execute(
                select(func.count())
                .select_from(_SESSIONS)
                .where(_SESSIONS.c.client_id == client_id)
            ).scalar_one()
            self._log_client(
                conn, "delete", client_id, f"client with its {sessions} session(s), plan and drafts"
            )
            conn.execute(delete(_DRAFTS).where(_DRAFTS.c.ref_index == row.ref_index))
            # Sessions and the plan go by ON DELETE CASCADE; deleted explicitly as well so a
            # file whose foreign keys were switched off elsewhere cannot keep orphans.
            conn.execute(delete(_SESSIONS).where(_SESSIONS.c.client_id == client_id))
            conn.execute(delete(_PLANS).where(_PLANS.c.client_id == client_id))
            conn.execute(delete(_CLIENTS).where(_CLIENTS.c.id == client_id))

    def _require_index(self) -> _BlindIndex:
        if self._index is None:
            raise VaultError("the vault is locked")
        return self._index

    # -- sessions ----------------------------------------------------------------------------------

    def save_session(
        self, client_id: str, answers: dict[str, Any], outcome: dict[str, Any]
    ) -> SessionSummary:
        """Store a validated session (Session.to_dict()) with its outcome (outcome_to_json)."""
        summary = _summary_for(_new_id(), client_id, answers, outcome)
        record_id = f"{summary.id}/{client_id}"
        header = self._seal("session.header", record_id, _summary_data(summary))
        body = self._seal("session.body", record_id, {"answers": answers, "outcome": outcome})
        meldcode = self._seal("session.meldcode", record_id, {"steps": {}})
        with self._write() as conn:
            exists = conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == client_id)).first()
            if exists is None:
                raise VaultError("no such client")
            conn.execute(
                insert(_SESSIONS).values(
                    id=summary.id,
                    client_id=client_id,
                    format_version=RECORD_FORMAT,
                    header=header,
                    body=body,
                    meldcode=meldcode,
                )
            )
            self._log_client(conn, "create", client_id, f"session {summary.id}")
        return summary

    def _summary_from_row(self, row: Any) -> SessionSummary:
        name = f"session/{row.id}"
        data = self._unseal(
            name, "session.header", f"{row.id}/{row.client_id}", row.header, row.format_version
        )
        try:
            return _summary_from_data(row.id, row.client_id, data)
        except (KeyError, TypeError, ValueError):
            raise RecordDamaged(f"record {name} is damaged or was moved") from None

    def _session_from_row(self, row: Any) -> StoredSession:
        summary = self._summary_from_row(row)
        body = self._unseal(
            f"session/{row.id}",
            "session.body",
            f"{row.id}/{row.client_id}",
            row.body,
            row.format_version,
        )
        answers, outcome = body.get("answers"), body.get("outcome")
        if not isinstance(answers, dict) or not isinstance(outcome, dict):
            raise RecordDamaged(f"record session/{row.id} is damaged or was moved")
        return StoredSession(summary, answers, outcome)

    def list_sessions(
        self, client_id: str, damaged: list[str] | None = None, *, log: bool = True
    ) -> list[SessionSummary]:
        """A client's sessions, oldest first (by session date, then saved time).

        This is *opening a client*: one "read" entry in the access log (none for a client
        that does not exist). ``log=False`` for internal use and for lists that only need
        dates (a due list), which are not an opening of the client's file.
        """
        with self._write(reading=True) if log else self._read() as conn:
            rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                ).where(_SESSIONS.c.client_id == client_id)
            ).all()
            if (
                log
                and conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == client_id)).first()
                is not None
            ):
                self._log_client(conn, "read", client_id, f"client file ({len(rows)} sessions)")
        found = [_collect(damaged, lambda row=row: self._summary_from_row(row)) for row in rows]
        return sorted((s for s in found if s is not None), key=_session_order)

    def get_session(self, session_id: str, *, log: bool = True) -> StoredSession | None:
        """A session with its answers and outcome. This is *opening a session*: one "read"
        entry in the access log, written only when the session decrypts (``log=False`` for a
        session loaded as part of a client view that was logged already)."""
        with self._write(reading=True) if log else self._read() as conn:
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                    _SESSIONS.c.body,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
            if row is None:
                return None
            session = self._session_from_row(row)
            if log:
                self._log_client(conn, "read", row.client_id, f"session {row.id}")
        return session

    def iter_sessions(self, damaged: list[str] | None = None) -> Iterator[StoredSession]:
        """Every session with answers and outcome, in the order they were saved.

        Reads in chunks (bounded memory, and the mutex is free between chunks). Without
        ``damaged`` the first damaged record raises; with it, damaged ones are named there and
        skipped.
        """
        last_rowid = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    select(
                        _rowid_col.label("rowid"),
                        _SESSIONS.c.id,
                        _SESSIONS.c.client_id,
                        _SESSIONS.c.format_version,
                        _SESSIONS.c.header,
                        _SESSIONS.c.body,
                    )
                    .where(last_rowid < _rowid_col)
                    .order_by(_rowid_col)
                    .limit(_READ_CHUNK)
                ).all()
            if not rows:
                return
            last_rowid = rows[-1].rowid
            for row in rows:
                session = _collect(damaged, lambda row=row: self._session_from_row(row))
                if session is not None:
                    yield session

    # -- Meldcode steps --------------------------------------------------------------------------

    def meldcode_steps(self, session_id: str) -> dict[str, MeldcodeStepRecord]:
        """The Meldcode steps recorded for a session, by step id."""
        with self._read() as conn:
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.meldcode,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
        if row is None:
            raise VaultError("no such session")
        return self._steps_from_row(row)

    def _steps_from_row(self, row: Any) -> dict[str, MeldcodeStepRecord]:
        name = f"session/{row.id}"
        data = self._unseal(
            name, "session.meldcode", f"{row.id}/{row.client_id}", row.meldcode, row.format_version
        )
        try:
            steps = data["steps"]
            return {
                step_id: MeldcodeStepRecord(
                    step_id=step_id,
                    done_on=None if value["done_on"] is None else _iso_date(value["done_on"]),
                    note=str(value["note"]),
                    updated_at=_iso_datetime(value["updated_at"]),
                )
                for step_id, value in steps.items()
            }
        except (KeyError, TypeError, ValueError, AttributeError):
            raise RecordDamaged(f"record {name} is damaged or was moved") from None

    def set_meldcode_step(
        self, session_id: str, step_id: str, done_on: date | None, note: str = ""
    ) -> MeldcodeStepRecord:
        """Record (or change) one Meldcode step of a session."""
        if not isinstance(step_id, str) or not step_id or len(step_id) > 64:
            raise VaultError("a Meldcode step needs an id")
        if done_on is not None and not isinstance(done_on, date):
            raise VaultError("a Meldcode step's date must be a date")
        record = MeldcodeStepRecord(step_id, done_on, str(note), _now())
        with self._write() as conn:
            row = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.meldcode,
                ).where(_SESSIONS.c.id == session_id)
            ).first()
            if row is None:
                raise VaultError("no such session")
            steps = self._steps_from_row(row)
            steps[step_id] = record
            blob = self._seal(
                "session.meldcode",
                f"{row.id}/{row.client_id}",
                {
                    "steps": {
                        key: {
                            "done_on": None if value.done_on is None else value.done_on.isoformat(),
                            "note": value.note,
                            "updated_at": value.updated_at.isoformat(),
                        }
                        for key, value in steps.items()
                    }
                },
            )
            conn.execute(
                update(_SESSIONS).where(_SESSIONS.c.id == session_id).values(meldcode=blob)
            )
            self._log_client(
                conn, "change", row.client_id, f"Meldcode step {step_id} of session {session_id}"
            )
        return record

    # -- follow-up plans -----------------------------------------------------------------------

    def save_plan(
        self, client_id: str, plan: FollowUpPlan, rhythm: Rhythm | None = None
    ) -> StoredPlan:
        """Store a client's plan (one per client; replaces the previous one).

        ``rhythm`` says which default rhythm the plan follows; None for a plan edited by hand
        (later sessions then leave its rhythm alone).
        """
        if not isinstance(plan, FollowUpPlan):
            raise VaultError("a follow-up plan is needed")
        with self._write() as conn:
            client = conn.execute(select(_CLIENTS.c.id).where(_CLIENTS.c.id == client_id)).first()
            if client is None:
                raise VaultError("no such client")
            row = conn.execute(select(_PLANS.c.id).where(_PLANS.c.client_id == client_id)).first()
            plan_id = row.id if row is not None else _new_id()
            stored = StoredPlan(
                plan_id, client_id, plan, Rhythm(rhythm) if rhythm is not None else None, _now()
            )
            blob = self._seal("followup_plan", f"{plan_id}/{client_id}", _plan_data(stored))
            if row is None:
                conn.execute(
                    insert(_PLANS).values(
                        id=plan_id, client_id=client_id, format_version=RECORD_FORMAT, data=blob
                    )
                )
            else:
                conn.execute(
                    update(_PLANS)
                    .where(_PLANS.c.id == plan_id)
                    .values(format_version=RECORD_FORMAT, data=blob)
                )
            self._log_client(
                conn, "change", client_id, "follow-up plan" + (" (new)" if row is None else "")
            )
        return stored

    def _plan_from_row(self, row: Any) -> StoredPlan:
        name = f"followup_plan/{row.id}"
        data = self._unseal(
            name, "followup_plan", f"{row.id}/{row.client_id}", row.data, row.format_version
        )
        try:
            return StoredPlan(
                id=row.id,
                client_id=row.client_id,
                plan=FollowUpPlan.from_dict(data["plan"]),
                rhythm=None if data["rhythm"] is None else Rhythm(data["rhythm"]),
                updated_at=_iso_datetime(data["updated_at"]),
            )
        except (KeyError, TypeError, ValueError, FollowUpError):
            raise RecordDamaged(f"record {name} is damaged or was moved") from None

    def get_plan(self, client_id: str) -> StoredPlan | None:
        with self._read() as conn:
            row = conn.execute(select(_PLANS).where(_PLANS.c.client_id == client_id)).first()
        return None if row is None else self._plan_from_row(row)

    def delete_plan(self, client_id: str) -> None:
        """Remove a client's plan (no follow-up conversations wanted); no plan is fine."""
        with self._write() as conn:
            removed = conn.execute(delete(_PLANS).where(_PLANS.c.client_id == client_id))
            if removed.rowcount:
                self._log_client(conn, "delete", client_id, "follow-up plan")

    def list_plans(self, damaged: list[str] | None = None) -> list[StoredPlan]:
        """Every client's plan (for due/overdue lists and the calendar export)."""
        with self._read() as conn:
            rows = conn.execute(select(_PLANS)).all()
        found = [_collect(damaged, lambda row=row: self._plan_from_row(row)) for row in rows]
        return [plan for plan in found if plan is not None]

    # -- drafts --------------------------------------------------------------------------------

    def save_draft(
        self,
        payload: dict[str, Any],
        reference: str | None = None,
        draft_id: str | None = None,
    ) -> Draft:
        """Save a new draft, or update ``draft_id``. Encrypted before anything is written: if
        encryption fails, nothing is saved and VaultError says so."""
        if not isinstance(payload, dict):
            raise VaultError("a draft is a table of answers")
        reference = reference.strip() if isinstance(reference, str) and reference.strip() else None
        index = self._require_index()(reference) if reference else None
        now = _now()
        with self._write() as conn:
            created = now
            if draft_id is not None:
                row = conn.execute(select(_DRAFTS).where(_DRAFTS.c.id == draft_id)).first()
                if row is None:
                    raise VaultError("no such draft")
                created = self._draft_from_row(row).created_at
            draft = Draft(draft_id or _new_id(), reference, payload, created, now)
            blob = self._seal("draft", f"{draft.id}/{index or '-'}", _draft_data(draft))
            if draft_id is None:
                conn.execute(
                    insert(_DRAFTS).values(
                        id=draft.id, ref_index=index, format_version=RECORD_FORMAT, data=blob
                    )
                )
                # Only a draft's creation is logged, not every autosave of it.
                self._log(conn, "create", draft.reference, f"draft {draft.id}")
            else:
                conn.execute(
                    update(_DRAFTS)
                    .where(_DRAFTS.c.id == draft.id)
                    .values(ref_index=index, format_version=RECORD_FORMAT, data=blob)
                )
        return draft

    def _draft_from_row(self, row: Any) -> Draft:
        name = f"draft/{row.id}"
        data = self._unseal(
            name, "draft", f"{row.id}/{row.ref_index or '-'}", row.data, row.format_version
        )
        try:
            payload = data["payload"]
            if not isinstance(payload, dict):
                raise TypeError
            return Draft(
                row.id,
                data["reference"],
                payload,
                _iso_datetime(data["created_at"]),
                _iso_datetime(data["updated_at"]),
            )
        except (KeyError, TypeError, ValueError):
            raise RecordDamaged(f"record {name} is damaged or was moved") from None

    def get_draft(self, draft_id: str) -> Draft | None:
        with self._read() as conn:
            row = conn.execute(select(_DRAFTS).where(_DRAFTS.c.id == draft_id)).first()
        return None if row is None else self._draft_from_row(row)

    def list_drafts(self, damaged: list[str] | None = None) -> list[Draft]:
        """Every draft, most recently changed first."""
        with self._read() as conn:
            rows = conn.execute(select(_DRAFTS)).all()
        found = [_collect(damaged, lambda row=row: self._draft_from_row(row)) for row in rows]
        return sorted((d for d in found if d is not None), key=lambda d: d.updated_at, reverse=True)

    def delete_draft(self, draft_id: str) -> None:
        """Delete a draft (no draft with that id is fine, and not logged)."""
        with self._write() as conn:
            row = conn.execute(select(_DRAFTS).where(_DRAFTS.c.id == draft_id)).first()
            if row is None:
                return
            reference, note = None, ""
            try:
                reference = self._draft_from_row(row).reference
            except RecordDamaged:
                note = " (damaged)"
            conn.execute(delete(_DRAFTS).where(_DRAFTS.c.id == draft_id))
            self._log(conn, "delete", reference, f"draft {draft_id}{note}")

    # -- a completed session, end to end -----------------------------------------------------------

    def record(self, session: Session, outcome: Outcome, lang: str = "nl") -> Recorded:
        """Store a validated session: find or add its client, save the session and its
        outcome, and create or tighten the client's follow-up plan, in one transaction.

        The same answers stored twice for one client are refused (a retried command must not
        count a conversation twice).
        """
        answers = session.to_dict()
        outcome_json = outcome_to_json(outcome, lang)
        duplicate = False
        try:
            with self.batch():
                with self._unlogged():  # one "create" entry for the whole, below
                    client = self.find_client(session.client_reference, log=False)
                    created = client is None
                    if client is None:
                        client = self.add_client(session.client_reference, session.client_name)
                    elif session.client_name and not client.name:
                        client = self.set_client_name(client.id, session.client_name)
                    if not created:
                        for stored in self._client_sessions(client.id):
                            if stored.answers == answers:
                                duplicate = True
                                raise VaultError(
                                    f"this session was already recorded (session "
                                    f"{stored.id}); nothing was saved"
                                )
                    summary = self.save_session(client.id, answers, outcome_json)
                    existing = None if created else self.get_plan(client.id)
                    planned = plan_after_session(existing, outcome, session.session_date)
                    stored_plan, change = existing, "none" if existing is None else "unchanged"
                    if planned is not None:
                        plan, rhythm, change = planned
                        if existing is None or plan != existing.plan or rhythm != existing.rhythm:
                            stored_plan = self.save_plan(client.id, plan, rhythm)
                detail = f"session {summary.id}" + ("; new client" if created else "")
                if change in ("new", "more_frequent"):
                    detail += f"; follow-up plan {change.replace('_', ' ')}"
                with self._write() as conn:
                    self._log(conn, "create", client.reference, detail)
        except VaultError:
            if duplicate:
                self._log_refusal("create", session.client_reference, "session (already recorded)")
            raise
        return Recorded(client, created, summary, stored_plan, change)

    def _client_sessions(self, client_id: str) -> list[StoredSession]:
        with self._read() as conn:
            rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                    _SESSIONS.c.body,
                ).where(_SESSIONS.c.client_id == client_id)
            ).all()
        return [self._session_from_row(row) for row in rows]

    # -- checking, backup and restore ----------------------------------------------------------

    def count_records(self) -> dict[str, int]:
        """How many rows each record table holds."""
        with self._read() as conn:
            return {
                table.name: conn.exec_driver_sql(f"SELECT count(*) FROM {table.name}").scalar_one()
                for table in (_CLIENTS, _SESSIONS, _PLANS, _DRAFTS)
            }

    def verify(self) -> list[str]:
        """Check the file and decrypt every record; return one line per problem (empty: all
        well). A damaged record is named (``table/id``) and checking goes on; a row SQLite
        itself cannot read is named by table and row number."""
        problems: list[str] = []
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            # Untranslated errors here: the report names SQLite's own finding per row.
            with self._engine.connect() as conn:
                problems += _check_file(conn)
                for table, check in (
                    (_SLOTS, self._check_slot_row),
                    (_META, self._check_meta_row),
                    (_CLIENTS, self._check_client_row),
                    (_SESSIONS, self._check_session_row),
                    (_PLANS, self._check_plan_row),
                    (_DRAFTS, self._check_draft_row),
                    (_LOG, self._check_log_row),
                ):
                    problems += self._check_table(conn, table, check)
                problems += self._check_chain(conn)
        return problems

    def _check_log_row(self, row: Any) -> None:
        _entry_from_row(self._require_open(), row)

    def _check_chain(self, conn: Connection) -> list[str]:
        """The access log's hash chain against the head in meta/state (damaged entries and a
        damaged state record are named by the table checks; here they show as gaps)."""
        cipher = self._require_open()
        entries: list[AccessEntry] = []
        try:
            for row in conn.execute(select(_LOG).order_by(_LOG.c.position)):
                with contextlib.suppress(RecordDamaged):
                    entries.append(_entry_from_row(cipher, row))
            try:
                state = _read_state(conn, cipher)
            except RecordDamaged:
                state = None
        except (DBAPIError, sqlite3.Error) as error:
            return [f"access log: cannot be read completely ({_sqlite_message(error)})"]
        if state is None:
            return verify_chain(entries, None, None)
        return [*state["rebuilt"], *verify_chain(entries, state["log_sequence"], state["log_hash"])]

    def _check_table(
        self, conn: Connection, table: Table, check: Callable[[Any], None]
    ) -> list[str]:
        problems: list[str] = []
        rowids: list[int] = []
        try:
            for (rowid,) in conn.exec_driver_sql(f"SELECT rowid FROM {table.name}"):
                rowids.append(rowid)
        except (DBAPIError, sqlite3.Error) as error:
            problems.append(
                f"table {table.name}: cannot be read completely "
                f"({_sqlite_message(error)}); {len(rowids)} rows checked"
            )
        for rowid in rowids:  # one by one, so one unreadable row does not hide the others
            try:
                row = conn.execute(select(table).where(_rowid_col == rowid)).first()
            except (DBAPIError, sqlite3.Error) as error:
                problems.append(
                    f"table {table.name}, row {rowid}: cannot be read ({_sqlite_message(error)})"
                )
                continue
            if row is None:
                continue
            try:
                check(row)
            except KindcheckError as error:
                problems.append(str(error))
        return problems

    def _check_slot_row(self, row: Any) -> None:
        try:
            slot = KeySlot.from_json(row.slot)
            if slot.kind != row.kind:
                raise VaultError("its kind does not match")
            if slot.kdf is not None:
                slot.kdf.check()
        except VaultError as error:
            raise VaultError(f"key slot {row.id} ({row.kind}): {error}") from None

    def _check_meta_row(self, row: Any) -> None:
        if row.name == "state":
            _parse_state(self._unseal("meta/state", "meta", "state", row.value, row.format_version))
        if row.name == "profile":
            data = self._unseal("meta/profile", "meta", "profile", row.value, row.format_version)
            if not isinstance(data.get("user_name"), str):
                raise RecordDamaged("record meta/profile is damaged or was moved")

    def _check_client_row(self, row: Any) -> None:
        client = self._client_from_row(row)
        if self._require_index()(client.reference) != row.ref_index:
            raise RecordDamaged(f"record client/{row.id} does not match its search index")

    def _check_session_row(self, row: Any) -> None:
        self._session_from_row(row)
        self._steps_from_row(row)

    def _check_plan_row(self, row: Any) -> None:
        self._plan_from_row(row)

    def _check_draft_row(self, row: Any) -> None:
        draft = self._draft_from_row(row)
        expected = self._require_index()(draft.reference) if draft.reference else None
        if expected != row.ref_index:
            raise RecordDamaged(f"record draft/{row.id} does not match its search index")

    def backup(self, dest: Path | str, force: bool = False) -> Path:
        """Copy the vault to ``dest`` with the SQLite backup API (consistent, never a copy of a
        live file). The copy stays encrypted and opens with the passphrase and recovery key
        valid now. The path is checked as every output path is (kindcheck.paths): an existing
        ``dest`` is refused unless ``force``, a symbolic link always.

        One "backup" entry in the access log, written after the copy is complete (so the copy
        itself does not hold it, and is one generation older than the vault); a refused or
        failed backup is logged as "refused".
        """
        dest = Path(dest)
        self._require_open()
        try:
            target = check_output_path(dest, force)
            if target.exists() and target.samefile(self._db):
                raise OutputPathError("a backup cannot replace the vault itself")
        except OutputPathError as error:
            self._log_refusal("backup", None, f"backup to {dest}: {error}")
            raise VaultError(str(error)) from None
        partial = target.with_name(f".{target.name}.partial-{_new_id()[:8]}")
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            try:
                try:
                    _backup_into(self._engine, partial)
                    _check_copy(partial)
                    os.replace(partial, target)
                    _fsync_path(target.parent, directory=True)
                except OSError as error:
                    raise _os_failure(error, target.parent, "write the backup") from None
                except (DBAPIError, sqlite3.Error) as error:
                    raise VaultError(
                        _translate(error, writing=True)
                        .args[0]
                        .replace("nothing was saved", "no backup was written")
                    ) from None
                finally:
                    for leftover in (partial, _journal(partial)):
                        with contextlib.suppress(OSError):
                            _remove(leftover)
            except VaultError as error:
                self._log_refusal("backup", None, f"backup to {target}: {error}")
                raise
            self.log_access("backup", None, f"backup to {target}")
        return dest

    @classmethod
    def restore(
        cls,
        src: Path | str,
        data_dir: Path | str,
        force: bool = False,
        *,
        passphrase: str | None = None,
        throttle: UnlockThrottle | None = None,
    ) -> None:
        """Replace the vault in ``data_dir`` with the backup ``src``.

        The backup is checked first (a Kindcheck vault, intact, a schema this version reads,
        and, given ``passphrase``, that it opens with it). An existing vault is only replaced
        with ``force``. The copy is made beside the vault and renamed over it (atomic): a crash
        leaves either the old vault or the restored one.

        With ``passphrase`` (the CLI always gives it), the restored copy gets a "restore" entry
        in its access log (an older schema is upgraded in the same transaction) before it
        replaces the vault, and the rollback counter outside the file is set to the restored
        vault's generation, so opening it does not warn. A restore refused after the
        passphrase was checked is logged as "refused" in the existing vault when that vault
        has the same key (a copy of the same vault). Without ``passphrase`` there is no key:
        nothing is logged, and the next unlock warns if the restored copy is older.
        """
        src, data_dir = Path(src), Path(data_dir)
        if not src.is_file():
            raise VaultError(f"there is no backup file at {src}")
        _check_header(src)
        slots = _check_backup(src)
        data_key: bytes | None = None
        if passphrase is not None:
            throttle = throttle or _THROTTLE
            try:
                data_key = _open_any(slots, PASSPHRASE, passphrase)
            except WrongPassphrase:
                throttle.failed()
                raise
            throttle.succeeded()
        _make_data_dir(data_dir)
        lock = _acquire_lock(data_dir)
        db = data_dir / DB_NAME
        restoring = data_dir / (DB_NAME + ".restoring")

        def refuse(reason: str) -> VaultError:
            if data_key is not None and db.is_file() and not db.is_symlink():
                with contextlib.suppress(KindcheckError, DBAPIError, sqlite3.Error, OSError):
                    generation = _log_into_file(
                        db,
                        data_key,
                        "restore",
                        f"restore from {src}: {reason}",
                        "refused",
                        own_key=False,
                    )
                    _RollbackCounter(data_key).write(generation)
            return VaultError(reason)

        try:
            if (db.exists() or db.is_symlink()) and not force:
                raise refuse(
                    f"a vault already exists in {data_dir}; nothing was changed. Use --force to "
                    "replace it (back it up first)"
                )
            if db.exists() and src.resolve() == db.resolve():
                raise refuse("the backup is the vault itself; nothing was changed")
            for leftover in (restoring, _journal(restoring)):
                _remove(leftover)
            source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
            try:
                _copy_database(source, restoring)
            finally:
                source.close()
            _check_copy(restoring)
            generation = None
            if data_key is not None:
                generation = _log_into_file(
                    restoring,
                    data_key,
                    "restore",
                    f"restored from {src.resolve()}",
                    "done",
                    own_key=True,
                )
                _check_copy(restoring)
            _settle_journal(db)
            os.replace(restoring, db)
            _fsync_path(data_dir, directory=True)
            if data_key is not None and generation is not None:
                _RollbackCounter(data_key).write(generation)
        except OSError as error:
            raise _os_failure(error, data_dir, "restore the vault") from None
        except RecordDamaged as error:
            raise VaultError(
                f"the backup cannot be read completely ({error}); nothing was restored"
            ) from None
        except DBAPIError as error:
            raise VaultError(
                _translate(error, writing=True)
                .args[0]
                .replace("nothing was saved", "nothing was restored")
            ) from None
        except sqlite3.Error as error:
            raise VaultError(
                _translate(error, writing=True)
                .args[0]
                .replace("nothing was saved", "nothing was restored")
            ) from None
        finally:
            for leftover in (restoring, _journal(restoring)):
                with contextlib.suppress(OSError):
                    _remove(leftover)
            _release(lock)


# --------------------------------------------------------------------------------------------
# Module helpers used by Store


def _sqlite_message(error: BaseException) -> str:
    """SQLite's own words for an error (never SQL or values)."""
    original = error.orig if isinstance(error, DBAPIError) else error
    return str(original) if isinstance(original, sqlite3.Error) else type(original).__name__


def _check_file(conn: Connection) -> list[str]:
    """integrity_check, foreign keys and the application id, as report lines."""
    problems: list[str] = []
    try:
        for (line,) in conn.exec_driver_sql("PRAGMA integrity_check(100)"):
            if line != "ok":
                problems.append(f"the database file: {line}")
    except (DBAPIError, sqlite3.Error) as error:
        problems.append(f"the database file is damaged ({_sqlite_message(error)})")
    try:
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"a row of {row[0]} (row {row[1]}) refers to a missing {row[2]}")
        if conn.exec_driver_sql("PRAGMA application_id").scalar_one() != APPLICATION_ID:
            problems.append("the database file: its application id is not Kindcheck's")
    except (DBAPIError, sqlite3.Error) as error:
        problems.append(f"the database file is damaged ({_sqlite_message(error)})")
    return problems


def _collect(damaged: list[str] | None, load: Callable[[], Any]) -> Any:
    """Run ``load``; with a ``damaged`` list, note a damaged record there and return None."""
    if damaged is None:
        return load()
    try:
        return load()
    except RecordDamaged as error:
        damaged.append(str(error))
        return None


def _session_order(summary: SessionSummary) -> tuple[date, datetime]:
    return summary.session_date, summary.saved_at


def _client_data(client: Client) -> dict[str, Any]:
    return {
        "reference": client.reference,
        "name": client.name,
        "created_at": client.created_at.isoformat(),
    }


def _summary_for(
    session_id: str, client_id: str, answers: dict[str, Any], outcome: dict[str, Any]
) -> SessionSummary:
    if not isinstance(answers, dict) or not isinstance(outcome, dict):
        raise VaultError("a session needs its answers and outcome as tables")
    kind = answers.get("kind")
    if kind not in ("intake", "followup"):
        raise VaultError("a session needs a kind (intake or followup)")
    try:
        session_date = _iso_date(answers.get("date"))
    except ValueError:
        raise VaultError("a session needs a date (YYYY-MM-DD)") from None
    questionnaires = tuple(
        (str(item.get("id")), int(item.get("version", 0)))
        for item in answers.get("questionnaires", [])
        if isinstance(item, dict)
    )
    scan_done = bool(outcome.get("scan_done"))
    count = outcome.get("problem_domain_count")
    rhythm = outcome.get("followup_rhythm")
    return SessionSummary(
        id=session_id,
        client_id=client_id,
        kind=kind,
        session_date=session_date,
        setting=str(answers.get("setting", "")),
        questionnaires=questionnaires,
        scan_done=scan_done,
        problem_domain_count=int(count) if scan_done and isinstance(count, int) else None,
        safety_signal=bool(outcome.get("safety_signals")),
        parenting_support_flag=bool(outcome.get("parenting_support_flag")),
        followup_rhythm=rhythm if isinstance(rhythm, str) else None,
        saved_at=_now(),
    )


def _summary_data(summary: SessionSummary) -> dict[str, Any]:
    return {
        "kind": summary.kind,
        "date": summary.session_date.isoformat(),
        "setting": summary.setting,
        "questionnaires": [list(item) for item in summary.questionnaires],
        "scan_done": summary.scan_done,
        "problem_domain_count": summary.problem_domain_count,
        "safety_signal": summary.safety_signal,
        "parenting_support_flag": summary.parenting_support_flag,
        "followup_rhythm": summary.followup_rhythm,
        "saved_at": summary.saved_at.isoformat(),
    }


def _summary_from_data(session_id: str, client_id: str, data: dict[str, Any]) -> SessionSummary:
    count = data["problem_domain_count"]
    return SessionSummary(
        id=session_id,
        client_id=client_id,
        kind=str(data["kind"]),
        session_date=_iso_date(data["date"]),
        setting=str(data["setting"]),
        questionnaires=tuple((str(q), int(v)) for q, v in data["questionnaires"]),
        scan_done=bool(data["scan_done"]),
        problem_domain_count=None if count is None else int(count),
        safety_signal=bool(data["safety_signal"]),
        parenting_support_flag=bool(data["parenting_support_flag"]),
        followup_rhythm=data["followup_rhythm"],
        saved_at=_iso_datetime(data["saved_at"]),
    )


def _plan_data(stored: StoredPlan) -> dict[str, Any]:
    return {
        "rhythm": None if stored.rhythm is None else stored.rhythm.value,
        "plan": stored.plan.to_dict(),
        "updated_at": stored.updated_at.isoformat(),
    }


def _draft_data(draft: Draft) -> dict[str, Any]:
    return {
        "reference": draft.reference,
        "payload": draft.payload,
        "created_at": draft.created_at.isoformat(),
        "updated_at": draft.updated_at.isoformat(),
    }


def _parse_slots(rows: Any) -> list[KeySlot]:
    """Key slots from (id, slot JSON) rows; a malformed one is named."""
    slots = []
    for slot_id, text in rows:
        try:
            slots.append(KeySlot.from_json(text))
        except VaultError as error:
            raise VaultError(f"key slot {slot_id}: {error}") from None
    return slots


def _open_any(slots: list[KeySlot], kind: str, secret: str | bytes) -> bytes:
    """The data key from the first slot of ``kind`` that ``secret`` opens.

    KDF parameters are checked for every slot before any derivation (vault.open_slot), so an
    edited slot is refused without spending memory or time.
    """
    candidates = [slot for slot in slots if slot.kind == kind]
    if not candidates:
        raise VaultError(f"the vault has no {kind} key slot")
    for slot in candidates:
        if slot.kdf is not None:
            slot.kdf.check()
    for slot in candidates:
        try:
            return open_slot(slot, secret)
        except WrongPassphrase:
            continue
    raise WrongPassphrase()


def _schema_version(conn: Connection) -> int:
    row = conn.execute(select(_META.c.value).where(_META.c.name == "schema_version")).first()
    if row is None:
        raise VaultError("the vault file has no schema version: it is damaged or not a vault")
    try:
        return int(bytes(row.value).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise VaultError("the vault file's schema version is unreadable: it is damaged") from None


def _read_vault_info(engine: Engine, db: Path) -> tuple[int, list[KeySlot]]:
    """Schema version and key slots, read before any key is derived."""
    try:
        with engine.connect() as conn:
            application_id = conn.exec_driver_sql("PRAGMA application_id").scalar_one()
            if application_id != APPLICATION_ID:
                raise VaultError(f"{db} is not a Kindcheck vault; nothing was changed")
            tables = {
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
            if not {"meta", "key_slot"} <= tables:
                raise VaultError(f"{db} is not a complete Kindcheck vault: its tables are missing")
            version = _schema_version(conn)
            if version > SCHEMA_VERSION:
                raise VaultError(
                    f"this vault was written by a newer version of Kindcheck (storage schema "
                    f"{version}; this version reads up to {SCHEMA_VERSION}). Update Kindcheck; "
                    "nothing was changed"
                )
            slots = _parse_slots(conn.execute(select(_SLOTS.c.id, _SLOTS.c.slot)).all())
    except (DBAPIError, sqlite3.Error) as error:
        if _sqlite_code(error) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            raise VaultError(
                f"{db} is damaged and cannot be opened ({_sqlite_message(error)}); nothing was "
                "changed. Restore a backup with `kindcheck restore`"
            ) from None
        raise _translate(error, writing=False) from None
    return version, slots


def _copy_database(source: sqlite3.Connection, target_path: Path) -> None:
    """SQLite backup API from ``source`` into a new file (made 0600 first), then fsync."""
    os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        target.execute("PRAGMA synchronous = FULL")
        source.backup(target)  # all pages in one step: a consistent snapshot
    finally:
        target.close()
    _fsync_path(target_path)


def _backup_into(engine: Engine, target_path: Path) -> None:
    raw = engine.raw_connection()
    try:
        driver = cast(sqlite3.Connection, raw.driver_connection)
        _copy_database(driver, target_path)
    finally:
        raw.close()  # back to the pool: the vault's one connection stays open


def _check_copy(path: Path) -> None:
    """A fresh copy must read back as an intact Kindcheck vault before it replaces anything."""
    _check_header(path)
    _check_backup(path)


def _check_backup(path: Path) -> list[KeySlot]:
    """Open a backup read-only and check it; return its key slots."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise _translate(error, writing=False) from None
    try:
        try:
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise VaultError(f"{path} is not a Kindcheck vault or backup")
            check = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise VaultError(f"{path} is damaged ({check[0]}); nothing was changed")
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            version = int(bytes(row[0]).decode("ascii")) if row else None
            slot_rows = conn.execute("SELECT id, slot FROM key_slot").fetchall()
        except sqlite3.Error as error:
            raise VaultError(
                f"{path} is not a readable Kindcheck vault "
                f"({getattr(error, 'sqlite_errorname', 'error')}); "
                "nothing was changed"
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise VaultError(f"{path} has an unreadable schema version") from None
    finally:
        conn.close()
    if version is None:
        raise VaultError(f"{path} is not a Kindcheck vault (no schema version)")
    if version > SCHEMA_VERSION:
        raise VaultError(
            f"{path} was written by a newer version of Kindcheck (storage schema "
            f"{version}); update Kindcheck first"
        )
    slots = _parse_slots(slot_rows)
    if not any(slot.kind == PASSPHRASE for slot in slots):
        raise VaultError(f"{path} has no passphrase key slot")
    return slots


def _settle_journal(db: Path) -> None:
    """Before another file is renamed over ``db``: a hot journal of the old file must not be
    "rolled back" into the new one. Let SQLite roll it back into the old file, or remove it."""
    journal = _journal(db)
    if not _journal_may_be_hot(db):
        return
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            conn.close()
    if _journal_may_be_hot(db):
        journal.unlink()
