"""What an operating system lacks is caught by a check, not by a user: mypy reads typeshed as
Windows, macOS and Linux each see it (tools/check.py runs all three over the whole package).

The bug that made this a rule: kindcheck/paths.py used ``os.O_NOFOLLOW``, which Windows does
not have, so every file export crashed there with AttributeError. Planted back into a staged
copy of paths.py, the Windows run fails and the Linux run passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mypy_paths_module(
    tmp_path: Path, platform: str, planted: str
) -> subprocess.CompletedProcess[str]:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import staged
    finally:
        sys.path.remove(str(ROOT / "tools"))
    folder = staged.stage(tmp_path / "stage")
    with (folder / "kindcheck" / "paths.py").open("a", encoding="utf-8") as source:
        source.write(f"\n\ndef _planted() -> int:\n    return {planted}\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--platform",
            platform,
            "--cache-dir",
            str(tmp_path / "cache"),
            "kindcheck/paths.py",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("planted", ["os.O_NOFOLLOW", "os.getuid()"])
def test_a_posix_only_call_fails_the_windows_type_check(tmp_path: Path, planted: str) -> None:
    windows = mypy_paths_module(tmp_path, "win32", planted)
    assert windows.returncode != 0
    assert 'Module has no attribute "' in windows.stdout, windows.stdout
    linux = mypy_paths_module(tmp_path, "linux", planted)
    assert linux.returncode == 0, linux.stdout
