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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import KindcheckError, VaultError
from kindcheck.settings import VAULT_FILE

from .caseload_reads import CaseloadReads
from .views import (
    FollowUpPreview,
    FollowUpStart,
)

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.followup import FollowUpPlan
    from kindcheck.outcome import Outcome
    from kindcheck.passphrase import Secret
    from kindcheck.store import Store

    from .recording import Recorded

__all__ = ["VAULT_FILE", "VaultNotOpen", "VaultService", "open_service"]


# A draft id whose draft is gone: no late autosave of it is stored again.
_GONE = 1 << 62


class VaultNotOpen(VaultError):
    """The vault is locked (or was never unlocked) while something tried to read it."""

    def __init__(self) -> None:
        super().__init__("the vault is locked")


class VaultService(CaseloadReads):
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
            self._forget_caseload_summary()
            if store is not None:
                store.close()

    close = lock

    def user_name(self) -> str:
        with self._lock:
            return str(self._open().user_name or "")

    # -- reading ------------------------------------------------------------------------

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


def open_service(
    data_dir: Path, clock: Callable[[], date] = date.today, lang: str = "nl"
) -> VaultService:
    """The service over the encrypted store in ``data_dir`` (nothing is opened yet)."""
    return VaultService(data_dir, clock, lang)
