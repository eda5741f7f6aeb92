"""The vault's own history: its state record, the access log and the rollback counter.

The access log (NEN 7513, SECURITY.md "Access log"): the store writes one encrypted,
hash-chained entry per action on client data in the same transaction as the action.

``meta/state`` (encrypted, like every record) holds the vault's *generation* (raised by one in
every committing write transaction, inside that transaction) and the *head* of the access
log's hash chain (sequence and hash of the newest entry), so a removed, edited, reordered or
cut-off entry is detected by verify (accesslog.verify_chain).

Rollback detection (SECURITY.md "Rollback detection"): a second copy of the generation lives
outside the data dir (:class:`_RollbackCounter`, in :func:`state_dir`); an unlock that finds
the vault older than that copy warns (:data:`ROLLBACK_WARNING`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, Protocol, TypedDict, TypeGuard

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from kindcheck.accesslog import ACTIONS, OUTCOMES, AccessEntry, new_entry
from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store import schema
from kindcheck.store.keys import _vault_id
from kindcheck.store.records import RECORD_FORMAT, _new_id, _now, _open_record
from kindcheck.store.schema import _LOG, _META, _run_migrations, _schema_version
from kindcheck.store.sqlite import _engine_for
from kindcheck.vault import RecordCipher

# The second copy of the vault's generation counter lives outside the data dir (see
# _RollbackCounter): in platformdirs' user_state_dir("kindcheck"), or here (tests, portable use).
STATE_DIR_ENV: Final = "KINDCHECK_STATE_DIR"
ROLLBACK_WARNING: Final = (
    "This vault is older than the last one opened on this computer (generation {found}, "
    "expected at least {expected}). If you restored a backup on purpose, this is expected; "
    "otherwise the file may have been replaced."
)


class VaultState(TypedDict):
    """The decrypted ``meta/state`` record."""

    generation: int
    log_sequence: int | None  # the newest access-log entry; None before the first
    log_hash: str | None
    rebuilt: list[str]  # notes on rebuilds of this record, reported by verify


class LogColumns(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def format_version(self) -> int: ...
    @property
    def data(self) -> bytes: ...


def _fresh_state(generation: int = 0) -> VaultState:
    return {"generation": generation, "log_sequence": None, "log_hash": None, "rebuilt": []}


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_state(data: dict[str, Any]) -> VaultState:
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
        raise RecordDamaged("record meta/state is damaged or was moved")
    return {
        "generation": generation,
        "log_sequence": sequence,
        "log_hash": head,
        "rebuilt": list(rebuilt),
    }


def _read_state(conn: Connection, cipher: RecordCipher) -> VaultState | None:
    """The state record; None when it is missing, RecordDamaged when it does not decrypt."""
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "state")
    ).first()
    if row is None:
        return None
    return _parse_state(
        _open_record(cipher, "meta/state", "meta", "state", row.value, row.format_version)
    )


def _write_state(conn: Connection, cipher: RecordCipher, state: VaultState) -> None:
    blob = cipher.encrypt_json("meta", "state", state, RECORD_FORMAT)
    changed = conn.execute(
        update(_META)
        .where(_META.c.name == "state")
        .values(format_version=RECORD_FORMAT, value=blob)
    )
    if not changed.rowcount:
        conn.execute(insert(_META).values(name="state", format_version=RECORD_FORMAT, value=blob))


def _load_state(conn: Connection, cipher: RecordCipher) -> VaultState:
    """The state record for a write. A missing or damaged one is rebuilt from the newest
    readable log entry (saving must not stop over it), and the rebuild is noted inside the
    new record, so ``verify`` keeps reporting it: entries cut off after that point could no
    longer be told from a complete log."""
    try:
        state = _read_state(conn, cipher)
        reason = "missing"
    except RecordDamaged:
        state, reason = None, "damaged"
    if state is not None:
        return state
    last: AccessEntry | None = None
    for row in conn.execute(select(_LOG).order_by(_LOG.c.position.desc())):
        try:
            last = _entry_from_row(cipher, row)
            break
        except RecordDamaged:
            continue
    state = _fresh_state()
    if last is not None:
        state["log_sequence"], state["log_hash"] = last.sequence, last.hash
    after = "before its first entry" if last is None else f"after entry {last.sequence}"
    state["rebuilt"].append(
        f"access log: the vault's record of the newest entry was {reason} and was rebuilt "
        f"{after} on {_now():%Y-%m-%d}; entries after that point may be missing"
    )
    return state


def _entry_from_row(cipher: RecordCipher, row: LogColumns) -> AccessEntry:
    name = f"access_log/{row.id}"
    data = _open_record(cipher, name, "access_log", row.id, row.data, row.format_version)
    try:
        entry = AccessEntry.from_dict(data)
    except (KeyError, TypeError):
        raise RecordDamaged(f"record {name} is damaged or was moved") from None
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
        raise RecordDamaged(f"record {name} is damaged or was moved")
    return entry


def _append_entry(
    conn: Connection,
    cipher: RecordCipher,
    state: VaultState,
    user: str,
    action: str,
    client_reference: str | None,
    detail: str,
    outcome: str,
) -> AccessEntry:
    """Add one entry after the head in ``state`` (updated here; the caller writes it)."""
    entry = new_entry(None, action, user, client_reference, str(detail), outcome)
    sequence, head = state["log_sequence"], state["log_hash"]
    if sequence is not None:
        assert head is not None  # the state record holds both or neither (_parse_state)
        entry = replace(entry, sequence=sequence + 1, previous_hash=head)
    row_id = _new_id()
    position = conn.execute(select(func.coalesce(func.max(_LOG.c.position), -1) + 1)).scalar_one()
    blob = cipher.encrypt_json("access_log", row_id, entry.to_dict(), RECORD_FORMAT)
    conn.execute(
        insert(_LOG).values(id=row_id, position=position, format_version=RECORD_FORMAT, data=blob)
    )
    state["log_sequence"], state["log_hash"] = entry.sequence, entry.hash
    return entry


def _profile_user(conn: Connection, cipher: RecordCipher) -> str:
    row = conn.execute(
        select(_META.c.format_version, _META.c.value).where(_META.c.name == "profile")
    ).first()
    if row is None:
        return "unknown"
    try:
        data = _open_record(
            cipher, "meta/profile", "meta", "profile", row.value, row.format_version
        )
    except RecordDamaged:
        return "unknown"
    return str(data.get("user_name") or "unknown")


def _log_into_file(
    db: Path, data_key: bytes, action: str, detail: str, outcome: str, *, own_key: bool
) -> int:
    """Append one entry to the vault file ``db`` (not open in a Store) in one transaction that
    also raises its generation; return the new generation.

    ``own_key``: the key came from this file's own key slot (a backup being restored), so an
    older schema is upgraded in the same transaction and a damaged state record rebuilt.
    Otherwise (another file that may or may not share the key) the state record must decrypt
    before anything is written (RecordDamaged if not) and an older schema is left alone."""
    cipher = RecordCipher(data_key)
    engine = _engine_for(db)
    try:
        with engine.begin() as conn:
            version = _schema_version(conn)
            if version < schema.SCHEMA_VERSION:
                if not own_key:
                    raise VaultError("the vault has an older schema")
                _run_migrations(conn, version, cipher)
            state = _load_state(conn, cipher) if own_key else _read_state(conn, cipher)
            if state is None:
                raise VaultError("the vault has no state record")
            _append_entry(
                conn, cipher, state, _profile_user(conn, cipher), action, None, detail, outcome
            )
            state["generation"] += 1
            _write_state(conn, cipher, state)
            return int(state["generation"])
    finally:
        engine.dispose()


def state_dir() -> Path:
    """Where the rollback counters live: KINDCHECK_STATE_DIR, else the platform's per-user
    state folder (platformdirs ``user_state_dir("kindcheck")``, e.g.
    ``~/.local/state/kindcheck`` on Linux)."""
    from_env = os.environ.get(STATE_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir("kindcheck", appauthor=False))


class _RollbackCounter:
    """The second copy of a vault's generation, outside the database file.

    A small JSON file in :func:`state_dir`, named by a value derived from the data key (so the
    name identifies the vault without revealing anything, and backups of one vault share it),
    holding the generation and an HMAC over it under another key derived from the data key:
    it cannot be forged or moved to another vault's name without the key, and it holds no
    client data. A file that fails its check is ignored (and replaced). Writing it is best
    effort: a read-only or missing state folder must never stop a save.
    """

    def __init__(self, data_key: bytes) -> None:
        vault_id = _vault_id(data_key)
        name = hashlib.sha256(f"kindcheck rollback counter {vault_id}".encode("ascii"))
        self._name = f"vault-{name.hexdigest()[:32]}.json"
        self._key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"kindcheck rollback counter v1",
        ).derive(data_key)

    @property
    def path(self) -> Path:
        return state_dir() / self._name

    def _mac(self, generation: int) -> str:
        message = f"kindcheck generation {self._name} {generation}".encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def read(self) -> int | None:
        try:
            with open(self.path, "rb") as handle:
                data = json.loads(handle.read(4096))
            generation, mac = data["generation"], data["mac"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _is_count(generation) or not isinstance(mac, str):
            return None
        if not hmac.compare_digest(mac, self._mac(generation)):
            return None
        return int(generation)

    def write(self, generation: int) -> None:
        path = self.path
        temporary = path.with_name(f".{path.name}.tmp")
        content = json.dumps(
            {
                "format": "kindcheck-generation",
                "version": 1,
                "generation": generation,
                "mac": self._mac(generation),
            }
        )
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            descriptor = os.open(
                temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                0o600,
            )
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(content)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
