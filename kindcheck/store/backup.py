"""Backups and restores of the vault file.

Backups go through the SQLite backup API (never a copy of a live file) into a new file that is
checked (an intact Kindcheck vault, with exactly Kindcheck's schema) before it is renamed into
place. The backup's access-log entry is written into the vault *before* that rename: if it
cannot be written (a full disk), no backup appears, so there is never a copy of the client
data the log does not know about; if the rename then fails, a "refused" entry follows.

A restore checks the backup the same way *before the passphrase is used*, reading it
read-only (nothing in it can run: triggers fire on writes only), then copies it beside the
vault, checks the copy again before writing its "restore" entry into it (so a crafted trigger
never fires), and renames it over the vault: a crash leaves either the old vault or the
restored one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from kindcheck.errors import (
    KindcheckError,
    RecordDamaged,
    SchemaRefused,
    VaultError,
    WrongPassphrase,
)
from kindcheck.paths import OutputPathError, check_output_path
from kindcheck.store import schema
from kindcheck.store.audit import _append_entry, _profile_user, _read_state
from kindcheck.store.base import _StoreBase, schema_refusal
from kindcheck.store.keys import SlotSet, _open_any, _parse_slots, default_throttle
from kindcheck.store.ledger import Ledger, load_state
from kindcheck.store.migrations import MIGRATIONS, _run_migrations
from kindcheck.store.records import _new_id
from kindcheck.store.rollback import _RollbackCounter, _RollbackMarker
from kindcheck.store.schema import APPLICATION_ID, DB_NAME, _schema_version
from kindcheck.store.schemacheck import check_schema
from kindcheck.store.sqlite import (
    Engine,
    _acquire_lock,
    _check_header,
    _engine_for,
    _fsync_path,
    _journal,
    _journal_may_be_hot,
    _make_data_dir,
    _os_failure,
    _release,
    _remove,
    _translate,
    read_schema,
)
from kindcheck.text import one_line
from kindcheck.vault import PASSPHRASE, RecordCipher, UnlockThrottle


class _Backups(_StoreBase):
    """Backup and restore."""

    def backup(self, dest: Path | str, force: bool = False) -> Path:
        """Copy the vault to ``dest`` with the SQLite backup API (consistent, never a copy of a
        live file). The copy stays encrypted and opens with the passphrase and recovery key
        valid now. The path is checked as every output path is (kindcheck.paths): an existing
        ``dest`` is refused unless ``force``, a symbolic link always. A vault whose schema is
        not Kindcheck's is refused: no backup is written.

        One "backup" entry in the access log, written after the copy is complete and checked,
        and before it is put in place (so the copy itself does not hold it, and is one
        generation older than the vault); a refused or failed backup is logged as "refused".
        On a read-only vault the entry is kept on this computer (see :mod:`.pending`).
        """
        dest = Path(dest)
        self._require_open()
        try:
            target = check_output_path(dest, force)
            if target.exists() and target.samefile(self._db):
                raise OutputPathError("a backup cannot replace the vault itself")
        except OutputPathError as error:
            self.log_refusal("backup", None, f"backup to {dest}: {error}")
            raise VaultError(str(error), key=error.key, values=error.values) from None
        partial = target.with_name(f".{target.name}.partial-{_new_id()[:8]}")
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            logged = False
            try:
                try:
                    if self.schema_problems:
                        raise SchemaRefused(
                            schema_refusal(self.schema_problems).replace(
                                "nothing was done", "no backup was written"
                            ),
                            self.schema_problems,
                        )
                    self._recheck_schema()
                    _backup_into(self._engine, partial)
                    _check_copy(partial)
                    try:
                        self.log_access("backup", None, f"backup to {target}")
                    except VaultError as error:
                        raise VaultError.from_catalog(
                            "error.store.backup_log_failed", cause=error
                        ) from None
                    logged = True
                    os.replace(partial, target)
                    _fsync_path(target.parent, directory=True)
                except OSError as error:
                    raise _os_failure(error, target.parent, "write_backup") from None
                except sqlite3.Error as error:
                    raise _translate(error, writing=True, nothing="backup") from None
                finally:
                    for leftover in (partial, _journal(partial)):
                        with contextlib.suppress(OSError):
                            _remove(leftover)
            except VaultError as error:
                if not target.exists() or not logged:
                    self.log_refusal("backup", None, f"backup to {target}: {one_line(error)}")
                raise
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

        The backup is checked first, before the passphrase is used (a Kindcheck vault, intact,
        exactly Kindcheck's schema, a version this Kindcheck reads, and, given ``passphrase``,
        that it opens with it). An existing vault is only replaced with ``force``. The copy is
        made beside the vault and renamed over it (atomic): a crash leaves either the old vault
        or the restored one.

        With ``passphrase`` (the CLI always gives it), the restored copy gets a "restore" entry
        in its access log (an older schema is upgraded in the same transaction) before it
        replaces the vault, and the rollback counter outside the file is set to the restored
        vault's generation (a restore through Kindcheck acknowledges the older copy), so opening
        it does not warn. A restore refused after the passphrase was checked is logged as
        "refused" in the existing vault when that vault has the same key (a copy of the same
        vault). Without ``passphrase`` there is no key: nothing is logged, and the next unlock
        warns if the restored copy is older.
        """
        src, data_dir = Path(src), Path(data_dir)
        if not src.is_file():
            raise VaultError.from_catalog("error.store.no_backup", path=src)
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
                with contextlib.suppress(KindcheckError, sqlite3.Error, OSError):
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
                _RollbackMarker(data_key).remove()
        except OSError as error:
            raise _os_failure(error, data_dir, "restore") from None
        except RecordDamaged as error:
            raise VaultError.from_catalog(
                "error.store.backup_incomplete", reason=one_line(error)
            ) from None
        except sqlite3.Error as error:
            raise _translate(error, writing=True, nothing="restored") from None
        finally:
            for leftover in (restoring, _journal(restoring)):
                with contextlib.suppress(OSError):
                    _remove(leftover)
            _release(lock)


# --------------------------------------------------------------------------------------------
# The file: checks and copies


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
    """The vault's one connection (it stays open) copied into a new file."""
    _copy_database(engine.connection.driver, target_path)


def _check_copy(path: Path) -> None:
    """A fresh copy must read back as an intact Kindcheck vault before it replaces anything."""
    _check_header(path)
    _check_backup(path)


def _check_backup(path: Path) -> SlotSet:
    """Open a backup read-only and check it, its schema first; return its key slots."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise _translate(error, writing=False) from None
    try:
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA trusted_schema = OFF")
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise VaultError.from_catalog("error.store.not_a_vault", path=path)
            found = read_schema(conn)
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            value = row[0] if row else None
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else ""
            if not (text.isdigit() and len(text) <= 6):
                raise VaultError(f"{path} has an unreadable schema version")
            version = int(text)
            if version > schema.SCHEMA_VERSION:
                raise VaultError.from_catalog("error.store.newer", path=path, version=version)
            problems = check_schema(found, version, schema.SCHEMA_VERSION, MIGRATIONS)
            if problems:
                raise SchemaRefused(
                    f"{path} is not as Kindcheck made it: " + "; ".join(problems) + "; nothing "
                    "was changed",
                    problems,
                )
            check = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise VaultError.from_catalog(
                    "error.store.file_damaged", path=path, reason=one_line(check[0])
                )
            slot_rows = conn.execute("SELECT id, kind, slot FROM key_slot").fetchall()
        except sqlite3.Error as error:
            raise VaultError.from_catalog(
                "error.store.unreadable",
                path=path,
                name=getattr(error, "sqlite_errorname", "error"),
            ) from None
    finally:
        conn.close()
    slots = _parse_slots(slot_rows)
    if not any(slot.kind == PASSPHRASE for _id, slot in slots.usable) and not any(
        slot.kind == PASSPHRASE for slot in slots.damaged
    ):
        raise VaultError(f"{path} has no passphrase key slot")
    return slots


def _log_into_file(
    db: Path, data_key: bytes, action: str, detail: str, outcome: str, *, own_key: bool
) -> int:
    """Append one entry to the vault file ``db`` (not open in a Store) in one transaction that
    also raises its generation; return the new generation. Its schema is checked first (a
    planted trigger must not fire on this entry).

    ``own_key``: the key came from this file's own key slot (a backup being restored), so an
    older schema is upgraded in the same transaction and a damaged state record rebuilt.
    Otherwise (another file that may or may not share the key) the state record must decrypt
    before anything is written (RecordDamaged if not) and an older schema is left alone."""
    cipher = RecordCipher(data_key)
    engine = _engine_for(db)
    try:
        with engine.begin() as conn:
            version = _schema_version(conn)
            if version > schema.SCHEMA_VERSION:
                raise VaultError("the vault has a newer schema")
            problems = check_schema(read_schema(conn), version, schema.SCHEMA_VERSION, MIGRATIONS)
            if problems:
                raise SchemaRefused(schema_refusal(problems), problems)
            if version < schema.SCHEMA_VERSION:
                if not own_key:
                    raise VaultError("the vault has an older schema")
                _run_migrations(conn, version, cipher)
            state = load_state(conn, cipher) if own_key else _read_state(conn, cipher)
            if state is None or not state.has_ledger:
                raise VaultError("the vault has no state record")
            ledger = Ledger(cipher, state)
            _append_entry(
                conn,
                cipher,
                ledger.state,
                ledger.generation,
                _profile_user(conn, cipher),
                action,
                None,
                detail,
                outcome,
            )
            return ledger.finish(conn)
    finally:
        engine.dispose()


def _settle_journal(db: Path, *, remove: bool = True) -> None:
    """Let SQLite roll a hot journal back into ``db`` (or remove the journal if it cannot):
    before another file is renamed over ``db`` (the old file's journal must not be "rolled
    back" into the new one, so it is removed if still hot), and before ``db`` is opened
    read-only (``remove=False``: a journal SQLite could not roll back stays for later)."""
    journal = _journal(db)
    if not _journal_may_be_hot(db):
        return
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            conn.close()
    if remove and _journal_may_be_hot(db):
        journal.unlink()
