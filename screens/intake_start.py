"""Who a new intake is for: a reference (EPD number or pseudonym), a name if wanted, and the
setting (GGZ or the social domain). Enter moves from field to field; Enter on the setting list
(or Ctrl+N) starts, and the app opens the question walk in its place (intake.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, RadioButton, RadioSet, Static

from kindcheck.service.intake import Intake, ReferenceInvalid, check_name, check_reference

from .base import KindcheckScreen
from .messages import IntakeStarted
from .widgets.safe import SafeInput

SETTING_IDS = ("ggz", "sociaal_domein")


class IntakeStartScreen(KindcheckScreen):
    """Who the intake is for: a reference (EPD number or pseudonym), a name if wanted, setting."""

    CSS_PATH = "intake_start.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key.cancel"),
        Binding("ctrl+n", "start", "ui.key.start", priority=True),
        # Digits pick the setting (an Input takes them first, so they only act elsewhere).
        Binding("1", "setting('ggz')", "ui.key.setting", key_display="1/2"),
        Binding("2", "setting('sociaal_domein')", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.tr("intake.new_title"), classes="top-bar")
        with Vertical(id="start-box"):
            yield Static(self.tr("intake.reference"), classes="label")
            yield SafeInput(
                placeholder=self.tr("intake.reference_hint"), id="reference", max_length=63
            )
            yield Static(self.tr("intake.name"), classes="label")
            yield SafeInput(placeholder=self.tr("intake.name_hint"), id="name", max_length=200)
            yield Static(self.tr("intake.setting_label"), classes="label")
            with RadioSet(id="setting"):
                yield RadioButton(self.tr("intake.setting_ggz"), value=True, id="ggz")
                yield RadioButton(self.tr("intake.setting_sociaal_domein"), id="sociaal_domein")
            yield Static("", id="start-error", classes="error-line", markup=False)
            yield Button(self.tr("intake.start_button"), id="start", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reference", Input).focus()

    @on(Input.Submitted, "#reference")
    def _to_name(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _to_setting(self) -> None:
        self.query_one("#setting", RadioSet).focus()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        error = self.query_one("#start-error", Static)
        try:
            reference = check_reference(self.query_one("#reference", Input).value)
            name = check_name(self.query_one("#name", Input).value)
        except ReferenceInvalid as problem:
            error.update(self.tr(str(problem).removeprefix("ui.")))
            self.query_one("#reference", Input).focus()
            return
        pressed = self.query_one("#setting", RadioSet).pressed_button
        setting = pressed.id if pressed is not None and pressed.id in SETTING_IDS else "ggz"
        intake = Intake(reference=reference, name=name, setting=setting, started=self.today())
        self.post_message(IntakeStarted(intake))

    def on_key(self, event: events.Key) -> None:
        # Enter on the setting list takes the highlighted setting and starts: it is the last
        # field of the form.
        if event.key == "enter" and isinstance(self.focused, RadioSet):
            event.stop()
            self.focused.action_toggle_button()
            self.call_after_refresh(self.action_start)

    def action_setting(self, setting: str) -> None:
        self.query_one(f"#{setting}", RadioButton).value = True
