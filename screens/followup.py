"""Holding a follow-up conversation: from home's due list or from a client page.

The client's latest session is loaded in a thread worker (:meth:`VaultService.followup_start`),
then the conversation opens in the intake screen (the same question widgets, drafts,
autosave, idle lock, back and forward, help key), with the children's number and ages as the
last session left them, for the clinician to confirm. A follow-up already begun for this
client and kept as a draft is resumed instead of starting a second one.
"""

from __future__ import annotations

from textual import work
from textual.message import Message

from kindcheck.service.views import FollowUpStart


class FollowUpStartLoaded(Message):
    """The client's latest session is loaded: the conversation can start."""

    def __init__(self, start: FollowUpStart) -> None:
        super().__init__()
        self.start = start


class HoldsFollowUps:
    """A screen mixin: :meth:`hold_followup` starts (or resumes) a client's follow-up."""

    def hold_followup(self, client_id: str) -> None:
        self._load_followup_start(client_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hold-followup")
    def _load_followup_start(self, client_id: str) -> None:
        self.post_message(  # type: ignore[attr-defined]
            FollowUpStartLoaded(self.service.followup_start(client_id))
        )  # type: ignore[attr-defined]

    def on_follow_up_start_loaded(self, message: FollowUpStartLoaded) -> None:
        from kindcheck.service.intake import Intake

        from .intake import IntakeScreen, open_draft

        message.stop()
        start = message.start
        app = self.app  # type: ignore[attr-defined]
        if start.draft is not None:
            app.notify(self.tr("followup.draft_resumed"), markup=False)  # type: ignore[attr-defined]
            open_draft(app, start.draft)
            return
        intake = Intake.followup(
            start.reference,
            start.setting,
            self.today(),  # type: ignore[attr-defined]
            name=start.name,
            child_ages=list(start.child_ages) if start.child_ages is not None else None,
            previous=start.previous,
        )
        app.push_screen(IntakeScreen(intake))
