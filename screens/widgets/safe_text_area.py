"""A TextArea that never holds a control character (the multi-line sibling of
:class:`~.safe.SafeInput`).

Apart from safe.py because Textual's TextArea (with its document model) takes about 10 ms to
import, and the first screen needs only the one-line inputs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from kindcheck.text import clean_text

from .safe import blink_setting


class SafeTextArea(TextArea):
    """A TextArea that drops control characters (keeping newlines and tabs) from every edit."""

    def __init__(
        self,
        *,
        soft_wrap: bool = True,
        tab_behavior: Literal["focus", "indent"] = "focus",
        id: str | None = None,
    ) -> None:
        super().__init__(soft_wrap=soft_wrap, tab_behavior=tab_behavior, id=id)
        self.cursor_blink = blink_setting()

    def edit(self, edit: Edit) -> EditResult:
        cleaned = clean_text(edit.text)
        if cleaned != edit.text:
            edit = replace(edit, text=cleaned)
        return super().edit(edit)

    def load_text(self, text: str) -> None:
        super().load_text(clean_text(text))
