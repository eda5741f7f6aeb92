"""Recording a completed session: the one way a session, intake or follow-up, reaches the vault.

:func:`record_session` finds or adds the client, saves the session with its outcome, and
creates or tightens the client's follow-up plan (kindcheck.followup.plan_after_session), in
one transaction with one "create" entry in the access log. The same answers stored twice for
one client are refused, and the refusal is logged: a retried command must not count a
conversation twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from kindcheck.answers import Session
from kindcheck.errors import VaultError
from kindcheck.followup import plan_after_session
from kindcheck.outcome import Outcome, outcome_to_json
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


def record_session(store: Store, session: Session, outcome: Outcome, lang: str = "nl") -> Recorded:
    """Store a validated session with its outcome (computed once, by the caller): find or add
    its client, save the session, and create or tighten the client's follow-up plan, in one
    transaction. ``lang`` is the language of the outcome texts stored with it.

    The same answers stored twice for one client are refused (VaultError, nothing saved, a
    "refused" entry in the access log unless this runs inside a larger batch).
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
                    for stored in store.client_sessions(client.id):
                        if stored.answers == answers:
                            duplicate = True
                            raise VaultError(
                                f"this session was already recorded (session "
                                f"{stored.id}); nothing was saved"
                            )
                summary = store.save_session(client.id, answers, outcome_json)
                existing = None if created else get_plan(store, client.id)
                planned = plan_after_session(existing, outcome, session.session_date)
                stored_plan, change = existing, "none" if existing is None else "unchanged"
                if planned is not None:
                    plan, rhythm, change = planned
                    if existing is None or plan != existing.plan or rhythm != existing.rhythm:
                        stored_plan = save_plan(store, client.id, plan, rhythm)
            detail = f"session {summary.id}" + ("; new client" if created else "")
            if change in ("new", "more_frequent"):
                detail += f"; follow-up plan {change.replace('_', ' ')}"
            store.log_access("create", client.reference, detail)
    except VaultError:
        if duplicate:
            store.log_refusal("create", session.client_reference, "session (already recorded)")
        raise
    return Recorded(client, created, summary, stored_plan, change)
