"""The scan's rows are worded for the family too: a client who is not expecting is not asked
about "de baby" on a scan page (the Kindcheck's questions: tests/core/test_question_wording.py)."""

from __future__ import annotations

from pathlib import Path

from kindcheck.screens.widgets.answers import IndicatorRow
from support.app import (
    SIZE,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    start_intake,
    wait_until,
)


async def test_the_scan_rows_name_no_baby_when_none_is_on_the_way(tmp_path: Path) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        screen = await start_intake(pilot, "EPD-88")
        await pilot.press(*kindcheck_keys())  # two children, no pregnancy
        await settle(pilot)
        assert screen.in_page_mode()
        seen: list[str] = []
        for _page in range(12):
            texts = [
                str(row.text)
                for row in screen.query(IndicatorRow)
                if row.display and row.step is not None
            ]
            seen.extend(texts)
            if screen.intake.position == "netwerk":
                break
            for _row in texts:
                await pilot.press("n")
            await settle(pilot)
        joined = "\n".join(seen)
        assert "voor wat de kinderen nodig hebben" in joined
        assert "baby" not in joined.lower(), joined
