"""SQLite underneath the vault: connections, error messages for people, files on disk.

Settings (SECURITY.md, "Storage"):

- rollback journal in TRUNCATE mode with ``synchronous=FULL``: the commit point is the
  truncation of the journal, which SQLite fsyncs in FULL mode, so a save that returned survives
  a killed process and a power cut. (DELETE mode would need synchronous=EXTRA for the same
  guarantee: the unlink of the journal is not synced. WAL is not used: the SQLite linked here
  (3.40) has a WAL reset race that was fixed only in 3.51.3, and the rollback journal has none.)
- ``secure_delete=ON`` so deleted records are overwritten, ``foreign_keys=ON`` so deleting a
  client deletes its records, ``temp_store=MEMORY`` so no temporary file reaches /tmp.
- one connection (the single writer) behind the Store's mutex, and a lock file
  (``kindcheck.lock``, filelock, timeout 0) taken before the database is opened: a second
  running copy is refused with :class:`~kindcheck.errors.VaultLocked`.

The store talks to SQLite through Python's own sqlite3 module, with constant SQL: every
statement is a fixed text with ``?`` parameters, so SQLite's statement cache prepares each once.
:class:`Engine` and :class:`Connection` are thin conveniences over one sqlite3 connection
(explicit transactions, rows with named fields); their few names (``begin``, ``connect``,
``exec_driver_sql``, ``scalar_one``, ``first``, ``all``) are those SQLAlchemy gives the same
things, so a migration step or a test written against either reads the same. SQLAlchemy and
SQLModel are never imported here: they cost several times the key derivation to import, on
every command. (The SQLModel table classes, which describe the schema, are in :mod:`.models`,
imported only where the schema is compared with them.)

Error messages made here never include SQL or values, only what a person can act on.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeAlias

from filelock import FileLock, Timeout

from kindcheck.errors import Phrase, VaultError, VaultLocked
from kindcheck.store.schema import APPLICATION_ID, DB_NAME, SQLITE_MAGIC, SchemaObject
from kindcheck.text import one_line

LOCK_NAME: Final = "kindcheck.lock"
JOURNAL_SUFFIX: Final = "-journal"

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED = 3, 5, 6
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26


def _sqlite_code(error: BaseException) -> int | None:
    original = getattr(error, "orig", error)  # an error wrapped by a caller's driver layer
    code = getattr(original, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _translate(error: BaseException, writing: bool, nothing: str = "saved") -> VaultError:
    """A database error as a message for a person, in their language (the catalog's
    [error.store]). Never includes SQL or values. ``nothing`` says what a failed write did not
    do: "saved", "backup" (no backup was written) or "restored"."""
    code = _sqlite_code(error)
    unsaved = Phrase(f"error.store.nothing.{nothing}")
    doing = "write" if writing else "read"
    if code == _SQLITE_FULL:
        return VaultError.from_catalog(
            "error.store.full", nothing=unsaved if writing else Phrase("error.store.nothing.read")
        )
    if code == _SQLITE_IOERR:
        return VaultError.from_catalog(f"error.store.io_{doing}", nothing=unsaved)
    if code in (_SQLITE_READONLY, _SQLITE_PERM):
        return VaultError.from_catalog(f"error.store.read_only_{doing}", nothing=unsaved)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return VaultError.from_catalog("error.store.damaged")
    if code == _SQLITE_CANTOPEN:
        return VaultError.from_catalog("error.store.cannot_open")
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return VaultError.from_catalog(f"error.store.busy_{doing}", nothing=unsaved)
    name = getattr(getattr(error, "orig", error), "sqlite_errorname", type(error).__name__)
    return VaultError.from_catalog(f"error.store.other_{doing}", name=name)


def _os_failure(error: OSError, place: Path, doing: str) -> VaultError:
    """An OS error (lock file, folder, backup file) as a message for a person, in their
    language. ``doing`` names what failed (the catalog's [error.store.doing]: "lock",
    "create_folder", "create_vault", "read_vault", "write_backup", "restore")."""
    action = Phrase(f"error.store.doing.{doing}")
    if error.errno == errno.EROFS:
        return VaultError.from_catalog("error.store.os.read_only", place=place, doing=action)
    if error.errno in (errno.EACCES, errno.EPERM):
        return VaultError.from_catalog("error.store.os.permission", place=place, doing=action)
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return VaultError.from_catalog("error.store.os.full", place=place, doing=action)
    if error.errno == errno.ENOENT:
        return VaultError.from_catalog("error.store.os.missing", place=place)
    return VaultError.from_catalog(
        "error.store.os.other", place=place, doing=action, reason=error.strerror or "error"
    )


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
        raise VaultError.from_catalog("error.store.folder_not_vault", path=db) from None
    except OSError as error:
        raise _os_failure(error, db, "read_vault") from None
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise VaultError.from_catalog("error.store.not_sqlite", path=db)
    if int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise VaultError.from_catalog("error.store.other_sqlite", path=db)


def _connect(db: Path, *, create: bool = False, read_only: bool = False) -> sqlite3.Connection:
    """One sqlite3 connection with the vault's settings.

    ``mode=rw``: opening never creates a missing file (a typo in --data-dir must not make an
    empty vault). ``read_only``: ``mode=ro`` and ``query_only`` (read-only media, and verify's
    inspection of a file that may hold a planted trigger: nothing can be written, so nothing
    can fire). ``isolation_level=None``: transactions are begun explicitly (see _engine_for),
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
        _harden(conn)
        if not read_only:
            conn.execute("PRAGMA journal_mode = TRUNCATE").fetchall()
        for pragma in (
            "PRAGMA synchronous = FULL",
            "PRAGMA secure_delete = ON",
            "PRAGMA foreign_keys = ON",
            "PRAGMA temp_store = MEMORY",
            "PRAGMA cell_size_check = ON",  # notice damaged pages early, not by crashing later
            "PRAGMA trusted_schema = OFF",
            # 16 MiB of page cache (not 2): a report reads the plans in client order, all over
            # the table, and should read each page from the disk once.
            "PRAGMA cache_size = -16384",
        ):
            conn.execute(pragma)
        if read_only:
            conn.execute("PRAGMA query_only = ON")
    except UnicodeDecodeError:
        # SQLite's own message quoted a name from a damaged schema page, which the sqlite3
        # module could not even decode.
        conn.close()
        raise VaultError.from_catalog("error.store.damaged_schema") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _harden(conn: sqlite3.Connection) -> None:
    """Belt and braces where Python offers it (3.12+): no triggers or views run at all, and
    SQLite's defensive mode (no writes to its own schema table). The schema check
    (:mod:`.schemacheck`) is what keeps a planted trigger from running on every version."""
    setconfig = getattr(conn, "setconfig", None)
    if setconfig is None:
        return
    for name, value in (
        ("SQLITE_DBCONFIG_ENABLE_TRIGGER", False),
        ("SQLITE_DBCONFIG_ENABLE_VIEW", False),
        ("SQLITE_DBCONFIG_DEFENSIVE", True),
    ):
        option = getattr(sqlite3, name, None)
        if option is not None:
            with contextlib.suppress(sqlite3.Error):
                setconfig(option, value)


# A result row: a named tuple of one SELECT's columns (``row.id``, ``row[0]``). What it holds
# comes from the file, untyped; the decoders check every field. Each SELECT's class is made once.
Row: TypeAlias = Any


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> Callable[[Sequence[Any]], Row]:
    made: Any = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    return made._make


class Result:
    """The rows of one statement, read when asked for (a cursor of the one connection)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def _make(self) -> Callable[[Sequence[Any]], Row]:
        description = self._cursor.description
        return _row_class(tuple(column[0] for column in description))

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def first(self) -> Row | None:
        found = self._cursor.fetchone()
        return None if found is None else self._make()(found)

    def all(self) -> list[Row]:
        rows = self._cursor.fetchall()
        if not rows:
            return []
        make = self._make()
        return [make(row) for row in rows]

    def scalar(self) -> Any:
        found = self._cursor.fetchone()
        return None if found is None else found[0]

    def scalar_one(self) -> Any:
        found = self._cursor.fetchone()
        if found is None:
            raise sqlite3.DatabaseError("no row where one was expected")
        return found[0]

    def __iter__(self) -> Iterator[Row]:
        if self._cursor.description is None:
            return
        make = self._make()
        while rows := self._cursor.fetchmany(500):
            for row in rows:
                yield make(row)


Parameters = Sequence[Any] | Mapping[str, Any]


class Connection:
    """The vault's one sqlite3 connection, with rows that have named fields. Statements are
    constant SQL with ``?`` parameters."""

    def __init__(self, driver: sqlite3.Connection) -> None:
        self.driver = driver

    def execute(self, sql: str, parameters: Parameters = ()) -> Result:
        return Result(self.driver.execute(sql, parameters))

    # SQLAlchemy's name for a statement given as text (migration steps and tests use it).
    exec_driver_sql = execute

    def executemany(self, sql: str, rows: Iterator[Sequence[Any]] | Sequence[Sequence[Any]]) -> int:
        return self.driver.executemany(sql, rows).rowcount


class Engine:
    """Exactly one connection to one database file, the vault's only writer: opened on first
    use, closed by :meth:`dispose`. The sqlite3 module is in autocommit mode
    (``isolation_level=None``): a transaction is begun explicitly (:meth:`begin`), so the reads
    and writes in one block see one consistent database."""

    def __init__(self, opener: Callable[[], sqlite3.Connection]) -> None:
        self._opener = opener
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(self._opener())
        return self._connection

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """The connection, outside any transaction (each statement its own)."""
        yield self.connection

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed at the end of the block, rolled back on an error."""
        connection = self.connection
        driver = connection.driver
        driver.execute("BEGIN")
        try:
            yield connection
            driver.execute("COMMIT")
        except BaseException:
            # Also when the commit itself failed (a full disk): the connection is left with
            # no transaction open, as it was found.
            if driver.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    driver.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """One read transaction: every read in the block sees the same database. Ended with a
        rollback (it wrote nothing), which a damaged file cannot make fail."""
        connection = self.connection
        driver = connection.driver
        driver.execute("BEGIN")
        try:
            yield connection
        finally:
            if driver.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    driver.execute("ROLLBACK")

    def dispose(self) -> None:
        if self._connection is not None:
            self._connection.driver.close()
            self._connection = None


def _engine_for(db: Path, *, create: bool = False, read_only: bool = False) -> Engine:
    """An engine with exactly one connection: the vault's only writer."""
    return Engine(lambda: _connect(db, create=create, read_only=read_only))


def _make_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise VaultError.from_catalog("error.store.exists_not_folder", path=data_dir) from None
    except OSError as error:
        raise _os_failure(error, data_dir, "create_folder") from None


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.is_dir():
        raise VaultError.from_catalog(
            "error.store.no_vault" if not data_dir.exists() else "error.store.not_folder",
            path=data_dir,
        )


def _locked_elsewhere(data_dir: Path) -> VaultLocked:
    return VaultLocked.from_catalog("error.store.open_elsewhere", path=data_dir)


def _acquire_lock(data_dir: Path) -> FileLock:
    """Take the vault's lock file, or tell the user another copy has it.

    timeout=0: a second copy is refused at once rather than hanging. thread_local=False: the
    app may unlock in one worker thread and close in another.
    """
    _check_data_dir(data_dir)
    lock = FileLock(data_dir / LOCK_NAME, timeout=0, thread_local=False, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise _locked_elsewhere(data_dir) from None
    except OSError as error:
        raise _os_failure(error, data_dir, "lock") from None
    return lock


_READ_ONLY_ERRORS: Final = (errno.EROFS, errno.EACCES, errno.EPERM)


def _acquire_lock_for_reading(data_dir: Path, elsewhere: Path) -> tuple[FileLock, bool]:
    """The vault's lock, and whether the vault can only be read here.

    On read-only media (a write-protected stick, a read-only share or mount) the data dir
    cannot take the lock file: then the lock is taken in ``elsewhere`` (a folder of this
    computer's, the file named after the vault file's resolved path), so two copies on this
    computer still exclude each other, and the vault is opened read-only. A vault file that
    cannot be written (or a folder where its journal cannot be made) is opened read-only too.
    """
    _check_data_dir(data_dir)
    db = data_dir / DB_NAME
    lock = FileLock(data_dir / LOCK_NAME, timeout=0, thread_local=False, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise _locked_elsewhere(data_dir) from None
    except OSError as error:
        if error.errno not in _READ_ONLY_ERRORS:
            raise _os_failure(error, data_dir, "lock") from None
        failure = _os_failure(error, data_dir, "lock")
    else:
        writable = os.access(db, os.W_OK) and os.access(data_dir, os.W_OK | os.X_OK)
        return lock, not writable
    name = hashlib.sha256(str(db.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    fallback = FileLock(elsewhere / f"{name[:32]}.lock", timeout=0, thread_local=False, mode=0o600)
    try:
        elsewhere.mkdir(mode=0o700, parents=True, exist_ok=True)
        fallback.acquire()
    except Timeout:
        raise _locked_elsewhere(data_dir) from None
    except OSError:
        raise failure from None
    return fallback, True


def _release(lock: FileLock | None) -> None:
    if lock is not None:
        with contextlib.suppress(Exception):
            lock.release(force=True)


def _sqlite_message(error: BaseException) -> str:
    """SQLite's own words for an error (never SQL or values), made safe for a terminal: they
    can quote names from the file (an index's name in an integrity_check line)."""
    original = getattr(error, "orig", error)
    return one_line(original) if isinstance(original, sqlite3.Error) else type(original).__name__


def _driver(conn: Connection | sqlite3.Connection) -> sqlite3.Connection:
    return conn if isinstance(conn, sqlite3.Connection) else conn.driver


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_schema(conn: Connection | sqlite3.Connection) -> list[SchemaObject]:
    """Every object in ``sqlite_master``, read as bytes so that damaged text is reported as
    damage (VaultError) rather than failing later, with each table's columns. Reading the
    schema fires nothing: triggers run on writes only, and no view is ever queried."""
    driver = _driver(conn)
    saved = driver.text_factory
    driver.text_factory = bytes
    try:
        rows = driver.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    finally:
        driver.text_factory = saved
    objects: list[SchemaObject] = []
    for row in rows:
        try:
            kind, name, table, sql = (
                None if value is None else bytes(value).decode("utf-8") for value in row
            )
        except UnicodeDecodeError:
            raise VaultError.from_catalog("error.store.damaged_schema") from None
        if kind is None or name is None or table is None:
            raise VaultError.from_catalog("error.store.damaged_schema")
        columns: tuple[str, ...] = ()
        if kind == "table":
            driver.text_factory = bytes
            try:
                info = driver.execute(f"PRAGMA table_xinfo({_quoted(name)})").fetchall()
                columns = tuple(bytes(column[1]).decode("utf-8", "replace") for column in info)
            finally:
                driver.text_factory = saved
        folded = None if sql is None else " ".join(sql.split())
        objects.append(SchemaObject(kind, name, table, folded, columns))
    return objects


def schema_cookie(conn: Connection | sqlite3.Connection) -> int:
    """SQLite's schema change counter (``PRAGMA schema_version``): it moves whenever anyone
    changes the schema, so an unchanged value means an unchanged schema."""
    return int(_driver(conn).execute("PRAGMA schema_version").fetchone()[0])


def _total_changes(conn: Connection) -> int:
    """Rows changed so far on this connection (sqlite3's counter)."""
    return conn.driver.total_changes
