"""Updating a Static only when what it shows changes, and laying out the screen again only
when its size can change.

``Static.update`` always asks for a new layout of the whole screen, even to put back what is
already there (the empty error line, the same hint, on every answer key of the walk) or a
text of the same height (the next question's progress line). A layout costs milliseconds, and
the widgets whose size it touches are told so, which draws the screen a second time. So the
new content is compared with the shown one, and its height with the shown height.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.css.styles import RulesMap


def same_content(shown: object, new: object) -> bool:
    """Whether ``new`` draws exactly as ``shown``: the same text with the same styles
    (``Content.__eq__`` compares the plain text only)."""
    if isinstance(shown, Content) and isinstance(new, Content):
        return shown.plain == new.plain and shown.spans == new.spans
    return type(shown) is type(new) and shown == new


def update_changed(static: Static, content: str | Content) -> bool:
    """Show ``content`` in ``static`` unless it shows that already; whether it changed."""
    if same_content(static.content, content):
        return False
    layout = _size_may_change(static, content)
    static.update(content, layout=layout)
    return True


def _size_may_change(static: Static, content: str | Content) -> bool:
    """False only when ``content`` certainly takes the size ``static`` has now: the widget
    is hidden (it takes no room; showing it lays out the screen), or its width does not
    follow its content and the new content wraps to the height the widget's content has."""
    if not static.display:
        return False
    width = static.styles.width
    if width is not None and width.is_auto:
        return True
    region = static.content_region
    if not static.is_mounted or region.width <= 0 or region.height <= 0:
        return True
    if not isinstance(content, Content):
        return True  # a str may be markup: drawn as the widget parses it
    # The styles as Widget.get_content_height hands them to the visual (typed there as the
    # rules they are read through).
    rules = cast("RulesMap", static.styles)
    return content.get_height(rules, region.width) != region.height
