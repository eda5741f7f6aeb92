"""User-interface texts in Dutch (the default) and English.

Two languages and a few hundred short texts: a TOML catalog beside this module keeps every
text of one message together, so a test can prove each has both languages. (gettext would
need compiled .mo files and a build step for the same result.) Questionnaire content does
not live here: it is data in questionnaires/.

A message that counts something has plural forms instead of one text, per language::

    sessions = { nl = { one = "{count} sessie", other = "{count} sessies" }, en = { ... } }

and is read with :func:`plural`, the one place that chooses a form. Dutch and English share
CLDR's rule (``one`` for exactly 1, ``other`` for everything else); a third language with
other rules would take its rule from Babel, not from a second hand-written table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")
PLURAL_FORMS = ("one", "other")


@cache
def _load() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, dict[str, str]]]]:
    """(messages, plural messages) by flat key."""
    text = resources.files("kindcheck").joinpath("locale/messages.toml").read_text("utf-8")
    flat: dict[str, dict[str, str]] = {}
    plurals: dict[str, dict[str, dict[str, str]]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if not isinstance(value, dict):
                continue
            if value and set(value) <= set(LANGUAGES):
                if all(isinstance(form, dict) for form in value.values()):
                    plurals[name] = value
                else:
                    flat[name] = value
            else:
                walk(name, value)

    walk("", tomllib.loads(text))
    return flat, plurals


def catalog() -> dict[str, dict[str, str]]:
    """All messages with one text per language: key -> {"nl": ..., "en": ...}."""
    return _load()[0]


def plural_catalog() -> dict[str, dict[str, dict[str, str]]]:
    """All messages with plural forms: key -> {"nl": {"one": ..., "other": ...}, "en": ...}."""
    return _load()[1]


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled in."""
    entry = catalog().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def plural_form(count: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """CLDR's plural category of ``count`` in Dutch and English: "one" or "other"."""
    return "one" if count == 1 else "other"


def plural(key: str, count: int, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The message ``key`` for ``count`` things in ``lang`` ("1 sessie", "2 sessies"), with
    ``{count}`` and the other ``{name}`` fields filled in."""
    entry = plural_catalog().get(key)
    if entry is None:
        return f"{key} ({count})"
    forms = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return forms[plural_form(count, lang)].format(count=count, **values)


def error_message(error: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """An error for a person in ``lang``: its catalog text when it carries a message key
    (:class:`kindcheck.errors.KindcheckError` ``key``/``values``), else its own text."""
    key = getattr(error, "key", None)
    values: Mapping[str, Any] = getattr(error, "values", None) or {}
    if isinstance(key, str) and key in catalog():
        return t(key, lang, **values)
    return str(error)
