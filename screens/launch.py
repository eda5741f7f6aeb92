"""``kindcheck`` and ``kindcheck demo`` start here (called by kindcheck.cli)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kindcheck.errors import KindcheckError

if TYPE_CHECKING:
    from kindcheck.settings import Settings


def run_app(data_dir: Path | None = None, lang: str | None = None, demo: bool = False) -> int:
    """Run the app until the user quits; return the exit code."""
    from kindcheck.settings import SettingsError, load_settings

    try:
        settings = load_settings(data_dir=data_dir, lang=lang, demo=demo)
    except SettingsError as error:
        raise KindcheckError(str(error)) from None
    if demo:
        return _run_demo(settings)
    folder = settings.resolved_data_dir()
    if folder.exists() and not folder.is_dir():
        # Said here, on the command line: the app would offer to create a vault it cannot make.
        raise KindcheckError(f"{folder} exists and is not a folder")
    from .app import create_app

    app = create_app(settings)
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


def first_screen_app(data_dir: Path, lang: str = "nl") -> object:
    """The app as ``kindcheck`` builds it (for the startup benchmark)."""
    from kindcheck.settings import load_settings

    from .app import create_app

    return create_app(load_settings(data_dir=data_dir, lang=lang))


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
