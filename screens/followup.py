"""Holding a follow-up conversation: from home's due list or from a client page.

The client's latest session is loaded in a thread worker (:meth:`VaultService.followup_start`),
then the app opens the conversation in the intake screen (the same question widgets, drafts,
autosave, idle lock, back and forward, help key), with the children's number and ages as the
last session left them, for the clinician to confirm. A follow-up already begun for this
client and kept as a draft is resumed instead of starting a second one.
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.worker import Worker, WorkerState

from kindcheck.service.views import FollowUpStart

from .base import KindcheckScreen
from .messages import DraftResumed, FollowUpStarted


class FollowUpStartLoaded(Message):
    """The client's latest session is loaded: the conversation can start."""

    def __init__(self, start: FollowUpStart) -> None:
        super().__init__()
        self.start = start


class HoldsFollowUps(KindcheckScreen):
    """A screen that can hold a client's follow-up: :meth:`hold_followup` starts it, or
    resumes the draft of one begun before (home and the client page)."""

    def hold_followup(self, client_id: str) -> None:
        self._load_followup_start(client_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hold-followup")
    def _load_followup_start(self, client_id: str) -> None:
        self.post_message(FollowUpStartLoaded(self.service.followup_start(client_id)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure of this screen's workers as an error dialog, never silence: e.g. the
        follow-up of a client whose own record cannot be read (its reference is in it)."""
        if event.state == WorkerState.ERROR:
            event.stop()
            self.kc_app.worker_failed(event.worker.error)

    def on_follow_up_start_loaded(self, message: FollowUpStartLoaded) -> None:
        # The session in progress loads the answers and outcome engine (~20 ms): not before
        # a conversation is held, so home draws as fast as before.
        from kindcheck.service.intake import Intake

        message.stop()
        start = message.start
        if start.draft is not None:
            self.app.notify(self.tr("followup.draft_resumed"), markup=False)
            self.post_message(DraftResumed(start.draft))
            return
        intake = Intake.followup(
            start.reference,
            start.setting,
            self.today(),
            name=start.name,
            child_ages=list(start.child_ages) if start.child_ages is not None else None,
            previous=start.previous,
        )
        self.post_message(FollowUpStarted(intake))
