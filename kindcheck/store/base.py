"""What every part of the Store stands on: the connection, transactions, the access log.

:class:`_StoreBase` holds an unlocked vault's state (the engine with its one connection, the
record cipher, the blind index, the mutex) and the machinery every operation shares:

- :meth:`~_StoreBase._write` and :meth:`~_StoreBase._read`: one transaction, or the
  surrounding :meth:`~_StoreBase.batch`. Every committing write raises the vault's generation
  inside it, then updates the copy outside the file.
- the access log (NEN 7513): an operation on client data writes its one entry in the same
  transaction as the operation (:meth:`~_StoreBase._log`, :meth:`~_StoreBase.log_access`).
  Opening a client is ``list_sessions``, opening a session ``get_session``; both take
  ``log=False`` for loads that are part of a view already logged. Draft autosaves are not
  logged, a draft's creation and deletion are.
- the ledger (:mod:`.ledger`): every write transaction has one generation, sealed into every
  record it writes; its changes to the ledger are written at its end with the state record.
- the schema check in every write transaction whose SQLite schema counter moved since the
  vault was opened (another program changed the schema): refused before anything is written.
- the rollback check: an unlock that finds the vault older than the copy of its generation
  outside the data dir sets :attr:`~_StoreBase.rollback` (and ``rollback_warning``), and
  keeps it on every unlock until :meth:`~_StoreBase.acknowledge_rollback`.
- a vault that can only be read (read-only media, or opened for inspection by verify): its
  access-log entries are kept on this computer (:mod:`.pending`) and written into the vault
  at the next writable unlock; any other write fails with "read-only".

The Store's other parts (clients, sessions and Meldcode steps, plans, drafts, maintenance) are
mixins on this base, one module each; :class:`kindcheck.store.Store` puts them together.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from filelock import FileLock

from kindcheck.accesslog import ACTIONS, OUTCOMES, AccessEntry
from kindcheck.errors import KindcheckError, RecordDamaged, SchemaRefused, VaultError
from kindcheck.store import schema
from kindcheck.store.audit import (
    StateCache,
    _append_entry,
    _entry_from_row,
    _open_state,
    _read_state,
)
from kindcheck.store.columns import (
    ClientColumns,
    DraftColumns,
    MeldcodeColumns,
    PlanColumns,
    SessionColumns,
    SessionHeaderColumns,
)
from kindcheck.store.envelope import seal_json
from kindcheck.store.keys import DamagedSlot, _BlindIndex, _vault_id, normalise_reference
from kindcheck.store.ledger import Ledger, load_state
from kindcheck.store.migrations import MIGRATIONS, _run_migrations
from kindcheck.store.pending import PendingLog
from kindcheck.store.records import (
    Client,
    Draft,
    MeldcodeStepRecord,
    PlainPlan,
    SessionSummary,
    StoredSession,
    _collect,
    _decode_client,
    _decode_draft,
    _decode_plan,
    _decode_session,
    _decode_steps,
    _decode_summary,
    _new_id,
    _open_record,
)
from kindcheck.store.rollback import RollbackStatus, _RollbackCounter, _RollbackMarker
from kindcheck.store.schema import DB_NAME, _schema_version
from kindcheck.store.schemacheck import check_schema
from kindcheck.store.sqlite import (
    Connection,
    Engine,
    _total_changes,
    _translate,
    read_schema,
    schema_cookie,
)
from kindcheck.text import one_line
from kindcheck.vault import RecordCipher


class _StoreBase:
    """An unlocked vault's state and the transactions, sealing and logging every part uses.

    Thread-safe: one mutex serialises every use of the single connection.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        lock: FileLock,
        engine: Engine,
        data_key: bytes,
        read_only: bool = False,
    ) -> None:
        self._data_dir = data_dir
        self._db = data_dir / DB_NAME
        self._lock: FileLock | None = lock
        self._engine: Engine | None = engine
        self._cipher: RecordCipher | None = RecordCipher(data_key)
        self._index: _BlindIndex | None = _BlindIndex(data_key)
        self._mutex = threading.RLock()
        self._batch: Connection | None = None
        self._snapshot: Connection | None = None  # the read transaction open, if any
        self._user_name: str | None = None
        self._rollback: _RollbackCounter | None = _RollbackCounter(data_key)
        self._marker: _RollbackMarker | None = _RollbackMarker(data_key)
        self._pending: PendingLog | None = PendingLog(data_key)
        self._vault_id = _vault_id(data_key)
        self._tx: Ledger | None = None  # the ledger within one write transaction
        self._state_cache = StateCache()
        self._quiet = 0  # > 0: the store's own operations write no access-log entries
        self._outside_ready = False  # the rollback check ran: commits update the outside copy
        self._outside_written: int | None = None
        self._schema_cookie: int | None = None  # SQLite's schema counter when last checked
        self._read_only = read_only
        #: Set on unlock when the vault is older than the last one opened on this computer,
        #: and kept on every unlock until acknowledged (see :meth:`acknowledge_rollback`).
        self.rollback: RollbackStatus | None = None
        #: Key slots that could not be read at unlock (the vault opened through another).
        self.damaged_slots: tuple[DamagedSlot, ...] = ()
        #: Opened for inspection (verify): what the schema check found, instead of refusing.
        self.schema_problems: list[str] = []

    @property
    def rollback_warning(self) -> str | None:
        """The rollback warning (see :data:`~.rollback.ROLLBACK_WARNING`) to show the user,
        at every unlock until acknowledged; None when the vault is not older."""
        return None if self.rollback is None else self.rollback.warning

    @property
    def read_only(self) -> bool:
        """Whether the vault can only be read here (read-only media, or opened for
        inspection). Reads are logged on this computer until it can be written again."""
        return self._read_only

    @property
    def read_only_warning(self) -> str | None:
        if not self._read_only:
            return None
        return (
            "the vault is read-only here: nothing can be saved, and what is opened is logged "
            "on this computer and added to the vault's access log when it is writable again"
        )

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
        return None if state is None else state.generation

    def client_generations(self) -> dict[str, int] | None:
        """Which generation last wrote each client's records, by client id, from the ledger
        (the ``client/<id>`` part of :meth:`record_generations`); None as there."""
        with self._read() as conn:
            try:
                state = _open_state(conn, self._require_open(), self._state_cache)
            except RecordDamaged:
                return None
        return None if state is None or state.clients is None else state.clients

    def record_generations(self) -> dict[str, int] | None:
        """Which generation last wrote each client's records and each draft, from the ledger
        (``client/<id>``, ``draft/<id>``), in one read: a screen that keeps this knows by the
        next call whether anything it shows changed, and what. None for a vault without a
        ledger (before storage schema 3) or an unreadable state."""
        with self._read() as conn:
            try:
                # The copy this store last read or wrote, when the record is still that one.
                state = _open_state(conn, self._require_open(), self._state_cache)
            except RecordDamaged:
                return None
        if state is None or state.clients is None:
            return None
        found = {f"client/{key}": value for key, value in state.clients.items()}
        found.update({f"draft/{key}": value for key, value in state.drafts.items()})
        return found

    # -- transactions --------------------------------------------------------------------------

    def _require_open(self) -> RecordCipher:
        if self._cipher is None or self._engine is None:
            raise VaultError("the vault is locked")
        return self._cipher

    def _require_index(self) -> _BlindIndex:
        if self._index is None:
            raise VaultError("the vault is locked")
        return self._index

    @contextlib.contextmanager
    def _write(self, *, reading: bool = False) -> Iterator[Connection]:
        """One write transaction (or the surrounding batch). All or nothing.

        Every committing transaction raises the vault's generation by one, inside it (with the
        ledger, :meth:`_finish`), and then updates the copy outside the file. ``reading``: a
        read that is written to the access log; if the entry cannot be written, nothing is
        shown.
        """
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            if self._batch is not None:
                yield self._batch
                return
            if self._snapshot is not None:
                raise VaultError(
                    "internal error: a write while a read of the vault is still open (read it "
                    "to the end, or group both with Store.reading); nothing was saved"
                )
            self._tx = None
            generation: int | None = None
            try:
                with self._engine.begin() as conn:
                    self._check_schema_cookie(conn)
                    before = _total_changes(conn)
                    yield conn
                    if self._tx is not None and self._tx.finished:
                        generation = self._tx.generation
                    elif _total_changes(conn) != before:  # a transaction that wrote nothing
                        generation = self._finish(conn)  # does not count
            except sqlite3.Error as error:
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
            except UnicodeDecodeError:
                raise VaultError.from_catalog("error.store.damaged_text") from None
            finally:
                self._tx = None
            if generation is not None:
                self._remember_generation(generation)

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction (or the surrounding batch or :meth:`reading` group): the
        reads in it see one consistent database."""
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            if self._batch is not None:
                yield self._batch
                return
            if self._snapshot is not None:  # a read inside a read (a long one, still open)
                yield self._snapshot
                return
            try:
                with self._engine.snapshot() as conn:
                    self._snapshot = conn
                    try:
                        yield conn
                    finally:
                        self._snapshot = None
            except sqlite3.Error as error:
                raise _translate(error, writing=False) from None
            except UnicodeDecodeError:  # text in the file that is not UTF-8: damage
                raise VaultError.from_catalog("error.store.damaged_text") from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Group several reads into one transaction: they see one consistent vault, and no
        other thread's write comes between them (a report reading plans, clients and facts).
        It is a :meth:`batch` (SQLite takes the write lock only if something is written, and a
        transaction that writes nothing changes nothing), so an access-log entry written in
        the group is part of it."""
        with self.batch():
            yield

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

    def _check_schema_cookie(self, conn: Connection) -> None:
        """Before a write: if SQLite's schema counter moved since the schema was last checked
        (another program changed the file's schema while it was open), check it again; a
        planted trigger is refused before this transaction writes anything."""
        cookie = schema_cookie(conn)
        if cookie == self._schema_cookie:
            return
        problems = check_schema(read_schema(conn), _schema_version(conn), _newest(), MIGRATIONS)
        if problems:
            raise SchemaRefused(schema_refusal(problems), problems)
        self._schema_cookie = cookie

    def _recheck_schema(self) -> None:
        """The schema check again, if SQLite's schema counter moved since the last one."""
        with self._read() as conn:
            self._check_schema_cookie(conn)

    def _migrate(self, from_version: int) -> None:
        cipher = self._require_open()
        with self._write() as conn:
            _run_migrations(conn, from_version, cipher)
            self._schema_cookie = schema_cookie(conn)

    # -- the ledger, the generation and the rollback check ------------------------------------

    def _ledger(self, conn: Connection) -> Ledger:
        """This transaction's ledger (the state read once, written once at commit)."""
        if self._tx is None:
            cipher = self._require_open()
            cache = self._state_cache
            self._tx = Ledger(cipher, load_state(conn, cipher, cache), cache)
        return self._tx

    def _finish(self, conn: Connection) -> int:
        """End of a write transaction: one generation more, the ledger and state written."""
        return self._ledger(conn).finish(conn)

    def _remember_generation(self, generation: int) -> None:
        """After a commit: the copy outside the file follows (after the rollback check). It
        is never lowered here: only an acknowledged older copy or a restore lowers it."""
        if not self._outside_ready or self._rollback is None:
            return
        if self._outside_written is None:
            self._outside_written = self._rollback.read()
        if self._outside_written is None or generation > self._outside_written:
            self._rollback.write(generation)
            self._outside_written = generation

    @contextlib.contextmanager
    def unlogged(self) -> Iterator[None]:
        """The store's own operations inside write no access-log entries: for a composite
        operation (recording a session finds or adds its client, saves the session and the
        plan) that writes its one entry itself with :meth:`log_access`."""
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
        user = self._user_name or "unknown"
        if self._read_only:
            assert self._pending is not None
            self._pending.add(
                {
                    "id": _new_id(),
                    "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                    "user": user,
                    "action": action,
                    "client_reference": client_reference,
                    "detail": detail,
                    "outcome": outcome,
                }
            )
            return
        ledger = self._ledger(conn)
        _append_entry(
            conn,
            self._require_open(),
            ledger.state,
            ledger.generation,
            user,
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
        row = conn.execute(_CLIENT_BY_ID, (client_id,)).first()
        reference, note = None, ""
        if row is None:
            note = f" (client {one_line(client_id)} not found)"
        else:
            try:
                reference = self._client_from_row(row).reference
            except RecordDamaged:
                note = f" (record client/{one_line(client_id)} is damaged)"
        self._append(conn, action, reference, detail + note)

    def log_refusal(self, action: str, client_reference: str | None, detail: str) -> None:
        """A refused action, in its own transaction (the refused one was rolled back). Inside
        a batch or :meth:`unlogged` nothing is written: the batch is being abandoned, and its
        caller decides."""
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
                    _CLIENT_BY_INDEX, (self._require_index()(client_reference),)
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
        named there and skipped. Entries about deleted clients are kept, under the client's
        pseudonym (:mod:`.erasure`): asking for the deleted client's reference finds them.
        """
        wanted: set[str] | None = None
        if client_reference is not None:
            wanted = {normalise_reference(client_reference)}
            if wanted != {""}:  # a deleted client's entries carry its pseudonym instead
                wanted.add(self._require_index().pseudonym(client_reference))
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, format_version, data FROM access_log ORDER BY position"
            ).all()
        cipher = self._require_open()
        entries: list[AccessEntry] = []
        for row in rows:
            entry = _collect(damaged, partial(_entry_from_row, cipher, row))
            if entry is None:
                continue
            if wanted is not None and (
                entry.client_reference is None
                or normalise_reference(entry.client_reference) not in wanted
            ):
                continue
            entries.append(entry)
        return entries

    # -- sealing and opening records ------------------------------------------------------------

    def _seal(self, conn: Connection, label: str, record_id: str, value: dict[str, Any]) -> bytes:
        """Encrypt a record with this transaction's generation (inside the transaction: if
        this fails, nothing reaches the disk)."""
        cipher = self._require_open()
        generation = self._ledger(conn).generation
        try:
            return seal_json(cipher, label, record_id, value, generation)
        except (TypeError, ValueError):
            raise VaultError(
                f"the {label.split('.')[0]} could not be encrypted (it holds a value that is not "
                "plain data): nothing was saved"
            ) from None

    def _unseal(
        self, name: str, label: str, record_id: str, blob: bytes, format_version: int
    ) -> dict[str, Any]:
        return _open_record(self._require_open(), name, label, record_id, blob, format_version)

    # Each decoder asks for the cipher as it runs: a store locked half-way through a list
    # stops decrypting at once.

    def _client_from_row(self, row: ClientColumns) -> Client:
        return _decode_client(self._require_open(), row)

    def _summary_from_row(self, row: SessionHeaderColumns) -> SessionSummary:
        return _decode_summary(self._require_open(), row)

    def _session_from_row(self, row: SessionColumns) -> StoredSession:
        return _decode_session(self._require_open(), row)

    def _steps_from_row(self, row: MeldcodeColumns) -> dict[str, MeldcodeStepRecord]:
        return _decode_steps(self._require_open(), row)

    def _plan_from_row(self, row: PlanColumns) -> PlainPlan:
        return _decode_plan(self._require_open(), row)

    def _draft_from_row(self, row: DraftColumns) -> Draft:
        return _decode_draft(self._require_open(), row)

    def _read_profile(self) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(
                "SELECT format_version, value FROM meta WHERE name = 'profile'"
            ).first()
        if row is None:
            return {}
        try:
            return self._unseal("meta/profile", "meta", "profile", row.value, row.format_version)
        except RecordDamaged:
            return {}  # the user name is not worth refusing the vault over; verify names it


_CLIENT_BY_ID = "SELECT id, ref_index, format_version, data FROM client WHERE id = ?"
_CLIENT_BY_INDEX = "SELECT id, ref_index, format_version, data FROM client WHERE ref_index = ?"


def _newest() -> int:
    return schema.SCHEMA_VERSION  # read at call time: tests set it


def schema_refusal(problems: list[str]) -> str:
    """The message of a vault refused for its schema: every problem, and what to do."""
    return (
        "the vault file is not as Kindcheck made it, so nothing was done and nothing was "
        "changed: "
        + "; ".join(problems)
        + ". Restore a backup (`kindcheck restore`); `kindcheck verify` lists everything"
    )
