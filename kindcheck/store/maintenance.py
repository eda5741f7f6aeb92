"""Looking after the vault file: record counts and verify.

Verify reads every row one by one (one unreadable row does not hide the others), decrypts
every record, checks every key slot against the digest the state keeps of it, the access
log's hash chain against the head in the state record, and every row against the vault's
ledger (:mod:`.consistency`): a record removed, added or put back older than the ledger says
is named, and a state record older than the records (an older state put back, the log cut
after it). A vault opened for inspection also lists what the schema check found. Every id and
every text SQLite gives comes from the file and is made safe for a terminal.

Backup and restore are :mod:`.backup`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Row, Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from kindcheck.accesslog import AccessEntry, verify_chain
from kindcheck.errors import KindcheckError, RecordDamaged, VaultError
from kindcheck.store.audit import (
    LogColumns,
    VaultState,
    _open_entry,
    _open_state,
    _parse_state,
    slot_digest,
)
from kindcheck.store.base import _StoreBase
from kindcheck.store.consistency import Problem, Seen, ledger_problems
from kindcheck.store.keys import what_to_do
from kindcheck.store.records import (
    AmendmentColumns,
    ClientColumns,
    DraftColumns,
    MeldcodeColumns,
    PlainPlan,
    PlanColumns,
    SessionColumns,
    _amendment_from,
    _client_from,
    _damaged,
    _draft_from,
    _open_amendment,
    _open_body,
    _open_client,
    _open_draft,
    _open_header,
    _open_plan,
    _open_sealed,
    _open_steps,
    _plan_from,
    _session_from,
    _steps_from,
)
from kindcheck.store.schema import (
    _AMENDMENTS,
    _CLIENTS,
    _DRAFTS,
    _LOG,
    _META,
    _PLANS,
    _SESSIONS,
    _SLOTS,
    APPLICATION_ID,
    _rowid_col,
    _schema_version,
)
from kindcheck.store.sqlite import _sqlite_message
from kindcheck.text import one_line
from kindcheck.vault import KeySlot


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


_META_NAMES = ("schema_version", "profile", "state")


class _Maintenance(_StoreBase):
    """Record counts and verify."""

    def count_records(self) -> dict[str, int]:
        """How many rows each record table holds."""
        with self._read() as conn:
            return {
                table.name: conn.exec_driver_sql(f"SELECT count(*) FROM {table.name}").scalar_one()
                for table in (_CLIENTS, _SESSIONS, _PLANS, _DRAFTS)
            }

    def verify(self, *, check_plan: Callable[[PlainPlan], object] | None = None) -> list[str]:
        """Check the file and every record; return one line per problem (empty: all well).
        The lines of :meth:`check`, as text. (The rollback warning is not among them: it is
        about this computer's copy of the generation, see :attr:`rollback`.)"""
        return [problem.message for problem in self.check(check_plan=check_plan)]

    def check(self, *, check_plan: Callable[[PlainPlan], object] | None = None) -> list[Problem]:
        """Check the file and decrypt every record; one :class:`Problem` per finding. A
        damaged record is named (``table/id``) and checking goes on; a row SQLite itself
        cannot read is named by table and row number.

        The store checks each record's shape; ``check_plan`` also checks what a plan says
        (the layer that knows plans passes it, see kindcheck.service.plans.verify_vault) and
        raises RecordDamaged for a plan it cannot read."""
        problems = [Problem("schema", text) for text in self.schema_problems]
        seen = Seen()
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            # Untranslated errors here: the report names SQLite's own finding per row.
            with self._engine.connect() as conn:
                problems += _check_file(conn)
                state = self._state_for_verify(conn)
                for table, check in (
                    (_META, partial(self._check_meta_row, seen)),
                    (_CLIENTS, partial(self._check_client_row, seen)),
                    (_SESSIONS, partial(self._check_session_row, seen)),
                    (_PLANS, partial(self._check_plan_row, seen, check_plan)),
                    (_DRAFTS, partial(self._check_draft_row, seen)),
                    (_LOG, partial(self._check_log_row, seen)),
                    (_AMENDMENTS, partial(self._check_amendment_row, seen)),
                ):
                    if table is _AMENDMENTS and not _has_table(conn, table.name):
                        continue  # a vault before storage schema 4 (opened read-only)
                    problems += self._check_table(conn, table, check)
                problems += self._check_slots(conn, state)
                problems += self._check_chain(conn, state)
                problems += self._check_ledger(conn, seen, state)
        return problems

    def _state_for_verify(self, conn: Connection) -> VaultState | None:
        try:
            return _open_state(conn, self._require_open())
        except (RecordDamaged, DBAPIError, sqlite3.Error):
            return None  # named by the row check of meta

    def _check_ledger(
        self, conn: Connection, seen: Seen, state: VaultState | None
    ) -> list[Problem]:
        try:
            version = _schema_version(conn)
        except (VaultError, DBAPIError, sqlite3.Error):
            return []
        if version < 3:
            return []  # no ledger before storage schema 3: upgraded at the next unlock
        if state is None:
            if seen.state_row:
                return []  # damaged: named already
            return [
                Problem(
                    "state.missing",
                    "record meta/state is missing: the vault's ledger is gone, so removed, added "
                    "or older records cannot be told; it is rebuilt at the next save",
                    "meta/state",
                )
            ]
        return ledger_problems(seen, state)

    def _check_chain(self, conn: Connection, state: VaultState | None) -> list[Problem]:
        """The access log's hash chain against the head in meta/state (damaged entries and a
        damaged state record are named by the table checks; here they show as gaps)."""
        cipher = self._require_open()
        entries: list[AccessEntry] = []
        try:
            for row in conn.execute(select(_LOG).order_by(_LOG.c.position)):
                with contextlib.suppress(RecordDamaged):
                    entries.append(_open_entry(cipher, row)[0])
        except (DBAPIError, sqlite3.Error) as error:
            return [
                Problem(
                    "log.unreadable",
                    f"access log: cannot be read completely ({_sqlite_message(error)})",
                )
            ]
        if state is None:
            lines = verify_chain(entries, None, None)
        else:
            lines = [
                *state.rebuilt,
                *verify_chain(entries, state.log_sequence, state.log_hash),
            ]
        return [Problem("log.chain", one_line(line)) for line in lines]

    def _check_table(
        self, conn: Connection, table: Table, check: Callable[[Row[Any]], None]
    ) -> list[Problem]:
        problems: list[Problem] = []
        rowids: list[int] = []
        try:
            for (rowid,) in conn.exec_driver_sql(f"SELECT rowid FROM {table.name}"):
                rowids.append(rowid)
        except (DBAPIError, sqlite3.Error) as error:
            problems.append(
                Problem(
                    "table.unreadable",
                    f"table {table.name}: cannot be read completely "
                    f"({_sqlite_message(error)}); {len(rowids)} rows checked",
                )
            )
        for rowid in rowids:  # one by one, so one unreadable row does not hide the others
            try:
                row = conn.execute(select(table).where(_rowid_col == rowid)).first()
            except (DBAPIError, sqlite3.Error) as error:
                problems.append(
                    Problem(
                        "row.unreadable",
                        f"table {table.name}, row {rowid}: cannot be read "
                        f"({_sqlite_message(error)})",
                    )
                )
                continue
            if row is None:
                continue
            try:
                check(row)
            except RecordDamaged as error:
                problems.append(Problem("record.damaged", one_line(error), error.record))
            except KindcheckError as error:
                problems.append(Problem("record.damaged", one_line(error)))
        return problems

    def _check_slots(self, conn: Connection, state: VaultState | None) -> list[Problem]:
        """Every key slot: it parses, its kind and cost settings are sound, and (storage
        schema 3) it is exactly the slot the state's digest says. Each damaged slot is named
        with what to do; the other slot still opens the vault."""
        problems: list[Problem] = []
        expected = state.slots if state is not None and state.has_ledger else None
        present: set[str] = set()
        try:
            rows = conn.execute(select(_SLOTS)).all()
        except (DBAPIError, sqlite3.Error) as error:
            return [
                Problem(
                    "slot.unreadable",
                    f"table key_slot: cannot be read ({_sqlite_message(error)})",
                )
            ]
        for row in rows:
            slot_id, kind = str(row.id), str(row.kind)
            present.add(slot_id)
            name = f"key slot {one_line(slot_id)} ({one_line(kind)})"
            try:
                slot = KeySlot.from_json(row.slot)
                if slot.kind != kind:
                    raise VaultError("its kind does not match")
                if slot.kdf is not None:
                    slot.kdf.check()
            except VaultError as error:
                problems.append(
                    Problem(
                        "slot.damaged",
                        f"{name}: damaged ({one_line(error)}); {what_to_do(kind)}",
                        f"key_slot/{slot_id}",
                    )
                )
                continue
            if expected is None:
                continue
            if slot_id not in expected:
                problems.append(
                    Problem(
                        "slot.added",
                        f"{name} was added outside Kindcheck: it is not in the vault's ledger",
                        f"key_slot/{slot_id}",
                    )
                )
            elif expected[slot_id] != slot_digest(kind, row.slot):
                problems.append(
                    Problem(
                        "slot.damaged",
                        f"{name}: damaged or changed outside Kindcheck; {what_to_do(kind)}",
                        f"key_slot/{slot_id}",
                    )
                )
        for slot_id in sorted(set(expected or {}) - present):
            problems.append(
                Problem(
                    "slot.missing",
                    f"key slot {one_line(slot_id)} is missing: it was deleted outside "
                    "Kindcheck. If the recovery key no longer opens the vault, make a new one "
                    "(`kindcheck passwd --new-recovery-key`)",
                    f"key_slot/{slot_id}",
                )
            )
        return problems

    def _check_meta_row(self, seen: Seen, row: _MetaColumns) -> None:
        cipher = self._require_open()
        if row.name == "state":
            seen.state_row = True
            opened = _open_sealed(
                cipher, "meta/state", "meta", "state", row.value, row.format_version
            )
            state = _parse_state(opened.value)
            if opened.generation is not None and opened.generation != state.generation:
                raise _damaged("meta/state")
        elif row.name == "profile":
            seen.profile_row = True
            opened = _open_sealed(
                cipher, "meta/profile", "meta", "profile", row.value, row.format_version
            )
            if not isinstance(opened.value.get("user_name"), str):
                raise _damaged("meta/profile")
            seen.profile = opened.generation
            seen.profile_readable = True
            seen.written("meta/profile", opened.generation)
        elif row.name not in _META_NAMES:
            raise VaultError(
                f"the vault file holds a meta row {one_line(row.name)} that Kindcheck did not write"
            )

    def _check_client_row(self, seen: Seen, row: _ClientIndexColumns) -> None:
        seen.client_rows.add(row.id)
        opened = _open_client(self._require_open(), row)
        client = _client_from(row, opened.value)
        if self._require_index()(client.reference) != row.ref_index:
            raise _damaged(f"client/{row.id}", "does not match its search index")
        seen.clients[row.id] = (opened.generation, opened.value)
        seen.written(f"client/{row.id}", opened.generation)

    def _check_session_row(self, seen: Seen, row: _SessionRowColumns) -> None:
        seen.session_rows[row.id] = row.client_id
        cipher = self._require_open()
        header, body, steps = (
            _open_header(cipher, row),
            _open_body(cipher, row),
            _open_steps(cipher, row),
        )
        _session_from(row, header.value, body.value)
        _steps_from(row, steps.value)
        seen.sessions[row.id] = (header.generation, body.generation, steps.generation)
        for opened in (header, body, steps):
            seen.written(f"session/{row.id}", opened.generation)

    def _check_plan_row(
        self,
        seen: Seen,
        check_plan: Callable[[PlainPlan], object] | None,
        row: PlanColumns,
    ) -> None:
        seen.plan_rows[row.id] = row.client_id
        opened = _open_plan(self._require_open(), row)
        stored = _plan_from(row, opened.value)
        if check_plan is not None:
            check_plan(stored)
        seen.plans[row.id] = opened.generation
        seen.written(f"followup_plan/{row.id}", opened.generation)

    def _check_draft_row(self, seen: Seen, row: DraftColumns) -> None:
        seen.draft_rows.add(row.id)
        opened = _open_draft(self._require_open(), row)
        draft = _draft_from(row, opened.value)
        expected = self._require_index()(draft.reference) if draft.reference else None
        if expected != row.ref_index:
            raise _damaged(f"draft/{row.id}", "does not match its search index")
        seen.drafts[row.id] = opened.generation
        seen.written(f"draft/{row.id}", opened.generation)

    def _check_amendment_row(self, seen: Seen, row: AmendmentColumns) -> None:
        seen.amendment_rows[row.id] = row.session_id
        opened = _open_amendment(self._require_open(), row)
        _amendment_from(row, opened.value)
        seen.amendments[row.id] = opened.generation
        seen.written(f"amendment/{row.id}", opened.generation)

    def _check_log_row(self, seen: Seen, row: LogColumns) -> None:
        _entry, generation = _open_entry(self._require_open(), row)
        seen.written(f"access_log/{row.id}", generation)


def _has_table(conn: Connection, name: str) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).first()
    return found is not None


def _check_file(conn: Connection) -> list[Problem]:
    """integrity_check, foreign keys and the application id, as report lines."""
    problems: list[Problem] = []
    try:
        for (line,) in conn.exec_driver_sql("PRAGMA integrity_check(100)"):
            if line != "ok":
                problems.append(Problem("file", f"the database file: {one_line(line)}"))
    except (DBAPIError, sqlite3.Error) as error:
        problems.append(Problem("file", f"the database file is damaged ({_sqlite_message(error)})"))
    try:
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(
                Problem(
                    "file",
                    f"a row of {one_line(row[0])} (row {one_line(row[1])}) refers to a missing "
                    f"{one_line(row[2])}",
                )
            )
        if conn.exec_driver_sql("PRAGMA application_id").scalar_one() != APPLICATION_ID:
            problems.append(
                Problem("file", "the database file: its application id is not Kindcheck's")
            )
    except (DBAPIError, sqlite3.Error) as error:
        problems.append(Problem("file", f"the database file is damaged ({_sqlite_message(error)})"))
    return problems
