"""Client data never reaches stderr through a crash, and user-caused conditions at the command
line end in a clear message (exit 1), never a traceback or an "internal error"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kindcheck import cli
from kindcheck.cli import launch as cli_launch

SECRET = "Jansen-GEHEIM-4711"


def _crash_script(data_dir: Path) -> str:
    """An app (the real KindcheckApp) that fails in a handler with client data in a local."""
    return textwrap.dedent(f"""
        import os
        import sys
        from pathlib import Path
        from kindcheck.screens.app import KindcheckApp
        from kindcheck.screens.launch import _exit_code
        from kindcheck.service.vault_service import open_service
        from kindcheck.settings import Settings

        import kindcheck.screens.app as app_module

        class Crashing(KindcheckApp):
            CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

            def on_mount(self):
                client_name = os.environ["CLIENT_NAME"]  # not in the source shown
                raise RuntimeError("boom")

        settings = Settings(data_dir=Path({str(data_dir)!r}), lang="en", cursor_blink=False)
        app = Crashing(settings, open_service(settings.data_dir, lang="en"))
        result = app.run(headless=True, size=(80, 24))
        sys.exit(_exit_code(app, result))
    """)


def _run(code: str, tmp_path: Path, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KINDCHECK_DEBUG"}
    env.update(TMPDIR=str(tmp_path), COLUMNS="100", CLIENT_NAME=SECRET)
    if debug:
        env["KINDCHECK_DEBUG"] = "1"
    script = tmp_path / "crash_app.py"  # a file: Textual looks up the class's source
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )


def test_an_unhandled_error_in_the_app_prints_no_local_variables(tmp_path: Path) -> None:
    # Textual's own handler prints a traceback with show_locals=True: the client's name would
    # be on stderr (a terminal log, a redirected file). The app says one line instead, and
    # exits 1 (app.run() returns None after a crash; it used to become exit 0).
    result = _run(_crash_script(tmp_path / "vault"), tmp_path)
    assert SECRET not in result.stderr + result.stdout
    assert "internal error (RuntimeError)" in result.stderr
    assert "Traceback" not in result.stderr and "client_name" not in result.stderr
    assert result.returncode == 1


def test_with_debug_the_traceback_still_shows_no_local_variables(tmp_path: Path) -> None:
    result = _run(_crash_script(tmp_path / "vault"), tmp_path, debug=True)
    assert "RuntimeError" in result.stderr and "boom" in result.stderr
    assert SECRET not in result.stderr
    assert result.returncode == 1


def test_the_app_refuses_a_data_dir_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to offer "create a vault" on a path that can never hold one.
    from kindcheck.screens import app as app_module

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the app started")

    monkeypatch.setattr(app_module, "create_app", started)
    monkeypatch.setattr(cli_launch, "has_terminal", lambda: True)
    not_a_folder = tmp_path / "afile"
    not_a_folder.write_text("x")
    assert cli.main(["--data-dir", str(not_a_folder)]) == 1
    err = capsys.readouterr().err
    assert "is not a folder" in err and "internal error" not in err


def test_an_unreadable_settings_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kindcheck import settings as settings_module

    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text('lang = "en"\n')
    monkeypatch.setattr(settings_module, "config_dir", lambda env=None: config)
    real_read_text = Path.read_text

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        if self.name == "settings.toml":
            raise PermissionError(13, "Permission denied")
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refuse)
    monkeypatch.setattr(cli_launch, "has_terminal", lambda: True)
    assert cli.main(["--data-dir", str(tmp_path / "vault")]) == 1
    err = capsys.readouterr().err
    assert "settings.toml: cannot be read (Permission denied)" in err
    assert "internal error" not in err


def test_team_key_into_a_file_says_it_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    assert cli.main(["--lang", "en", "team-key", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "does not exist" not in err


def test_stale_demo_vaults_are_removed_but_a_running_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from filelock import FileLock
    from kindcheck.screens.launch import DEMO_PREFIX, remove_stale_demo_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{DEMO_PREFIX}old"
    running = tmp_path / f"{DEMO_PREFIX}running"
    for folder in (stale, running):
        folder.mkdir()
        (folder / "kindcheck.db").write_bytes(b"typed into a demo")
    with FileLock(str(running / "kindcheck.lock"), timeout=0):
        removed = remove_stale_demo_folders()
    assert removed == [stale]
    assert not stale.exists()
    assert (running / "kindcheck.db").exists()
