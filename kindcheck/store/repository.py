"""The repository: :class:`Store`, an unlocked vault, and how one is created and opened.

The Store is put together from one part per concern, each a small mixin in its own module on
the shared base (:mod:`.base`: connection, transactions, access log): clients
(:mod:`.clients`), sessions and Meldcode steps (:mod:`.sessions`), events, hand-offs,
re-asks, the Meldcode process and the professional group (:mod:`.followthrough`), follow-up plans
(:mod:`.plans`), drafts (:mod:`.drafts`), verify, backup and restore (:mod:`.maintenance`).
This module adds the life cycle: create, unlock, lock and resume, close, passphrases.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kindcheck.errors import RecordDamaged, SchemaRefused, VaultError, WrongPassphrase
from kindcheck.passphrase import Secret, check_new_passphrase
from kindcheck.store import schema
from kindcheck.store.amendments import _Amendments
from kindcheck.store.audit import (
    StateCache,
    VaultState,
    _open_state,
    _write_state,
    slot_digest,
)
from kindcheck.store.backup import _Backups, _settle_journal
from kindcheck.store.base import schema_refusal
from kindcheck.store.clients import _Clients
from kindcheck.store.drafts import _Drafts
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.followthrough import _FollowThrough
from kindcheck.store.keys import (
    SlotSet,
    _BlindIndex,
    _open_any,
    _parse_slots,
    default_throttle,
)
from kindcheck.store.maintenance import _Maintenance
from kindcheck.store.migrations import MIGRATIONS, _run_migrations
from kindcheck.store.outside import _Outside
from kindcheck.store.pending import PendingLog
from kindcheck.store.plans import _Plans
from kindcheck.store.records import _new_id, _now
from kindcheck.store.releases import _Releases
from kindcheck.store.reporting import _Reporting
from kindcheck.store.rollback import _RollbackCounter, _RollbackMarker, state_dir
from kindcheck.store.schema import APPLICATION_ID, DB_NAME, _schema_version
from kindcheck.store.schemacheck import check_schema
from kindcheck.store.sessions import _Sessions
from kindcheck.store.sqlite import (
    _SQLITE_CORRUPT,
    _SQLITE_NOTADB,
    Engine,
    _acquire_lock,
    _acquire_lock_for_reading,
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
    read_schema,
    schema_cookie,
)
from kindcheck.store.summaries import _Summaries
from kindcheck.vault import (
    PASSPHRASE,
    RECOVERY,
    RecordCipher,
    UnlockThrottle,
    generate_recovery_key,
    make_passphrase_slot,
    make_recovery_slot,
    new_data_key,
    parse_recovery_key,
)


class Store(
    _Clients,
    _FollowThrough,
    _Amendments,  # sessions' corrections and moves (a _Sessions)
    _Sessions,
    _Reporting,
    _Plans,
    _Drafts,
    _Releases,
    _Summaries,
    _Maintenance,
    _Backups,
    _Outside,
):
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
            slot_rows = [(_new_id(), slot.kind, slot.to_json()) for slot in slots]
            for leftover in (building, _journal(building)):
                _remove(leftover)
            try:
                # Made here with 0600 so SQLite (which copies the database's mode to its
                # journal) never creates a readable file.
                os.close(os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except OSError as error:
                raise _os_failure(error, data_dir, "create_vault") from None
            build_engine = _engine_for(building)
            try:
                with build_engine.begin() as conn:
                    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                    _run_migrations(conn, 0, None)
                    conn.execute(
                        "INSERT INTO meta (name, format_version, value) VALUES ('profile', ?, ?)",
                        (RECORD_FORMAT, seal_json(cipher, "meta", "profile", profile, 1)),
                    )
                    conn.executemany(
                        "INSERT INTO key_slot (id, kind, slot) VALUES (?, ?, ?)", slot_rows
                    )
                    state = VaultState(
                        generation=1,
                        schema_version=schema.SCHEMA_VERSION,
                        clients={},
                        profile=1,
                        slots={slot_id: slot_digest(kind, doc) for slot_id, kind, doc in slot_rows},
                    )
                    _write_state(conn, cipher, state)
            except sqlite3.Error as error:
                raise _translate(error, writing=True) from None
            finally:
                build_engine.dispose()
            try:
                _fsync_path(building)
                os.replace(building, db)
                _remove(_journal(building))
                _fsync_path(data_dir, directory=True)
            except OSError as error:
                raise _os_failure(error, data_dir, "create_vault") from None
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
        passphrase: str | Secret,
        *,
        throttle: UnlockThrottle | None = None,
        read_only: bool | None = None,
        inspect: bool = False,
    ) -> Store:
        """Open the vault with the passphrase (text, or a :class:`~kindcheck.passphrase.Secret`
        as the app takes it: read in place, never copied; the caller wipes it).

        WrongPassphrase (always the message "wrong passphrase") when it does not open the vault;
        each failure in this process waits longer (vault.UnlockThrottle). VaultLocked when
        another copy has the vault open; VaultError for a missing, damaged or foreign file;
        SchemaRefused for a file whose schema is not Kindcheck's (before the key is derived).

        ``read_only``: None (the default) opens a vault on read-only media read-only (see
        :attr:`read_only`); True always; False never. ``inspect`` (for verify): open read-only,
        and instead of refusing a schema that is not Kindcheck's, keep what is wrong in
        :attr:`schema_problems` (nothing can be written, so nothing planted can run).
        """
        if not isinstance(passphrase, str | Secret):
            raise TypeError("the passphrase is text (str) or a Secret")
        store, _data_key = cls._open(
            Path(data_dir),
            throttle or default_throttle(),
            lambda slots: _open_any(slots, PASSPHRASE, passphrase),
            read_only=read_only,
            inspect=inspect,
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
        compromised, or damaged) passphrase stops working. The recovery key stays valid.
        """
        check_new_passphrase(new_passphrase)
        recovery_key = parse_recovery_key(recovery_text)  # a typo is reported as such
        store, data_key = cls._open(
            Path(data_dir),
            throttle or default_throttle(),
            lambda slots: _open_any(slots, RECOVERY, recovery_key),
            read_only=False,
        )
        try:
            store._replace_slots(
                data_key, PASSPHRASE, new_passphrase, "passphrase reset with the recovery key"
            )
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _open(
        cls,
        data_dir: Path,
        throttle: UnlockThrottle,
        open_key: Callable[[SlotSet], bytes],
        *,
        read_only: bool | None = None,
        inspect: bool = False,
    ) -> tuple[Store, bytes]:
        """Lock, check the file and its schema, read the slots, open one; the store and the
        data key. Then upgrade an older schema, rebuild a lost state record, write the access
        log kept while the vault was read-only, and compare the generation with this
        computer's (the rollback check)."""
        db = data_dir / DB_NAME
        if not db.exists():
            raise VaultError(f"there is no vault in {data_dir}: create one with `kindcheck init`")
        if read_only is False and not inspect:
            lock, on_read_only_media = _acquire_lock(data_dir), False
        else:
            lock, on_read_only_media = _acquire_lock_for_reading(data_dir, state_dir() / "locks")
        reading = inspect or bool(read_only) or on_read_only_media
        engine: Engine | None = None
        try:
            if reading and not on_read_only_media and _journal_may_be_hot(db):
                # An interrupted save: SQLite rolls it back on the next writable open. A
                # read-only connection cannot, so let it do that first (reads only: the
                # rollback restores pages from the journal and runs no SQL of the file).
                _settle_journal(db, remove=False)
            if not _journal_may_be_hot(db):
                _check_header(db)
            engine = _engine_for(db, read_only=reading)
            info = _read_vault_info(engine, db)
            if info.problems and not inspect:
                raise SchemaRefused(schema_refusal(info.problems), info.problems)
            try:
                data_key = open_key(info.slots)
            except WrongPassphrase:
                engine.dispose()
                engine = None
                _release(lock)
                throttle.failed()
                raise
            store = cls(
                data_dir=data_dir, lock=lock, engine=engine, data_key=data_key, read_only=reading
            )
        except BaseException:
            if engine is not None:
                engine.dispose()
            _release(lock)
            raise
        store.damaged_slots = info.slots.damaged
        store.schema_problems = list(info.problems)
        store._schema_cookie = info.cookie
        try:
            store._user_name = store._read_profile().get("user_name")
            store._check_state_version(info.version, inspect)
            if not reading:
                if info.version < schema.SCHEMA_VERSION:
                    store._migrate(info.version)
                store._repair_state()
                store._flush_pending()
            store._check_rollback()
        except BaseException:
            store.close()
            raise
        throttle.succeeded()
        return store, data_key

    def _check_state_version(self, stored: int, inspect: bool) -> None:
        """The schema version in its plain column against the one inside the (encrypted,
        authenticated) state record: a lower plain value was edited."""
        with self._read() as conn:
            try:
                found = _open_state(conn, self._require_open())
            except RecordDamaged:
                return
        inside = None if found is None else found.schema_version
        if inside is None or inside <= stored:
            return
        problem = (
            f"the vault's schema version says {stored}, but its encrypted state record says "
            f"{inside}: the value was edited or damaged"
        )
        if inspect:
            self.schema_problems.append(problem)
            return
        raise SchemaRefused(schema_refusal([problem]), [problem])

    def _repair_state(self) -> None:
        """A missing or damaged state record (or one from before the ledger) is rebuilt at
        once, its rebuild noted inside it for verify to report."""
        with self._write() as conn:
            try:
                found = _open_state(conn, self._require_open())
            except RecordDamaged:
                found = None
            if found is not None and found.has_ledger:
                return
            self._ledger(conn).finish(conn)

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
        self._marker = None
        self._pending = None
        self._state_cache = StateCache()
        self._outside_ready = False
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def resume(self, passphrase: str | Secret, *, throttle: UnlockThrottle | None = None) -> None:
        """Unlock again after :meth:`lock` (same rules and throttle as :meth:`unlock`; the
        file's schema is checked again: it may have been changed while locked)."""
        throttle = throttle or default_throttle()
        with self._mutex:
            if self._lock is None:
                raise VaultError("the vault is closed; open it again")
            if self.is_open:
                return
            engine = _engine_for(self._db, read_only=self._read_only)
            try:
                info = _read_vault_info(engine, self._db)
                if info.problems and not self.schema_problems:
                    raise SchemaRefused(schema_refusal(info.problems), info.problems)
                data_key = _open_any(info.slots, PASSPHRASE, passphrase)
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
            self._marker = _RollbackMarker(data_key)
            self._pending = PendingLog(data_key)
            self._schema_cookie = info.cookie
            self.damaged_slots = info.slots.damaged
            self._check_rollback()  # the file may have been replaced while locked

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- passphrases ---------------------------------------------------------------------------

    def change_passphrase(
        self, old: str | Secret, new: str, *, throttle: UnlockThrottle | None = None
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
            self._replace_slots(data_key, PASSPHRASE, new, "passphrase changed")

    def new_recovery_key(
        self, passphrase: str | Secret, *, throttle: UnlockThrottle | None = None
    ) -> str:
        """Make a new recovery key (for a damaged or lost one): the recovery slot is replaced
        in one transaction, logged as a change. Returns the new key's display form, shown
        once. The passphrase proves the person may do this and yields the data key again."""
        throttle = throttle or default_throttle()
        with self._mutex:
            self._require_open()
            try:
                data_key = _open_any(self._slots(), PASSPHRASE, passphrase)
            except WrongPassphrase:
                throttle.failed()
                raise
            throttle.succeeded()
            recovery_key, recovery_text = generate_recovery_key()
            self._replace_slots(data_key, RECOVERY, recovery_key, "recovery key replaced")
        return recovery_text

    def _replace_slots(self, data_key: bytes, kind: str, secret: str | bytes, detail: str) -> None:
        """Delete every slot of ``kind`` and add one for ``secret``, in one transaction with
        its access-log entry (a "change" saying ``detail``); the ledger's slot digests follow.
        A passphrase set anew, by the old one or the recovery key, is as much a use of the
        vault as reading a client's file."""
        # The key must be this vault's: compare what it derives, never the key itself.
        if not hmac.compare_digest(
            _BlindIndex(data_key).fingerprint, self._require_index().fingerprint
        ):
            raise VaultError("the key slot does not belong to this vault's key")
        if kind == PASSPHRASE:
            assert isinstance(secret, str)
            slot = make_passphrase_slot(data_key, secret)
        else:
            assert isinstance(secret, bytes)
            slot = make_recovery_slot(data_key, secret)
        with self._write() as conn:
            conn.execute("DELETE FROM key_slot WHERE kind = ?", (kind,))
            conn.execute(
                "INSERT INTO key_slot (id, kind, slot) VALUES (?, ?, ?)",
                (_new_id(), slot.kind, slot.to_json()),
            )
            self._ledger(conn).slots_changed(conn)
            self._log(conn, "change", None, detail)
        # The damaged slot of this kind was deleted with the others: say so from now on.
        self.damaged_slots = self._slots().damaged

    def _slots(self) -> SlotSet:
        with self._read() as conn:
            return _parse_slots(conn.execute("SELECT id, kind, slot FROM key_slot").all())


@dataclass(frozen=True)
class _VaultInfo:
    version: int
    problems: list[str]
    cookie: int
    slots: SlotSet


def _read_vault_info(engine: Engine, db: Path) -> _VaultInfo:
    """Schema version, what the schema check finds, and the key slots: all read before any
    key is derived (reading fires no trigger and queries no view)."""
    try:
        with engine.connect() as conn:
            application_id = conn.execute("PRAGMA application_id").scalar_one()
            if application_id != APPLICATION_ID:
                raise VaultError(f"{db} is not a Kindcheck vault; nothing was changed")
            found = read_schema(conn)
            tables = {item.name for item in found if item.type == "table"}
            if not {"meta", "key_slot"} <= tables:
                raise VaultError(f"{db} is not a complete Kindcheck vault: its tables are missing")
            version = _schema_version(conn)
            if version > schema.SCHEMA_VERSION:
                raise VaultError(
                    f"this vault was written by a newer version of Kindcheck (storage schema "
                    f"{version}); this version reads up to {schema.SCHEMA_VERSION}). Update "
                    "Kindcheck; nothing was changed"
                )
            problems = check_schema(found, version, schema.SCHEMA_VERSION, MIGRATIONS)
            cookie = schema_cookie(conn)
            slots = _parse_slots(conn.execute("SELECT id, kind, slot FROM key_slot").all())
    except sqlite3.Error as error:
        if _sqlite_code(error) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            raise VaultError(
                f"{db} is damaged and cannot be opened ({_sqlite_message(error)}); nothing was "
                "changed. Restore a backup with `kindcheck restore`"
            ) from None
        raise _translate(error, writing=False) from None
    return _VaultInfo(version, problems, cookie, slots)
