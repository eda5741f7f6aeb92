"""Nothing is lost and nothing typed is interpreted: a killed app, keys typed ahead, and text
with markup or terminal control sequences in every free-text field."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kindcheck.screens.widgets.safe_text_area import SafeTextArea
from support.app import (
    KINDCHECK_CHILDREN_KEYS,
    PASSPHRASE,
    SIZE,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    skip_to_last_scan_page,
    start_intake,
    unlock,
    wait_screen,
    wait_until,
)
from textual import events
from textual.widgets import Input, Static

TESTS = Path(__file__).resolve().parents[1]  # support/ lives here
HOSTILE = ["[red]x[/]", "[$accent]", "[@click=app.quit]", "\x1b[2J", "\x1b]0;title\x07", "\x9b31m"]
ONE_LINE = " ".join(HOSTILE)
SHOWN = "[red]x[/] [$accent] [@click=app.quit] [2J ]0;title 31m"


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return fresh_vault(tmp_path)


def screen_text(app) -> str:
    """What the screen shows, line by line, as the compositor renders it for the terminal.

    Every character of every segment is checked: no ESC, CSI, OSC, BEL or other control
    character reaches the terminal from the content (Textual adds its own codes around it).
    """
    strips = app.screen._compositor.render_strips()
    text = "\n".join(strip.text for strip in strips)
    controls = [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0]
    assert not controls, controls
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x9b" not in svg and "\x07" not in svg
    return text


async def paste(pilot, text: str) -> None:
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def test_keys_typed_ahead_land_on_the_right_questions(vault_dir: Path):
    app = make_app(vault_dir, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot)
        # Faster than the screen moves on: yes (children), no (pregnancy), 2 (how many).
        for key in ("j", "n", "2"):
            app._driver.send_message(events.Key(key, key))
        await wait_until(pilot, lambda: screen.query_one("#number", Input).value == "2")
        assert screen.intake.kindcheck.answers == {"has_minor_children": "yes", "pregnancy": "no"}
        await pilot.press(*KINDCHECK_CHILDREN_KEYS[3:])  # the two children, as usual
        await pilot.press(*kindcheck_keys()[len(KINDCHECK_CHILDREN_KEYS) :])
        assert screen.intake.phase == "scan"
        for key in ("n", "j", "n", "j", "n"):  # money: debts; work: wants activity, no job loss
            app._driver.send_message(events.Key(key, key))
        await wait_until(pilot, lambda: screen.intake.position == "wonen")
        assert screen.intake.scan.answers == {
            "fin_arrears": "no",
            "fin_debts": "yes",
            "fin_children_basics": "no",
            "werk_wants_activity": "yes",
            "werk_job_loss": "no",
        }
        await settle(pilot)


KILLED_RUN = textwrap.dedent("""
    import asyncio, os, signal, sys
    sys.path.insert(0, sys.argv[2])
    from pathlib import Path
    from support.app import make_app, settle, start_intake, wait_screen

    async def main():
        app = make_app(Path(sys.argv[1]), unlocked=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_screen(pilot, "HomeScreen")
            await start_intake(pilot, "EPD-999")
            await pilot.press("j", "n", "2", "enter", "7", "enter")
            await settle(pilot)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind

    asyncio.run(main())
""")


async def test_a_draft_resumes_after_the_app_was_killed_mid_intake(vault_dir: Path):
    result = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(vault_dir), str(TESTS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    app = make_app(vault_dir)
    async with app.run_test(size=SIZE) as pilot:
        home = await unlock(pilot)
        await wait_until(pilot, lambda: home.overview is not None)
        (draft,) = home.overview.drafts
        assert draft.reference == "EPD-999"
        assert "EPD-999" in screen_text(app)
        await pilot.press("r")
        screen = await wait_screen(pilot, "IntakeScreen")
        assert screen.step.key == "child_birth_date[0]"  # where it was
        assert screen.intake.child_count() == 2
        assert screen.intake.child_age(0) == 7
        await pilot.press("enter", "1")  # and it goes on from there
        assert screen.step.question.id == "child_living"


async def test_typed_text_is_shown_literally_and_sends_no_control_codes(tmp_path: Path):
    data_dir = tmp_path / "vault"
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        create = await wait_screen(pilot, "CreateVaultScreen")
        await paste(pilot, ONE_LINE)  # the user name field has the focus
        assert create.query_one("#user-name", Input).value == SHOWN
        create.query_one("#passphrase", Input).value = PASSPHRASE
        create.query_one("#passphrase-repeat", Input).value = PASSPHRASE
        create.query_one("#passphrase-repeat", Input).focus()
        await pilot.press("enter")
        await wait_screen(pilot, "RecoveryKeyScreen")
        await pilot.press("space", "enter")
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        assert SHOWN in screen_text(app)  # the user's name in the title bar, literally

        # The search field.
        await pilot.press("slash")
        await paste(pilot, ONE_LINE)
        assert home.query_one("#search", Input).value == SHOWN
        assert SHOWN in screen_text(app)
        home.query_one("#search", Input).value = ""
        await pilot.press("escape")  # out of the search field

        # The intake form: the optional name (the reference only takes letters and digits).
        await pilot.press("n")
        start = await wait_screen(pilot, "IntakeStartScreen")
        await pilot.press(*"EPD-4242", "enter")
        await paste(pilot, ONE_LINE)
        assert start.query_one("#name", Input).value == SHOWN
        await pilot.press("enter", "enter")
        screen = await wait_screen(pilot, "IntakeScreen")

        # Free-text answers: a short text and the two long ones (with a newline kept).
        keys = kindcheck_keys(signals=("n",) * 6 + ("j",))
        await pilot.press(*keys[:31])
        assert screen.step.question.id == "crisis_plan_who"
        await paste(pilot, ONE_LINE)
        assert screen.query_one("#text", Input).value == SHOWN
        assert SHOWN in screen_text(app)
        await pilot.press("enter", *keys[35:-1])
        assert screen.step.question.id == "sig_other_note"
        await paste(pilot, ONE_LINE)
        area = screen.query_one("#longtext", SafeTextArea)
        area.insert("\nline two \x1b[31m")
        assert "\x1b" not in area.text and area.text.startswith(SHOWN)
        assert SHOWN in screen_text(app)
        await pilot.press("ctrl+n")
        assert screen.intake.kindcheck.answers["sig_other_note"].startswith(SHOWN)
        assert screen.intake.kindcheck.answers["crisis_plan_who"] == SHOWN
        await pilot.press("ctrl+n")  # the closing note: left empty
        assert screen.intake.phase == "scan"
        assert app.is_running  # [@click=app.quit] did nothing
        await settle(pilot)
        drafts = app.service.overview().drafts
        assert "\x1b" not in repr(drafts[0].payload)

        # The name on the client page, after saving.
        await skip_to_last_scan_page(pilot)
        await wait_screen(pilot, "OutcomeScreen")
        await pilot.press("ctrl+s")
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        title = client.query_one("#client-title", Static)
        assert SHOWN in str(title.render())
        assert SHOWN in screen_text(app)
        assert app.is_running


def test_a_stored_text_with_control_codes_is_cleaned_when_shown():
    from kindcheck.screens.widgets.safe import literal, literal_cell

    assert literal(ONE_LINE).plain == SHOWN
    assert literal_cell(ONE_LINE).plain == SHOWN
    assert literal("[b]x[/b]").spans == []
