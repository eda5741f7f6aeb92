"""The first screen, as `kindcheck` starts it: only what it draws is done before it is drawn.

Watched in a fresh interpreter (what is imported and parsed depends on what ran before), at the
moment the first screen has been drawn (the app's ``mark_first_paint``, which the startup
benchmark reads too):

- Only the unlock screen and what it shows are imported: not the service and its views, not
  the screens of a first start (create a vault, its recovery key), not the recovery dialog,
  not Textual's TextArea.
- Textual parses the stylesheets once: a screen's own stylesheet read at its first push makes
  it parse every stylesheet again; the client page's is read later, with home's.
- Python's cycle collector does not run during the start-up, and runs again after it.

And the app that opens its own service (as `kindcheck` does) still opens the vault, and the
client page's stylesheet is in place before the first client page is opened.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens.app import create_app
from support.app import SIZE, fresh_vault, unlock, wait_screen, wait_until
from textual.widgets import LoadingIndicator

from kindcheck.settings import Settings

AT_FIRST_PAINT = r"""
import asyncio
import gc
import json
import sys
from pathlib import Path

from kindcheck.screens.launch import first_screen_app

collections_before = sum(generation["collections"] for generation in gc.get_stats())
app = first_screen_app(Path(sys.argv[1]))
from textual.css.stylesheet import Stylesheet

reparses = []
reparse = Stylesheet.reparse


def counted_reparse(self):
    reparses.append(True)
    reparse(self)


Stylesheet.reparse = counted_reparse
seen = {}
mark = app.mark_first_paint


def at_first_paint():
    seen["screen"] = type(app.screen).__name__
    seen["modules"] = sorted(sys.modules)
    seen["collections"] = (
        sum(generation["collections"] for generation in gc.get_stats()) - collections_before
    )
    seen["stylesheets"] = sorted(
        Path(path).name for path, _ in app.stylesheet.source if path.endswith(".tcss")
    )
    seen["reparses"] = len(reparses)
    mark()
    seen["collector_after"] = gc.isenabled()


app.mark_first_paint = at_first_paint


async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while app.first_paint_seconds is None:
            await asyncio.sleep(0.001)
        await pilot.pause()


asyncio.run(main())
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def first_paint(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    vault = fresh_vault(tmp_path_factory.mktemp("first-screen"))
    result = subprocess.run(
        [sys.executable, "-c", AT_FIRST_PAINT, str(vault)],
        capture_output=True,
        text=True,
        check=True,
    )
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["screen"] == "UnlockScreen"
    return seen


@pytest.mark.parametrize(
    "module",
    [
        "kindcheck.service.vault_service",
        "kindcheck.service.views",
        "kindcheck.screens.create_vault",
        "kindcheck.screens.recovery_key",
        "kindcheck.screens.dialogs.passphrase",
        "textual.widgets._text_area",
        "hmac",
    ],
)
def test_the_first_screen_imports_only_what_it_draws(
    first_paint: dict[str, Any], module: str
) -> None:
    assert module not in first_paint["modules"]


def test_the_first_screen_parses_the_stylesheets_once(first_paint: dict[str, Any]) -> None:
    assert first_paint["reparses"] == 0
    assert first_paint["stylesheets"] == ["app.tcss", "unlock.tcss"]


def test_the_collector_waits_until_the_first_screen_is_drawn(
    first_paint: dict[str, Any],
) -> None:
    assert first_paint["collections"] == 0
    assert first_paint["collector_after"] is True


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_app_opens_its_own_service_and_the_vault(tmp_path: Path, lang: str) -> None:
    vault = fresh_vault(tmp_path)
    app = create_app(Settings(data_dir=vault, lang=lang, cursor_blink=False))
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "UnlockScreen")
        assert app.check_action("lock", ()) is False  # nothing to lock yet
        home = await unlock(pilot)
        await wait_until(pilot, lambda: home.overview is not None)
        assert app.service.unlocked
        # Read with home's own stylesheet, so the first client page parses nothing again.
        sources = {Path(path).name for path, _ in app.stylesheet.source}
        assert "client.tcss" in sources
        assert not app.stylesheet._require_parse
    app.service.close()


async def test_the_busy_line_has_a_spinner_only_while_it_is_shown(tmp_path: Path) -> None:
    # A spinner redraws itself 16 times a second, shown or not: none while the screen waits.
    vault = fresh_vault(tmp_path)
    app = create_app(Settings(data_dir=vault, cursor_blink=False))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_screen(pilot, "UnlockScreen")
        busy = screen.query_one("#busy")
        assert not busy.query(LoadingIndicator)
        busy.show(True)  # as while the passphrase is tried
        await pilot.pause()
        assert busy.display
        assert len(busy.query(LoadingIndicator)) == 1
        busy.show(False)
        await pilot.pause()
        assert not busy.display
        assert not busy.query(LoadingIndicator)
    app.service.close()
