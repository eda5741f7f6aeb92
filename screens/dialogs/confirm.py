"""Small typed dialogs: an error, a yes/no question. Each returns through ``dismiss()``.

Every dialog has its own footer: the keys shown are the dialog's, not those of the screen
underneath (whose "n Nieuwe intake" would read wrong under a question where n cancels).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from ..base import KindcheckModal
from ..widgets.safe import literal


class ErrorDialog(KindcheckModal[None]):
    """Something the user can act on went wrong; the message is written for a person."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "ui.key.close"),
        Binding("enter", "close", "ui.key.close", show=False),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog error-dialog")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(literal(self.title_text), id="dialog-title", markup=False)
            # The message may echo what a person typed (a reference): shown literally.
            yield Static(literal(self.message), id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self.tr("common.ok"), id="ok", variant="primary")
        yield Footer(compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmDialog(KindcheckModal[bool]):
    """A yes/no question; True when confirmed.

    With ``destructive`` (deleting something) the safe choice has the focus, so an Enter out
    of habit keeps what was there, and the confirming button is drawn as a warning."""

    CSS_PATH = "confirm.tcss"
    AUTO_FOCUS = None  # on_mount: the safe choice for a destructive question
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,j", "answer(True)", "ui.key.confirm", key_display="ui.key.yes_key"),
        Binding("n,escape", "answer(False)", "ui.key.cancel"),
    ]

    def __init__(
        self, question: str, confirm_label: str, cancel_label: str, *, destructive: bool = False
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(literal(self.question), id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(
                    self.confirm_label,
                    id="confirm",
                    variant="error" if self.destructive else "primary",
                )
                yield Button(self.cancel_label, id="cancel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#cancel" if self.destructive else "#confirm", Button))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)
