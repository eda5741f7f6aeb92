"""The service layer between the screens and the encrypted store (kindcheck.store).

Screens never touch SQL or crypto (DESIGN.md, "Layers"): they call :class:`VaultService`, which
hands back plain frozen dataclasses built from the core (sessions, outcomes, follow-up plans).
Every method except :meth:`VaultService.exists` may block (key derivation, disk, decryption):
call them from thread workers only. A lock serialises calls, so a late autosave can never
overtake a newer one, and locking waits for a save in progress.

The store module is imported on first unlock or create, not at startup: it pulls in SQLModel
and SQLAlchemy (about 300 ms), which the first screen does not need. The core (outcome,
follow-up plans, dateutil; about 40 ms) is imported by the methods that need it, for the same
reason: this module is imported before the first screen is drawn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import VaultError

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.followup import FollowUpPlan, FollowUpStatus
    from kindcheck.outcome import Outcome

    from .intake_state import PreviousSession

# The vault file's name, as kindcheck.store.DB_NAME (a test checks they agree): knowing it here
# lets the first screen choose between "create" and "unlock" without importing the store.
VAULT_FILE = "kindcheck.db"

# The rhythms a clinician can choose on the outcome page: the three defaults of DOMAIN.md part
# 4 (kindcheck.followup.Rhythm) plus two in between. Each is an RRULE and the step to the first
# conversation (relativedelta arguments).
RHYTHM_RULES: dict[str, tuple[str, dict[str, int]]] = {
    "safety": ("FREQ=WEEKLY;INTERVAL=2", {"weeks": 2}),
    "weeks4": ("FREQ=WEEKLY;INTERVAL=4", {"weeks": 4}),
    "stacking": ("FREQ=WEEKLY;INTERVAL=6", {"weeks": 6}),
    "children": ("FREQ=MONTHLY;INTERVAL=3", {"months": 3}),
    "months6": ("FREQ=MONTHLY;INTERVAL=6", {"months": 6}),
}
NO_PLAN = "none"
DEFAULT_RHYTHMS = frozenset({"safety", "stacking", "children"})


class VaultNotOpen(VaultError):
    """The vault is locked (or was never unlocked) while something tried to read it."""

    def __init__(self) -> None:
        super().__init__("the vault is locked")


# ---------------------------------------------------------------------------------------------
# What the screens get


@dataclass(frozen=True)
class SessionView:
    """One stored session with its outcome and the Meldcode steps taken (step id -> date)."""

    session_id: str
    session: Session
    outcome: Outcome
    meldcode_steps: dict[str, date | None]


@dataclass(frozen=True)
class ClientSummary:
    """One row of the client list, from the small encrypted session headers only."""

    client_id: str
    reference: str
    name: str | None
    last_session: date | None
    problem_domain_count: int | None  # of the latest session with a scan; None: no scan
    safety_signal: bool
    parenting_support_flag: bool
    followup: FollowUpStatus | None
    check_closed: bool = False  # the latest intake closed the check: no children, no pregnancy


@dataclass(frozen=True)
class ClientDetail:
    summary: ClientSummary
    sessions: tuple[SessionView, ...]  # newest first
    plan: FollowUpPlan | None
    upcoming: tuple[datetime, ...]
    plan_rhythm: str | None = None  # the default rhythm the stored plan follows; None: by hand
    last_held: date | None = None  # the latest session (intake or follow-up)

    @property
    def meldcode_session(self) -> SessionView | None:
        """The session whose Meldcode checklist is current (see :func:`meldcode_opener`)."""
        return meldcode_opener(self.sessions)


def meldcode_opener(sessions_newest_first: tuple[SessionView, ...]) -> SessionView | None:
    """The latest session that raised a signal its previous session did not have.

    That session's Meldcode checklist is the one in use: a follow-up that only finds the
    signals already known continues the process of the session that opened it (whose steps
    may be half done), while a new signal opens a new checklist.
    """
    chronological = list(reversed(sessions_newest_first))
    opener: SessionView | None = None
    previous_ids: set[str] = set()
    for view in chronological:
        ids = {signal.id for signal in view.outcome.safety_signals}
        if ids - previous_ids:
            opener = view
        previous_ids = ids
    return opener


@dataclass(frozen=True)
class FollowUpStart:
    """What a new follow-up conversation starts from: the client and the last session."""

    client_id: str
    reference: str
    name: str | None
    setting: str
    child_ages: tuple[int, ...] | None  # proposed for today; None: nothing known
    previous: PreviousSession | None
    draft: DraftSummary | None = None  # a follow-up of this client begun earlier, to resume


@dataclass(frozen=True)
class FollowUpPreview:
    """The plan as it will be once the follow-up is saved."""

    next_conversation: datetime | None
    rhythm: str | None  # the default rhythm it follows, None for one set by hand
    change: str  # "new", "more_frequent", "unchanged" or "none" (kindcheck.store.Recorded)


@dataclass(frozen=True)
class DraftSummary:
    draft_id: str
    reference: str
    phase: str
    updated: datetime | None
    payload: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class PendingDraft:
    """A form's state to store: newer versions win over older ones still in flight."""

    draft_id: str
    payload: dict[str, Any] = field(repr=False)
    version: int
    reference: str | None = None


@dataclass(frozen=True)
class Overview:
    """Everything the home screen shows, loaded in one go."""

    clients: tuple[ClientSummary, ...]
    drafts: tuple[DraftSummary, ...]
    today: date
    user_name: str = ""

    @property
    def followups(self) -> list[ClientSummary]:
        """Clients whose follow-up is due or overdue, most overdue first."""
        from kindcheck.followup import FollowUpState

        wanted = (FollowUpState.DUE, FollowUpState.OVERDUE)
        found = [c for c in self.clients if c.followup and c.followup.state in wanted]
        return sorted(
            found, key=lambda c: (-(c.followup.days_overdue if c.followup else 0), c.reference)
        )


# ---------------------------------------------------------------------------------------------
# The service


class VaultService:
    """What the screens call. Blocking (except ``exists``): use from thread workers."""

    def __init__(
        self, data_dir: Path, clock: Callable[[], date] = date.today, lang: str = "nl"
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        self.lang = lang
        self._store: Any = None
        self._lock = threading.RLock()
        self._draft_versions: dict[str, int] = {}
        # Drafts are named by the app (so a form has its id from the first key press); the
        # store hands out its own ids on the first save. This maps the one onto the other.
        self._store_draft_ids: dict[str, str] = {}

    @property
    def unlocked(self) -> bool:
        return self._store is not None

    def _open(self) -> Any:
        if self._store is None:
            raise VaultNotOpen()
        return self._store

    # -- the vault ----------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a vault is there (a file check; the store is not imported)."""
        return (self.data_dir / VAULT_FILE).exists()

    def create(self, passphrase: str, user_name: str) -> str:
        """Create the vault, open; return the recovery key to show once."""
        from kindcheck.store import Store  # ~300 ms: SQLModel and SQLAlchemy

        with self._lock:
            self._store, recovery = Store.create(self.data_dir, passphrase, user_name)
            return str(recovery)

    def unlock(self, passphrase: str) -> None:
        """Open the vault (WrongPassphrase, throttled by the store, when it does not)."""
        from kindcheck.store import Store

        with self._lock:
            if self._store is None:
                self._store = Store.unlock(self.data_dir, passphrase)

    def lock(self) -> None:
        """Drop the key and release the vault. Waits for a save in progress."""
        with self._lock:
            store, self._store = self._store, None
            if store is not None:
                store.close()

    close = lock

    def user_name(self) -> str:
        with self._lock:
            return str(self._open().user_name or "")

    # -- reading ------------------------------------------------------------------------

    def overview(self, query: str = "") -> Overview:
        # The same due dates as `kindcheck due`: one computation, in kindcheck.reporting.
        from kindcheck.reporting import followup_statuses

        with self._lock:
            store = self._open()
            today = self.clock()
            statuses = {
                item.client.id: item.status for item in followup_statuses(store, today, damaged=[])
            }
            needle = " ".join(query.split()).casefold()
            clients = []
            for item in store.list_clients(damaged=[]):
                if needle and needle not in item.client.reference.casefold():
                    continue
                last = item.last_session
                clients.append(
                    ClientSummary(
                        client_id=item.client.id,
                        reference=item.client.reference,
                        name=item.client.name,
                        last_session=last.session_date if last else None,
                        problem_domain_count=last.problem_domain_count if last else None,
                        safety_signal=bool(last and last.safety_signal),
                        parenting_support_flag=bool(last and last.parenting_support_flag),
                        followup=statuses.get(item.client.id),
                        # The header has no "closed" field: an intake without a scan, a signal
                        # or a rhythm is one whose check closed (ask the store for the field).
                        check_closed=bool(
                            last
                            and last.kind == "intake"
                            and not last.scan_done
                            and not last.safety_signal
                            and last.followup_rhythm is None
                        ),
                    )
                )
            drafts = [self._draft_summary(draft) for draft in store.list_drafts(damaged=[])]
            return Overview(tuple(clients), tuple(drafts), today, str(store.user_name or ""))

    def _draft_summary(self, draft: Any) -> DraftSummary:
        payload = draft.payload
        client = payload.get("client") if isinstance(payload.get("client"), dict) else {}
        reference = draft.reference or client.get("reference") or "?"
        self._store_draft_ids.setdefault(draft.id, draft.id)
        return DraftSummary(
            draft.id, str(reference), str(payload.get("phase", "")), draft.updated_at, payload
        )

    def client(self, client_id: str) -> ClientDetail:
        from kindcheck.answers import session_from_dict
        from kindcheck.followup import FollowUpState, occurrences, status
        from kindcheck.outcome import compute_outcome
        from kindcheck.reporting import DUE_WINDOW_DAYS
        from kindcheck.service.plans import get_plan

        with self._lock:
            store = self._open()
            client = store.get_client(client_id)
            if client is None:
                raise VaultError("that client is no longer in the vault")
            today = self.clock()
            sessions = []
            for summary in store.list_sessions(client_id):  # the one "read" of the file
                stored = store.get_session(summary.id, log=False)
                if stored is None:
                    continue
                session = session_from_dict(stored.answers, f"session {summary.id}")
                steps = {
                    key: record.done_on for key, record in store.meldcode_steps(summary.id).items()
                }
                sessions.append(SessionView(summary.id, session, compute_outcome(session), steps))
            stored_plan = get_plan(store, client_id)
            plan = stored_plan.plan if stored_plan is not None else None
            last = sessions[-1] if sessions else None
            # As kindcheck.reporting.followup_statuses (home, `kindcheck due`): the plan's
            # status counts from the latest session held, whatever its kind.
            held = max((s.session.session_date for s in sessions), default=None)
            latest_scan = next((s for s in reversed(sessions) if s.outcome.scan_done), None)
            summary = ClientSummary(
                client_id=client.id,
                reference=client.reference,
                name=client.name,
                last_session=last.session.session_date if last else None,
                problem_domain_count=latest_scan.outcome.problem_domain_count
                if latest_scan
                else None,
                safety_signal=bool(last and last.outcome.has_safety_signal),
                parenting_support_flag=bool(last and last.outcome.parenting_support_flag),
                followup=status(plan, today, held, DUE_WINDOW_DAYS) if plan is not None else None,
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
            return ClientDetail(summary, tuple(reversed(sessions)), plan, upcoming, rhythm, held)

    def followup_start(self, client_id: str) -> FollowUpStart:
        """The client as a new follow-up conversation starts from: the setting and children
        of the latest session, and what the follow-up compares with."""
        from .intake_state import PreviousSession, estimated_ages

        detail = self.client(client_id)
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
        from kindcheck.reporting import DUE_WINDOW_DAYS
        from kindcheck.service.plans import get_plan

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
            self._draft_versions[draft_id] = 1 << 62  # no late autosave brings it back

    def save_intake(
        self,
        session: Session,
        meldcode_steps: dict[str, date | None],
        rhythm: str,
        rhythm_changed: bool,
        draft_id: str | None,
        outcome: Outcome | None = None,
    ) -> str:
        """Store session, outcome, Meldcode steps and plan in one transaction, drop the draft;
        return the client's id. ``outcome``: the session's outcome if the caller has it
        already (it is computed once per save)."""
        from kindcheck.followup import Rhythm
        from kindcheck.outcome import compute_outcome
        from kindcheck.service.plans import save_plan
        from kindcheck.service.recording import record_session

        with self._lock:
            store = self._open()
            if outcome is None:
                outcome = compute_outcome(session)
            with store.batch():
                recorded = record_session(store, session, outcome, self.lang)
                for step_id, done_on in meldcode_steps.items():
                    store.set_meldcode_step(recorded.session.id, step_id, done_on)
                if rhythm_changed:
                    plan = build_plan(session, outcome, rhythm)
                    if plan is None:
                        # No plan wanted: the store has no "delete plan" yet, so the plan
                        # ends on the day of the intake (no conversation falls in it).
                        plan = build_plan(
                            session, outcome, "children", ends_on=session.session_date
                        )
                    if plan is not None:
                        chosen = Rhythm(rhythm) if rhythm in DEFAULT_RHYTHMS else None
                        save_plan(store, recorded.client.id, plan, chosen)  # revision +1
                self._drop_draft(store, draft_id)
            if draft_id:
                self._draft_versions[draft_id] = 1 << 62
            return str(recorded.client.id)

    def _drop_draft(self, store: Any, draft_id: str | None) -> None:
        known = self._store_draft_ids.pop(draft_id, None) if draft_id else None
        if known is not None:
            store.delete_draft(known)

    def save_followup(
        self,
        session: Session,
        meldcode_steps: dict[str, date | None],
        draft_id: str | None,
        outcome: Outcome | None = None,
    ) -> str:
        """Store a follow-up conversation, its outcome and Meldcode steps in one transaction
        and drop its draft; return the client's id. The plan's next date moves on by itself
        (its status counts from the latest session); a new signal or stacking makes the plan
        more frequent (kindcheck.followup.plan_after_session). ``outcome``: as for
        :meth:`save_intake`."""
        from kindcheck.outcome import compute_outcome
        from kindcheck.service.recording import record_session

        with self._lock:
            store = self._open()
            if outcome is None:
                outcome = compute_outcome(session)
            with store.batch():
                recorded = record_session(store, session, outcome, self.lang)
                for step_id, done_on in meldcode_steps.items():
                    store.set_meldcode_step(recorded.session.id, step_id, done_on)
                self._drop_draft(store, draft_id)
            if draft_id:
                self._draft_versions[draft_id] = 1 << 62
            return str(recorded.client.id)

    def save_plan(self, client_id: str, plan: FollowUpPlan, rhythm: str | None) -> None:
        """Store a client's plan as edited on the client page. ``rhythm`` is the default
        rhythm it follows, or None for a plan set by hand (later sessions then leave its
        rhythm alone)."""
        from kindcheck.followup import Rhythm
        from kindcheck.service.plans import save_plan

        with self._lock:  # through the service: a changed plan gets its next revision
            chosen = Rhythm(rhythm) if rhythm in DEFAULT_RHYTHMS else None
            save_plan(self._open(), client_id, plan, chosen)

    def set_meldcode_step(self, session_id: str, step_id: str, done_on: date | None) -> None:
        """Tick off (or reopen, with None) one Meldcode step of a stored session."""
        with self._lock:
            self._open().set_meldcode_step(session_id, step_id, done_on)


def build_plan(
    session: Session, outcome: Outcome, rhythm: str, ends_on: date | None = None
) -> FollowUpPlan | None:
    """The follow-up plan for an intake in the chosen rhythm (None: no plan)."""
    from dateutil.relativedelta import relativedelta

    from kindcheck.followup import FollowUpPlan, Rhythm, new_plan, plan_end_for_children

    if rhythm not in RHYTHM_RULES:
        return None
    start = session.session_date
    if ends_on is None:
        ends_on = plan_end_for_children(
            start,
            [
                (child.age if child.age is not None else 0, child.birth_date)
                for child in outcome.children
                if child.age is not None or child.birth_date is not None
            ],
            outcome.pregnancy_due,
            pregnancy=outcome.pregnancy == "yes",
        )
    if rhythm in DEFAULT_RHYTHMS:
        return new_plan(Rhythm(rhythm), start, ends_on)
    rule, step = RHYTHM_RULES[rhythm]
    return FollowUpPlan(rule=rule, start=start + relativedelta(**step), ends_on=ends_on)


def default_rhythm_choice(outcome: Outcome) -> str:
    return outcome.followup_rhythm.value if outcome.followup_rhythm else NO_PLAN


def open_service(
    data_dir: Path, clock: Callable[[], date] = date.today, lang: str = "nl"
) -> VaultService:
    """The service over the encrypted store in ``data_dir`` (nothing is opened yet)."""
    return VaultService(data_dir, clock, lang)
