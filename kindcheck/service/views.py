"""What the screens get from the service layer: plain frozen dataclasses built from the core.

Sessions with their outcomes and Meldcode steps, the client list and one client's page, what a
follow-up starts from, drafts, and the home screen's overview. Nothing here reads the vault;
:class:`kindcheck.service.vault_service.VaultService` builds them.

A record that cannot be read is never dropped silently: the views that leave one out carry it
as a :class:`DamagedRecord` (``Overview.damaged``, ``ClientSummary.damaged``,
``ClientDetail.damaged``), for the screens to name it and say what to do. What the app must
say about the vault itself after unlocking (an older copy, a damaged key slot, read-only
media) is :class:`VaultNotices`.

Imported before the first screen is drawn, so the core is imported only for type checking here
(the outcome engine and the follow-up plans cost about 40 ms) or inside the one property that
needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kindcheck.text import one_line

if TYPE_CHECKING:
    from kindcheck.answers import Session
    from kindcheck.followup import FollowUpPlan, FollowUpState, FollowUpStatus
    from kindcheck.outcome import Outcome
    from kindcheck.service.caseload import DueItem
    from kindcheck.service.followthrough import MeldcodeProcess
    from kindcheck.service.intake import PreviousSession
    from kindcheck.store import ClientEvent, HandoffEntry

__all__ = [
    "ClientDetail",
    "ClientSummary",
    "DamagedRecord",
    "DraftSummary",
    "FollowUpPreview",
    "FollowUpStart",
    "HomeItem",
    "Overview",
    "PendingDraft",
    "RollbackNotice",
    "SessionView",
    "SlotNotice",
    "VaultNotices",
    "meldcode_opener",
]


@dataclass(frozen=True)
class DamagedRecord:
    """One stored record that cannot be read: it does not decrypt (a byte changed, the record
    was cut, swapped with or moved from another row) or it does not hold what Kindcheck wrote.

    ``kind``: "client", "session", "plan", "draft", "log" (an access-log entry) or "vault"
    (the vault's own profile or state record). ``record_id`` is the id as it is in the file,
    which may hold anything: show it through :attr:`short_id`. ``reference`` is the client's
    reference when the client's own record still reads; ``held_on`` the date of a session
    whose small list header still reads."""

    kind: str
    record_id: str
    client_id: str | None = None
    reference: str | None = None
    held_on: date | None = None

    @property
    def short_id(self) -> str:
        """The id's first 8 characters, safe to show (control characters dropped)."""
        return one_line(self.record_id)[:8]


@dataclass(frozen=True)
class RollbackNotice:
    """The vault is older than the last one opened on this computer (``found``: its
    generation then, None if unreadable; ``expected``: the highest this computer saw), first
    noticed on ``noticed``; kept until the user says the copy was put back on purpose."""

    found: int | None
    expected: int
    noticed: date


@dataclass(frozen=True)
class SlotNotice:
    """A key slot that is damaged, changed or missing. ``secret``: "passphrase" or "recovery",
    the secret that no longer opens the vault ("" when it cannot be told)."""

    slot_id: str
    secret: str

    @property
    def short_id(self) -> str:
        return one_line(self.slot_id)[:8]


@dataclass(frozen=True)
class VaultNotices:
    """What the app says about the vault itself after unlocking, until it is dealt with."""

    rollback: RollbackNotice | None = None
    damaged_slots: tuple[SlotNotice, ...] = ()
    read_only: bool = False

    def __bool__(self) -> bool:
        return self.rollback is not None or bool(self.damaged_slots) or self.read_only


@dataclass(frozen=True)
class SessionView:
    """One stored session with its outcome and the Meldcode steps taken (step id -> date)."""

    session_id: str
    session: Session
    outcome: Outcome
    meldcode_steps: dict[str, date | None]
    meldcode_readable: bool = True  # False: its Meldcode record is damaged (steps unknown)


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
    last_kind: str | None = None  # "intake" or "followup": the kind of the last session
    damaged: tuple[DamagedRecord, ...] = ()  # this client's records that cannot be read

    @property
    def readable(self) -> bool:
        """Whether the client's own record reads (else ``reference`` and ``name`` are
        unknown: the row is named by the client id)."""
        return not any(item.kind == "client" for item in self.damaged)

    @property
    def plan_damaged(self) -> bool:
        """The client's follow-up plan cannot be read: its next conversation is unknown."""
        return any(item.kind == "plan" for item in self.damaged)


@dataclass(frozen=True)
class ClientDetail:
    summary: ClientSummary
    sessions: tuple[SessionView, ...]  # newest first
    plan: FollowUpPlan | None
    upcoming: tuple[datetime, ...]
    plan_rhythm: str | None = None  # the default rhythm the stored plan follows; None: by hand
    last_held: date | None = None  # the latest session (intake or follow-up)
    damaged: tuple[DamagedRecord, ...] = ()  # the client's records that cannot be read
    # Version 2: the Meldcode process (afwegingen, decisions, closing), warm hand-offs,
    # events, and what is due besides the plan (Kindcheck after an event, questions to ask).
    meldcode: MeldcodeProcess | None = None
    handoffs: tuple[HandoffEntry, ...] = ()
    events: tuple[ClientEvent, ...] = ()
    due: tuple[DueItem, ...] = ()

    @cached_property  # the page asks for every key it checks (check_action): once, not 27 times
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
    change: str  # "new", "more_frequent", "unchanged" or "none" (as Recorded.plan_change)


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
class HomeItem:
    """A dated item on the home screen besides the plans: the Kindcheck due again after an
    event, or a question to ask again (``label``: the event's name or the question's id)."""

    client_id: str
    reference: str
    kind: str  # "kindcheck" | "reask"
    reason: str  # kindcheck:<event> | reask:<question>
    label: str
    when: date | None
    state: FollowUpState
    last_held: date | None


@dataclass(frozen=True)
class Overview:
    """Everything the home screen shows, loaded in one go."""

    clients: tuple[ClientSummary, ...]
    drafts: tuple[DraftSummary, ...]
    today: date
    user_name: str = ""
    damaged: tuple[DamagedRecord, ...] = ()  # every record the overview could not read
    notices: VaultNotices = VaultNotices()
    # Which generation wrote each client's records and each draft when this was read
    # (VaultService.changes_since); None when the vault cannot tell.
    generations: dict[str, int] | None = field(default=None, compare=False, repr=False)
    items: tuple[HomeItem, ...] = ()  # due or overdue, most urgent first
    # False: listed from the caseload summary (kindcheck.service.caseload_summary), where a
    # record damaged since it was made is not yet named; reading every record names it.
    complete: bool = field(default=True, compare=False)

    @cached_property
    def followups(self) -> list[ClientSummary]:
        """Clients whose follow-up is due or overdue, most overdue first; before them the
        clients whose plan cannot be read (their next conversation may be overdue: it must
        not vanish from the list)."""
        from kindcheck.followup import FollowUpState

        wanted = (FollowUpState.DUE, FollowUpState.OVERDUE)
        found = [
            c for c in self.clients if c.plan_damaged or (c.followup and c.followup.state in wanted)
        ]
        return sorted(
            found,
            key=lambda c: (
                not c.plan_damaged,
                -(c.followup.days_overdue if c.followup else 0),
                c.reference,
            ),
        )
