"""Loading the outcome catalog and the Meldcode guide (format 2), and the version-1 guide.

Like the questionnaire loader, each raises one :class:`~kindcheck.errors.QuestionnaireError`
listing every problem with file, line and id. What a catalog's ``requires`` may name depends on
the questionnaire that uses it, so that is checked when a questionnaire loads its catalog.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kindcheck.conditions import Literal
from kindcheck.errors import QuestionnaireError

from .catalog import (
    Afweging,
    Catalog,
    Concern,
    ConcernStep,
    Decision,
    Event,
    Handoff,
    MeldcodeGuide,
    MeldcodeGuideV2,
    MeldcodeStep,
    ProfessionalGroup,
    RecordItem,
)
from .model import _ID, OUTCOME_CONTEXT_NAMES, Localized, Signal
from .reading import Problems, Reader, duplicates, header_line, item_tables, table_lines

_CATALOG_KEYS = frozenset(
    {
        "format",
        "kind",
        "id",
        "version",
        "title",
        "sources",
        "signals",
        "concern_steps",
        "concerns",
        "handoffs",
        "events",
    }
)
_SIGNAL_KEYS = frozenset({"id", "name", "source", "requires", "otherwise_concern"})
_STEP_KEYS = frozenset({"id", "text"})
_CONCERN_KEYS = frozenset({"id", "name", "source", "requires", "acute", "steps", "next"})
_HANDOFF_KEYS = frozenset({"id", "name", "what", "offer_if", "not_if"})
_EVENT_KEYS = frozenset({"id", "name", "due_days"})
# The condition of a hand-off whose ``offer_if`` could not be read: never offered (the file
# does not load anyway; this only keeps the value well-typed while problems are collected).
_NEVER = Literal(False)
MELDCODE_STEP_IDS = ("map_signals", "consult", "talk_with_client", "weigh", "decide")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError([f"{path}: file not found"]) from None
    except UnicodeDecodeError:
        raise QuestionnaireError([f"{path}: not a UTF-8 text file"]) from None
    except OSError as error:
        raise QuestionnaireError([f"{path}: cannot be read ({error.strerror})"]) from None


def _toml(source: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError([f"{name}: not valid TOML: {error}"]) from None


class _Header(Reader):
    def header(self, data: dict[str, Any], kind: str) -> tuple[str, int, Localized]:
        if data.get("format") != 2:
            self.add(1, None, f"'format' must be 2 (a {kind} is a format-2 file)")
        if data.get("kind") != kind:
            self.add(1, None, f"'kind' must be \"{kind}\"")
        file_id = data.get("id")
        if not isinstance(file_id, str) or not _ID.match(file_id):
            self.add(1, None, "'id' must be a lower-case identifier")
            file_id = ""
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.add(1, None, "'version' must be a whole number of at least 1")
            version = 0
        sources = data.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.add(1, None, "'sources' must be a list of texts")
        return file_id, version, self.localized(data.get("title"), 1, None, "title")


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; QuestionnaireError lists every problem."""
    path = Path(path)
    return parse_catalog(_read(path), str(path))


def parse_catalog(source: str, name: str = "<catalog>") -> Catalog:
    data = _toml(source, name)
    problems = Problems(name)
    reader = _Header(problems)
    catalog_id, version, title = reader.header(data, "catalog")
    reader.unknown_keys(data, _CATALOG_KEYS, 1, None)

    step_items = item_tables(reader, data, "concern_steps", table_lines(source, "concern_steps"))
    steps = {
        step_id: ConcernStep(step_id, reader.localized(raw.get("text"), line, step_id, "text"))
        for raw, line, step_id in step_items
    }
    for raw, line, step_id in step_items:
        reader.unknown_keys(raw, _STEP_KEYS, line, step_id)

    concerns: list[Concern] = []
    for raw, line, concern_id in item_tables(
        reader, data, "concerns", table_lines(source, "concerns")
    ):
        reader.unknown_keys(raw, _CONCERN_KEYS, line, concern_id)
        step_ids = reader.id_list(raw, "steps", line, concern_id)
        for step_id in step_ids:
            if step_id not in steps:
                reader.add(line, concern_id, f"unknown concern step '{step_id}'")
        raw_next = raw.get("next", [])
        if not isinstance(raw_next, list):
            reader.add(line, concern_id, "'next' must be a list of texts with 'nl' and 'en'")
            raw_next = []
        next_steps = tuple(reader.localized(text, line, concern_id, "next") for text in raw_next)
        if not step_ids and not next_steps:
            reader.add(line, concern_id, "a concern needs a next step ('steps' or 'next')")
        concerns.append(
            Concern(
                id=concern_id,
                name=reader.localized(raw.get("name"), line, concern_id, "name"),
                source=reader.text(raw, "source", line, concern_id, "what the concern rests on"),
                line=line,
                requires=reader.condition(raw.get("requires"), line, concern_id, "requires"),
                acute=reader.flag(raw, "acute", line, concern_id),
                steps=tuple(steps[s] for s in step_ids if s in steps),
                next=next_steps,
            )
        )
    concern_ids = {c.id for c in concerns}

    signals: list[Signal] = []
    for raw, line, signal_id in item_tables(
        reader, data, "signals", table_lines(source, "signals")
    ):
        reader.unknown_keys(raw, _SIGNAL_KEYS, line, signal_id)
        otherwise = raw.get("otherwise_concern")
        if otherwise is not None and otherwise not in concern_ids:
            reader.add(line, signal_id, f"'otherwise_concern' names unknown concern {otherwise!r}")
            otherwise = None
        signals.append(
            Signal(
                id=signal_id,
                name=reader.localized(raw.get("name"), line, signal_id, "name"),
                line=line,
                source=reader.text(raw, "source", line, signal_id, "what the signal rests on"),
                requires=reader.condition(raw.get("requires"), line, signal_id, "requires"),
                otherwise_concern=otherwise,
            )
        )

    handoffs: list[Handoff] = []
    for raw, line, handoff_id in item_tables(
        reader, data, "handoffs", table_lines(source, "handoffs")
    ):
        reader.unknown_keys(raw, _HANDOFF_KEYS, line, handoff_id)
        offer_if = reader.condition(raw.get("offer_if"), line, handoff_id, "offer_if")
        if "offer_if" not in raw:
            reader.add(line, handoff_id, "'offer_if' must say when the hand-off is offered")
        not_if = reader.condition(raw.get("not_if"), line, handoff_id, "not_if")
        for key, node in (("offer_if", offer_if), ("not_if", not_if)):
            reader.outcome_names(node, OUTCOME_CONTEXT_NAMES, line, handoff_id, key)
        handoffs.append(
            Handoff(
                id=handoff_id,
                name=reader.localized(raw.get("name"), line, handoff_id, "name"),
                what=reader.localized(raw.get("what"), line, handoff_id, "what"),
                offer_if=offer_if if offer_if is not None else _NEVER,
                line=line,
                not_if=not_if,
            )
        )

    events: list[Event] = []
    for raw, line, event_id in item_tables(reader, data, "events", table_lines(source, "events")):
        reader.unknown_keys(raw, _EVENT_KEYS, line, event_id)
        due_days = raw.get("due_days")
        if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 0:
            reader.add(line, event_id, "'due_days' must be a whole number of 0 or more")
            due_days = 0
        events.append(
            Event(
                event_id, reader.localized(raw.get("name"), line, event_id, "name"), due_days, line
            )
        )

    for kind, items in (
        ("signal", [(s.id, s.line) for s in signals]),
        ("concern", [(c.id, c.line) for c in concerns]),
        ("concern step", [(i, line) for _raw, line, i in step_items]),
        ("hand-off", [(h.id, h.line) for h in handoffs]),
        ("event", [(e.id, e.line) for e in events]),
    ):
        duplicates(reader, kind, items)
    if problems.items:
        raise QuestionnaireError(problems.items)
    return Catalog(
        id=catalog_id,
        version=version,
        title=title,
        signals=tuple(signals),
        concerns=tuple(concerns),
        handoffs=tuple(handoffs),
        events=tuple(events),
        concern_steps=tuple(steps.values()),
        path=name,
    )


# ---------------------------------------------------------------------------------------------
# The Meldcode guide


def load_guide_v1(path: str | Path) -> MeldcodeGuide:
    """The version-1 guide (meldcode.toml), as version-1 sessions showed it."""
    path = Path(path)
    source = _read(path)
    data = _toml(source, str(path))
    reader = Reader(Problems(str(path)))
    steps = tuple(
        MeldcodeStep(
            step_id,
            reader.localized(raw.get("title"), line, step_id, "title"),
            reader.localized(raw.get("detail"), line, step_id, "detail"),
        )
        for raw, line, step_id in item_tables(reader, data, "steps", table_lines(source, "steps"))
    )
    phone = data.get("veilig_thuis_phone")
    if not isinstance(phone, str) or not phone:
        reader.add(1, None, "'veilig_thuis_phone' must be a phone number")
        phone = ""
    guide = MeldcodeGuide(
        title=reader.localized(data.get("title"), 1, None, "title"),
        phone=phone,
        advice_anytime=reader.localized(data.get("advice_anytime"), 1, None, "advice_anytime"),
        not_a_decision=reader.localized(data.get("not_a_decision"), 1, None, "not_a_decision"),
        steps=steps,
    )
    if reader.problems.items:
        raise QuestionnaireError(reader.problems.items)
    return guide


_GUIDE_KEYS = frozenset(
    {
        "format",
        "kind",
        "id",
        "version",
        "sources",
        "title",
        "not_a_decision",
        "lines",
        "steps",
        "afwegingen",
        "decisions",
        "after_report",
        "record",
        "closing",
        "professional_groups",
    }
)


def load_guide_v2(path: str | Path) -> MeldcodeGuideV2:
    path = Path(path)
    return parse_guide(_read(path), str(path))


def parse_guide(source: str, name: str = "<guide>") -> MeldcodeGuideV2:
    """Validate a format-2 Meldcode guide; QuestionnaireError lists every problem."""
    data = _toml(source, name)
    problems = Problems(name)
    reader = _Header(problems)
    reader.header(data, "guide")
    reader.unknown_keys(data, _GUIDE_KEYS, 1, None)
    lines_line = header_line(source, "lines")
    raw_lines: dict[str, Any] = data["lines"] if isinstance(data.get("lines"), dict) else {}
    if not isinstance(data.get("lines"), dict):
        reader.add(lines_line, "lines", "'[lines]' must hold the acute and Veilig Thuis lines")
    reader.unknown_keys(
        raw_lines,
        {"acute", "veilig_thuis", "emergency_phone", "veilig_thuis_phone"},
        lines_line,
        "lines",
    )
    phones = [
        reader.text(raw_lines, key, lines_line, "lines", "a phone number")
        for key in ("veilig_thuis_phone", "emergency_phone")
    ]

    steps: list[MeldcodeStep] = []
    for raw, line, step_id in item_tables(reader, data, "steps", table_lines(source, "steps")):
        reader.unknown_keys(raw, {"id", "title", "detail"}, line, step_id)
        steps.append(
            MeldcodeStep(
                step_id,
                reader.localized(raw.get("title"), line, step_id, "title"),
                reader.localized(raw.get("detail"), line, step_id, "detail"),
            )
        )
    if tuple(s.id for s in steps) != MELDCODE_STEP_IDS:
        reader.add(
            1, None, "the steps must be the five of version 1: " + ", ".join(MELDCODE_STEP_IDS)
        )

    decisions: list[Decision] = []
    for raw, line, decision_id in item_tables(
        reader, data, "decisions", table_lines(source, "decisions")
    ):
        reader.unknown_keys(
            raw, {"id", "name", "needs_reason", "needs_date", "closes_process"}, line, decision_id
        )
        decisions.append(
            Decision(
                decision_id,
                reader.localized(raw.get("name"), line, decision_id, "name"),
                reader.flag(raw, "needs_reason", line, decision_id),
                reader.flag(raw, "needs_date", line, decision_id),
                reader.flag(raw, "closes_process", line, decision_id),
            )
        )
    decision_ids = {d.id for d in decisions}

    afwegingen: list[Afweging] = []
    for raw, line, afweging_id in item_tables(
        reader, data, "afwegingen", table_lines(source, "afwegingen")
    ):
        reader.unknown_keys(
            raw, {"id", "question", "yes", "no", "yes_decision", "no_decision"}, line, afweging_id
        )
        named: dict[str, str | None] = {}
        for key in ("yes_decision", "no_decision"):
            value = raw.get(key)
            if value is not None and value not in decision_ids:
                reader.add(line, afweging_id, f"'{key}' names unknown decision {value!r}")
                value = None
            named[key] = value
        afwegingen.append(
            Afweging(
                afweging_id,
                reader.localized(raw.get("question"), line, afweging_id, "question"),
                reader.localized(raw.get("yes"), line, afweging_id, "yes"),
                reader.localized(raw.get("no"), line, afweging_id, "no"),
                named["yes_decision"],
                named["no_decision"],
            )
        )

    after_line = header_line(source, "after_report")
    raw_after = data.get("after_report")
    if not isinstance(raw_after, dict) or not raw_after:
        reader.add(after_line, "after_report", "'[after_report]' must hold texts")
        raw_after = {}
    after_report = tuple(
        reader.localized(text, after_line, "after_report", key) for key, text in raw_after.items()
    )

    record = [
        RecordItem(item_id, reader.localized(raw.get("text"), line, item_id, "text"))
        for raw, line, item_id in item_tables(reader, data, "record", table_lines(source, "record"))
    ]

    closing_line = header_line(source, "closing")
    closing: dict[str, Any] = data["closing"] if isinstance(data.get("closing"), dict) else {}
    if not isinstance(data.get("closing"), dict):
        reader.add(closing_line, "closing", "'[closing]' must hold title, needs and hint")
    reader.unknown_keys(closing, {"title", "needs", "hint"}, closing_line, "closing")
    needs = reader.id_list(closing, "needs", closing_line, "closing")

    groups: list[ProfessionalGroup] = []
    for raw, line, group_id in item_tables(
        reader, data, "professional_groups", table_lines(source, "professional_groups")
    ):
        reader.unknown_keys(raw, {"id", "name", "afwegingskader"}, line, group_id)
        groups.append(
            ProfessionalGroup(
                group_id,
                reader.localized(raw.get("name"), line, group_id, "name"),
                reader.localized(raw.get("afwegingskader"), line, group_id, "afwegingskader"),
            )
        )
    for kind, items in (
        ("decision", [(d.id, 1) for d in decisions]),
        ("afweging", [(a.id, 1) for a in afwegingen]),
        ("professional group", [(g.id, 1) for g in groups]),
    ):
        duplicates(reader, kind, items)
    if not afwegingen or not decisions or not groups:
        reader.add(
            1, None, "a guide needs [[afwegingen]], [[decisions]] and [[professional_groups]]"
        )
    guide = MeldcodeGuideV2(
        title=reader.localized(data.get("title"), 1, None, "title"),
        not_a_decision=reader.localized(data.get("not_a_decision"), 1, None, "not_a_decision"),
        acute_line=reader.localized(raw_lines.get("acute"), lines_line, "lines", "acute"),
        veilig_thuis_line=reader.localized(
            raw_lines.get("veilig_thuis"), lines_line, "lines", "veilig_thuis"
        ),
        phone=phones[0],
        emergency=phones[1],
        steps=tuple(steps),
        afwegingen=tuple(afwegingen),
        decisions=tuple(decisions),
        after_report=after_report,
        record=tuple(record),
        closing_title=reader.localized(closing.get("title"), closing_line, "closing", "title"),
        closing_needs=tuple(needs),
        closing_hint=reader.localized(closing.get("hint"), closing_line, "closing", "hint"),
        groups=tuple(groups),
    )
    if problems.items:
        raise QuestionnaireError(problems.items)
    return guide
