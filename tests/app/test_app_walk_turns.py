"""What keeps a key of the walk cheap, counted (issue 17), and a walk that ends with the app.

- The app closing while the outcome screen is still mounting its sections closes cleanly
  (it stopped with ``NoMatches '#rhythm'``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.app import (
    SIZE,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    start_intake,
    wait_screen,
    wait_until,
)
from textual import events


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
