"""The checks between the parts of a questionnaire file, and between files (format 2).

Each check reports to the loader's :class:`~.reading.Reader`, so every problem of a file is
listed at once, with its line and the id of what is wrong. Format-1 files get exactly the
checks they always had; the format-2 rules are those of questionnaires/FORMAT.md.
"""

from __future__ import annotations

from typing import Any, Protocol

from kindcheck.errors import QuestionnaireError

from .catalog import Catalog
from .model import (
    CONTEXT_NAMES,
    NO_SCP_AREA,
    REASK_VALUES,
    SESSION_CONTEXT_NAMES,
    Derived,
    Domain,
    Question,
    Questionnaire,
    Repeat,
    ScanCompat,
    Signal,
)
from .reading import Reader, hint


class Folder(Protocol):
    """The content files beside the file being checked (``loader.Folder``): described here, not
    imported, because the loader runs these checks."""

    def raw(self, key: str) -> tuple[dict[str, Any], str, str] | None: ...
    def questionnaire(self, key: str) -> Questionnaire: ...
    def main_questionnaires(self, catalog_key: str) -> list[str]: ...


class FileChecks:
    def __init__(self, reader: Reader, file_format: int, catalog: Catalog | None) -> None:
        self.reader = reader
        self.format = file_format
        self.catalog = catalog
        self.context_names = SESSION_CONTEXT_NAMES if file_format == 2 else CONTEXT_NAMES
        # The names of another questionnaire's answers a prefill may use (`context_from`).
        self.prefill_names: frozenset[str] = frozenset()

    def add(self, line: int | None, where: str | None, message: str) -> None:
        self.reader.add(line, where, message)

    # -- ids ----------------------------------------------------------------------------------

    def ids(
        self,
        questions: list[Question],
        repeats: list[Repeat],
        domains: list[Domain],
        signals: list[Signal],
        derived: list[Derived],
    ) -> None:
        for kind, items in (
            ("question", questions),
            ("repeat", repeats),
            ("domain", domains),
            ("signal", signals),
            ("derived", derived),
        ):
            seen: dict[str, int] = {}
            for item in items:
                if item.id in seen:
                    self.add(
                        item.line,
                        item.id,
                        f"duplicate {kind} id (first defined at line {seen[item.id]})",
                    )
                else:
                    seen[item.id] = item.line
        question_ids = {q.id for q in questions}
        for repeat in repeats:
            if repeat.id in question_ids:
                self.add(repeat.line, repeat.id, "a repeat group has the id of a question")
        repeat_ids = {r.id for r in repeats}
        for name in derived:
            if name.id in question_ids or name.id in repeat_ids:
                self.add(name.line, name.id, "a derived name has the id of a question")
            elif name.id in self.context_names:
                self.add(name.line, name.id, "a derived name has the name of the session context")
        roles: dict[str, str] = {}
        for question in questions:
            if question.role:
                if question.role in roles:
                    self.add(
                        question.line,
                        question.id,
                        f"role '{question.role}' is already held by '{roles[question.role]}'",
                    )
                roles[question.role] = question.id

    # -- derived names ----------------------------------------------------------------------

    def derived(
        self, derived: list[Derived], questions: list[Question]
    ) -> dict[str, frozenset[str]]:
        """Check each derived condition's names; return, per derived name, the questions it
        depends on (through other derived names too)."""
        by_id = {q.id: q for q in questions}
        names = {d.id: d for d in derived}
        for item in derived:
            for name in sorted(item.condition.names()):
                if name in self.context_names or name in names:
                    continue
                question = by_id.get(name)
                if question is None:
                    self.add(
                        item.line,
                        item.id,
                        f"'condition' names unknown question '{name}'"
                        f"{hint(name, list(by_id) + list(names))}",
                    )
                elif question.repeat is not None:
                    self.add(
                        item.line,
                        item.id,
                        f"'condition' names '{name}', which is asked per item of repeat group "
                        f"'{question.repeat}'",
                    )
        deps: dict[str, frozenset[str]] = {}
        reported: set[str] = set()

        def visit(name: str, path: tuple[str, ...]) -> frozenset[str]:
            if name in deps:
                return deps[name]
            if name in path:
                circle = (*path[path.index(name) :], name)
                if name not in reported:
                    reported.update(circle)
                    self.add(
                        names[name].line,
                        name,
                        "derived names depend on each other in a circle: " + " -> ".join(circle),
                    )
                return frozenset()
            found: set[str] = set()
            for used in names[name].condition.names():
                if used in names:
                    found |= visit(used, (*path, name))
                elif used in by_id:
                    found.add(used)
            deps[name] = frozenset(found)
            return deps[name]

        for item in derived:
            visit(item.id, ())
        return deps

    # -- references -------------------------------------------------------------------------

    def references(
        self,
        questions: list[Question],
        repeats: list[Repeat],
        domains: list[Domain],
        signals: list[Signal],
        derived_deps: dict[str, frozenset[str]],
    ) -> None:
        position = {q.id: index for index, q in enumerate(questions)}
        by_id = {q.id: q for q in questions}
        repeat_ids = {r.id: r for r in repeats}
        domain_ids = {d.id for d in domains}
        own_signals = {s.id for s in signals}
        for index, question in enumerate(questions):
            taken = (
                f" (in the question taken from '{question.included_from}')"
                if question.included_from
                else ""
            )
            conditions = [("show_if", question.show_if), ("prefill_if", question.prefill_if)]
            conditions += [("prefill", rule.condition) for rule in question.prefills]
            for key, node in conditions:
                if node is None:
                    continue
                for name in sorted(node.names()):
                    if name in self.context_names:
                        continue
                    if key.startswith("prefill") and name in self.prefill_names:
                        continue
                    if name in derived_deps:
                        for dep in sorted(derived_deps[name]):
                            if position[dep] >= index:
                                self.add(
                                    question.line,
                                    question.id,
                                    f"'{key}' uses '{name}', which depends on '{dep}', which "
                                    f"comes later (a condition can only look back){taken}",
                                )
                        continue
                    if name not in position:
                        known = list(position) + list(derived_deps)
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names unknown question '{name}'{hint(name, known)}{taken}",
                        )
                    elif position[name] >= index:
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names '{name}', which comes later (a condition can "
                            f"only look back){taken}",
                        )
                    elif by_id[name].repeat and by_id[name].repeat != question.repeat:
                        self.add(
                            question.line,
                            question.id,
                            f"'{key}' names '{name}', which is asked per item of repeat "
                            f"group '{by_id[name].repeat}'",
                        )
            if question.repeat is not None and question.repeat not in repeat_ids:
                self.add(question.line, question.id, f"unknown repeat group '{question.repeat}'")
            if question.domain is not None:
                if question.domain not in domain_ids:
                    self.add(question.line, question.id, f"unknown domain '{question.domain}'")
                if not question.problem_answers:
                    self.add(
                        question.line,
                        question.id,
                        "an indicator of a domain needs 'problem_answers'",
                    )
            elif question.problem_answers:
                self.add(question.line, question.id, "'problem_answers' without a 'domain'")
            if question.signal is not None:
                known_signal = (
                    question.signal in own_signals
                    if self.format == 1
                    else self.catalog is None or self.catalog.has_signal(question.signal)
                )
                if not known_signal:
                    where = "" if self.format == 1 else f" (not in catalog '{self._catalog_key}')"
                    self.add(
                        question.line, question.id, f"unknown signal '{question.signal}'{where}"
                    )
                if not question.signal_answers:
                    self.add(question.line, question.id, "a signal question needs 'signal_answers'")
            elif question.signal_answers:
                self.add(question.line, question.id, "'signal_answers' without a 'signal'")
        for domain in domains:
            if not any(q.domain == domain.id for q in questions):
                self.add(domain.line, domain.id, "domain has no indicator questions")
        for signal in signals:
            if not any(q.signal == signal.id for q in questions):
                self.add(signal.line, signal.id, "signal is raised by no question")
        for repeat in repeats:
            members = [position[q.id] for q in questions if q.repeat == repeat.id]
            if not members:
                self.add(repeat.line, repeat.id, "repeat group has no questions")
                continue
            if members != list(range(members[0], members[0] + len(members))):
                self.add(
                    repeat.line, repeat.id, "the questions of a repeat group must stand together"
                )
            counter = by_id.get(repeat.count_from)
            if counter is None:
                self.add(
                    repeat.line,
                    repeat.id,
                    f"'count_from' names unknown question '{repeat.count_from}'",
                )
            elif counter.type != "number" or counter.repeat is not None:
                self.add(
                    repeat.line,
                    repeat.id,
                    "'count_from' must name a number question outside the group",
                )
            elif position[counter.id] >= members[0]:
                self.add(
                    repeat.line,
                    repeat.id,
                    f"'count_from' question '{counter.id}' must come before the group",
                )

    @property
    def _catalog_key(self) -> str:
        return self.catalog.key if self.catalog is not None else "?"

    # -- format 2 ---------------------------------------------------------------------------

    def format_2(self, questions: list[Question], scp_areas: list[str], is_scan: bool) -> None:
        """Concerns, open items, re-asks, events, SCP areas and ``same_as`` on each question."""
        catalog = self.catalog
        for question in questions:
            line, where = question.line, question.id
            if question.concern is not None:
                if catalog is not None and not catalog.has_concern(question.concern):
                    self.add(
                        line,
                        where,
                        f"unknown concern '{question.concern}' (not in catalog "
                        f"'{self._catalog_key}')",
                    )
                if not question.concern_answers:
                    self.add(line, where, "a concern question needs 'concern_answers'")
            elif question.concern_answers:
                self.add(line, where, "'concern_answers' without a 'concern'")
            lists = {
                "signal_answers": question.signal_answers,
                "concern_answers": question.concern_answers,
                "open_answers": question.open_answers,
            }
            for answer in sorted({a for values in lists.values() for a in values}):
                holders = [key for key, values in lists.items() if answer in values]
                if len(holders) > 1:
                    self.add(
                        line,
                        where,
                        f"answer '{answer}' is in more than one of "
                        + " and ".join(holders)
                        + " (one answer leads to one thing)",
                    )
            if question.open_answers and question.open_item is None:
                self.add(line, where, "'open_answers' needs an 'open_item' (what to do next)")
            if question.open_item is not None and not question.open_answers:
                self.add(line, where, "'open_item' without 'open_answers'")
            if question.reask is not None:
                if question.reask not in REASK_VALUES:
                    self.add(line, where, f"'reask' must be \"{REASK_VALUES[0]}\"")
                elif not question.open_answers:
                    self.add(line, where, "'reask' needs 'open_answers' (what to ask again)")
            if question.records_events:
                self.events(question)
            self.scan_keys(question, scp_areas, is_scan)

    def events(self, question: Question) -> None:
        if question.type != "multi":
            self.add(question.line, question.id, "'events = true' needs a multi question")
            return
        for option in question.options:
            if option.exclusive:
                continue
            if self.catalog is not None and not self.catalog.has_event(option.id):
                self.add(
                    question.line,
                    question.id,
                    f"option '{option.id}' is not an event of catalog '{self._catalog_key}' "
                    "(every option but an exclusive one must be an event)",
                )

    def scan_keys(self, question: Question, scp_areas: list[str], is_scan: bool) -> None:
        line, where = question.line, question.id
        if not is_scan:
            if question.same_as is not None:
                self.add(line, where, "'same_as' is for problem-scan questions")
            if question.scp_area is not None:
                self.add(line, where, "'scp_area' is for problem-scan indicators")
            return
        for key, present in (
            ("signal", question.signal is not None),
            ("concern", question.concern is not None),
            ("open_answers", bool(question.open_answers)),
            ("events", question.records_events),
        ):
            if present:
                self.add(
                    line,
                    where,
                    f"a problem-scan question has no '{key}' in format 2 (the main "
                    "questionnaire asks what leads to signals, concerns and open items)",
                )
        if question.domain is None:
            if question.scp_area is not None:
                self.add(line, where, "'scp_area' without a 'domain'")
            return
        allowed = [*scp_areas, NO_SCP_AREA]
        if question.scp_area is None:
            self.add(
                line,
                where,
                "an indicator needs 'scp_area': one of [outcome].scp_areas, or \"none\"",
            )
        elif question.scp_area not in allowed:
            self.add(
                line,
                where,
                f"'scp_area' {question.scp_area!r} is not one of {', '.join(allowed)}"
                f"{hint(question.scp_area, allowed)}",
            )

    def requires_names(self, derived: list[Derived]) -> None:
        """A main questionnaire defines every derived name its catalog's ``requires`` use."""
        if self.catalog is None:
            return
        defined = {d.id for d in derived} | set(self.context_names)
        for item_id, names in self.catalog.requires_names().items():
            for name in sorted(names - defined):
                self.add(
                    1,
                    None,
                    f"catalog '{self.catalog.key}' [{item_id}]: 'requires' names '{name}', which "
                    "this questionnaire does not define as a [[derived]] name",
                )

    def same_as(self, questions: list[Question], folder: Folder, catalog_key: Any) -> None:
        """Each ``same_as`` target exists, with the same type and options, in every main
        questionnaire of the same catalog."""
        linked = [q for q in questions if q.same_as is not None]
        if not linked or not isinstance(catalog_key, str):
            return
        mains = folder.main_questionnaires(catalog_key)
        if not mains:
            for question in linked:
                self.add(
                    question.line,
                    question.id,
                    f"'same_as' needs a main questionnaire of catalog '{catalog_key}' beside "
                    "this file",
                )
            return
        for key in mains:
            try:
                main = folder.questionnaire(key)
            except QuestionnaireError as error:
                self.add(1, None, f"'{key}' (checked for 'same_as') does not load:")
                self.reader.problems.items.extend(f"  {p}" for p in error.problems)
                continue
            for question in linked:
                target_id = question.same_as or ""
                if not main.has_question(target_id):
                    self.add(
                        question.line,
                        question.id,
                        f"'same_as' names '{target_id}', which '{key}' does not have",
                    )
                    continue
                target = main.question(target_id)
                if target.repeat is not None or question.repeat is not None:
                    self.add(
                        question.line,
                        question.id,
                        "'same_as' links questions outside repeat groups only",
                    )
                elif target.type != question.type or [o.id for o in target.options] != [
                    o.id for o in question.options
                ]:
                    self.add(
                        question.line,
                        question.id,
                        f"'same_as' target '{target_id}' in '{key}' is not the same kind of "
                        f"question (a {target.type} question with other options or another type)",
                    )


def check_compat(
    reader: Reader,
    line: int,
    compat: ScanCompat,
    scp_areas: list[str],
    questions: list[Question],
    folder: Folder,
    scan_id: str,
) -> None:
    """``[compat.v1]`` lists every version-1 indicator exactly once, with an SCP area for
    each one that still counts."""
    where = "compat.v1"
    key = f"{scan_id}-v1"
    found = folder.raw(key)
    if found is None:
        reader.add(line, where, f"cannot check [compat.v1]: '{key}' is not in this folder")
        return
    v1_indicators = [
        q.get("id")
        for q in found[0].get("questions", [])
        if isinstance(q, dict) and "domain" in q and isinstance(q.get("id"), str)
    ]
    for indicator in v1_indicators:
        places = [name for name in ("counts", "dropped") if indicator in getattr(compat, name)]
        if not places:
            reader.add(
                line, where, f"v1 indicator '{indicator}' is in neither 'counts' nor 'dropped'"
            )
        elif len(places) > 1:
            reader.add(line, where, f"v1 indicator '{indicator}' is in both 'counts' and 'dropped'")
    for name in ("counts", "dropped"):
        for listed in sorted(getattr(compat, name) - set(v1_indicators)):
            reader.add(line, where, f"'{name}' names '{listed}', which is no indicator of '{key}'")
    allowed = [*scp_areas, NO_SCP_AREA]
    v2_areas = {q.id: q.scp_area for q in questions if q.domain is not None}
    for v1_id, area in sorted(compat.scp_area.items()):
        if v1_id not in compat.counts:
            reader.add(line, where, f"'scp_area' names '{v1_id}', which is not in 'counts'")
        if area not in allowed:
            reader.add(
                line, where, f"'scp_area' of '{v1_id}' is {area!r}, not one of {', '.join(allowed)}"
            )
    for v1_id in sorted(compat.counts):
        if v1_id not in compat.scp_area and not v2_areas.get(v1_id):
            reader.add(
                line,
                where,
                f"no SCP area for v1 indicator '{v1_id}': it has no v2 successor with the same "
                "id, so name its area in [compat.v1].scp_area",
            )
