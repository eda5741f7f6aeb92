"""``kindcheck`` and ``kindcheck demo`` start here (called by kindcheck.cli)."""

from __future__ import annotations

import gc
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kindcheck.errors import KindcheckError

if TYPE_CHECKING:
    from kindcheck.settings import Settings

    from .app import KindcheckApp


def run_app(data_dir: Path | None = None, lang: str | None = None, demo: bool = False) -> int:
    """Run the app until the user quits; return the exit code.

    Python's cycle collector is paused from here until the first screen is drawn (the app
    resumes it then, ``KindcheckApp.mark_first_paint``): start-up makes some hundred thousand
    objects that live as long as the app (Textual's modules and classes, the settings, the
    first screen's widgets), and the collector walked them again and again while they were
    made, about 10 ms of the first screen's CPU for nothing to collect. Reference counting
    frees memory meanwhile, as always.
    """
    gc.disable()
    try:
        return _run_app(data_dir, lang, demo)
    finally:
        gc.enable()  # had the app stopped before its first screen was drawn


def _run_app(data_dir: Path | None, lang: str | None, demo: bool) -> int:
    from kindcheck.settings import SettingsError, load_settings

    try:
        settings = load_settings(data_dir=data_dir, lang=lang, demo=demo)
    except SettingsError as error:
        raise KindcheckError(str(error)) from None
    if demo:
        gc.enable()  # the demo builds its vault first: a start-up of another kind
        return _run_demo(settings)
    folder = settings.resolved_data_dir()
    if folder.exists() and not folder.is_dir():
        # Said here, on the command line: the app would offer to create a vault it cannot make.
        raise KindcheckError(f"{folder} exists and is not a folder")
    from .app import create_app

    app = create_app(settings)
    app.resume_collector_at_first_paint = True
    try:
        result = app.run()
    finally:
        app.service.close()
    return _exit_code(app, result)


def _exit_code(app: object, result: object) -> int:
    """The app's result, or 1 when it stopped on an unhandled error (``run`` then returns
    None and only ``return_code`` tells)."""
    code = getattr(app, "return_code", None)
    if code:
        return int(code)
    return result if isinstance(result, int) else 0


def first_screen_app(data_dir: Path, lang: str = "nl") -> KindcheckApp:
    """The app as ``kindcheck`` builds it, the collector paused as there (for the startup
    benchmark and its tests)."""
    gc.disable()
    try:
        from kindcheck.settings import load_settings

        from .app import create_app

        app = create_app(load_settings(data_dir=data_dir, lang=lang))
    except BaseException:
        gc.enable()
        raise
    app.resume_collector_at_first_paint = True
    return app


DEMO_PREFIX = "kindcheck-demo-"


def remove_stale_demo_folders() -> list[Path]:
    """Remove demo vaults left by a demo that was killed or whose terminal closed.

    The demo passphrase is published, so anything typed into a demo must not outlive it. A folder
    whose lock can be taken belongs to no running demo.
    """
    from filelock import FileLock, Timeout

    removed: list[Path] = []
    for folder in Path(tempfile.gettempdir()).glob(f"{DEMO_PREFIX}*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = FileLock(str(folder / "kindcheck.lock"), timeout=0)
        try:
            with lock:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except (Timeout, OSError):
            continue
    return removed


def _run_demo(settings: Settings) -> int:
    """The app on a throwaway vault with synthetic clients, removed afterwards."""
    from kindcheck.service.demo import state_kept_in

    remove_stale_demo_folders()
    folder = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))
    try:
        with state_kept_in(folder / "state"):
            return _run_demo_app(settings, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_demo_app(settings: Settings, folder: Path) -> int:
    from dataclasses import replace

    from kindcheck.service.demo import DEMO_PASSPHRASE, build_demo_service

    from .app import create_app

    service = build_demo_service(folder)
    app = create_app(replace(settings, data_dir=folder), service)
    # Shown on the demo's unlock screen, where it is needed (no longer printed before the app
    # takes the terminal, where it scrolled away).
    app.demo_passphrase = DEMO_PASSPHRASE
    try:
        result = app.run()
    finally:
        service.close()
    return _exit_code(app, result)
