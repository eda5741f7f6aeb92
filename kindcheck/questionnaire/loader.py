"""Loading a questionnaire file: parse the TOML, validate the whole of it, build the model.

Loading raises one :class:`~kindcheck.errors.QuestionnaireError` listing every problem, each
with file, question id and line, so an author fixes them all in one go.

Format 1 is read exactly as before. A format-2 questionnaire (questionnaires/FORMAT.md, "v2
additions") names its catalog and may take questions over from another questionnaire
(``from``) or answers from the session's main questionnaire (``same_as``): those files are
found in the same folder (:class:`Folder`), and their problems are reported with this file's.
The checks between the parts of a file are in :mod:`.checks`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kindcheck.conditions import Literal
from kindcheck.errors import QuestionnaireError

from . import checks
from .catalog import Catalog, MeldcodeGuideV2
from .catalog_loader import load_catalog, load_guide_v2
from .files import KEY, content_files, file_kind, questionnaire_dir
from .model import (
    _ID,
    OUTCOME_CONTEXT_NAMES,
    AdviceItem,
    Derived,
    Domain,
    Localized,
    Question,
    Questionnaire,
    Repeat,
    ScanCompat,
    Section,
    Signal,
)
from .question_reader import QuestionReader
from .reading import Problems, duplicates, header_line, line_of, table_lines

FILE_FORMATS = (1, 2)
_Item = TypeVar("_Item", Repeat, Domain, Signal, Derived)
# The condition of a derived name whose own condition could not be read (the file does not
# load anyway; this keeps the value well-typed while problems are collected).
_FALSE = Literal(False)

_TOP_KEYS_1 = frozenset(
    {
        "format",
        "id",
        "version",
        "title",
        "intro",
        "sources",
        "questions",
        "repeats",
        "domains",
        "signals",
        "outcome",
        "context_from",
        "sections",
    }
)
_TOP_KEYS_2 = (_TOP_KEYS_1 - {"signals"}) | {"kind", "catalog", "derived", "compat"}


def _read_source(path: Path) -> str:
    name = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError([f"{name}: file not found"]) from None
    except UnicodeDecodeError:
        raise QuestionnaireError([f"{name}: not a UTF-8 text file"]) from None
    except OSError as error:
        raise QuestionnaireError([f"{name}: cannot be read ({error.strerror})"]) from None


class Folder:
    """The other content files a questionnaire refers to, found beside it by their key
    (``kindcheck-v2``). Each is read once per load."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._raw: dict[str, tuple[dict[str, Any], str, str] | None] = {}
        self._catalogs: dict[str, Catalog] = {}
        self._questionnaires: dict[str, Questionnaire] = {}

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.toml"

    def raw(self, key: str) -> tuple[dict[str, Any], str, str] | None:
        """The parsed TOML, source text and name of ``<key>.toml``, or None when missing."""
        if key not in self._raw:
            path = self.path(key)
            if not KEY.match(key) or not path.is_file():
                self._raw[key] = None
            else:
                source = _read_source(path)
                try:
                    self._raw[key] = (tomllib.loads(source), source, str(path))
                except tomllib.TOMLDecodeError as error:
                    raise QuestionnaireError([f"{path}: not valid TOML: {error}"]) from None
        return self._raw[key]

    def catalog(self, key: str) -> Catalog:
        if key not in self._catalogs:
            self._catalogs[key] = load_catalog(self.path(key))
        return self._catalogs[key]

    def questionnaire(self, key: str) -> Questionnaire:
        if key not in self._questionnaires:
            path = self.path(key)
            self._questionnaires[key] = parse_questionnaire(
                _read_source(path), str(path), folder=self
            )
        return self._questionnaires[key]

    def main_questionnaires(self, catalog_key: str) -> list[str]:
        """The keys of the questionnaires beside this one that use ``catalog_key`` and start a
        session (they have no domains)."""
        keys: list[str] = []
        for path in content_files(self.folder):
            found = self.raw(path.stem)
            if found is None:
                continue
            data = found[0]
            if data.get("catalog") == catalog_key and not data.get("domains"):
                keys.append(path.stem)
        return keys


def load_content_file(path: str | Path) -> Questionnaire | Catalog | MeldcodeGuideV2:
    """Check any shipped kind of content file (a questionnaire, a catalog or a guide of format
    2) by its ``kind``; QuestionnaireError lists every problem."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "catalog":
        return load_catalog(path)
    if kind == "guide":
        return load_guide_v2(path)
    return load_questionnaire(path)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate one questionnaire file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    return parse_questionnaire(_read_source(path), str(path), folder=Folder(path.parent))


def parse_questionnaire(
    source: str, name: str = "<questionnaire>", folder: Folder | Path | None = None
) -> Questionnaire:
    """Validate questionnaire TOML text; ``name`` is used in the messages.

    ``folder`` is where a format-2 file's catalog and the files it takes questions from are
    found (default: the shipped questionnaires).
    """
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError([f"{name}: not valid TOML: {error}"]) from None
    if not isinstance(folder, Folder):
        folder = Folder(folder if folder is not None else questionnaire_dir())
    kind = data.get("kind", "questionnaire")
    if data.get("format") == 2 and kind in ("catalog", "guide"):
        # One clear message instead of every key a questionnaire does not have.
        raise QuestionnaireError(
            [f"{name}:1: this is a {kind} file, not a questionnaire (load_content_file checks it)"]
        )
    problems = Problems(name)
    questionnaire = _Builder(data, source, problems, folder).build()
    if problems.items or questionnaire is None:
        raise QuestionnaireError(problems.items)
    return questionnaire


class _Builder(QuestionReader):
    def __init__(
        self, data: dict[str, Any], source: str, problems: Problems, folder: Folder
    ) -> None:
        super().__init__(problems, 1, folder)  # the format is read in build()
        self.data = data
        self.source = source
        self.folder = folder
        self.catalog: Catalog | None = None
        self.question_lines = table_lines(source, "questions")

    def build(self) -> Questionnaire | None:
        data = self.data
        file_format = data.get("format")
        if file_format not in FILE_FORMATS:
            self.add(1, None, "'format' must be 1 or 2")
        elif file_format == 2:
            self.format = 2
            if data.get("kind", "questionnaire") != "questionnaire":
                self.add(
                    1,
                    None,
                    f"'kind' is {data.get('kind')!r}: this file is not a questionnaire "
                    "(only a questionnaire is loaded as one)",
                )
        questionnaire_id = data.get("id")
        if not isinstance(questionnaire_id, str) or not _ID.match(questionnaire_id):
            self.add(1, None, "'id' must be a lower-case identifier such as \"kindcheck\"")
            questionnaire_id = ""
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.add(1, None, "'version' must be a whole number of at least 1")
            version = 0
        title = self.localized(data.get("title"), 1, None, "title")
        intro = self.localized(data["intro"], 1, None, "intro") if "intro" in data else None
        sources = data.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.add(1, None, "'sources' must be a list of texts")
            sources = []
        if self.format == 2 and "signals" in data:
            self.add(
                1,
                None,
                "a format-2 questionnaire has no [[signals]] of its own: they are in its catalog",
            )
        for key in sorted(set(data) - (_TOP_KEYS_2 if self.format == 2 else _TOP_KEYS_1)):
            if not (self.format == 2 and key == "signals"):
                self.add(1, None, f"unknown top-level key '{key}'")
        if self.format == 2:
            self.load_catalog()

        threshold, scp_areas = self.outcome_table()
        repeats = self.build_list("repeats", self.build_repeat)
        domains = self.build_domains()
        signals = self.build_list("signals", self.build_signal) if self.format == 1 else []
        derived = self.build_list("derived", self.build_derived) if self.format == 2 else []
        raw_questions = data.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            self.add(1, None, "there are no [[questions]]")
            raw_questions = []
        questions: list[Question] = []
        for index, raw in enumerate(raw_questions):
            line = line_of(self.question_lines, index)
            if not isinstance(raw, dict):
                self.add(line, None, "a question must be a table")
                continue
            question = self.build_entry(raw, line)
            if question is not None:
                questions.append(question)

        context_from = self.context_from(version)
        sections = self.build_sections(questions)
        file_checks = checks.FileChecks(self, self.format, self.catalog)
        file_checks.prefill_names = frozenset(n for _key, names in context_from for n in names)
        file_checks.ids(questions, repeats, domains, signals, derived)
        derived_deps = file_checks.derived(derived, questions)
        file_checks.references(questions, repeats, domains, signals, derived_deps)
        compat = None
        if self.format == 2:
            is_scan = bool(domains)
            file_checks.format_2(questions, scp_areas, is_scan)
            if not is_scan and self.catalog is not None:
                file_checks.requires_names(derived)
            if "compat" in data:
                compat = self.build_compat(questionnaire_id, scp_areas, questions)
            if is_scan:
                file_checks.same_as(questions, self.folder, data.get("catalog"))
        elif "compat" in data:
            self.add(1, None, "unknown top-level key 'compat'")
        if not isinstance(questionnaire_id, str) or not isinstance(version, int):
            return None
        return Questionnaire(
            id=questionnaire_id,
            version=version,
            title=title,
            intro=intro,
            sources=tuple(sources),
            questions=tuple(questions),
            repeats=tuple(repeats),
            domains=tuple(domains),
            signals=tuple(signals),
            stacking_threshold=threshold,
            path=self.problems.path,
            format=self.format,
            catalog=self.catalog,
            derived=tuple(derived),
            scp_areas=tuple(scp_areas),
            compat_v1=compat,
            context_from=context_from,
            sections=sections,
        )

    # -- the file's parts -------------------------------------------------------------------

    def context_from(self, version: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``context_from = { kindcheck = ["sig_eviction"] }``: answers of the session's main
        questionnaire (of the same version) that this file's prefills may name. Each name
        must be a question of that questionnaire, outside its repeat groups."""
        raw = self.data.get("context_from")
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.add(1, None, "'context_from' must be a table of questionnaire id = [names]")
            return ()
        found: list[tuple[str, tuple[str, ...]]] = []
        for other_id, names in raw.items():
            if not isinstance(names, list) or not all(
                isinstance(n, str) and _ID.match(n) for n in names
            ):
                self.add(1, "context_from", f"'{other_id}' must list question ids")
                continue
            found.append((other_id, tuple(names)))
            source = self.folder.raw(f"{other_id}-v{version}")
            if source is None:
                self.add(1, "context_from", f"'{other_id}-v{version}' is not in this folder")
                continue
            questions = {
                q.get("id"): q for q in source[0].get("questions", []) if isinstance(q, dict)
            }
            for name in names:
                question = questions.get(name)
                if question is None or question.get("repeat") is not None:
                    self.add(
                        1,
                        "context_from",
                        f"'{name}' is not a question of '{other_id}-v{version}' "
                        "(outside its repeat groups)",
                    )
        return tuple(found)

    def build_sections(self, questions: list[Question]) -> tuple[Section, ...]:
        """``[[sections]]`` (id, title, first): parts of the file in question order."""
        raw_items = self.data.get("sections", [])
        if not isinstance(raw_items, list):
            self.add(1, None, "'sections' must be a list of tables ([[sections]])")
            return ()
        lines = table_lines(self.source, "sections")
        order = [q.id for q in questions]
        sections: list[Section] = []
        for index, raw in enumerate(raw_items):
            line = line_of(lines, index)
            if not isinstance(raw, dict):
                self.add(line, None, "a section must be a table")
                continue
            self.unknown_keys(raw, ("id", "title", "first"), line, raw.get("id"))
            section_id, first = raw.get("id"), raw.get("first")
            if not isinstance(section_id, str) or not _ID.match(section_id):
                self.add(line, None, "a section needs an 'id' that is a lower-case identifier")
                continue
            title = self.localized(raw.get("title"), line, section_id, "title")
            if not isinstance(first, str) or first not in order:
                self.add(line, section_id, f"'first' must name a question of the file: {first!r}")
                continue
            if sections and order.index(first) <= order.index(sections[-1].first):
                self.add(line, section_id, "sections must follow the order of the questions")
                continue
            sections.append(Section(section_id, title, first, line))
        if sections and order and sections[0].first != order[0]:
            self.add(sections[0].line, sections[0].id, "the first section starts at question 1")
        return tuple(sections)

    def load_catalog(self) -> None:
        key = self.data.get("catalog")
        if not isinstance(key, str) or not KEY.match(key):
            self.add(1, None, "'catalog' must name the outcome catalog, such as \"uitkomst-v2\"")
            return
        if self.folder.raw(key) is None:
            self.add(1, None, f"'catalog' names '{key}', which is not in {self.folder.folder}")
            return
        try:
            self.catalog = self.folder.catalog(key)
        except QuestionnaireError as error:
            self.add(1, None, f"the catalog '{key}' does not load:")
            self.problems.items.extend(f"  {problem}" for problem in error.problems)

    def outcome_table(self) -> tuple[int, list[str]]:
        threshold, scp_areas = 3, list[str]()
        outcome = self.data.get("outcome", {})
        if not isinstance(outcome, dict):
            self.add(1, None, "'outcome' must be a table")
            return threshold, scp_areas
        if "stacking_threshold" in outcome:
            threshold = outcome["stacking_threshold"]
            if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
                self.add(1, "outcome", "'stacking_threshold' must be a whole number of at least 1")
                threshold = 3
        if "scp_areas" in outcome:
            line = header_line(self.source, "outcome")
            if self.format != 2:
                self.add(line, "outcome", "'scp_areas' needs format 2")
            else:
                scp_areas = self.id_list(outcome, "scp_areas", line, "outcome")
        return threshold, scp_areas

    def build_list(
        self, key: str, build: Callable[[dict[str, Any], int, str], _Item]
    ) -> list[_Item]:
        raw_items = self.data.get(key, [])
        if not isinstance(raw_items, list):
            self.add(1, None, f"'{key}' must be a list of tables ([[{key}]])")
            return []
        lines = table_lines(self.source, key)
        items: list[_Item] = []
        for index, raw in enumerate(raw_items):
            line = line_of(lines, index)
            if not isinstance(raw, dict):
                self.add(line, None, f"each of [[{key}]] must be a table")
                continue
            item_id = raw.get("id")
            if not isinstance(item_id, str) or not _ID.match(item_id):
                self.add(line, None, f"[[{key}]] needs an 'id' that is a lower-case identifier")
                continue
            items.append(build(raw, line, item_id))
        return items

    def build_repeat(self, raw: dict[str, Any], line: int, repeat_id: str) -> Repeat:
        count_from = raw.get("count_from")
        if not isinstance(count_from, str):
            self.add(line, repeat_id, "'count_from' must name a number question")
            count_from = ""
        return Repeat(
            repeat_id, count_from, self.localized(raw.get("label"), line, repeat_id, "label"), line
        )

    def build_domains(self) -> list[Domain]:
        advice_lines = table_lines(self.source, "domains.advice")
        position = 0

        def build(raw: dict[str, Any], line: int, domain_id: str) -> Domain:
            nonlocal position
            name = self.localized(raw.get("name"), line, domain_id, "name")
            advice = raw.get("advice")
            if self.format == 1:
                text = self.localized(advice, line, domain_id, "advice")
                return Domain(domain_id, name, (AdviceItem("advice", text),), line)
            self.unknown_keys(raw, {"id", "name", "advice"}, line, domain_id)
            if not isinstance(advice, list) or not advice:
                self.add(
                    line,
                    domain_id,
                    "a domain needs one or more [[domains.advice]] items (a single 'advice' "
                    "text is format 1)",
                )
                return Domain(domain_id, name, (), line)
            items: list[AdviceItem] = []
            for raw_item in advice:
                item_line = line_of(advice_lines, position)
                position += 1
                items.append(self.build_advice(raw_item, item_line, domain_id))
            duplicates(self, "advice", [(f"{domain_id}.{i.id}", item_line) for i in items])
            return Domain(domain_id, name, tuple(items), line)

        return self.build_list("domains", build)

    def build_advice(self, raw: Any, line: int, domain_id: str) -> AdviceItem:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(item_id, str) or not _ID.match(item_id):
            self.add(
                line, domain_id, "each advice item needs an 'id' that is a lower-case identifier"
            )
            return AdviceItem("", Localized("", ""))
        where = f"{domain_id}.{item_id}"
        self.unknown_keys(raw, {"id", "text", "only_if", "not_if"}, line, where)
        only_if = self.condition(raw.get("only_if"), line, where, "only_if")
        not_if = self.condition(raw.get("not_if"), line, where, "not_if")
        for key, node in (("only_if", only_if), ("not_if", not_if)):
            self.outcome_names(node, OUTCOME_CONTEXT_NAMES, line, where, key)
        return AdviceItem(
            item_id, self.localized(raw.get("text"), line, where, "text"), only_if, not_if
        )

    def build_signal(self, raw: dict[str, Any], line: int, signal_id: str) -> Signal:
        return Signal(signal_id, self.localized(raw.get("name"), line, signal_id, "name"), line)

    def build_derived(self, raw: dict[str, Any], line: int, derived_id: str) -> Derived:
        self.unknown_keys(raw, {"id", "condition"}, line, derived_id)
        node = self.condition(raw.get("condition"), line, derived_id, "condition")
        if "condition" not in raw:
            self.add(line, derived_id, "a derived name needs a 'condition'")
        return Derived(derived_id, node if node is not None else _FALSE, line)

    def build_compat(
        self, scan_id: str, scp_areas: list[str], questions: list[Question]
    ) -> ScanCompat | None:
        line = header_line(self.source, "compat.v1")
        compat = self.data.get("compat")
        raw = compat.get("v1") if isinstance(compat, dict) else None
        if not isinstance(raw, dict):
            self.add(line, "compat", "'compat' holds one table, [compat.v1]")
            return None
        self.unknown_keys(raw, {"counts", "dropped", "scp_area"}, line, "compat.v1")
        counts = self.id_list(raw, "counts", line, "compat.v1")
        dropped = self.id_list(raw, "dropped", line, "compat.v1")
        areas = raw.get("scp_area", {})
        if not isinstance(areas, dict) or not all(isinstance(v, str) for v in areas.values()):
            self.add(line, "compat.v1", "'scp_area' must be a table of v1 id = SCP area")
            areas = {}
        compat_value = ScanCompat(frozenset(counts), frozenset(dropped), dict(areas))
        checks.check_compat(self, line, compat_value, scp_areas, questions, self.folder, scan_id)
        return compat_value
