"""A busy line: a spinner and what is happening (key derivation takes a fraction of a second
or more). Used by the vault screens and the passphrase dialogs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import LoadingIndicator, Static


class BusyLine(Horizontal):
    """A spinner and a text, hidden when idle: :meth:`show` shows and hides it.

    The spinner exists only while the line is shown: it is one more widget to build and style
    before a vault screen is first drawn, and it redraws itself 16 times a second, shown or not.
    """

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
        yield Static(self.text, markup=False)

    def show(self, busy: bool) -> None:
        spinners = self.query(LoadingIndicator)
        if busy and not spinners:
            self.mount(LoadingIndicator(), before=0)
        elif not busy:
            spinners.remove()
        self.set_class(busy, "-active")
