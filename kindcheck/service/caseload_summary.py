"""The caseload summary: each client's row on the home screen, kept so that a large caseload
is listed without reading every client's records again.

An entry holds what home shows of one client that does not depend on the day: the reference
and name, the latest session's date, kind and signal, the latest scan's count and flag, the
plan's end and its first conversation not yet covered by a session held
(:func:`kindcheck.followup.next_conversation`), and the days a Kindcheck after an event or a
question asked again falls due. Today's state of each is arithmetic
(:func:`kindcheck.followup.status_on`, :func:`kindcheck.followup.item_state`), so the due list
is complete without reading a plan.

Each entry names the generation of the client's records it was made from. The vault's ledger
says which generation last wrote each client's records (``Store.record_generations``): an
entry is used only while the two agree, and made again from that client's records (three
small reads) when they do not. A client whose records cannot all be read has no entry: the
overview then reads everything, as it always did, and names what it could not read. The
summary is kept in the vault as one encrypted record (``meta/caseload``,
kindcheck.store.summaries) so that the first home screen after unlocking needs one read.

``kindcheck due`` reads only the summary's due part (:func:`due_document`, kept beside it and
written with it), at any caseload size, while no client changed; otherwise the summary, with
the entries of the clients changed since made again, and writes both back
(:func:`current_summary`). The due list is worked out for today from the days kept
(:func:`due_from_summary`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kindcheck.followup import status_on

from .views import ClientSummary, HomeItem

if TYPE_CHECKING:
    from kindcheck.store import Client, ClientOverview, SessionSummary, Store

    from .caseload import DueItem
    from .plans import ClientPlan

__all__ = [
    "SUMMARY_FROM_CLIENTS",
    "CaseloadSummary",
    "SummaryEntry",
    "current_summary",
    "due_document",
    "due_from_summary",
    "entry_for",
    "entry_from_records",
    "summary_key",
]

SUMMARY_FORMAT = 1
DUE_PART_FORMAT = 1  # of due_document's columns

SUMMARY_FROM_CLIENTS = 200
"""From this many clients on, home is drawn from the summary; below, reading every record
takes less than a tenth of a second and the summary is neither used nor kept."""


def summary_key(due_window_days: int, due_days: Mapping[str, int]) -> str:
    """What an entry's dates were computed with: the summary's format, the due window and
    the days after each event that a Kindcheck falls due (shipped data, which an update of
    Kindcheck may change). A summary made with other rules is made again."""
    rules = json.dumps([SUMMARY_FORMAT, due_window_days, sorted(due_days.items())])
    return hashlib.sha256(rules.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One client's row on home, as far as it does not depend on the day."""

    generation: int  # of the client's records this was made from (the ledger's)
    sort_key: str  # the normalised reference: the list's order
    reference: str
    name: str | None
    last_session: date | None
    last_kind: str | None
    safety_signal: bool
    check_closed: bool
    problem_domain_count: int | None
    parenting_support_flag: bool
    has_plan: bool
    plan_final_day: date | None
    next_conversation: datetime | None
    # (kind, detail, due on): Kindchecks due after an event and questions to ask again
    items: tuple[tuple[str, str, date], ...]

    def to_json(self) -> list[Any]:
        return [
            self.generation,
            self.sort_key,
            self.reference,
            self.name,
            _day(self.last_session),
            self.last_kind,
            self.safety_signal,
            self.check_closed,
            self.problem_domain_count,
            self.parenting_support_flag,
            self.has_plan,
            _day(self.plan_final_day),
            None if self.next_conversation is None else self.next_conversation.isoformat(),
            [[kind, detail, when.isoformat()] for kind, detail, when in self.items],
        ]

    @classmethod
    def from_json(cls, value: Any) -> SummaryEntry:
        """The entry; ValueError (or TypeError) for anything Kindcheck did not write. (The
        record is authenticated, so this guards against a bug, not an attacker: cheap checks,
        10,000 entries are read before home is drawn.)"""
        (
            generation,
            sort_key,
            reference,
            name,
            last_session,
            last_kind,
            safety_signal,
            check_closed,
            domains,
            flag,
            has_plan,
            final_day,
            conversation,
            items,
        ) = value
        if (
            type(generation) is not int
            or type(sort_key) is not str
            or type(reference) is not str
            or type(safety_signal) is not bool
            or type(check_closed) is not bool
            or type(flag) is not bool
            or type(has_plan) is not bool
            or (name is not None and type(name) is not str)
            or (last_kind is not None and type(last_kind) is not str)
            or (domains is not None and type(domains) is not int)
        ):
            raise ValueError("not a summary entry")
        return cls(
            generation,
            sort_key,
            reference,
            name,
            None if last_session is None else _fromisoday(last_session),
            last_kind,
            safety_signal,
            check_closed,
            domains,
            flag,
            has_plan,
            None if final_day is None else _fromisoday(final_day),
            None if conversation is None else _fromisotime(conversation),
            tuple((str(kind), str(detail), _fromisoday(when)) for kind, detail, when in items)
            if items
            else (),
        )

    def summary(self, client_id: str, today: date, due_window_days: int) -> ClientSummary:
        """The client's row on ``today``."""
        followup = (
            status_on(self.plan_final_day, self.next_conversation, today, due_window_days)
            if self.has_plan
            else None
        )
        return ClientSummary(
            client_id=client_id,
            reference=self.reference,
            name=self.name,
            last_session=self.last_session,
            problem_domain_count=self.problem_domain_count,
            safety_signal=self.safety_signal,
            parenting_support_flag=self.parenting_support_flag,
            followup=followup,
            check_closed=self.check_closed,
            last_kind=self.last_kind,
        )


def entry_for(
    client: Client,
    headers: Sequence[SessionSummary],
    last: SessionSummary | None,
    scan: SessionSummary | None,
    plan: ClientPlan | None,
    generation: int,
    due_window_days: int,
    due_days: Mapping[str, int],
) -> SummaryEntry:
    """A client's entry from its record, its session headers (only those of format 2 count,
    for the events' Kindchecks; all of them for a client with events or re-asks), its latest
    session and latest scan, and its plan."""
    from kindcheck.followup import next_conversation
    from kindcheck.store import normalise_reference

    from .caseload import due_items_for

    items: tuple[tuple[str, str, date], ...] = ()
    if client.events or client.reasks:
        repeats = [
            (header.session_date, header.saved_at)
            for header in headers
            if any(version >= 2 for _id, version in header.questionnaires)
        ]
        # The state is today's; the day each falls due is not.
        items = tuple(
            (due.kind, due.detail, due.when)
            for due in due_items_for(client, repeats, date.min, due_days)
            if due.when is not None
        )
    held = last.session_date if last is not None else None
    return SummaryEntry(
        generation=generation,
        sort_key=normalise_reference(client.reference),
        reference=client.reference,
        name=client.name,
        last_session=held,
        last_kind=last.kind if last else None,
        safety_signal=bool(last and last.safety_signal),
        check_closed=bool(
            last
            and last.kind == "intake"
            and not last.scan_done
            and not last.safety_signal
            and last.followup_rhythm is None
        ),
        problem_domain_count=scan.problem_domain_count if scan else None,
        parenting_support_flag=bool(scan and scan.parenting_support_flag),
        has_plan=plan is not None,
        plan_final_day=plan.plan.final_day if plan is not None else None,
        next_conversation=(
            next_conversation(plan.plan, held, due_window_days) if plan is not None else None
        ),
        items=items,
    )


@dataclass(frozen=True)
class CaseloadSummary:
    """Every client's entry (by client id), made with the rules ``key`` names. ``rules``:
    the shipped files' stamp (:func:`shipped_rules_stamp`) and the days after each event that
    the key was made with, kept so that ``kindcheck due`` need not load a questionnaire to
    know the summary is current (None: not kept; the key alone is checked)."""

    key: str
    entries: Mapping[str, SummaryEntry]
    rules: tuple[str, Mapping[str, int]] | None = field(default=None, compare=False)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "key": self.key,
            "clients": {client_id: entry.to_json() for client_id, entry in self.entries.items()},
        }
        if self.rules is not None:
            document["rules"] = [self.rules[0], dict(self.rules[1])]
        return document

    @classmethod
    def from_document(cls, document: Mapping[str, Any] | None, key: str) -> CaseloadSummary | None:
        """The summary kept in the vault; None when there is none, it was made with other
        rules, or it is not what Kindcheck writes."""
        if document is None or document.get("key") != key:
            return None
        clients = document.get("clients")
        if not isinstance(clients, dict):
            return None
        try:
            entries = {
                str(client_id): SummaryEntry.from_json(value)
                for client_id, value in clients.items()
            }
        except (TypeError, ValueError):
            return None
        kept = document.get("rules")
        stamp = kept[0] if isinstance(kept, list) and kept and isinstance(kept[0], str) else None
        rules = kept_rules(document, stamp) if stamp is not None else None
        return cls(key, entries, None if stamp is None or rules is None else (stamp, rules))

    def stale(self, generations: Mapping[str, int]) -> list[str]:
        """The clients whose entry is missing or was made from other records than the
        ledger's ``generations`` (client id -> generation) name."""
        entries = self.entries
        return [
            client_id
            for client_id, generation in generations.items()
            if (entry := entries.get(client_id)) is None or entry.generation != generation
        ]


def summaries(
    entries: Mapping[str, SummaryEntry], today: date, due_window_days: int, needle: str
) -> list[ClientSummary]:
    """The client list (matching ``needle``, casefolded), in the order of the references."""
    ordered = sorted(entries.items(), key=lambda pair: pair[1].sort_key)
    return [
        entry.summary(client_id, today, due_window_days)
        for client_id, entry in ordered
        if not needle or needle in entry.reference.casefold()
    ]


def home_items(
    entries: Mapping[str, SummaryEntry], today: date, lang: str, needle: str
) -> tuple[HomeItem, ...]:
    """The Kindchecks due again after an event and the questions to ask again, due or
    overdue, as the overview read from the records has them."""
    from kindcheck.followup import FollowUpState, item_state

    from .followthrough import catalog, reask_label

    known = catalog()
    found: list[HomeItem] = []
    for client_id, entry in entries.items():
        if not entry.items or (needle and needle not in entry.reference.casefold()):
            continue
        for kind, detail, when in entry.items:
            state, _late = item_state(when, today)
            if state not in (FollowUpState.DUE, FollowUpState.OVERDUE):
                continue
            if kind == "kindcheck" and known.has_event(detail):
                label = known.event(detail).name.get(lang)
            else:
                label = reask_label(detail, lang)
            reason = kind if kind == "followup" else f"{kind}:{detail}"
            found.append(
                HomeItem(
                    client_id, entry.reference, kind, reason, label, when, state,
                    entry.last_session,
                )
            )  # fmt: skip
    found.sort(key=lambda i: (i.state != FollowUpState.OVERDUE, i.when or today, i.reference))
    return tuple(found)


def client_generations(generations: Mapping[str, int]) -> dict[str, int]:
    """The ledger's generations of the clients' records (``client/<id>`` keys), by client id."""
    return {
        key.removeprefix("client/"): value
        for key, value in generations.items()
        if key.startswith("client/")
    }


def merged(
    summary: CaseloadSummary,
    fresh: Mapping[str, SummaryEntry],
    clients: Iterable[str],
) -> CaseloadSummary:
    """The summary with the entries made again, for exactly the clients in ``clients``."""
    entries = summary.entries
    return CaseloadSummary(
        summary.key,
        {client_id: fresh.get(client_id) or entries[client_id] for client_id in clients},
        summary.rules,
    )


def shipped_rules_stamp() -> str:
    """A digest of the shipped questionnaire files (where the days after each event come
    from): a summary whose stamp differs was made with files of another release. Hashing the
    files takes well under a millisecond; loading the questionnaire, tens."""
    from pathlib import Path

    import kindcheck.questionnaires as shipped

    digest = hashlib.sha256()
    # The installed folder, read as files (importlib.resources, which also reads a zip, costs
    # more to import than the hashing).
    folder: Any = Path(shipped.__file__ or "").parent
    if not folder.is_dir():  # pragma: no cover - run from a zip
        from importlib import resources

        folder = resources.files("kindcheck.questionnaires")
    for item in sorted(folder.iterdir(), key=lambda item: item.name):
        if item.name.endswith(".toml"):
            digest.update(item.name.encode() + b"\0" + item.read_bytes())
    return digest.hexdigest()[:16]


def kept_rules(document: Mapping[str, Any] | None, stamp: str) -> dict[str, int] | None:
    """The days after each event a summary document was made with, when it was made with
    the shipped files of ``stamp``; None otherwise."""
    rules = document.get("rules") if document is not None else None
    if not (isinstance(rules, list) and len(rules) == 2 and rules[0] == stamp):
        return None
    days = rules[1]
    if not isinstance(days, dict) or not all(
        type(value) is int and isinstance(name, str) for name, value in days.items()
    ):
        return None
    return days


# -- the due list from the summary (``kindcheck due``) -------------------------------------


def due_document(key: str, rules: list[Any], clients: Mapping[str, list[Any]]) -> dict[str, Any]:
    """The due part of a summary (kept as ``meta/caseload_due`` beside it): of each client
    (by the summary's entries in their JSON form, :meth:`SummaryEntry.to_json`) only what
    ``kindcheck due`` lists, in columns (half the summary's size, parsed in a sixth of its
    time): the client ids, the generations their entries were made from, the references,
    the calendar codes, whether there is a plan, its final day and the day of its next
    conversation; and one row per Kindcheck after an event or question asked again (client
    id, reference, kind, detail, day). Days are proleptic ordinals
    (:meth:`datetime.date.toordinal`). The clients stand in the order of their next
    conversation's day and reference, the rows in the order of their day: the order of the
    due list, so that sorting it costs next to nothing."""
    from .caseload import calendar_code

    plans: list[tuple[int, str, str, int, bool, int | None, str]] = []
    items: list[tuple[int, str, str, str, str]] = []
    for client_id, value in clients.items():
        generation, _sort_key, reference = value[:3]
        planned, final_day, conversation, extra = value[10:14]
        # The conversation's local day (status_on's): the ISO text's date.
        day = _fromisoday(conversation[:10]).toordinal() if conversation is not None else 0
        end = _fromisoday(final_day).toordinal() if final_day is not None else None
        code = calendar_code(client_id)
        plans.append((day, reference, client_id, generation, planned, end, code))
        items.extend(
            (_fromisoday(when).toordinal(), reference, kind, detail, client_id)
            for kind, detail, when in extra
        )
    plans.sort()
    items.sort()
    return {
        "key": key,
        "format": DUE_PART_FORMAT,
        "rules": rules,
        "ids": [plan[2] for plan in plans],
        "generations": [plan[3] for plan in plans],
        "references": [plan[1] for plan in plans],
        "codes": [plan[6] for plan in plans],
        "has_plan": [plan[4] for plan in plans],
        "plan_ends": [plan[5] for plan in plans],
        "conversations": [plan[0] or None for plan in plans],
        "items": [
            [client_id, reference, kind, detail, day]
            for day, reference, kind, detail, client_id in items
        ],
    }


def _due_current(due: Mapping[str, Any], clients: Mapping[str, int]) -> bool:
    """Whether a due part was made from exactly the records the ledger's ``clients`` (client
    id -> generation) name: no client changed, added or deleted since."""
    ids, generations = due.get("ids"), due.get("generations")
    return (
        due.get("format") == DUE_PART_FORMAT
        and isinstance(ids, list)
        and isinstance(generations, list)
        and len(ids) == len(generations) == len(clients)
        and dict(zip(ids, generations, strict=True)) == clients
    )


def due_from_summary(due: Mapping[str, Any], today: date) -> tuple[list[DueItem], dict[str, str]]:
    """The due list on ``today`` (:func:`kindcheck.service.caseload.due_items`, item for item
    and in its order) from the due part of a summary (:func:`due_document`), with the
    calendar code of each client listed: each plan's status is arithmetic on its kept days
    (:func:`kindcheck.followup.status_on`), each Kindcheck after an event and each re-ask on
    its kept day (:func:`kindcheck.followup.item_state`). ValueError (or TypeError) for a
    document Kindcheck did not write."""
    from kindcheck.followup import ITEM_DUE_WINDOW_DAYS, FollowUpState

    from .caseload import DUE_WINDOW_DAYS, DueItem

    ended, overdue, due_state, upcoming = (
        FollowUpState.ENDED,
        FollowUpState.OVERDUE,
        FollowUpState.DUE,
        FollowUpState.UPCOMING,
    )
    on, last = today.toordinal(), date.max
    days: dict[int, date] = {}  # many conversations fall on the same days
    # Each row is its sort key (sort_due's: state, day, reference, kind, detail) and then the
    # rest of its item: sorted as tuples, without a key function (the rows come nearly in
    # order, the ended plans last).
    rows: list[tuple[Any, ...]] = []
    finished: list[tuple[Any, ...]] = []
    append = rows.append
    ids, references, codes = due["ids"], due["references"], due["codes"]
    columns = (ids, references, due["has_plan"], due["plan_ends"], due["conversations"])
    for client_id, reference, has_plan, final_day, conversation in zip(*columns, strict=True):
        if has_plan is not True:
            if has_plan is not False:
                raise ValueError("not a due part of the summary")
            continue
        if type(reference) is not str:
            raise ValueError("not a due part of the summary")
        # status_on: a day after the final day, or no conversation left, is ended; otherwise
        # the conversation's local day against the window.
        if conversation is None or (final_day is not None and on > final_day):
            finished.append((3, last, reference, "followup", "", client_id, None, ended, 0))
            continue
        day = days.get(conversation)
        if day is None:
            day = days[conversation] = date.fromordinal(conversation)
        late = on - conversation
        if late > DUE_WINDOW_DAYS:
            append((0, day, reference, "followup", "", client_id, day, overdue, late))
        elif late >= -DUE_WINDOW_DAYS:
            append((1, day, reference, "followup", "", client_id, day, due_state, 0))
        else:
            append((2, day, reference, "followup", "", client_id, day, upcoming, 0))
    code_of = dict(zip(ids, codes, strict=True))
    for client_id, reference, kind, detail, when in due["items"]:
        day = date.fromordinal(when)
        late = on - when
        if late > ITEM_DUE_WINDOW_DAYS:
            row = (0, day, str(reference), str(kind), str(detail), client_id, day, overdue, late)
        elif late >= 0:
            row = (1, day, str(reference), str(kind), str(detail), client_id, day, due_state, 0)
        else:
            row = (2, day, str(reference), str(kind), str(detail), client_id, day, upcoming, 0)
        append(row)
    rows += finished
    rows.sort()
    make = DueItem._make
    listed = [
        make((kind, client_id, reference, when, state, late, detail))
        for _o, _d, reference, kind, detail, client_id, when, state, late in rows
    ]
    return listed, code_of


def current_summary(
    store: Store, damaged: list[str]
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The due part of the caseload summary (:func:`due_document`), up to date, read in one
    read transaction. When the due part kept was made from exactly the records the ledger
    names, it is all that is read. Otherwise the summary is read: the entries of the clients
    whose records changed since are made again from their records alone, those of clients
    gone are dropped; with none kept (or made with other rules, or damaged, or many changed),
    every entry is made from the records. With the due part then comes the summary document
    it was made from, to be written back with it (None: both are current).

    None when the records must be read as before: a vault without a ledger, or a record that
    cannot be read (named in ``damaged``, as is a summary or due part that does not decrypt
    or is not the one the vault last wrote)."""
    from .caseload import DUE_WINDOW_DAYS, event_due_days

    notes: list[str] = []
    with store.reading():
        clients = store.client_generations()
        if clients is None:
            return None
        stamp = shipped_rules_stamp()
        due = store.read_caseload_due(damaged)
        if due is not None:
            due_days = kept_rules(due, stamp)
            if (
                due_days is not None
                and due.get("key") == summary_key(DUE_WINDOW_DAYS, due_days)
                and _due_current(due, clients)
            ):
                return due, None
        document = store.read_caseload_summary(damaged)
        due_days = kept_rules(document, stamp)
        if due_days is None:
            due_days = event_due_days()
        rules = [stamp, dict(due_days)]
        key = summary_key(DUE_WINDOW_DAYS, due_days)
        kept = document.get("clients") if document and document.get("key") == key else None
        stale = (
            [
                client_id
                for client_id, generation in clients.items()
                if not (
                    isinstance(entry := kept.get(client_id), list)
                    and entry
                    and entry[0] == generation
                )
            ]
            if isinstance(kept, dict)
            else None
        )
        if stale is None or kept is None or len(stale) > max(50, len(clients) // 10):
            # Reading every client's records at once is quicker than one by one.
            entries = _entries_from_records(store, clients, due_days, notes)
            if entries is None or notes:
                damaged.extend(notes)
                return None
            made = CaseloadSummary(key, entries, (stamp, due_days)).to_document()
            return due_document(key, rules, made["clients"]), made
        fresh: dict[str, Any] = {}
        for client_id in stale:
            entry = entry_from_records(store, client_id, clients[client_id], due_days, notes)
            if entry is None or notes:
                damaged.extend(notes)
                return None
            fresh[client_id] = entry.to_json()
    entries_now = {client_id: fresh.get(client_id) or kept[client_id] for client_id in clients}
    made = {"key": key, "clients": entries_now, "rules": rules}
    return due_document(key, rules, entries_now), made


def entry_from_records(
    store: Store, client_id: str, generation: int, due_days: Mapping[str, int], notes: list[str]
) -> SummaryEntry | None:
    """One client's entry from its records (three small reads, not logged: no client is
    shown), for ``kindcheck due`` and home alike; None when the client is gone or a record
    cannot be read (named in ``notes``)."""
    from kindcheck.errors import RecordDamaged
    from kindcheck.store import DamagedNote

    from .caseload import DUE_WINDOW_DAYS
    from .plans import get_plan

    try:
        client = store.get_client(client_id)
        plan = get_plan(store, client_id)
    except RecordDamaged as error:
        notes.append(DamagedNote.of(error, client_id))
        return None
    if client is None:
        return None
    headers = store.list_sessions(client_id, notes, log=False)
    scans = [header for header in headers if header.scan_done]
    return entry_for(
        client,
        headers,
        headers[-1] if headers else None,
        scans[-1] if scans else None,
        plan,
        generation,
        DUE_WINDOW_DAYS,
        due_days,
    )


def _entries_from_records(
    store: Store, generations: Mapping[str, int], due_days: Mapping[str, int], notes: list[str]
) -> dict[str, SummaryEntry] | None:
    """Every client's entry from the records: the clients with their latest session, the
    plans, and the session headers of the clients with an event or a question to ask again.
    None when the records and the ledger do not name the same clients."""
    from .plans import list_plans

    overviews: list[ClientOverview] = store.list_clients(damaged=notes)
    plan_of = {plan.client_id: plan for plan in list_plans(store, damaged=notes)}
    if notes or len(overviews) != len(generations):
        return None
    return entries_of(store, overviews, plan_of, generations, due_days, notes)


def entries_of(
    store: Store,
    overviews: Iterable[ClientOverview],
    plan_of: Mapping[str, ClientPlan],
    generations: Mapping[str, int],
    due_days: Mapping[str, int],
    notes: list[str],
) -> dict[str, SummaryEntry] | None:
    """Every client's entry from what an overview read (the clients with their latest
    session, the plans by client); only the clients with an event or a question to ask
    again have their session headers read. None when a client has no generation in the
    ledger (the records and the ledger do not name the same clients)."""
    from .caseload import DUE_WINDOW_DAYS

    entries: dict[str, SummaryEntry] = {}
    for item in overviews:
        client = item.client
        generation = generations.get(client.id)
        if generation is None:
            return None
        headers = (
            store.list_sessions(client.id, notes, log=False)
            if client.events or client.reasks
            else ()
        )
        entries[client.id] = entry_for(
            client,
            headers,
            item.last_session,
            item.latest_scan,
            plan_of.get(client.id),
            generation,
            DUE_WINDOW_DAYS,
            due_days,
        )
    return entries


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_fromisoday = date.fromisoformat  # a TypeError for anything but text
_fromisotime = datetime.fromisoformat
