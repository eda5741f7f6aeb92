"""Home: follow-ups due and overdue first, drafts to resume, and the clients (search by
reference).

The due list holds the same dates as `kindcheck due` (both come from
kindcheck.service.caseload). Enter or h on a row holds that follow-up: the conversation starts
(followup.py). The screen is drawn at once and filled by a thread worker
(:class:`OverviewLoaded`), so it never waits on the store before showing something. The two
long lists are PagedTables (paged_table.py: a page held at a time, rows built off the UI
thread); their rows' cells are made by home_rows.py.

Above the lists, until each is dealt with: an older copy of the vault put back (w: was that on
purpose?), a damaged key slot (k: a new recovery key), read-only media, and every record that
cannot be read, named, with what to do. A client whose own record cannot be read stays in both
lists, named by its id; a client whose plan cannot be read stays in the due list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import ClassVar

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

from kindcheck.dates import format_saved_at
from kindcheck.errors import KindcheckError
from kindcheck.service.views import ClientSummary, DraftSummary, Overview, SlotNotice

from . import heap
from .dialogs.confirm import ConfirmDialog
from .followup import HoldsFollowUps
from .home_rows import ClientRows, DueEntry, due_entries, due_key, due_row, overdue_count
from .messages import ClientOpened, DraftResumed, NewIntakeRequested
from .paged_table import ROWS_KEPT_AHEAD, KeyedRows, PagedTable
from .widgets.damage import damaged_notice
from .widgets.keys_footer import KeysFooter
from .widgets.safe import SafeInput, literal, literal_cell

# How long the cursor rests on a client before that client's page is prepared.
PREPARE_AFTER_SECONDS = 0.15


# How long after a list drawn from the caseload summary is shown the records are checked.
CHECK_AFTER_SECONDS = 1.0

# Rows of each list built in the loading worker, before the list is shown: what the tables
# hold at first (the others are built by the tables' workers as the cursor comes to them).
FIRST_ROWS = ROWS_KEPT_AHEAD


def freeze_what_lives() -> None:
    """Keep what lives when home is made (the app, its modules, the unlocked service: they
    live as long as the app) out of Python's later full garbage collections. A full
    collection holds the GIL while it walks every object: every thread stops, the UI
    thread's too. With a caseload of 10,000 clients read in, each took 100-140 ms, the
    longest stalls of home; set aside, what they walk is what was made since. Not walked
    first: a full collection here (25-100 ms) was the longest stall of home's first paint;
    the garbage set aside with it is reclaimed by heap.py's rules (when the app is idle)."""
    heap.set_aside()


class OverviewLoaded(Message):
    """The overview, with the first rows of its tables already built (in the worker's
    thread; the others are built as the table comes to them). ``replaces``: the overview a
    check of the records was made for; the message is dropped when the screen shows
    another by then."""

    def __init__(
        self,
        overview: Overview,
        followup_rows: KeyedRows,
        overdue: int,
        client_rows: KeyedRows,
        *,
        due_keys: tuple[str, ...],
        due: Sequence[DueEntry],
        client_keys: tuple[str, ...],
        replaces: Overview | None = None,
    ) -> None:
        super().__init__()
        self.overview = overview
        self.followup_rows = followup_rows
        self.overdue = overdue
        self.client_rows = client_rows
        self.due_keys = due_keys
        self.due = due
        self.client_keys = client_keys
        self.replaces = replaces


def replace_message(message: OverviewLoaded, replaces: Overview) -> OverviewLoaded:
    """``message``, to be shown only while the screen still shows ``replaces``."""
    message.replaces = replaces
    return message


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
        # Keys for the client list typed right after a search's Enter wait for its result
        # (an o typed ahead opened the client that was highlighted before the search).
        self.search_pending = False
        self.after_search: list[Callable[[], None]] = []
        self._client_rows = ClientRows()
        self._checked = False  # a list from the caseload summary checked against the records

    def compose(self) -> ComposeResult:
        yield Static(self.tr("home.title"), classes="top-bar", id="home-title")
        with Vertical(id="notices"):
            yield Static("", id="rollback-banner", classes="notice", markup=False)
            yield Static("", id="vault-notices", classes="notice", markup=False)
            yield Static("", id="damaged", classes="notice", markup=False)
        # Follow-ups first: the children of clients whose conversation is due or overdue.
        with Vertical(id="followups-section", classes="section"):
            yield Static("", id="followups-heading", classes="heading")
            yield PagedTable(id="followups", cursor_type="row")
        with Vertical(id="drafts-section", classes="section"):
            yield Static("", id="drafts-heading", classes="heading")
            yield DataTable(id="drafts", cursor_type="row", zebra_stripes=False)
        with Horizontal(id="clients-heading-row"):
            yield Static(
                self.tr("home.clients", count="…"), id="clients-heading", classes="heading"
            )
            yield SafeInput(placeholder=self.tr("home.search_hint"), id="search", max_length=64)
        yield PagedTable(id="clients", cursor_type="row")
        yield Static("", id="clients-empty", classes="muted")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        freeze_what_lives()
        drafts = self.query_one("#drafts", DataTable)
        drafts.add_column(self.tr("home.col.reference"), width=16)
        drafts.add_column(self.tr("home.col.where"), width=20)
        drafts.add_column(self.tr("home.col.saved"), width=16)
        followups = self.query_one("#followups", PagedTable)
        followups.row_columns = [
            followups.add_column(self.tr("home.col.reference"), width=18),
            followups.add_column(self.tr("home.col.status"), width=18),
            followups.add_column(self.tr("home.col.planned"), width=10),
            followups.add_column(self.tr("home.col.last_held"), width=10),
        ]
        clients = self.query_one("#clients", PagedTable)
        clients.row_columns = [
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
        # (The table keeps rows ahead of the cursor itself: PagedTable.near.)
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
        # At rest: the page's collections will not walk the caseload (heap.py).
        heap.settle()

    def on_screen_resume(self) -> None:
        # Back from an intake or a client page: show what changed (nothing read again when
        # nothing did; only the rows that changed are redrawn).
        if self.overview is not None:
            self.refresh_changed(self.overview, self.query_one("#search", Input).value)

    # A description of its own: by default a worker is described by the repr of its
    # arguments, for an overview of 10,000 clients 4.6 MB of text made on the UI thread.
    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="home",
        description="home: read what changed",
    )
    def refresh_changed(self, seen: Overview, query: str) -> None:
        if self.service.changes_since(seen):
            self._read_and_post(query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load(self, query: str = "") -> None:
        self._read_and_post(query)

    def _read_and_post(self, query: str) -> None:
        # What is read lives while the list is shown: not walked by the collector (heap.py).
        with heap.unwalked_read():
            overview = self.service.overview(query.strip())
            message = self._loaded(overview)
        self._post_loaded(overview, message)

    def _post_loaded(self, overview: Overview, message: OverviewLoaded) -> None:
        """Post the overview with the rows the tables hold at first (the tables build the
        others as the cursor comes near them); then keep the caseload summary, and check a
        list drawn from it against the records once (in the worker's thread)."""
        self.post_message(message)
        with contextlib.suppress(KindcheckError):  # a summary not kept is made again
            self.service.save_caseload_summary()
        if not overview.complete and not self._checked:
            self._checked = True
            # Once the list is painted and its first rows are in: the check takes the CPU.
            self.app.call_from_thread(
                self.set_timer, CHECK_AFTER_SECONDS, partial(self.check_records, overview)
            )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="home-check",
        description="home: check the records",
    )
    def check_records(self, shown: Overview) -> None:
        """A list drawn from the caseload summary, checked once against the records: what
        was damaged outside Kindcheck since the summary was made is then named, as a list
        read from the records names it (only the rows that differ are redrawn)."""
        if self.service.caseload_intact():
            return
        query = self.query_one("#search", Input).value.strip()
        read = self.service.overview(query, complete=True)
        if read != shown:
            self.post_message(replace_message(self._loaded(read), shown))

    def _loaded(self, overview: Overview) -> OverviewLoaded:
        """The message that shows ``overview``, with the rows each table will hold at first
        built (in the worker's thread: the UI thread builds no row)."""
        with self._in_app():
            due = due_entries(overview.followups, overview.items)
            clients = overview.clients
            # The rows the tables hold now too: a list that starts with the same keys keeps
            # them, with only the changed cells redrawn.
            tables = self.query(PagedTable)
            held = {table.id: table.row_count for table in tables}
            due_end = max(FIRST_ROWS, held.get("followups", 0))
            end = max(FIRST_ROWS, held.get("clients", 0))
            return OverviewLoaded(
                overview,
                self._due_rows(due, 0, due_end),
                overdue_count(due),
                self._client_list_rows(clients, 0, end),
                due_keys=tuple(due_key(entry) for entry in due),
                due=due,
                client_keys=tuple(client.client_id for client in clients),
            )

    @contextlib.contextmanager
    def _in_app(self) -> Iterator[None]:
        """In a worker's thread, which has no active app of its own: the language (self.lang,
        self.tr) is the app's."""
        token = active_app.set(self.app)
        try:
            yield
        finally:
            active_app.reset(token)

    def _due_rows(self, due: Sequence[DueEntry], start: int, end: int) -> KeyedRows:
        with self._in_app():
            tr, lang = self.tr, self.lang
            return tuple((due_key(entry), due_row(entry, tr, lang)) for entry in due[start:end])

    def _client_list_rows(
        self, clients: Sequence[ClientSummary], start: int, end: int
    ) -> KeyedRows:
        with self._in_app():
            tr, lang, rows = self.tr, self.lang, self._client_rows
            return tuple((c.client_id, rows.row(c, tr, lang)) for c in clients[start:end])

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        if message.replaces is not None and message.replaces is not self.overview:
            return  # a newer list (a search, a change) is shown already
        self.overview = overview = message.overview
        self.refresh_bindings()
        title = Content.assemble(self.tr("home.title"))
        if overview.user_name:
            title = Content.assemble(title, " · ", literal(overview.user_name))
        self.query_one("#home-title", Static).update(title)
        self._show_notices(overview)
        self._fill_drafts(overview.drafts)
        self._fill_followups(message)
        self._fill_clients(message)
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
        if rows is not None and rows.keys:
            # A list just shown or changed says nothing of its cursor: prepare that row too.
            key = rows.keys[min(rows.cursor_row, len(rows.keys) - 1)]
            self._prepare_later(key)

    def _highlighted_rows(self) -> PagedTable | None:
        """The table of clients that has the focus, if one has."""
        focused = self.focused
        return focused if isinstance(focused, PagedTable) else None

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

    def _fill_followups(self, message: OverviewLoaded) -> None:
        due, count = message.due, len(message.due)
        table = self.query_one("#followups", PagedTable)
        table.show_list(message.due_keys, message.followup_rows, partial(self._due_rows, due))
        table.styles.height = min(count, 4) + 1
        self.query_one("#followups-heading", Static).update(
            self.tr("home.followups", overdue=message.overdue, due=count - message.overdue)
        )
        self.query_one("#followups-section").display = bool(count)

    def _fill_clients(self, message: OverviewLoaded) -> None:
        clients = message.overview.clients
        self.query_one("#clients-heading", Static).update(
            self.tr("home.clients", count=len(clients))
        )
        self.query_one("#clients", PagedTable).show_list(
            message.client_keys, message.client_rows, partial(self._client_list_rows, clients)
        )

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
        self._read_and_post("")

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
