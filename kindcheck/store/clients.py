"""The Store's clients: add, find by reference (blind index), rename, list, delete."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Final

from cryptography.exceptions import InvalidTag

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.erasure import pseudonymise_log
from kindcheck.store.keys import normalise_reference
from kindcheck.store.ledger import client_record
from kindcheck.store.records import (
    Client,
    ClientOverview,
    DamagedNote,
    SessionSummary,
    _client_from,
    _damaged,
    _decode_summary_values,
    _new_id,
    _now,
    _open_sealed,
    _session_order,
)
from kindcheck.store.summaries import drop_from_caseload_summary
from kindcheck.vault import BLOB_VERSION, NONCE_BYTES, RecordCipher

_CLIENT_COLUMNS: Final = "SELECT id, ref_index, format_version, data FROM client"


class _Clients(_StoreBase):
    """Clients, each found by its reference through the blind index."""

    def add_client(self, reference: str, name: str | None = None) -> Client:
        """Add a client; VaultError if the reference is already in use."""
        index = self._require_index()(reference)
        client = Client(
            id=_new_id(), reference=reference.strip(), name=name or None, created_at=_now()
        )
        data = client_record(client.reference, client.name, client.created_at.isoformat())
        refused = False
        try:
            with self._write() as conn:
                taken = conn.execute("SELECT id FROM client WHERE ref_index = ?", (index,)).first()
                if taken is not None:
                    refused = True
                    raise VaultError("a client with this reference already exists")
                blob = self._seal(conn, "client", client.id, data)
                conn.execute(
                    "INSERT INTO client (id, ref_index, format_version, data) VALUES (?, ?, ?, ?)",
                    (client.id, index, RECORD_FORMAT, blob),
                )
                self._ledger(conn).client_added(client.id, data)
                self._log(conn, "create", client.reference, "client")
        except VaultError:
            if refused:
                self.log_refusal(
                    "create", client.reference, "client (the reference is already in use)"
                )
            raise
        return client

    def find_client(self, reference: str, *, log: bool = True) -> Client | None:
        """The client with this reference (normalised, see normalise_reference), or None.

        A "search" entry in the access log, found or not (``log=False`` for lookups that are
        part of another logged operation)."""
        index = self._require_index()(reference)
        with self._write(reading=True) if log else self._read() as conn:
            row = conn.execute(_CLIENT_COLUMNS + " WHERE ref_index = ?", (index,)).first()
            client = None if row is None else self._client_from_row(row)
            # A blind index copied onto another row would hand out the wrong client: check it.
            if client is not None and normalise_reference(client.reference) != normalise_reference(
                reference
            ):
                raise _damaged(f"client/{client.id}", "does not match its search index")
            if log:
                self._log(
                    conn,
                    "search",
                    client.reference if client else reference.strip(),
                    "reference search: " + ("found" if client else "no match"),
                )
        return client

    def get_client(self, client_id: str) -> Client | None:
        with self._read() as conn:
            row = conn.execute(_CLIENT_COLUMNS + " WHERE id = ?", (client_id,)).first()
        return None if row is None else self._client_from_row(row)

    def set_client_name(self, client_id: str, name: str | None) -> Client:
        """Change the name shown for a client."""
        with self._write() as conn:
            row = conn.execute(_CLIENT_COLUMNS + " WHERE id = ?", (client_id,)).first()
            if row is None:
                raise VaultError("no such client")
            client = self._client_from_row(row)
            updated = dataclasses.replace(client, name=name or None)
            # The record is sealed again at the end of the transaction, with its manifest.
            self._ledger(conn).client_changed(conn, client.id, name=updated.name)
            self._log(conn, "change", client.reference, "client name")
        return updated

    def clients(self, damaged: list[str] | None = None) -> list[Client]:
        """Every client (its record only: no session is read), in no particular order."""
        with self._read() as conn:
            rows = conn.driver.execute("SELECT id, format_version, data FROM client").fetchall()
        return self._decode_clients(rows, damaged)

    def readable_clients(self, damaged: list[str] | None = None) -> set[str]:
        """The ids of the clients whose record can be read (its tag verifies): what a report
        that names no client needs to know of them, without reading every record's content.
        A damaged one is named in ``damaged`` (RecordDamaged without it)."""
        cipher = self._require_open()
        open_current = cipher.opener("client", RECORD_FORMAT)
        authentic = _authentic_client_check(cipher)
        with self._read() as conn:
            rows = conn.driver.execute("SELECT id, format_version, data FROM client").fetchall()
        found: set[str] = set()
        for client_id, version, blob in rows:
            if version == RECORD_FORMAT and authentic(client_id, blob):
                found.add(client_id)
                continue
            # not authentic, or not as this version writes it: the checking path names it
            try:
                if version == RECORD_FORMAT:
                    open_current(client_id, bytes(blob))
                else:
                    _open_sealed(cipher, f"client/{client_id}", "client", client_id, blob, version)
            except RecordDamaged:
                error = _damaged(f"client/{client_id}")
                if damaged is None:
                    raise error from None
                damaged.append(DamagedNote.of(error, client_id))
                continue
            found.add(client_id)
        return found

    def _decode_clients(
        self, rows: list[tuple[str, int, bytes]], damaged: list[str] | None
    ) -> list[Client]:
        cipher = self._require_open()
        found: list[Client] = []
        for client_id, version, blob in rows:
            try:
                opened = _open_sealed(
                    cipher, f"client/{client_id}", "client", client_id, blob, version
                )
                found.append(_client_from(_ClientKey(client_id), opened.value))
            except RecordDamaged as error:
                if damaged is None:
                    raise
                damaged.append(DamagedNote.of(error, client_id))
        return found

    def list_clients(self, damaged: list[str] | None = None) -> list[ClientOverview]:
        """Every client with its session count and last session, sorted by reference. One
        read: every client's record and every session's small header."""
        with self._read() as conn:
            client_rows = conn.driver.execute(
                "SELECT id, format_version, data FROM client"
            ).fetchall()
            header_rows = conn.driver.execute(
                "SELECT id, client_id, format_version, header FROM session"
            ).fetchall()
        cipher = self._require_open()
        count: dict[str, int] = {}
        last: dict[str, SessionSummary] = {}
        last_scan: dict[str, SessionSummary] = {}
        for session_id, client_id, version, header in header_rows:
            try:
                summary = _decode_summary_values(cipher, session_id, client_id, version, header)
            except RecordDamaged as error:
                if damaged is None:
                    raise
                damaged.append(DamagedNote.of(error, client_id))
                continue
            count[client_id] = count.get(client_id, 0) + 1
            latest = last.get(client_id)
            # the last by (date, saved time); of two alike, the one read later
            if latest is None or _session_order(latest) <= _session_order(summary):
                last[client_id] = summary
            if summary.scan_done:
                # a follow-up need not repeat the scan: the latest scan stands until a newer one
                scan = last_scan.get(client_id)
                if scan is None or _session_order(scan) <= _session_order(summary):
                    last_scan[client_id] = summary
        overviews = [
            ClientOverview(
                client, count.get(client.id, 0), last.get(client.id), last_scan.get(client.id)
            )
            for client in self._decode_clients(client_rows, damaged)
        ]
        overviews.sort(key=lambda item: normalise_reference(item.client.reference))
        return overviews

    def delete_client(self, client_id: str) -> int:
        """Delete a client with all its records: sessions, their Meldcode steps and
        amendments, the plan, drafts under its reference. Returns how many access-log
        entries were pseudonymised.

        secure_delete overwrites the freed space in the file. The access log keeps the fact,
        not the client (:mod:`.erasure`): the client's earlier entries get a pseudonym instead
        of the reference, the reference and the name leave every entry's detail, and one
        "delete" entry under the same pseudonym says what happened.
        """
        with self._write() as conn:
            row = conn.execute(_CLIENT_COLUMNS + " WHERE id = ?", (client_id,)).first()
            if row is None:
                raise VaultError("no such client")
            client = self._client_from_row(row)
            drafts = conn.execute(
                "SELECT id FROM draft WHERE ref_index = ?", (row.ref_index,)
            ).all()
            conn.execute("DELETE FROM draft WHERE ref_index = ?", (row.ref_index,))
            # Sessions, their amendments and the plan go by ON DELETE CASCADE; deleted
            # explicitly as well so a file whose foreign keys were switched off elsewhere
            # cannot keep orphans. The sessions' facts records have no foreign key: deleted
            # here.
            conn.execute(
                "DELETE FROM amendment WHERE session_id IN "
                "(SELECT id FROM session WHERE client_id = ?)",
                (client_id,),
            )
            conn.execute("DELETE FROM session_facts WHERE client_id = ?", (client_id,))
            conn.execute("DELETE FROM session WHERE client_id = ?", (client_id,))
            conn.execute("DELETE FROM followup_plan WHERE client_id = ?", (client_id,))
            conn.execute("DELETE FROM client WHERE id = ?", (client_id,))
            # The caseload summary names the client too: its entry goes with it.
            drop_from_caseload_summary(self, conn, client_id)
            ledger = self._ledger(conn)
            ledger.client_removed(client_id)
            for draft in drafts:
                ledger.draft_removed(draft.id)
            pseudonym = self._require_index().pseudonym(client.reference)
            done = pseudonymise_log(
                conn,
                self._require_open(),
                ledger.state,
                ledger.generation,
                client.reference,
                client.name,
                pseudonym,
            )
            detail = "client deleted with all their records"
            if done.entries:
                detail += (
                    f"; {done.entries} earlier access-log entries now name the client by this "
                    f"pseudonym; the chain was linked again from entry {done.relinked_from} "
                    f"(its head before: {done.head_before})"
                )
            self._append(conn, "delete", pseudonym, detail)
        return done.entries


def _authentic_client_check(cipher: RecordCipher) -> Callable[[str, bytes], bool]:
    """``authentic(client_id, blob)``: whether a current-format client record opens, with
    the checks the cipher's opener makes (the blob's version byte, the tag over the record's
    associated data; the plaintext is not read), in one step: a report checks every client,
    and the opener's calls cost more than the decryption. False for anything else: the
    checking path then reads it, and names it as before."""
    decrypt, prefix, id_length, suffix = cipher.decryption("client", RECORD_FORMAT)
    join = b"".join  # the associated data in one step
    nonce_end = 1 + NONCE_BYTES

    def authentic(client_id: str, blob: bytes) -> bool:
        try:
            ident = client_id.encode()
            if not ident or blob[0] != BLOB_VERSION:  # the version byte is not in the tag
                return False
            decrypt(
                blob[1:nonce_end],
                blob[nonce_end:],
                join((prefix, id_length(len(ident)), ident, suffix)),
            )
        except (InvalidTag, AttributeError, IndexError, TypeError, ValueError):
            return False
        return True

    return authentic


class _ClientKey:
    """The one column the client decoder names a damaged record by."""

    __slots__ = ("id",)

    def __init__(self, client_id: str) -> None:
        self.id = client_id
