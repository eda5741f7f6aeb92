"""A checkbox and a radio button that read as what they are without colour.

Textual draws the same "X" (or "●") in a ticked and an unticked box; only the colour differs,
so "Afronden op 5" looked on while the export said ``rounding: none``. These draw ``[x]`` /
``[ ]`` and ``(•)`` / ``( )``: plain characters that every console (Windows' too) can show.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class TickBox(Checkbox):
    """A checkbox: ``[x]`` when ticked, ``[ ]`` when not."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    def render(self) -> Content:
        self.BUTTON_INNER = "x" if self.value else " "
        return super().render()


class ChoiceButton(RadioButton):
    """A radio button: ``(•)`` when chosen, ``( )`` when not."""

    BUTTON_LEFT = "("
    BUTTON_RIGHT = ")"

    def render(self) -> Content:
        self.BUTTON_INNER = "•" if self.value else " "
        return super().render()
