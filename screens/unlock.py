"""Opening the vault: create it on first start (with the recovery key shown once), unlock later.

Key derivation (Argon2id, about 0.2 s or more) runs in a thread worker; the screen shows that it
is busy and stays responsive. The same :class:`UnlockScreen` covers the app when it locks itself
after an idle time: it hides everything underneath, and the open form stays where it was.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Footer, Input, Static
from textual.worker import Worker, WorkerState

from kindcheck.errors import KindcheckError, VaultLocked, WrongPassphrase
from kindcheck.passphrase import MIN_LENGTH, acceptable, strength

from .base import BusyLine, KindcheckScreen
from .safe import SafeInput, literal


class VaultCreated(Message):
    """The vault exists and is open; the recovery key is to be shown once."""

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key


class VaultUnlocked(Message):
    """The passphrase opened the vault."""


class RecoveryKeyConfirmed(Message):
    """The user confirmed that the recovery key was written down."""


class CreateVaultScreen(KindcheckScreen):
    """First start: a name for the access log, the passphrase twice, a strength hint."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "ui.key.quit", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Static(self.tr("vault.create_title"), id="unlock-title")
            yield Static(self.tr("vault.create_intro"), id="unlock-intro")
            yield Static(self.tr("vault.user_name"), classes="label")
            yield SafeInput(
                placeholder=self.tr("vault.user_name_hint"), id="user-name", max_length=80
            )
            yield Static(self.tr("vault.passphrase_new", min=MIN_LENGTH), classes="label")
            yield SafeInput(password=True, id="passphrase", max_length=1024)
            yield Static("", id="strength", markup=False)
            yield Static(self.tr("vault.passphrase_repeat"), classes="label")
            yield SafeInput(password=True, id="passphrase-repeat", max_length=1024)
            yield Static("", id="unlock-error", markup=False)
            yield BusyLine(self.tr("vault.creating"), id="busy")
            yield Button(self.tr("vault.create_button"), id="create", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#user-name", Input).focus()

    @on(Input.Changed, "#passphrase")
    def show_strength(self, event: Input.Changed) -> None:
        level = strength(event.value)
        hint = self.query_one("#strength", Static)
        hint.update(self.tr(f"pass.{level}", min=MIN_LENGTH) if level != "empty" else "")
        hint.set_classes(f"strength-{level}")

    @on(Input.Submitted, "#user-name")
    def _to_passphrase(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def _to_repeat(self) -> None:
        self.query_one("#passphrase-repeat", Input).focus()

    @on(Input.Submitted, "#passphrase-repeat")
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
        self.create_vault(first, name)

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#busy").set_class(busy, "-active")
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    @work(thread=True, exclusive=True, exit_on_error=False, group="vault")
    def create_vault(self, passphrase: str, user_name: str) -> None:
        recovery = self.service.create(passphrase, user_name)
        self.post_message(VaultCreated(recovery))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "vault" and event.state == WorkerState.ERROR:
            self._set_busy(False)
            error = event.worker.error
            if isinstance(error, KindcheckError):
                event.stop()
                self.query_one("#unlock-error", Static).update(literal(str(error)))


class RecoveryKeyScreen(KindcheckScreen):
    """The recovery key, shown once, with a confirmation that it was written down."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "ui.key.quit", priority=True),
    ]

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Static(self.tr("vault.recovery_title"), id="unlock-title")
            yield Static(self.tr("vault.recovery_intro"), id="unlock-intro")
            yield Static(literal(self.recovery_key), id="recovery-key", markup=False)
            yield Static(self.tr("vault.recovery_once"), id="recovery-once")
            yield Checkbox(self.tr("vault.recovery_confirm"), id="written-down")
            yield Button(
                self.tr("vault.recovery_continue"), id="continue", variant="primary", disabled=True
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#written-down", Checkbox).focus()

    @on(Checkbox.Changed, "#written-down")
    def _allow_continue(self, event: Checkbox.Changed) -> None:
        button = self.query_one("#continue", Button)
        button.disabled = not event.value
        if event.value:
            button.focus()  # the next Enter continues

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        if self.query_one("#written-down", Checkbox).value:
            self.recovery_key = ""
            self.post_message(RecoveryKeyConfirmed())


class UnlockScreen(KindcheckScreen):
    """The passphrase prompt: at start, and over the open work after an idle lock."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.quit", "ui.key.quit", priority=True),
        Binding("ctrl+r", "forgot", "ui.passphrase.key.forgot"),
    ]

    def __init__(self, locked: bool = False) -> None:
        super().__init__(classes="-locked" if locked else "")
        self.locked = locked

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Static(
                self.tr("vault.locked_title" if self.locked else "vault.unlock_title"),
                id="unlock-title",
            )
            yield Static(
                self.tr("vault.locked_intro" if self.locked else "vault.unlock_intro"),
                id="unlock-intro",
            )
            yield Static(self.tr("vault.passphrase"), classes="label")
            yield SafeInput(password=True, id="passphrase", max_length=1024)
            yield Static("", id="unlock-error", markup=False)
            yield BusyLine(self.tr("vault.unlocking"), id="busy")
            yield Static(self.tr("passphrase.forgot"), id="unlock-forgot", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def action_forgot(self) -> None:
        """The recovery key and a new passphrase (screens/passphrase_screens.py)."""
        from .passphrase_screens import RecoveryUnlockScreen

        if self.query_one("#passphrase", Input).disabled:
            return  # an unlock is in flight

        def recovered(opened: bool | None) -> None:
            if opened:
                self.notify(self.tr("passphrase.recovered"), markup=False, timeout=8)
                self.post_message(VaultUnlocked())

        self.app.push_screen(RecoveryUnlockScreen(), recovered)

    @on(Input.Submitted, "#passphrase")
    def submit(self, event: Input.Submitted) -> None:
        if not event.value:
            return
        self.query_one("#unlock-error", Static).update("")
        self._set_busy(True)
        self.unlock_vault(event.value)

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#busy").set_class(busy, "-active")
        passphrase = self.query_one("#passphrase", Input)
        passphrase.disabled = busy
        if not busy:
            passphrase.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="vault")
    def unlock_vault(self, passphrase: str) -> None:
        self.service.unlock(passphrase)
        self.post_message(VaultUnlocked())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "vault" or event.state != WorkerState.ERROR:
            return
        self._set_busy(False)
        passphrase = self.query_one("#passphrase", Input)
        passphrase.value = ""
        error = event.worker.error
        if isinstance(error, WrongPassphrase):
            event.stop()
            self.query_one("#unlock-error", Static).update(self.tr("vault.wrong_passphrase"))
        elif isinstance(error, VaultLocked):
            event.stop()
            self.query_one("#unlock-error", Static).update(self.tr("vault.in_use"))
        elif isinstance(error, KindcheckError):
            event.stop()
            self.query_one("#unlock-error", Static).update(literal(str(error)))

    def on_vault_unlocked(self, message: VaultUnlocked) -> None:
        self.query_one("#passphrase", Input).value = ""
        self._set_busy(False)
