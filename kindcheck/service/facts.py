"""What the reports count of a session: its facts record, made once when it is saved.

The store keeps, beside every session, a small encrypted record the reports read instead of
the session (kindcheck.store.facts): the session's date, its Meldcode steps taken, and a JSON
object the store never looks into, made here by :func:`facts_record` from the answers and the
outcome. That object holds exactly what :class:`kindcheck.export.SessionFacts` counts and
depends on the session alone, plus the questionnaire versions the export's header names;
nothing else (no text, no identifier, no date but the session's own).

What depends on more than the session is worked out when the counts are made, per client
(:func:`client_facts`): a follow-up's timing (on time or late) needs the client's plan and the
date of the conversation before it.

:func:`facts_record` is given to the store at every save (``record_session``) and by
:func:`complete_facts` for sessions saved without (a vault upgraded to storage schema 4), and
verify compares every record with it (``kindcheck.service.plans.verify_vault``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from kindcheck.errors import RecordDamaged

if TYPE_CHECKING:
    from kindcheck.export import SessionFacts
    from kindcheck.followup import FollowUpPlan
    from kindcheck.store import Store, StoredFacts, StoredSession

__all__ = [
    "CountedSession",
    "client_facts",
    "complete_facts",
    "counted",
    "facts_of_session",
    "facts_record",
    "followup_timing",
]


def facts_record(answers: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The facts record of a session (its answers file and outcome JSON, as stored): what the
    export counts that depends on this session alone."""
    from kindcheck.export.versions import scan_version_facts

    kind = "followup" if answers.get("kind") == "followup" else "intake"
    scan_done = bool(outcome.get("scan_done"))
    answered = outcome.get("has_minor_children")
    children = outcome.get("children") or []
    scan = scan_version_facts(answers, outcome) if scan_done else None
    return {
        "kind": kind,
        # Done means an answer, not a tick: "don't know" whether there are children is not a
        # completed check (the research complaint is checks "only ticked off as done").
        "kindcheck_completed": kind == "intake" and answered in ("yes", "no"),
        "has_minor_children": answered == "yes" or bool(children),
        "children_in_view": len(children),
        "problem_domains": list(outcome.get("problem_domains") or ()) if scan_done else None,
        "parenting_support_flag": bool(outcome.get("parenting_support_flag")),
        "safety_signal": bool(outcome.get("safety_signals")),
        "scan_version": None if scan is None else scan.version,
        "scp_area_count": None if scan is None else scan.scp_area_count,
        "questionnaires": [
            [str(item.get("id")), int(item.get("version", 0))]
            for item in answers.get("questionnaires", [])
            if isinstance(item, dict)
        ],
    }


def facts_of_session(session: StoredSession) -> dict[str, Any]:
    """:func:`facts_record` of a stored session (what the store completes and verify checks
    with)."""
    return facts_record(session.answers, session.outcome)


def complete_facts(store: Store) -> int:
    """Sessions saved without their facts record (before storage schema 4) get it now, in one
    transaction; nothing to do costs one read of the state record."""
    return store.complete_facts(facts_of_session)


_FIELDS = frozenset(
    (
        "kindcheck_completed",
        "has_minor_children",
        "children_in_view",
        "problem_domains",
        "parenting_support_flag",
        "safety_signal",
        "scan_version",
        "scp_area_count",
    )
)


@dataclass(frozen=True, slots=True)
class CountedSession:
    """One session as the counts need it: its facts record read back, before its timing."""

    held_on: date
    saved_at: Any  # datetime: only orders two sessions of one day
    kind: Literal["intake", "followup"]
    meldcode_steps: int
    fields: Mapping[str, Any]
    questionnaires: tuple[tuple[str, int], ...]


def counted(record: StoredFacts) -> CountedSession:
    """A facts record as the counts read it; RecordDamaged naming it if it does not read as
    one (a pending record is read from its session)."""
    fields = record.facts
    if fields is None:
        if record.session is None:
            raise RecordDamaged(
                f"record session_facts/{record.session_id} is damaged or was moved",
                record=f"session_facts/{record.session_id}",
            )
        fields = facts_of_session(record.session)
    try:
        kind = fields["kind"]
        if kind not in ("intake", "followup") or not fields.keys() >= _FIELDS:
            raise ValueError
        questionnaires = tuple(
            (str(qid), int(version)) for qid, version in fields["questionnaires"]
        )
    except (KeyError, TypeError, ValueError):
        raise RecordDamaged(
            f"record session_facts/{record.session_id} is damaged or was moved",
            record=f"session_facts/{record.session_id}",
        ) from None
    return CountedSession(
        record.session_date, record.saved_at, kind, record.meldcode_steps, fields, questionnaires
    )


def followup_timing(
    plan: FollowUpPlan | None, held_on: date, previous_held: date | None, window_days: int
) -> Literal["on_time", "late"]:
    """On time when no planned conversation was missed by more than the due window
    (``window_days``, kindcheck.service.caseload.DUE_WINDOW_DAYS) before this one; late
    otherwise."""
    from kindcheck.followup import occurrences

    if plan is None:
        return "on_time"
    since = (previous_held + timedelta(days=window_days + 1)) if previous_held else plan.start
    missed = [
        o.date()
        for o in occurrences(plan, since, held_on)
        if (held_on - o.date()).days > window_days
    ]
    return "late" if missed else "on_time"


def client_facts(
    sessions: Iterable[CountedSession], plan: FollowUpPlan | None, window_days: int
) -> Iterator[SessionFacts]:
    """One client's sessions as the export counts them, in the order they were held; a
    follow-up's timing from the client's plan and the conversation before it (the due
    window: ``window_days``)."""
    from kindcheck.export import SessionFacts

    previous: date | None = None
    for session in sorted(sessions, key=lambda s: (s.held_on, s.saved_at)):
        fields = session.fields
        domains = fields["problem_domains"]
        scanned = domains is not None
        yield SessionFacts(
            kind=session.kind,
            held_on=session.held_on,
            kindcheck_completed=fields["kindcheck_completed"],
            has_minor_children=fields["has_minor_children"],
            children_in_view=fields["children_in_view"],
            problem_domain_count=len(domains) if scanned else None,
            problem_domains=tuple(domains) if scanned else (),
            parenting_support_flag=fields["parenting_support_flag"],
            safety_signal=fields["safety_signal"],
            meldcode_steps_taken=session.meldcode_steps,
            followup_timing=(
                followup_timing(plan, session.held_on, previous, window_days)
                if session.kind == "followup"
                else None
            ),
            scan_version=fields["scan_version"] if scanned else None,
            scp_area_count=fields["scp_area_count"] if scanned else None,
        )
        previous = session.held_on
