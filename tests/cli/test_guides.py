"""The user guides in docs/ (Dutch in docs/nl, English in docs/en) cannot drift silently.

- Every key in a guide's key table is bound on the screens the table names (in a comment
  ``<!-- keys: HomeScreen KindcheckApp textual.widgets.DataTable -->`` right above it), and
  every key a documented screen shows in its footer is in that language's tables.
- Every ``kindcheck ...`` command in a guide (code blocks and inline code) parses with the real
  command-line parser: the command, its options and their choices exist.
- Every picture and every relative link in docs/ and the README points to a file that is there,
  and every picture tools/screenshots.py makes is used.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import pkgutil
import re
import shlex
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from textual.binding import Binding

from kindcheck.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LANGS = ("nl", "en")
GUIDES = sorted(path for lang in LANGS for path in (DOCS / lang).glob("*.md"))
# The screens a user meets; each must have a key table in each language.
MAIN_SCREENS = {
    "UnlockScreen",
    "HomeScreen",
    "IntakeStartScreen",
    "IntakeScreen",
    "OutcomeScreen",
    "ClientScreen",
    "ExportScreen",
    "AccessLogScreen",
}
# How the guides write a key, and Textual's name for it.
KEY_WORDS = {
    "esc": "escape",
    "/": "slash",
    "?": "question_mark",
    "↑": "up",
    "↓": "down",
    "spatie": "space",
}


@dataclass(frozen=True)
class KeyTable:
    where: str  # guide:line
    classes: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]  # (as written, Textual's name)


def textual_key(written: str) -> str:
    key = written.strip().lower()
    return KEY_WORDS.get(key, key)


def key_tables(text: str, name: str) -> list[KeyTable]:
    """The tables right under a ``<!-- keys: ... -->`` comment, first column parsed."""
    lines = text.splitlines()
    tables = []
    for number, line in enumerate(lines):
        found = re.fullmatch(r"<!-- keys: (.+) -->", line.strip())
        if not found:
            continue
        rows = []
        for row in lines[number + 3 :]:  # the header and its separator first
            if not row.startswith("|"):
                break
            cell = row.split("|")[1]
            spans = re.findall(r"`([^`]+)`", cell)
            ranged = re.fullmatch(r"\s*`(\d)`\s*-\s*`(\d)`\s*", cell)
            if ranged:
                spans = [str(n) for n in range(int(ranged[1]), int(ranged[2]) + 1)]
            rows += [(span, textual_key(span)) for span in spans]
        tables.append(KeyTable(f"{name}:{number + 1}", tuple(found[1].split()), tuple(rows)))
    return tables


@cache
def screen_classes() -> dict[str, type]:
    """Every class defined in kindcheck.screens, by name."""
    import kindcheck.screens as package

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                found[value.__name__] = value
    return found


def find_class(name: str) -> type:
    if "." in name:
        module, _, attribute = name.rpartition(".")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]
    return screen_classes()[name]


def bindings(cls: type, own_only: bool = False) -> list[Binding]:
    """The bindings of ``cls`` and its bases (``own_only``: only those the app defines)."""
    found = []
    for klass in cls.__mro__:
        if own_only and not klass.__module__.startswith("kindcheck."):
            continue
        for binding in vars(klass).get("BINDINGS", []):
            if isinstance(binding, tuple):
                binding = Binding(*binding)
            found.append(binding)
    return found


def bound_keys(cls: type) -> set[str]:
    return {key.strip() for binding in bindings(cls) for key in binding.key.split(",")}


def key_problems(tables: list[KeyTable]) -> list[str]:
    problems = []
    for table in tables:
        if not table.keys:
            problems.append(f"{table.where}: the key table has no keys")
        try:
            bound = set().union(*(bound_keys(find_class(name)) for name in table.classes))
        except (KeyError, AttributeError, ImportError) as error:
            problems.append(f"{table.where}: no such screen or widget ({error})")
            continue
        for written, key in table.keys:
            if key not in bound:
                problems.append(
                    f"{table.where}: `{written}` is not a key of {', '.join(table.classes)}"
                )
    return problems


def guide_commands(text: str) -> list[str]:
    """``kindcheck ...`` as the guide writes it: lines of code blocks, and inline code."""
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL):
        commands += [line.strip() for line in block.splitlines()]
    without_blocks = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    commands += re.findall(r"`([^`\n]+)`", without_blocks)
    return [c for c in commands if c == "kindcheck" or c.startswith("kindcheck ")]


def command_problem(command: str) -> str | None:
    """Why the real parser refuses ``command`` (what follows a pipe or redirect is left)."""
    # Unquoted | ; & > end the command (quotes kept here, so a quoted ";" is an argument).
    lexer = shlex.shlex(command, posix=False, punctuation_chars="|;&>")
    lexer.whitespace_split = True
    words = []
    for token in list(lexer)[1:]:
        if set(token) <= set("|;&>"):
            break
        words.append(shlex.split(token)[0])
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            build_parser("en").parse_args(words)
    except SystemExit as stop:
        if stop.code:
            return f"{command}: {errors.getvalue().strip().splitlines()[-1]}"
    return None


# --------------------------------------------------------------------------------------------


def test_there_is_a_guide_per_user_in_both_languages() -> None:
    names = {path.relative_to(DOCS).as_posix() for path in GUIDES}
    assert {"nl/clinicus.md", "nl/sociaal-werker.md", "nl/teamleider.md"} <= names
    assert {"en/clinician.md", "en/social-worker.md", "en/team-lead.md"} <= names
    index = (DOCS / "README.md").read_text("utf-8")
    for name in names:
        assert f"({name})" in index, f"docs/README.md does not link {name}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.relative_to(DOCS).as_posix())
def test_every_key_in_a_guide_is_bound_on_its_screen(guide: Path) -> None:
    tables = key_tables(guide.read_text("utf-8"), guide.relative_to(ROOT).as_posix())
    assert key_problems(tables) == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_a_documented_screen_shows_is_in_the_guides(lang: str) -> None:
    tables = [
        table
        for guide in sorted((DOCS / lang).glob("*.md"))
        for table in key_tables(guide.read_text("utf-8"), guide.name)
    ]
    documented: dict[str, set[str]] = {}
    for table in tables:
        for name in table.classes:
            documented.setdefault(name, set()).update(key for _, key in table.keys)
    assert set(documented) >= MAIN_SCREENS, f"no key table for {MAIN_SCREENS - set(documented)}"
    missing = []
    for name, keys in sorted(documented.items()):
        if "." in name:
            continue  # Textual's own widgets: only the keys the guides name are checked
        for binding in bindings(find_class(name), own_only=True):
            if binding.show and not keys & {key.strip() for key in binding.key.split(",")}:
                missing.append(f"{name}: {binding.key} ({binding.description})")
    assert missing == [], f"keys shown in the footer but not in docs/{lang}: {missing}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.relative_to(DOCS).as_posix())
def test_every_command_in_a_guide_exists(guide: Path) -> None:
    commands = guide_commands(guide.read_text("utf-8"))
    assert commands, f"{guide.name} shows no kindcheck command"
    assert [problem for c in commands if (problem := command_problem(c))] == []


def test_the_checks_catch_a_key_or_command_that_does_not_exist() -> None:
    planted = """
<!-- keys: HomeScreen KindcheckApp -->
| Toets | Wat het doet |
| --- | --- |
| `n` | nieuwe intake |
| `q` | bestaat niet |
| `Ctrl+Z` | bestaat ook niet |

<!-- keys: NoSuchScreen -->
| Toets | Wat het doet |
| --- | --- |
| `n` | nee |
"""
    problems = key_problems(key_tables(planted, "planted.md"))
    assert len(problems) == 3
    assert "`q` is not a key of HomeScreen, KindcheckApp" in problems[0]
    assert "`Ctrl+Z`" in problems[1] and "no such screen" in problems[2]
    assert command_problem("kindcheck export -o telling.csv") is None
    assert command_problem("kindcheck due --ics -o - | head") is None
    assert "invalid choice: 'exprot'" in (command_problem("kindcheck exprot -o x") or "")
    assert "--minimum" in (command_problem("kindcheck export --minimum 5 -o x") or "")
    assert command_problem('kindcheck export --delimiter ";" -o x # a comment') is None
    assert "'week'" in (command_problem("kindcheck export --period week -o x") or "")


def load_screenshot_tool() -> object:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "tools/screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["screenshots"] = module
    spec.loader.exec_module(module)
    return module


def test_every_picture_is_there_and_used() -> None:
    names: tuple[str, ...] = load_screenshot_tool().NAMES  # type: ignore[attr-defined]
    for lang in LANGS:
        used = set()
        for guide in sorted((DOCS / lang).glob("*.md")):
            used |= set(re.findall(rf"\(\.\./img/{lang}/([a-z-]+)\.png\)", guide.read_text()))
        assert used == set(names), (lang, set(names) ^ used)
        for name in names:
            assert (DOCS / "img" / lang / f"{name}.png").is_file(), (lang, name)


def test_every_relative_link_in_the_docs_points_to_a_file() -> None:
    broken = []
    for page in [ROOT / "README.md", ROOT / "SECURITY.md", *sorted(DOCS.rglob("*.md"))]:
        text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
