"""Navigation: what a screen asks of the app when the clinician moves on.

Screens never import each other to open the next one. They post one of these messages; it
bubbles from the screen to the app, and :class:`~kindcheck.screens.app.KindcheckApp` pushes or
switches the next screen (app.py, "navigation"). So the way from screen to screen reads in
one place, and the screens folder has no import circle (a contract in pyproject.toml checks
it). Dialogs are not navigation: a screen opens its own dialog and takes its ``dismiss()``
result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from kindcheck.service.intake import Intake
    from kindcheck.service.views import DraftSummary


class NewIntakeRequested(Message):
    """Home, "new intake": the start form (reference, name, setting)."""


class IntakeStarted(Message):
    """The start form is filled in: the question walk takes its place. ``typed_ahead``:
    keys typed for the first questions before the walk was on screen, in order (the list may
    still grow while the form closes: the walk takes them before its own)."""

    def __init__(self, intake: Intake, typed_ahead: list[events.Key] | None = None) -> None:
        super().__init__()
        self.intake = intake
        self.typed_ahead = typed_ahead if typed_ahead is not None else []


class FollowUpStarted(Message):
    """A new follow-up conversation for a client (from home or the client page): the walk
    opens on top, with the children as the last session left them."""

    def __init__(self, intake: Intake) -> None:
        super().__init__()
        self.intake = intake


class DraftResumed(Message):
    """A stored draft to go on with, where it was left (an unreadable one is an error)."""

    def __init__(self, draft: DraftSummary) -> None:
        super().__init__()
        self.draft = draft


class OutcomeReady(Message):
    """The walk is complete: the outcome opens on top of it (Escape goes back to the
    questions). ``autosave`` stores the draft again after a change on the outcome."""

    def __init__(self, intake: Intake, autosave: Callable[[], None]) -> None:
        super().__init__()
        self.intake = intake
        self.autosave = autosave


class ClientOpened(Message):
    """A client's page, on top of the current screen; with ``from_home`` the screens above
    home close first (after a session was saved)."""

    def __init__(self, client_id: str, from_home: bool = False) -> None:
        super().__init__()
        self.client_id = client_id
        self.from_home = from_home


class SessionOpened(Message):
    """A stored session to read back (Enter on a session row of the client page): the
    session view opens on top."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id


class ClientDeleted(Message):
    """The client was deleted from the vault: back to the overview, which says so."""

    def __init__(self, reference: str, pseudonymised: int) -> None:
        super().__init__()
        self.reference = reference
        self.pseudonymised = pseudonymised
