"""What follows a session, besides its plan: the Meldcode process (step 5's afwegingen, the
decision, closing with the next rhythm), warm hand-offs, events that make the Kindcheck due
again, and the unknowns to ask again. Used by recording, the client page and the due list.

Storage: the Meldcode process in the session's Meldcode record (beside its steps), events,
hand-offs and re-asks as lists in the client's record (kindcheck.store.client_lists); no table
of their own. The rules are the follow-up policy's (kindcheck.followup.policy); the ids come
from the shipped catalog and guide (``uitkomst-v2.toml``, ``meldcode-v2.toml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.followup.policy import (
    CLOSING_RHYTHMS,
    SessionRecord,
    pending_reasks,
    plan_after_meldcode_closed,
    session_record,
)
from kindcheck.outcome import outcome_summary

if TYPE_CHECKING:
    from kindcheck.answers import HandoffRecord
    from kindcheck.questionnaire import Catalog, MeldcodeGuideV2
    from kindcheck.record.amend import OutcomeContext
    from kindcheck.store import Store, StoredSession

__all__ = [
    "CLOSING_RHYTHMS",
    "AfwegingRecord",
    "DecisionRecord",
    "MeldcodeClosed",
    "MeldcodeProcess",
    "add_meldcode_decision",
    "catalog",
    "close_meldcode",
    "guide",
    "meldcode_process",
    "outcome_context",
    "outcome_summary",
    "reask_label",
    "record_event",
    "record_handoffs",
    "refresh_reasks",
    "set_afweging",
]

AFWEGING_ANSWERS: Final = ("yes", "no")
MAX_NOTE: Final = 2000


def catalog() -> Catalog:
    from kindcheck.questionnaire import load_shipped

    found = load_shipped("kindcheck", 2).catalog
    assert found is not None  # a format-2 questionnaire always has one
    return found


def guide() -> MeldcodeGuideV2:
    from kindcheck.questionnaire import MeldcodeGuideV2, load_guide

    found = load_guide(2)
    assert isinstance(found, MeldcodeGuideV2)
    return found


def reask_label(question_id: str, lang: str) -> str:
    """What to ask again, for a person: the question's first sentence (its id if unknown)."""
    from kindcheck.questionnaire import load_shipped

    for questionnaire_id in ("kindcheck", "vervolggesprek"):
        questionnaire = load_shipped(questionnaire_id, 2)
        if questionnaire.has_question(question_id):
            text = questionnaire.question(question_id).text.get(lang)
            return text.split("?")[0] + "?" if "?" in text else text
    return question_id


# -- the Meldcode process -----------------------------------------------------------------------


@dataclass(frozen=True)
class AfwegingRecord:
    afweging_id: str
    answer: str  # "yes" / "no"
    on: date
    note: str


@dataclass(frozen=True)
class DecisionRecord:
    decision_id: str
    on: date
    reason: str


@dataclass(frozen=True)
class MeldcodeClosed:
    on: date
    reason: str
    next_rhythm: str


@dataclass(frozen=True)
class MeldcodeProcess:
    """A client's Meldcode process: opened by the session ``session_id`` on ``opened_on``."""

    session_id: str
    opened_on: date
    afwegingen: Mapping[str, AfwegingRecord]
    decisions: tuple[DecisionRecord, ...]
    closed: MeldcodeClosed | None

    @property
    def is_open(self) -> bool:
        return self.closed is None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _process_from(session_id: str, opened_on: date, data: Mapping[str, Any]) -> MeldcodeProcess:
    """The process from a session's Meldcode record; missing or malformed keys read as not
    recorded (a record from before the process could be recorded has only steps)."""
    afwegingen: dict[str, AfwegingRecord] = {}
    raw = data.get("afwegingen")
    for key, value in raw.items() if isinstance(raw, dict) else ():
        on = _day(value.get("on")) if isinstance(value, dict) else None
        if on is not None and value.get("answer") in AFWEGING_ANSWERS:
            afwegingen[key] = AfwegingRecord(key, value["answer"], on, str(value.get("note", "")))
    decisions = []
    for value in data.get("decisions") or []:
        on = _day(value.get("on")) if isinstance(value, dict) else None
        if on is not None:
            decisions.append(DecisionRecord(str(value.get("id")), on, str(value.get("reason", ""))))
    closed = None
    raw_closed = data.get("closed")
    if isinstance(raw_closed, dict) and _day(raw_closed.get("on")) is not None:
        closed = MeldcodeClosed(
            _day(raw_closed["on"]) or opened_on,
            str(raw_closed.get("reason", "")),
            str(raw_closed.get("next_rhythm", "keep")),
        )
    return MeldcodeProcess(session_id, opened_on, afwegingen, tuple(decisions), closed)


def _has_signal(stored: StoredSession) -> set[str]:
    return {
        str(signal.get("id"))
        for signal in stored.outcome.get("safety_signals") or []
        if isinstance(signal, dict)
    }


def meldcode_process(
    store: Store,
    client_id: str,
    stored_sessions: Iterable[StoredSession] | None = None,
    records: Mapping[str, Mapping[str, Any]] | None = None,
) -> MeldcodeProcess | None:
    """The client's current Meldcode process, open or closed; None if no session raised a
    signal. A session opens a process when it raises a signal the session before it did not
    have, or any signal once the process before was closed; a follow-up with the signals
    already known continues the open one. ``stored_sessions``: the client's sessions as the
    caller read them from the store (the client page has them; read here otherwise);
    ``records``: their Meldcode records as the caller read them, in one query
    (``Store.client_meldcode_records``; else each is read when it is needed)."""
    # A session or Meldcode record that cannot be read is named on the client page by the
    # caller's own read; here it is left out (its process, if any, reads as nothing recorded).
    sessions = sorted(
        store.client_sessions(client_id, damaged=[])
        if stored_sessions is None
        else stored_sessions,
        key=lambda s: (s.summary.session_date, s.summary.saved_at),
    )
    current: MeldcodeProcess | None = None
    previous: set[str] = set()
    for stored in sessions:
        ids = _has_signal(stored)
        held = stored.summary.session_date
        closed_before = current is not None and current.closed is not None
        if ids and (ids - previous or closed_before or current is None):
            if records is not None:
                data = records.get(stored.id, {})
            else:
                try:
                    data = store.meldcode_record(stored.id)
                except RecordDamaged:
                    data = {}
            current = _process_from(stored.id, held, data)
        previous = ids
    return current


def _check_note(text: str, what: str) -> str:
    from kindcheck.text import clean_text

    cleaned = clean_text(text).strip()
    if len(cleaned) > MAX_NOTE:
        raise VaultError(f"{what} is longer than {MAX_NOTE} characters")
    return cleaned


def set_afweging(
    store: Store, session_id: str, afweging_id: str, answer: str, on: date, note: str = ""
) -> None:
    """Record the answer to one of step 5's afwegingen (yes/no, with its date)."""
    if not any(item.id == afweging_id for item in guide().afwegingen):
        raise VaultError("no such afweging in the Meldcode guide")
    if answer not in AFWEGING_ANSWERS:
        raise VaultError("an afweging is answered yes or no")
    if not isinstance(on, date):
        raise VaultError("an afweging needs its date")
    text = _check_note(note, "the note")

    def change(data: dict[str, Any]) -> str:
        found = data.get("afwegingen")
        afwegingen = dict(found) if isinstance(found, dict) else {}
        afwegingen[afweging_id] = {
            "answer": answer,
            "on": on.isoformat(),
            "note": text,
            "updated_at": datetime.now().astimezone().isoformat(),
        }
        data["afwegingen"] = afwegingen
        return f"Meldcode afweging {afweging_id}: {answer}"

    store.change_meldcode_record(session_id, change)


def add_meldcode_decision(
    store: Store,
    client_id: str,
    session_id: str,
    decision_id: str,
    on: date,
    reason: str = "",
    next_rhythm: str | None = None,
) -> None:
    """Record a decision of step 5. A decision that needs a reason refuses an empty one; one
    that closes the process needs the next rhythm too and closes it (:func:`close_meldcode`)."""
    decision = next((d for d in guide().decisions if d.id == decision_id), None)
    if decision is None:
        raise VaultError("no such decision in the Meldcode guide")
    if not isinstance(on, date):
        raise VaultError("a decision needs its date")
    text = _check_note(reason, "the reason")
    if decision.needs_reason and not text:
        raise VaultError("this decision needs a reason")
    if decision.closes_process and next_rhythm not in CLOSING_RHYTHMS:
        raise VaultError(
            "closing the Meldcode process needs the next rhythm: " + ", ".join(CLOSING_RHYTHMS)
        )

    def change(data: dict[str, Any]) -> str:
        decisions = [d for d in data.get("decisions") or [] if isinstance(d, dict)]
        decisions.append(
            {
                "id": decision_id,
                "on": on.isoformat(),
                "reason": text,
                "recorded_at": datetime.now().astimezone().isoformat(),
            }
        )
        data["decisions"] = decisions
        return f"Meldcode decision {decision_id}"

    with store.batch():
        store.change_meldcode_record(session_id, change)
        if decision.closes_process:
            assert next_rhythm is not None
            close_meldcode(store, client_id, session_id, on, text, next_rhythm)


def close_meldcode(
    store: Store, client_id: str, session_id: str, on: date, reason: str, next_rhythm: str
) -> None:
    """Close the Meldcode process with its date, reason and the rhythm from now on; the plan
    follows that rhythm from the closing day ("keep": the plan as it is)."""
    from kindcheck.followup import Rhythm

    from .plans import get_plan, save_plan

    text = _check_note(reason, "the reason")
    if not text:
        raise VaultError("closing the Meldcode process needs a reason")
    if next_rhythm not in CLOSING_RHYTHMS:
        raise VaultError(
            "closing the Meldcode process needs the next rhythm: " + ", ".join(CLOSING_RHYTHMS)
        )
    if not isinstance(on, date):
        raise VaultError("closing the Meldcode process needs its date")

    def change(data: dict[str, Any]) -> str:
        if isinstance(data.get("closed"), dict):
            raise VaultError("this Meldcode process is closed already")
        data["closed"] = {
            "on": on.isoformat(),
            "reason": text,
            "next_rhythm": next_rhythm,
            "recorded_at": datetime.now().astimezone().isoformat(),
        }
        return f"Meldcode process closed (next rhythm {next_rhythm})"

    with store.batch():
        store.change_meldcode_record(session_id, change)
        existing = get_plan(store, client_id)
        if existing is not None:
            plan, rhythm = plan_after_meldcode_closed(existing, on, next_rhythm)
            save_plan(store, client_id, plan, Rhythm(rhythm) if rhythm else None)


# -- context for an outcome -----------------------------------------------------------------------


def outcome_context(store: Store, client_id: str | None) -> OutcomeContext:
    """What the vault knows that a new session's outcome depends on: an open Meldcode process,
    the hand-offs not yet confirmed, the user's professional group."""
    from kindcheck.record.amend import OutcomeContext

    group = store.professional_group()
    if client_id is None:
        return OutcomeContext(group=group)
    process = meldcode_process(store, client_id)
    return OutcomeContext(
        meldcode_open=process is not None and process.is_open,
        open_handoffs=store.open_handoffs(client_id),
        group=group,
    )


# -- events, hand-offs, re-asks -------------------------------------------------------------------


def record_event(store: Store, client_id: str, event_id: str, on: date) -> date:
    """Record an event from the client page; the day by which the Kindcheck is due again."""
    from datetime import timedelta

    known = catalog()
    if not known.has_event(event_id):
        raise VaultError("no such event: " + ", ".join(e.id for e in known.events))
    store.record_event(client_id, event_id, on)
    return on + timedelta(days=known.event(event_id).due_days)


def record_handoffs(
    store: Store,
    client_id: str,
    session_id: str,
    handoffs: Iterable[HandoffRecord],
    started_answer: Any = None,
    held_on: date | None = None,
) -> None:
    """Store a session's new hand-offs; when its follow-up says all agreed help started
    (``handoff_started`` = "all"), the open ones are marked started on ``held_on``."""
    if started_answer == "all" and held_on is not None:
        for entry in store.client_handoffs(client_id):
            if entry.status == "open":
                store.set_handoff_status(client_id, entry.id, "started", held_on)
    for handoff in handoffs:
        store.record_handoff(
            client_id,
            session_id,
            handoff.option,
            consent_asked=handoff.consent_asked,
            consent_given=handoff.consent_given,
            contact=handoff.contact,
            contact_on=handoff.contact_on,
            organisation=handoff.organisation,
        )


def session_records(stored: Iterable[StoredSession]) -> list[SessionRecord]:
    return [session_record(s.answers, s.outcome) for s in stored]


def refresh_reasks(store: Store, client_id: str) -> None:
    """Work out the client's re-asks from its sessions again, as their corrections leave them,
    and keep them in its record."""
    from kindcheck.store import ReaskEntry

    from .amended import corrected

    amendments = store.client_amendments(client_id)
    sessions = store.client_sessions(client_id)
    records = session_records(corrected(s, amendments.get(s.summary.id, [])) for s in sessions)
    store.set_reasks(
        client_id,
        [ReaskEntry(r.question_id, r.asked_on, r.due_on) for r in pending_reasks(records)],
    )
