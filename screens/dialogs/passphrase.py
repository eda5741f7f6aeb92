"""Passphrase dialogs: change the passphrase, and set a new one with the recovery key.

Both derive keys with Argon2id (a fraction of a second, more after failed tries: the store
throttles them) in a thread worker, with a busy line; the fields are disabled meanwhile.
Changing rewraps the data key only (records are not re-encrypted) and the old passphrase stops
working at once. The recovery key opens the vault and replaces the passphrase; the recovery key
itself stays valid. A new recovery key (for a lost one, or one whose key slot is damaged) takes
the passphrase and is shown once. No dialog keeps a secret once it is done with it; the
passphrase that only proves who you are is taken by a
:class:`~..widgets.secret_input.SecretInput` and wiped after use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kindcheck.errors import KindcheckError, VaultLocked, WrongPassphrase
from kindcheck.i18n import error_message
from kindcheck.passphrase import MIN_LENGTH, Secret, acceptable, strength

from ..base import KindcheckModal
from ..widgets.busy_line import BusyLine
from ..widgets.safe import SafeInput, literal
from ..widgets.secret_input import SecretInput


class PassphraseChanged(Message):
    """The new passphrase is set (the old one no longer opens the vault)."""


class RecoveredWithKey(Message):
    """The recovery key opened the vault and the new passphrase is set."""


def recovery_problem(error: KindcheckError, tr: Callable[..., str]) -> str:
    """A person's message for a recovery key the core refused (its messages are English and
    never repeat what was typed; neither does this)."""
    text = str(error)
    if "typo" in text:
        return tr("passphrase.recovery_typo")
    if "letters and digits" in text:
        return tr("passphrase.recovery_length")
    if "not a valid recovery key" in text:
        return tr("passphrase.recovery_invalid")
    return text


class _PassphraseDialog(KindcheckModal[bool]):
    """Shared parts: the new passphrase twice with a strength hint, a busy line, errors."""

    CSS_PATH = "passphrase.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
    ]
    FIRST_FIELD = ""
    GROUP = "passphrase"

    def __init__(self) -> None:
        super().__init__(classes="passphrase-dialog")
        self.busy = False

    def new_fields(self) -> ComposeResult:
        yield Static(self.tr("vault.passphrase_new", min=MIN_LENGTH), classes="label")
        yield SafeInput(password=True, id="new-passphrase", max_length=1024)
        yield Static("", id="strength", markup=False)
        yield Static(self.tr("vault.passphrase_repeat"), classes="label")
        yield SafeInput(password=True, id="new-repeat", max_length=1024)
        yield Static("", id="passphrase-error", markup=False)

    def buttons(self, busy_text: str, confirm: str) -> ComposeResult:
        yield BusyLine(busy_text, id="busy")
        with Horizontal(id="passphrase-buttons"):
            yield Button(confirm, id="confirm", variant="primary")
            yield Button(self.tr("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(self.FIRST_FIELD, Input).focus()

    @on(Input.Changed, "#new-passphrase")
    def show_strength(self, event: Input.Changed) -> None:
        level = strength(event.value)
        hint = self.query_one("#strength", Static)
        hint.update(self.tr(f"pass.{level}", min=MIN_LENGTH) if level != "empty" else "")
        hint.set_classes(f"strength-{level}")

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.submit()

    @on(Button.Pressed, "#confirm")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self.busy:  # a derivation in flight finishes first (its result must be known)
            self._clear_secrets()
            self.dismiss(False)

    def check_new(self) -> str | None:
        """The new passphrase, after showing why it is refused (None then)."""
        first = self.query_one("#new-passphrase", Input).value
        second = self.query_one("#new-repeat", Input).value
        if not acceptable(first):
            self.show_error(self.tr("vault.passphrase_weak", min=MIN_LENGTH))
            self.query_one("#new-passphrase", Input).focus()
            return None
        if first != second:
            self.show_error(self.tr("vault.passphrase_mismatch"))
            self.query_one("#new-repeat", Input).focus()
            return None
        return first

    def submit(self) -> None:
        raise NotImplementedError

    def show_error(self, text: str) -> None:
        self.query_one("#passphrase-error", Static).update(literal(text))

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#busy", BusyLine).show(busy)
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def _clear_secrets(self) -> None:
        for field in self.query(Input):
            field.value = ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != self.GROUP or event.state != WorkerState.ERROR:
            return
        self.set_busy(False)
        error = event.worker.error
        if isinstance(error, KindcheckError):
            event.stop()
            self.show_failure(error)

    def finished(self) -> None:
        self.set_busy(False)
        self._clear_secrets()
        self.dismiss(True)

    def show_failure(self, error: KindcheckError) -> None:
        self.show_error(str(error))


class ChangePassphraseScreen(_PassphraseDialog):
    """The current passphrase, then the new one twice."""

    FIRST_FIELD = "#old-passphrase"
    GROUP = "passphrase-change"

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-box"):
            yield Static(self.tr("passphrase.change_title"), id="passphrase-title", markup=False)
            yield Static(self.tr("passphrase.change_intro"), classes="intro", markup=False)
            yield Static(self.tr("passphrase.current"), classes="label", markup=False)
            yield SecretInput(id="old-passphrase", max_length=1024)
            yield from self.new_fields()
            yield from self.buttons(
                self.tr("passphrase.changing"), self.tr("passphrase.change_button")
            )

    def submit(self) -> None:
        if self.busy:
            return
        field = self.query_one("#old-passphrase", SecretInput)
        if not field.value:
            self.show_error(self.tr("passphrase.current_missing"))
            field.focus()
            return
        new = self.check_new()
        if new is None:
            return
        old = field.take()
        if old.matches(new):
            old.wipe()
            self.show_error(self.tr("passphrase.same_as_old"))
            return
        self.show_error("")
        self.set_busy(True)
        self.change(old, new)

    @work(thread=True, exclusive=True, exit_on_error=False, group="passphrase-change")
    def change(self, old: Secret, new: str) -> None:
        try:
            self.service.change_passphrase(old, new)
        finally:
            old.wipe()
        self.post_message(PassphraseChanged())

    def on_passphrase_changed(self, message: PassphraseChanged) -> None:
        message.stop()
        self.finished()

    def show_failure(self, error: KindcheckError) -> None:
        if isinstance(error, WrongPassphrase):
            self.show_error(self.tr("passphrase.current_wrong"))
            old = self.query_one("#old-passphrase", Input)
            old.value = ""
            old.focus()
        else:
            self.show_error(str(error))


class RecoveryUnlockScreen(_PassphraseDialog):
    """The recovery key (as written down: groups, dashes and case do not matter), then a new
    passphrase twice. Opens the vault; the unlock screen takes it from there."""

    FIRST_FIELD = "#recovery-key"
    GROUP = "passphrase-recover"

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-box"):
            yield Static(self.tr("passphrase.recover_title"), id="passphrase-title", markup=False)
            yield Static(self.tr("passphrase.recover_intro"), classes="intro", markup=False)
            yield Static(self.tr("passphrase.recovery_key"), classes="label", markup=False)
            yield SafeInput(
                id="recovery-key", max_length=200, placeholder=self.tr("passphrase.recovery_hint")
            )
            yield from self.new_fields()
            yield from self.buttons(
                self.tr("passphrase.recovering"), self.tr("passphrase.recover_button")
            )

    def submit(self) -> None:
        if self.busy:
            return
        key = self.query_one("#recovery-key", Input).value
        if not key.strip():
            self.show_error(self.tr("passphrase.recovery_missing"))
            self.query_one("#recovery-key", Input).focus()
            return
        new = self.check_new()
        if new is None:
            return
        self.show_error("")
        self.set_busy(True)
        self.recover(key, new)

    @work(thread=True, exclusive=True, exit_on_error=False, group="passphrase-recover")
    def recover(self, recovery_key: str, new: str) -> None:
        self.service.unlock_with_recovery(recovery_key, new)
        self.post_message(RecoveredWithKey())

    def on_recovered_with_key(self, message: RecoveredWithKey) -> None:
        message.stop()
        self.finished()

    def show_failure(self, error: KindcheckError) -> None:
        key = self.query_one("#recovery-key", Input)
        if isinstance(error, WrongPassphrase):
            self.show_error(self.tr("passphrase.recovery_wrong"))
        elif isinstance(error, VaultLocked):
            self.show_error(self.tr("vault.in_use"))
            return
        elif "recovery key" in str(error):
            self.show_error(recovery_problem(error, self.tr))
        else:
            self.show_error(str(error))
            return
        key.focus()


class RecoveryKeyMade(Message):
    """The new recovery key is made (the old one no longer opens the vault)."""

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key


class NewRecoveryKeyScreen(KindcheckModal[bool]):
    """The passphrase, then the new recovery key shown once. True when a key was made."""

    CSS_PATH = "passphrase.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="passphrase-dialog")
        self.busy = False
        self.made = False

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-box"):
            yield Static(self.tr("recovery_new.title"), id="passphrase-title", markup=False)
            yield Static(self.tr("recovery_new.intro"), classes="intro", markup=False)
            yield Static(self.tr("vault.passphrase"), classes="label", markup=False)
            yield SecretInput(id="current-passphrase", max_length=1024)
            yield Static("", id="passphrase-error", markup=False)
            yield Static("", id="new-recovery-key", markup=False)
            yield BusyLine(self.tr("recovery_new.making"), id="busy")
            with Horizontal(id="passphrase-buttons"):
                yield Button(self.tr("recovery_new.button"), id="confirm", variant="primary")
                yield Button(self.tr("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#new-recovery-key").display = False
        self.query_one("#current-passphrase", SecretInput).focus()

    @on(Input.Submitted, "#current-passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#confirm")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        if self.made:
            self._forget_key()
            self.dismiss(True)
        else:
            self.submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if self.made:
            self._forget_key()
            self.dismiss(True)
        elif not self.busy:
            self.query_one("#current-passphrase", SecretInput).wipe()
            self.dismiss(False)

    def submit(self) -> None:
        field = self.query_one("#current-passphrase", SecretInput)
        if self.busy:
            return
        if not field.value:
            self.query_one("#passphrase-error", Static).update(
                literal(self.tr("passphrase.current_missing"))
            )
            return
        self.query_one("#passphrase-error", Static).update("")
        self._set_busy(True)
        self.make(field.take())

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#busy", BusyLine).show(busy)
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    @work(thread=True, exclusive=True, exit_on_error=False, group="recovery-new")
    def make(self, passphrase: Secret) -> None:
        try:
            key = self.service.new_recovery_key(passphrase)
        finally:
            passphrase.wipe()
        self.post_message(RecoveryKeyMade(key))

    def on_recovery_key_made(self, message: RecoveryKeyMade) -> None:
        message.stop()
        self._set_busy(False)
        self.made = True
        self.query_one("#current-passphrase").display = False
        for label in self.query(".label, .intro"):
            label.display = False
        shown = self.query_one("#new-recovery-key", Static)
        shown.update(
            Content.assemble(
                literal(self.tr("recovery_new.shown")),
                "\n\n",
                literal(message.recovery_key, "bold"),
            )
        )
        shown.display = True
        self.query_one("#cancel").display = False
        confirm = self.query_one("#confirm", Button)
        confirm.label = self.tr("recovery_new.written")
        confirm.focus()

    def _forget_key(self) -> None:
        self.query_one("#new-recovery-key", Static).update("")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "recovery-new" or event.state != WorkerState.ERROR:
            return
        self._set_busy(False)
        error = event.worker.error
        if isinstance(error, WrongPassphrase):
            event.stop()
            self.query_one("#passphrase-error", Static).update(
                literal(self.tr("passphrase.current_wrong"))
            )
            self.query_one("#current-passphrase", SecretInput).focus()
        elif isinstance(error, KindcheckError):
            event.stop()
            self.query_one("#passphrase-error", Static).update(
                literal(error_message(error, self.lang))
            )
        else:
            event.stop()
            self.kc_app.worker_failed(error)
