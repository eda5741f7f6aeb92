"""What a client's record keeps besides who the client is: events, warm hand-offs, re-asks.

Three lists inside the client's encrypted record (no table of their own, so no schema
migration; the record is already in the vault's ledger, so verify sees a list that went back
to an older state). A record written before these existed has none: readers default to empty.

- ``events``: what happened to the client that makes the Kindcheck due again (an admission, a
  crisis, a new child, ...), with the day and where it was recorded (the client page, or a
  follow-up conversation).
- ``handoffs``: warm hand-offs agreed in a session: to which help, consent, how contact was
  made, and whether the help started (the next conversation asks).
- ``reasks``: the unknowns that matter still to be asked again, with the day to ask by. The
  layer above works them out from the client's sessions each time one is recorded
  (kindcheck.followup.policy.pending_reasks) and keeps the result here, so a due list reads
  client records and never a session.

The store checks shapes only; which events and hand-offs exist is the questionnaires' business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

HANDOFF_STATUSES: Final = ("open", "started", "not_started", "declined")


@dataclass(frozen=True)
class ClientEvent:
    """An event recorded for a client (``source``: "client_page" or "session:<id>")."""

    id: str
    event: str
    on: date
    recorded_at: datetime
    source: str


@dataclass(frozen=True)
class HandoffEntry:
    """A warm hand-off agreed in session ``session_id``; ``organisation`` is free text."""

    id: str
    session_id: str
    option: str
    consent_asked: bool
    consent_given: bool
    contact: str
    contact_on: date | None
    organisation: str | None
    recorded_at: datetime
    status: str  # one of HANDOFF_STATUSES
    status_on: date | None


@dataclass(frozen=True)
class ReaskEntry:
    """An unknown to ask again: ``question`` asked on ``asked_on``, to ask again by ``due_on``."""

    question: str
    asked_on: date
    due_on: date


def _day(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)


def _day_or_none(value: object) -> date | None:
    return None if value is None else _day(value)


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    return datetime.fromisoformat(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not true or false")
    return value


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found = data.get(key, [])
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ValueError(f"{key} is not a list of objects")
    return found


def parse_lists(
    data: dict[str, Any],
) -> tuple[tuple[ClientEvent, ...], tuple[HandoffEntry, ...], tuple[ReaskEntry, ...]]:
    """The three lists of a client record's JSON (missing ones empty). ValueError, KeyError or
    TypeError for a list of the wrong shape (the caller names the record damaged)."""
    events = tuple(
        ClientEvent(
            _text(item["id"]),
            _text(item["event"]),
            _day(item["on"]),
            _moment(item["recorded_at"]),
            _text(item["source"]),
        )
        for item in _items(data, "events")
    )
    handoffs: list[HandoffEntry] = []
    for item in _items(data, "handoffs"):
        status = _text(item["status"])
        if status not in HANDOFF_STATUSES:
            raise ValueError("unknown hand-off status")
        organisation = item.get("organisation")
        handoffs.append(
            HandoffEntry(
                _text(item["id"]),
                _text(item["session_id"]),
                _text(item["option"]),
                _flag(item["consent_asked"]),
                _flag(item["consent_given"]),
                _text(item["contact"]),
                _day_or_none(item.get("contact_on")),
                None if organisation is None else _text(organisation),
                _moment(item["recorded_at"]),
                status,
                _day_or_none(item.get("status_on")),
            )
        )
    reasks = tuple(
        ReaskEntry(_text(item["question"]), _day(item["asked_on"]), _day(item["due_on"]))
        for item in _items(data, "reasks")
    )
    return events, tuple(handoffs), reasks


def event_data(event: ClientEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "event": event.event,
        "on": event.on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "source": event.source,
    }


def handoff_data(handoff: HandoffEntry) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "session_id": handoff.session_id,
        "option": handoff.option,
        "consent_asked": handoff.consent_asked,
        "consent_given": handoff.consent_given,
        "contact": handoff.contact,
        "contact_on": None if handoff.contact_on is None else handoff.contact_on.isoformat(),
        "organisation": handoff.organisation,
        "recorded_at": handoff.recorded_at.isoformat(),
        "status": handoff.status,
        "status_on": None if handoff.status_on is None else handoff.status_on.isoformat(),
    }


def reask_data(reask: ReaskEntry) -> dict[str, Any]:
    return {
        "question": reask.question,
        "asked_on": reask.asked_on.isoformat(),
        "due_on": reask.due_on.isoformat(),
    }
