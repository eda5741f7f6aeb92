"""The team lead's anonymised export: the released counts per month, quarter or year.

The screen shows exactly what ``kindcheck export`` writes for the same period type: the same
pipeline and the same release ledger (kindcheck.service.reports.release_table): showing the
table releases the periods closed since the last export, just as an export does, and a period
once released is shown as it was released. A table of the measures per period, and two charts
drawn from the *shown* figures only: a hidden cell ("<5", "x") is drawn as "hidden", never as a
bar, so no chart can give away a value the table hides.

There is no threshold or rounding to choose: the threshold is the vault's (fixed by its first
release, raised only with ``kindcheck export --raise-min-cell``), and it is shown. When periods
have closed, the counts are computed in a thread worker that reads every session once, with a
progress bar. Showing the counts is not logged (no client's data is shown); saving them is one
"export" entry in the access log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import (
    DataTable,
    Footer,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState, get_current_worker

from kindcheck.text import clean_text

from .base import KindcheckScreen, Translate
from .dialogs.confirm import ConfirmDialog
from .dialogs.save_path import (
    FORMATS,
    ExportSaved,
    OverwriteAsked,
    SaveChoice,
    SavePathDialog,
    SaveRefused,
    show_refusal,
)
from .widgets.damage import damaged_names
from .widgets.safe import literal
from .widgets.toggles import ChoiceButton

if TYPE_CHECKING:
    from kindcheck.export import PeriodType, Table
    from kindcheck.service.reports import ReleasedTable

BAR_WIDTH = 36
PERIOD_WIDTH = 8  # "2026-Q4", "2026-11", "Totaal"
_EIGHTHS = " ▏▎▍▌▋▊▉"
BANDS = ("0", "1", "2", "3+")


# ---------------------------------------------------------------------------------------------
# Messages (sent by the workers)


class ExportProgressed(Message):
    """Sessions read so far, of ``total`` steps."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ExportComputed(Message):
    """The suppressed table for the settings asked, with the domains' display names."""

    def __init__(
        self, settings: ExportSettings, released: ReleasedTable, domain_names: dict[str, str]
    ) -> None:
        super().__init__()
        self.settings = settings
        self.released = released
        self.table = released.table
        self.domain_names = domain_names


@dataclass(frozen=True)
class ExportSettings:
    period: PeriodType


# ---------------------------------------------------------------------------------------------
# Pure helpers (tested without the app)


def shown_text(value: object, lang: str) -> str:
    """A table value as shown: a count, a marker ("<5", "x"), a share as a percentage, or "-"
    (a share without intakes)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        percent = f"{value * 100:.1f}".rstrip("0").rstrip(".")
        return (percent.replace(".", ",") if lang == "nl" else percent) + "%"
    return str(value)


def measure_label(key: str, tr: Translate, domain_names: dict[str, str]) -> str:
    """The row label of a cell key ("intakes", "parents_by_domain_count:3+", ...); a cell of
    the split by setting ("ggz/intakes") names its setting."""
    setting, separator, whole = key.rpartition("/")
    if separator:
        return tr(
            "export.in_setting",
            setting=tr(f"export.setting_{setting}"),
            measure=measure_label(whole, tr, domain_names),
        )
    measure, _, category = key.partition(":")
    if measure == "intakes_per_domain":
        return tr("export.measure.domain", domain=domain_names.get(category, category))
    if category:
        return tr(f"export.measure.{measure}.{category.replace('+', '_plus')}")
    return tr(f"export.measure.{measure}")


def _bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a cell; at least a sliver for any value above 0."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def chart_lines(
    items: Sequence[tuple[str, object]],
    largest: float,
    shown: Callable[[object], str],
    hidden: Callable[[object], str],
    label_width: int,
) -> Content:
    """One line per item: its label, then a bar and the shown figure, or the hidden text.

    ``shown(value)`` formats a figure; ``hidden(value)`` gives the text for a value that is
    not a number (a marker or None). Only numbers ever get a bar.
    """
    lines: list[Content] = []
    for label, value in items:
        head = Content(label[:label_width].ljust(label_width) + " ")
        if isinstance(value, int | float) and not isinstance(value, bool):
            bar = _bar(float(value), largest)
            line = Content.assemble(head, (bar, "$accent"), " " if bar else "", shown(value))
        else:
            line = Content.assemble(head, (hidden(value), "$text-muted italic"))
        lines.append(line)
    return Content("\n").join(lines)


def domain_chart(table: Table, tr: Translate, lang: str) -> Content:
    """Parents by number of problem domains in the newest period that shows them."""
    measure = next(
        (
            name
            for name in ("parents_of_minors_by_domain_count", "parents_by_domain_count")
            if any(key.startswith(f"{name}:") for key in table.keys)
        ),
        "parents_by_domain_count",
    )
    with_bands = [r for r in table.rows if table.values.get((r, f"{measure}:0")) is not None]
    row = with_bands[-1] if with_bands else None
    values = [
        (
            tr(f"export.band.{band.replace('+', '_plus')}"),
            table.values.get((row, f"{measure}:{band}")) if row else None,
        )
        for band in BANDS
    ]
    numbers = [v for _, v in values if isinstance(v, int)]
    total = table.values.get((row, f"{measure}:total")) if row else None
    # Bars are shares of the parents with a scan when that total is shown (one shown band
    # then does not fill the width on its own); otherwise of the largest shown band.
    largest = total if isinstance(total, int) else max(numbers, default=0)
    period = _period_name(row, tr) if row else "-"
    title = Content(tr("export.domain_chart_title", count=shown_text(total, lang), period=period))
    body = chart_lines(values, largest, lambda v: str(v), lambda v: _hidden_text(v, table, tr), 16)
    return Content("\n").join(
        [title, Content(""), body, Content(""), Content(tr("export.chart_hidden_note"))]
    )


def share_chart(table: Table, tr: Translate, lang: str) -> Content:
    """The share of intakes with a completed Kindcheck, per period and in total."""
    items = [
        (_period_name(row, tr), table.values.get((row, "kindcheck_completed_share")))
        for row in table.rows
    ]
    title = Content(tr("export.share_chart_title"))
    body = chart_lines(
        items, 1.0, lambda v: shown_text(v, lang), lambda v: _hidden_text(v, table, tr), 10
    )
    return Content("\n").join(
        [title, Content(""), body, Content(""), Content(tr("export.chart_hidden_note"))]
    )


def _hidden_text(value: object, table: Table, tr: Translate) -> str:
    if value is None:
        return tr("export.no_intakes")
    if value == table.primary_mark:
        return tr("export.hidden_small", mark=value)
    return tr("export.hidden")


def _period_name(row: str, tr: Translate) -> str:
    return tr("export.total") if row == "total" else row


def suggested_name(settings: ExportSettings, file_format: str) -> str:
    return f"~/kindcheck-export-{settings.period}.{file_format}"


# ---------------------------------------------------------------------------------------------
# The save dialog (also used by the access-log screen)


# ---------------------------------------------------------------------------------------------
# The screen


class ExportScreen(KindcheckScreen):
    """Settings, a progress bar, then the table and the two charts in tabs."""

    CSS_PATH = "export_screen.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key.back"),
        Binding("s", "save", "ui.export.key.save"),
        Binding("p", "toggle_period", "ui.export.key.period"),
        # The tab titles carry their digits, so the footer need not.
        Binding("1", "show_tab('tab-table')", "ui.export.key.tabs", show=False),
        Binding("2", "show_tab('tab-domains')", show=False),
        Binding("3", "show_tab('tab-share')", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table: Table | None = None
        self.released: ReleasedTable | None = None
        self.shown_settings: ExportSettings | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(self.tr("export.title"), classes="top-bar", markup=False)
        with Horizontal(id="export-settings"):
            yield Static(self.tr("export.period"), classes="setting-label", markup=False)
            with RadioSet(id="period"):
                yield ChoiceButton(self.tr("export.quarter"), value=True, id="period-quarter")
                yield ChoiceButton(self.tr("export.month"), id="period-month")
            yield Static("", id="threshold", classes="setting-label", markup=False)
        with Horizontal(id="export-status-row"):
            yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="export-status", markup=False)
        with TabbedContent(id="export-tabs", initial="tab-table"):
            with TabPane(self.tr("export.tab_table"), id="tab-table"):
                yield DataTable(id="counts", cursor_type="row", zebra_stripes=True)
            with (
                TabPane(self.tr("export.tab_domains"), id="tab-domains"),
                VerticalScroll(classes="chart-scroll"),
            ):
                yield Static("", id="domain-chart", markup=False)
            with (
                TabPane(self.tr("export.tab_share"), id="tab-share"),
                VerticalScroll(classes="chart-scroll"),
            ):
                yield Static("", id="share-chart", markup=False)
        yield Static("", id="export-notice", classes="muted", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#counts", DataTable)
        table.fixed_columns = 1
        table.focus()
        self.query_one("#progress", ProgressBar).display = False
        self.apply_settings()

    # -- settings -----------------------------------------------------------------------

    def current_settings(self) -> ExportSettings:
        pressed = self.query_one("#period", RadioSet).pressed_button
        month = pressed is not None and pressed.id == "period-month"
        period: PeriodType = "month" if month else "quarter"
        return ExportSettings(period)

    def apply_settings(self) -> None:
        settings = self.current_settings()
        if settings == self.shown_settings and self.table is not None:
            return
        self.busy = True
        self.refresh_bindings()
        self._status(self.tr("export.counting"))
        self.compute(settings, self.lang)

    @on(RadioSet.Changed, "#period")
    def _period_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.apply_settings()

    def action_toggle_period(self) -> None:
        month = self.query_one("#period-month", RadioButton)
        quarter = self.query_one("#period-quarter", RadioButton)
        (quarter if month.value else month).value = True

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#export-tabs", TabbedContent).active = tab

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- computing ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def compute(self, settings: ExportSettings, lang: str) -> None:
        """Release what closed since the last export (as ``kindcheck export`` does) and post
        the released rows. ``lang`` comes from the event loop: the app's context is not this
        thread's."""
        from kindcheck.service.reports import release_table, scan_domain_names

        worker = get_current_worker()

        def progressed(done: int, total: int) -> None:
            self.post_message(ExportProgressed(done, total))

        released = release_table(
            self.service,
            settings.period,
            progress=progressed,
            cancelled=lambda: worker.is_cancelled,
        )
        if not worker.is_cancelled:
            self.post_message(ExportComputed(settings, released, scan_domain_names(lang)))

    def on_export_progressed(self, message: ExportProgressed) -> None:
        if not self.busy:
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=message.total, progress=message.done)
        from kindcheck.service.reports import STEPS_PER_SESSION

        sessions = message.total // STEPS_PER_SESSION
        self._status(self.tr("export.reading", sessions=sessions))

    def on_export_computed(self, message: ExportComputed) -> None:
        if message.settings != self.current_settings():
            return  # the settings changed meanwhile; a newer computation is on its way
        self.busy = False
        self.table, self.shown_settings = message.table, message.settings
        self.released = message.released
        self.query_one("#progress", ProgressBar).display = False
        self.query_one("#threshold", Static).update(
            self.tr("export.threshold_fixed", threshold=message.table.threshold)
        )
        self._fill_table(message.table, message.domain_names)
        self.query_one("#domain-chart", Static).update(
            domain_chart(message.table, self.tr, self.lang)
        )
        self.query_one("#share-chart", Static).update(
            share_chart(message.table, self.tr, self.lang)
        )
        rows = message.table.rows
        intakes = shown_text(
            message.table.values.get((rows[-1], "intakes")) if rows else None, self.lang
        )
        periods = len(rows)
        status = self.tr(
            "export.summary",
            sessions=message.released.sessions,
            intakes=intakes,
            periods=self.tr(
                f"export.{message.settings.period}_{'one' if periods == 1 else 'many'}",
                count=periods,
            ),
        )
        damaged = message.released.damaged
        if damaged:
            # Each record left out is named: counts that silently miss a record mislead.
            status += " " + self.tr(
                "damaged.export",
                count=len(damaged),
                names=damaged_names(damaged, self.tr, self.lang),
            )
        self._status(status, error=bool(damaged))
        self.query_one("#export-notice", Static).update(
            self.tr(
                "export.notice", mark=message.table.primary_mark, small=message.table.threshold - 1
            )
        )
        self.refresh_bindings()

    def _fill_table(self, table: Table, domain_names: dict[str, str]) -> None:
        widget = self.query_one("#counts", DataTable)
        widget.clear(columns=True)
        # The labels get what the periods leave (the periods scroll when there are many).
        spare = self.app.size.width - 8 - (PERIOD_WIDTH + 2) * len(table.rows)
        widget.add_column(
            self.tr("export.measure_column"), width=max(26, min(44, spare)), key="measure"
        )
        for row in table.rows:
            # Right-aligned by padding: counts read best with their last digits in line.
            widget.add_column(
                Text(_period_name(row, self.tr).rjust(PERIOD_WIDTH), end=""),
                key=row,
                width=PERIOD_WIDTH,
            )
        first_split = next((k for k in table.keys if "/" in k), None)
        for key in table.keys:
            if key == next((k for k in table.keys if k.startswith("intakes_per_domain:")), None):
                widget.add_row(
                    Text(self.tr("export.domains_heading"), style="bold", end=""),
                    *[Text("") for _ in table.rows],
                    key="domains-heading",
                )
            if key == first_split:
                widget.add_row(
                    Text(self.tr("export.settings_heading"), style="bold", end=""),
                    *[Text("") for _ in table.rows],
                    key="settings-heading",
                )
            cells: list[Text] = [Text(measure_label(key, self.tr, domain_names), end="")]
            for row in table.rows:
                value = table.values.get((row, key))
                style = "italic" if isinstance(value, str) else ""
                cells.append(
                    Text(shown_text(value, self.lang).rjust(PERIOD_WIDTH), style=style, end="")
                )
            widget.add_row(*cells, key=key)

    def _clear_results(self) -> None:
        self.query_one("#counts", DataTable).clear(columns=True)
        self.query_one("#domain-chart", Static).update("")
        self.query_one("#share-chart", Static).update("")
        self.query_one("#export-notice", Static).update("")
        self.query_one("#progress", ProgressBar).display = False

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#export-status", Static)
        status.update(literal(text))
        status.set_class(error, "-error")

    # -- saving -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return None if self.table is None or self.busy else True  # shown, greyed out
        return True

    def action_save(self) -> None:
        if self.table is None or self.shown_settings is None or self.busy:
            self.notify(self.tr("export.nothing_to_save"), markup=False)
            return
        settings = self.shown_settings
        dialog = SavePathDialog(
            self.tr("export.save_title", threshold=self.table.threshold),
            suggested_name(settings, "csv"),
            FORMATS,
            self.tr("export.save_note"),
        )

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self.save(choice, force=False)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export-save")
    def save(self, choice: SaveChoice, force: bool) -> None:
        from kindcheck.paths import OutputPathError
        from kindcheck.service.reports import OverwriteNeeded, save_release

        released = self.released
        if released is None:
            return
        try:
            written = save_release(self.service, released, choice.path, choice.file_format, force)
        except OverwriteNeeded:
            self.post_message(OverwriteAsked(choice))
            return
        except OutputPathError as error:
            self.post_message(SaveRefused(choice.path, error))
            return
        self.post_message(ExportSaved(written))

    def on_overwrite_asked(self, message: OverwriteAsked) -> None:
        choice = message.choice

        def answered(yes: bool | None) -> None:
            if yes:
                self.save(choice, force=True)

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
            self.tr("export.saved", path=clean_text(str(message.path))), markup=False, timeout=8
        )

    def on_save_refused(self, message: SaveRefused) -> None:
        show_refusal(self, message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed computation clears the busy state (the app shows the error dialog)."""
        if event.state != WorkerState.ERROR or event.worker.group != "export":
            return
        from kindcheck.service.reports import ExportCancelled

        self.busy = False
        self.query_one("#progress", ProgressBar).display = False
        self.refresh_bindings()
        if isinstance(event.worker.error, ExportCancelled):
            event.stop()
            return
        self._status(self.tr("export.failed"), error=True)

    def palette_commands(self) -> Iterator[SystemCommand]:
        if self.table is not None and not self.busy:
            yield SystemCommand(
                self.tr("export.cmd_save"), self.tr("export.cmd_save_help"), self.action_save
            )
        yield SystemCommand(
            self.tr("export.cmd_period"),
            self.tr("export.cmd_period_help"),
            self.action_toggle_period,
        )
