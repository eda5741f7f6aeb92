"""Pieces every screen shares: translated bindings, the language, the service and the clock.

A screen reaches the running app through :class:`AppContext` (the little it may use of it),
never by importing app.py: the app imports the screens, not the other way round. To move on
to another screen, a screen posts a message (:mod:`.messages`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from textual import events
from textual._context import active_app
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from kindcheck.i18n import t

if TYPE_CHECKING:
    from kindcheck.service.vault_service import VaultService

ResultType = TypeVar("ResultType")

# A screen's ``tr``: a message key without "ui." and its values, in the app's language.
Translate = Callable[..., str]


class AppContext(Protocol):
    """What a screen uses of the running app (kindcheck.screens.app.KindcheckApp)."""

    @property
    def service(self) -> VaultService: ...

    def today(self) -> date: ...

    def worker_failed(self, error: BaseException | None) -> None: ...


def current_lang() -> str:
    """The running app's language ("nl" outside an app)."""
    try:
        lang = getattr(active_app.get(), "lang", "nl")
    except LookupError:
        return "nl"
    return lang if isinstance(lang, str) else "nl"


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Binding descriptions are written as message keys ("ui.key.next"); translate them."""
    translated: dict[str, list[Binding]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        translated[key] = [_translated(binding, lang) for binding in bindings]
    node._bindings.key_to_bindings = translated


def _translated(binding: Binding, lang: str) -> Binding:
    description, key_display = binding.description, binding.key_display
    if description.startswith("ui."):
        description = t(description, lang)
    if key_display and key_display.startswith("ui."):
        key_display = t(key_display, lang)
    if (description, key_display) == (binding.description, binding.key_display):
        return binding
    return replace(binding, description=description, key_display=key_display)


class LocalizedMixin:
    """Translate BINDINGS at construction, in the language of the running app; the service
    and the clock of the app. Mixed into a Textual screen (``self`` is a DOMNode)."""

    def _localize(self) -> None:
        localize_bindings(cast(DOMNode, self), current_lang())

    @property
    def lang(self) -> str:
        return current_lang()

    def tr(self, key: str, **values: Any) -> str:
        return t(f"ui.{key}", current_lang(), **values)

    @property
    def kc_app(self) -> AppContext:
        return cast(AppContext, cast(DOMNode, self).app)

    @property
    def service(self) -> VaultService:
        return self.kc_app.service

    def today(self) -> date:
        return self.kc_app.today()


class KindcheckScreen(LocalizedMixin, Screen[None]):
    """A full screen of the app."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name, id, classes)
        self._localize()

    def _on_mount(self, event: events.Mount) -> None:
        super()._on_mount(event)
        mark = getattr(self.app, "mark_first_paint", None)
        if mark is not None and getattr(self.app, "first_paint_seconds", 0) is None:
            self.call_after_refresh(mark)


class KindcheckModal(LocalizedMixin, ModalScreen[ResultType], Generic[ResultType]):
    """A dialog over the current screen; its result comes back through ``dismiss()``."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name, id, classes)
        self._localize()
