"""The access log (NEN 7513): who did what with which client's data, and when.

Newest first, times in Dutch time (Europe/Amsterdam, whatever the laptop's zone), with a filter
by client reference and, for one client, "save this client's log" (JSON in the format of
``kindcheck log -o``, for example when a client asks who looked at their file).

Read and logged as ``kindcheck log`` does (kindcheck.service.reports) and as the store asks of
its callers ("reading the log writes no entry itself: the caller logs the viewing"): every view
of the log is one "read" entry written in the same transaction as the reading, about the client
when the view is filtered to one; saving a client's log is one "export" entry about that
client.

Every text here may have been typed by a person (references, user names, details): shown as
plain text, markup off, control characters removed (:mod:`.widgets.safe`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static

from kindcheck.dates import format_moment
from kindcheck.text import clean_text
from kindcheck.text import one_line as one_line_text

from .base import KindcheckScreen
from .dialogs.confirm import ConfirmDialog
from .dialogs.save_path import (
    ExportSaved,
    OverwriteAsked,
    SaveChoice,
    SavePathDialog,
    SaveRefused,
    file_name_part,
    show_refusal,
)
from .widgets.damage import damaged_names
from .widgets.safe import SafeInput, literal

if TYPE_CHECKING:
    from kindcheck.accesslog import AccessEntry
    from kindcheck.service.access_log import LogView

ACTIONS = (
    "create",
    "read",
    "change",
    "delete",
    "search",
    "export",
    "backup",
    "restore",
    "print",
)  # kindcheck.accesslog.ACTIONS (a test checks they agree)


class LogLoaded(Message):
    def __init__(self, view: LogView) -> None:
        super().__init__()
        self.view = view


def one_line(text: object) -> str:
    """User text for one table cell: control characters removed, whitespace runs as one space."""
    return one_line_text(str(text))


class AccessLogScreen(KindcheckScreen):
    """The log as a table, a filter by client reference, the selected entry in full."""

    CSS_PATH = "access_log.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key.back"),
        Binding("slash", "filter", "ui.log.key.filter"),
        Binding("s", "save_client_log", "ui.log.key.save"),
        Binding("a", "show_all", "ui.log.key.all"),
    ]

    def __init__(self, reference: str | None = None) -> None:
        super().__init__()
        self.view: LogView | None = None
        self.initial_reference = reference

    def compose(self) -> ComposeResult:
        yield Static(self.tr("log.title"), classes="top-bar", markup=False)
        with Horizontal(id="log-filter-row"):
            yield Static(self.tr("log.filter_label"), id="log-filter-label", markup=False)
            yield SafeInput(
                self.initial_reference or "",
                id="log-filter",
                max_length=64,
                placeholder=self.tr("log.filter_hint"),
            )
        yield Static(self.tr("log.loading"), id="log-status", classes="muted", markup=False)
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="log-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        # The most telling columns first: at 80 columns the user and the end of a long detail
        # scroll into view (the line under the table shows the selected entry in full).
        table.add_column(self.tr("log.col.when"), width=16, key="when")
        table.add_column(self.tr("log.col.action"), width=11, key="action")
        table.add_column(self.tr("log.col.client"), width=12, key="client")
        table.add_column(
            self.tr("log.col.detail"), width=max(36, self.app.size.width - 82), key="detail"
        )
        table.add_column(self.tr("log.col.outcome"), width=9, key="outcome")
        table.add_column(self.tr("log.col.user"), width=16, key="user")
        table.focus()
        self.load(self.initial_reference)

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def load(self, reference: str | None) -> None:
        from kindcheck.service.access_log import read_log

        self.post_message(LogLoaded(read_log(self.service, reference)))

    def on_log_loaded(self, message: LogLoaded) -> None:
        self.view = view = message.view
        table = self.query_one("#log-table", DataTable)
        table.clear()
        for entry in reversed(view.entries):  # newest first
            table.add_row(*self._cells(entry), key=str(entry.sequence))
        if view.reference is None:
            status = self.tr("log.count_all", count=len(view.entries))
        else:
            status = self.tr(
                "log.count_client",
                count=len(view.entries),
                reference=one_line(view.client_reference),
            )
        if view.damaged:
            status += " " + self.tr(
                "damaged.log_entries",
                count=len(view.damaged),
                names=damaged_names(view.damaged, self.tr, self.lang),
            )
        status_line = self.query_one("#log-status", Static)
        status_line.update(literal(status))
        status_line.set_class(bool(view.damaged), "-error")
        self._show_detail(view.entries[-1] if view.entries else None)
        self.refresh_bindings()

    def _cells(self, entry: AccessEntry) -> list[Text]:
        from kindcheck.service.access_log import log_entry_words

        action, outcome, detail = log_entry_words(entry, self.lang)
        action_text = one_line(action)
        refused = entry.outcome != "done"
        return [
            Text(format_moment(entry.at, self.lang), end=""),
            # A refusal stands out in the action column too (the outcome column may be
            # scrolled out of view at 80 columns).
            Text(
                action_text + (" ✗" if refused else ""), style="bold red" if refused else "", end=""
            ),
            Text(one_line(entry.client_reference or "-"), end=""),
            Text(one_line(detail or "-"), end=""),
            Text(outcome, style="bold red" if refused else "", end=""),
            Text(one_line(entry.user or "-"), end=""),
        ]

    @on(DataTable.RowHighlighted, "#log-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.view is None or event.row_key.value is None:
            return
        sequence = int(event.row_key.value)
        entry = next((e for e in self.view.entries if e.sequence == sequence), None)
        self._show_detail(entry)

    def _show_detail(self, entry: AccessEntry | None) -> None:
        detail = self.query_one("#log-detail", Static)
        if entry is None:
            detail.update(self.tr("log.empty"))
            return
        from kindcheck.service.access_log import log_entry_words

        action, outcome, detail_text = log_entry_words(entry, self.lang)
        action = one_line(action)
        refused = entry.outcome != "done"
        head = self.tr(
            "log.detail_head",
            sequence=entry.sequence,
            when=format_moment(entry.at, self.lang, seconds=True),
            action=action,
        )
        # Every part a person may have typed goes in as plain text (Content, no markup).
        detail.update(
            Content.assemble(
                (head, "bold"),
                " ",
                literal(one_line(entry.client_reference or "-")),
                " · ",
                (outcome, "bold $error" if refused else ""),
                " · ",
                literal(one_line(entry.user or "-")),
                "\n",
                literal(detail_text or "-"),
            )
        )

    # -- filtering ----------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#log-filter", Input).focus()

    @on(Input.Submitted, "#log-filter")
    def _filter(self, event: Input.Submitted) -> None:
        event.stop()
        reference = one_line(event.value)
        self.query_one("#log-status", Static).update(self.tr("log.loading"))
        self.load(reference or None)
        self.query_one("#log-table", DataTable).focus()

    def action_show_all(self) -> None:
        self.query_one("#log-filter", Input).value = ""
        self.query_one("#log-status", Static).update(self.tr("log.loading"))
        self.load(None)

    def action_back(self) -> None:
        log_filter = self.query_one("#log-filter", Input)
        if self.focused is log_filter:
            self.query_one("#log-table", DataTable).focus()
            return
        self.app.pop_screen()

    # -- one client's log ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        filtered = self.view is not None and self.view.reference is not None
        if action == "save_client_log":
            return True if filtered and self.view and self.view.entries else None
        if action == "show_all":
            return filtered
        return True

    def action_save_client_log(self) -> None:
        view = self.view
        if view is None or view.reference is None:
            self.notify(self.tr("log.filter_first"), markup=False)
            return
        if not view.entries:
            self.notify(self.tr("log.nothing_for_client"), markup=False)
            return
        reference = view.client_reference or view.reference
        dialog = SavePathDialog(
            self.tr("log.save_title", reference=one_line(reference)),
            f"~/toegangslog-{file_name_part(reference)}.json"
            if self.lang == "nl"
            else f"~/access-log-{file_name_part(reference)}.json",
            ("json",),
            self.tr("log.save_note"),
        )

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self.save(reference, choice, force=False)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-save")
    def save(self, reference: str, choice: SaveChoice, force: bool) -> None:
        from kindcheck.paths import OutputPathError
        from kindcheck.service.access_log import save_client_log
        from kindcheck.service.reports import OverwriteNeeded

        try:
            written, _count = save_client_log(self.service, reference, choice.path, force)
        except OverwriteNeeded:
            self.post_message(OverwriteAsked(choice))
            return
        except OutputPathError as error:
            self.post_message(SaveRefused(choice.path, error))
            return
        self.post_message(ExportSaved(written))

    def on_overwrite_asked(self, message: OverwriteAsked) -> None:
        choice = message.choice
        reference = self.view.client_reference if self.view is not None else None
        if reference is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.save(reference, choice, force=True)

        self.app.push_screen(
            ConfirmDialog(
                self.tr("export.save.overwrite", path=choice.path),
                self.tr("export.save.overwrite_yes"),
                self.tr("common.cancel"),
            ),
            answered,
        )

    def on_export_saved(self, message: ExportSaved) -> None:
        self.notify(
            self.tr("log.saved", path=clean_text(str(message.path))), markup=False, timeout=8
        )

    def on_save_refused(self, message: SaveRefused) -> None:
        show_refusal(self, message)

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(
            self.tr("log.cmd_filter"), self.tr("log.cmd_filter_help"), self.action_filter
        )
        if self.view is not None and self.view.reference is not None and self.view.entries:
            yield SystemCommand(
                self.tr("log.cmd_save"), self.tr("log.cmd_save_help"), self.action_save_client_log
            )
