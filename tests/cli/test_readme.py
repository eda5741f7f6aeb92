"""README's two commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_opens_with_an_app_command_and_a_test_command() -> None:
    app, tests = readme_commands()
    assert app.endswith("&& kindcheck")
    assert "pip install -e '.[test]'" in tests and tests.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _app, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert tests in ci


def test_every_file_a_documented_command_names_exists() -> None:
    """A command in README or docs/ that names a test, benchmark or tool file names one that
    is there: a soak or benchmark command copied from the docs runs, not "file not found"."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {
        (document.name, path)
        for document in documents
        for path in re.findall(
            r"(?<![\w/.])((?:tests|benchmarks|tools)/[\w/.-]+\.py)\b", document.read_text("utf-8")
        )
    }
    assert named, "no file named: the pattern no longer matches how the docs name files"
    missing = sorted((name, path) for name, path in named if not (ROOT / path).is_file())
    assert missing == []
