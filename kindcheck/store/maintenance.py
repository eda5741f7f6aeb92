"""Looking after the vault file: record counts and verify.

Verify reads every table in one pass (a row SQLite cannot read makes it go on row by row from
there, so one unreadable row does not hide the others), decrypts every record, checks every
key slot against the digest the state keeps of it, the access log's hash chain against the
head in the state record, every row against the vault's ledger (:mod:`.consistency`): a record
removed, added or put back older than the ledger says is named, and a state record older than
the records (an older state put back, the log cut after it); and every session's facts record
(:mod:`.facts`) against the session (missing, without a session, or saying something else). A
vault opened for inspection also lists what the schema check found. Every id and every text
SQLite gives comes from the file and is made safe for a terminal.

Backup and restore are :mod:`.backup`.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Final, Protocol

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
from kindcheck.store.columns import (
    AmendmentColumns,
    ClientColumns,
    DraftColumns,
    FactsColumns,
    MeldcodeColumns,
    PlanColumns,
    SessionColumns,
)
from kindcheck.store.consistency import Problem, Seen, facts_problems, ledger_problems
from kindcheck.store.facts import (
    StoredFacts,
    _decode_facts_values,
    _steps_taken,
    facts_opener,
    facts_value,
)
from kindcheck.store.keys import DamagedSlot, what_to_do
from kindcheck.store.records import (
    PlainPlan,
    StoredAmendment,
    StoredSession,
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
from kindcheck.store.schema import APPLICATION_ID, _schema_version
from kindcheck.store.sqlite import Connection, Row, _sqlite_message
from kindcheck.text import one_line
from kindcheck.vault import PASSPHRASE, RECOVERY, KeySlot

CheckFacts = Callable[[StoredSession, Sequence[StoredAmendment]], object]
"""What the layer above says a session's facts are, given the session as first stored and its
amendments in order (compared with its facts record)."""

# Each record table: its columns, and the key a row is found by again (for reading on one row
# at a time after SQLite could not read one).
_TABLES: Final = {
    "meta": ("rowid", "name, format_version, value"),
    "client": ("rowid", "id, ref_index, format_version, data"),
    "session_facts": ("client_id, id", "format_version, data"),
    "session": ("rowid", "id, client_id, format_version, header, body, meldcode"),
    "followup_plan": ("rowid", "id, client_id, format_version, data"),
    "draft": ("rowid", "id, ref_index, format_version, data"),
    "access_log": ("rowid", "id, position, format_version, data"),
    "amendment": ("rowid", "id, session_id, format_version, data"),
}
_COUNTED: Final = ("client", "session", "followup_plan", "draft")


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


class _LogRowColumns(LogColumns, Protocol):
    @property
    def position(self) -> int: ...


_META_NAMES = ("schema_version", "profile", "state", "releases", "caseload", "caseload_due")


class _Maintenance(_StoreBase):
    """Record counts and verify."""

    def count_records(self) -> dict[str, int]:
        """How many rows each record table holds (clients, sessions, plans, drafts)."""
        with self._read() as conn:
            return {
                table: conn.execute(f"SELECT count(*) FROM {table}").scalar_one()
                for table in _COUNTED
            }

    def verify(
        self,
        *,
        check_plan: Callable[[PlainPlan], object] | None = None,
        check_facts: CheckFacts | None = None,
        facts_current: Callable[[Any], bool] | None = None,
    ) -> list[str]:
        """Check the file and every record; return one line per problem (empty: all well).
        The lines of :meth:`check`, as text. (The rollback warning is not among them: it is
        about this computer's copy of the generation, see :attr:`rollback`.)"""
        found = self.check(
            check_plan=check_plan, check_facts=check_facts, facts_current=facts_current
        )
        return [problem.message for problem in found]

    def check(
        self,
        *,
        check_plan: Callable[[PlainPlan], object] | None = None,
        check_facts: CheckFacts | None = None,
        facts_current: Callable[[Any], bool] | None = None,
    ) -> list[Problem]:
        """Check the file and decrypt every record; one :class:`Problem` per finding. A
        damaged record is named (``table/id``) and checking goes on; a row SQLite itself
        cannot read is named by table and row number.

        The store checks each record's shape; ``check_plan`` also checks what a plan says
        (the layer that knows plans passes it, see kindcheck.service.plans.verify_vault) and
        raises RecordDamaged for a plan it cannot read; ``check_facts`` says what a session's
        facts are, to compare with its facts record (none given: only the store's own fields
        of the facts records are compared). ``facts_current``: whether a record's facts are
        of the format ``check_facts`` makes; one that is not (made by an older Kindcheck, and
        made again at the next unlock that can write) has only the store's fields compared."""
        problems = [Problem("schema", text) for text in self.schema_problems]
        seen = Seen()
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            # Untranslated errors here: the report names SQLite's own finding per row.
            with self._engine.snapshot() as conn, _collector_paused():
                problems += _check_file(conn)
                state = self._state_for_verify(conn)
                tables = {row.name for row in conn.execute(_TABLE_NAMES)}
                for table, check in (
                    ("meta", partial(self._check_meta_row, seen)),
                    ("client", partial(self._check_client_row, seen)),
                    ("session_facts", partial(self._check_facts_row, seen)),
                    # before the sessions: a session's facts follow its amendments
                    ("amendment", partial(self._check_amendment_row, seen)),
                    (
                        "session",
                        partial(self._check_session_row, seen, check_facts, facts_current),
                    ),
                    ("followup_plan", partial(self._check_plan_row, seen, check_plan)),
                    ("draft", partial(self._check_draft_row, seen)),
                    ("access_log", partial(self._check_log_row, seen)),
                ):
                    if table in tables:
                        problems += self._check_table(conn, table, check)
                problems += self._check_slots(conn, state)
                problems += self._check_chain(seen, state)
                problems += self._check_ledger(conn, seen, state)
                if "session_facts" in tables:
                    problems += facts_problems(seen)
        return problems

    def check_slots(self) -> tuple[DamagedSlot, ...]:
        """The key-slot part of :meth:`check` alone, as :class:`DamagedSlot` values (cheap:
        two rows and their digests), for the app to say right after unlocking that a slot is
        damaged, changed or missing, and what to do. ``kind`` is the slot's plain column; ""
        for a missing slot whose kind cannot be told (its digest in the state hides it)."""
        with self._mutex:
            self._require_open()
            assert self._engine is not None
            with self._engine.connect() as conn:
                problems = self._check_slots(conn, self._state_for_verify(conn))
                try:
                    rows = conn.execute("SELECT id, kind FROM key_slot").all()
                except sqlite3.Error:
                    rows = []
        kinds = {f"key_slot/{row.id}": str(row.kind) for row in rows}
        present = set(kinds.values())
        found: list[DamagedSlot] = []
        for problem in problems:
            record = problem.record or ""
            kind = kinds.get(record, "")
            if not kind and problem.code == "slot.missing":
                # Only one kind can be missing while the vault opened with the other.
                absent = {PASSPHRASE, RECOVERY} - present
                kind = absent.pop() if len(absent) == 1 else ""
            slot_id = record.partition("/")[2]
            found.append(DamagedSlot(slot_id, kind, problem.message))
        return tuple(found)

    def _state_for_verify(self, conn: Connection) -> VaultState | None:
        try:
            return _open_state(conn, self._require_open())
        except (RecordDamaged, sqlite3.Error):
            return None  # named by the row check of meta

    def _check_ledger(
        self, conn: Connection, seen: Seen, state: VaultState | None
    ) -> list[Problem]:
        try:
            version = _schema_version(conn)
        except (VaultError, sqlite3.Error):
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

    def _check_chain(self, seen: Seen, state: VaultState | None) -> list[Problem]:
        """The access log's hash chain (the entries read by the table pass, in their order)
        against the head in meta/state (damaged entries and a damaged state record are named
        by the table checks; here they show as gaps)."""
        ordered = sorted(seen.log_entries, key=lambda item: item[0])
        entries: list[AccessEntry] = [entry for _position, entry in ordered]
        if state is None:
            lines = verify_chain(entries, None, None)
        else:
            lines = [
                *state.rebuilt,
                *verify_chain(entries, state.log_sequence, state.log_hash),
            ]
        return [Problem("log.chain", one_line(line)) for line in lines]

    def _check_table(
        self, conn: Connection, table: str, check: Callable[[Row], None]
    ) -> list[Problem]:
        """Every row of ``table`` read in one pass and checked. If SQLite cannot read a row,
        the rest are read one at a time (by key), so one unreadable row does not hide the
        others, and it is named."""
        key, columns = _TABLES[table]
        width = len(key.split(","))
        problems: list[Problem] = []
        checked: set[tuple[Any, ...]] = set()
        try:
            for row in conn.execute(f"SELECT {key}, {columns} FROM {table}"):
                checked.add(tuple(row[:width]))
                self._check_row(problems, check, row)
        except sqlite3.Error:
            problems += self._check_one_by_one(conn, table, check, checked)
        return problems

    def _check_one_by_one(
        self,
        conn: Connection,
        table: str,
        check: Callable[[Row], None],
        checked: set[tuple[Any, ...]],
    ) -> list[Problem]:
        key, columns = _TABLES[table]
        problems: list[Problem] = []
        keys: list[tuple[Any, ...]] = []
        try:
            for found in conn.driver.execute(f"SELECT {key} FROM {table}"):
                keys.append(tuple(found))
        except sqlite3.Error as error:
            problems.append(
                Problem(
                    "table.unreadable",
                    f"table {table}: cannot be read completely "
                    f"({_sqlite_message(error)}); {len(keys)} rows checked",
                )
            )
        where = " AND ".join(f"{name.strip()} = ?" for name in key.split(","))
        for values in keys:
            if values in checked:
                continue
            try:
                row = conn.execute(
                    f"SELECT {key}, {columns} FROM {table} WHERE {where}", values
                ).first()
            except sqlite3.Error as error:
                named = ", ".join(one_line(value) for value in values)
                problems.append(
                    Problem(
                        "row.unreadable",
                        f"table {table}, row {named}: cannot be read ({_sqlite_message(error)})",
                    )
                )
                continue
            if row is not None:
                self._check_row(problems, check, row)
        return problems

    @staticmethod
    def _check_row(problems: list[Problem], check: Callable[[Row], None], row: Row) -> None:
        try:
            check(row)
        except RecordDamaged as error:
            problems.append(Problem("record.damaged", one_line(error), error.record))
        except KindcheckError as error:
            problems.append(Problem("record.damaged", one_line(error)))

    def _check_slots(self, conn: Connection, state: VaultState | None) -> list[Problem]:
        """Every key slot: it parses, its kind and cost settings are sound, and (storage
        schema 3) it is exactly the slot the state's digest says. Each damaged slot is named
        with what to do; the other slot still opens the vault."""
        problems: list[Problem] = []
        expected = state.slots if state is not None and state.has_ledger else None
        present: set[str] = set()
        try:
            rows = conn.execute("SELECT id, kind, slot FROM key_slot").all()
        except sqlite3.Error as error:
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
        elif row.name == "releases":
            opened = _open_sealed(
                cipher, "meta/releases", "meta", "releases", row.value, row.format_version
            )
            seen.written("meta/releases", opened.generation)
        elif row.name == "caseload":
            # The caseload summary (.summaries) must open, and be the one the state record
            # says was written last (ledger_problems); each entry is checked against the
            # ledger when it is used.
            seen.caseload_row = True
            opened = _open_sealed(
                cipher, "meta/caseload", "meta", "caseload", row.value, row.format_version
            )
            seen.caseload = opened.generation
            seen.caseload_readable = True
            seen.written("meta/caseload", opened.generation)
        elif row.name == "caseload_due":
            # Its due part: written only with it, so of the same generation (it may be
            # missing: any other write of the summary deletes it).
            opened = _open_sealed(
                cipher, "meta/caseload_due", "meta", "caseload_due", row.value, row.format_version
            )
            seen.caseload_due = opened.generation
            seen.written("meta/caseload_due", opened.generation)
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

    def _check_session_row(
        self,
        seen: Seen,
        check_facts: CheckFacts | None,
        facts_current: Callable[[Any], bool] | None,
        row: _SessionRowColumns,
    ) -> None:
        seen.session_rows[row.id] = row.client_id
        cipher = self._require_open()
        header, body, steps = (
            _open_header(cipher, row),
            _open_body(cipher, row),
            _open_steps(cipher, row),
        )
        session = _session_from(row, header.value, body.value)
        taken = _steps_taken(_steps_from(row, steps.value))
        seen.sessions[row.id] = (header.generation, body.generation, steps.generation)
        for opened in (header, body, steps):
            seen.written(f"session/{row.id}", opened.generation)
        stored = seen.facts.get(row.id)
        if stored is not None and stored.client_id == row.client_id:
            seen.facts_matched.add(row.id)
            expected = None
            amendments = seen.amendments_of(row.id)
            # With an amendment unreadable (named already) the answers it leaves are unknown.
            if (
                check_facts is not None
                and stored.facts is not None
                and amendments is not None
                and (facts_current is None or facts_current(stored.facts))
            ):
                expected = facts_value(check_facts(session, amendments))
            _compare_facts(stored, session, taken, expected)

    def _check_facts_row(self, seen: Seen, row: FactsColumns) -> None:
        seen.facts_rows[row.id] = row.client_id
        stored, generation = _decode_facts_values(
            facts_opener(self._require_open()), row.client_id, row.id, row.format_version, row.data
        )
        seen.facts[row.id] = stored
        seen.written(f"session_facts/{row.id}", generation)

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
        seen.amendment_records.append(_amendment_from(row, opened.value))
        seen.amendments[row.id] = opened.generation
        seen.written(f"amendment/{row.id}", opened.generation)

    def _check_log_row(self, seen: Seen, row: _LogRowColumns) -> None:
        entry, generation = _open_entry(self._require_open(), row)
        seen.log_entries.append((row.position, entry))
        seen.written(f"access_log/{row.id}", generation)


_TABLE_NAMES: Final = "SELECT name FROM sqlite_master WHERE type = 'table'"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the pass: what the pass keeps of every record
    (ids, generations, the log's entries) grows to hundreds of thousands of objects, none in a
    cycle, and the collector walked all of them again and again (a tenth of verify's time at
    10,000 sessions, more with more). On again afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compare_facts(
    stored: StoredFacts,
    session: StoredSession,
    taken: int,
    expected: Any,
) -> None:
    """A facts record against its session: RecordDamaged naming what differs."""
    summary = session.summary
    differs = []
    if stored.session_date != summary.session_date or stored.saved_at != summary.saved_at:
        differs.append("its date")
    if stored.meldcode_steps != taken:
        differs.append("its Meldcode steps")
    if expected is not None and stored.facts != expected:
        differs.append("what it counts")
    if differs:
        raise _damaged(
            f"session_facts/{stored.session_id}",
            "does not agree with its session ("
            + ", ".join(differs)
            + "): it was changed or put back from an older copy; reports would count it wrongly",
        )


def _check_file(conn: Connection) -> list[Problem]:
    """integrity_check, foreign keys and the application id, as report lines."""
    problems: list[Problem] = []
    try:
        for (line,) in conn.driver.execute("PRAGMA integrity_check(100)"):
            if line != "ok":
                problems.append(Problem("file", f"the database file: {one_line(line)}"))
    except sqlite3.Error as error:
        problems.append(Problem("file", f"the database file is damaged ({_sqlite_message(error)})"))
    try:
        for row in conn.driver.execute("PRAGMA foreign_key_check"):
            problems.append(
                Problem(
                    "file",
                    f"a row of {one_line(row[0])} (row {one_line(row[1])}) refers to a missing "
                    f"{one_line(row[2])}",
                )
            )
        if conn.execute("PRAGMA application_id").scalar_one() != APPLICATION_ID:
            problems.append(
                Problem("file", "the database file: its application id is not Kindcheck's")
            )
    except sqlite3.Error as error:
        problems.append(Problem("file", f"the database file is damaged ({_sqlite_message(error)})"))
    return problems
