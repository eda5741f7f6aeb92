"""First start: create the vault (a name for the access log, the professional group for the
Meldcode's afwegingskader (may stay open), the passphrase twice, a strength hint). Key
derivation (Argon2id) runs in a thread worker with a busy line; the app then shows the recovery
key once (recovery_key.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Button, Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from kindcheck.errors import KindcheckError
from kindcheck.passphrase import MIN_LENGTH, acceptable, strength

from .base import KindcheckScreen
from .widgets.busy_line import BusyLine
from .widgets.safe import SafeInput, literal


class VaultCreated(Message):
    """The vault exists and is open; the recovery key is to be shown once."""

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key


class CreateVaultScreen(KindcheckScreen):
    """First start: a name for the access log, the passphrase twice, a strength hint."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "ui.key.quit", priority=True),
        # Tab and Enter move between the fields when the app takes the key, not later when a
        # field gets to it: typed ahead ("name ⇥ passphrase ⇥ passphrase ⏎"), each part lands
        # in its own field (the passphrase never in the visible name field).
        Binding("tab", "next_field", "ui.key.next_field", show=False, priority=True),
        Binding("enter", "enter", "ui.key.next", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
    ]
    FIELDS = ("#user-name", "#passphrase", "#passphrase-repeat", "#create")

    def compose(self) -> ComposeResult:
        # The guide's groups: imported here, not at startup (the follow-up policy it brings
        # is not needed to draw the first screen of an existing vault).
        from kindcheck.service.followthrough import guide

        with Center(), Vertical(id="unlock-box"):
            yield Static(self.tr("vault.create_title"), id="unlock-title")
            yield Static(self.tr("vault.create_intro"), id="unlock-intro")
            yield Static(self.tr("vault.user_name"), classes="label")
            yield SafeInput(
                placeholder=self.tr("vault.user_name_hint"), id="user-name", max_length=80
            )
            yield Select(
                [(literal(group.name.get(self.lang)), group.id) for group in guide().groups],
                prompt=self.tr("vault.group_prompt"),
                id="professional-group",
            )
            yield Static(self.tr("vault.passphrase_new", min=MIN_LENGTH), classes="label")
            yield SafeInput(password=True, id="passphrase", max_length=1024)
            yield Static("", id="strength", markup=False)
            yield Static(self.tr("vault.passphrase_repeat"), classes="label")
            yield SafeInput(password=True, id="passphrase-repeat", max_length=1024)
            yield Static("", id="unlock-error", markup=False)
            yield BusyLine(self.tr("vault.creating"), id="busy")
            yield Button(self.tr("vault.create_button"), id="create", variant="primary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#user-name", Input).focus()

    @on(Input.Changed, "#passphrase")
    def show_strength(self, event: Input.Changed) -> None:
        level = strength(event.value)
        hint = self.query_one("#strength", Static)
        hint.update(self.tr(f"pass.{level}", min=MIN_LENGTH) if level != "empty" else "")
        hint.set_classes(f"strength-{level}")

    def _field_index(self) -> int:
        for index, selector in enumerate(self.FIELDS):
            if self.focused is self.query_one(selector):
                return index
        return 0

    def action_next_field(self) -> None:
        index = (self._field_index() + 1) % len(self.FIELDS)
        self.set_focus(self.query_one(self.FIELDS[index]))

    def action_enter(self) -> None:
        if self._field_index() >= len(self.FIELDS) - 2:  # on the repeat, or on the button
            # After the field has taken the keys typed before this Enter (they wait in its
            # queue): read the passphrase as typed, not as it stood when Enter arrived.
            field = self.focused or self
            field.call_later(self.submit)
        else:
            self.action_next_field()

    def action_previous_field(self) -> None:
        self.set_focus(self.query_one(self.FIELDS[max(self._field_index() - 1, 0)]))

    @on(Button.Pressed, "#create")
    def submit(self) -> None:
        name = self.query_one("#user-name", Input).value.strip()
        first = self.query_one("#passphrase", Input).value
        second = self.query_one("#passphrase-repeat", Input).value
        error = ""
        if not name:
            error = self.tr("vault.user_name_missing")
        elif not acceptable(first):
            error = self.tr("vault.passphrase_weak", min=MIN_LENGTH)
        elif first != second:
            error = self.tr("vault.passphrase_mismatch")
        self.query_one("#unlock-error", Static).update(error)
        if error:
            return
        self._set_busy(True)
        chosen = self.query_one("#professional-group", Select).value
        self.create_vault(first, name, chosen if isinstance(chosen, str) else None)

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#busy", BusyLine).show(busy)
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    @work(thread=True, exclusive=True, exit_on_error=False, group="vault")
    def create_vault(self, passphrase: str, user_name: str, group: str | None = None) -> None:
        recovery = self.service.create(passphrase, user_name)
        if group is not None:
            self.service.set_professional_group(group)
        self.post_message(VaultCreated(recovery))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "vault" and event.state == WorkerState.ERROR:
            self._set_busy(False)
            error = event.worker.error
            if isinstance(error, KindcheckError):
                event.stop()
                self.query_one("#unlock-error", Static).update(literal(str(error)))
