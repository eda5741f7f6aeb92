"""The vault's own history: its state record and the access log.

The access log (NEN 7513, SECURITY.md "Access log"): the store writes one encrypted,
hash-chained entry per action on client data in the same transaction as the action.

``meta/state`` (encrypted, like every record, and sealed with its generation) holds

- the vault's *generation*, raised by one in every committing write transaction, inside that
  transaction; every record written in it carries the same generation in its envelope
  (:mod:`.envelope`);
- the *head* of the access log's hash chain (sequence and hash of the newest entry), so a
  removed, edited, reordered or cut-off entry is detected by verify
  (accesslog.verify_chain);
- the vault's *ledger* (storage schema 3): the directory of clients (id -> the generation of
  the client's record; each client record in turn lists its sessions and plan with theirs, see
  :mod:`.ledger`), the drafts, the profile's generation and a digest of every key slot. With
  it, verify names a record that was removed, added, or put back older than it should be.

The rollback counter outside the file is :mod:`.rollback`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from kindcheck.accesslog import ACTIONS, OUTCOMES, AccessEntry, new_entry
from kindcheck.errors import RecordDamaged
from kindcheck.store.envelope import RECORD_FORMAT, Opened, seal_json
from kindcheck.store.records import _damaged, _new_id, _open_sealed
from kindcheck.store.schema import _LOG, _META
from kindcheck.vault import RecordCipher


@dataclass
class VaultState:
    """The decrypted ``meta/state`` record. ``clients`` is None for a state written before
    storage schema 3 (no ledger yet)."""

    generation: int
    log_sequence: int | None = None  # the newest access-log entry; None before the first
    log_hash: str | None = None
    rebuilt: list[str] = field(default_factory=list)  # notes verify keeps reporting
    schema_version: int | None = None
    clients: dict[str, int] | None = None  # client id -> generation of its record
    drafts: dict[str, int] = field(default_factory=dict)  # draft id -> generation
    profile: int | None = None  # generation of meta/profile
    slots: dict[str, str] = field(default_factory=dict)  # key slot id -> slot_digest

    @property
    def has_ledger(self) -> bool:
        return self.clients is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "generation": self.generation,
            "log_sequence": self.log_sequence,
            "log_hash": self.log_hash,
            "rebuilt": list(self.rebuilt),
        }
        if self.clients is not None:
            data.update(
                schema_version=self.schema_version,
                clients=self.clients,
                drafts=self.drafts,
                profile=self.profile,
                slots=self.slots,
            )
        return data


class LogColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _counts(value: object) -> dict[str, int] | None:
    """A JSON object of non-negative whole numbers, or None if it is anything else."""
    if not isinstance(value, dict):
        return None
    if not all(isinstance(key, str) and _is_count(number) for key, number in value.items()):
        return None
    return {str(key): int(number) for key, number in value.items()}


def _parse_state(data: dict[str, Any]) -> VaultState:
    damaged = RecordDamaged("record meta/state is damaged or was moved", record="meta/state")
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
        raise damaged
    assert isinstance(generation, int)
    state = VaultState(generation, sequence, head, [str(note) for note in rebuilt])
    if "clients" not in data:
        return state  # written before storage schema 3
    clients, drafts = _counts(data.get("clients")), _counts(data.get("drafts"))
    profile, version, slots = data.get("profile"), data.get("schema_version"), data.get("slots")
    if (
        clients is None
        or drafts is None
        or not (profile is None or _is_count(profile))
        or not _is_count(version)
        or not isinstance(slots, dict)
        or not all(isinstance(key, str) and isinstance(v, str) for key, v in slots.items())
    ):
        raise damaged
    state.clients, state.drafts, state.slots = clients, drafts, dict(slots)
    state.profile, state.schema_version = profile, version
    return state


def _open_state(conn: Connection, cipher: RecordCipher) -> tuple[VaultState, Opened] | None:
    """The state record and its envelope; None when it is missing, RecordDamaged when it
    does not decrypt."""
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "state")
    ).first()
    if row is None:
        return None
    opened = _open_sealed(cipher, "meta/state", "meta", "state", row.value, row.format_version)
    state = _parse_state(opened.value)
    if opened.generation is not None and opened.generation != state.generation:
        raise _damaged("meta/state")
    return state, opened


def _read_state(conn: Connection, cipher: RecordCipher) -> VaultState | None:
    """The state record; None when it is missing, RecordDamaged when it does not decrypt."""
    found = _open_state(conn, cipher)
    return None if found is None else found[0]


def _write_state(conn: Connection, cipher: RecordCipher, state: VaultState) -> None:
    blob = seal_json(cipher, "meta", "state", state.to_json(), state.generation)
    changed = conn.execute(
        update(_META)
        .where(_META.c.name == "state")
        .values(format_version=RECORD_FORMAT, value=blob)
    )
    if not changed.rowcount:
        conn.execute(insert(_META).values(name="state", format_version=RECORD_FORMAT, value=blob))


def slot_digest(kind: str, slot_json: str) -> str:
    """What the state keeps of a key slot: SHA-256 of its kind and document. The state is
    encrypted and authenticated, so a slot changed anywhere (even inside the base64 of its
    wrapped key, which no check without that slot's secret could see) no longer matches."""
    return hashlib.sha256(f"kindcheck key slot\n{kind}\n{slot_json}".encode()).hexdigest()


def _open_entry(cipher: RecordCipher, row: LogColumns) -> tuple[AccessEntry, int | None]:
    """An access-log entry and the generation that wrote it."""
    name = f"access_log/{row.id}"
    opened = _open_sealed(cipher, name, "access_log", row.id, row.data, row.format_version)
    try:
        entry = AccessEntry.from_dict(opened.value)
    except (KeyError, TypeError):
        raise _damaged(name) from None
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
        raise _damaged(name)
    return entry, opened.generation


def _entry_from_row(cipher: RecordCipher, row: LogColumns) -> AccessEntry:
    return _open_entry(cipher, row)[0]


def _append_entry(
    conn: Connection,
    cipher: RecordCipher,
    state: VaultState,
    generation: int,
    user: str,
    action: str,
    client_reference: str | None,
    detail: str,
    outcome: str,
    *,
    row_id: str | None = None,
    at: datetime | None = None,
) -> AccessEntry:
    """Add one entry after the head in ``state`` (updated here; the caller writes it),
    sealed with the transaction's ``generation``. ``row_id`` and ``at`` for an entry kept
    while the vault was read-only (:mod:`.pending`): its id and time as they were then."""
    entry = new_entry(None, action, user, client_reference, str(detail), outcome, at)
    sequence, head = state.log_sequence, state.log_hash
    if sequence is not None:
        assert head is not None  # the state record holds both or neither (_parse_state)
        entry = replace(entry, sequence=sequence + 1, previous_hash=head)
    row_id = row_id or _new_id()
    position = conn.execute(select(func.coalesce(func.max(_LOG.c.position), -1) + 1)).scalar_one()
    blob = seal_json(cipher, "access_log", row_id, entry.to_dict(), generation)
    conn.execute(
        insert(_LOG).values(id=row_id, position=position, format_version=RECORD_FORMAT, data=blob)
    )
    state.log_sequence, state.log_hash = entry.sequence, entry.hash
    return entry


def _profile_user(conn: Connection, cipher: RecordCipher) -> str:
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "profile")
    ).first()
    if row is None:
        return "unknown"
    try:
        opened = _open_sealed(
            cipher, "meta/profile", "meta", "profile", row.value, row.format_version
        )
    except RecordDamaged:
        return "unknown"
    return str(opened.value.get("user_name") or "unknown")
