"""Looking after the vault file: verify, backup and restore.

Verify reads every row one by one (one unreadable row does not hide the others), decrypts
every record and checks the access log's hash chain against the head in the state record.
Backups go through the SQLite backup API (never a copy of a live file) into a new file that is
checked before it is renamed into place; a restore is checked the same way, copied beside the
vault and renamed over it, so a crash leaves either the old vault or the restored one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from kindcheck.accesslog import AccessEntry, verify_chain
from kindcheck.errors import KindcheckError, RecordDamaged, VaultError, WrongPassphrase
from kindcheck.paths import OutputPathError, check_output_path
from kindcheck.store import schema
from kindcheck.store.audit import (
    LogColumns,
    _entry_from_row,
    _log_into_file,
    _parse_state,
    _read_state,
    _RollbackCounter,
)
from kindcheck.store.base import _StoreBase
from kindcheck.store.keys import _open_any, _parse_slots, default_throttle
from kindcheck.store.records import (
    ClientColumns,
    DraftColumns,
    MeldcodeColumns,
    PlainPlan,
    PlanColumns,
    SessionColumns,
    _new_id,
)
from kindcheck.store.schema import (
    _CLIENTS,
    _DRAFTS,
    _LOG,
    _META,
    _PLANS,
    _SESSIONS,
    _SLOTS,
    APPLICATION_ID,
    DB_NAME,
    _rowid_col,
)
from kindcheck.store.sqlite import (
    _acquire_lock,
    _check_header,
    _fsync_path,
    _journal,
    _journal_may_be_hot,
    _make_data_dir,
    _os_failure,
    _release,
    _remove,
    _sqlite_message,
    _translate,
)
from kindcheck.vault import PASSPHRASE, KeySlot, UnlockThrottle


class _SlotColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def slot(self) -> str: ...


class _MetaColumns(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def value(self) -> bytes: ...


class _ClientIndexColumns(ClientColumns, Protocol):
    @property
    def ref_index(self) -> str: ...


class _SessionRowColumns(SessionColumns, MeldcodeColumns, Protocol):
    pass


class _Maintenance(_StoreBase):
    """Record counts, verify, backup and restore."""

    def count_records(self) -> dict[str, int]:
        """How many rows each record table holds."""
        with self._read() as conn:
            return {
                table.name: conn.exec_driver_sql(f"SELECT count(*) FROM {table.name}").scalar_one()
                for table in (_CLIENTS, _SESSIONS, _PLANS, _DRAFTS)
            }

    def verify(self, *, check_plan: Callable[[PlainPlan], object] | None = None) -> list[str]:
        """Check the file and decrypt every record; return one line per problem (empty: all
        well). A damaged record is named (``table/id``) and checking goes on; a row SQLite
        itself cannot read is named by table and row number.

        The store checks each record's shape; ``check_plan`` also checks what a plan says
        (the layer that knows plans passes it, see kindcheck.service.plans.verify_vault) and
        raises RecordDamaged for a plan it cannot read."""
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
                    (_PLANS, partial(self._check_plan_row, check_plan)),
                    (_DRAFTS, self._check_draft_row),
                    (_LOG, self._check_log_row),
                ):
                    problems += self._check_table(conn, table, check)
                problems += self._check_chain(conn)
        return problems

    def _check_log_row(self, row: LogColumns) -> None:
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
        self, conn: Connection, table: Table, check: Callable[[Row[Any]], None]
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

    def _check_slot_row(self, row: _SlotColumns) -> None:
        try:
            slot = KeySlot.from_json(row.slot)
            if slot.kind != row.kind:
                raise VaultError("its kind does not match")
            if slot.kdf is not None:
                slot.kdf.check()
        except VaultError as error:
            raise VaultError(f"key slot {row.id} ({row.kind}): {error}") from None

    def _check_meta_row(self, row: _MetaColumns) -> None:
        if row.name == "state":
            _parse_state(self._unseal("meta/state", "meta", "state", row.value, row.format_version))
        if row.name == "profile":
            data = self._unseal("meta/profile", "meta", "profile", row.value, row.format_version)
            if not isinstance(data.get("user_name"), str):
                raise RecordDamaged("record meta/profile is damaged or was moved")

    def _check_client_row(self, row: _ClientIndexColumns) -> None:
        client = self._client_from_row(row)
        if self._require_index()(client.reference) != row.ref_index:
            raise RecordDamaged(f"record client/{row.id} does not match its search index")

    def _check_session_row(self, row: _SessionRowColumns) -> None:
        self._session_from_row(row)
        self._steps_from_row(row)

    def _check_plan_row(
        self, check_plan: Callable[[PlainPlan], object] | None, row: PlanColumns
    ) -> None:
        stored = self._plan_from_row(row)
        if check_plan is not None:
            check_plan(stored)

    def _check_draft_row(self, row: DraftColumns) -> None:
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
            self.log_refusal("backup", None, f"backup to {dest}: {error}")
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
                self.log_refusal("backup", None, f"backup to {target}: {error}")
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
            throttle = throttle or default_throttle()
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
# The file: checks and copies


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
    if version > schema.SCHEMA_VERSION:
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
