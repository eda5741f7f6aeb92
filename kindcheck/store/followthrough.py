"""The Store's follow-through on a session: a client's events, warm hand-offs and re-asks (lists
in the client's record, :mod:`.client_lists`), the Meldcode process of a session (afwegingen,
decisions, closing: keys beside the steps in the session's Meldcode record), and the user's
professional group (in the vault's profile).

No table and no migration: every value lives in a record the vault already has, each sealed
and listed in the ledger, so verify notices one put back from an older copy. Readers default
what an older record does not have. Every change writes a "change" entry in the access log
naming what changed (an id, never a note or an organisation's name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.store.client_lists import (
    HANDOFF_STATUSES,
    ClientEvent,
    HandoffEntry,
    ReaskEntry,
    event_data,
    handoff_data,
    parse_lists,
    reask_data,
)
from kindcheck.store.envelope import RECORD_FORMAT
from kindcheck.store.facts import _steps_taken
from kindcheck.store.records import _new_id, _now, _open_steps, _steps_from
from kindcheck.store.sessions import _Sessions
from kindcheck.text import one_line

_STEPS: Final = "SELECT id, client_id, format_version, meldcode FROM session WHERE id = ?"
_CLIENT_RECORDS: Final = (
    "SELECT id, client_id, format_version, meldcode FROM session WHERE client_id = ?"
)
_ID_LIMIT: Final = 64
MAX_LIST: Final = 500  # events or hand-offs per client: far above any real caseload


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _ID_LIMIT:
        raise VaultError(f"{what} needs an id")
    if not all(ch.isalnum() or ch in "_-" for ch in value):
        raise VaultError(f"{what} has an id with characters other than letters, digits, _ and -")
    return value


def _check_day(value: object, what: str) -> date:
    if not isinstance(value, date):
        raise VaultError(f"{what} needs a date")
    return value


class _FollowThrough(_Sessions):
    """Events, hand-offs, re-asks, the Meldcode process, the professional group."""

    # -- events --------------------------------------------------------------------------------

    def record_event(
        self, client_id: str, event_id: str, on: date, source: str = "client_page"
    ) -> ClientEvent:
        """Record an event for a client (the layer above checks the id against the catalog)."""
        event = ClientEvent(
            _new_id(), _check_id(event_id, "an event"), _check_day(on, "an event"), _now(), source
        )
        with self._write() as conn:
            ledger = self._ledger(conn)
            record = ledger.client(conn, client_id)
            events = list(record.get("events") or [])
            if len(events) >= MAX_LIST:
                raise VaultError("this client has too many events recorded")
            events.append(event_data(event))
            ledger.client_changed(conn, client_id, events=events)
            self._log_client(
                conn, "change", client_id, f"event {event.event} on {on.isoformat()} ({source})"
            )
        return event

    def client_events(self, client_id: str) -> list[ClientEvent]:
        return list(self._client_or_fail(client_id).events)

    # -- warm hand-offs ------------------------------------------------------------------------

    def record_handoff(
        self,
        client_id: str,
        session_id: str,
        option: str,
        *,
        consent_asked: bool,
        consent_given: bool,
        contact: str,
        contact_on: date | None = None,
        organisation: str | None = None,
    ) -> HandoffEntry:
        """Record a warm hand-off agreed in a session (validated by the layer above); it is
        "open" until a later conversation says whether the help started."""
        handoff = HandoffEntry(
            _new_id(),
            session_id,
            _check_id(option, "a hand-off"),
            bool(consent_asked),
            bool(consent_given),
            _check_id(contact, "a hand-off's contact"),
            contact_on,
            organisation or None,
            _now(),
            "open",
            None,
        )
        with self._write() as conn:
            ledger = self._ledger(conn)
            record = ledger.client(conn, client_id)
            handoffs = list(record.get("handoffs") or [])
            if len(handoffs) >= MAX_LIST:
                raise VaultError("this client has too many hand-offs recorded")
            handoffs.append(handoff_data(handoff))
            ledger.client_changed(conn, client_id, handoffs=handoffs)
            self._log_client(
                conn, "change", client_id, f"hand-off {handoff.option} (session {session_id})"
            )
        return handoff

    def set_handoff_status(
        self, client_id: str, handoff_id: str, status: str, on: date
    ) -> HandoffEntry:
        """Whether the help of a hand-off started (or not, or the client declines)."""
        if status not in HANDOFF_STATUSES:
            raise VaultError("a hand-off's status is one of " + ", ".join(HANDOFF_STATUSES))
        _check_day(on, "a hand-off's status")
        with self._write() as conn:
            ledger = self._ledger(conn)
            _events, stored, _reasks = parse_lists(ledger.client(conn, client_id))
            found = next((h for h in stored if h.id == handoff_id), None)
            if found is None:
                raise VaultError("no such hand-off")
            changed = replace(found, status=status, status_on=on)
            handoffs = [handoff_data(changed if h.id == handoff_id else h) for h in stored]
            ledger.client_changed(conn, client_id, handoffs=handoffs)
            self._log_client(
                conn, "change", client_id, f"hand-off {found.option}: {status} ({on.isoformat()})"
            )
        return changed

    def client_handoffs(self, client_id: str) -> list[HandoffEntry]:
        return list(self._client_or_fail(client_id).handoffs)

    def open_handoffs(self, client_id: str) -> int:
        """The hand-offs whose help is not yet confirmed to have started."""
        return sum(1 for h in self._client_or_fail(client_id).handoffs if h.status == "open")

    # -- re-asks -------------------------------------------------------------------------------

    def set_reasks(self, client_id: str, reasks: Sequence[ReaskEntry]) -> None:
        """Replace the client's re-asks (worked out by the layer above from its sessions).
        Logged only when they change."""
        data = [reask_data(item) for item in reasks]
        with self._write() as conn:
            ledger = self._ledger(conn)
            record = ledger.client(conn, client_id)
            if (record.get("reasks") or []) == data:
                return
            ledger.client_changed(conn, client_id, reasks=data)
            asked = ", ".join(item.question for item in reasks) or "none"
            self._log_client(conn, "change", client_id, f"questions to ask again: {asked}")

    # -- the Meldcode process of a session ------------------------------------------------------

    def meldcode_record(self, session_id: str) -> dict[str, Any]:
        """A session's Meldcode record as stored: ``steps`` and, once recorded, ``afwegingen``,
        ``decisions`` and ``closed`` (see kindcheck.service.meldcode for their shape)."""
        with self._read() as conn:
            row = conn.execute(_STEPS, (session_id,)).first()
        if row is None:
            raise VaultError("no such session")
        data = dict(_open_steps(self._require_open(), row).value)
        _steps_from(row, data)  # the steps' shape is checked as always
        return data

    def client_meldcode_records(self, client_id: str) -> dict[str, dict[str, Any]]:
        """Every session's Meldcode record of a client, as :meth:`meldcode_record` reads one,
        in one query (session id -> record). A record that cannot be read is left out (the
        client page's own read of the steps names it)."""
        cipher = self._require_open()
        with self._read() as conn:
            rows = conn.execute(_CLIENT_RECORDS, (client_id,)).all()
        records: dict[str, dict[str, Any]] = {}
        for row in rows:
            try:
                data = dict(_open_steps(cipher, row).value)
                _steps_from(row, data)  # the steps' shape is checked as always
            except RecordDamaged:
                continue
            records[str(row.id)] = data
        return records

    def change_meldcode_record(
        self, session_id: str, change: Callable[[dict[str, Any]], str]
    ) -> dict[str, Any]:
        """Change a session's Meldcode record in one transaction: ``change`` edits the JSON in
        place (keeping ``steps`` as they are) and returns the detail of the log entry (ids only,
        never a note). Returns the record as stored."""
        with self._write() as conn:
            row = conn.execute(_STEPS, (session_id,)).first()
            if row is None:
                raise VaultError("no such session")
            if row.format_version != RECORD_FORMAT:
                raise VaultError(
                    f"record session/{one_line(row.id)} is in an old format and cannot be "
                    "changed: restore a backup (`kindcheck restore`)"
                )
            data = dict(_open_steps(self._require_open(), row).value)
            steps_before = data.get("steps")
            detail = change(data)
            if data.get("steps") != steps_before:
                raise VaultError("the Meldcode steps are changed one by one (set_meldcode_step)")
            ledger = self._ledger(conn)
            ledger.check_client(conn, row.client_id)
            blob = self._seal(conn, "session.meldcode", f"{row.id}/{row.client_id}", data)
            conn.execute("UPDATE session SET meldcode = ? WHERE id = ?", (blob, session_id))
            taken = _steps_taken(_steps_from(row, data))
            self._steps_changed(conn, row.id, row.client_id, taken)
            ledger.steps_saved(conn, row.client_id, row.id)
            self._log_client(conn, "change", row.client_id, f"{detail} of session {session_id}")
        return data

    # -- the professional group ----------------------------------------------------------------

    def professional_group(self) -> str | None:
        """The user's professional group (for the Meldcode's afwegingskader); None: not set."""
        group = self._read_profile().get("professional_group")
        return group if isinstance(group, str) and group else None

    def set_professional_group(self, group: str | None) -> None:
        """Set (or, with None, clear) the user's professional group in the vault's profile."""
        if group is not None:
            _check_id(group, "a professional group")
        with self._write() as conn:
            row = conn.execute(
                "SELECT format_version, value FROM meta WHERE name = 'profile'"
            ).first()
            if row is None:
                raise VaultError("the vault has no profile record")
            profile = dict(
                self._unseal("meta/profile", "meta", "profile", row.value, row.format_version)
            )
            if group is None:
                profile.pop("professional_group", None)
            else:
                profile["professional_group"] = group
            ledger = self._ledger(conn)
            blob = self._seal(conn, "meta", "profile", profile)
            conn.execute(
                "UPDATE meta SET format_version = ?, value = ? WHERE name = 'profile'",
                (RECORD_FORMAT, blob),
            )
            ledger.state.profile = ledger.generation
            self._log(conn, "change", None, f"profile: professional group {group or 'not set'}")

    # -- helpers -------------------------------------------------------------------------------

    def _client_row(self, conn: Any, client_id: str) -> Any:
        row = conn.execute(
            "SELECT id, ref_index, format_version, data FROM client WHERE id = ?", (client_id,)
        ).first()
        if row is None:
            raise VaultError("no such client")
        return row

    def _client_or_fail(self, client_id: str) -> Any:
        with self._read() as conn:
            row = self._client_row(conn, client_id)
        return self._client_from_row(row)
