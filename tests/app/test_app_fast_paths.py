"""What keeps the app quick without changing what it shows (issue 17).

- Back on the home screen from a client's page, nothing is read again when nothing changed,
  and after a change to one client only that client's row is redrawn (the table is not
  cleared and refilled).
- The footer is recomposed only when the keys it shows change, not on every answer key.
- A client's page reads its sessions in a constant number of statements, however many
  sessions it has.
- An answer key walks each questionnaire at most once (the walk's conditions are evaluated
  once per question), in the Kindcheck and on the scan pages, not once per question the
  screen asks of the walker.
- An answer on a scan row that moves to the next row of the page changes no size (unless it
  confirms a proposed answer, whose extra line goes): the screen is redrawn where it
  changed, never laid out again (a layout costs milliseconds and draws the screen twice).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from kindcheck.screens.widgets.keys_footer import KeysFooter, visible_keys
from support.app import (
    PASSPHRASE,
    SIZE,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    start_intake,
    wait_screen,
    wait_until,
)
from support.vault import make_answers, record
from textual.widgets import DataTable

from kindcheck.questionnaire import Walker
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store


def _vault_with(tmp_path: Path, references: tuple[str, ...]) -> Path:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        for reference in references:
            record(store, make_answers(reference))
    return vault


async def test_back_home_reads_nothing_unchanged_and_redraws_only_the_changed_client(
    tmp_path: Path,
) -> None:
    vault = _vault_with(tmp_path, ("EPD-1", "EPD-2", "EPD-3"))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        table = home.query_one("#clients", DataTable)
        assert table.row_count == 3
        ids = {c.reference: c.client_id for c in home.overview.clients}

        reads: list[str] = []
        redrawn: list[str] = []
        cleared: list[bool] = []
        overview, update_cell, clear = app.service.overview, table.update_cell, table.clear

        def counted_overview(query: str = "") -> Any:
            reads.append(query)
            return overview(query)

        def counted_update(row_key: Any, column_key: Any, value: Any, **kw: Any) -> None:
            redrawn.append(str(getattr(row_key, "value", row_key)))
            update_cell(row_key, column_key, value, **kw)

        def counted_clear(*args: Any, **kwargs: Any) -> Any:
            cleared.append(True)
            return clear(*args, **kwargs)

        app.service.overview = counted_overview  # type: ignore[method-assign]
        table.update_cell = counted_update  # type: ignore[method-assign]
        table.clear = counted_clear  # type: ignore[method-assign]

        # A client's page opened and left: the access log grew, nothing shown changed.
        table.focus()
        table.move_cursor(row=table.get_row_index(ids["EPD-2"]))
        await pilot.pause()
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        assert reads == []
        assert cleared == [] and redrawn == []

        # A second conversation with EPD-2 saved while its page is open: back home, one
        # read, and only EPD-2's row redrawn.
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        with app.service.store() as store:
            record(store, make_answers("EPD-2", kind="intake", when=date.today(), problems=3))
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        assert len(reads) == 1
        assert cleared == []
        assert set(redrawn) == {ids["EPD-2"]}
        row = table.get_row(ids["EPD-2"])
        assert str(row[2]) == "3"  # the new session's domain count is shown


async def test_the_footer_is_recomposed_only_when_its_keys_change(tmp_path: Path) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-77")
        await settle(pilot)
        footer = screen.query_one(KeysFooter)
        recomposed = 0
        recompose = footer.recompose

        async def counted() -> None:
            nonlocal recomposed
            recomposed += 1
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        shown = visible_keys(screen)
        key_changes = 0
        keys = kindcheck_keys()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            now = visible_keys(screen)
            key_changes += now != shown
            shown = now
        await settle(pilot)
        assert key_changes < len(keys)  # the walk has answers that keep the same keys
        assert recomposed <= key_changes


def test_a_client_page_reads_in_a_constant_number_of_statements(tmp_path: Path) -> None:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        record(store, make_answers("EPD-FEW"))
        for number in range(12):
            record(
                store,
                make_answers("EPD-MANY", kind="intake", when=date(2024, 1 + number, 3)),
            )
    service = VaultService(vault)
    service.unlock(PASSPHRASE)
    try:
        ids = {c.reference: c.client_id for c in service.overview().clients}
        counts = {}
        for reference, client_id in ids.items():
            with service.store() as store:
                assert store._engine is not None  # the statement count is the point here
                driver = store._engine.connection.driver
            statements: list[str] = []
            driver.set_trace_callback(statements.append)
            try:
                detail = service.client(client_id)
            finally:
                driver.set_trace_callback(None)
            counts[reference] = (len(statements), len(detail.sessions))
        assert counts["EPD-MANY"][1] == 12 and counts["EPD-FEW"][1] == 1
        assert counts["EPD-MANY"][0] == counts["EPD-FEW"][0]
    finally:
        service.close()


def _conditions_in_one_walk(walker: Walker) -> int:
    """How many show-if checks one walk over ``walker``'s answers makes (a fresh walker)."""
    fresh = Walker(walker.questionnaire, walker.context, walker.answers, walker.main_answers)
    counted = 0
    shown = Walker._shown

    def counting(self: Walker, *args: Any) -> bool:
        nonlocal counted
        counted += 1
        return shown(self, *args)

    fresh._shown = counting.__get__(fresh)  # type: ignore[method-assign]
    fresh.steps()
    return counted


async def test_an_answer_key_walks_each_questionnaire_at_most_once(
    tmp_path: Path, monkeypatch: Any
) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-77")
        await settle(pilot)
        intake = screen.intake
        checks = 0
        shown = Walker._shown

        def counted(self: Walker, *args: Any) -> bool:
            nonlocal checks
            checks += 1
            return shown(self, *args)

        monkeypatch.setattr(Walker, "_shown", counted)
        over: list[tuple[str, str | None, int, int]] = []
        for key in kindcheck_keys():
            checks = 0
            await pilot.press(key)
            walked = checks
            # At most one walk of each questionnaire over the answers as they now stand.
            one_walk = _conditions_in_one_walk(intake.main) + _conditions_in_one_walk(intake.scan)
            if walked > one_walk:
                over.append((key, intake.position, walked, one_walk))
        await settle(pilot)
        assert screen.in_page_mode()  # on the scan pages now
        for _page in range(3):
            for _row in screen.rows():
                checks = 0
                await pilot.press("n")
                walked = checks
                one_walk = _conditions_in_one_walk(intake.main) + _conditions_in_one_walk(
                    intake.scan
                )
                if walked > one_walk:
                    over.append(("n", intake.position, walked, one_walk))
        assert screen.page_index >= 2  # three pages answered by key
        assert over == []


async def test_a_scan_row_answer_redraws_without_laying_out_the_screen(tmp_path: Path) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-78")
        await pilot.press(*kindcheck_keys())
        await settle(pilot)
        assert screen.in_page_mode()
        compositor = screen._compositor
        layouts = 0
        reflow = compositor.reflow

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal layouts
            layouts += 1
            return reflow(*args, **kwargs)

        compositor.reflow = counted  # type: ignore[method-assign]
        row_keys: list[tuple[str | None, int, int]] = []
        for _page in range(6):
            rows = screen.rows()
            for _row in rows:
                page, row = screen.page_index, screen.current_row
                # A proposed answer has a line saying so, which the answer takes away: that
                # row's height changes.
                proposed = screen.rows()[row].prefilled is not None
                layouts = 0
                await pilot.press("n")
                await pilot.pause()
                if screen.page_index == page and screen.current_row == row + 1 and not proposed:
                    row_keys.append((screen.intake.position, row, layouts))
        assert screen.page_index >= 5
        assert len(row_keys) >= 5  # answers that moved to the next row of the page
        assert [key for key in row_keys if key[2]] == []
