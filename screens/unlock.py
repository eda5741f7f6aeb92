"""Opening the vault with the passphrase, at start and after an idle lock.

Key derivation (Argon2id, about 0.2 s or more) runs in a thread worker; the screen shows that it
is busy and stays responsive. The same :class:`UnlockScreen` covers the app when it locks itself
after an idle time: it hides everything underneath, and the open form stays where it was.
Creating the vault and its recovery key: create_vault.py and recovery_key.py (the three share
unlock.tcss, one calm box in the middle).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from kindcheck.errors import (
    KindcheckError,
    SchemaRefused,
    SlotDamaged,
    VaultLocked,
    WrongPassphrase,
)
from kindcheck.i18n import error_message
from kindcheck.passphrase import Secret

from .base import KindcheckScreen
from .widgets.busy_line import BusyLine
from .widgets.keys_footer import KeysFooter
from .widgets.safe import literal
from .widgets.secret_input import SecretInput


class VaultUnlocked(Message):
    """The passphrase opened the vault."""


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
            demo_passphrase = getattr(self.app, "demo_passphrase", None)
            if demo_passphrase:
                yield Static(
                    self.tr("vault.demo_passphrase", passphrase=demo_passphrase),
                    id="unlock-demo",
                    markup=False,
                )
            yield Static(self.tr("vault.passphrase"), classes="label")
            yield SecretInput(id="passphrase", max_length=1024)
            yield Static("", id="unlock-error", markup=False)
            yield BusyLine(self.tr("vault.unlocking"), id="busy")
            yield Static(self.tr("passphrase.forgot"), id="unlock-forgot", markup=False)
        # Its keys composed with the screen, not in a second pass after the first refresh.
        yield KeysFooter(compact=True, keys_at_once=True)

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def action_forgot(self) -> None:
        """The recovery key and a new passphrase (dialogs/passphrase.py)."""
        if self.query_one("#passphrase", Input).disabled:
            return  # an unlock is in flight
        from .dialogs.passphrase import RecoveryUnlockScreen  # rarely: not before the first paint

        def recovered(opened: bool | None) -> None:
            if opened:
                self.notify(self.tr("passphrase.recovered"), markup=False, timeout=8)
                self.post_message(VaultUnlocked())

        self.app.push_screen(RecoveryUnlockScreen(), recovered)

    @on(Input.Submitted, "#passphrase")
    def submit(self, event: Input.Submitted) -> None:
        if not event.value:  # the mask: empty when nothing was typed
            return
        self.query_one("#unlock-error", Static).update("")
        self._set_busy(True)
        self.unlock_vault(self.query_one("#passphrase", SecretInput).take())

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#busy", BusyLine).show(busy)
        passphrase = self.query_one("#passphrase", Input)
        passphrase.disabled = busy
        if not busy:
            passphrase.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="vault")
    def unlock_vault(self, passphrase: Secret) -> None:
        try:
            self.service.unlock(passphrase)
        finally:
            passphrase.wipe()  # read in place by the key derivation; no copy remains
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
        elif isinstance(error, SchemaRefused):
            # What to do in the user's language; what was found (names from the file, in
            # the store's words) literally after it.
            event.stop()
            # At most three, so the box stays on an 80x24 screen (verify lists them all).
            problems = error.problems[:3]
            if len(error.problems) > 3:
                problems.append(f"… +{len(error.problems) - 3}")
            found = literal("\n".join(problems) or str(error))
            self.query_one("#unlock-error", Static).update(
                Content.assemble(self.tr("vault.schema_refused"), "\n", found)
            )
        elif isinstance(error, SlotDamaged) and error.kind == "passphrase":
            # The recovery key still opens the vault, and sets a new passphrase (Ctrl+R).
            event.stop()
            self.query_one("#unlock-error", Static).update(self.tr("vault.passphrase_slot"))
        elif isinstance(error, KindcheckError):
            event.stop()
            # In the user's language when the error carries its catalog key (a refused
            # schema, a damaged file); read from the file, so shown literally.
            self.query_one("#unlock-error", Static).update(literal(error_message(error, self.lang)))

    def on_vault_unlocked(self, message: VaultUnlocked) -> None:
        self.query_one("#passphrase", Input).value = ""
        self._set_busy(False)
