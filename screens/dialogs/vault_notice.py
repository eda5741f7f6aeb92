"""What the app says about the vault itself right after unlocking, as a dialog (home keeps the
same notices on screen until each is dealt with).

- :class:`RollbackDialog`: the vault is older than the last one opened on this computer. Was
  this copy put back on purpose? "Yes" accepts it (logged); "No / not sure" (the default, and
  Escape) keeps the warning, at every start, until it is sorted out. Nothing is adopted
  without this answer.
- :class:`NoticeDialog`: a damaged key slot, read-only media: what it means and what to do,
  with "make a new recovery key" when the recovery key no longer opens the vault.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from kindcheck.dates import format_day
from kindcheck.service.views import RollbackNotice, VaultNotices

from ..base import KindcheckModal
from ..widgets.safe import literal

NoticeChoice = Literal["new_recovery_key", "later"]


class RollbackDialog(KindcheckModal[bool]):
    """True when the user says the older copy was put back on purpose."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "keep", "ui.rollback.no"),
    ]

    def __init__(self, notice: RollbackNotice) -> None:
        super().__init__(classes="dialog error-dialog")
        self.notice = notice

    def compose(self) -> ComposeResult:
        notice = self.notice
        found = self.tr("rollback.unknown") if notice.found is None else str(notice.found)
        with Vertical(id="dialog-box"):
            yield Static(literal(self.tr("rollback.title")), id="dialog-title", markup=False)
            yield Static(
                literal(
                    "\n\n".join(
                        (
                            self.tr(
                                "rollback.text",
                                found=found,
                                expected=notice.expected,
                                noticed=format_day(notice.noticed, self.lang),
                            ),
                            self.tr("rollback.question"),
                            self.tr("rollback.otherwise"),
                        )
                    )
                ),
                id="dialog-message",
                markup=False,
            )
            with Horizontal(id="dialog-buttons"):
                yield Button(self.tr("rollback.yes"), id="accept")
                yield Button(self.tr("rollback.no"), id="keep", variant="primary")

    def on_mount(self) -> None:
        # Enter keeps the warning: accepting an older copy takes a deliberate choice.
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "accept")

    def action_keep(self) -> None:
        self.dismiss(False)


class NoticeDialog(KindcheckModal[NoticeChoice]):
    """A damaged key slot, read-only media: what it means and what to do."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "later", "ui.notice.later"),
    ]

    def __init__(self, notices: VaultNotices) -> None:
        super().__init__(classes="dialog error-dialog")
        self.notices = notices

    @property
    def offers_new_recovery_key(self) -> bool:
        return any(slot.secret != "passphrase" for slot in self.notices.damaged_slots)

    def compose(self) -> ComposeResult:
        lines = []
        for slot in self.notices.damaged_slots:
            if slot.secret in ("recovery", "passphrase"):
                lines.append(self.tr(f"notice.slot_{slot.secret}"))
            else:
                lines.append(self.tr("notice.slot_unknown", id=slot.short_id))
        if self.notices.read_only:
            lines.append(self.tr("notice.read_only"))
        with Vertical(id="dialog-box"):
            yield Static(literal(self.tr("notice.title")), id="dialog-title", markup=False)
            yield Static(literal("\n\n".join(lines)), id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                if self.offers_new_recovery_key:
                    yield Button(
                        self.tr("notice.new_recovery"), id="new-recovery", variant="primary"
                    )
                yield Button(
                    self.tr("notice.later")
                    if self.offers_new_recovery_key
                    else self.tr("common.ok"),
                    id="later",
                )

    def on_mount(self) -> None:
        first = "#new-recovery" if self.offers_new_recovery_key else "#later"
        self.query_one(first, Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("new_recovery_key" if event.button.id == "new-recovery" else "later")

    def action_later(self) -> None:
        self.dismiss("later")
