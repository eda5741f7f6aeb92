"""The draft of the walk: stored encrypted after every answer, and text being typed a second
after the last key, so a crash, a lock or a quit loses at most that second.

A base of :class:`~.intake.IntakeScreen`. Each draft is one version
newer than the last; the store keeps the newest, so an autosave that finishes late never
overwrites a newer one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker, WorkerState

from kindcheck.service.vault_service import VaultNotOpen
from kindcheck.service.views import PendingDraft

from .base import KindcheckScreen

if TYPE_CHECKING:
    from kindcheck.questionnaire import Step
    from kindcheck.service.intake import Intake

    from .widgets.text_buffer import TextBuffer


class WalkDrafts(KindcheckScreen):
    """Keeping the walk as an encrypted draft."""

    intake: Intake
    step: Step | None
    buffer: TextBuffer
    version: int
    page_index: int

    # Defined by the screen (or the scan pages): what the drafts need of them.
    def in_page_mode(self) -> bool:
        raise NotImplementedError

    def answer_kind(self) -> str:
        raise NotImplementedError

    def show_step(self, step: Step | None) -> None:
        raise NotImplementedError

    def show_page(self, index: int) -> None:
        raise NotImplementedError

    def _keep_pending_text(self) -> None:
        """Text typed but not yet confirmed with Enter is kept in the draft too."""
        step = self.step
        if step is None or self.in_page_mode():
            return
        if self.answer_kind() not in ("number", "date", "text", "longtext"):
            return
        text = self.buffer.text
        stored = self.intake.main.get(step)
        if text and text != ("" if stored is None else str(stored)):
            self.intake.pending_text[step.key] = text
        else:
            self.intake.pending_text.pop(step.key, None)

    def draft_for_lock(self) -> PendingDraft | None:
        """Called by the app before it locks or quits: the draft as it stands this moment."""
        if self.intake.phase == "saved":
            return None
        self._keep_pending_text()
        return self._next_draft()

    def autosave(self) -> None:
        if self.intake.phase != "saved":
            self.save_draft(self._next_draft())

    def _next_draft(self) -> PendingDraft:
        """The draft as it stands, one version newer than the last one stored."""
        self.version += 1
        intake = self.intake
        return PendingDraft(intake.draft_id, intake.to_payload(), self.version, intake.reference)

    @work(thread=True, exit_on_error=False, group="autosave")
    def save_draft(self, draft: PendingDraft) -> None:
        self.service.save_draft(draft.draft_id, draft.payload, draft.version, draft.reference)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "autosave" or event.state != WorkerState.ERROR:
            return
        event.stop()
        if isinstance(event.worker.error, VaultNotOpen):
            return  # locked meanwhile: the lock saved the newest draft itself
        self.notify(self.tr("intake.draft_failed"), severity="error", markup=False, timeout=10)

    def after_unlock(self) -> None:
        if self.step is not None:
            self.show_step(self.step)
        else:
            self.show_page(self.page_index)
