"""The repository: :class:`Store`, an unlocked vault, and how one is created and opened.

The Store is put together from one part per concern, each a small mixin in its own module on
the shared base (:mod:`.base`: connection, transactions, access log): clients
(:mod:`.clients`), sessions and Meldcode steps (:mod:`.sessions`), follow-up plans
(:mod:`.plans`), drafts (:mod:`.drafts`), verify, backup and restore (:mod:`.maintenance`).
This module adds the life cycle: create, unlock, lock and resume, close, passphrases.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from kindcheck.errors import VaultError, WrongPassphrase
from kindcheck.passphrase import check_new_passphrase
from kindcheck.store import schema
from kindcheck.store.audit import _fresh_state, _RollbackCounter, _write_state
from kindcheck.store.clients import _Clients
from kindcheck.store.drafts import _Drafts
from kindcheck.store.keys import (
    _BlindIndex,
    _open_any,
    _parse_slots,
    default_throttle,
)
from kindcheck.store.maintenance import _Maintenance
from kindcheck.store.plans import _Plans
from kindcheck.store.records import RECORD_FORMAT, _new_id, _now
from kindcheck.store.schema import (
    _META,
    _SLOTS,
    APPLICATION_ID,
    DB_NAME,
    _run_migrations,
    _schema_version,
)
from kindcheck.store.sessions import _Sessions
from kindcheck.store.sqlite import (
    _SQLITE_CORRUPT,
    _SQLITE_NOTADB,
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
    _sqlite_code,
    _sqlite_message,
    _translate,
)
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
    parse_recovery_key,
)


class Store(_Clients, _Sessions, _Plans, _Drafts, _Maintenance):
    """An unlocked vault. Create with :meth:`create`, :meth:`unlock` or
    :meth:`unlock_with_recovery`; always :meth:`close` (or use ``with``).

    Thread-safe: one mutex serialises every use of the single connection. Every method returns
    plain dataclasses; damaged records raise :class:`RecordDamaged` naming ``table/id``, and the
    ``iter_*``/``list_*`` methods take a ``damaged`` list to collect those and go on instead.
    """

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
                    _write_state(conn, cipher, _fresh_state(generation=1))
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
            throttle or default_throttle(),
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
            throttle or default_throttle(),
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
            if version < schema.SCHEMA_VERSION:
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
        throttle = throttle or default_throttle()
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

    # -- passphrases ---------------------------------------------------------------------------

    def change_passphrase(
        self, old: str, new: str, *, throttle: UnlockThrottle | None = None
    ) -> None:
        """Set a new passphrase. Only the key slot is rewrapped; the old slot is deleted, so
        the old passphrase stops working at once. Records are not re-encrypted."""
        check_new_passphrase(new)
        throttle = throttle or default_throttle()
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
            if version > schema.SCHEMA_VERSION:
                raise VaultError(
                    f"this vault was written by a newer version of Kindcheck (storage schema "
                    f"{version}; this version reads up to {schema.SCHEMA_VERSION}). Update "
                    "Kindcheck; nothing was changed"
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
