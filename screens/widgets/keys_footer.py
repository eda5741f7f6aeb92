"""The footer, redrawn only when the keys it shows change.

Textual's Footer recomposes (every key a new widget, restyled) each time the screen says its
bindings may have changed: on every focus change and every ``refresh_bindings``. In the
intake that is every answer key, for a footer that shows the same keys from one yes/no
question to the next. This one compares what it would show with what it shows.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """A :class:`Footer` that recomposes only when its visible keys change.

    With ``keys_at_once`` it shows its keys when it is first composed, with the screen,
    instead of empty and then composed again (Textual's way, after the screen's first
    refresh). Only for a screen whose ``check_action`` needs nothing mounted: it is asked
    while the screen is still being composed.
    """

    def __init__(self, *args: Any, keys_at_once: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown_keys: tuple[object, ...] | None = None
        if keys_at_once:
            self.set_reactive(Footer._bindings_ready, True)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown_keys = visible_keys(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Its look in a compact footer from the start: else each key is styled once
                # more when the footer's compact is bound to it after its mount.
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        will_recompose = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_recompose:
            keys = visible_keys(screen)
            if self._bindings_ready and keys == self._shown_keys:
                return
            self._shown_keys = keys
        super().bindings_changed(screen)


def visible_keys(screen: Screen[Any]) -> tuple[object, ...]:
    """What a footer shows of the screen's active bindings (the keys, their words, enabled)."""
    return tuple(
        (binding.key, binding.action, binding.description, binding.key_display, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )
