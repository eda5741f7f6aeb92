"""Home: follow-ups due and overdue first, drafts to resume, and the clients (search by
reference).

The due list holds the same dates as `kindcheck due` (both come from
kindcheck.service.caseload). Enter or h on a row holds that follow-up: the conversation starts
(followup.py). The screen is drawn at once and filled by a thread worker
(:class:`OverviewLoaded`), so it never waits on the store before showing something.

Above the lists, until each is dealt with: an older copy of the vault put back (w: was that on
purpose?), a damaged key slot (k: a new recovery key), read-only media, and every record that
cannot be read, named, with what to do. A client whose own record cannot be read stays in both
lists, named by its id; a client whose plan cannot be read stays in the due list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual._context import active_app
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from kindcheck.dates import format_day, format_saved_at
from kindcheck.errors import KindcheckError
from kindcheck.followup import FollowUpState
from kindcheck.service.views import ClientSummary, DraftSummary, HomeItem, Overview, SlotNotice
from kindcheck.text import one_line

from .dialogs.confirm import ConfirmDialog
from .followup import HoldsFollowUps
from .messages import ClientOpened, DraftResumed, NewIntakeRequested
from .widgets.damage import damaged_notice
from .widgets.keys_footer import KeysFooter
from .widgets.safe import SafeInput, literal, literal_cell

# How long the cursor rests on a client before that client's page is prepared.
PREPARE_AFTER_SECONDS = 0.15


# Rows added to a table per turn of the event loop: the first ones are painted at once and
# the screen answers keys while the rest of a long list comes in. Between two turns the table
# goes idle, which is when it measures the rows just added (about 0.1 ms a row).
ROWS_PER_TURN = 100
TURN_GAP_SECONDS = 0.002

Cells = tuple[Text, ...]
KeyedRows = tuple[tuple[str, Cells], ...]


class OverviewLoaded(Message):
    """The overview, with the rows of its tables already built (in the worker's thread)."""

    def __init__(
        self, overview: Overview, followup_rows: KeyedRows, overdue: int, client_rows: KeyedRows
    ) -> None:
        super().__init__()
        self.overview = overview
        self.followup_rows = followup_rows
        self.overdue = overdue
        self.client_rows = client_rows


class TableRows:
    """What one DataTable shows: rows by key, changed in place when the keys stay the same,
    else filled a turn of the event loop at a time (a long list never blocks the screen)."""

    def __init__(self, table: DataTable[Any]) -> None:
        self.table = table
        self.columns: list[ColumnKey] = []
        self.shown: dict[str, Cells] = {}
        self._filling = 0  # which fill is current (a later turn of an older one stops)

    def show(self, rows: KeyedRows) -> None:
        table = self.table
        wanted = dict(rows)
        if list(wanted) == list(self.shown) and table.row_count == len(self.shown):
            # The same rows in the same order (back from a page): only changed rows redrawn.
            for key, cells in rows:
                if self.shown[key] != cells:
                    for column, cell in zip(self.columns, cells, strict=True):
                        table.update_cell(key, column, cell)
            self.shown = wanted
            return
        self.shown = wanted
        table.clear()
        self._filling += 1
        self._add(self._filling, rows, 0)

    def _add(self, filling: int, rows: KeyedRows, start: int) -> None:
        if filling != self._filling:
            return  # a newer list replaced this one
        end = min(start + ROWS_PER_TURN, len(rows))
        for key, cells in rows[start:end]:
            self.table.add_row(*cells, key=key)
        if end < len(rows):
            self.table.set_timer(TURN_GAP_SECONDS, partial(self._add, filling, rows, end))


class HomeScreen(HoldsFollowUps):
    CSS_PATH = "home.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Taken when the app gets the key (priority), so the start form is there for the keys
        # typed right after n (they were lost on home); not while the search field is in use.
        Binding("n", "app.new_intake", "ui.key.new_intake", priority=True),
        Binding("slash", "search", "ui.key.search", priority=True),
        # h and r are said in the headings of their lists (and in F1): the footer keeps room
        # for the keys that work everywhere at 80 columns.
        Binding("h", "hold_followup", "ui.key.hold_followup", show=False),
        Binding("r", "resume", "ui.key.resume", show=False),
        Binding("o", "open_client", "ui.key.open_client", show=False),
        Binding("x", "delete_draft", "ui.key.delete_draft", show=False),
        # Not in the footer (it is full at 80 columns); in the help panel and the palette.
        Binding("e", "app.open_export", "ui.export.key.open", show=False),
        Binding("g", "app.open_access_log", "ui.log.key.open", show=False),
        # What the notices above the lists offer (each says its key).
        Binding("w", "app.review_rollback", "ui.key.review_rollback", show=False),
        Binding("k", "app.new_recovery_key", "ui.key.new_recovery_key", show=False),
        Binding("escape", "leave_search", show=False, priority=True),
        Binding("enter", "submit_search", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None
        self.loaded_once = False
        self._prepare_timer: Timer | None = None
        self._followup_rows: TableRows | None = None
        self._client_rows: TableRows | None = None
        # Keys for the client list typed right after a search's Enter wait for its result
        # (an o typed ahead opened the client that was highlighted before the search).
        self.search_pending = False
        self.after_search: list[Callable[[], None]] = []

    def compose(self) -> ComposeResult:
        yield Static(self.tr("home.title"), classes="top-bar", id="home-title")
        with Vertical(id="notices"):
            yield Static("", id="rollback-banner", classes="notice", markup=False)
            yield Static("", id="vault-notices", classes="notice", markup=False)
            yield Static("", id="damaged", classes="notice", markup=False)
        # Follow-ups first: the children of clients whose conversation is due or overdue.
        with Vertical(id="followups-section", classes="section"):
            yield Static("", id="followups-heading", classes="heading")
            yield DataTable(id="followups", cursor_type="row")
        with Vertical(id="drafts-section", classes="section"):
            yield Static("", id="drafts-heading", classes="heading")
            yield DataTable(id="drafts", cursor_type="row", zebra_stripes=False)
        with Horizontal(id="clients-heading-row"):
            yield Static(
                self.tr("home.clients", count="…"), id="clients-heading", classes="heading"
            )
            yield SafeInput(placeholder=self.tr("home.search_hint"), id="search", max_length=64)
        yield DataTable(id="clients", cursor_type="row")
        yield Static("", id="clients-empty", classes="muted")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        drafts = self.query_one("#drafts", DataTable)
        drafts.add_column(self.tr("home.col.reference"), width=16)
        drafts.add_column(self.tr("home.col.where"), width=20)
        drafts.add_column(self.tr("home.col.saved"), width=16)
        followups = self._followup_rows = TableRows(self.query_one("#followups", DataTable))
        followups.columns = [
            followups.table.add_column(self.tr("home.col.reference"), width=18),
            followups.table.add_column(self.tr("home.col.status"), width=18),
            followups.table.add_column(self.tr("home.col.planned"), width=10),
            followups.table.add_column(self.tr("home.col.last_held"), width=10),
        ]
        clients = self.query_one("#clients", DataTable)
        self._client_rows = TableRows(clients)
        self._client_rows.columns = [
            # 80 columns: "⚠ cliënt 2f39665d" and "SIGNAAL HULP" fit, the follow-up wraps less
            clients.add_column(self.tr("home.col.reference"), width=17),
            clients.add_column(self.tr("home.col.last"), width=10),
            clients.add_column(self.tr("home.col.domains"), width=8),
            clients.add_column(self.tr("home.col.alert"), width=12),
            clients.add_column(self.tr("home.col.followup"), width=21),
        ]
        self.query_one("#drafts-section").display = False
        self.query_one("#followups-section").display = False
        for notice in self.query(".notice"):
            notice.display = False
        clients.focus()
        self.load()

    @on(DataTable.RowHighlighted, "#clients, #followups")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The client page interprets every session of the client (checks, outcome): done
        # ahead for the row the clinician rests on, so Enter opens the page at once.
        if event.row_key.value:
            self._prepare_later(event.row_key.value)

    def _prepare_later(self, client_id: str) -> None:
        if self._prepare_timer is not None:
            self._prepare_timer.stop()
        self._prepare_timer = self.set_timer(
            PREPARE_AFTER_SECONDS, lambda: self.prepare_client(client_id)
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="home-prepare")
    def prepare_client(self, client_id: str) -> None:
        # The page's module too (its charts and dialogs), here rather than on the first Enter.
        from . import client as _client_page  # noqa: F401

        with contextlib.suppress(KindcheckError):  # opening the page will say what is wrong
            self.service.prepare_client(client_id)

    def on_screen_resume(self) -> None:
        # Back from an intake or a client page: show what changed (nothing read again when
        # nothing did; only the rows that changed are redrawn).
        if self.overview is not None:
            self.refresh_changed(self.overview, self.query_one("#search", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def refresh_changed(self, seen: Overview, query: str) -> None:
        if self.service.changes_since(seen):
            self.post_message(self._loaded(self.service.overview(query.strip())))

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load(self, query: str = "") -> None:
        self.post_message(self._loaded(self.service.overview(query.strip())))

    def _loaded(self, overview: Overview) -> OverviewLoaded:
        # Built in the worker's thread, which has no active app of its own: the language
        # (self.lang, self.tr) is the app's.
        token = active_app.set(self.app)
        try:
            followup_rows, overdue = self._followup_table(overview.followups, overview.items)
            client_rows = tuple((c.client_id, self._client_row(c)) for c in overview.clients)
        finally:
            active_app.reset(token)
        return OverviewLoaded(overview, followup_rows, overdue, client_rows)

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        self.overview = overview = message.overview
        self.refresh_bindings()
        title = Content.assemble(self.tr("home.title"))
        if overview.user_name:
            title = Content.assemble(title, " · ", literal(overview.user_name))
        self.query_one("#home-title", Static).update(title)
        self._show_notices(overview)
        self._fill_drafts(overview.drafts)
        self._fill_followups(message.followup_rows, message.overdue)
        self._fill_clients(message.client_rows)
        query = self.query_one("#search", Input).value.strip()
        empty = self.query_one("#clients-empty", Static)
        if overview.clients:
            empty.update("")
        elif query:
            empty.update(self.tr("home.no_match"))
        else:
            empty.update(self.tr("home.no_clients"))
        focused_id = self.focused.id if self.focused is not None else None
        due = overview.followups or overview.items
        if not self.loaded_once and due:
            # What needs doing first: the follow-ups due, ready for Enter.
            self.query_one("#followups", DataTable).focus()
        elif (
            focused_id is None
            or (focused_id == "drafts" and not overview.drafts)
            or (focused_id == "followups" and not due)
            or (focused_id == "clients" and not overview.clients and overview.drafts)
        ):
            target = "#drafts" if overview.drafts else "#clients"
            self.query_one(target, DataTable).focus()
        self.loaded_once = True
        self.search_pending = False
        waiting, self.after_search = self.after_search, []
        for action in waiting:
            action()
        rows = self._highlighted_rows()
        if rows is not None and rows.shown:
            # A list just shown or changed says nothing of its cursor: prepare that row too.
            key = list(rows.shown)[min(rows.table.cursor_row, len(rows.shown) - 1)]
            self._prepare_later(key)

    def _highlighted_rows(self) -> TableRows | None:
        """The table of clients that has the focus, if one has."""
        for rows in (self._client_rows, self._followup_rows):
            if rows is not None and rows.table is self.focused:
                return rows
        return None

    def _show_notices(self, overview: Overview) -> None:
        """The vault's notices and the records that cannot be read, each until dealt with."""
        notices = overview.notices
        rollback = self.query_one("#rollback-banner", Static)
        rollback.update(self.tr("rollback.banner") if notices.rollback else "")
        rollback.display = notices.rollback is not None
        lines = [self._slot_notice(slot) for slot in notices.damaged_slots]
        if notices.read_only:
            lines.append(self.tr("notice.read_only"))
        vault = self.query_one("#vault-notices", Static)
        vault.update(literal("\n".join(lines)))
        vault.display = bool(lines)
        damaged = self.query_one("#damaged", Static)
        damaged.update(damaged_notice(overview.damaged, self.tr, self.lang))
        damaged.display = bool(overview.damaged)

    def _slot_notice(self, slot: SlotNotice) -> str:
        if slot.secret in ("recovery", "passphrase"):
            return self.tr(f"notice.slot_{slot.secret}")
        return self.tr("notice.slot_unknown", id=slot.short_id)

    def _reference_cell(self, client: ClientSummary) -> Text:
        """The reference; for a client whose own record cannot be read, its id."""
        if client.readable:
            return literal_cell(client.reference)
        return Text(
            self.tr("damaged.client_row", id=one_line(client.client_id)[:8]),
            style="bold red",
            end="",
        )

    def _fill_drafts(self, drafts: tuple[DraftSummary, ...]) -> None:
        table = self.query_one("#drafts", DataTable)
        table.clear()
        for draft in drafts:
            # Stored times are UTC; a Dutch clinician reads them in Dutch time.
            saved = format_saved_at(draft.updated, self.lang)
            phase = draft.phase or "kindcheck"
            if phase == "kindcheck" and draft.payload.get("kind") == "followup":
                phase = "followup"  # the first part of a follow-up is the conversation
            table.add_row(
                literal_cell(draft.reference),
                Text(self.tr(f"home.phase.{phase}")),
                Text(saved),
                key=draft.draft_id,
            )
        table.styles.height = min(len(drafts), 3) + 1
        self.query_one("#drafts-heading", Static).update(self.tr("home.drafts", count=len(drafts)))
        self.query_one("#drafts-section").display = bool(drafts)

    def _followup_table(
        self, due: list[ClientSummary], items: tuple[HomeItem, ...] = ()
    ) -> tuple[KeyedRows, int]:
        """The due list's rows and how many are overdue (built in the loading worker): the
        planned follow-ups, then the Kindchecks after an event and the questions to ask again
        (keyed "<client id>|<reason>")."""
        rows: list[tuple[str, Cells]] = []
        overdue = 0
        for client in due:
            state = client.followup
            if client.plan_damaged:
                # Its next conversation is unknown, and may be overdue: it stays in view.
                damaged_cells = (
                    self._reference_cell(client),
                    Text(self.tr("damaged.plan_row"), style="bold red"),
                    Text("-"),
                    Text(format_day(client.last_session, self.lang)),
                )
                rows.append((client.client_id, damaged_cells))
                continue
            if state is None:
                continue
            if state.state == FollowUpState.OVERDUE:
                overdue += 1
                label = Text(
                    self.tr("home.overdue_days", days=state.days_overdue), style="bold red"
                )
            else:
                label = Text(self.tr("home.due"), style="bold yellow")
            planned = state.occurrence.date() if state.occurrence else None
            cells = (
                self._reference_cell(client),
                label,
                Text(format_day(planned, self.lang)),
                Text(format_day(client.last_session, self.lang)),
            )
            rows.append((client.client_id, cells))
        for item in items:
            # The Kindcheck due again after an event, or a question to ask again: dated
            # items beside the plan, whatever its next date.
            if item.state == FollowUpState.OVERDUE:
                overdue += 1
            day = format_day(item.when, self.lang) if item.when else "-"
            # Short: the day is in the next column, the details on the client page.
            if item.kind == "kindcheck":
                what = self.tr("home.kindcheck_due_short", event=item.label)
            else:
                what = self.tr("home.reask_due_short")
            style = "bold red" if item.state == FollowUpState.OVERDUE else "bold yellow"
            item_cells = (
                literal_cell(item.reference),
                Text(what, style=style, overflow="ellipsis", no_wrap=True),
                Text(day),
                Text(format_day(item.last_held, self.lang)),
            )
            rows.append((f"{item.client_id}|{item.reason}", item_cells))
        return tuple(rows), overdue

    def _fill_followups(self, rows: KeyedRows, overdue: int) -> None:
        assert self._followup_rows is not None
        self._followup_rows.show(rows)
        self._followup_rows.table.styles.height = min(len(rows), 4) + 1
        self.query_one("#followups-heading", Static).update(
            self.tr("home.followups", overdue=overdue, due=len(rows) - overdue)
        )
        self.query_one("#followups-section").display = bool(rows)

    def _fill_clients(self, rows: KeyedRows) -> None:
        assert self._client_rows is not None
        self.query_one("#clients-heading", Static).update(self.tr("home.clients", count=len(rows)))
        self._client_rows.show(rows)

    def _client_row(self, client: ClientSummary) -> Cells:
        """The cells of one client's row (built in the loading worker, off the UI thread)."""
        domains = "-" if client.problem_domain_count is None else str(client.problem_domain_count)
        domain_cell = Text(domains, style="bold" if domains not in ("-", "0", "1", "2") else "")
        return (
            self._reference_cell(client),
            Text(format_day(client.last_session, self.lang)),
            domain_cell,
            self._alert_cell(client),
            self._followup_cell(client),
        )

    def _alert_cell(self, client: ClientSummary) -> Text:
        """A signal of unsafety and the parenting flag: a column of their own, so the
        follow-up column holds the plan only."""
        text = Text()
        if client.safety_signal:
            text.append(self.tr("home.signal") + " ", style="bold red")
        if client.parenting_support_flag:
            text.append(self.tr("home.flag"), style="bold yellow")
        return text

    def _followup_cell(self, client: ClientSummary) -> Text:
        text = Text()
        state = client.followup
        if client.plan_damaged:
            text.append(self.tr("damaged.plan_row"), style="bold red")
        elif state is None:
            text.append(self.tr("home.closed") if client.check_closed else self.tr("home.no_plan"))
        elif state.state == FollowUpState.OVERDUE:
            text.append(self.tr("home.overdue_days", days=state.days_overdue), style="red")
        elif state.state == FollowUpState.DUE:
            text.append(self.tr("home.due"), style="yellow")
        elif state.state == FollowUpState.UPCOMING and state.occurrence:
            text.append(format_day(state.occurrence.date(), self.lang))
        else:
            text.append(self.tr("home.plan_ended"))
        return text

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return bool(self.overview and self.overview.drafts)
        if action == "search":  # a priority key (see n): typed as itself in the search field
            return not isinstance(self.focused, Input)
        if action in ("leave_search", "submit_search"):
            return isinstance(self.focused, Input)
        return True

    def action_new_intake(self) -> None:
        """From the palette (the key n is the app's, see BINDINGS)."""
        self.post_message(NewIntakeRequested())

    def action_leave_search(self) -> None:
        self.set_focus(self.query_one("#clients", DataTable))

    def action_search(self) -> None:
        # set_focus at once (focus() waits a turn): the keys typed after / go to the field.
        self.set_focus(self.query_one("#search", Input))

    def action_submit_search(self) -> None:
        """Enter in the search field: the list takes the focus at once (the keys typed after
        Enter, h or o, are for it); the search runs once the field has taken the keys typed
        before the Enter."""
        search = self.query_one("#search", Input)
        self.set_focus(self.query_one("#clients", DataTable))
        self.search_pending = True
        search.call_later(lambda: self.load(search.value))

    def _wait_for_search(self, action: Callable[[], None]) -> bool:
        """True when a search is on its way: ``action`` then runs on its result."""
        if self.search_pending:
            self.after_search.append(action)
        return self.search_pending

    @on(DataTable.RowSelected, "#clients")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        if self._wait_for_search(self.action_open_client):
            return
        if event.row_key.value:
            self.open_client(event.row_key.value)

    @on(DataTable.RowSelected, "#followups")
    def _hold_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.hold_followup(event.row_key.value.split("|")[0])

    def action_hold_followup(self) -> None:
        """Hold the follow-up of the highlighted row: of the due list, or of the client list
        when that has the focus (a conversation can be held before it is due)."""
        if self._wait_for_search(self.action_hold_followup):
            return
        table = self.query_one("#followups", DataTable)
        if self.focused is self.query_one("#clients", DataTable):
            table = self.query_one("#clients", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key:
                self.hold_followup(key.split("|")[0])
        else:
            self.notify(self.tr("home.nothing_due"), markup=False)

    @on(DataTable.RowSelected, "#drafts")
    def _resume_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.resume(event.row_key.value)

    def action_open_client(self) -> None:
        if self._wait_for_search(self.action_open_client):
            return
        table = self.query_one("#clients", DataTable)
        if self.focused is self.query_one("#followups", DataTable):
            table = self.query_one("#followups", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key:
                self.open_client(key)

    def open_client(self, client_id: str) -> None:
        # A due-list row of an event or a re-ask is keyed "<client id>|<reason>".
        self.post_message(ClientOpened(client_id.split("|")[0]))

    def action_resume(self) -> None:
        if not self.overview or not self.overview.drafts:
            self.notify(self.tr("home.no_drafts"), markup=False)
            return
        table = self.query_one("#drafts", DataTable)
        draft_id = self.overview.drafts[0].draft_id
        if self.focused is table and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            draft_id = key or draft_id
        self.resume(draft_id)

    def resume(self, draft_id: str) -> None:
        if self.overview is None:
            return
        draft = next((d for d in self.overview.drafts if d.draft_id == draft_id), None)
        if draft is not None:
            self.post_message(DraftResumed(draft))

    def action_delete_draft(self) -> None:
        """Delete the draft under the drafts table's cursor, whatever has the focus (the
        heading advertises x). With several drafts and the focus elsewhere, the table takes
        the focus first so it is plain which one is asked about."""
        table = self.query_one("#drafts", DataTable)
        if not table.row_count or self.overview is None:
            return
        if self.focused is not table and table.row_count > 1:
            table.focus()
        draft_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        draft = next((d for d in self.overview.drafts if d.draft_id == draft_id), None)
        if draft is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_draft(draft.draft_id)

        row = table.get_row(draft.draft_id)
        self.app.push_screen(
            ConfirmDialog(
                self.tr(
                    "home.delete_draft_question",
                    reference=draft.reference,
                    where=str(row[1]),
                    saved=str(row[2]),
                ),
                self.tr("common.delete"),
                self.tr("common.cancel"),
                destructive=True,
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="home-write")
    def delete_draft(self, draft_id: str) -> None:
        self.service.delete_draft(draft_id)
        self.post_message(self._loaded(self.service.overview()))

    def help_sections(self) -> list[tuple[str, str]]:
        """For the help screen (F1): how an intake goes (it starts here)."""
        return [(self.tr("help.walk_title"), self.tr("help.walk"))]

    def palette_commands(self) -> Iterator[SystemCommand]:
        if self.overview and self.overview.notices.rollback is not None:
            yield SystemCommand(
                self.tr("rollback.cmd"),
                self.tr("rollback.cmd_help"),
                lambda: self.app.run_action("app.review_rollback"),
            )
        if self.overview and self.overview.followups:
            yield SystemCommand(
                self.tr("cmd.hold_followup"),
                self.tr("cmd.hold_followup_help"),
                self.action_hold_followup,
            )
        yield SystemCommand(
            self.tr("cmd.new_intake"), self.tr("cmd.new_intake_help"), self.action_new_intake
        )
        yield SystemCommand(self.tr("cmd.search"), self.tr("cmd.search_help"), self.action_search)
        if self.overview and self.overview.drafts:
            yield SystemCommand(
                self.tr("cmd.resume"), self.tr("cmd.resume_help"), self.action_resume
            )
