"""Help on every screen (F1, or ? where ? is not an answer or typed text): the keys of the
screen, what the screen is for, and on a question why it is asked and what it rests on.

The app gathers the content from the screen underneath (app.py, ``action_help``) before this
opens: the keys are the screen's bindings as they are enabled at that moment, grouped as this
screen / always / in the field that has the focus. Textual's own descriptions of its widgets'
keys ("Cursor up", "Page down") are shown in the app's language (:func:`key_description`);
one without a translation is shown by its key alone, never in English in a Dutch screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from kindcheck.i18n import catalog, t

from ..base import KindcheckModal
from ..widgets.safe import literal


def key_description(description: str, lang: str) -> str:
    """A binding's description in ``lang``: ours are translated already; Textual's are looked
    up in the catalog (``ui.textual_key``); an unknown one is left out ("")."""
    slug = re.sub(r"[^a-z0-9]+", "_", description.casefold()).strip("_")
    key = f"ui.textual_key.{slug}"
    if key in catalog():
        return t(key, lang)
    return description if lang == "en" else ""


@dataclass(frozen=True)
class KeyGroup:
    """Keys under one heading: (key as displayed, what it does)."""

    title: str
    keys: tuple[tuple[str, str], ...]


class HelpScreen(KindcheckModal[None]):
    """Help for the screen underneath; Escape, F1, ? or q closes it."""

    CSS_PATH = "help.tcss"
    AUTO_FOCUS = "#help-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "ui.key.close"),
    ]

    def __init__(
        self,
        title: str,
        sections: list[tuple[str, str]],
        groups: list[KeyGroup],
        *,
        question: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.sections = sections
        self.groups = groups
        self.question = question

    def compose(self) -> ComposeResult:
        # The whole screen, without side borders: a sentence wrapped over two lines stays one
        # sentence (nothing of the screen underneath shows beside it).
        with Vertical(id="help-box"):
            yield Static(literal(self.title_text), id="help-title", markup=False)
            with VerticalScroll(id="help-body"):
                # A question's "why we ask" first, then the keys (those that work everywhere
                # first: the footer cuts them at 80 columns), then what the screen is for.
                if self.question is not None:
                    yield from self._section(*self.question)
                for group in self.groups:
                    if not group.keys:
                        continue
                    yield Static(literal(group.title, "bold"), classes="help-heading", markup=False)
                    width = max(len(key) for key, _ in group.keys) + 2
                    lines = [
                        Content.assemble(literal(key.ljust(width), "bold $accent"), literal(what))
                        for key, what in group.keys
                    ]
                    yield Static(Content("\n").join(lines), classes="help-keys", markup=False)
                for heading, text in self.sections:
                    yield from self._section(heading, text)
        yield Footer(compact=True)

    def _section(self, heading: str, text: str) -> ComposeResult:
        yield Static(literal(heading, "bold"), classes="help-heading", markup=False)
        yield Static(literal(text), classes="help-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def help_for(app: App[Any], screen: Screen[Any], lang: str) -> HelpScreen:
    """The help screen (F1) for ``screen``: what it is for, its question's "why we ask", and
    the keys that work now, grouped (everywhere first, then the screen's, then the field's)."""
    found: dict[str, dict[tuple[str, str], list[str]]] = {"screen": {}, "app": {}, "field": {}}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not active.enabled or not binding.description or binding.system:
            continue
        group = "app" if active.node is app else "screen" if active.node is screen else "field"
        description = binding.description
        if _textual_binding(active.node, binding):
            # Textual's own keys (a field's, the screen's tab) in the app's language.
            description = key_description(description, lang)
            if not description:
                continue
        keys = found[group].setdefault((binding.action, description), [])
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    # The keys that work everywhere first: at 80x24 they are the ones the footer cuts.
    groups = [
        KeyGroup(
            t(f"ui.help.keys_{group}", lang),
            tuple(("/".join(keys), description) for (_action, description), keys in by.items()),
        )
        for group, by in sorted(found.items(), key=lambda item: item[0] != "app")
    ]
    provide = getattr(screen, "help_sections", None)
    sections: list[tuple[str, str]] = list(provide()) if provide is not None else []
    about = f"ui.help.about.{type(screen).__name__}"
    if about in catalog():
        sections.insert(0, (t("ui.help.about_title", lang), t(about, lang)))
    ask = getattr(screen, "help_question", None)
    question = ask() if ask is not None else None
    return HelpScreen(t("ui.help.title", lang), sections, groups, question=question)


def _textual_binding(node: object, binding: Binding) -> bool:
    """Whether ``binding`` is one Textual's own classes define (its description is English)."""
    # A key list ("ctrl+c,super+c") is split into one binding per key: compare what it does.
    return any(
        isinstance(own, Binding)
        and (own.action, own.description) == (binding.action, binding.description)
        for cls in type(node).__mro__
        if cls.__module__.startswith("textual.")
        for own in vars(cls).get("BINDINGS", ())
    )
