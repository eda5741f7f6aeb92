"""What the reports count of a session: its facts record, made once when it is saved.

The store keeps, beside every session, a small encrypted record the reports read instead of
the session (kindcheck.store.facts): the session's date, its Meldcode steps taken, and JSON the
store never looks into, made here by :func:`facts_record` from the answers and the outcome. It
holds exactly what :class:`kindcheck.export.SessionFacts` counts and depends on the session
alone, plus the questionnaire versions the export's header names; nothing else (no text, no
identifier, no date but the session's own). It is a list in a fixed order (:data:`FIELDS`,
after the format number :data:`FACTS_FORMAT`): a report reads one per session, and a list
reads in about half the time of an object with its keys.

What depends on more than the session is worked out when the counts are made, per client
(:func:`client_facts`): a follow-up's timing (on time or late) needs the client's plan and the
date of the conversation before it.

:func:`facts_record` is given to the store at every save (``record_session``) and by
:func:`complete_facts` for sessions saved without (a vault upgraded to storage schema 4), and
verify compares every record with it (``kindcheck.service.plans.verify_vault``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, Literal

from kindcheck.dates import AMSTERDAM
from kindcheck.errors import RecordDamaged

if TYPE_CHECKING:
    from kindcheck.export import SessionFacts
    from kindcheck.followup import FollowUpPlan
    from kindcheck.store import Store, StoredAmendment, StoredFacts, StoredSession

__all__ = [
    "FACTS_FORMAT",
    "FIELDS",
    "client_facts",
    "client_fields",
    "complete_facts",
    "facts_of_session",
    "facts_record",
    "followup_timing",
    "is_current",
    "session_facts_of",
]

# The first element of every facts record; bump on any change. A vault whose records are of
# an older format has them all made again at the next unlock that can write (complete_facts).
# 1: the first; 2: the session's setting added (the export's split by setting, issue 14).
FACTS_FORMAT: Final = 2
FIELDS: Final = (
    "kind",  # "intake" or "followup"
    "kindcheck_completed",
    "has_minor_children",
    "children_in_view",
    "problem_domains",  # a list of domain ids; None when no problem scan was done
    "parenting_support_flag",
    "safety_signal",
    "scan_version",
    "scp_area_count",
    "questionnaires",  # [[questionnaire id, version], ...]
    "setting",  # "ggz" or "sociaal_domein" (the answers file's; anything else: None)
)


def facts_record(answers: Mapping[str, Any], outcome: Mapping[str, Any]) -> list[Any]:
    """The facts record of a session (its answers file and outcome JSON, as stored): what the
    export counts that depends on this session alone, in the order of :data:`FIELDS`."""
    from kindcheck.export.facts import SETTINGS
    from kindcheck.export.versions import scan_version_facts

    kind = "followup" if answers.get("kind") == "followup" else "intake"
    scan_done = bool(outcome.get("scan_done"))
    answered = outcome.get("has_minor_children")
    children = outcome.get("children") or []
    scan = scan_version_facts(answers, outcome) if scan_done else None
    return [
        FACTS_FORMAT,
        kind,
        # Done means an answer, not a tick: "don't know" whether there are children is not a
        # completed check (the research complaint is checks "only ticked off as done").
        kind == "intake" and answered in ("yes", "no"),
        answered == "yes" or bool(children),
        len(children),
        list(outcome.get("problem_domains") or ()) if scan_done else None,
        bool(outcome.get("parenting_support_flag")),
        bool(outcome.get("safety_signals")),
        None if scan is None else scan.version,
        None if scan is None else scan.scp_area_count,
        [
            [str(item.get("id")), int(item.get("version", 0))]
            for item in answers.get("questionnaires", [])
            if isinstance(item, dict)
        ],
        setting if (setting := answers.get("setting")) in SETTINGS else None,
    ]


def facts_of_session(
    session: StoredSession, amendments: Sequence[StoredAmendment] = ()
) -> list[Any]:
    """:func:`facts_record` of a stored session as its amendments (in order) leave it: what
    the store completes and verify checks with. A corrected session counts as corrected."""
    if amendments:
        from .amended import corrected

        session = corrected(session, amendments)
    return facts_record(session.answers, session.outcome)


def complete_facts(store: Store) -> int:
    """Sessions saved without their facts record (before storage schema 4) get it now, and
    every record of an older :data:`FACTS_FORMAT` is made again, in one transaction; nothing
    to do costs one read of the state record."""
    return store.complete_facts(facts_of_session, FACTS_FORMAT, is_current)


def is_current(facts: object) -> bool:
    """Whether a facts record's facts are of :data:`FACTS_FORMAT` (verify compares only
    those; complete_facts makes the others again)."""
    return type(facts) is list and bool(facts) and facts[0] == FACTS_FORMAT


def _fields(record: StoredFacts) -> list[Any]:
    """The record's facts (of its session, for a pending one); RecordDamaged when they are not
    a facts record of this format."""
    fields = record.facts
    if fields is None and record.session is not None:
        fields = facts_of_session(record.session, record.amendments)
    if (
        type(fields) is not list
        or len(fields) != len(FIELDS) + 1
        or fields[0] != FACTS_FORMAT
        or fields[1] not in ("intake", "followup")
        or fields[-1] not in (None, "ggz", "sociaal_domein")
    ):
        raise _damaged(record)
    return fields


def _damaged(record: StoredFacts) -> RecordDamaged:
    name = f"session_facts/{record.session_id}"
    return RecordDamaged(f"record {name} is damaged or was moved", record=name)


def followup_timing(
    plan: FollowUpPlan | None, held_on: date, previous_held: date | None, window_days: int
) -> Literal["on_time", "late"]:
    """On time when no planned conversation was missed by more than the due window
    (``window_days``, kindcheck.service.caseload.DUE_WINDOW_DAYS) before this one; late
    otherwise.

    A conversation planned from ``since`` (the day after the previous one's window) up to the
    one held was missed when it lay more than the window before it; the earliest of them is
    the one to look at, so only the first planned day on or after ``since`` is found."""
    from kindcheck.followup import first_day_on_or_after

    return _timing(first_day_on_or_after, plan, held_on, previous_held, window_days)


def _timing(
    first_day: Callable[[FollowUpPlan, date], date | None],
    plan: FollowUpPlan | None,
    held_on: date,
    previous_held: date | None,
    window_days: int,
) -> Literal["on_time", "late"]:
    if plan is None:
        return "on_time"
    since = (previous_held + timedelta(days=window_days + 1)) if previous_held else plan.start
    first = first_day(plan, since)
    missed = first is not None and (held_on - first).days > window_days
    return "late" if missed else "on_time"


def client_facts(
    records: Iterable[StoredFacts],
    plan: FollowUpPlan | None,
    window_days: int,
    damaged: list[str] | None = None,
    versions: dict[str, set[int]] | None = None,
    plan_in_force: Callable[[date, datetime], FollowUpPlan] | None = None,
) -> list[SessionFacts]:
    """One client's sessions (their facts records) as the export counts them, in the order
    they were held; a follow-up's timing from the client's plan and the conversation before
    it (the due window: ``window_days``); the questionnaire versions they used added to
    ``versions``. A record that is not one raises RecordDamaged; with ``damaged``, it is named
    there and left out. ``plan_in_force(day, recorded)``: the version of the plan in force
    when a follow-up was held (a later change of plan then changes no earlier judgement);
    without it, every follow-up is judged against ``plan``."""
    return [
        session_facts_of(record, fields, timing)
        for record, fields, timing in client_fields(
            records, plan, window_days, damaged, versions, plan_in_force
        )
    ]


def client_fields(
    records: Iterable[StoredFacts],
    plan: FollowUpPlan | None,
    window_days: int,
    damaged: list[str] | None = None,
    versions: dict[str, set[int]] | None = None,
    plan_in_force: Callable[[date, datetime], FollowUpPlan] | None = None,
) -> Iterator[tuple[StoredFacts, list[Any], Literal["on_time", "late"] | None]]:
    """:func:`client_facts` before its facts are made: each record with its fields and, for a
    follow-up, its timing, in the order they were held (the report that counts straight
    from the fields reads them here, so both judge every session alike)."""
    # once per client, not per session; from the modules, not the packages: a package's
    # "from ... import" runs Python code of the import system (a close has 20,000 clients)
    from kindcheck.followup.plan import first_day_number_finder
    from kindcheck.store.records import DamagedNote

    previous: date | None = None
    # each version of the plan (by id: the plan is kept, so its id stays its own) with its
    # first planned day on or after a day, by day number, and its start's day number:
    # followup_timing on day numbers (a client holds dozens of follow-ups)
    finders: dict[int, tuple[FollowUpPlan, Callable[[int], int | None], int]] = {}
    for record in sorted(records, key=_HELD_THEN_SAVED):
        try:
            fields = _fields(record)
            if versions is not None:
                for questionnaire_id, version in fields[10]:
                    found = versions.get(questionnaire_id)
                    if found is None or version not in found:  # a few pairs, seen again and again
                        versions.setdefault(str(questionnaire_id), set()).add(int(version))
        except (RecordDamaged, TypeError, ValueError):
            error = _damaged(record)
            if damaged is None:
                raise error from None
            damaged.append(DamagedNote.of(error, record.client_id))
            continue
        held_on = record.session_date
        timing: Literal["on_time", "late"] | None = None
        if fields[1] == "followup":
            timing = "on_time"  # without a plan, every follow-up is on time
            in_force = (
                plan
                if plan_in_force is None or plan is None
                else plan_in_force(held_on, record.saved_at)
            )
            if in_force is not None:
                finder = finders.get(id(in_force))
                if finder is None:
                    finder = finders[id(in_force)] = (
                        in_force,
                        first_day_number_finder(in_force),
                        in_force.start.toordinal(),
                    )
                since = finder[2] if previous is None else previous.toordinal() + window_days + 1
                if since > _LAST_DAY:  # past date.max: as followup_timing does (it raises)
                    timing = followup_timing(in_force, held_on, previous, window_days)
                else:
                    first = finder[1](since)
                    if first is not None and held_on.toordinal() - first > window_days:
                        timing = "late"
        yield record, fields, timing
        previous = held_on


_HELD_THEN_SAVED: Final = attrgetter("session_date", "saved_at")
_LAST_DAY: Final = date.max.toordinal()


def session_facts_of(
    record: StoredFacts, fields: list[Any], timing: Literal["on_time", "late"] | None
) -> SessionFacts:
    """The countable facts of a record's fields (:func:`client_fields`)."""
    from kindcheck.export import SessionFacts

    (_, kind, completed, minor, children, domains, flag, signal, scan, scp, _, setting) = fields
    scanned = domains is not None
    return SessionFacts(
        kind=kind,
        held_on=record.session_date,
        kindcheck_completed=completed,
        has_minor_children=minor,
        children_in_view=children,
        problem_domain_count=len(domains) if scanned else None,
        problem_domains=tuple(domains) if scanned else (),
        parenting_support_flag=flag,
        safety_signal=signal,
        meldcode_steps_taken=record.meldcode_steps,
        followup_timing=timing,
        scan_version=scan if scanned else None,
        scp_area_count=scp if scanned else None,
        recorded_on=_recorded_on(record.saved_at),
        setting=setting,
    )


def _recorded_on(saved_at: datetime) -> date:
    """The day (in Amsterdam) a session was recorded: the export's period is that day's.

    A close asks this of every session; the answer is kept per hour of the clock
    ``saved_at`` is given in (:func:`hour_of`) when that whole hour lies in one Amsterdam day."""
    key = hour_of(saved_at)
    day = _DAY_OF_HOUR.get(key)
    if day is None:
        day = _amsterdam_day(saved_at)
        if in_one_day(saved_at):
            if len(_DAY_OF_HOUR) >= _MAX_HOURS:
                _DAY_OF_HOUR.clear()
            _DAY_OF_HOUR[key] = day
    return day


def _amsterdam_day(saved_at: datetime) -> date:
    if saved_at.tzinfo is None:
        saved_at = saved_at.replace(tzinfo=UTC)
    return saved_at.astimezone(AMSTERDAM).date()


Hour = tuple[tzinfo | None, int, int, int, int]
_DAY_OF_HOUR: dict[Hour, date] = {}
_MAX_HOURS: Final = 1 << 16  # a close of years of sessions has tens of thousands


def hour_of(saved_at: datetime) -> Hour:
    """The hour ``saved_at`` lies in, on the clock it is given in (its offset; naive: UTC)."""
    return (saved_at.tzinfo, saved_at.year, saved_at.month, saved_at.day, saved_at.hour)


def in_one_day(saved_at: datetime) -> bool:
    """Whether every moment of ``saved_at``'s hour (:func:`hour_of`) is recorded on the same
    Amsterdam day, so that the hour decides the day: its clock is a fixed offset from UTC (or
    none: UTC), and its first and last moment fall on one day at one Amsterdam offset (the
    offset changes at most once in an hour; in Amsterdam it changes at 01:00 UTC)."""
    zone = saved_at.tzinfo
    if zone is not None and type(zone) is not timezone:
        return False  # a clock with changes of its own (a ZoneInfo): the hour may repeat
    try:
        first = saved_at.replace(minute=0, second=0, microsecond=0, tzinfo=zone or UTC)
        last = first + _LAST_OF_HOUR
        first, last = first.astimezone(AMSTERDAM), last.astimezone(AMSTERDAM)
    except OverflowError:  # the first or last hour there is
        return False
    return first.date() == last.date() and first.utcoffset() == last.utcoffset()


_LAST_OF_HOUR: Final = timedelta(hours=1, microseconds=-1)
