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

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")
PLURAL_FORMS = ("one", "other")


def _catalog_text() -> str:
    # Read beside this module where the package is a folder (every install we make): importing
    # importlib.resources costs ~15 ms that `kindcheck --help` would pay; resources for the rest.
    try:
        return Path(__file__).with_name("locale").joinpath("messages.toml").read_text("utf-8")
    except OSError:
        from importlib import resources

        return resources.files("kindcheck").joinpath("locale/messages.toml").read_text("utf-8")


Messages = dict[str, dict[str, str]]
PluralMessages = dict[str, dict[str, dict[str, str]]]

# A table header at the start of a line: the catalog holds one-line entries only (a test
# keeps it so), so the text between two headers is that table, a TOML document on its own.
_HEADER = re.compile(r"^\[([A-Za-z0-9_.-]+)\][ \t]*(?:#.*)?$", re.MULTILINE)


@cache
def _tables() -> dict[str, str]:
    """The catalog's text by section of at most two levels ("cli", "ui", "ui.key", ...; a
    deeper table goes with its two-level section), each part a TOML document."""
    text = _catalog_text()
    found = list(_HEADER.finditer(text))
    parts: dict[str, list[str]] = {}
    for index, header in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        section = ".".join(header.group(1).split(".")[:2])
        parts.setdefault(section, []).append(text[header.start() : end])
    return {section: "".join(pieces) for section, pieces in parts.items()}


@cache
def _section(section: str) -> tuple[Messages, PluralMessages]:
    """The messages of one section, parsed on first use: the command line needs [cli] and
    [error] only, and parsing all of the catalog would double ``--help``'s time; the first
    screen needs a few tables of [ui] (parsing all of [ui] was 16 ms of its CPU)."""
    flat: Messages = {}
    plurals: PluralMessages = {}

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

    walk("", tomllib.loads(_tables().get(section, "")))
    return flat, plurals


@cache
def _load() -> tuple[Messages, PluralMessages]:
    """(messages, plural messages) of every section, by flat key."""
    flat: Messages = {}
    plurals: PluralMessages = {}
    for section in _tables():
        messages, plural_messages = _section(section)
        flat.update(messages)
        plurals.update(plural_messages)
    return flat, plurals


def catalog() -> Messages:
    """All messages with one text per language: key -> {"nl": ..., "en": ...}."""
    return _load()[0]


def plural_catalog() -> PluralMessages:
    """All messages with plural forms: key -> {"nl": {"one": ..., "other": ...}, "en": ...}."""
    return _load()[1]


def _sections_of(key: str) -> tuple[str, ...]:
    """Where ``key`` can be written: under its two-level table, else its top-level one (a
    key written in both would be a TOML error in the catalog as a whole)."""
    parts = key.split(".", 2)
    if len(parts) > 2 and f"{parts[0]}.{parts[1]}" in _tables():
        return (f"{parts[0]}.{parts[1]}", parts[0])
    return (parts[0],)


def _entry(key: str) -> dict[str, str] | None:
    for section in _sections_of(key):
        entry = _section(section)[0].get(key)
        if entry is not None:
            return entry
    return None


def _plural_entry(key: str) -> dict[str, dict[str, str]] | None:
    for section in _sections_of(key):
        entry = _section(section)[1].get(key)
        if entry is not None:
            return entry
    return None


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled in."""
    entry = _entry(key)
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
    entry = _plural_entry(key)
    if entry is None:
        return f"{key} ({count})"
    forms = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return forms[plural_form(count, lang)].format(count=count, **values)


def error_message(error: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """An error for a person in ``lang``: its catalog text when it carries a message key
    (:class:`kindcheck.errors.KindcheckError` ``key``/``values``), else its own text."""
    in_language = getattr(error, "in_language", None)
    if callable(in_language):
        own = in_language(lang)
        if isinstance(own, str):
            return own
    key = getattr(error, "key", None)
    values: Mapping[str, Any] = getattr(error, "values", None) or {}
    if isinstance(key, str) and _entry(key) is not None:
        return t(key, lang, **{name: _said(value, lang) for name, value in values.items()})
    return str(error)


def _said(value: Any, lang: str) -> Any:
    """A message's field in ``lang``: another error (the cause) or a phrase is said in it too."""
    if isinstance(value, BaseException):
        return error_message(value, lang)
    in_language = getattr(value, "in_language", None)
    return in_language(lang) if callable(in_language) else value
