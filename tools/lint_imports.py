"""Run import-linter on the package as it is installed, not as it lies in the repository.

screens/ and questionnaires/ stand at the top of the repository but are installed as
kindcheck.screens and kindcheck.questionnaires (setuptools ``package-dir`` in pyproject.toml).
import-linter builds its graph from the files under the ``kindcheck`` directory, so run in
place it never sees kindcheck.screens: an import of the app from the core would pass
unnoticed. This script copies the Python files into the installed layout in a temporary
folder, read from pyproject.toml's own mapping, and runs ``lint-imports`` there with the
contracts of pyproject.toml.

    python tools/lint_imports.py            # exit status of lint-imports
    python tools/lint_imports.py --keep DIR # stage into DIR and keep it (to plant an import)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Each installed package name with its folder in the repository."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    mapped = setuptools.get("package-dir", {})
    return {
        name: root / mapped.get(name, name.replace(".", "/")) for name in setuptools["packages"]
    }


def stage(dest: Path, root: Path = ROOT) -> Path:
    """Copy the packages' Python files into ``dest`` in their installed layout."""
    for name, folder in package_dirs(root).items():
        target = dest.joinpath(*name.split("."))
        for source in folder.rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            relative = source.relative_to(folder)
            out = target / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out)
    shutil.copyfile(root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def lint(staged: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over a staged copy; its output is in the result."""
    scripts = Path(sysconfig.get_path("scripts"))
    command = shutil.which("lint-imports", path=str(scripts)) or "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(staged)}
    return subprocess.run(
        [command, str(staged / "pyproject.toml"), "--no-cache"],
        cwd=staged,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="stage into this folder and keep it")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = lint(stage(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="kindcheck-lint-") as folder:
            result = lint(stage(Path(folder)))
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
