"""Pieces every screen shares: translated bindings, the language, the service and the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual._context import active_app
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import LoadingIndicator, Static

from kindcheck.i18n import t

ResultType = TypeVar("ResultType")

if TYPE_CHECKING:
    from kindcheck.service.vault_service import VaultService

    from .app import KindcheckApp


def format_day(day: date | None, lang: str) -> str:
    """A date as the clinician reads and types it: 25-11-2026 in Dutch, ISO in English."""
    if day is None:
        return "-"
    return day.strftime("%d-%m-%Y") if lang == "nl" else day.isoformat()


def current_lang() -> str:
    try:
        return getattr(active_app.get(), "lang", "nl")
    except LookupError:
        return "nl"


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Binding descriptions are written as message keys ("ui.key.next"); translate them."""
    translated: dict[str, list[Any]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        translated[key] = [_translated(binding, lang) for binding in bindings]
    node._bindings.key_to_bindings = translated


def _translated(binding: Any, lang: str) -> Any:
    changes = {}
    if binding.description.startswith("ui."):
        changes["description"] = t(binding.description, lang)
    if binding.key_display and binding.key_display.startswith("ui."):
        changes["key_display"] = t(binding.key_display, lang)
    return replace(binding, **changes) if changes else binding


class LocalizedMixin:
    """Translate BINDINGS at construction, in the language of the running app."""

    def _localize(self) -> None:
        localize_bindings(self, current_lang())  # type: ignore[arg-type]

    @property
    def lang(self) -> str:
        return current_lang()

    def tr(self, key: str, **values: Any) -> str:
        return t(f"ui.{key}", current_lang(), **values)

    @property
    def kc_app(self) -> KindcheckApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    @property
    def service(self) -> VaultService:
        return self.kc_app.service

    def today(self) -> date:
        return self.kc_app.today()


class KindcheckScreen(LocalizedMixin, Screen[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._localize()

    def _on_mount(self, event: Any) -> None:
        super()._on_mount(event)
        mark = getattr(self.app, "mark_first_paint", None)
        if mark is not None and getattr(self.app, "first_paint_seconds", 0) is None:
            self.call_after_refresh(mark)


class KindcheckModal(LocalizedMixin, ModalScreen[ResultType], Generic[ResultType]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._localize()


class BusyLine(Horizontal):
    """A busy line: a spinner and what is happening (key derivation). Hidden when idle;
    add the class ``-active`` to show it."""

    DEFAULT_CSS = """
    BusyLine { height: 1; display: none; }
    BusyLine.-active { display: block; }
    BusyLine LoadingIndicator { width: 6; height: 1; min-height: 1; }
    BusyLine Static { width: 1fr; }
    """

    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.text = text

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        yield Static(self.text, markup=False)
