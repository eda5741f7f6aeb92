"""What a key on a problem-scan page costs, counted (issue 17), and the mouse on a scan row.

- A scan row is one widget: it draws its question and its chips itself. A key draws only the
  rows it changes (the one losing the mark, the one getting it), and nothing inside a row; a
  page turn draws each row of the new page once, as one widget, and lays the screen out
  once (a row's new height no longer asks Textual for a second layout after the frame).
- The mouse does what it did when the chips were widgets: a click on a chip answers that
  row, a click elsewhere on a row makes it the current row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens.widgets.answers import IndicatorRow
from kindcheck.screens.widgets.scan_page import ScanPage
from support.app import (
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
from textual.widget import Widget


async def test_a_scan_key_draws_only_rows_each_as_one_widget_and_the_mouse_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-90")
        await pilot.press(*kindcheck_keys())
        await settle(pilot)
        assert screen.in_page_mode()
        page_widget = screen.query_one("#scan-rows", ScanPage)
        drawn: list[Widget] = []  # the widgets on the scan page drawn since the key
        render_lines = Widget.render_lines

        def counted_render(widget: Widget, *args: Any, **kwargs: Any) -> Any:
            if widget is not page_widget and page_widget in widget.ancestors:
                drawn.append(widget)
            return render_lines(widget, *args, **kwargs)

        monkeypatch.setattr(Widget, "render_lines", counted_render)
        layouts = LayoutCounter(screen)
        # (page, layouts, the kinds of widget drawn, how many, rows in sight)
        turns: list[tuple[str, int, set[str], int, int]] = []
        row_keys: list[tuple[str, set[str], int, int]] = []
        for _key in range(40):
            if screen.page_index >= 6:
                break
            page = screen.page_index
            drawn.clear()
            layouts.count = 0
            await pilot.press("n")
            await pilot.pause()
            await pilot.pause()
            in_sight = len([row for row in screen.rows() if row.region.height])
            kinds = {type(widget).__name__ for widget in drawn}
            count = len(set(drawn))
            if screen.page_index != page:
                turns.append((screen.intake.position, layouts.count, kinds, count, in_sight))
            else:
                row_keys.append((screen.intake.position, kinds, count, in_sight))
        assert len(turns) >= 5 and len(row_keys) >= 5
        # A page holds one widget per row, and nothing else.
        assert [type(w).__name__ for w in page_widget.walk_children()] == ["IndicatorRow"] * len(
            page_widget.children
        )
        # A key draws rows, each as one widget, and no more than are in sight (a row key:
        # mostly the row losing the mark and the one getting it; all if the page scrolls).
        assert [key for key in row_keys if key[1] != {"IndicatorRow"} or key[2] > key[3]] == []
        # A page turn: one layout, and each row in sight drawn as one widget.
        assert [
            turn
            for turn in turns
            if turn[1] != 1 or turn[2] != {"IndicatorRow"} or turn[3] > turn[4]
        ] == []
        # The mouse, on the page the keys got to (one app run: CI's time).
        monkeypatch.undo()
        rows = screen.rows()
        assert len(rows) >= 2
        await pilot.click(rows[0], offset=(4, 0))
        await wait_until(pilot, lambda: screen.current_row == 0)
        first, second = rows[0], rows[1]
        assert second.value is None

        def chip_column(row: IndicatorRow, label: str) -> int:
            # Where the chip's label is drawn, in the row's region (its padding: 1 cell).
            line = row.render_line(0).text
            return line.rindex(label) + 1

        # "n Nee": the chip of "no" (Dutch, the default).
        await pilot.click(second, offset=(chip_column(second, "n Nee"), 0))
        await wait_until(pilot, lambda: second.value == "no")
        assert screen.intake.scan.get(second.step) == "no"
        # The question's text: that row becomes the current one, nothing is answered.
        answered = [row.value for row in rows]
        await pilot.click(first, offset=(4, 0))
        await wait_until(pilot, lambda: screen.current_row == 0)
        await pilot.click(second, offset=(4, 0))
        await wait_until(pilot, lambda: screen.current_row == 1)
        assert [row.value for row in rows] == answered
        # "?" on the first row: answered "unknown" (the last chip).
        await pilot.click(first, offset=(chip_column(first, " ? ") + 1, 0))
        await wait_until(pilot, lambda: first.value == "unknown")
        assert screen.intake.scan.get(first.step) == "unknown"
