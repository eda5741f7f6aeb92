"""Shared pieces of the app tests (no tests here): a vault made once, the app factory, waits.

Argon2id at its fixed floor costs a fraction of a second per derivation, so one vault is
created per test session and each test gets a copy of its folder. Unlocking still derives the
key once per test that unlocks through the screen.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from kindcheck.screens.app import KindcheckApp, create_app

from kindcheck.service.vault_service import VaultService
from kindcheck.settings import Settings

PASSPHRASE = "groene appel fiets regen"
USER = "Test Gebruiker"
SIZE = (80, 24)


@functools.cache
def template_vault() -> Path:
    """One vault for the whole test run (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="kindcheck-template-"))
    atexit.register(shutil.rmtree, folder, True)
    service = VaultService(folder / "vault")
    service.create(PASSPHRASE, USER)
    service.close()
    return folder / "vault"


def fresh_vault(tmp_path: Path) -> Path:
    """A copy of the template vault (closed, so there is no lock file to copy)."""
    target = tmp_path / "vault"
    shutil.copytree(template_vault(), target)
    return target


def make_app(
    data_dir: Path,
    lang: str = "nl",
    *,
    unlocked: bool = False,
    clock: Callable[[], date] = date.today,
    idle_minutes: float = 10,
) -> KindcheckApp:
    settings = Settings(
        data_dir=data_dir, lang=lang, cursor_blink=False, idle_lock_minutes=idle_minutes
    )
    service = VaultService(data_dir, clock, lang)
    if unlocked:
        service.unlock(PASSPHRASE)
    return create_app(settings, service, clock)


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (workers finish, screens change)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.02)


async def wait_screen(pilot: Any, name: str, timeout: float = 10.0) -> Any:
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == name, timeout)
    await pilot.pause()
    return pilot.app.screen


async def settle(pilot: Any) -> None:
    """Wait for every worker (autosaves included) to finish."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_in_stack(app: Any, name: str) -> Any:
    """The screen of class ``name`` in the app's stack (a dialog may be on top of it)."""
    return next((s for s in app.screen_stack if type(s).__name__ == name), None)


async def unlock(pilot: Any, passphrase: str = PASSPHRASE) -> Any:
    """Type the passphrase; home once it is shown. After unlocking, a dialog about the vault
    itself (an older copy put back, a damaged key slot) may open over home at once."""
    await wait_screen(pilot, "UnlockScreen")
    await pilot.press(*passphrase, "enter")
    app = pilot.app
    await wait_until(
        pilot,
        lambda: (
            screen_in_stack(app, "UnlockScreen") is None
            and screen_in_stack(app, "HomeScreen") is not None
        ),
    )
    await pilot.pause()
    return screen_in_stack(app, "HomeScreen")


async def start_intake(
    pilot: Any, reference: str = "EPD-1234", name: str = "", setting_keys: tuple[str, ...] = ()
) -> Any:
    await pilot.press("n")
    await wait_screen(pilot, "IntakeStartScreen")
    await pilot.press(*reference, "enter", *name, "enter", *setting_keys, "enter")
    return await wait_screen(pilot, "IntakeScreen")


# Two children: one of 4 living with the client, one of 9 living elsewhere (so the contact
# questions show), care answered, the seven safety questions "no" unless told otherwise.
def kindcheck_keys(signals: tuple[str, ...] = ("n",) * 7) -> list[str]:
    """The keys that answer the version-2 Kindcheck (new intakes use it) for the two children
    above; the seven safety questions (``signals``) at the end, "n" unless told otherwise."""
    return [
        *KINDCHECK_CHILDREN_KEYS,
        *KINDCHECK_CARE_KEYS,
        *KINDCHECK_PARENT_KEYS,
        *signals,
        "ctrl+n",
    ]


# has children, no pregnancy, 2; child 1: 4, no birth date, own child, lives with the client,
# nobody else cares; child 2: 9, own, lives elsewhere, nobody else, daily contact, not alone.
KINDCHECK_CHILDREN_KEYS = (
    "j", "n", "2", "enter",
    "4", "enter", "enter", "1", "1", "1", "enter",
    "9", "enter", "enter", "1", "3", "1", "enter", "1", "n",
)  # fmt: skip
# care enough, no help, no wish for support, the children notice nothing, they were told,
# someone to fall back on (babysitting), nothing stops asking, a written crisis plan (Oma).
KINDCHECK_CARE_KEYS = (
    "j", "n", "n", "1", "j", "j", "1", "enter", "8", "enter", "1", *"Oma", "enter",
)  # fmt: skip
# no vulnerable adult, no suicidal thoughts, a fixed home, understands, no custody measure.
KINDCHECK_PARENT_KEYS = ("1", "1", "j", "n", "n")


async def answer_scan(pilot: Any, problem_domains: set[str]) -> None:
    """Answer every scan page: the first indicator "yes" on the given domains, the rest "no".

    In the GGZ setting the mental-health indicator is pre-marked "yes" (the clinician
    confirms it); it is answered "no" here unless "psychisch" is in ``problem_domains``.
    """
    app = pilot.app
    for _ in range(30):
        screen = app.screen
        if type(screen).__name__ != "IntakeScreen":
            return
        domain = screen.intake.position
        rows = screen.rows()
        keys = ["n"] * len(rows)
        if domain in problem_domains:
            keys[0] = "j"
        for index, key in enumerate(keys):
            screen.set_current_row(index)
            await pilot.press(key)
        await pilot.pause()
    raise AssertionError("the scan did not end")


async def skip_to_last_scan_page(pilot: Any, problem_domains: set[str] = frozenset()) -> None:
    """Fill every scan page but the last directly (first indicator "yes" on the given
    domains), then answer the last page with keys. For tests about what comes after."""
    screen = pilot.app.screen
    intake = screen.intake
    pages = intake.scan_pages()
    for page in pages[:-1]:
        for index, step in enumerate(page.steps):
            value = "yes" if index == 0 and page.domain_id in problem_domains else "no"
            intake.scan.answer(step, value)
    screen.show_page(len(pages) - 1)
    await pilot.pause()
    await answer_scan(pilot, problem_domains)


def acute_first(screen: Any) -> list[str]:
    """Version 2's order on an outcome page, checked: the acute lines ("bel 112", then Veilig
    Thuis) above the summary, both above the scrolling body; returns the acute lines."""
    order = [child.id for child in screen.children if child.id]
    assert order.index("acute") < order.index("summary") < order.index("outcome-body"), order
    acute = screen.query_one("#acute")
    assert acute.display
    return str(acute.render()).splitlines()


def visible(widget: Any) -> bool:
    """Whether the widget and every container above it are displayed."""
    node = widget
    while node is not None and hasattr(node, "display"):
        if not node.display:
            return False
        node = node.parent
    return True


def shown_text(app: Any, *, with_inputs: bool = False) -> str:
    """The text of every visible widget on every screen of the stack (a dialog over home
    counts): Statics and table cells, and the values of text fields when ``with_inputs``.
    Toasts are left out: a notification that fades is not a record kept in view."""
    from textual.widgets import DataTable, Input, Static
    from textual.widgets._toast import Toast

    parts: list[str] = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=False):
            if isinstance(widget, Toast) or not visible(widget):
                continue
            if isinstance(widget, DataTable):
                for row in range(widget.row_count):
                    parts.extend(
                        getattr(cell, "plain", str(cell)) for cell in widget.get_row_at(row)
                    )
            elif isinstance(widget, Static):
                parts.append(text_of(widget))
            elif with_inputs and isinstance(widget, Input):
                parts.append(widget.value)
    return "\n".join(parts)


def text_of(widget: Any) -> str:
    """What one Static shows, as plain text."""
    visual = widget.visual
    return str(getattr(visual, "plain", visual))


class LayoutCounter:
    """Counts a screen's layouts (its compositor's reflows) from when it is made: what the
    app-cost tests hold a key or a page turn to. ``count`` is set back to 0 between keys."""

    def __init__(self, screen: Any) -> None:
        self.count = 0
        compositor = screen._compositor
        reflow = compositor.reflow

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return reflow(*args, **kwargs)

        compositor.reflow = counted
