"""What the screens read of the caseload: home's overview, a client's page, a client by its
reference (:class:`CaseloadReads`, a part of the service in :mod:`.vault_service`).

Each read is one read transaction with one query per table; a record that cannot be read is
named (``damaged``) and the rest is shown. Sessions interpreted for a client's page (answers
checked, outcome computed) are kept while their stored answers are the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kindcheck.errors import VaultError

from .caseload_summary_reads import SummaryReads
from .views import (
    ClientDetail,
    ClientSummary,
    DamagedRecord,
    DraftSummary,
    HomeItem,
    Overview,
    RollbackNotice,
    SessionView,
    SlotNotice,
    VaultNotices,
)

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.followup import FollowUpStatus
    from kindcheck.outcome import Outcome
    from kindcheck.store import Draft, SessionSummary, Store


# Interpreted sessions kept for client pages (a few clients' worth; about 25 KiB each).
_INTERPRETED_KEPT = 400


class CaseloadReads(SummaryReads):
    """The reads of :class:`~kindcheck.service.vault_service.VaultService` that the screens
    show (a large caseload's overview from the caseload summary: :class:`SummaryReads`);
    the state they use is the service's."""

    clock: Callable[[], date]
    lang: str
    _lock: threading.RLock
    _store_draft_ids: dict[str, str]
    _interpreted: dict[str, tuple[dict[str, Any], Session, Outcome]]

    def _open(self) -> Store:
        raise NotImplementedError  # the service's

    def overview(self, query: str = "", *, complete: bool = False) -> Overview:
        """Home's overview: the clients (matching ``query``), their follow-ups, the drafts.

        A caseload of :data:`~.caseload_summary.SUMMARY_FROM_CLIENTS` clients or more is
        listed from the caseload summary (:mod:`.caseload_summary`): one record, with only the
        clients whose records changed since read again (``Overview.complete`` is then False).
        Otherwise, or with ``complete``: one read transaction of the records themselves: the
        clients (with their last session), the plans and the drafts, each in one query. A
        record that cannot be read never stops it: it is left out where it would have been
        and named in ``Overview.damaged`` (and in its client's ``damaged``). A client whose
        own record cannot be read is still listed, by its id, with its sessions and plan (they
        are records of their own), whatever the query: its reference is unknown.
        """
        with self._lock:
            store = self._open()
            if not complete:
                quick = self._overview_from_summary(store, query)
                if quick is not None:
                    return quick
            return self._overview_from_records(store, query)

    def _overview_from_records(self, store: Store, query: str) -> Overview:
        """The overview read from every record (see :meth:`overview`); for a large caseload
        whose records all read, the caseload summary is made from it too."""
        # The same due dates as `kindcheck due`: one computation, in .caseload.
        from kindcheck.followup import status

        from .caseload import DUE_WINDOW_DAYS
        from .damage import damaged_records
        from .plans import list_plans

        today = self.clock()
        notes: list[str] = []
        with store.reading():
            generations = store.record_generations()
            overviews = store.list_clients(damaged=notes)
            plans = list_plans(store, damaged=notes)
            stored_drafts = store.list_drafts(damaged=notes)
            unreadable = [
                note.client_id
                for note in damaged_records(notes)
                if note.kind == "client" and note.client_id
            ]
            sessions_of_unreadable = {
                client_id: sorted(
                    store.list_sessions(client_id, notes, log=False),
                    key=lambda summary: (summary.session_date, summary.saved_at),
                )
                for client_id in unreadable
            }
            notices = self._notices(store)
            user_name = str(store.user_name or "")
        references = {item.client.id: item.client.reference for item in overviews}
        last_held = {
            item.client.id: item.last_session.session_date
            for item in overviews
            if item.last_session is not None
        }
        for client_id, held in sessions_of_unreadable.items():
            if held:
                last_held[client_id] = held[-1].session_date
        # As .caseload.plan_statuses: every readable plan, also of an unreadable client.
        statuses = {
            stored_plan.client_id: status(
                stored_plan.plan, today, last_held.get(stored_plan.client_id), DUE_WINDOW_DAYS
            )
            for stored_plan in plans
        }
        drafts = [self._draft_summary(draft) for draft in stored_drafts]
        items = self._home_items(store, overviews, today, " ".join(query.split()).casefold())
        damaged = damaged_records(notes, references)
        self._summary_from_records(store, generations, overviews, plans, notes)

        def of_client(client_id: str) -> tuple[DamagedRecord, ...]:
            return tuple(item for item in damaged if item.client_id == client_id)

        needle = " ".join(query.split()).casefold()
        clients = [
            _client_summary(
                client_id,
                "",
                None,
                held[-1] if held else None,
                next((summary for summary in reversed(held) if summary.scan_done), None),
                statuses.get(client_id),
                of_client(client_id),
            )
            for client_id, held in sessions_of_unreadable.items()
        ]
        for item in overviews:
            if needle and needle not in item.client.reference.casefold():
                continue
            client = item.client
            clients.append(
                _client_summary(
                    client.id,
                    client.reference,
                    client.name,
                    item.last_session,
                    item.latest_scan,
                    statuses.get(client.id),
                    of_client(client.id),
                )
            )
        return Overview(
            tuple(clients),
            tuple(drafts),
            today,
            user_name,
            damaged,
            notices,
            generations=generations,
            items=items,
        )

    def changes_since(self, seen: Overview) -> bool:
        """Whether the overview would differ from ``seen``: a client's records or a draft
        written since, another day, or other notices. One read of the ledger and the key
        slots (not of every client)."""
        with self._lock:
            store = self._open()
            generations = store.record_generations()
            return (
                generations is None
                or seen.generations is None
                or generations != seen.generations
                or self.clock() != seen.today
                # a key slot mended, a rollback acknowledged: the notices above the lists
                or self._notices(store) != seen.notices
            )

    def notices(self) -> VaultNotices:
        """What the app must say about the vault just opened: an older copy put back (until
        acknowledged), a damaged key slot, read-only media."""
        with self._lock:
            return self._notices(self._open())

    def _notices(self, store: Store) -> VaultNotices:
        rollback = store.rollback
        slots: dict[str, SlotNotice] = {}
        for slot in (*store.damaged_slots, *store.check_slots()):
            known = slots.get(slot.slot_id)
            if known is None or not known.secret:
                slots[slot.slot_id] = SlotNotice(slot.slot_id, slot.kind)
        return VaultNotices(
            None
            if rollback is None
            else RollbackNotice(rollback.found, rollback.expected, rollback.noticed),
            tuple(slots.values()),
            store.read_only,
        )

    def _home_items(
        self, store: Store, overviews: list[Any], today: date, needle: str
    ) -> tuple[HomeItem, ...]:
        """Kindchecks due again after an event and questions to ask again, due or overdue.
        Only clients with an event or a re-ask have their session headers read."""
        from kindcheck.followup import FollowUpState

        from .caseload import due_items_for
        from .followthrough import catalog, reask_label

        known = catalog()
        due_days = {event.id: event.due_days for event in known.events}
        found: list[HomeItem] = []
        for item in overviews:
            client = item.client
            if not (client.events or client.reasks):
                continue
            if needle and needle not in client.reference.casefold():
                continue
            repeats = [
                (header.session_date, header.saved_at)
                for header in store.list_sessions(client.id, log=False)
                if any(version >= 2 for _id, version in header.questionnaires)
            ]
            last = item.last_session.session_date if item.last_session else None
            for due in due_items_for(client, repeats, today, due_days):
                if due.state not in (FollowUpState.DUE, FollowUpState.OVERDUE):
                    continue
                if due.kind == "kindcheck" and known.has_event(due.detail):
                    label = known.event(due.detail).name.get(self.lang)
                else:
                    label = reask_label(due.detail, self.lang)
                found.append(
                    HomeItem(
                        client.id, client.reference, due.kind, due.reason, label, due.when,
                        due.state, last,
                    )
                )  # fmt: skip
        found.sort(key=lambda i: (i.state != FollowUpState.OVERDUE, i.when or today, i.reference))
        return tuple(found)

    def _draft_summary(self, draft: Draft) -> DraftSummary:
        payload = draft.payload
        found = payload.get("client")
        client: dict[str, Any] = found if isinstance(found, dict) else {}
        reference = draft.reference or client.get("reference") or "?"
        self._store_draft_ids.setdefault(draft.id, draft.id)
        return DraftSummary(
            draft.id, str(reference), str(payload.get("phase", "")), draft.updated_at, payload
        )

    def client(self, client_id: str) -> ClientDetail:
        """One client's page: sessions newest first with outcomes and Meldcode steps, the
        plan and its next dates, read in one transaction with one query per table (not two
        per session). A record that cannot be read (the client's own, a session, its Meldcode
        steps, the plan) is named in ``ClientDetail.damaged`` and the rest is shown; only a
        client that is not in the vault at all is an error."""
        from kindcheck.errors import RecordDamaged
        from kindcheck.followup import FollowUpState, occurrences, status

        from .amended import corrected
        from .caseload import DUE_WINDOW_DAYS
        from .damage import damaged_records
        from .plans import get_plan

        with self._lock:
            store = self._open()
            notes: list[str | RecordDamaged] = []
            with store.reading():
                try:
                    client = store.get_client(client_id)
                except RecordDamaged as error:
                    notes.append(error)
                    client = None
                else:
                    if client is None:
                        raise VaultError("that client is no longer in the vault")
                header_notes: list[str] = []
                headers = store.list_sessions(client_id, header_notes)  # the one "read" of the file
                session_notes: list[str] = []
                stored_sessions = store.client_sessions(client_id, session_notes)
                stored_by_id = {stored.id: stored for stored in stored_sessions}
                step_notes: list[str] = []
                steps_by_id = store.client_meldcode_steps(client_id, step_notes)
                # Each Meldcode process's record, in the same read (not one query each).
                meldcode_records = store.client_meldcode_records(client_id)
                try:
                    amended = store.client_amendments(client_id)
                except RecordDamaged as error:
                    # Named at the top of the page; the sessions are shown as first recorded.
                    notes.append(error)
                    amended = {}
                try:
                    stored_plan = get_plan(store, client_id)
                except RecordDamaged as error:
                    notes.append(error)
                    stored_plan = None
            # A session whose header cannot be read is named once (its body fails too).
            notes.extend(header_notes)
            named = {getattr(note, "record", None) for note in header_notes}
            notes.extend(
                note
                for note in session_notes
                if getattr(note, "record", None) not in named
                or getattr(note, "record", None) is None
            )
            notes.extend(step_notes)
            today = self.clock()
            sessions = []
            repeated: list[tuple[date, datetime, int]] = []  # day, saved at, format
            for header in headers:
                stored = stored_by_id.get(header.id)
                if stored is None:
                    continue
                # Corrected sessions are shown as corrected (.amended.corrected).
                stored = corrected(stored, amended.get(header.id, []))
                session, outcome = self._interpret(stored.id, stored.answers, stored.outcome)
                found_steps = steps_by_id.get(header.id)
                steps = (
                    {key: record.done_on for key, record in found_steps.items()}
                    if found_steps is not None
                    else {}
                )
                sessions.append(
                    SessionView(header.id, session, outcome, steps, found_steps is not None)
                )
                repeated.append((header.session_date, header.saved_at, session.format_version))
            self._forget_interpreted_beyond(_INTERPRETED_KEPT)
            plan = stored_plan.plan if stored_plan is not None else None
            last = sessions[-1] if sessions else None
            # As .caseload.followup_statuses (home, `kindcheck due`): the plan's status counts
            # from the latest session held, whatever its kind, as its list header says (so a
            # session whose answers cannot be read still counts, as on home).
            held = max((header.session_date for header in headers), default=None)
            references = {client_id: client.reference} if client is not None else {}
            dates = {header.id: header.session_date for header in headers}
            damaged = tuple(
                replace(item, client_id=item.client_id or client_id)
                for item in damaged_records(notes, references, dates)
            )
            latest_scan = next((s for s in reversed(sessions) if s.outcome.scan_done), None)
            summary = ClientSummary(
                client_id=client_id,
                reference=client.reference if client is not None else "",
                name=client.name if client is not None else None,
                last_session=last.session.session_date if last else None,
                problem_domain_count=latest_scan.outcome.problem_domain_count
                if latest_scan
                else None,
                safety_signal=bool(last and last.outcome.has_safety_signal),
                parenting_support_flag=bool(
                    latest_scan and latest_scan.outcome.parenting_support_flag
                ),
                followup=status(plan, today, held, DUE_WINDOW_DAYS) if plan is not None else None,
                damaged=damaged,
                last_kind=last.session.kind if last else None,
            )
            upcoming: tuple[datetime, ...] = ()
            if plan is not None and summary.followup is not None:
                # From the first conversation not yet covered by a session (due now, or
                # later); a late one is not "next" but late, and shown as such.
                state = summary.followup
                first = (
                    state.occurrence.date()
                    if state.occurrence is not None
                    and state.state in (FollowUpState.DUE, FollowUpState.UPCOMING)
                    else today
                )
                upcoming = tuple(occurrences(plan, first, first + timedelta(days=400))[:4])
            rhythm = (
                stored_plan.rhythm.value
                if stored_plan is not None and stored_plan.rhythm is not None
                else None
            )
            from .caseload import due_items_for
            from .followthrough import catalog, meldcode_process

            due_days = {event.id: event.due_days for event in catalog().events}
            repeats = [(day, saved) for day, saved, version in repeated if version >= 2]
            return ClientDetail(
                summary,
                tuple(reversed(sessions)),
                plan,
                upcoming,
                rhythm,
                held,
                damaged,
                meldcode=meldcode_process(store, client_id, stored_sessions, meldcode_records),
                handoffs=client.handoffs if client is not None else (),
                events=client.events if client is not None else (),
                due=tuple(due_items_for(client, repeats, today, due_days))
                if client is not None
                else (),
            )

    def prepare_client(self, client_id: str) -> None:
        """Interpret a client's sessions ahead of :meth:`client` (the home screen calls this
        for the highlighted row, so the page opens at once). Not an opening of the client's
        file: nothing is logged, nothing is returned."""
        with self._lock:
            store = self._open()
            for stored in store.client_sessions(client_id):
                self._interpret(stored.id, stored.answers, stored.outcome)
            self._forget_interpreted_beyond(_INTERPRETED_KEPT)

    def _interpret(
        self, session_id: str, answers: dict[str, Any], outcome: Mapping[str, Any]
    ) -> tuple[Session, Outcome]:
        """The session and its outcome as recorded (``outcome``: the stored one, for what it
        depended on in the vault), from the memo while its stored answers are the same."""
        from kindcheck.answers import session_from_dict
        from kindcheck.outcome import compute_outcome

        known = self._interpreted.pop(session_id, None)
        if known is None or known[0] != answers:
            # Checked when recorded or corrected: read back, not checked again.
            session = session_from_dict(answers, f"session {session_id}", answers_checked=True)
            known = (answers, session, compute_outcome(session, **_as_recorded(answers, outcome)))
        self._interpreted[session_id] = known  # the most recently used last
        return known[1], known[2]

    def _forget_interpreted_beyond(self, kept: int) -> None:
        for session_id in list(self._interpreted)[: max(0, len(self._interpreted) - kept)]:
            del self._interpreted[session_id]

    def client_by_reference(self, reference: str) -> ClientSummary | None:
        """The client a reference belongs to ("epd 12" finds EPD-12), as home lists it; None
        for a new one. A "search" entry in the access log, found or not: asking whether a
        reference is known is a use of the vault."""
        with self._lock:
            store = self._open()
            client = store.find_client(reference)
            if client is None:
                return None
            # The headers only (the session list of home): no "read" of the client's file.
            sessions = store.list_sessions(client.id, damaged=[], log=False)
        last = sessions[-1] if sessions else None
        scans = [session for session in sessions if session.scan_done]
        scan = scans[-1] if scans else None
        return ClientSummary(
            client_id=client.id,
            reference=client.reference,
            name=client.name,
            last_session=last.session_date if last else None,
            problem_domain_count=scan.problem_domain_count if scan else None,
            safety_signal=bool(last and last.safety_signal),
            parenting_support_flag=bool(scan and scan.parenting_support_flag),
            followup=None,
            last_kind=last.kind if last else None,
        )


def _as_recorded(answers: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, Any]:
    """compute_outcome's keywords that give a stored session's outcome as it was recorded:
    the professional group it named, the 2-weekly rhythm of an open Meldcode process, and
    the hand-off question it answered (asked only while help was open)."""
    parts = [p for p in answers.get("questionnaires") or [] if isinstance(p, dict)]
    asked_handoffs = any(
        isinstance(p.get("answers"), dict) and "handoff_started" in p["answers"] for p in parts
    )
    group = outcome.get("professional_group")
    return {
        "meldcode_open": outcome.get("version") == 2
        and outcome.get("followup_rhythm") == "safety"
        and not outcome.get("safety_signals"),
        "open_handoffs": 1 if asked_handoffs else 0,
        "group": group if isinstance(group, str) else None,
    }


def _client_summary(
    client_id: str,
    reference: str,
    name: str | None,
    last: SessionSummary | None,
    scan: SessionSummary | None,
    followup: FollowUpStatus | None,
    damaged: tuple[DamagedRecord, ...],
) -> ClientSummary:
    """One row of the client list, from the client and the list headers of its latest
    session and its latest session with a problem scan."""
    return ClientSummary(
        client_id=client_id,
        reference=reference,
        name=name,
        last_session=last.session_date if last else None,
        # The latest scan's count and flag stand until a newer scan: a follow-up without
        # one changes neither.
        problem_domain_count=scan.problem_domain_count if scan else None,
        safety_signal=bool(last and last.safety_signal),
        parenting_support_flag=bool(scan and scan.parenting_support_flag),
        followup=followup,
        # The header has no "closed" field: an intake without a scan, a signal or a rhythm is
        # one whose check closed (ask the store for the field).
        check_closed=bool(
            last
            and last.kind == "intake"
            and not last.scan_done
            and not last.safety_signal
            and last.followup_rhythm is None
        ),
        damaged=damaged,
        last_kind=last.kind if last else None,
    )
