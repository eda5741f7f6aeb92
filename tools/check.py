"""Every static check CI runs, in one command: `python tools/check.py`.

- ruff: lint (`ruff check`) and formatting (`ruff format --check`);
- import-linter: the layer, no-circle and no-app-in-the-core contracts of pyproject.toml, over
  the package as it is installed (tools/staged.py: the screens are seen);
- mypy --strict over the same layout, as Linux, Windows and macOS each see it: typeshed marks
  what an OS lacks (os.O_NOFOLLOW, fcntl, os.fchmod, ... on Windows), so a POSIX-only call fails
  here instead of on a user's laptop.

Each check runs even when an earlier one failed; the exit status is 1 when any failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGED = [sys.executable, str(ROOT / "tools" / "staged.py")]

CHECKS: list[tuple[str, list[str]]] = [
    ("ruff check", [sys.executable, "-m", "ruff", "check", "."]),
    ("ruff format --check", [sys.executable, "-m", "ruff", "format", "--check", "."]),
    ("import contracts", [*STAGED, "lint-imports"]),
    ("mypy --strict (linux)", [*STAGED, "mypy", "--platform", "linux"]),
    ("mypy --strict (win32)", [*STAGED, "mypy", "--platform", "win32"]),
    ("mypy --strict (darwin)", [*STAGED, "mypy", "--platform", "darwin"]),
]


def main() -> int:
    failed = []
    for name, command in CHECKS:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        print(f"{'ok  ' if result.returncode == 0 else 'FAIL'} {name}", flush=True)
        if result.returncode != 0:
            failed.append(name)
            sys.stdout.write(result.stdout[-6000:])
            sys.stdout.write(result.stderr[-2000:])
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
