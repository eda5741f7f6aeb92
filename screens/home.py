"""Home: follow-ups due and overdue first, drafts to resume, and the clients (search by
reference).

The due list holds the same dates as `kindcheck due` (both come from
kindcheck.service.caseload.followup_statuses). Enter or h on a row holds that follow-up: the
conversation starts (followup.py). The screen is drawn at once and filled by a thread
worker (:class:`OverviewLoaded`), so it never waits on the store before showing something.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static

from kindcheck.dates import format_day, format_saved_at
from kindcheck.followup import FollowUpState
from kindcheck.service.views import ClientSummary, DraftSummary, Overview

from .dialogs.confirm import ConfirmDialog
from .followup import HoldsFollowUps
from .messages import ClientOpened, DraftResumed, NewIntakeRequested
from .widgets.safe import SafeInput, literal, literal_cell


class OverviewLoaded(Message):
    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview


class HomeScreen(HoldsFollowUps):
    CSS_PATH = "home.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "hold_followup", "ui.key.hold_followup"),
        Binding("n", "new_intake", "ui.key.new_intake"),
        Binding("slash", "search", "ui.key.search"),
        Binding("r", "resume", "ui.key.resume"),
        Binding("o", "open_client", "ui.key.open_client", show=False),
        Binding("x", "delete_draft", "ui.key.delete_draft", show=False),
        # Not in the footer (it is full at 80 columns); in the help panel and the palette.
        Binding("e", "app.open_export", "ui.export.key.open", show=False),
        Binding("g", "app.open_access_log", "ui.log.key.open", show=False),
        Binding("escape", "leave_search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None
        self.loaded_once = False

    def compose(self) -> ComposeResult:
        yield Static(self.tr("home.title"), classes="top-bar", id="home-title")
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
        yield Footer()

    def on_mount(self) -> None:
        drafts = self.query_one("#drafts", DataTable)
        drafts.add_column(self.tr("home.col.reference"), width=16)
        drafts.add_column(self.tr("home.col.where"), width=20)
        drafts.add_column(self.tr("home.col.saved"), width=16)
        followups = self.query_one("#followups", DataTable)
        followups.add_column(self.tr("home.col.reference"), width=16)
        followups.add_column(self.tr("home.col.status"), width=20)
        followups.add_column(self.tr("home.col.planned"), width=10)
        followups.add_column(self.tr("home.col.last_held"), width=10)
        clients = self.query_one("#clients", DataTable)
        clients.add_column(self.tr("home.col.reference"), width=18)
        clients.add_column(self.tr("home.col.last"), width=10)
        clients.add_column(self.tr("home.col.domains"), width=8)
        clients.add_column(self.tr("home.col.followup"), width=32)
        self.query_one("#drafts-section").display = False
        self.query_one("#followups-section").display = False
        clients.focus()
        self.load()

    def on_screen_resume(self) -> None:
        # Back from an intake or a client page: show what changed.
        if self.overview is not None:
            self.load(self.query_one("#search", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load(self, query: str = "") -> None:
        self.post_message(OverviewLoaded(self.service.overview(query.strip())))

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        self.overview = overview = message.overview
        self.refresh_bindings()
        title = Content.assemble(self.tr("home.title"))
        if overview.user_name:
            title = Content.assemble(title, " · ", literal(overview.user_name))
        self.query_one("#home-title", Static).update(title)
        self._fill_drafts(overview.drafts)
        self._fill_followups(overview.followups, overview.today)
        self._fill_clients(overview.clients)
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

    def _fill_drafts(self, drafts: tuple[DraftSummary, ...]) -> None:
        table = self.query_one("#drafts", DataTable)
        table.clear()
        for draft in drafts:
            # Stored times are UTC; a Dutch clinician reads them in Dutch time.
            saved = format_saved_at(draft.updated)
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

    def _fill_followups(self, due: list[ClientSummary], today: date) -> None:
        table = self.query_one("#followups", DataTable)
        table.clear()
        overdue = 0
        for client in due:
            state = client.followup
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
            table.add_row(
                literal_cell(client.reference),
                label,
                Text(format_day(planned, self.lang)),
                Text(format_day(client.last_session, self.lang)),
                key=client.client_id,
            )
        items = self.overview.items if self.overview is not None else ()
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
            table.add_row(
                literal_cell(item.reference),
                Text(what, style=style, overflow="ellipsis", no_wrap=True),
                Text(day),
                Text(format_day(item.last_held, self.lang)),
                key=f"{item.client_id}|{item.reason}",
            )
        rows = len(due) + len(items)
        table.styles.height = min(rows, 4) + 1
        self.query_one("#followups-heading", Static).update(
            self.tr("home.followups", overdue=overdue, due=rows - overdue)
        )
        self.query_one("#followups-section").display = bool(rows)

    def _fill_clients(self, clients: tuple[ClientSummary, ...]) -> None:
        table = self.query_one("#clients", DataTable)
        table.clear()
        for client in clients:
            domains = (
                "-" if client.problem_domain_count is None else str(client.problem_domain_count)
            )
            domain_cell = Text(domains, style="bold" if domains not in ("-", "0", "1", "2") else "")
            table.add_row(
                literal_cell(client.reference),
                Text(format_day(client.last_session, self.lang)),
                domain_cell,
                self._followup_cell(client),
                key=client.client_id,
            )
        self.query_one("#clients-heading", Static).update(
            self.tr("home.clients", count=len(clients))
        )

    def _followup_cell(self, client: ClientSummary) -> Text:
        text = Text()
        if client.safety_signal:
            text.append(self.tr("home.signal") + " ", style="bold red")
        if client.parenting_support_flag:
            text.append(self.tr("home.flag") + " ", style="bold yellow")
        state = client.followup
        if state is None:
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
        return True

    def action_new_intake(self) -> None:
        self.post_message(NewIntakeRequested())

    def action_leave_search(self) -> None:
        self.query_one("#clients", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        self.load(event.value)
        self.query_one("#clients", DataTable).focus()

    @on(DataTable.RowSelected, "#clients")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.open_client(event.row_key.value)

    @on(DataTable.RowSelected, "#followups")
    def _hold_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.hold_followup(event.row_key.value.split("|")[0])

    def action_hold_followup(self) -> None:
        """Hold the follow-up of the highlighted row: of the due list, or of the client list
        when that has the focus (a conversation can be held before it is due)."""
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
        table = self.query_one("#drafts", DataTable)
        if self.focused is not table or not table.row_count:
            return
        draft_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if not draft_id:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_draft(draft_id)

        self.app.push_screen(
            ConfirmDialog(
                self.tr("home.delete_draft_question"),
                self.tr("common.delete"),
                self.tr("common.cancel"),
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="home-write")
    def delete_draft(self, draft_id: str) -> None:
        self.service.delete_draft(draft_id)
        self.post_message(OverviewLoaded(self.service.overview()))

    def palette_commands(self) -> Iterator[SystemCommand]:
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
