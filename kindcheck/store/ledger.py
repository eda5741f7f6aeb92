"""The vault's ledger: which records exist, and which generation wrote each.

Every write transaction has one generation (the state's, plus one) and every record it writes
carries it inside its envelope (:mod:`.envelope`). Three levels say which records should exist
and how new each should be:

- the **state** record (``meta/state``, :class:`~.audit.VaultState`) holds the directory of
  clients (client id -> generation of the client's record), the drafts (id -> generation),
  the profile's generation and a digest of every key slot, next to the log's head;
- each **client** record holds its *manifest*: its sessions (session id -> [generation of its
  header and body, generation of its Meldcode steps]), its plan ([plan id, generation], or
  null) and (storage schema 5) the amendments of each session, in order (session id ->
  [[amendment id, generation], ...]; a record without the key has none);
- every other record carries its own generation.

So a write to a session, its Meldcode steps or a plan also rewrites its client's record, and
every write rewrites the state (it did already, for the generation and the log's head).
:class:`Ledger` collects one transaction's changes and writes them at its end; verify compares
the three levels with the rows (:mod:`.consistency`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store import schema
from kindcheck.store.audit import (
    CLIENT_ID,
    StateCache,
    VaultState,
    _open_entry,
    _open_state,
    _write_state,
    slot_digest,
)
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.records import _client_from, _damaged, _open_client, _open_sealed
from kindcheck.store.sqlite import Connection
from kindcheck.vault import RecordCipher

NO_PLAN: Final = None


def manifest_of(data: dict[str, Any]) -> tuple[dict[str, list[int]], list[Any] | None] | None:
    """A client record's manifest (sessions, plan), or None if it has none or a malformed one
    (a record written before storage schema 3, or damaged)."""
    sessions, plan = data.get("sessions"), data.get("plan", NO_PLAN)
    if not isinstance(sessions, dict):
        return None
    for session_id, generations in sessions.items():
        if (
            not isinstance(session_id, str)
            or not isinstance(generations, list)
            or len(generations) != 2
            or not all(_is_generation(value) for value in generations)
        ):
            return None
    if plan is not None and (
        not isinstance(plan, list)
        or len(plan) != 2
        or not isinstance(plan[0], str)
        or not _is_generation(plan[1])
    ):
        return None
    return sessions, plan


def amendments_of(data: dict[str, Any]) -> dict[str, list[list[Any]]] | None:
    """A client record's amendments per session, in order (empty when the record has none,
    as every record written before storage schema 5); None when the list is malformed."""
    found = data.get("amendments", {})
    if not isinstance(found, dict):
        return None
    for session_id, listed in found.items():
        if not isinstance(session_id, str) or not isinstance(listed, list):
            return None
        for item in listed:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not _is_generation(item[1])
            ):
                return None
    return found


def _is_generation(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def client_record(reference: str, name: str | None, created_at: str) -> dict[str, Any]:
    """A new client's record: who it is, and an empty manifest."""
    return {
        "reference": reference,
        "name": name,
        "created_at": created_at,
        "sessions": {},
        "plan": NO_PLAN,
    }


class Ledger:
    """One write transaction's view of the ledger: read lazily, written once by :meth:`finish`."""

    def __init__(
        self, cipher: RecordCipher, state: VaultState, cache: StateCache | None = None
    ) -> None:
        if state.clients is None:
            raise VaultError("the vault's state record has no ledger")
        self.state = state
        self.generation = state.generation + 1
        self._cipher = cipher
        self._cache = cache
        self._records: dict[str, dict[str, Any]] = {}  # client id -> its record's JSON
        self._dirty: set[str] = set()
        self.finished = False

    # -- client records and their manifests ----------------------------------------------------

    def client(self, conn: Connection, client_id: str) -> dict[str, Any]:
        """The client's record (JSON with its manifest), read once per transaction.
        VaultError for no such client; RecordDamaged when it cannot be read, or has no
        manifest: nothing of the client is then written (its record cannot be kept in step)."""
        if client_id not in self._records:
            row = conn.execute(
                "SELECT id, ref_index, format_version, data FROM client WHERE id = ?",
                (client_id,),
            ).first()
            if row is None:
                raise VaultError("no such client")
            data = dict(_open_client(self._cipher, row).value)
            _client_from(row, data)
            if manifest_of(data) is None or amendments_of(data) is None:
                raise _damaged(f"client/{client_id}")
            self._records[client_id] = data
        return self._records[client_id]

    def client_added(self, client_id: str, data: dict[str, Any]) -> None:
        """A client row was inserted, sealed with this transaction's generation."""
        self._records[client_id] = data
        self.state.set_client(client_id, self.generation)

    def client_changed(self, conn: Connection, client_id: str, **fields: Any) -> None:
        self.client(conn, client_id).update(fields)
        self._dirty.add(client_id)

    def client_removed(self, client_id: str) -> None:
        self._records.pop(client_id, None)
        self._dirty.discard(client_id)
        self.state.drop_client(client_id)

    def session_saved(self, conn: Connection, client_id: str, session_id: str) -> None:
        self.client(conn, client_id)["sessions"][session_id] = [self.generation, self.generation]
        self._dirty.add(client_id)

    def steps_saved(self, conn: Connection, client_id: str, session_id: str) -> None:
        sessions = self.client(conn, client_id)["sessions"]
        content = sessions.get(session_id, [0, 0])[0]
        sessions[session_id] = [content, self.generation]
        self._dirty.add(client_id)

    def content_saved(self, conn: Connection, client_id: str, session_id: str) -> None:
        """A session's header and body were sealed again (its Meldcode steps were not)."""
        sessions = self.client(conn, client_id)["sessions"]
        steps = sessions.get(session_id, [0, 0])[1]
        sessions[session_id] = [self.generation, steps]
        self._dirty.add(client_id)

    def amendment_saved(
        self, conn: Connection, client_id: str, session_id: str, amendment_id: str
    ) -> None:
        """An amendment of the session was added, after the ones before it."""
        record = self.client(conn, client_id)
        record.setdefault("amendments", {}).setdefault(session_id, []).append(
            [amendment_id, self.generation]
        )
        self._dirty.add(client_id)

    def session_moved(
        self, conn: Connection, source_id: str, target_id: str, session_id: str
    ) -> None:
        """A session (its rows sealed again for its new client) and its amendments move from
        one client's manifest to the other's."""
        source, target = self.client(conn, source_id), self.client(conn, target_id)
        source["sessions"].pop(session_id, None)
        listed = source.get("amendments", {}).pop(session_id, [])
        target["sessions"][session_id] = [self.generation, self.generation]
        if listed:
            target.setdefault("amendments", {})[session_id] = listed
        self._dirty.update((source_id, target_id))

    def plan_saved(self, conn: Connection, client_id: str, plan_id: str | None) -> None:
        record = self.client(conn, client_id)
        record["plan"] = NO_PLAN if plan_id is None else [plan_id, self.generation]
        self._dirty.add(client_id)

    def check_client(self, conn: Connection, client_id: str) -> None:
        """Before writing a client's session or plan: its record must be readable."""
        self.client(conn, client_id)

    # -- the rest of the state -----------------------------------------------------------------

    def draft_saved(self, draft_id: str) -> None:
        self.state.drafts[draft_id] = self.generation

    def draft_removed(self, draft_id: str) -> None:
        self.state.drafts.pop(draft_id, None)

    def slots_changed(self, conn: Connection) -> None:
        self.state.slots = _slot_digests(conn)

    def finish(self, conn: Connection) -> int:
        """End of the transaction: re-seal changed clients, write the state; the generation."""
        for client_id in sorted(self._dirty):
            blob = seal_json(
                self._cipher, "client", client_id, self._records[client_id], self.generation
            )
            conn.execute(
                "UPDATE client SET format_version = ?, data = ? WHERE id = ?",
                (RECORD_FORMAT, blob, client_id),
            )
            self.state.set_client(client_id, self.generation)
        self._dirty.clear()
        self.finished = True
        self.state.generation = self.generation
        self.state.schema_version = max(self.state.schema_version or 0, schema.SCHEMA_VERSION)
        _write_state(conn, self._cipher, self.state, self._cache)
        return self.generation


def _slot_digests(conn: Connection) -> dict[str, str]:
    rows = conn.execute("SELECT id, kind, slot FROM key_slot").all()
    return {str(row.id): slot_digest(str(row.kind), str(row.slot)) for row in rows}


# --------------------------------------------------------------------------------------------
# A state record that is missing or damaged, or older than the ledger


def load_state(
    conn: Connection, cipher: RecordCipher, cache: StateCache | None = None
) -> VaultState:
    """The state record for a write. A missing or damaged one (or one without a ledger in a
    vault that has one) is rebuilt from the records as they are, so saving does not stop over
    it, and the rebuild is noted inside the new record, so ``verify`` keeps reporting it."""
    try:
        state = _open_state(conn, cipher, cache)
        reason = "missing"
    except RecordDamaged:
        state, reason = None, "damaged"
    if state is not None:
        if state.has_ledger:
            return state
        reason = "from before storage schema 3"
    return rebuild_state(conn, cipher, reason)


def rebuild_state(conn: Connection, cipher: RecordCipher, reason: str) -> VaultState:
    """A state record made from the rows as they are now (clients' and drafts' generations,
    the profile's, every slot, the newest readable log entry), its generation the newest
    found. What was removed or put back before this cannot be told any more: the note says so."""
    newest = 0
    clients: dict[str, int] = {}
    for row in conn.execute("SELECT id, ref_index, format_version, data FROM client").all():
        if not CLIENT_ID.fullmatch(row.id):
            continue  # not an id Kindcheck made: verify names the row
        try:
            generation = _open_client(cipher, row).generation
        except RecordDamaged:
            continue  # verify names it; it is not in the directory
        clients[row.id] = generation or 0
        newest = max(newest, generation or 0)
    drafts: dict[str, int] = {}
    for row in conn.execute("SELECT id, ref_index, format_version, data FROM draft").all():
        name, parent = f"draft/{row.id}", f"{row.id}/{row.ref_index or '-'}"
        try:
            opened = _open_sealed(cipher, name, "draft", parent, row.data, row.format_version)
        except RecordDamaged:
            continue
        drafts[row.id] = opened.generation or 0
        newest = max(newest, opened.generation or 0)
    profile = None
    meta = conn.execute(
        "SELECT name, format_version, value FROM meta WHERE name = 'profile'"
    ).first()
    if meta is not None:
        try:
            opened = _open_sealed(
                cipher, "meta/profile", "meta", "profile", meta.value, meta.format_version
            )
            profile = opened.generation
            newest = max(newest, opened.generation or 0)
        except RecordDamaged:
            pass
    state = VaultState(generation=newest, clients=clients, drafts=drafts, profile=profile)
    releases = conn.execute(
        "SELECT name, format_version, value FROM meta WHERE name = 'releases'"
    ).first()
    if releases is not None:
        try:
            opened = _open_sealed(
                cipher, "meta/releases", "meta", "releases", releases.value, releases.format_version
            )
            state.releases = opened.generation
            head = opened.value.get("head")
            state.releases_head = head if isinstance(head, str) else None
            newest = max(newest, opened.generation or 0)
            state.generation = newest
        except RecordDamaged:
            pass
    state.schema_version = schema.SCHEMA_VERSION
    state.slots = _slot_digests(conn)
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_facts'"
    ).first():
        # which facts records are pending is not known here: complete_facts looks at all
        state.facts_pending = conn.execute("SELECT count(*) FROM session_facts").scalar_one()
    last = None
    for row in conn.execute(
        "SELECT id, position, format_version, data FROM access_log ORDER BY position DESC"
    ):
        try:
            last, generation = _open_entry(cipher, row)
        except RecordDamaged:
            continue
        state.generation = max(state.generation, generation or 0)
        break
    if last is not None:
        state.log_sequence, state.log_hash = last.sequence, last.hash
    after = "before its first entry" if last is None else f"after entry {last.sequence}"
    state.rebuilt.append(
        f"access log: the vault's record of the newest entry was {reason} and was rebuilt "
        f"{after} on {datetime.now(UTC):%Y-%m-%d}; entries after that point may be missing, "
        "and records deleted or put back before then can no longer be told"
    )
    return state
