"""Snapshots of the unlock screen, the overview, a question and the outcome, in Dutch and
English, at 80x24.

Deterministic: a fixed clock (time-machine, also while the vault is filled, so stored times
are fixed), no cursor blink (the settings switch it off), fixed synthetic data, no hostnames or
versions on screen. Review every changed SVG before accepting it (--snapshot-update).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from kindcheck.screens.intake import IntakeScreen
from kindcheck.screens.outcome import OutcomeScreen
from support.app import (
    PASSPHRASE,
    SIZE,
    make_app,
    start_intake,
    wait_screen,
    wait_until,
)

from kindcheck.answers import session_from_dict
from kindcheck.service.demo import DemoClient, build_demo_service, demo_intake
from kindcheck.service.intake import Intake

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
TODAY = NOW.date()
LANGUAGES = ["nl", "en"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fixed_today() -> date:
    return TODAY


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo caseload at the fixed date, with the tests' passphrase."""
    folder = tmp_path_factory.mktemp("demo-template")
    with time_machine.travel(NOW, tick=False):
        service = build_demo_service(folder, TODAY, passphrase=PASSPHRASE)
        service.close()
    return folder


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unlock(snap_compare, frozen, demo_dir: Path, lang: str):
    app = make_app(demo_dir, lang, clock=fixed_today)

    async def ready(pilot):
        await wait_screen(pilot, "UnlockScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home(snap_compare, frozen, demo_dir: Path, lang: str):
    app = make_app(demo_dir, lang, unlocked=True, clock=fixed_today)

    async def ready(pilot):
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_question(snap_compare, frozen, demo_dir: Path, lang: str):
    """Child 1 of 2: a numbered choice, with "why we ask" shown (h; F1 is the help screen)."""
    app = make_app(demo_dir, lang, unlocked=True, clock=fixed_today)
    yes = "j" if lang == "nl" else "y"

    async def ready(pilot):
        await wait_screen(pilot, "HomeScreen")
        await start_intake(pilot, "EPD-1234")
        await pilot.press(yes, "n", "2", "enter", "4", "enter", "enter", "h")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_outcome(snap_compare, frozen, demo_dir: Path, lang: str):
    """A safety signal and three problem domains: the Meldcode steps come first."""
    app = make_app(demo_dir, lang, unlocked=True, clock=fixed_today)
    client = DemoClient(
        "EPD-5678",
        0,
        children=((6, "always"), (10, "part_time")),
        signals=frozenset({"sig_domestic_violence"}),
        problems=frozenset({"fin_debts", "won_too_small", "net_no_fallback"}),
    )

    async def ready(pilot):
        await wait_screen(pilot, "HomeScreen")
        intake = demo_intake(client, TODAY)
        intake.phase = "outcome"
        pilot.app.push_screen(IntakeScreen(intake))
        outcome = await wait_screen(pilot, "OutcomeScreen")
        await wait_until(pilot, lambda: outcome.outcome is not None)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def _v2_intake(name: str) -> Intake:
    """A version-2 intake answered as in ``examples/<name>``, on the outcome page."""
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    session = session_from_dict(data)
    intake = Intake(session.client_reference, session.setting, session.session_date)
    for part in session.parts.values():
        walker = intake.main if part.questionnaire.id == "kindcheck" else intake.scan
        walker.answers = dict(part.answers)
    intake.phase = "outcome"
    return intake


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("example", ["v2-violence-no-children.json", "v2-worries-no-signal.json"])
def test_outcome_version_2(snap_compare, frozen, demo_dir: Path, lang: str, example: str):
    """Version 2: with a signal "bel 112" and Veilig Thuis first; without one, the concerns
    each with their next steps, then the open items."""
    app = make_app(demo_dir, lang, unlocked=True, clock=fixed_today)

    async def ready(pilot):
        await wait_screen(pilot, "HomeScreen")
        pilot.app.push_screen(OutcomeScreen(_v2_intake(example), lambda: None))
        outcome = await wait_screen(pilot, "OutcomeScreen")
        await wait_until(pilot, lambda: outcome.outcome is not None)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("where", ["first page", "proposed answer"])
def test_scan_page(snap_compare, frozen, demo_dir: Path, lang: str, where: str):
    """A problem-scan page: the current row in the cursor colours, a "yes" that counts (its
    chip marked as a problem) and a "no"; and a page with a proposed answer to confirm (in the
    GGZ, the mental-health indicator). The rows' looks are set inline (answers.LOOK_CSS):
    these were made on the code that set them by CSS classes, and must not change."""
    app = make_app(demo_dir, lang, unlocked=True, clock=fixed_today)
    yes = "j" if lang == "nl" else "y"

    async def ready(pilot):
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-1234")
        intake = screen.intake
        for step in intake.main.steps():  # the Kindcheck answered directly: "no" throughout
            if step.question.type == "yesno" and intake.main.get(step) is None:
                intake.main.answer(step, "no")
        pages = intake.scan_pages()
        index = 0
        if where == "proposed answer":
            index = next(
                i
                for i, page in enumerate(pages)
                if any(intake.scan.prefill(step) is not None for step in page.steps)
            )
        screen.show_page(index)
        await pilot.pause()
        if where == "first page":
            await pilot.press(yes, "n")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
