"""What opening a client's page costs the UI thread, counted (issue 17: < 100 ms).

Counts, not times: how many widgets the page is made of, how many of them are changed after
they are mounted (each change a restyle and another layout), and how often the page is laid
out again at the size it already has. A client with many sessions (its timeline scrolls, the
page scrolls) and a chart.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.app import PASSPHRASE, SIZE, fresh_vault, make_app, settle, wait_screen, wait_until
from support.vault import SESSION_DAY, make_answers, record
from textual import events
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kindcheck.store import Store

SESSIONS = 16  # more than the chart shows at 80 columns (12)


def _client_with_many_sessions(tmp_path: Path) -> Path:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(SESSIONS):
            kind = "intake" if number == 0 else "followup"
            when = SESSION_DAY + timedelta(days=30 * number)
            record(store, make_answers("EPD-MANY", kind=kind, when=when, problems=number % 5))
    return vault


async def _open_page(pilot: Any) -> Any:
    home = await wait_screen(pilot, "HomeScreen")
    await wait_until(pilot, lambda: home.overview is not None)
    await settle(pilot)
    home.open_client(home.overview.clients[0].client_id)
    client = await wait_screen(pilot, "ClientScreen")
    await wait_until(pilot, lambda: client.detail is not None)
    await settle(pilot)
    return client


async def test_a_client_page_is_made_with_what_it_shows_in_one_widget_per_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was 19 widgets (a heading of its own above the plan and above the chart), and each block
    # filled after the page was mounted (9 updates, each a restyle and a layout request).
    app = make_app(_client_with_many_sessions(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        changed_mounted: list[str] = []
        update = Static.update

        def counted_update(static: Static, *args: Any, **kwargs: Any) -> None:
            if static.is_mounted and type(static.screen).__name__ == "ClientScreen":
                changed_mounted.append(static.id or type(static).__name__)
            update(static, *args, **kwargs)

        monkeypatch.setattr(Static, "update", counted_update)
        client = await _open_page(pilot)
        table = client.query_one("#sessions", DataTable)
        assert table.row_count == SESSIONS
        assert table.max_scroll_y > 0  # the timeline scrolls: it is the page that costs most
        widgets = [type(w).__name__ for w in client.walk_children(with_self=False)]
        # The title, the body with its six blocks, the timeline's heading and the timeline,
        # the footer and its keys.
        assert len(widgets) <= 17, widgets
        assert widgets.count("Static") <= 7, widgets
        assert changed_mounted == []
        # What the merged headings show: the plan's and the chart's heading lines.
        plan = str(client.query_one("#plan-view", Static).render())
        chart = str(client.query_one("#domain-chart", Static).render())
        assert plan.splitlines()[0] == "Vervolgplan"
        assert chart.splitlines()[0].startswith("Probleemgebieden per sessie")


async def test_a_client_page_is_not_laid_out_again_at_the_size_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Textual lays a new screen out when it resumes, and then again when the Resize that
    # layout sent the screen arrives, at the same size: a whole layout of the page for nothing
    # (was 1 per opening).
    app = make_app(_client_with_many_sessions(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        resizing: list[Any] = []
        same_size_layouts: list[str] = []
        on_resize, refresh_layout = Screen._on_resize, Screen._refresh_layout

        async def watched_resize(screen: Screen[Any], event: events.Resize) -> None:
            resizing.append(screen._compositor.size)
            try:
                await on_resize(screen, event)
            finally:
                resizing.pop()

        def counted_layout(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
            if (
                resizing
                and type(screen).__name__ == "ClientScreen"
                and screen._compositor.size == resizing[-1] == screen.size
            ):
                same_size_layouts.append(type(screen).__name__)
            refresh_layout(screen, *args, **kwargs)

        monkeypatch.setattr(Screen, "_on_resize", watched_resize)
        monkeypatch.setattr(Screen, "_refresh_layout", counted_layout)
        client = await _open_page(pilot)
        assert client.query_one("#sessions", DataTable).row_count == SESSIONS
        assert same_size_layouts == []
        # A real resize still lays the page out, and the chart is drawn for the new width.
        chart = client.query_one("#domain-chart", Static)
        before = str(chart.render())
        await pilot.resize_terminal(SIZE[0] + 30, SIZE[1])
        await pilot.pause()
        await settle(pilot)
        assert client.size.width == SIZE[0] + 30
        assert str(chart.render()) != before  # more sessions fit beside each other


async def test_a_client_page_is_styled_once_as_it_is_made_and_not_again_as_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each widget of the page was styled as it was mounted, again when the page first resumed
    # (Textual restyles a resuming screen), and the footer's keys once more when the footer's
    # compact look was bound to them after their mount. What stays: focusing the page's body
    # restyles what it holds.
    app = make_app(_client_with_many_sessions(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        styled: list[str] = []
        apply = Stylesheet.apply

        def counted_apply(sheet: Stylesheet, node: Any, *args: Any, **kwargs: Any) -> None:
            screen = next((n for n in node.ancestors_with_self if isinstance(n, Screen)), None)
            if type(screen).__name__ == "ClientScreen":
                styled.append(type(node).__name__)
            apply(sheet, node, *args, **kwargs)

        monkeypatch.setattr(Stylesheet, "apply", counted_apply)
        client = await _open_page(pilot)
        widgets = list(client.walk_children(with_self=True))
        assert client.query_one("#sessions", DataTable).row_count == SESSIONS
        keys = sum(1 for w in widgets if type(w).__name__ == "FooterKey")
        # Each widget once as it is mounted (the footer's keys too), the body's once more as
        # it takes the focus (twice: Textual's own focus changes), the scrollbars as they
        # appear. Was 122 for 20 widgets: each again on the first resume, each key 3 times.
        assert styled.count("FooterKey") == keys, styled
        assert len(styled) <= 3 * len(widgets) + 6, (len(styled), len(widgets), styled)


async def test_a_client_page_that_scrolls_is_laid_out_at_its_final_width_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 80x24 the timeline (4 columns, 75 wide with their padding) did not fit the 74 columns
    # it has when both it and the page scroll: a horizontal scrollbar appeared (hiding a row
    # of the timeline) and a scrollbar corner, each a layout more. And the page's blocks were
    # first laid out 78 wide, then 76 once the page's scrollbar appeared: each drawn twice.
    app = make_app(_client_with_many_sessions(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        layouts: list[str] = []  # per layout: by the screen's frame timer, or at once
        widths: dict[str, set[int]] = {}
        refresh_layout, size_updated = Screen._refresh_layout, Widget._size_updated

        def counted_layout(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
            if type(screen).__name__ == "ClientScreen":
                frame, by_timer = sys._getframe(1), False
                while frame is not None and not by_timer:
                    by_timer = frame.f_code.co_name == "_run_timer"
                    frame = frame.f_back
                layouts.append("next frame" if by_timer else "at once")
            refresh_layout(screen, *args, **kwargs)

        def noted_size(widget: Widget, size: Any, *args: Any, **kwargs: Any) -> bool:
            parent = widget.parent if widget.is_attached else None
            if widget.id and parent is not None and parent.id == "client-body" and size.width:
                widths.setdefault(widget.id, set()).add(size.width)
            return size_updated(widget, size, *args, **kwargs)

        monkeypatch.setattr(Screen, "_refresh_layout", counted_layout)
        monkeypatch.setattr(Widget, "_size_updated", noted_size)
        client = await _open_page(pilot)
        table = client.query_one("#sessions", DataTable)
        body = client.query_one("#client-body")
        assert table.row_count == SESSIONS
        assert body.show_vertical_scrollbar and table.show_vertical_scrollbar
        assert not table.show_horizontal_scrollbar, (table.virtual_size, table.size)
        # The heading and 6 sessions (a horizontal scrollbar took the line of one).
        assert table.scrollable_content_region.height == 7
        assert widths and all(len(seen) == 1 for seen in widths.values()), widths
        # As it shows, and as its widgets first learn their sizes (Textual asks again for each
        # widget whose size was set); was 5 (the horizontal scrollbar, its corner).
        assert len(layouts) <= 4, layouts
        # The layouts before the page is first still are made at once, not each a frame
        # later (up to 1/60 s of waiting each); was ["at once", "next frame", ...].
        assert layouts[:2] == ["at once", "at once"], layouts
