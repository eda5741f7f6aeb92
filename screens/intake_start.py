"""Who a new intake is for: a reference (EPD number or pseudonym), a name if wanted, and the
setting (GGZ or the social domain). Enter moves from field to field; Enter on the setting (or
Ctrl+N) starts, and the app opens the question walk in its place (intake.py).

Like the walk, the form takes every key itself, in order (intake_keys.py says why): "EPD-2001
⏎ Jan ⏎ ⏎" typed at once gives reference EPD-2001 and name Jan, and starts. Keys typed after
the start, for the first questions, go with the intake to the walk.

A reference that is already in the vault is not merged silently: the form says whose it is
(name, last session) and asks whether to go on with that client or to correct the reference.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Footer, Static
from textual.worker import Worker, WorkerState

from kindcheck.service.intake import Intake, ReferenceInvalid, check_name, check_reference
from kindcheck.service.views import ClientSummary

from .base import KindcheckScreen
from .dialogs.existing_client import ExistingClientDialog
from .messages import IntakeStarted
from .widgets.answer_area import EchoInput, in_use
from .widgets.text_buffer import EDIT_KEYS, TextBuffer

SETTING_IDS = ("ggz", "sociaal_domein")
FIELDS = ("reference", "name", "setting")


class ReferenceLookedUp(Message):
    """Whether the reference of the form is a client in the vault already."""

    def __init__(self, intake: Intake, existing: ClientSummary | None) -> None:
        super().__init__()
        self.intake = intake
        self.existing = existing


class SettingChoice(Static):
    """The two settings, the chosen one marked ``(•)``; a click chooses."""

    def __init__(self, labels: tuple[str, str]) -> None:
        super().__init__("", id="setting", markup=False)
        self.labels = labels
        self.chosen = 0

    def choose(self, index: int) -> None:
        self.chosen = index
        lines = [
            Content.assemble(("(•)" if i == index else "( )", "bold"), " ", label)
            for i, label in enumerate(self.labels)
        ]
        self.update(Content("\n").join(lines))

    def on_click(self, event: events.Click) -> None:
        self.choose(min(max(event.y, 0), len(self.labels) - 1))


class IntakeStartScreen(KindcheckScreen):
    """Who the intake is for: a reference (EPD number or pseudonym), a name if wanted, setting."""

    CSS_PATH = "intake_start.tcss"
    # Keys are taken by on_key; these are what the footer and the help show.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next_field", "ui.key.next", key_display="⏎"),
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("ctrl+n", "start", "ui.key.start"),
        Binding("tab", "next_field", "ui.key.next_field", show=False),
        Binding("1", "setting('ggz')", "ui.key.setting", key_display="1/2", show=False),
        Binding("2", "setting('sociaal_domein')", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.field = 0
        self.buffers = {
            "reference": TextBuffer(max_length=63),
            "name": TextBuffer(max_length=200),
        }
        self.starting = False
        self.typed_ahead: list[events.Key] = []

    def compose(self) -> ComposeResult:
        yield Static(self.tr("intake.new_title"), classes="top-bar")
        with Vertical(id="start-box"):
            yield Static(self.tr("intake.reference"), classes="label")
            yield EchoInput(
                placeholder=self.tr("intake.reference_hint"), id="reference", max_length=63
            )
            yield Static(self.tr("intake.name"), classes="label")
            yield EchoInput(placeholder=self.tr("intake.name_hint"), id="name", max_length=200)
            yield Static(self.tr("intake.setting_label"), classes="label")
            yield SettingChoice(
                (self.tr("intake.setting_ggz"), self.tr("intake.setting_sociaal_domein"))
            )
            yield Static("", id="start-error", classes="error-line", markup=False)
            start = Button(self.tr("intake.start_button"), id="start", variant="primary")
            start.can_focus = False
            yield start
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(SettingChoice).choose(0)
        self._show_field(0)

    # -- the fields ---------------------------------------------------------------------

    def _show_field(self, index: int) -> None:
        self.field = max(0, min(index, len(FIELDS) - 1))
        for position, name in enumerate(FIELDS):
            widget = self.query_one(f"#{name}")
            in_use(widget, position == self.field)
            widget.set_class(position == self.field, "-current")

    def _buffer(self) -> TextBuffer | None:
        return self.buffers.get(FIELDS[self.field])

    def _mirror(self) -> None:
        for name, buffer in self.buffers.items():
            self.query_one(f"#{name}", EchoInput).mirror(buffer)

    def on_key(self, event: events.Key) -> None:
        if self not in self.app.screen_stack:
            event.stop()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("f1", "ctrl+p", "ctrl+q", "ctrl+l", "ctrl+c"):
            return
        event.stop()
        event.prevent_default()
        if self.starting:
            # Typed for the first questions while the form starts the intake.
            self.typed_ahead.append(events.Key(event.key, event.character))
            return
        self._key(event)

    def _key(self, event: events.Key) -> None:
        key = event.key
        buffer = self._buffer()
        if key == "escape":
            self.action_cancel()
        elif key == "ctrl+n":
            self.action_start()
        elif key == "enter":
            self.action_next_field()
        elif key in ("tab", "shift+tab"):
            self._show_field((self.field + (1 if key == "tab" else -1)) % len(FIELDS))
        elif buffer is None:  # the setting
            if key in ("1", "2"):
                self.query_one(SettingChoice).choose(int(key) - 1)
            elif key in ("up", "down"):
                self.query_one(SettingChoice).choose(0 if key == "up" else 1)
            elif key == "shift+tab":
                self._show_field(self.field - 1)
        elif key in ("up", "down"):
            self._show_field(self.field + (-1 if key == "up" else 1))
        elif key in EDIT_KEYS:
            if buffer.key(key):
                self._mirror()
        elif event.is_printable and event.character and buffer.insert(event.character):
            self._mirror()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        buffer = self._buffer()
        if buffer is not None and not self.starting and buffer.insert(event.text):
            self._mirror()

    @on(events.Click, "#reference, #name")
    def _clicked_field(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id in FIELDS:
            self._show_field(FIELDS.index(event.widget.id))

    def action_next_field(self) -> None:
        """Enter: to the next field; on the setting, the last one, start."""
        if self.field + 1 < len(FIELDS):
            self._show_field(self.field + 1)
        else:
            self.action_start()

    def action_setting(self, setting: str) -> None:
        self.query_one(SettingChoice).choose(SETTING_IDS.index(setting))

    def action_cancel(self) -> None:
        self.app.pop_screen()

    # -- starting -----------------------------------------------------------------------

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.starting:
            return
        error = self.query_one("#start-error", Static)
        try:
            reference = check_reference(self.buffers["reference"].text)
            name = check_name(self.buffers["name"].text)
        except ReferenceInvalid as problem:
            error.update(self.tr(str(problem).removeprefix("ui.")))
            self._show_field(0)
            return
        error.update("")
        setting = SETTING_IDS[self.query_one(SettingChoice).chosen]
        intake = Intake(reference=reference, name=name, setting=setting, started=self.today())
        self.starting = True
        self.look_up(intake)

    @work(thread=True, exclusive=True, exit_on_error=False, group="start")
    def look_up(self, intake: Intake) -> None:
        existing = self.service.client_by_reference(intake.reference)
        self.post_message(ReferenceLookedUp(intake, existing))

    def on_reference_looked_up(self, message: ReferenceLookedUp) -> None:
        intake, existing = message.intake, message.existing
        if existing is None:
            self.post_message(IntakeStarted(intake, self.typed_ahead))
            return
        self.typed_ahead.clear()  # typed for questions the dialog stands before: dropped

        def answered(go_on: bool | None) -> None:
            self.starting = False
            if go_on:
                self.post_message(IntakeStarted(intake, []))
            else:
                self._show_field(0)  # the reference, to correct

        self.app.push_screen(ExistingClientDialog(existing), answered)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "start" and event.state == WorkerState.ERROR:
            self.starting = False  # the app shows the error; the form stays as it was
