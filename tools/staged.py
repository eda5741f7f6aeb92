"""Run import-linter or mypy on the package as it is installed, not as it lies in the repository.

screens/ and questionnaires/ stand at the top of the repository but are installed as
kindcheck.screens and kindcheck.questionnaires (setuptools ``package-dir`` in pyproject.toml).
Run in place, neither tool sees kindcheck.screens: import-linter builds its graph from the
files under ``kindcheck/`` (an import of the app from the core would pass unnoticed), and mypy
cannot resolve ``kindcheck.screens`` or the screens' relative imports. This script copies the
Python files into the installed layout in a temporary folder, read from pyproject.toml's own
mapping, runs the tool there with the settings of pyproject.toml, and writes the tool's output
with every staged path turned back into the repository's path (screens/app.py, not
kindcheck/screens/app.py).

    python tools/staged.py lint-imports           # the contracts of pyproject.toml
    python tools/staged.py mypy                   # mypy --strict over kindcheck, screens too
    python tools/staged.py mypy --platform win32  # extra arguments go to mypy
    python tools/staged.py --keep DIR mypy        # stage into DIR and keep it (to plant code)

The exit status is the tool's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("lint-imports", "mypy")


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Each installed package name with its folder in the repository.

    A package without its own ``package-dir`` entry lies under its nearest mapped parent
    (kindcheck.screens.widgets in screens/widgets), as setuptools resolves it."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    mapped: dict[str, str] = setuptools.get("package-dir", {})
    found: dict[str, Path] = {}
    for name in setuptools["packages"]:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            parent = ".".join(parts[:cut])
            if parent in mapped:
                found[name] = root / mapped[parent] / Path(*parts[cut:])
                break
        else:
            found[name] = root / Path(*parts)
    return found


def stage(dest: Path, root: Path = ROOT) -> Path:
    """Copy the packages' Python files into ``dest`` in their installed layout."""
    for name, folder in package_dirs(root).items():
        target = dest.joinpath(*name.split("."))
        for source in folder.glob("*.py"):
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / source.name)
    shutil.copyfile(root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def back_to_repository(text: str, staged: Path, root: Path = ROOT) -> str:
    """Staged paths in a tool's output as the repository's paths (relative to it)."""
    text = text.replace(f"{staged}{os.sep}", "")
    for name, folder in sorted(package_dirs(root).items(), key=lambda item: -len(item[0])):
        installed = "/".join(name.split(".")) + "/"
        relative = folder.relative_to(root).as_posix() + "/"
        if installed != relative:
            # Only at the start of a path: kindcheck/screens/x.py, never inside another word.
            text = re.sub(rf"(?m)(^|[\s(\"']){re.escape(installed)}", rf"\g<1>{relative}", text)
    return text


def command_for(tool: str, staged: Path, extra: list[str]) -> list[str]:
    scripts = Path(sysconfig.get_path("scripts"))
    program = shutil.which(tool, path=str(scripts)) or tool
    if tool == "lint-imports":
        return [program, str(staged / "pyproject.toml"), "--no-cache", "--no-logo", *extra]
    # mypy's settings ([tool.mypy], strict) come from the staged pyproject.toml; its own
    # cache lives in the repository so repeated runs are fast.
    platform = extra[extra.index("--platform") + 1] if "--platform" in extra[:-1] else "here"
    cache = ROOT / ".mypy_cache" / f"staged-{platform}"
    return [program, "--strict", "--cache-dir", str(cache), *extra, "kindcheck"]


def run(tool: str, staged: Path, extra: list[str]) -> subprocess.CompletedProcess[str]:
    """The tool over a staged copy; its output, paths mapped back, is in the result."""
    env = {**os.environ, "PYTHONPATH": str(staged)}
    result = subprocess.run(
        command_for(tool, staged, extra),
        cwd=staged,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    result.stdout = back_to_repository(result.stdout, staged)
    result.stderr = back_to_repository(result.stderr, staged)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--keep", type=Path, help="stage into this folder and keep it")
    parser.add_argument("tool", choices=TOOLS)
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="more arguments for the tool")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args.tool, stage(args.keep.resolve()), args.extra)
    else:
        with tempfile.TemporaryDirectory(prefix="kindcheck-staged-") as folder:
            result = run(args.tool, stage(Path(folder).resolve()), args.extra)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
