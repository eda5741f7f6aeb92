"""The questionnaires shipped with Kindcheck (the kindcheck.questionnaires data package)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from kindcheck.errors import QuestionnaireError

from .loader import load_questionnaire
from .model import Questionnaire


def questionnaire_dir() -> Path:
    """Where the shipped questionnaire files are, from a source checkout or an installed wheel."""
    return Path(str(resources.files("kindcheck.questionnaires")))


def shipped_files() -> list[Path]:
    return sorted(questionnaire_dir().glob("*-v*.toml"))


@cache
def load_shipped(questionnaire_id: str, version: int | None = None) -> Questionnaire:
    """Load a shipped questionnaire; the newest version unless one is asked for."""
    pattern = re.compile(rf"^{re.escape(questionnaire_id)}-v(\d+)\.toml$")
    found = {int(m.group(1)): path for path in shipped_files() if (m := pattern.match(path.name))}
    if not found:
        raise QuestionnaireError([f"no questionnaire '{questionnaire_id}' is installed"])
    if version is None:
        version = max(found)
    if version not in found:
        versions = ", ".join(str(v) for v in sorted(found))
        raise QuestionnaireError(
            [
                f"questionnaire '{questionnaire_id}' version {version} is not installed "
                f"(installed: {versions})"
            ]
        )
    return load_questionnaire(found[version])
