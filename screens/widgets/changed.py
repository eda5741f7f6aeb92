"""Updating a Static only when what it shows changes.

``Static.update`` always asks for a new layout of the whole screen, even to put back what is
already there (the empty error line, the same hint, on every answer key of the walk). Comparing
the new content with the shown one costs microseconds; a layout pass, milliseconds.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def same_content(shown: object, new: str | Content) -> bool:
    """Whether ``new`` draws exactly as ``shown``: the same text with the same styles
    (``Content.__eq__`` compares the plain text only)."""
    if isinstance(shown, Content) and isinstance(new, Content):
        return shown.plain == new.plain and shown.spans == new.spans
    return type(shown) is type(new) and shown == new


def update_changed(static: Static, content: str | Content) -> bool:
    """Show ``content`` in ``static`` unless it shows that already; whether it changed."""
    if same_content(static.content, content):
        return False
    static.update(content)
    return True
