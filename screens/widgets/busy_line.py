"""A busy line: a spinner and what is happening (key derivation takes a fraction of a second
or more). Used by the vault screens and the passphrase dialogs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import LoadingIndicator, Static


class BusyLine(Horizontal):
    """A spinner and a text. Hidden when idle; add the class ``-active`` to show it."""

    DEFAULT_CSS = """
    BusyLine { height: 1; display: none; }
    BusyLine.-active { display: block; }
    BusyLine LoadingIndicator { width: 6; height: 1; min-height: 1; }
    BusyLine Static { width: 1fr; }
    """

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        yield Static(self.text, markup=False)
