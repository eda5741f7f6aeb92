"""User-interface texts in Dutch (the default) and English.

Two languages and a few hundred short texts: a TOML catalog beside this module keeps every
text of one message together, so a test can prove each has both languages. (gettext would
need compiled .mo files and a build step for the same result.) Questionnaire content does
not live here: it is data in questionnaires/.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """All messages: key -> {"nl": ..., "en": ...}."""
    text = resources.files("kindcheck").joinpath("locale/messages.toml").read_text("utf-8")
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
                flat[name] = value
            elif isinstance(value, dict):
                walk(name, value)

    walk("", tomllib.loads(text))
    return flat


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled in."""
    entry = catalog().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
