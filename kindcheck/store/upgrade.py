"""Storage schema 2 -> 3: every record re-sealed as format 2, and the ledger built.

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

from sqlalchemy import Row, Table, select, update
from sqlalchemy.engine import Connection

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
from kindcheck.store.records import (
    _client_from,
    _open_body,
    _open_client,
    _open_header,
    _open_plan,
    _open_sealed,
    _open_steps,
)
from kindcheck.store.schema import (
    _CLIENTS,
    _DRAFTS,
    _LOG,
    _META,
    _PLANS,
    _SESSIONS,
    _SLOTS,
    _rowid_col,
)
from kindcheck.vault import RecordCipher

_CHUNK: Final = 500  # rows per SELECT: bounded memory for large vaults


def _rows(conn: Connection, table: Table) -> Iterator[Row[Any]]:
    last = 0
    while True:
        rows = conn.execute(
            select(_rowid_col.label("rowid_"), table)
            .where(last < _rowid_col)
            .order_by(_rowid_col)
            .limit(_CHUNK)
        ).all()
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
    for row in _rows(conn, _CLIENTS):
        if not CLIENT_ID.fullmatch(row.id):
            continue  # not an id Kindcheck made: left as it is, verify names it
        try:
            data = dict(_open_client(cipher, row).value)
            _client_from(row, data)
        except RecordDamaged:
            continue
        data.update(sessions={}, plan=None)
        clients[row.id] = data

    for row in _rows(conn, _SESSIONS):
        parent = f"{row.id}/{row.client_id}"
        try:
            header = _open_header(cipher, row).value
            body = _open_body(cipher, row).value
            steps = _open_steps(cipher, row).value
        except RecordDamaged:
            resealed = 0
        else:
            conn.execute(
                update(_SESSIONS)
                .where(_SESSIONS.c.id == row.id)
                .values(
                    format_version=RECORD_FORMAT,
                    header=seal("session.header", parent, header),
                    body=seal("session.body", parent, body),
                    meldcode=seal("session.meldcode", parent, steps),
                )
            )
            resealed = generation
        if row.client_id in clients:
            clients[row.client_id]["sessions"][row.id] = [resealed, resealed]

    for row in _rows(conn, _PLANS):
        try:
            plan = _open_plan(cipher, row).value
        except RecordDamaged:
            resealed = 0
        else:
            blob = seal("followup_plan", f"{row.id}/{row.client_id}", plan)
            conn.execute(
                update(_PLANS)
                .where(_PLANS.c.id == row.id)
                .values(format_version=RECORD_FORMAT, data=blob)
            )
            resealed = generation
        if row.client_id in clients:
            clients[row.client_id]["plan"] = [row.id, resealed]

    drafts: dict[str, int] = {}
    for row in _rows(conn, _DRAFTS):
        parent = f"{row.id}/{row.ref_index or '-'}"
        try:
            draft = _open_sealed(
                cipher, f"draft/{row.id}", "draft", parent, row.data, row.format_version
            ).value
        except RecordDamaged:
            continue
        conn.execute(
            update(_DRAFTS)
            .where(_DRAFTS.c.id == row.id)
            .values(format_version=RECORD_FORMAT, data=seal("draft", parent, draft))
        )
        drafts[row.id] = generation

    last = None
    for row in _rows(conn, _LOG):
        try:
            entry, _generation = _open_entry(cipher, row)
        except RecordDamaged:
            continue
        conn.execute(
            update(_LOG)
            .where(_LOG.c.id == row.id)
            .values(format_version=RECORD_FORMAT, data=seal("access_log", row.id, entry.to_dict()))
        )
        last = entry

    profile = None
    meta = conn.execute(select(_META).where(_META.c.name == "profile")).first()
    if meta is not None:
        try:
            value = _open_sealed(
                cipher, "meta/profile", "meta", "profile", meta.value, meta.format_version
            ).value
        except RecordDamaged:
            pass
        else:
            conn.execute(
                update(_META)
                .where(_META.c.name == "profile")
                .values(format_version=RECORD_FORMAT, value=seal("meta", "profile", value))
            )
            profile = generation

    for client_id, data in clients.items():
        conn.execute(
            update(_CLIENTS)
            .where(_CLIENTS.c.id == client_id)
            .values(format_version=RECORD_FORMAT, data=seal("client", client_id, data))
        )

    state = VaultState(
        generation=generation,
        schema_version=max(3, schema.SCHEMA_VERSION),
        clients=dict.fromkeys(clients, generation),
        drafts=drafts,
        profile=profile,
        slots={
            str(slot.id): slot_digest(str(slot.kind), str(slot.slot))
            for slot in conn.execute(select(_SLOTS.c.id, _SLOTS.c.kind, _SLOTS.c.slot))
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
