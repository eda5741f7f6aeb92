"""The content shipped with Kindcheck (the kindcheck.questionnaires data package).

- Questionnaires by id and version: :func:`load_shipped`. Without a version, the newest: what
  a NEW session uses. A stored session names its versions and is read with those, so a
  version-1 session stays readable and keeps its version-1 meaning.
- The outcome catalog of format-2 questionnaires: :func:`load_shipped_catalog`.
- The Meldcode guide: :func:`load_guide` (version 1 for version-1 sessions, version 2 for
  version-2 sessions).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal, overload

from kindcheck.errors import QuestionnaireError

from .catalog import Catalog, MeldcodeGuide, MeldcodeGuideV2
from .catalog_loader import load_catalog, load_guide_v1, load_guide_v2
from .files import content_files, questionnaire_dir
from .loader import load_questionnaire
from .model import Questionnaire

# The guide files by version (version 1 predates the `<id>-v<version>` naming).
_GUIDE_FILES = {1: "meldcode.toml", 2: "meldcode-v2.toml"}


def shipped_files() -> list[Path]:
    """The shipped questionnaires (not the catalog or the guide), sorted by file name."""
    return content_files(questionnaire_dir())


def shipped_versions(questionnaire_id: str) -> dict[int, Path]:
    pattern = re.compile(rf"^{re.escape(questionnaire_id)}-v(\d+)\.toml$")
    return {int(m.group(1)): path for path in shipped_files() if (m := pattern.match(path.name))}


def newest_version(questionnaire_id: str) -> int:
    """The version a new session of this questionnaire uses."""
    found = shipped_versions(questionnaire_id)
    if not found:
        raise QuestionnaireError([f"no questionnaire '{questionnaire_id}' is installed"])
    return max(found)


@cache
def load_shipped(questionnaire_id: str, version: int | None = None) -> Questionnaire:
    """Load a shipped questionnaire; the newest version unless one is asked for."""
    found = shipped_versions(questionnaire_id)
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


@cache
def load_shipped_catalog(key: str) -> Catalog:
    """A shipped catalog by key (``uitkomst-v2``)."""
    path = questionnaire_dir() / f"{key}.toml"
    if not re.fullmatch(r"[a-z][a-z0-9_]*-v\d+", key) or not path.is_file():
        raise QuestionnaireError([f"no catalog '{key}' is installed"])
    return load_catalog(path)


@overload
def load_guide(version: Literal[1]) -> MeldcodeGuide: ...
@overload
def load_guide(version: Literal[2]) -> MeldcodeGuideV2: ...
@overload
def load_guide(version: int) -> MeldcodeGuide | MeldcodeGuideV2: ...
@cache
def load_guide(version: int) -> MeldcodeGuide | MeldcodeGuideV2:
    """The Meldcode guide of a session's version: 1 (meldcode.toml) or 2 (meldcode-v2.toml)."""
    name = _GUIDE_FILES.get(version)
    if name is None:
        raise QuestionnaireError([f"no Meldcode guide version {version} is installed"])
    path = questionnaire_dir() / name
    return load_guide_v1(path) if version == 1 else load_guide_v2(path)
