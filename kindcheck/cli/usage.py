"""argparse in the chosen language, writing through the one terminal writer.

argparse builds its own words ("usage:", "error:", "the following arguments are required",
"invalid choice", ...) with ``gettext``, looked up when they are used. While
:func:`argparse_language` is active, its module-level ``_`` and ``ngettext`` look each message
id up in the catalog section ``cli.argparse`` (whose ``en`` texts are argparse's message ids)
and fall back to argparse's English. :class:`Parser` sends everything argparse prints through
:func:`kindcheck.cli.common.echo`, so a mistyped argument echoed in an error cannot carry
control characters to the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, NoReturn

from kindcheck.i18n import catalog, plural_catalog, plural_form

from .common import echo

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

_SECTION = "cli.argparse."


@cache
def _by_message_id() -> dict[str, dict[str, str]]:
    """argparse's message id (the en text) -> the entry with every language."""
    return {entry["en"]: entry for key, entry in catalog().items() if key.startswith(_SECTION)}


@cache
def _plurals_by_message_id() -> dict[str, dict[str, dict[str, str]]]:
    return {
        entry["en"]["one"]: entry
        for key, entry in plural_catalog().items()
        if key.startswith(_SECTION)
    }


def translator(lang: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    """``gettext`` and ``ngettext`` for argparse's messages in ``lang``."""

    def gettext(message: str) -> str:
        entry = _by_message_id().get(message)
        return entry.get(lang, message) if entry else message

    def ngettext(singular: str, plural: str, count: int) -> str:
        entry = _plurals_by_message_id().get(singular)
        if entry is None:  # argparse's English, its form chosen by the catalog's rule
            return singular if plural_form(count, "en") == "one" else plural
        forms = entry.get(lang, entry["en"])
        return forms[plural_form(count, lang)]

    return gettext, ngettext


@contextmanager
def argparse_language(lang: str) -> Iterator[None]:
    """argparse's own words in ``lang`` for the duration (restored afterwards: tests run many
    command lines in one process)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    gettext, ngettext = translator(lang)
    setattr(argparse, "_", gettext)  # noqa: B010 (a private name; setattr says so)
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])  # noqa: B010
        argparse.ngettext = saved[1]  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose every printed word goes through :func:`echo` (its
    sub-command parsers are of this class too: argparse makes them with ``type(self)``)."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:
            echo(message, err=file is sys.stderr, end="")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message, sys.stderr)
        raise SystemExit(status)


__all__ = ["Parser", "argparse_language", "translator"]
