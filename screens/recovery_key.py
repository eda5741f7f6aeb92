"""The recovery key, shown once right after the vault is created, with a confirmation that it
was written down. Nothing keeps the key once the clinician moves on."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Footer, Static

from .base import KindcheckScreen
from .widgets.safe import literal
from .widgets.toggles import TickBox


class RecoveryKeyConfirmed(Message):
    """The user confirmed that the recovery key was written down."""


class RecoveryKeyScreen(KindcheckScreen):
    """The recovery key, shown once, with a confirmation that it was written down."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "ui.key.quit", priority=True),
        # Taken when the app gets the key, not when the box does: "space ⏎" typed at once
        # ticks and continues (the Enter used to reach the box and untick it again).
        Binding("space", "tick", "ui.key.tick", show=False, priority=True),
        Binding("enter", "continue", "ui.key.next", show=False, priority=True),
    ]

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Static(self.tr("vault.recovery_title"), id="unlock-title")
            yield Static(self.tr("vault.recovery_intro"), id="unlock-intro")
            yield Static(literal(self.recovery_key), id="recovery-key", markup=False)
            yield Static(self.tr("vault.recovery_once"), id="recovery-once")
            yield TickBox(self.tr("vault.recovery_confirm"), id="written-down")
            yield Button(
                self.tr("vault.recovery_continue"), id="continue", variant="primary", disabled=True
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#written-down", Checkbox).focus()

    def action_tick(self) -> None:
        box = self.query_one("#written-down", Checkbox)
        box.value = not box.value
        self._allow_continue(box.value)

    def action_continue(self) -> None:
        if (
            self.focused is self.query_one("#written-down", Checkbox)
            and not self.query_one("#written-down", Checkbox).value
        ):
            self.action_tick()  # Enter on the box ticks it, as Textual's box does
            return
        self._continue()

    @on(Checkbox.Changed, "#written-down")
    def _box_changed(self, event: Checkbox.Changed) -> None:
        self._allow_continue(event.value)

    def _allow_continue(self, ticked: bool) -> None:
        button = self.query_one("#continue", Button)
        button.disabled = not ticked
        if ticked:
            button.focus()  # the next Enter continues

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        if self.query_one("#written-down", Checkbox).value:
            self.recovery_key = ""
            self.post_message(RecoveryKeyConfirmed())
