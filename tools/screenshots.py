"""Pictures of the real screens for the guides in docs/ (docs/img/<lang>/<name>.png).

    python tools/screenshots.py                 # every picture, Dutch and English
    python tools/screenshots.py --lang nl home  # one language, some pictures
    python tools/screenshots.py --svg           # keep the SVGs beside the PNGs

The real app runs headless (Textual's ``App.run_test``, 100 x 30 characters) on a demo vault
built through the public service API (kindcheck.service.demo: synthetic clients only) with a
fixed "today", so the same code makes the same pictures. It is walked as a user walks it:
keys on the screens (Ctrl+R on the unlock screen, n, /, h, e, g on the overview) and the app's
own navigation messages for the intake, with the session prepared through the public Intake
API (a half-answered Kindcheck, a problem-scan page, a complete session: what a resumed draft
would show). No coordinates, no typing of whole questionnaires: when a screen changes, run the
script again and look at the pictures.

Textual writes each screen as SVG; it is turned into PNG with cairosvg (``pip install -e
'.[docs]'``) or, when that is missing, the ``rsvg-convert`` program (librsvg).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kindcheck.screens.app import KindcheckApp, create_app
from kindcheck.screens.messages import IntakeStarted

from kindcheck.questionnaire import Step, Walker
from kindcheck.service.demo import DEMO_PASSPHRASE, DemoClient, build_demo_service, demo_intake
from kindcheck.service.intake import Intake
from kindcheck.service.vault_service import VaultService
from kindcheck.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
SIZE = (100, 30)
TODAY = date(2026, 11, 2)  # a fixed day: the pictures only change when a screen does
# The clock as the vault sees it (saved drafts, the access log), frozen with time-machine
# where it is installed (the docs extra), in Dutch time.
NOW = datetime(2026, 11, 2, 10, 15, tzinfo=ZoneInfo("Europe/Amsterdam"))
LANGS = ("nl", "en")

# The pictures, in the order they are taken (each name is docs/img/<lang>/<name>.png).
NAMES = (
    "unlock",
    "recovery",
    "home",
    "intake-start",
    "intake-question",
    "scan-page",
    "outcome",
    "client",
    "followup",
    "export",
    "access-log",
)

# A parent of two (4 and 9), three problem domains: the "hulp bij opvoeden" flag.
INTAKE_CLIENT = DemoClient(
    "EPD-204518",
    0,
    children=((4, "always"), (9, "part_time")),
    problems=frozenset({"fin_debts", "won_too_small", "net_no_fallback"}),
)
CLIENT_PAGE = "DEMO-005"  # children, a safety signal, Meldcode steps, three domains


class ScreenshotError(Exception):
    """The walk did not reach a screen (a screen was renamed or behaves differently)."""


# --------------------------------------------------------------------------------------------
# The sessions to show (public API: Intake, Walker)


def _clear_from(walker: Walker, first: Step) -> None:
    """Forget the answers of ``first`` and every step after it (as if not asked yet)."""
    steps = walker.steps()
    keys = [step.key for step in steps]
    for step in reversed(steps[keys.index(first.key) :]):
        walker.clear(step)


def _clear_all(walker: Walker) -> None:
    for step in reversed(walker.steps()):
        walker.clear(step)


def question_intake() -> Intake:
    """The Kindcheck half-way: the first safety question, with the children already named."""
    intake = demo_intake(INTAKE_CLIENT, TODAY)
    _clear_all(intake.scan)
    walker = intake.kindcheck
    target = next(
        (step for step in walker.steps() if step.question.id.startswith("sig_")), None
    ) or next(step for step in walker.steps() if step.question.role == "child_living")
    _clear_from(walker, target)
    intake.phase, intake.position = "kindcheck", target.key
    return intake


def scan_intake() -> Intake:
    """The problem scan on its second page, its first row answered."""
    intake = demo_intake(INTAKE_CLIENT, TODAY)
    pages = intake.scan_pages()
    page = pages[min(1, len(pages) - 1)]
    _clear_from(intake.scan, page.steps[min(1, len(page.steps) - 1)])
    intake.phase, intake.position = "scan", page.domain_id
    return intake


def outcome_intake() -> Intake:
    intake = demo_intake(INTAKE_CLIENT, TODAY)
    intake.phase, intake.position = "outcome", None
    return intake


# --------------------------------------------------------------------------------------------
# Walking the app


class Walk:
    """One app on the demo vault, in one language; ``shot`` saves what the screen shows."""

    def __init__(self, pilot: Any, lang: str, out: Path, wanted: set[str], keep_svg: bool):
        self.pilot = pilot
        self.app: KindcheckApp = pilot.app
        self.lang = lang
        self.out = out
        self.wanted = wanted
        self.keep_svg = keep_svg
        self.made: list[Path] = []

    async def settle(self) -> None:
        """Let workers (loading, autosaves, counting) finish and their messages land."""
        for _ in range(3):
            await self.app.workers.wait_for_complete()
            await self.pilot.pause(0.05)

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                screen = type(self.app.screen).__name__
                raise ScreenshotError(f"{self.lang}: waited for {what}; the screen is {screen}")
            await self.pilot.pause(0.05)

    async def screen(self, name: str) -> None:
        await self.until(lambda: type(self.app.screen).__name__ == name, name)
        await self.settle()

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    async def shot(self, name: str) -> None:
        assert name in NAMES, name
        if name not in self.wanted:
            return
        await self.settle()
        svg = self.app.export_screenshot(title=f"Kindcheck: {name}")
        target = self.out / f"{name}.png"
        write_png(svg, target)
        if self.keep_svg:
            target.with_suffix(".svg").write_text(svg, "utf-8")
        self.made.append(target)

    async def home(self) -> None:
        """Back to the overview the way the app does it (open work kept as a draft)."""
        self.app.show_home()
        await self.screen("HomeScreen")

    async def start_with(self, intake: Intake, expect: str) -> None:
        """The start form of a new intake, then the session as the form hands it over."""
        await self.press("n")
        await self.screen("IntakeStartScreen")
        self.app.screen.post_message(IntakeStarted(intake))
        await self.screen(expect)


async def walk(walker: Walk, passphrase: str) -> None:
    await walker.screen("UnlockScreen")
    await walker.shot("unlock")
    await walker.press("ctrl+r")
    await walker.screen("RecoveryUnlockScreen")
    await walker.shot("recovery")
    await walker.press("escape")
    await walker.screen("UnlockScreen")
    await walker.pilot.press(*passphrase, "enter")
    await walker.screen("HomeScreen")
    await walker.shot("home")

    await walker.press("n")
    await walker.screen("IntakeStartScreen")
    await walker.pilot.press(*INTAKE_CLIENT.reference)
    await walker.shot("intake-start")
    await walker.press("escape")
    await walker.screen("HomeScreen")

    await walker.start_with(question_intake(), "IntakeScreen")
    await walker.shot("intake-question")
    await walker.home()
    await walker.start_with(scan_intake(), "IntakeScreen")
    await walker.shot("scan-page")
    await walker.home()
    await walker.start_with(outcome_intake(), "OutcomeScreen")
    await walker.shot("outcome")
    await walker.home()

    await walker.press("slash")
    await walker.pilot.press(*CLIENT_PAGE, "enter")
    await walker.press("o")
    await walker.screen("ClientScreen")
    await walker.until(lambda: getattr(walker.app.screen, "detail", None) is not None, "client")
    await walker.shot("client")
    await walker.home()

    # The search left DEMO-005 chosen in the client list: h holds its (overdue) follow-up.
    await walker.press("h")
    await walker.screen("IntakeScreen")
    await walker.shot("followup")
    await walker.home()

    await walker.press("e")
    await walker.screen("ExportScreen")
    await walker.until(lambda: not getattr(walker.app.screen, "busy", False), "the counts")
    await walker.shot("export")
    await walker.press("escape")
    await walker.screen("HomeScreen")

    await walker.press("g")
    await walker.screen("AccessLogScreen")
    await walker.shot("access-log")


# --------------------------------------------------------------------------------------------
# SVG to PNG


def write_png(svg: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        import cairosvg  # type: ignore[import-untyped]
    except (ImportError, OSError):  # OSError: the package is there, the cairo library not
        cairosvg = None
    if cairosvg is not None:
        cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(target))
        return
    program = shutil.which("rsvg-convert")
    if program is None:
        raise ScreenshotError(
            "no SVG converter: pip install -e '.[docs]' (cairosvg), or install rsvg-convert"
        )
    subprocess.run(
        [program, "--format=png", f"--output={target}"], input=svg.encode("utf-8"), check=True
    )


# --------------------------------------------------------------------------------------------


def frozen_clock() -> contextlib.AbstractContextManager[object]:
    """Wall-clock time stands still at NOW (timers run on the monotonic clock, untouched)."""
    if hasattr(time, "tzset"):
        os.environ["TZ"] = "Europe/Amsterdam"
        time.tzset()
    try:
        import time_machine
    except ImportError:
        return contextlib.nullcontext()
    return time_machine.travel(NOW, tick=False)


async def take(lang: str, out: Path, wanted: set[str], keep_svg: bool) -> list[Path]:
    with (
        frozen_clock(),
        tempfile.TemporaryDirectory(prefix="kindcheck-screenshots-") as scratch,
    ):
        folder = Path(scratch) / "vault"
        build_demo_service(folder, today=TODAY).close()  # built, then locked: the unlock screen

        def clock() -> date:
            return TODAY

        settings = Settings(data_dir=folder, lang=lang, cursor_blink=False, idle_lock_minutes=60)
        app = create_app(settings, VaultService(folder, clock, lang), clock)
        try:
            async with app.run_test(size=SIZE) as pilot:
                walker = Walk(pilot, lang, out / lang, wanted, keep_svg)
                await walk(walker, DEMO_PASSPHRASE)
                return walker.made
        finally:
            app.service.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(NAMES))
    parser.add_argument("--lang", choices=LANGS, action="append", help="default: nl and en")
    parser.add_argument("-o", "--output", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--svg", action="store_true", help="keep the SVG beside each PNG")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"no picture named {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    wanted = set(args.names or NAMES)
    for lang in args.lang or LANGS:
        try:
            made = asyncio.run(take(lang, args.output, wanted, args.svg))
        except ScreenshotError as error:
            print(f"screenshots: {error}", file=sys.stderr)
            return 1
        for path in made:
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
