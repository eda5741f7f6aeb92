"""Recording a completed session: the one way a session, intake or follow-up, reaches the vault.

:func:`record_session` is what ``kindcheck record`` and the app's save (of an intake and of a
follow-up) call. In one transaction it finds or adds the client, saves the session with its
outcome (computed once, by the caller) and its facts record (what the reports count of it,
kindcheck.service.facts), ticks off the Meldcode steps taken, stores the session's warm
hand-offs and the events a follow-up names (and marks hand-offs started when it says so),
works out the questions to ask again, creates or tightens
the client's follow-up plan (kindcheck.followup.policy.plan_after_session) or, for an intake
whose rhythm the clinician chose, stores the plan in that rhythm (chosen_plan), and drops the
session's draft. The same answers stored twice for one client are refused, and the refusal is
logged: a retried command must not count a conversation twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from kindcheck.answers import Session
from kindcheck.errors import VaultError
from kindcheck.followup.policy import chosen_plan, plan_after_session
from kindcheck.outcome import Outcome, outcome_to_json
from kindcheck.service.facts import facts_record
from kindcheck.service.plans import ClientPlan, get_plan, save_plan
from kindcheck.store import Client, SessionSummary, Store

__all__ = ["Recorded", "record_session"]


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_session` did."""

    client: Client
    client_created: bool
    session: SessionSummary
    plan: ClientPlan | None
    plan_change: str  # "new", "more_frequent", "unchanged" or "none"


def record_session(
    store: Store,
    session: Session,
    outcome: Outcome,
    lang: str = "nl",
    *,
    meldcode_steps: Mapping[str, date | None] | None = None,
    rhythm: str | None = None,
    draft_id: str | None = None,
    log_refusal: bool = True,
) -> Recorded:
    """Store a validated session with its outcome (computed once, by the caller), in one
    transaction: find or add its client, save the session, and create or tighten the client's
    follow-up plan; then set ``meldcode_steps`` (step id -> the day it was done, or None), store
    the plan in the ``rhythm`` the clinician chose (a key of RHYTHM_RULES or NO_PLAN; None: the
    plan follows the outcome) and delete the store's draft ``draft_id``. ``lang`` is the
    language of the outcome texts stored with it.

    The same answers stored twice for one client are refused (VaultError, nothing saved, and,
    unless ``log_refusal`` is False because the caller reports it, a "refused" entry in the
    access log).
    """
    answers = session.to_dict()
    outcome_json = outcome_to_json(outcome, lang)
    duplicate = False
    try:
        with store.batch():
            with store.unlogged():  # one "create" entry for the whole, below
                client = store.find_client(session.client_reference, log=False)
                created = client is None
                if client is None:
                    client = store.add_client(session.client_reference, session.client_name)
                elif session.client_name and not client.name:
                    client = store.set_client_name(client.id, session.client_name)
                if not created:
                    # A damaged session cannot be compared; it must not stop a new one from
                    # being saved (the app and `kindcheck verify` name it).
                    for stored in store.client_sessions(client.id, damaged=[]):
                        if stored.answers == answers:
                            duplicate = True
                            raise VaultError(
                                f"this session was already recorded (session "
                                f"{stored.id}); nothing was saved"
                            )
                facts = facts_record(answers, outcome_json)  # what the reports count of it
                summary = store.save_session(client.id, answers, outcome_json, facts)
                existing = None if created else get_plan(store, client.id)
                planned = plan_after_session(existing, outcome, session.session_date)
                stored_plan, change = existing, "none" if existing is None else "unchanged"
                if planned is not None:
                    plan, plan_rhythm, change = planned
                    if existing is None or plan != existing.plan or plan_rhythm != existing.rhythm:
                        stored_plan = save_plan(store, client.id, plan, plan_rhythm)
            detail = f"session {summary.id}" + ("; new client" if created else "")
            if change in ("new", "more_frequent"):
                detail += f"; follow-up plan {change.replace('_', ' ')}"
            store.log_access("create", client.reference, detail)
            for step_id, done_on in (meldcode_steps or {}).items():
                store.set_meldcode_step(summary.id, step_id, done_on)
            if rhythm is not None:
                plan, chosen = chosen_plan(session, outcome, rhythm)
                stored_plan = save_plan(store, client.id, plan, chosen)
            _follow_through(store, client.id, summary.id, session, outcome)
            if draft_id is not None:
                store.delete_draft(draft_id)
    except VaultError:
        if duplicate and log_refusal:
            store.log_refusal("create", session.client_reference, "session (already recorded)")
        raise
    return Recorded(client, created, summary, stored_plan, change)


def _follow_through(
    store: Store, client_id: str, session_id: str, session: Session, outcome: Outcome
) -> None:
    """What a format-2 session leaves besides its plan: its hand-offs, its events (on its own
    date, so the Kindcheck it repeats is not due again), and the client's re-asks."""
    from .followthrough import record_handoffs, refresh_reasks

    main = session.main_part.answers
    if session.handoffs or main.get("handoff_started") == "all":
        record_handoffs(
            store,
            client_id,
            session_id,
            session.handoffs,
            main.get("handoff_started"),
            session.session_date,
        )
    for event in outcome.events:
        store.record_event(client_id, event.id, session.session_date, f"session:{session_id}")
    refresh_reasks(store, client_id)
