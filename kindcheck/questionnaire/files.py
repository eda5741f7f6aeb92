"""Where content files are, and what kind of file each is, without loading them."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

FILE_KINDS = ("questionnaire", "catalog", "guide")
_KIND_LINE = re.compile(r'^kind\s*=\s*"([a-z_]+)"\s*(#.*)?$', re.MULTILINE)
KEY = re.compile(r"^([a-z][a-z0-9_]*)-v(\d+)$")


def questionnaire_dir() -> Path:
    """Where the shipped questionnaire files are, from a source checkout or an installed wheel."""
    return Path(str(resources.files("kindcheck.questionnaires")))


def file_kind(path: Path) -> str:
    """The file's top-level ``kind`` (absent: "questionnaire"), read cheaply, without TOML.

    A catalog or a guide says so on a line of its own near the top; a file whose kind cannot
    be read this way is treated as a questionnaire, and its loader then reports the problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "questionnaire"
    match = _KIND_LINE.search(text)
    return match.group(1) if match else "questionnaire"


def content_files(folder: Path, kind: str = "questionnaire") -> list[Path]:
    """The ``<id>-v<version>.toml`` files of one kind in ``folder``, sorted by name."""
    return sorted(
        path
        for path in folder.glob("*-v*.toml")
        if KEY.match(path.stem) and file_kind(path) == kind
    )
