"""What every content file's reader shares: collecting problems with file, line and id, texts
in two languages, conditions, unknown keys with a hint, and where each table starts.

Every problem is collected, none raised on its own, so an author sees all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from typing import Any

from kindcheck.conditions import Node, parse_condition
from kindcheck.errors import ConditionError

from .model import _ID, LANGUAGES, Localized


class Problems:
    """Collects problems so that a file's author sees all of them at once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int | None, where: str | None, message: str) -> None:
        location = self.path if line is None else f"{self.path}:{line}"
        subject = f" [{where}]" if where else ""
        self.items.append(f"{location}{subject}: {message}")


def table_lines(source: str, table: str) -> list[int]:
    """The line numbers (1-based) of each ``[[table]]`` header, in order."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [number for number, line in enumerate(source.splitlines(), 1) if header.match(line)]


def header_line(source: str, table: str) -> int:
    """The line of a ``[table]`` header (1 when the table is written inline or not at all)."""
    header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
    for number, line in enumerate(source.splitlines(), 1):
        if header.match(line):
            return number
    return 1


def line_of(lines: list[int], index: int) -> int:
    return lines[index] if index < len(lines) else 1


def hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Reader:
    """Reads values out of parsed TOML, reporting what is wrong to :class:`Problems`."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def add(self, line: int | None, where: str | None, message: str) -> None:
        self.problems.add(line, where, message)

    def localized(self, value: Any, line: int | None, where: str | None, key: str) -> Localized:
        if not isinstance(value, dict):
            self.add(line, where, f"'{key}' must be a table with 'nl' and 'en' texts")
            return Localized("", "")
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                language = "Dutch" if lang == "nl" else "English"
                self.add(line, where, f"missing {language} text for '{key}' ('{key}.{lang}')")
                texts[lang] = ""
            else:
                texts[lang] = text
        return Localized(texts["nl"], texts["en"])

    def condition(self, raw: Any, line: int, where: str, key: str) -> Node | None:
        if raw is None:
            return None
        try:
            return parse_condition(raw)
        except ConditionError as error:
            self.add(line, where, f"'{key}' cannot be read: {error}")
            return None

    def unknown_keys(
        self, raw: dict[str, Any], known: Collection[str], line: int, where: str | None
    ) -> None:
        for key in sorted(set(raw) - set(known)):
            self.add(line, where, f"unknown key '{key}'{hint(key, known)}")

    def text(self, raw: dict[str, Any], key: str, line: int, where: str, what: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(line, where, f"'{key}' must say {what}")
            return ""
        return value

    def flag(self, raw: dict[str, Any], key: str, line: int, where: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.add(line, where, f"'{key}' must be true or false")
            return False
        return value

    def id_list(self, raw: dict[str, Any], key: str, line: int, where: str | None) -> list[str]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(item, str) and _ID.match(item) for item in value
        ):
            self.add(line, where, f"'{key}' must be a list of ids")
            return []
        return list(value)

    def outcome_names(
        self, node: Node | None, allowed: Collection[str], line: int, where: str, key: str
    ) -> None:
        """A condition read over the outcome context may only use the names of that context."""
        if node is None:
            return
        for name in sorted(node.names() - set(allowed)):
            self.add(
                line,
                where,
                f"'{key}' names '{name}', which is not in the outcome context "
                f"({', '.join(sorted(allowed))}){hint(name, allowed)}",
            )


def item_tables(
    reader: Reader, data: dict[str, Any], key: str, lines: list[int]
) -> list[tuple[dict[str, Any], int, str]]:
    """The ``[[key]]`` tables of a file with their line and id; bad ones are reported."""
    raw_items = data.get(key, [])
    if not isinstance(raw_items, list):
        reader.add(1, None, f"'{key}' must be a list of tables ([[{key}]])")
        return []
    items: list[tuple[dict[str, Any], int, str]] = []
    for index, raw in enumerate(raw_items):
        line = line_of(lines, index)
        if not isinstance(raw, dict):
            reader.add(line, None, f"each of [[{key}]] must be a table")
            continue
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not _ID.match(item_id):
            reader.add(line, None, f"[[{key}]] needs an 'id' that is a lower-case identifier")
            continue
        items.append((raw, line, item_id))
    return items


def duplicates(reader: Reader, kind: str, items: Iterable[tuple[str, int]]) -> None:
    """Report ids defined twice, naming where the first one is."""
    seen: dict[str, int] = {}
    for item_id, line in items:
        if item_id in seen:
            reader.add(
                line, item_id, f"duplicate {kind} id (first defined at line {seen[item_id]})"
            )
        else:
            seen[item_id] = line
