"""A stored session as its amendments leave it: what the export counts and the client page
shows (kindcheck.service.client_record has the rest of the client record)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kindcheck.store import StoredAmendment, StoredSession

__all__ = ["corrected"]


def corrected(stored: StoredSession, amendments: Sequence[StoredAmendment]) -> StoredSession:
    """The session as its amendments leave it: the current answers and the outcome stored
    with the last amendment (the header in ``stored.summary`` follows them already). What the
    export counts and the client page shows."""
    if not amendments:
        return stored
    from kindcheck.record import amendment_from_dict, current_answers

    answers = current_answers(
        stored.answers, [amendment_from_dict(a.amendment) for a in amendments]
    )
    return replace(stored, answers=answers, outcome=dict(amendments[-1].outcome))
