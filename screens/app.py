"""The Kindcheck app and its one factory, :func:`create_app`, used by the CLI and the tests.

The app is where the screens meet: a screen posts a navigation message (:mod:`.messages`) and
the app pushes or switches the next screen ("navigation" below), so no screen imports another
to move on. The app also saves open forms as drafts on a lock or a quit, locks itself when
idle, and turns any worker's failure into an error dialog.

After every unlock it asks the service what must be said about the vault itself (an older copy
put back, a damaged key slot, read-only media) and says it in a dialog; home keeps it in view
until it is dealt with ("the vault's notices" below).

Startup stays light: only this module, the settings and the first screen (unlock, or create the
vault) are imported before it is drawn; the service is opened right after. The other screens,
and with them the core (questionnaires, outcome, follow-up plans) and the store, are imported
after the passphrase is typed, where they open (tests/app/test_app_first_screen.py).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from kindcheck.errors import KindcheckError
from kindcheck.i18n import error_message, t
from kindcheck.settings import VAULT_FILE, Settings

from . import heap
from .base import localize_bindings
from .messages import (
    ClientDeleted,
    ClientOpened,
    DraftResumed,
    FollowUpStarted,
    IntakeStarted,
    NewIntakeRequested,
    OutcomeReady,
    SessionOpened,
)
from .unlock import UnlockScreen, VaultUnlocked

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.notifications import SeverityLevel

    from kindcheck.service.vault_service import VaultService
    from kindcheck.service.views import PendingDraft, VaultNotices

    from .create_vault import VaultCreated
    from .recovery_key import RecoveryKeyConfirmed


IDLE_CHECK_SECONDS = 5.0
NOTICE_SECONDS = 4.0
# Textual's own palette commands, by their (English) title: the catalog key of each.
TEXTUAL_COMMANDS = {
    "Theme": "theme",
    "Quit": "quit",
    "Keys": "keys",
    "Maximize": "maximize",
    "Minimize": "minimize",
}
# Actions that need the open vault (the team lead's screens); refused while locked.
VAULT_ACTIONS = (
    "open_export",
    "open_access_log",
    "change_passphrase",
    "new_recovery_key",
    "review_rollback",
)


class VaultNoticesLoaded(Message):
    """What the service says about the vault just opened; ``review``: asked for by the user
    (w on home), so the rollback question is asked even if it was answered "not sure"."""

    def __init__(self, notices: VaultNotices, review: bool = False) -> None:
        super().__init__()
        self.notices = notices
        self.review = review


class RollbackAccepted(Message):
    """The older copy of the vault was accepted (one "restore" entry in the access log)."""


class KindcheckApp(App[int]):
    """Keyboard first, calm, and impossible to lose work in."""

    # A screen's own stylesheet, read when the screen is first pushed, makes Textual parse
    # every stylesheet again and restyle every widget of the app. The vault screens' styles
    # are therefore read with the app's (the first screen is drawn after one parse, not two);
    # the client page's are read just before home is first shown, so that they are parsed in
    # the one pass home's own stylesheet needs anyway: not before the first paint, and not
    # on the first client page opened (about 90 ms there, on the UI thread).
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "unlock.tcss"]
    STYLES_READ_WITH_HOME: ClassVar[tuple[str, ...]] = ("client.tcss",)
    TITLE = "Kindcheck"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "ui.key.help", priority=True),
        Binding("ctrl+q", "quit", "ui.key.quit", priority=True),
        Binding("ctrl+l", "lock", "ui.key.lock", priority=True),
        Binding("ctrl+p", "command_palette", "ui.key.palette", show=False, priority=True),
        # ? is help where it is nothing else: an answer key or typed text take it first.
        Binding("question_mark", "help", "ui.key.help", show=False),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]
    # Key names as a Dutch clinician reads them in the footer and the help.
    KEY_NAMES: ClassVar[dict[str, dict[str, str]]] = {
        "nl": {"space": "spatie", "delete": "del", "pageup": "pag↑", "pagedown": "pag↓"},
    }

    def __init__(
        self,
        settings: Settings,
        service: VaultService | None,
        clock: Callable[[], date] = date.today,
    ) -> None:
        self.lang = settings.lang
        super().__init__()
        localize_bindings(self, self.lang)
        # The footer lists the app's keys in this order after the screen's: F1 first, so that
        # at 80 columns the one key that leads to all the others is never the one cut off.
        keys = self._bindings.key_to_bindings
        self._bindings.key_to_bindings = {
            key: keys[key] for key in sorted(keys, key=lambda key: key != "f1")
        }
        self.settings = settings
        # None: opened on first use (by `kindcheck` itself, just after the first screen is
        # drawn), so that the service and its views are not imported before it (~8 ms of CPU).
        self._service = service
        self.clock = clock
        self.last_activity = time.monotonic()
        self.locked = False
        # Set by `kindcheck demo`: its (published) passphrase, shown on its unlock screen.
        self.demo_passphrase: str | None = None
        self.started_at = time.perf_counter()
        self.first_paint_seconds: float | None = None
        self.first_paint_at: float | None = None
        self.first_paint_cpu: float | None = None  # the process's CPU time then
        # Set by the launcher, which paused Python's cycle collector for the start-up.
        self.resume_collector_at_first_paint = False
        # The theme is fixed so screenshots and colours do not depend on the machine.
        self.theme = "textual-dark"

    # -- start --------------------------------------------------------------------------

    @property
    def service(self) -> VaultService:
        """The vault's service (nothing is opened until the passphrase is typed)."""
        if self._service is None:
            from kindcheck.service.vault_service import open_service

            self._service = open_service(self.settings.resolved_data_dir(), self.clock, self.lang)
        return self._service

    @property
    def vault_open(self) -> bool:
        """Whether the vault is unlocked (asked before the service is needed, without it)."""
        return self._service is not None and self._service.unlocked

    def on_mount(self) -> None:
        if self.vault_open:  # the demo, and tests that open the vault beforehand
            self.show_home()
            self.check_vault_notices()
        elif (self.settings.resolved_data_dir() / VAULT_FILE).exists():
            self.push_screen(UnlockScreen())
        else:
            from .create_vault import CreateVaultScreen  # once, on the very first start

            self.push_screen(CreateVaultScreen())
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)

    def mark_first_paint(self) -> None:
        """Called once the first screen has been drawn (logged; the benchmark reads it)."""
        if self.first_paint_seconds is None:
            self.first_paint_at = time.perf_counter()
            self.first_paint_cpu = time.process_time()
            self.first_paint_seconds = self.first_paint_at - self.started_at
            if self.resume_collector_at_first_paint:
                gc.enable()
            self.call_later(lambda: self.service)  # before a key can ask for it, on this thread
            self.log.info(f"first screen after {self.first_paint_seconds * 1000:.0f} ms")

    def today(self) -> date:
        return self.clock()

    def on_vault_created(self, message: VaultCreated) -> None:
        from .recovery_key import RecoveryKeyScreen

        self.switch_screen(RecoveryKeyScreen(message.recovery_key))

    def on_recovery_key_confirmed(self, message: RecoveryKeyConfirmed) -> None:
        self.show_home()

    def on_vault_unlocked(self, message: VaultUnlocked) -> None:
        self.last_activity = time.monotonic()
        if self.locked:
            self.locked = False
            self.pop_screen()
            resumed = getattr(self.screen, "after_unlock", None)
            if resumed is not None:
                resumed()
        else:
            self.show_home()
        self.check_vault_notices()  # the file may have been replaced while locked, too

    def show_home(self) -> None:
        """The overview; from deeper screens the open work is saved as a draft first."""
        from .home import HomeScreen

        self._read_styles_with_home()
        if any(isinstance(screen, HomeScreen) for screen in self.screen_stack):
            pending = self.open_drafts()
            if pending:
                self.store_drafts(pending, lock=False)
            while not isinstance(self.screen, HomeScreen):
                self.pop_screen()
        elif len(self.screen_stack) <= 1:
            self.push_screen(HomeScreen())
        else:
            self.switch_screen(HomeScreen())

    def _read_styles_with_home(self) -> None:
        """Add the later screens' stylesheets, unparsed: pushing home parses them with its own."""
        folder = Path(__file__).parent
        for name in self.STYLES_READ_WITH_HOME:
            path = str(folder / name)
            if not self.stylesheet.has_source(path):
                self.stylesheet.read(path)

    # -- navigation (the messages of .messages; each screen imported where it first opens) --

    def on_new_intake_requested(self, message: NewIntakeRequested) -> None:
        self.action_new_intake()

    def action_new_intake(self) -> None:
        """The start form, pushed at once: the keys typed after n go to it."""
        from .intake_start import IntakeStartScreen

        self.push_screen(IntakeStartScreen())

    def on_intake_started(self, message: IntakeStarted) -> None:
        from .intake import IntakeScreen

        self.switch_screen(IntakeScreen(message.intake, message.typed_ahead))

    def on_follow_up_started(self, message: FollowUpStarted) -> None:
        from .intake import IntakeScreen

        self.push_screen(IntakeScreen(message.intake))

    def on_draft_resumed(self, message: DraftResumed) -> None:
        """Resume a stored draft where it was; one that cannot be read is an error dialog."""
        from kindcheck.service.intake import DraftUnreadable, Intake

        from .intake import IntakeScreen

        draft = message.draft
        try:
            intake = Intake.from_payload(draft.draft_id, draft.payload)
        except DraftUnreadable as error:
            self.show_error(KindcheckError(str(error)))
            return
        self.push_screen(IntakeScreen(intake))

    def on_outcome_ready(self, message: OutcomeReady) -> None:
        if message.intake.kind == "followup":
            from .followup_outcome import FollowUpOutcomeScreen

            self.push_screen(FollowUpOutcomeScreen(message.intake, message.autosave))
        else:
            from .outcome import OutcomeScreen

            self.push_screen(OutcomeScreen(message.intake, message.autosave))

    def on_client_opened(self, message: ClientOpened) -> None:
        self.read_client(message.client_id, message.from_home)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open-client")
    def read_client(self, client_id: str, from_home: bool) -> None:
        """The client's page is read before it is pushed, so it is laid out, drawn and its
        footer composed once, with what it shows (not first empty and then again)."""
        from textual.worker import get_current_worker

        from .client import ClientScreen

        try:
            detail = self.service.client(client_id)
        except Exception:  # the page reads again and says what is wrong, as it did
            detail = None
        if not get_current_worker().is_cancelled:
            # Made on the UI thread: a screen translates its keys in the running app's
            # language, which a worker thread does not see (the footer said "Terug" in English).
            self.call_from_thread(
                lambda: self._push_client(ClientScreen(client_id, detail), from_home)
            )

    def _push_client(self, page: Screen[Any], from_home: bool) -> None:
        if self.locked:  # locked while it was read: never a client's page over the lock
            return
        if from_home:
            from .home import HomeScreen

            while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
                self.pop_screen()
        self.push_screen(page)

    def on_session_opened(self, message: SessionOpened) -> None:
        from .session import SessionScreen

        self.push_screen(SessionScreen(message.session_id))

    def on_client_deleted(self, message: ClientDeleted) -> None:
        from kindcheck.text import one_line

        self.show_home()
        self.notify(
            t("ui.session.client_deleted", self.lang, reference=one_line(message.reference)),
            markup=False,
            timeout=10,
        )

    # -- drafts -------------------------------------------------------------------------

    def open_drafts(self) -> list[PendingDraft]:
        """The drafts of every open form, as they stand this moment (typed text included)."""
        pending = []
        for screen in self.screen_stack:
            capture = getattr(screen, "draft_for_lock", None)
            if capture is not None:
                draft = capture()
                if draft is not None:
                    pending.append(draft)
        return pending

    # -- idle lock ----------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            events.Key
            | events.MouseDown
            | events.MouseScrollDown
            | events.MouseScrollUp
            | events.Paste,
        ):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        idle = time.monotonic() - self.last_activity
        if idle >= self.settings.idle_lock_minutes * 60:
            self.action_lock()
        elif idle >= IDLE_CHECK_SECONDS and not self.locked:
            heap.reclaim_if_grown()  # a full collection, if one is due, while nobody waits

    def action_lock(self) -> None:
        """Save open work as encrypted drafts, drop the key and cover the screen."""
        if self.locked or not self.vault_open:
            return
        pending = self.open_drafts()
        self.locked = True
        # Cover everything first (a modal or the command palette may be open).
        while len(self.screen_stack) > 1 and isinstance(self.screen, ModalScreen):
            self.pop_screen()
        self.push_screen(UnlockScreen(locked=True))
        self.store_drafts(pending, lock=True)

    @work(thread=True, exit_on_error=False, group="drafts")
    def store_drafts(self, pending: list[PendingDraft], lock: bool) -> None:
        """Save open forms as encrypted drafts; with ``lock``, drop the key afterwards."""
        try:
            for draft in pending:
                self.service.save_draft(
                    draft.draft_id, draft.payload, draft.version, draft.reference
                )
        finally:
            if lock:  # locking never waits on a failed save: the key goes, the error shows
                self.service.lock()
                heap.release()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_intake":
            # n is a priority key on home: in its search field it is a letter.
            from textual.widgets import Input

            return not isinstance(self.focused, Input)
        if action in ("lock", "command_palette", *VAULT_ACTIONS):
            # Nothing to lock and no commands before the vault is open (or while locked).
            return self.vault_open and not self.locked
        return True

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        # is_open takes any App; KindcheckApp is an App[int] (the exit code).
        if self.locked or not self.vault_open or CommandPalette.is_open(cast(App[object], self)):
            return
        self.push_screen(
            CommandPalette(id="--command-palette", placeholder=t("ui.cmd.placeholder", self.lang))
        )

    async def action_quit(self) -> None:
        self.close_vault([] if self.locked else self.open_drafts())

    @work(thread=True, exclusive=True, exit_on_error=False, group="quit")
    def close_vault(self, pending: list[PendingDraft]) -> None:
        try:
            for draft in pending:
                self.service.save_draft(
                    draft.draft_id, draft.payload, draft.version, draft.reference
                )
        finally:
            self.service.close()
            self.call_from_thread(self.exit, 0)

    def on_unmount(self) -> None:
        # However the app ends, the key goes and the vault's lock file is released.
        self.service.close()
        heap.release()

    # -- the team lead's screens (export_screen.py, access_log.py) --------------------------

    def action_open_export(self) -> None:
        """The anonymised counts per period (one screen of it at a time)."""
        from .export_screen import ExportScreen

        if not isinstance(self.screen, ExportScreen):
            self.push_screen(ExportScreen())

    def action_open_access_log(self) -> None:
        from .access_log import AccessLogScreen

        if not isinstance(self.screen, AccessLogScreen):
            self.push_screen(AccessLogScreen())

    def action_change_passphrase(self) -> None:
        from .dialogs.passphrase import ChangePassphraseScreen

        def done(changed: bool | None) -> None:
            if changed:
                self.notify(t("ui.passphrase.changed", self.lang), markup=False, timeout=8)

        self.push_screen(ChangePassphraseScreen(), done)

    # -- the vault's notices: an older copy, a damaged key slot, read-only media ------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="notices")
    def check_vault_notices(self, review: bool = False) -> None:
        self.post_message(VaultNoticesLoaded(self.service.notices(), review))

    def on_vault_notices_loaded(self, message: VaultNoticesLoaded) -> None:
        """The rollback question first (it decides what this vault is), then the rest."""
        from .dialogs.vault_notice import NoticeDialog, RollbackDialog

        notices = message.notices
        if self.locked:
            return  # asked again after the next unlock

        def then_the_rest(_answer: object = None) -> None:
            if (notices.damaged_slots or notices.read_only) and not message.review:
                self.push_screen(NoticeDialog(notices), self._notice_answered)

        if notices.rollback is not None:

            def answered(accepted: bool | None) -> None:
                if accepted:
                    self.accept_rollback()
                else:
                    self.notify(t("ui.rollback.kept", self.lang), markup=False, timeout=8)
                then_the_rest()

            self.push_screen(RollbackDialog(notices.rollback), answered)
        elif not message.review:
            then_the_rest()

    def _notice_answered(self, choice: str | None) -> None:
        if choice == "new_recovery_key":
            self.action_new_recovery_key()

    @work(thread=True, exclusive=True, exit_on_error=False, group="notices-write")
    def accept_rollback(self) -> None:
        self.service.acknowledge_rollback()
        self.post_message(RollbackAccepted())

    def on_rollback_accepted(self, message: RollbackAccepted) -> None:
        self.notify(t("ui.rollback.accepted", self.lang), markup=False, timeout=8)
        self._reload_home()

    def action_review_rollback(self) -> None:
        """w on home: ask again whether the older copy was put back on purpose."""
        self.check_vault_notices(review=True)

    def action_new_recovery_key(self) -> None:
        from .dialogs.passphrase import NewRecoveryKeyScreen

        def done(made: bool | None) -> None:
            if made:
                self._reload_home()

        self.push_screen(NewRecoveryKeyScreen(), done)

    def _reload_home(self) -> None:
        """Home shows the notices as they are now (after one was dealt with)."""
        from .home import HomeScreen

        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.load()

    # -- errors -------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker failure nobody handled becomes an error dialog (never a traceback)."""
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker.error)

    def worker_failed(self, error: BaseException | None) -> None:
        """A worker's failure as an error dialog; screens hand theirs here (a worker's state
        reaches only the screen that started it)."""
        from kindcheck.service.vault_service import VaultNotOpen

        if isinstance(error, VaultNotOpen) and self.locked:
            return  # a read that raced the lock; it runs again after unlocking
        self.show_error(error)

    def _fatal_error(self) -> None:
        """An exception nobody handled: the app stops with one line, never a traceback.

        Textual's own handler prints a rich traceback *with every frame's local variables*
        (``show_locals=True``) on stderr after the app exits: answers, notes, client
        references, the passphrase. stderr may be a terminal log or a file, so the app says
        only which kind of error it was (as the CLI does); with KINDCHECK_DEBUG=1 (test data
        only) a traceback without the local variables is shown.
        """
        from rich.text import Text
        from rich.traceback import Traceback

        self.bell()
        renderable: RenderableType
        if os.environ.get("KINDCHECK_DEBUG") == "1":
            renderable = Traceback(show_locals=False, width=None)
        else:
            kind = getattr(sys.exc_info()[0], "__name__", None) or type(self._exception).__name__
            renderable = Text(t("ui.error.fatal", self.lang, kind=kind))
        self._exit_renderables.append(renderable)
        self._close_messages_no_wait()

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a text field); say which key does."""
        self.notify(t("ui.quit_hint", self.lang), markup=False)

    def show_error(self, error: BaseException | None) -> None:
        from .dialogs.confirm import ErrorDialog

        if isinstance(error, KindcheckError):
            message = error_message(error, self.lang)  # its catalog text, when it has one
            if message.startswith("ui."):
                message = t(message, self.lang)
        else:
            message = t("ui.error.internal", self.lang, kind=type(error).__name__)
        self.push_screen(ErrorDialog(t("ui.error.title", self.lang), message))

    # -- the professional group (the Meldcode's afwegingskader on every outcome) --------

    def action_professional_group(self) -> None:
        from kindcheck.service.followthrough import guide

        from .dialogs.followthrough import ChoiceDialog

        choices = [(group.name.get(self.lang), group.id) for group in guide().groups]

        def chosen(group: object) -> None:
            if isinstance(group, str):
                self._store_group(group)

        self.push_screen(
            ChoiceDialog(
                t("ui.vault.professional_group", self.lang),
                choices,
                self.service.professional_group(),
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="profile")
    def _store_group(self, group: str) -> None:
        self.service.set_professional_group(group)
        self.call_from_thread(self.notify, t("ui.vault.group_saved", self.lang), markup=False)

    # -- help (F1) ----------------------------------------------------------------------

    def action_help(self) -> None:
        """The help screen for the screen showing now (F1 again, or Escape, closes it)."""
        from .dialogs.help import HelpScreen, help_for

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(help_for(self, self.screen, self.lang))

    def action_show_help_panel(self) -> None:
        """Textual's key panel (its "Keys" command) is this app's help screen: translated,
        and closed like any dialog (Escape, F1, or the command again)."""
        self.action_help()

    def action_hide_help_panel(self) -> None:
        from .dialogs.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)

    def get_key_display(self, binding: Binding) -> str:
        shown = super().get_key_display(binding)
        return self.KEY_NAMES.get(self.lang, {}).get(shown, shown)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """One notice at a time, briefly: they stood over the content (a client's chart, the
        rows of home) for many seconds, several at once. Errors stay as long as they did."""
        if severity != "error":
            self.clear_notifications()
            timeout = min(timeout or NOTICE_SECONDS, NOTICE_SECONDS)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The screen's own commands, the app's, then Textual's (the theme, the help) in the
        app's language. Textual's screenshot is left out: it would write the screen, client
        data and all, to a plain file on disk."""
        provide = getattr(screen, "palette_commands", None)
        if provide is not None:
            yield from provide()
        if not self.locked and self.vault_open:
            yield SystemCommand(
                t("ui.cmd.home", self.lang), t("ui.cmd.home_help", self.lang), self.show_home
            )
            yield SystemCommand(
                t("ui.cmd.lock", self.lang), t("ui.cmd.lock_help", self.lang), self.action_lock
            )
            yield SystemCommand(
                t("ui.export.open_cmd", self.lang),
                t("ui.export.open_cmd_help", self.lang),
                self.action_open_export,
            )
            yield SystemCommand(
                t("ui.log.open_cmd", self.lang),
                t("ui.log.open_cmd_help", self.lang),
                self.action_open_access_log,
            )
            yield SystemCommand(
                t("ui.passphrase.change_cmd", self.lang),
                t("ui.passphrase.change_cmd_help", self.lang),
                self.action_change_passphrase,
            )
            yield SystemCommand(
                t("ui.vault.group_cmd", self.lang),
                t("ui.vault.group_cmd_help", self.lang),
                self.action_professional_group,
            )
            yield SystemCommand(
                t("ui.recovery_new.cmd", self.lang),
                t("ui.recovery_new.cmd_help", self.lang),
                self.action_new_recovery_key,
            )
        for command in super().get_system_commands(screen):
            key = TEXTUAL_COMMANDS.get(command.title)
            if key is None:
                continue  # the screenshot (see above), or a command this version does not know
            yield SystemCommand(
                t(f"ui.cmd.{key}", self.lang),
                t(f"ui.cmd.{key}_help", self.lang),
                command.callback,
                command.discover,
            )


def create_app(
    settings: Settings, service: VaultService | None = None, clock: Callable[[], date] = date.today
) -> KindcheckApp:
    """The one way to build the app, from parsed settings (CLI and tests alike). Without a
    service the app opens its own, over the settings' data dir, once its first screen is drawn."""
    return KindcheckApp(settings, service, clock)
