"""The service the screens and the command line open the vault through: :class:`VaultService`.

It hands back plain frozen dataclasses (:mod:`.views`) built from the core: sessions with their
outcomes, follow-up plans, the caseload. Every method except :meth:`VaultService.exists` may
block (key derivation, disk, decryption): the app calls them from thread workers only. A lock
serialises calls, so a late autosave can never overtake a newer one, and locking waits for a
save in progress. The application layer's functions that work on the store itself (reports,
the command line's vault commands) get it through :meth:`VaultService.store`, under that lock.

The store is imported on first unlock or create, not at startup: the first screen does not
need it (it no longer pulls in SQLModel or SQLAlchemy, but still the crypto and the store's
modules). The core (outcome, follow-up plans, dateutil; about 40 ms) is imported by the
methods that need it, for the same reason: this module is imported before the first screen
is drawn.

Opening a vault also completes the facts records of sessions saved without them (a vault just
upgraded to storage schema 4, see kindcheck.service.facts); nothing to do costs one read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import KindcheckError, VaultError

from .views import (
    ClientDetail,
    ClientSummary,
    DamagedRecord,
    DraftSummary,
    FollowUpPreview,
    FollowUpStart,
    HomeItem,
    Overview,
    RollbackNotice,
    SessionView,
    SlotNotice,
    VaultNotices,
)

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.followup import FollowUpPlan, FollowUpStatus
    from kindcheck.outcome import Outcome
    from kindcheck.passphrase import Secret
    from kindcheck.store import Draft, SessionSummary, Store

    from .recording import Recorded

__all__ = ["VAULT_FILE", "VaultNotOpen", "VaultService", "open_service"]

# The vault file's name, as kindcheck.store.DB_NAME (a test checks they agree): knowing it here
# lets the first screen choose between "create" and "unlock" without importing the store.
VAULT_FILE = "kindcheck.db"

# Interpreted sessions kept for client pages (a few clients' worth; about 25 KiB each).
_INTERPRETED_KEPT = 400

# A draft id whose draft is gone: no late autosave of it is stored again.
_GONE = 1 << 62


class VaultNotOpen(VaultError):
    """The vault is locked (or was never unlocked) while something tried to read it."""

    def __init__(self) -> None:
        super().__init__("the vault is locked")


class VaultService:
    """What the screens and the commands call. Blocking (except ``exists``)."""

    def __init__(
        self, data_dir: Path, clock: Callable[[], date] = date.today, lang: str = "nl"
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        self.lang = lang
        self._store: Store | None = None
        self._lock = threading.RLock()
        self._draft_versions: dict[str, int] = {}
        # Drafts are named by the app (so a form has its id from the first key press); the
        # store hands out its own ids on the first save. This maps the one onto the other.
        self._store_draft_ids: dict[str, str] = {}
        self._group: str | None = None
        self._group_of: object = None  # the store the cached group was read from
        # Sessions as read and interpreted for a client's page (answers checked, outcome
        # computed: about 6 ms a session, where reading it costs a fraction of that), by
        # session id, kept only while the stored answers are the same; emptied on lock.
        self._interpreted: dict[str, tuple[dict[str, Any], Session, Outcome]] = {}

    @property
    def unlocked(self) -> bool:
        return self._store is not None

    def _open(self) -> Store:
        if self._store is None:
            raise VaultNotOpen()
        return self._store

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        """The open store, under the service's lock (VaultNotOpen when locked): for the
        application layer's own functions on the store (reports, the vault commands)."""
        with self._lock:
            yield self._open()

    def __enter__(self) -> VaultService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the vault ----------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a vault is there (a file check; the store is not imported)."""
        return (self.data_dir / VAULT_FILE).exists()

    def create(self, passphrase: str, user_name: str) -> str:
        """Create the vault, open; return the recovery key to show once."""
        from kindcheck.store import Store

        with self._lock:
            self._store, recovery = Store.create(self.data_dir, passphrase, user_name)
            return recovery

    def unlock(self, passphrase: str | Secret, *, inspect: bool = False) -> None:
        """Open the vault (WrongPassphrase, throttled by the store, when it does not). A
        :class:`~kindcheck.passphrase.Secret` is read in place; the caller wipes it.

        ``inspect``: read-only, for `kindcheck verify`: a file whose schema is not what this
        Kindcheck expects is opened anyway so every problem can be listed (nothing is written).
        """
        from kindcheck.store import Store

        from .facts import complete_facts

        with self._lock:
            if self._store is None:
                store = Store.unlock(self.data_dir, passphrase, inspect=inspect)
                try:
                    complete_facts(store)
                except BaseException:
                    store.close()
                    raise
                self._store = store

    def acknowledge_rollback(self) -> None:
        """The older copy of the vault was put back on purpose: stop warning about it."""
        with self._lock:
            self._open().acknowledge_rollback()

    def new_recovery_key(self, passphrase: str | Secret) -> str:
        """Replace the recovery key (a damaged or lost one); the new key, to show once."""
        with self._lock:
            return str(self._open().new_recovery_key(passphrase))

    def unlock_with_recovery(self, recovery_key: str, new_passphrase: str) -> None:
        """Open the vault with the recovery key and set ``new_passphrase`` as the passphrase
        (the old one stops working; the recovery key stays valid)."""
        from kindcheck.store import Store

        from .facts import complete_facts

        with self._lock:
            if self._store is not None:
                raise KindcheckError("the vault is open already")
            store = Store.unlock_with_recovery(self.data_dir, recovery_key, new_passphrase)
            try:
                complete_facts(store)
            except BaseException:
                store.close()
                raise
            self._store = store

    def change_passphrase(self, old: str | Secret, new: str) -> None:
        """Rewrap the data key for ``new`` (WrongPassphrase when ``old`` is not the passphrase)."""
        with self._lock:
            self._open().change_passphrase(old, new)

    def restore(self, backup: Path, passphrase: str, force: bool = False) -> None:
        """Replace the vault (there must be none, unless ``force``) with a backup that opens
        with ``passphrase``. The vault must not be open here."""
        from kindcheck.store import Store

        with self._lock:
            if self._store is not None:
                raise KindcheckError("the vault is open already")
            Store.restore(backup, self.data_dir, force=force, passphrase=passphrase)

    @property
    def rollback_warning(self) -> str | None:
        """Set when the vault just opened is older than this computer saw it (the store's
        ROLLBACK_WARNING, filled in); None otherwise."""
        with self._lock:
            return None if self._store is None else self._store.rollback_warning

    def lock(self) -> None:
        """Drop the key and release the vault. Waits for a save in progress."""
        with self._lock:
            store, self._store = self._store, None
            self._interpreted.clear()
            if store is not None:
                store.close()

    close = lock

    def user_name(self) -> str:
        with self._lock:
            return str(self._open().user_name or "")

    # -- reading ------------------------------------------------------------------------

    def overview(self, query: str = "") -> Overview:
        """Home's overview: the clients (matching ``query``), their follow-ups, the drafts.

        One read transaction: the clients (with their last session), the plans and the
        drafts, each in one query. A record that cannot be read never stops it: it is left
        out where it would have been and named in ``Overview.damaged`` (and in its client's
        ``damaged``). A client whose own record cannot be read is still listed, by its id,
        with its sessions and plan (they are records of their own), whatever the query: its
        reference is unknown.
        """
        # The same due dates as `kindcheck due`: one computation, in .caseload.
        from kindcheck.followup import status

        from .caseload import DUE_WINDOW_DAYS
        from .damage import damaged_records
        from .plans import list_plans

        with self._lock:
            store = self._open()
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
                stored_by_id = {
                    stored.id: stored for stored in store.client_sessions(client_id, session_notes)
                }
                step_notes: list[str] = []
                steps_by_id = store.client_meldcode_steps(client_id, step_notes)
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
                meldcode=meldcode_process(store, client_id),
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
            session = session_from_dict(answers, f"session {session_id}")
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

    def followup_start(self, client_id: str) -> FollowUpStart:
        """The client as a new follow-up conversation starts from: the setting and children
        of the latest session, and what the follow-up compares with."""
        from .intake import PreviousSession, estimated_ages

        detail = self.client(client_id)
        if not detail.summary.readable:
            # The session would be recorded under the client's reference, which is in the
            # record that cannot be read.
            raise VaultError.from_catalog(
                "error.client_unreadable", client=detail.summary.client_id[:8]
            )
        today = self.clock()
        sessions = detail.sessions
        latest = sessions[0] if sessions else None
        ages: tuple[int, ...] | None = None
        previous = None
        if latest is not None:
            outcome = latest.outcome
            if outcome.check_closed and not outcome.children:
                ages = ()
            elif outcome.children:
                ages = tuple(
                    estimated_ages(
                        [(c.age, c.birth_date) for c in outcome.children],
                        latest.session.session_date,
                        today,
                    )
                )
            scanned = next((s for s in sessions if s.outcome.scan_done), None)
            opener = detail.meldcode_session
            previous = PreviousSession(
                held_on=latest.session.session_date,
                scan_on=scanned.session.session_date if scanned else None,
                scan_count=scanned.outcome.problem_domain_count if scanned else None,
                signals=tuple(signal.id for signal in outcome.safety_signals),
                meldcode_since=opener.session.session_date
                if opener is not None and outcome.has_safety_signal
                else None,
                meldcode_open=detail.meldcode is not None and detail.meldcode.is_open,
                open_handoffs=sum(1 for h in detail.handoffs if h.status == "open"),
            )
        setting = latest.session.setting if latest is not None else "ggz"
        reference = detail.summary.reference
        with self._lock:
            drafts = [self._draft_summary(draft) for draft in self._open().list_drafts(damaged=[])]
        begun = next(
            (
                draft
                for draft in drafts
                if draft.payload.get("kind") == "followup" and draft.reference == reference
            ),
            None,
        )
        return FollowUpStart(
            client_id, reference, detail.summary.name, setting, ages, previous, begun
        )

    def followup_preview(self, session: Session) -> FollowUpPreview:
        """The client's plan once this follow-up is saved: its rhythm (a new signal or
        stacking makes it more frequent, never less) and the next conversation."""
        from kindcheck.followup import plan_after_session, status
        from kindcheck.outcome import compute_outcome

        from .caseload import DUE_WINDOW_DAYS
        from .plans import get_plan

        with self._lock:
            store = self._open()
            client = store.find_client(session.client_reference, log=False)
            existing = get_plan(store, client.id) if client is not None else None
            planned = plan_after_session(existing, compute_outcome(session), session.session_date)
            if planned is None:
                return FollowUpPreview(None, None, "none")
            plan, rhythm, change = planned
            state = status(plan, self.clock(), session.session_date, DUE_WINDOW_DAYS)
            return FollowUpPreview(state.occurrence, rhythm.value if rhythm else None, change)

    # -- writing ------------------------------------------------------------------------

    def save_draft(
        self, draft_id: str, payload: dict[str, Any], version: int, reference: str | None = None
    ) -> bool:
        """Store the draft encrypted, unless a newer version of it was stored already."""
        with self._lock:
            store = self._open()
            if version < self._draft_versions.get(draft_id, -1):
                return False
            known = self._store_draft_ids.get(draft_id)
            draft = store.save_draft(payload, reference=reference, draft_id=known)
            self._store_draft_ids[draft_id] = draft.id
            self._draft_versions[draft_id] = version
            return True

    def delete_draft(self, draft_id: str) -> None:
        with self._lock:
            store = self._open()
            known = self._store_draft_ids.pop(draft_id, None)
            if known is not None:
                store.delete_draft(known)
            self._draft_versions[draft_id] = _GONE

    def record(
        self,
        session: Session,
        outcome: Outcome | None = None,
        *,
        meldcode_steps: Mapping[str, date | None] | None = None,
        rhythm: str | None = None,
        draft_id: str | None = None,
        log_refusal: bool = True,
    ) -> Recorded:
        """Record a completed session, intake or follow-up, in one transaction
        (:func:`.recording.record_session`); its draft, if any, goes with it. ``outcome``: the
        session's outcome if the caller has it already (it is computed once per save)."""
        from kindcheck.outcome import compute_outcome

        from .recording import record_session

        with self._lock:
            store = self._open()
            if outcome is None:
                outcome = compute_outcome(session, **self._context(store, session))
            known = self._store_draft_ids.get(draft_id) if draft_id else None
            recorded = record_session(
                store,
                session,
                outcome,
                self.lang,
                meldcode_steps=meldcode_steps,
                rhythm=rhythm,
                draft_id=known,
                log_refusal=log_refusal,
            )
            if draft_id:
                self._store_draft_ids.pop(draft_id, None)
                self._draft_versions[draft_id] = _GONE
            return recorded

    def _context(self, store: Store, session: Session) -> dict[str, Any]:
        """compute_outcome's keywords for a new session of this client, from the vault."""
        from .followthrough import outcome_context

        client = store.find_client(session.client_reference, log=False)
        context = outcome_context(store, client.id if client is not None else None)
        return {
            "meldcode_open": context.meldcode_open,
            "open_handoffs": context.open_handoffs,
            "group": context.group,
        }

    def outcome_for(self, session: Session) -> Outcome:
        """The outcome a new session will be recorded with (the vault's context included:
        an open Meldcode process, hand-offs not yet confirmed, the professional group)."""
        from kindcheck.outcome import compute_outcome

        with self._lock:
            store = self._open()
            return compute_outcome(session, **self._context(store, session))

    def save_intake(
        self,
        session: Session,
        meldcode_steps: dict[str, date | None],
        rhythm: str,
        rhythm_changed: bool,
        draft_id: str | None,
        outcome: Outcome | None = None,
    ) -> str:
        """Store an intake as :meth:`record` does, with the rhythm the clinician chose when it
        differs from the proposed one (``rhythm_changed``); return the client's id."""
        recorded = self.record(
            session,
            outcome,
            meldcode_steps=meldcode_steps,
            rhythm=rhythm if rhythm_changed else None,
            draft_id=draft_id,
            log_refusal=False,  # the app shows the refusal itself
        )
        return recorded.client.id

    def save_followup(
        self,
        session: Session,
        meldcode_steps: dict[str, date | None],
        draft_id: str | None,
        outcome: Outcome | None = None,
    ) -> str:
        """Store a follow-up conversation as :meth:`record` does; return the client's id. The
        plan's next date moves on by itself (its status counts from the latest session); a new
        signal or stacking makes the plan more frequent (kindcheck.followup.plan_after_session)."""
        recorded = self.record(
            session,
            outcome,
            meldcode_steps=meldcode_steps,
            draft_id=draft_id,
            log_refusal=False,  # the app shows the refusal itself
        )
        return recorded.client.id

    def save_plan(self, client_id: str, plan: FollowUpPlan, rhythm: str | None) -> None:
        """Store a client's plan as edited on the client page. ``rhythm`` is the default
        rhythm it follows, or None for a plan set by hand (later sessions then leave its
        rhythm alone)."""
        from kindcheck.followup.policy import DEFAULT_RHYTHMS

        from .plans import save_plan

        with self._lock:
            save_plan(self._open(), client_id, plan, rhythm if rhythm in DEFAULT_RHYTHMS else None)

    # -- what follows a session: events, hand-offs, the Meldcode process, the profile ------

    def professional_group(self) -> str | None:
        """The user's professional group, read once per unlock (the outcome page asks)."""
        with self._lock:
            store = self._open()
            if self._group_of is not store:
                self._group, self._group_of = store.professional_group(), store
            return self._group

    def set_professional_group(self, group: str | None) -> None:
        """Set the user's professional group (one of the Meldcode guide's, or None)."""
        from .followthrough import guide

        if group is not None and guide().group(group) is None:
            raise VaultError("no such professional group")
        with self._lock:
            self._open().set_professional_group(group)
            self._group_of = None

    def record_event(self, client_id: str, event_id: str, on: date) -> date:
        """Record an event on the client page; the day the Kindcheck is due again by."""
        from .followthrough import record_event

        with self._lock:
            return record_event(self._open(), client_id, event_id, on)

    def record_event_for(self, reference: str, event_id: str, on: date) -> date | None:
        """Record an event for the client with this reference; None when there is none."""
        from .followthrough import record_event

        with self._lock:
            store = self._open()
            client = store.find_client(reference)
            if client is None:
                return None
            return record_event(store, client.id, event_id, on)

    def set_handoff_status(self, client_id: str, handoff_id: str, status: str, on: date) -> None:
        with self._lock:
            self._open().set_handoff_status(client_id, handoff_id, status, on)

    def set_afweging(
        self, session_id: str, afweging_id: str, answer: str, on: date, note: str = ""
    ) -> None:
        from .followthrough import set_afweging

        with self._lock:
            set_afweging(self._open(), session_id, afweging_id, answer, on, note)

    def add_meldcode_decision(
        self,
        client_id: str,
        session_id: str,
        decision_id: str,
        on: date,
        reason: str = "",
        next_rhythm: str | None = None,
    ) -> None:
        from .followthrough import add_meldcode_decision

        with self._lock:
            add_meldcode_decision(
                self._open(), client_id, session_id, decision_id, on, reason, next_rhythm
            )

    def close_meldcode(
        self, client_id: str, session_id: str, on: date, reason: str, next_rhythm: str
    ) -> None:
        from .followthrough import close_meldcode

        with self._lock:
            close_meldcode(self._open(), client_id, session_id, on, reason, next_rhythm)

    def set_meldcode_step(self, session_id: str, step_id: str, done_on: date | None) -> None:
        """Tick off (or reopen, with None) one Meldcode step of a stored session."""
        with self._lock:
            self._open().set_meldcode_step(session_id, step_id, done_on)


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


def open_service(
    data_dir: Path, clock: Callable[[], date] = date.today, lang: str = "nl"
) -> VaultService:
    """The service over the encrypted store in ``data_dir`` (nothing is opened yet)."""
    return VaultService(data_dir, clock, lang)
