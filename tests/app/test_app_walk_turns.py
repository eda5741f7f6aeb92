"""What keeps a key of the walk cheap, counted (issue 17), and a walk that ends with the app.

- A key on a scan page (to the next row, or the last row to the next page) restyles nothing:
  no widget is matched against the stylesheet again (the current row and the chosen answer
  are drawn with inline looks). A page turn mounts no row (rows are reused) and is laid out
  once, plus once more only when Textual itself asks for it (rows that change height); a
  row key is not laid out at all.
- While the walk is in front, the home screen under it (a caseload listed from its summary,
  with its check of the records) does nothing: no message, timer or worker of its own. What a
  key costs does not depend on the size of the caseload.
- The app closing while the outcome screen is still mounting its sections closes cleanly
  (it stopped with ``NoMatches '#rhythm'``).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens.widgets.answers import IndicatorRow
from support.app import (
    PASSPHRASE,
    SIZE,
    LayoutCounter,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    start_intake,
    wait_screen,
    wait_until,
)
from support.vault import make_answers, record
from textual import events
from textual.css.stylesheet import Stylesheet
from textual.message_pump import MessagePump
from textual.timer import Timer

from kindcheck.service.caseload_summary import SUMMARY_FROM_CLIENTS
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store


@pytest.mark.parametrize("moment", ["pushed", "sections mounting"])
async def test_the_app_closing_while_the_outcome_mounts_closes_cleanly(
    tmp_path: Path, moment: str
) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-79")
        await pilot.press(*kindcheck_keys())
        await settle(pilot)
        intake = screen.intake
        pages = intake.scan_pages()
        for page in pages[:-1]:
            for step in page.steps:
                intake.scan.answer(step, "no")
        screen.show_page(len(pages) - 1)
        await pilot.pause()
        rows = screen.rows()
        for index in range(len(rows)):
            screen.set_current_row(index)
            if index + 1 < len(rows):
                await pilot.press("n")
        await wait_until(pilot, lambda: screen.current_row == len(rows) - 1)
        # The last answer opens the outcome; the app closes before it has mounted.
        app.post_message(events.Key("n", "n"))

        def there() -> bool:
            outcome = app.screen
            if type(outcome).__name__ != "OutcomeScreen":
                return False
            # Its outcome is worked out just before its sections are mounted (awaited).
            return moment == "pushed" or outcome.outcome is not None

        while not there():
            await asyncio.sleep(0)
        app.exit()
    assert app.return_code in (0, None)


async def test_scan_keys_restyle_nothing_and_a_page_turn_is_laid_out_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-80")
        await pilot.press(*kindcheck_keys())
        await settle(pilot)
        assert screen.in_page_mode()
        restyled: list[str] = []
        apply = Stylesheet.apply

        def counted_apply(sheet: Stylesheet, node: Any, *args: Any, **kwargs: Any) -> None:
            restyled.append(type(node).__name__)
            apply(sheet, node, *args, **kwargs)

        monkeypatch.setattr(Stylesheet, "apply", counted_apply)
        rows_made = 0
        make_row = IndicatorRow.__init__

        def counted_row(row: IndicatorRow, lang: str) -> None:
            nonlocal rows_made
            rows_made += 1
            make_row(row, lang)

        monkeypatch.setattr(IndicatorRow, "__init__", counted_row)
        layouts = LayoutCounter(screen)
        turns: list[tuple[str, int, list[str], int]] = []  # (page, layouts, restyled, rows made)
        row_keys: list[tuple[str, int, list[str]]] = []
        for _key in range(40):
            if screen.page_index >= 6:
                break
            page, row = screen.page_index, screen.current_row
            proposed = screen.rows()[row].prefilled is not None
            restyled.clear()
            layouts.count = rows_made = 0
            await pilot.press("n")
            await pilot.pause()
            if screen.page_index != page:
                turns.append((screen.intake.position, layouts.count, list(restyled), rows_made))
            elif not proposed:  # a proposed answer's extra line goes: that row's height changes
                row_keys.append((screen.intake.position, layouts.count, list(restyled)))
        assert len(turns) >= 5 and len(row_keys) >= 5
        assert [key for key in row_keys if key[1] or key[2]] == []
        # A turn: one layout for the new page, and at most one more that Textual asks for
        # itself when rows change height (their virtual size is a layout reactive).
        assert [turn for turn in turns if turn[1] > 2 or turn[2] or turn[3]] == []


async def test_the_home_screen_does_nothing_while_the_walk_is_in_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = SUMMARY_FROM_CLIENTS + 40  # listed from the caseload summary, then checked
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(clients):
            when = date(2024, 1, 1) + timedelta(days=number % 300)
            record(store, make_answers(f"EPD-{number:04d}", when=when))
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        service.overview()
        assert service.save_caseload_summary()

    app = make_app(vault, unlocked=True)
    home_work: list[str] = []
    watching = False

    def on_home(node: Any) -> bool:
        return watching and any(type(n).__name__ == "HomeScreen" for n in node.ancestors_with_self)

    dispatch = MessagePump._dispatch_message

    async def counted_dispatch(pump: MessagePump, message: Any) -> Any:
        if on_home(pump) and type(message).__name__ not in ("Prune", "Unmount"):
            home_work.append(f"{type(pump).__name__}: {type(message).__name__}")
        return await dispatch(pump, message)

    monkeypatch.setattr(MessagePump, "_dispatch_message", counted_dispatch)
    tick = Timer._tick

    async def counted_tick(timer: Timer, *args: Any, **kwargs: Any) -> Any:
        target = timer.target
        if isinstance(target, MessagePump) and on_home(target):
            home_work.append(f"timer of {type(target).__name__}")
        return await tick(timer, *args, **kwargs)

    monkeypatch.setattr(Timer, "_tick", counted_tick)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        screen = await start_intake(pilot, "EPD-81")
        started = len(app.workers._workers)
        watching = True
        await pilot.press(*kindcheck_keys())
        await pilot.pause(1.5)  # past the home's check of the records, had it been started
        for _row in range(12):
            await pilot.press("n")
        await settle(pilot)
        workers = [w.group for w in list(app.workers._workers)[started:] if w.node is home]
        watching = False
        assert screen.in_page_mode() and app.screen is screen
        assert home_work == [] and workers == []


async def test_the_current_row_follows_a_change_of_theme(tmp_path: Path) -> None:
    # The rows' looks are inline rules in the theme's colours: a new theme redraws them in its
    # own (the palette offers the theme).
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-82")
        await pilot.press(*kindcheck_keys(), "j")
        await settle(pilot)
        rows = screen.rows()
        current, chosen = rows[screen.current_row], rows[0]
        assert current is not chosen and chosen.value == "yes"

        def looks() -> tuple[Any, Any]:
            return current.styles.background, chosen.chip_rules(chosen.value)["background"]

        variables = app.get_css_variables()
        assert looks()[0].hex.upper() == variables["block-cursor-background"].upper()
        app.theme = "textual-light"
        await pilot.pause()
        light = app.get_css_variables()
        assert light["block-cursor-background"] != variables["block-cursor-background"]
        row_background, chip_background = looks()
        assert row_background.hex.upper() == light["block-cursor-background"].upper()
        assert chip_background.hex.upper()[:7] == light["warning"].upper()[:7]
