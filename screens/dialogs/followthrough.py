"""Dialogs for what follows a session: a warm hand-off, an event, a Meldcode afweging or
decision, closing the Meldcode process. Each is a typed ModalScreen returning its result (plain
values, checked by the core when saved) through ``dismiss()``; None when cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Select, Static

from kindcheck.dates import format_day, parse_date_text

from ..base import KindcheckModal
from ..widgets.safe import SafeInput, literal

HANDOFF_CONTACTS = ("not_yet", "client_calls", "together", "referred")


@dataclass(frozen=True)
class HandoffChoice:
    option: str
    organisation: str | None
    consent_asked: bool
    consent_given: bool
    contact: str
    contact_on: date | None


@dataclass(frozen=True)
class DatedChoice:
    """An event, an afweging answer or a decision: its id, a date and a reason (or "")."""

    choice: str
    on: date
    reason: str = ""
    next_rhythm: str | None = None


class _Form(KindcheckModal[object]):
    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("ctrl+s", "done", "ui.key.save", priority=True),
    ]

    def __init__(self, today: date) -> None:
        super().__init__(classes="dialog")
        self.start_day = today

    def on_mount(self) -> None:
        self.query_one("#dialog-box").scroll_home(animate=False)

    def error(self, key: str) -> None:
        self.query_one("#form-error", Static).update(self.tr(key))

    def footer_rows(self) -> ComposeResult:
        yield Static("", id="form-error", classes="error-line", markup=False)
        with Horizontal(id="dialog-buttons"):
            yield Button(self.tr("common.ok"), id="confirm", variant="primary")
            yield Button(self.tr("common.cancel"), id="cancel")

    def day(self, widget_id: str) -> date | None:
        text = self.query_one(widget_id, SafeInput).value.strip()
        try:
            return date.fromisoformat(parse_date_text(text))  # it gives the ISO form
        except ValueError:
            self.error("intake.need_date")
            return None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_done()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_done(self) -> None:  # pragma: no cover - each form has its own
        raise NotImplementedError


class HandoffDialog(_Form):
    """Record a warm hand-off: to which help, consent asked and given, how contact is made."""

    def __init__(self, options: list[tuple[str, str]], today: date) -> None:
        super().__init__(today)
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(self.tr("handoff.title"), id="dialog-title")
            yield Static(self.tr("handoff.option"))
            yield Select(
                [(literal(name), key) for name, key in self.options],
                allow_blank=False,
                id="handoff-option",
            )
            yield SafeInput(placeholder=self.tr("handoff.organisation"), id="organisation")
            with Horizontal(classes="checks"):
                yield Checkbox(self.tr("handoff.consent_asked"), id="consent-asked")
                yield Checkbox(self.tr("handoff.consent_given"), id="consent-given")
            yield Static(self.tr("handoff.contact"))
            yield Select(
                [(self.tr(f"handoff.contact_{key}"), key) for key in HANDOFF_CONTACTS],
                allow_blank=False,
                id="contact",
            )
            yield SafeInput(
                value=format_day(self.start_day, self.lang),
                placeholder=self.tr("handoff.contact_on"),
                id="contact-on",
                max_length=10,
            )
            yield from self.footer_rows()

    def action_done(self) -> None:
        asked = self.query_one("#consent-asked", Checkbox).value
        given = self.query_one("#consent-given", Checkbox).value
        contact = str(self.query_one("#contact", Select).value)
        if given and not asked:
            self.error("handoff.consent_needed")
            return
        if contact != "not_yet" and not given:
            self.error("handoff.consent_needed")
            return
        on = None
        if contact != "not_yet":
            on = self.day("#contact-on")
            if on is None:
                return
        organisation = self.query_one("#organisation", SafeInput).value.strip() or None
        option = str(self.query_one("#handoff-option", Select).value)
        self.dismiss(HandoffChoice(option, organisation, asked, given, contact, on))


class DatedChoiceDialog(_Form):
    """Choose one of ``choices`` (label, id) with a date, and a reason when ``needs_reason``
    names the choices that need one; with ``rhythms`` also the rhythm from now on."""

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str]],
        today: date,
        needs_reason: frozenset[str] = frozenset(),
        rhythms: list[tuple[str, str]] | None = None,
        needs_rhythm: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(today)
        self.title_text = title
        self.choices = choices
        self.needs_reason = needs_reason
        self.rhythms = rhythms
        self.needs_rhythm = needs_rhythm

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(literal(self.title_text), id="dialog-title", markup=False)
            yield Select(
                [(literal(name), key) for name, key in self.choices],
                allow_blank=False,
                id="choice",
            )
            yield SafeInput(
                value=format_day(self.start_day, self.lang),
                placeholder=self.tr("meldcode.decision_date"),
                id="choice-date",
                max_length=10,
            )
            if self.needs_reason or self.rhythms:
                yield SafeInput(placeholder=self.tr("meldcode.decision_reason"), id="reason")
            if self.rhythms:
                yield Static(self.tr("meldcode.close_rhythm"))
                yield Select(
                    [(literal(name), key) for name, key in self.rhythms],
                    allow_blank=False,
                    id="rhythm",
                )
            yield from self.footer_rows()

    def action_done(self) -> None:
        choice = str(self.query_one("#choice", Select).value)
        on = self.day("#choice-date")
        if on is None:
            return
        reason = ""
        if self.needs_reason or self.rhythms:
            reason = self.query_one("#reason", SafeInput).value.strip()
        if (choice in self.needs_reason or self.rhythms) and not reason:
            self.error("meldcode.decision_reason")
            return
        rhythm = None
        if self.rhythms and (choice in self.needs_rhythm or not self.needs_rhythm):
            rhythm = str(self.query_one("#rhythm", Select).value)
        self.dismiss(DatedChoice(choice, on, reason, rhythm))


class ChoiceDialog(_Form):
    """Choose one of ``choices`` (label, id); returns the id."""

    def __init__(self, title: str, choices: list[tuple[str, str]], value: str | None) -> None:
        super().__init__(date.today())
        self.title_text = title
        self.choices = choices
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(literal(self.title_text), id="dialog-title", markup=False)
            yield Select(
                [(literal(name), key) for name, key in self.choices],
                allow_blank=False,
                value=self.value if self.value is not None else self.choices[0][1],
                id="choice",
            )
            yield from self.footer_rows()

    def action_done(self) -> None:
        self.dismiss(str(self.query_one("#choice", Select).value))
