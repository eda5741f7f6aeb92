"""Home with a long client list (issue 17): the UI thread only adds rows, a bounded number
per turn of the event loop, and a screenful in the turn painted first; End reaches the last
client; back home after a change to one client, only that client's row is made again.

The UI thread's work is counted, not timed: which thread builds each row and reads the
caseload summary, and how many rows are added to a table in one turn of the event loop
(a turn is one pass of asyncio's loop: a task that yields with ``sleep(0)`` counts them).
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens import heap, home_rows
from kindcheck.screens.app import IDLE_CHECK_SECONDS
from kindcheck.screens.home import FIRST_ROWS
from kindcheck.screens.paged_table import ROWS_KEPT_AHEAD, ROWS_PER_TURN
from support.app import PASSPHRASE, SIZE, fresh_vault, make_app, settle, wait_screen, wait_until
from support.vault import make_answers, record
from textual.widgets import DataTable

from kindcheck.service import caseload_summary
from kindcheck.service.caseload_summary import SUMMARY_FROM_CLIENTS, CaseloadSummary, SummaryEntry
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

CLIENTS = SUMMARY_FROM_CLIENTS + 60  # past the summary's threshold and the rows kept ahead


@pytest.fixture(scope="module")
def long_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault of ``CLIENTS`` clients whose home was shown before (it keeps the caseload
    summary), as a clinician's is."""
    vault = fresh_vault(tmp_path_factory.mktemp("long"))
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(CLIENTS):
            when = date(2024, 1, 1) + timedelta(days=number % 300)
            record(store, make_answers(f"EPD-{number:04d}", when=when))
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        service.overview()
        assert service.save_caseload_summary()
    return vault


@pytest.fixture
def vault(long_vault: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "vault"
    shutil.copytree(long_vault, copy)
    (copy / "kindcheck.lock").unlink(missing_ok=True)
    return copy


@contextmanager
def on_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts, by name, the calls made on the UI thread (the main thread, where Textual's
    event loop runs) of what builds a row or reads the caseload summary."""
    counted: Counter[str] = Counter()

    def watched(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is threading.main_thread():
                counted[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)

    for name in ("client_row", "due_row"):
        watched(home_rows, name)
    watched(Store, "read_caseload_summary")
    watched(CaseloadSummary, "from_document")
    watched(SummaryEntry, "summary")
    yield counted


class TurnCounter:
    """Rows added to a table per turn of the event loop. The first row added in a turn asks
    the loop for a callback, which runs at the start of the next turn (asyncio runs what was
    scheduled during a turn only in the turn after): rows counted until then are one turn's.
    (A task spinning on ``sleep(0)`` counted turns too, but kept the loop from ever being
    idle, and every Pilot pause waited out its time limit.)"""

    def __init__(self) -> None:
        self.turn = 0
        self.added: Counter[tuple[int, str]] = Counter()
        self._turn_open = False

    def _next_turn(self) -> None:
        self.turn += 1
        self._turn_open = False

    def watch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        add_row = DataTable.add_row

        def counted(table: DataTable[Any], *cells: Any, **kwargs: Any) -> Any:
            if not self._turn_open:
                # raises off the event loop's thread: a row added there fails the test
                asyncio.get_running_loop().call_soon(self._next_turn)
                self._turn_open = True
            self.added[(self.turn, str(table.id))] += 1
            return add_row(table, *cells, **kwargs)

        monkeypatch.setattr(DataTable, "add_row", counted)

    @property
    def most_in_one_turn(self) -> int:
        return max(self.added.values(), default=0)


async def test_a_long_list_is_painted_with_no_row_built_on_the_ui_thread(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row is built off the UI thread (the loading worker, the table's workers), and
    the summary is read and parsed there; the UI thread adds at most ROWS_PER_TURN rows per
    turn of the event loop, also while PageDown brings more."""
    turns = TurnCounter()
    turns.watch(monkeypatch)
    with on_the_ui_thread(monkeypatch) as counted:
        app = make_app(vault, unlocked=True)
        async with app.run_test(size=SIZE) as pilot:
            home = await wait_screen(pilot, "HomeScreen")
            await wait_until(pilot, lambda: home.overview is not None)
            table = home.query_one("#clients", DataTable)
            await wait_until(pilot, lambda: table.row_count == ROWS_KEPT_AHEAD)
            assert len(home.overview.clients) == CLIENTS
            table.focus()
            for _ in range(CLIENTS):
                if table.cursor_row == CLIENTS - 1:
                    break
                await pilot.press("pagedown")
                await pilot.pause()
            await wait_until(pilot, lambda: table.cursor_row == CLIENTS - 1)
            await settle(pilot)
    assert table.row_count == CLIENTS
    assert sum(turns.added.values()) >= CLIENTS
    assert turns.most_in_one_turn <= ROWS_PER_TURN
    assert dict(counted) == {}


async def test_home_is_first_painted_with_a_screenful_of_rows(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame that shows the client list holds about a screenful of rows (the
    table measures every row it holds before it paints: more rows there, a longer stall), and
    no more rows were made before it than the loading worker's first batch; the table holds
    its rows ahead of the cursor right after."""
    built: list[int] = []  # rows made, counted when the list is first painted
    client_row = home_rows.client_row

    def counted_row(client: Any, *args: Any) -> Any:
        built.append(1)
        return client_row(client, *args)

    monkeypatch.setattr(home_rows, "client_row", counted_row)
    app = make_app(vault, unlocked=True)
    first_painted: list[tuple[int, int]] = []  # (rows in the table, rows made) at that frame
    display = app._display

    def painted(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is None or first_painted or type(screen).__name__ != "HomeScreen":
            return
        rows = screen.query_one("#clients", DataTable).row_count
        if rows:
            first_painted.append((rows, len(built)))

    monkeypatch.setattr(app, "_display", painted)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        table = home.query_one("#clients", DataTable)
        await wait_until(pilot, lambda: table.row_count == ROWS_KEPT_AHEAD)
        await settle(pilot)
    in_table, made = first_painted[0]
    screen_lines = SIZE[1]
    assert in_table <= screen_lines < ROWS_KEPT_AHEAD
    assert made <= FIRST_ROWS < CLIENTS


async def test_no_full_collection_while_home_is_made_and_one_when_idle(vault: Path) -> None:
    """A full collection holds the GIL while it walks every object the app holds (the UI
    thread waits): none is made from the app's start until the list is painted and its rows
    ahead are in, neither home's own nor one the list's allocations start in the loading
    worker. What home set aside without a walk is walked once the app is idle."""
    full: list[str] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(threading.current_thread().name)

    heap.release()  # (nothing set aside by an earlier test)
    gc.collect()  # the test process's own garbage is not the app's to walk
    gc.callbacks.append(on_collection)
    try:
        app = make_app(vault, unlocked=True)
        async with app.run_test(size=SIZE) as pilot:
            home = await wait_screen(pilot, "HomeScreen")
            table = home.query_one("#clients", DataTable)
            await wait_until(pilot, lambda: table.row_count == ROWS_KEPT_AHEAD)
            await settle(pilot)
            made_home = list(full)
            app.check_idle_lock()
            idle_check_made = len(full) - len(made_home)
            app.last_activity -= IDLE_CHECK_SECONDS
            app.check_idle_lock()
            idle = len(full) - len(made_home)
    finally:
        gc.callbacks.remove(on_collection)
        heap.release()
    assert made_home == []
    assert idle_check_made == 0  # not while the clinician is at work
    assert idle == 1


async def test_end_goes_to_the_last_client_and_home_to_the_first(vault: Path) -> None:
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        last = home.overview.clients[-1].client_id
        first = home.overview.clients[0].client_id
        table = home.query_one("#clients", DataTable)
        assert table.row_count < CLIENTS  # the list is longer than what the table holds
        table.focus()

        def highlighted() -> str | None:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

        await pilot.press("end")
        await wait_until(pilot, lambda: highlighted() == last, timeout=20)
        await pilot.press("home")
        await pilot.pause()
        assert highlighted() == first
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: highlighted() == last, timeout=20)
        await settle(pilot)
        assert app.screen is home


async def test_back_home_after_a_change_makes_only_that_clients_row_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conversation saved for one client while its page is open: back home, the service
    makes that one client's row from the summary again (not one per client), and the screen
    builds that one row's cells again."""
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
    references = tuple(f"EPD-{number}" for number in range(30))
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for reference in references:
            record(store, make_answers(reference))
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        service.overview()
        assert service.save_caseload_summary()
    made: list[str] = []
    built: list[str] = []
    summary, client_row = SummaryEntry.summary, home_rows.client_row

    def counted_summary(entry: SummaryEntry, client_id: str, *args: Any) -> Any:
        made.append(client_id)
        return summary(entry, client_id, *args)

    def counted_row(client: Any, *args: Any) -> Any:
        built.append(client.client_id)
        return client_row(client, *args)

    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        assert not home.overview.complete  # listed from the summary
        ids = {c.reference: c.client_id for c in home.overview.clients}
        table = home.query_one("#clients", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(ids["EPD-7"]))
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        monkeypatch.setattr(SummaryEntry, "summary", counted_summary)
        monkeypatch.setattr(home_rows, "client_row", counted_row)
        with app.service.store() as store:
            record(store, make_answers("EPD-7", kind="intake", when=date.today(), problems=3))
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: str(table.get_row(ids["EPD-7"])[2]) == "3")
        await settle(pilot)
        assert made == [ids["EPD-7"]]
        assert built == [ids["EPD-7"]]
        assert home.overview.clients == app.service.overview(complete=True).clients


def test_a_read_that_outlives_its_app_leaves_the_collector_on() -> None:
    """Home's read pauses the collector (heap.unwalked_read); the app locking or ending while
    a read still runs in its worker gives it back at once, and that read ending later
    changes nothing for the next app's read."""
    heap.release()
    assert gc.isenabled()
    with heap.unwalked_read():
        assert not gc.isenabled()
    assert gc.isenabled()
    outlived = heap.unwalked_read()
    outlived.__enter__()
    heap.release()  # the app ends while its read runs on
    assert gc.isenabled()
    with heap.unwalked_read():  # the next app's read
        outlived.__exit__(None, None, None)
        assert not gc.isenabled()
    assert gc.isenabled()
    heap.release()
