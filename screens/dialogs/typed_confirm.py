"""A confirmation that must be typed: deleting a client asks for the client's reference.

A yes/no key is too easy to press by mistake for something that cannot be undone. The dialog
says what will go and what stays, and closes only when the reference typed is the client's (as
the vault compares references: case and spaces aside); it returns the text typed through
``dismiss()`` (None: cancelled). The service checks it once more before it deletes anything.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from kindcheck.service.client_record import references_match

from ..base import KindcheckModal
from ..widgets.safe import SafeInput, literal


class TypedConfirmDialog(KindcheckModal[str | None]):
    CSS_PATH = "typed_confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
    ]

    def __init__(self, title: str, message: str, expected: str, confirm_label: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.message = message
        self.expected = expected
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="typed-box"):
            yield Static(literal(self.title_text), id="typed-title")
            yield Static(literal(self.message), id="typed-message")
            yield Static(
                literal(self.tr("session.type_to_confirm", reference=self.expected)),
                classes="typed-label",
            )
            yield SafeInput(id="typed-input", max_length=200)
            yield Static("", id="typed-error", classes="error-line")
            with Horizontal(id="typed-buttons"):
                yield Button(self.confirm_label, id="confirm", variant="error")
                yield Button(self.tr("common.cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#typed-error").display = False
        self.query_one("#typed-input", SafeInput).focus()

    def _confirm(self) -> None:
        typed = self.query_one("#typed-input", SafeInput).value
        if not references_match(typed, self.expected):
            error = self.query_one("#typed-error", Static)
            error.update(literal(self.tr("session.type_mismatch")))
            error.display = True
            return
        self.dismiss(typed)

    @on(Input.Submitted, "#typed-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm_button(self, event: Button.Pressed) -> None:
        event.stop()
        self._confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
