"""Showing and taking text a person typed, literally.

Textual passes ESC/CSI/OSC sequences inside widget text straight to the terminal, and its
markup has forms that escaping does not neutralise (``[$accent]``, ``[@click=app.quit]``). So
every text a person typed (client references, names, free-text answers, a search) is

- cleaned of control characters on the way in (:class:`SafeInput`; and
  :class:`~.safe_text_area.SafeTextArea`, apart because TextArea is heavy to import), and
- shown as :class:`~textual.content.Content` built from plain text, never parsed as markup
  (:func:`literal`, :func:`literal_cell`), after :func:`~kindcheck.text.terminal_safe` (which
  cleans as ``clean_text`` does and also drops what a terminal cannot take), because a stored
  record may come from an older version or another tool, and a message about a damaged record
  holds ids and SQLite's own words from the file.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual._context import active_app
from textual.content import Content
from textual.widgets import Input

from kindcheck.text import clean_text, terminal_safe

InputType = Literal["integer", "number", "text"]  # as textual.widgets.Input takes it


def blink_setting() -> bool:
    """The running app's cursor blink setting (off in snapshot tests)."""
    try:
        settings = getattr(active_app.get(), "settings", None)
    except LookupError:
        return True
    return bool(getattr(settings, "cursor_blink", True))


def literal(text: object, style: str = "") -> Content:
    """Plain text as Content: markup characters are shown as they are."""
    content = Content(terminal_safe(text))
    return content.stylize(style) if style else content


def literal_cell(text: object) -> Text:
    """Plain text for a DataTable cell (DataTable parses ``str`` cells as markup)."""
    return Text(terminal_safe(text), end="")


class SafeInput(Input):
    """An Input that never holds a control character, however the text arrives.

    Typing cannot produce ESC (the terminal turns it into a key), but a paste or a restored
    draft can; the value is cleaned whenever it is set.
    """

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        password: bool = False,
        type: InputType = "text",
        max_length: int = 0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            value,
            placeholder,
            password=password,
            type=type,
            max_length=max_length,
            id=id,
            classes=classes,
        )
        self.cursor_blink = blink_setting()

    def validate_value(self, value: str) -> str:
        return clean_text(value)
