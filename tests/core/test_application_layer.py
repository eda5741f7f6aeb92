"""The application layer's promises: one home for each rule, no circles, and the screens reach
the vault only through kindcheck.service.

The import checks read the source (every import, at any depth, TYPE_CHECKING ones included),
so an import inside a function is seen as well as one at the top.
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from support.vault import PASSPHRASE, make_answers, record

import kindcheck.passphrase
from kindcheck.errors import VaultError
from kindcheck.passphrase import check_new_passphrase, strength
from kindcheck.service.reports import STEPS_PER_SESSION, compute_counts
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "kindcheck"
SCREENS = ROOT / "screens"


def module_names(folder: Path, package: str) -> dict[str, Path]:
    """Every module under ``folder`` by its dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in folder.rglob("*.py"):
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path) -> Iterator[str]:
    """Every module name an import in the file names (relative imports resolved), including
    ``from x import y`` as x.y, since y may be a module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                source = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def sibling_circles(modules: dict[str, Path]) -> list[list[str]]:
    """Circles between siblings at any depth: an import from a.x (or below) of a.y (or below)
    is an arrow x -> y among a's children. A package importing its own children is no arrow."""
    arrows: dict[str, set[str]] = {}
    for name, path in modules.items():
        for target in imported_names(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if not target or target == name:
                continue
            mine, theirs = name.split("."), target.split(".")
            depth = 0
            while depth < min(len(mine), len(theirs)) and mine[depth] == theirs[depth]:
                depth += 1
            if depth >= len(mine) or depth >= len(theirs):
                continue  # a package and its own module
            arrows.setdefault(".".join(mine[: depth + 1]), set()).add(".".join(theirs[: depth + 1]))
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in arrows.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return circles


def test_the_core_has_no_import_circle_at_any_depth() -> None:
    assert sibling_circles(module_names(CORE, "kindcheck")) == []


def test_a_circle_is_seen_even_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from . import a\n")
    assert sibling_circles(module_names(package, "pkg")) == [["pkg.a", "pkg.b"]]


def test_the_screens_have_no_import_circle_at_any_depth() -> None:
    """A screen posts a navigation message (screens/messages.py) and the app opens the next
    screen: no screen imports another to move on, and base.py does not import the app."""
    assert sibling_circles(module_names(SCREENS, "kindcheck.screens")) == []


def test_the_screens_map_names_every_module() -> None:
    """Each package's docstring (screens/__init__.py and those of its subfolders) names each
    of its modules as ``name``, so the map a reader starts from is complete."""
    missing = []
    for init in SCREENS.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        for module in init.parent.glob("*.py"):
            if module.name != "__init__.py" and f"``{module.stem}``" not in doc:
                missing.append(str(module.relative_to(SCREENS)))
    assert missing == []


def staged_lint(tmp_path: Path, plant: dict[str, str] | None = None) -> tuple[int, str]:
    """import-linter with pyproject.toml's contracts over the installed layout (as CI runs it:
    tools/staged.py), after appending the ``plant`` lines to the staged modules named (a module
    that does not exist is created: a new module nobody placed in a layer)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import staged
    finally:
        sys.path.remove(str(ROOT / "tools"))
    folder = staged.stage(tmp_path / "stage")
    for module, line in (plant or {}).items():
        target = folder.joinpath(*module.split(".")).with_suffix(".py")
        if not target.exists() and target.parent.joinpath("__init__.py").exists():
            target.write_text('"""A module nobody placed."""\n')
        with target.open("a") as source:
            source.write(f"\n\ndef _planted() -> None:\n    {line}\n")
    result = staged.run("lint-imports", folder, [])
    return result.returncode, result.stdout + result.stderr


def test_the_import_contracts_hold_on_the_installed_layout(tmp_path: Path) -> None:
    code, output = staged_lint(tmp_path)
    assert code == 0, output
    assert "kindcheck.screens" not in output  # nothing broken, nothing named
    assert "4 kept, 0 broken" in output


CONTRACTS = {
    "layers": "The layers: cli > screens > service > domain > store > crypto > kernel BROKEN",
    "app": "The core never imports the app (Textual or the screens) BROKEN",
    "circle": "No import circle at any depth, function-level imports included BROKEN",
    "vault": "The screens reach the vault only through the service BROKEN",
}


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the core importing the app (what the contracts could not see before staging)
        (
            "kindcheck.outcome.rules",
            "from kindcheck.screens.app import KindcheckApp",
            "layers app circle",
        ),
        # the service, a new module of the store, the CLI's parser importing Textual
        ("kindcheck.service.reports", "import textual.app", "app"),
        ("kindcheck.store.newpart", "import textual", "app"),
        ("kindcheck.cli.parser", "from textual.app import App", "app"),
        # a new top-level module nobody placed in a layer
        ("kindcheck.newthing", "import kindcheck.text", "layers"),
        # the store reaching up into the domain, the domain into the service
        ("kindcheck.store.sessions", "import kindcheck.outcome", "layers"),
        ("kindcheck.followup.plan", "from kindcheck.service import recording", "layers circle"),
        # a circle inside the domain, inside a function
        ("kindcheck.export.facts", "from kindcheck.export import counts", "circle"),
        # a screen opening another one directly, inside a function, back and forth
        ("kindcheck.screens.widgets.answers", "from ..home import HomeScreen", "circle"),
        # a dialog reaching for the vault, a widget for SQLModel
        ("kindcheck.screens.dialogs.confirm", "import kindcheck.vault", "vault"),
        ("kindcheck.screens.widgets.safe", "import sqlmodel", "vault"),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    code, output = staged_lint(tmp_path, {module: line})
    assert code != 0
    expected = broken.split()
    assert f"{len(expected)} broken" in output, output
    for name in expected:
        assert CONTRACTS[name] in output, output


SCREENS_MUST_NOT_IMPORT = ("kindcheck.store", "kindcheck.vault", "kindcheck.cli", "sqlalchemy")


def test_the_screens_reach_the_vault_only_through_the_service() -> None:
    found = []
    for name, path in module_names(SCREENS, "kindcheck.screens").items():
        for target in imported_names(name, path):
            if target == "sqlmodel" or target.startswith(
                tuple(f"{prefix}." for prefix in SCREENS_MUST_NOT_IMPORT) + SCREENS_MUST_NOT_IMPORT
            ):
                found.append(f"{path.name}: {target}")
    assert found == []


# The domain's value types (and constants that name their parts) a screen may use to type and
# render what the service hands it; everything the domain *does* is reached through the service.
DOMAIN = (
    "kindcheck.questionnaire",
    "kindcheck.conditions",
    "kindcheck.answers",
    "kindcheck.outcome",
    "kindcheck.followup",
    "kindcheck.export",
    "kindcheck.accesslog",
)
DOMAIN_VALUES_FOR_THE_SCREENS = {
    "AccessEntry",
    "FOLLOWUP",
    "FollowUpPlan",
    "FollowUpState",
    "HandoffRecord",
    "MeldcodeGuide",
    "MeldcodeGuideV2",
    "Outcome",
    "PeriodType",
    "Question",
    "Step",
    "Table",
    "Wording",
    "YESNO_VALUES",
}


def test_the_screens_use_the_domain_only_through_the_service() -> None:
    found = []
    for path in module_names(SCREENS, "kindcheck.screens").values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [
                    f"{path.name}: import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith(DOMAIN)
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(DOMAIN):
                found += [
                    f"{path.name}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name not in DOMAIN_VALUES_FOR_THE_SCREENS
                ]
            elif isinstance(node, ast.ImportFrom) and node.module == "kindcheck":
                found += [
                    f"{path.name}: kindcheck.{alias.name}"
                    for alias in node.names
                    if f"kindcheck.{alias.name}".startswith(DOMAIN)
                ]
    assert found == []


PRIVATE_TO_THE_SERVICE = {"_lock", "_open", "_store", "_store_draft_ids", "_draft_versions"}


def test_nothing_outside_the_service_reaches_into_it() -> None:
    """The service's lock and open store are its own; others use its public methods (and
    ``VaultService.store()``). Only ``self.<name>`` is allowed, inside the class's module."""
    own = CORE / "service" / "vault_service.py"
    found = []
    folders = (SCREENS, CORE / "service", CORE / "cli")
    for path in (path for folder in folders for path in folder.rglob("*.py")):
        if path == own:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in PRIVATE_TO_THE_SERVICE
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert found == []


def test_the_store_the_command_line_and_the_screens_share_one_passphrase_minimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raise the one minimum: every layer asks for the longer passphrase at once."""
    fifteen = "ruim vijftien t"
    assert len(fifteen) == 15
    check_new_passphrase(fifteen)
    monkeypatch.setattr(kindcheck.passphrase, "MIN_LENGTH", 20)
    with pytest.raises(VaultError, match="at least 20 characters"):
        Store.create(tmp_path / "vault", fifteen, "tester")
    with pytest.raises(VaultError, match="at least 20 characters"):
        check_new_passphrase(fifteen)  # what `kindcheck init` and `passwd` check
    assert strength(fifteen) == "too_short"  # the screens' hint
    assert not (tmp_path / "vault").exists() or not any((tmp_path / "vault").iterdir())


def test_the_export_progress_counts_only_work_done(tmp_path: Path) -> None:
    """Every step the bar shows is one really done: it never stalls and then jumps."""
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        for number in range(3):
            record(store, make_answers(f"EPD-{number}", problems=number))
        record(store, make_answers("EPD-0", kind="followup", when=date(2026, 5, 4)))
    calls: list[tuple[int, int]] = []
    with VaultService(folder) as service:
        service.unlock(PASSPHRASE)
        computed = compute_counts(
            service,
            "quarter",
            date(2026, 6, 1),
            progress=lambda done, total: calls.append((done, total)),
            report_every=0.0,
        )
    assert computed.sessions == 4
    total = STEPS_PER_SESSION * 4
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    done = [step for step, _total in calls]
    assert all(0 <= later - earlier <= 1 for earlier, later in itertools.pairwise(done))
