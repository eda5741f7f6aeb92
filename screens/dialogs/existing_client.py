"""A new intake on a reference the vault already holds: whose it is, and what to do.

Typing a reference that exists would otherwise add the intake to that client without a word
(a typo in an EPD number puts one family's answers in another's file). The dialog says who it
is (the name, if one was stored, and the last session) and asks: go on with this client, or
correct the reference. Correcting is the default (Enter, Escape), and keys typed before the
dialog appeared (meant for the first questions) do not answer it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Footer, Static

from kindcheck.dates import format_day
from kindcheck.service.views import ClientSummary

from ..base import KindcheckModal
from ..widgets.safe import literal


class ExistingClientDialog(KindcheckModal[bool]):
    """True: go on with this client; False: correct the reference."""

    CSS_PATH = "confirm.tcss"
    AUTO_FOCUS = "#correct"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "ui.existing.key.correct"),
        Binding("d", "answer(True)", "ui.existing.key.continue"),
    ]

    def __init__(self, client: ClientSummary) -> None:
        super().__init__(classes="dialog")
        self.client = client
        # The clock keys are stamped with (Message.time): a key pressed before this moment
        # was typed for the form or the first question, not for this dialog.
        self.opened_at = Message().time

    def compose(self) -> ComposeResult:
        client = self.client
        day = format_day(client.last_session, self.lang)
        kind = self.tr(f"client.kind.{client.last_kind}") if client.last_kind else "-"
        who = Content.assemble(literal(client.name, "bold"), ", ") if client.name else Content("")
        message = Content.assemble(
            literal(client.reference, "bold"),
            " ",
            self.tr("existing.exists"),
            " ",
            who,
            self.tr("existing.last_session", day=day, kind=kind),
            "\n\n",
            self.tr("existing.question"),
        )
        with Vertical(id="dialog-box"):
            yield Static(self.tr("existing.title"), id="dialog-title")
            yield Static(message, id="dialog-message", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self.tr("existing.continue"), id="continue")
                yield Button(self.tr("existing.correct"), id="correct", variant="primary")
        yield Footer(compact=True)

    def on_key(self, event: events.Key) -> None:
        if event.time < self.opened_at:
            event.stop()
            event.prevent_default()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "continue")

    def action_answer(self, go_on: bool) -> None:
        self.dismiss(go_on)
