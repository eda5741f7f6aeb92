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

import base64
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Protocol

from kindcheck.accesslog import ACTIONS, OUTCOMES, AccessEntry, new_entry
from kindcheck.errors import RecordDamaged
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.records import _damaged, _new_id, _open_sealed
from kindcheck.store.sqlite import Connection
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
    # Facts records written without facts (storage schema 4, see .facts): at most this many
    # are pending; complete_facts counts them exactly again.
    facts_pending: int = 0
    # The format of the facts records' content, as the layer above last gave it to
    # complete_facts (opaque here). None: not given yet (a vault from before it was kept).
    facts_format: int | None = None
    # The generation of meta/releases, the export's release ledger (None: nothing released),
    # and the hash of its newest release: a ledger put back from an older copy is refused.
    releases: int | None = None
    releases_head: str | None = None
    # The generation of meta/caseload, the caseload summary (None: none written since this
    # was kept): a summary put back from an older copy is not trusted.
    caseload: int | None = None
    # The directory as stored (packed_clients of ``clients``), kept while ``clients`` is
    # unchanged: most transactions (a logged read, a draft) do not change it.
    packed: str | None = field(default=None, compare=False, repr=False)

    @property
    def has_ledger(self) -> bool:
        return self.clients is not None

    def set_client(self, client_id: str, generation: int) -> None:
        assert self.clients is not None
        if self.clients.get(client_id) != generation:
            self.clients[client_id] = generation
            self.packed = None

    def drop_client(self, client_id: str) -> None:
        assert self.clients is not None
        if self.clients.pop(client_id, None) is not None:
            self.packed = None

    def copy(self) -> VaultState:
        return replace(
            self,
            rebuilt=list(self.rebuilt),
            clients=None if self.clients is None else dict(self.clients),
            drafts=dict(self.drafts),
            slots=dict(self.slots),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "generation": self.generation,
            "log_sequence": self.log_sequence,
            "log_hash": self.log_hash,
            "rebuilt": list(self.rebuilt),
        }
        if self.clients is not None:
            if self.packed is None:
                self.packed = pack_clients(self.clients)
            data.update(
                schema_version=self.schema_version,
                clients=self.packed,
                drafts=self.drafts,
                profile=self.profile,
                slots=self.slots,
            )
            if self.facts_pending:
                data["facts_pending"] = self.facts_pending
            if self.facts_format is not None:
                data["facts_format"] = self.facts_format
            if self.releases is not None:
                data["releases"] = self.releases
                data["releases_head"] = self.releases_head
            if self.caseload is not None:
                data["caseload"] = self.caseload
        return data


_ENTRY: Final = 22  # 16 bytes of client id, 6 of generation
CLIENT_ID: Final = re.compile(r"[0-9a-f]{32}")  # the ids Kindcheck makes (uuid4 hex)


def pack_clients(clients: dict[str, int]) -> str:
    """The directory as one base64 text: per client (by id) its 16-byte id and a 6-byte
    generation. A third of the size of a JSON object, and one string to encode."""
    return base64.b64encode(
        b"".join(
            bytes.fromhex(client_id) + generation.to_bytes(6, "big")
            for client_id, generation in sorted(clients.items())
        )
    ).decode("ascii")


def _unpack_clients(text: object) -> dict[str, int] | None:
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) % _ENTRY:
        return None
    return {
        raw[start : start + 16].hex(): int.from_bytes(raw[start + 16 : start + _ENTRY], "big")
        for start in range(0, len(raw), _ENTRY)
    }


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
    """A JSON object of non-negative whole numbers, or None if it is anything else. (Keys of
    a JSON object are always text. Written for speed: the directory has one per client.)"""
    if not isinstance(value, dict):
        return None
    numbers = value.values()
    if not all(type(number) is int for number in numbers) or min(numbers, default=0) < 0:
        return None
    return value


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
    clients, drafts = _unpack_clients(data.get("clients")), _counts(data.get("drafts"))
    profile, version, slots = data.get("profile"), data.get("schema_version"), data.get("slots")
    pending = data.get("facts_pending", 0)
    if (
        clients is None
        or drafts is None
        or not (profile is None or _is_count(profile))
        or not _is_count(version)
        or not _is_count(pending)
        or not isinstance(slots, dict)
        or not all(isinstance(key, str) and isinstance(v, str) for key, v in slots.items())
    ):
        raise damaged
    state.clients, state.drafts, state.slots = clients, drafts, dict(slots)
    state.packed = str(data["clients"])
    state.profile, state.schema_version = profile, version
    state.facts_pending = pending
    facts_format = data.get("facts_format")
    if not (facts_format is None or _is_count(facts_format)):
        raise damaged
    state.facts_format = facts_format
    releases, releases_head = data.get("releases"), data.get("releases_head")
    if not (releases is None or _is_count(releases)) or not (
        releases_head is None or isinstance(releases_head, str)
    ):
        raise damaged
    state.releases, state.releases_head = releases, releases_head
    caseload = data.get("caseload")
    if not (caseload is None or _is_count(caseload)):
        raise damaged
    state.caseload = caseload
    return state


class StateCache:
    """The state record last read or written by this store, decrypted: a transaction whose
    state row still holds exactly that ciphertext uses a copy instead of decrypting and
    parsing it again (the directory has one entry per client)."""

    def __init__(self) -> None:
        self._blob: bytes | None = None
        self._state: VaultState | None = None

    def get(self, blob: bytes) -> VaultState | None:
        if self._state is None or self._blob != blob:
            return None
        return self._state.copy()

    def put(self, blob: bytes, state: VaultState) -> None:
        self._blob, self._state = bytes(blob), state.copy()


def _open_state(
    conn: Connection, cipher: RecordCipher, cache: StateCache | None = None
) -> VaultState | None:
    """The state record; None when it is missing, RecordDamaged when it does not decrypt."""
    row = conn.execute("SELECT format_version, value FROM meta WHERE name = 'state'").first()
    if row is None:
        return None
    blob = bytes(row.value)
    if cache is not None and row.format_version == RECORD_FORMAT:
        cached = cache.get(blob)
        if cached is not None:
            return cached
    opened = _open_sealed(cipher, "meta/state", "meta", "state", blob, row.format_version)
    state = _parse_state(opened.value)
    if opened.generation is not None and opened.generation != state.generation:
        raise _damaged("meta/state")
    if cache is not None and opened.generation is not None:
        cache.put(blob, state)
    return state


def _read_state(conn: Connection, cipher: RecordCipher) -> VaultState | None:
    """The state record; None when it is missing, RecordDamaged when it does not decrypt."""
    return _open_state(conn, cipher)


def _write_state(
    conn: Connection, cipher: RecordCipher, state: VaultState, cache: StateCache | None = None
) -> None:
    blob = seal_json(cipher, "meta", "state", state.to_json(), state.generation)
    changed = conn.execute(
        "UPDATE meta SET format_version = ?, value = ? WHERE name = 'state'",
        (RECORD_FORMAT, blob),
    )
    if not changed.rowcount:
        conn.execute(
            "INSERT INTO meta (name, format_version, value) VALUES ('state', ?, ?)",
            (RECORD_FORMAT, blob),
        )
    if cache is not None:
        cache.put(blob, state)


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
    position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM access_log").scalar_one()
    blob = seal_json(cipher, "access_log", row_id, entry.to_dict(), generation)
    conn.execute(
        "INSERT INTO access_log (id, position, format_version, data) VALUES (?, ?, ?, ?)",
        (row_id, position, RECORD_FORMAT, blob),
    )
    state.log_sequence, state.log_hash = entry.sequence, entry.hash
    return entry


def _profile_user(conn: Connection, cipher: RecordCipher) -> str:
    row = conn.execute("SELECT format_version, value FROM meta WHERE name = 'profile'").first()
    if row is None:
        return "unknown"
    try:
        opened = _open_sealed(
            cipher, "meta/profile", "meta", "profile", row.value, row.format_version
        )
    except RecordDamaged:
        return "unknown"
    return str(opened.value.get("user_name") or "unknown")
