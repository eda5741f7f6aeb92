"""The Store's clients: add, find by reference (blind index), rename, list, delete."""

from __future__ import annotations

from functools import partial

from sqlalchemy import delete, func, insert, select

from kindcheck.errors import VaultError
from kindcheck.store.base import _StoreBase
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.keys import normalise_reference
from kindcheck.store.ledger import client_record
from kindcheck.store.records import (
    Client,
    ClientOverview,
    SessionSummary,
    _collect,
    _damaged,
    _new_id,
    _now,
    _session_order,
)
from kindcheck.store.schema import _CLIENTS, _DRAFTS, _PLANS, _SESSIONS


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
                taken = conn.execute(
                    select(_CLIENTS.c.id).where(_CLIENTS.c.ref_index == index)
                ).first()
                if taken is not None:
                    refused = True
                    raise VaultError("a client with this reference already exists")
                blob = self._seal(conn, "client", client.id, data)
                conn.execute(
                    insert(_CLIENTS).values(
                        id=client.id, ref_index=index, format_version=RECORD_FORMAT, data=blob
                    )
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
            row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.ref_index == index)).first()
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
            row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.id == client_id)).first()
        return None if row is None else self._client_from_row(row)

    def set_client_name(self, client_id: str, name: str | None) -> Client:
        """Change the name shown for a client."""
        with self._write() as conn:
            row = conn.execute(select(_CLIENTS).where(_CLIENTS.c.id == client_id)).first()
            if row is None:
                raise VaultError("no such client")
            client = self._client_from_row(row)
            updated = Client(client.id, client.reference, name or None, client.created_at)
            # The record is sealed again at the end of the transaction, with its manifest.
            self._ledger(conn).client_changed(conn, client.id, name=updated.name)
            self._log(conn, "change", client.reference, "client name")
        return updated

    def list_clients(self, damaged: list[str] | None = None) -> list[ClientOverview]:
        """Every client with its session count and last session, sorted by reference."""
        with self._read() as conn:
            client_rows = conn.execute(select(_CLIENTS)).all()
            header_rows = conn.execute(
                select(
                    _SESSIONS.c.id,
                    _SESSIONS.c.client_id,
                    _SESSIONS.c.format_version,
                    _SESSIONS.c.header,
                )
            ).all()
        by_client: dict[str, list[SessionSummary]] = {}
        for row in header_rows:
            summary = _collect(damaged, partial(self._summary_from_row, row))
            if summary is not None:
                by_client.setdefault(summary.client_id, []).append(summary)
        overviews = []
        for row in client_rows:
            client = _collect(damaged, partial(self._client_from_row, row))
            if client is None:
                continue
            sessions = sorted(by_client.get(client.id, []), key=_session_order)
            scans = [session for session in sessions if session.scan_done]
            overviews.append(
                ClientOverview(
                    client,
                    len(sessions),
                    sessions[-1] if sessions else None,
                    scans[-1] if scans else None,
                )
            )
        overviews.sort(key=lambda item: normalise_reference(item.client.reference))
        return overviews

    def delete_client(self, client_id: str) -> None:
        """Delete a client with all its records: sessions, Meldcode steps, plan, drafts.

        secure_delete overwrites the freed space in the file. The access-log entries about
        the client stay (NEN 7513: 5 years); they hold the reference, not the client's data.
        """
        with self._write() as conn:
            row = conn.execute(
                select(_CLIENTS.c.ref_index).where(_CLIENTS.c.id == client_id)
            ).first()
            if row is None:
                raise VaultError("no such client")
            sessions = conn.execute(
                select(func.count())
                .select_from(_SESSIONS)
                .where(_SESSIONS.c.client_id == client_id)
            ).scalar_one()
            self._log_client(
                conn, "delete", client_id, f"client with its {sessions} session(s), plan and drafts"
            )
            drafts = conn.execute(
                select(_DRAFTS.c.id).where(_DRAFTS.c.ref_index == row.ref_index)
            ).all()
            conn.execute(delete(_DRAFTS).where(_DRAFTS.c.ref_index == row.ref_index))
            # Sessions and the plan go by ON DELETE CASCADE; deleted explicitly as well so a
            # file whose foreign keys were switched off elsewhere cannot keep orphans.
            conn.execute(delete(_SESSIONS).where(_SESSIONS.c.client_id == client_id))
            conn.execute(delete(_PLANS).where(_PLANS.c.client_id == client_id))
            conn.execute(delete(_CLIENTS).where(_CLIENTS.c.id == client_id))
            ledger = self._ledger(conn)
            ledger.client_removed(client_id)
            for draft in drafts:
                ledger.draft_removed(draft.id)
