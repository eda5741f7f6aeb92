"""Storage schema 2 -> 3: every record re-sealed as format 2, and the ledger built; 3 -> 4:
the facts records (:func:`add_facts`).

Runs inside the migration's one transaction: all records are re-sealed (generation = the old
state's generation + 1, padding), every client record gets its manifest, and the state gets
the directory of clients, the drafts, the profile's generation and the slot digests. Log
entries are re-sealed too (padded: a Meldcode step's entry is longer than a read's), their
content and so the hash chain unchanged.

A record that does not decrypt is left exactly as it is (format 1): verify keeps naming it. Its
place in the ledger says "unknown" (generation 0) where the ledger must list it (a session or
plan of a readable client); a damaged client record cannot get a manifest, so its sessions and
plan are not checked against one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from kindcheck.errors import RecordDamaged
from kindcheck.store import schema
from kindcheck.store.audit import (
    CLIENT_ID,
    VaultState,
    _open_entry,
    _open_state,
    _write_state,
    slot_digest,
)
from kindcheck.store.envelope import RECORD_FORMAT, seal_json
from kindcheck.store.facts import FACTS_LABEL, StoredFacts, _facts_data, _steps_taken
from kindcheck.store.records import (
    _client_from,
    _open_body,
    _open_client,
    _open_header,
    _open_plan,
    _open_sealed,
    _open_steps,
    _steps_from,
    _summary_from,
)
from kindcheck.store.sqlite import Connection, Row
from kindcheck.vault import RecordCipher

_CHUNK: Final = 500  # rows per SELECT: bounded memory for large vaults


_COLUMNS: Final = {
    "client": "id, ref_index, format_version, data",
    "session": "id, client_id, format_version, header, body, meldcode",
    "followup_plan": "id, client_id, format_version, data",
    "draft": "id, ref_index, format_version, data",
    "access_log": "id, position, format_version, data",
}


def _rows(conn: Connection, table: str) -> Iterator[Row]:
    """Every row of ``table`` (one of :data:`_COLUMNS`), in chunks of one constant query."""
    last = 0
    query = f"SELECT rowid AS rowid_, {_COLUMNS[table]} FROM {table} WHERE rowid > ? "
    query += "ORDER BY rowid LIMIT ?"
    while True:
        rows = conn.execute(query, (last, _CHUNK)).all()
        if not rows:
            return
        last = rows[-1].rowid_
        yield from rows


def reseal_all(conn: Connection, cipher: RecordCipher) -> None:
    try:
        old = _open_state(conn, cipher)
    except RecordDamaged:
        old = None
    generation = (old.generation if old is not None else 0) + 1

    def seal(label: str, record_id: str, value: dict[str, Any]) -> bytes:
        return seal_json(cipher, label, record_id, value, generation)

    clients: dict[str, dict[str, Any]] = {}
    for row in _rows(conn, "client"):
        if not CLIENT_ID.fullmatch(row.id):
            continue  # not an id Kindcheck made: left as it is, verify names it
        try:
            data = dict(_open_client(cipher, row).value)
            _client_from(row, data)
        except RecordDamaged:
            continue
        data.update(sessions={}, plan=None)
        clients[row.id] = data

    for row in _rows(conn, "session"):
        parent = f"{row.id}/{row.client_id}"
        try:
            header = _open_header(cipher, row).value
            body = _open_body(cipher, row).value
            steps = _open_steps(cipher, row).value
        except RecordDamaged:
            resealed = 0
        else:
            conn.execute(
                "UPDATE session SET format_version = ?, header = ?, body = ?, meldcode = ? "
                "WHERE id = ?",
                (
                    RECORD_FORMAT,
                    seal("session.header", parent, header),
                    seal("session.body", parent, body),
                    seal("session.meldcode", parent, steps),
                    row.id,
                ),
            )
            resealed = generation
        if row.client_id in clients:
            clients[row.client_id]["sessions"][row.id] = [resealed, resealed]

    for row in _rows(conn, "followup_plan"):
        try:
            plan = _open_plan(cipher, row).value
        except RecordDamaged:
            resealed = 0
        else:
            blob = seal("followup_plan", f"{row.id}/{row.client_id}", plan)
            conn.execute(
                "UPDATE followup_plan SET format_version = ?, data = ? WHERE id = ?",
                (RECORD_FORMAT, blob, row.id),
            )
            resealed = generation
        if row.client_id in clients:
            clients[row.client_id]["plan"] = [row.id, resealed]

    drafts: dict[str, int] = {}
    for row in _rows(conn, "draft"):
        parent = f"{row.id}/{row.ref_index or '-'}"
        try:
            draft = _open_sealed(
                cipher, f"draft/{row.id}", "draft", parent, row.data, row.format_version
            ).value
        except RecordDamaged:
            continue
        conn.execute(
            "UPDATE draft SET format_version = ?, data = ? WHERE id = ?",
            (RECORD_FORMAT, seal("draft", parent, draft), row.id),
        )
        drafts[row.id] = generation

    last = None
    for row in _rows(conn, "access_log"):
        try:
            entry, _generation = _open_entry(cipher, row)
        except RecordDamaged:
            continue
        conn.execute(
            "UPDATE access_log SET format_version = ?, data = ? WHERE id = ?",
            (RECORD_FORMAT, seal("access_log", row.id, entry.to_dict()), row.id),
        )
        last = entry

    profile = None
    meta = conn.execute(
        "SELECT name, format_version, value FROM meta WHERE name = 'profile'"
    ).first()
    if meta is not None:
        try:
            value = _open_sealed(
                cipher, "meta/profile", "meta", "profile", meta.value, meta.format_version
            ).value
        except RecordDamaged:
            pass
        else:
            conn.execute(
                "UPDATE meta SET format_version = ?, value = ? WHERE name = 'profile'",
                (RECORD_FORMAT, seal("meta", "profile", value)),
            )
            profile = generation

    for client_id, data in clients.items():
        conn.execute(
            "UPDATE client SET format_version = ?, data = ? WHERE id = ?",
            (RECORD_FORMAT, seal("client", client_id, data), client_id),
        )

    state = VaultState(
        generation=generation,
        schema_version=max(3, schema.SCHEMA_VERSION),
        clients=dict.fromkeys(clients, generation),
        drafts=drafts,
        profile=profile,
        slots={
            str(slot.id): slot_digest(str(slot.kind), str(slot.slot))
            for slot in conn.execute("SELECT id, kind, slot FROM key_slot")
        },
    )
    if old is not None:
        state.log_sequence, state.log_hash = old.log_sequence, old.log_hash
        state.rebuilt = list(old.rebuilt)
    elif last is not None:
        state.log_sequence, state.log_hash = last.sequence, last.hash
        state.rebuilt.append(
            f"access log: the vault's record of the newest entry was missing or damaged at the "
            f"upgrade to storage schema 3 and was rebuilt after entry {last.sequence}; entries "
            "after that point may be missing"
        )
    _write_state(conn, cipher, state)


def add_facts(conn: Connection, cipher: RecordCipher) -> None:
    """A facts record for every session that can be read (:mod:`.facts`): its date and saved
    time from its header, its Meldcode steps taken, its facts pending; sealed with the state's
    generation + 1, which the state then gets, with the number pending. A session that does
    not decrypt gets none (verify names the session, and its missing facts). A state record
    that cannot be read is rebuilt after the upgrade (:func:`.ledger.rebuild_state`, which
    counts every facts record as pending): the records get generation 0 meanwhile."""
    try:
        state = _open_state(conn, cipher)
    except RecordDamaged:
        state = None
    if state is not None and not state.has_ledger:
        state = None
    generation = 0 if state is None else state.generation + 1
    pending = 0
    for row in _rows(conn, "session"):
        try:
            summary = _summary_from(row, _open_header(cipher, row).value)
            steps = _steps_from(row, _open_steps(cipher, row).value)
        except RecordDamaged:
            continue
        stored = StoredFacts(
            row.id, row.client_id, summary.session_date, summary.saved_at, _steps_taken(steps), None
        )
        blob = seal_json(
            cipher, FACTS_LABEL, f"{row.id}/{row.client_id}", _facts_data(stored), generation
        )
        conn.execute(
            "INSERT INTO session_facts (client_id, id, format_version, data) VALUES (?, ?, ?, ?)",
            (row.client_id, row.id, RECORD_FORMAT, blob),
        )
        pending += 1
    if state is not None:
        state.generation = generation
        state.facts_pending = pending
        _write_state(conn, cipher, state)
