"""Exact, unsuppressed counts per calendar period: counted, added up, read back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kindcheck.errors import ExportError

from .facts import (
    _BANDS_KEY,
    _DOMAIN_KEY,
    _DUE_KEY,
    _FOLLOWUP_KEY,
    _MAX_COUNT,
    _MAX_SCP_AREAS,
    _PARENT_BANDS_KEY,
    _PERIOD,
    _QUESTIONNAIRE_ID,
    PERIOD_TYPES,
    SCHEMA_VERSION,
    SETTINGS,
    SPLIT_MEASURES,
    PeriodType,
    PlanFacts,
    SessionFacts,
    _check_session,
    _known_key,
    _plain_ids,
    split_key,
)

# per setting, the keys of its split cells (made once: an export counts one per intake)
_SPLIT = {setting: {key: split_key(setting, key) for key in SPLIT_MEASURES} for setting in SETTINGS}


@dataclass(frozen=True, slots=True)
class Counts:
    """Exact, unsuppressed counts: period label -> cell key -> count (zeros left out).

    A cell key is a measure ("intakes") or a measure and a category ("followups:late",
    "intakes_per_domain:wonen"). Never leaves a laptop except inside a team file.
    """

    period_type: PeriodType
    periods: Mapping[str, Mapping[str, int]]
    questionnaires: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def total(self) -> dict[str, int]:
        """The total over all periods, per cell key."""
        out: dict[str, int] = {}
        for cells in self.periods.values():
            for key, value in cells.items():
                out[key] = out.get(key, 0) + value
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "period_type": self.period_type,
            "questionnaires": {qid: list(v) for qid, v in sorted(self.questionnaires.items())},
            "periods": {p: dict(sorted(c.items())) for p, c in sorted(self.periods.items())},
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "counts") -> Counts:
        """Read counts back, checking every field: the input may come from another laptop."""
        if not isinstance(data, dict):
            raise ExportError(f"{source}: the counts are not an object")
        unknown = set(data) - {"schema_version", "period_type", "questionnaires", "periods"}
        if unknown:
            raise ExportError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION or isinstance(version, bool):
            raise ExportError(
                f"{source}: export schema {version!r} is not the schema this "
                f"Kindcheck reads ({SCHEMA_VERSION})"
            )
        period_type = data.get("period_type")
        if period_type not in PERIOD_TYPES:
            raise ExportError(f"{source}: period_type must be 'month' or 'quarter'")
        questionnaires = _questionnaire_versions(data.get("questionnaires", {}), source)
        raw_periods = data.get("periods")
        if not isinstance(raw_periods, dict):
            raise ExportError(f"{source}: 'periods' must be an object")
        periods: dict[str, dict[str, int]] = {}
        for label, cells in raw_periods.items():
            if not isinstance(label, str) or not _PERIOD[period_type].fullmatch(label):
                raise ExportError(f"{source}: {label!r} is not a {period_type} label")
            if not isinstance(cells, dict):
                raise ExportError(f"{source}: period {label} must hold an object of counts")
            kept: dict[str, int] = {}
            for key, value in cells.items():
                if not isinstance(key, str) or not _known_key(key):
                    raise ExportError(f"{source}: {key!r} is not a measure this export counts")
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not 0 <= value <= _MAX_COUNT
                ):
                    raise ExportError(f"{source}: {label} {key} must be a whole number >= 0")
                if value:
                    kept[key] = value
            if kept:
                periods[label] = kept
        return cls(period_type, periods, questionnaires)


def _questionnaire_versions(value: Any, source: str) -> dict[str, tuple[int, ...]]:
    """{id: version or versions} -> {id: sorted distinct versions}, checked."""
    if not isinstance(value, Mapping):
        raise ExportError(f"{source}: questionnaire versions must map an id to versions")
    out: dict[str, tuple[int, ...]] = {}
    for qid, versions in value.items():
        if not isinstance(qid, str) or not _QUESTIONNAIRE_ID.fullmatch(qid):
            raise ExportError(f"{source}: {qid!r} is not a questionnaire id")
        items = [versions] if isinstance(versions, int) else versions
        if not isinstance(items, Iterable) or isinstance(items, str | bytes | Mapping):
            raise ExportError(f"{source}: the versions of {qid} must be whole numbers")
        checked = set()
        for item in items:
            if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= 10_000:
                raise ExportError(f"{source}: the versions of {qid} must be whole numbers >= 1")
            checked.add(item)
        out[qid] = tuple(sorted(checked))
    return dict(sorted(out.items()))


def _bounds(day: date, period: PeriodType) -> tuple[date, date]:
    """The first and last day of the period (month or quarter) ``day`` is in."""
    first_month = day.month if period == "month" else (day.month - 1) // 3 * 3 + 1
    after = first_month + (1 if period == "month" else 3)
    end = date(day.year + 1, 1, 1) if after > 12 else date(day.year, after, 1)
    return date(day.year, first_month, 1), end - timedelta(days=1)


def period_label(day: date, period: PeriodType) -> str:
    """'2026-11' for a month, '2026-Q4' for a quarter."""
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


class Tally:
    """Counts per period, one session or planned day at a time: :func:`aggregate`'s counting,
    also used by the report that counts straight from the sessions' facts records (checked
    as :func:`aggregate` checks them) without making a :class:`SessionFacts` of each."""

    __slots__ = ("_bounds", "labels", "period", "periods")

    def __init__(self, period: PeriodType) -> None:
        self.period = period
        self.periods: dict[str, dict[str, int]] = {}
        self.labels: dict[date, str] = {}  # many sessions share a day: label each day once
        self._bounds: dict[str, tuple[date, date]] = {}  # a period's first and last day

    def cells_for(self, day: date) -> dict[str, int]:
        label = self.labels.get(day)
        if label is None:
            label = self.labels[day] = period_label(day, self.period)
        found = self.periods.get(label)
        if found is None:
            found = self.periods[label] = {}
        return found

    @staticmethod
    def session(
        cells: dict[str, int],
        kind: str,
        completed: bool,
        minor: bool,
        children: int,
        domain_count: int | None,
        domains: Iterable[str],
        flag: bool,
        signal: bool,
        steps: int,
        timing: str | None,
        setting: str | None,
    ) -> None:
        """Count one session (checked facts) into its period's ``cells``."""
        get = cells.get
        if kind == "intake":
            split = _SPLIT.get(setting)  # type: ignore[arg-type]
            if split is not None:
                _count_split(cells, split, completed, minor)
            cells["intakes"] = get("intakes", 0) + 1
            if completed:
                cells["kindchecks_completed"] = get("kindchecks_completed", 0) + 1
            if minor:
                cells["clients_with_minor_children"] = get("clients_with_minor_children", 0) + 1
            if children:
                cells["children_in_view"] = get("children_in_view", 0) + children
            if domain_count is not None:
                band = "3+" if domain_count >= 3 else str(domain_count)
                key = f"{_BANDS_KEY}:{band}"
                cells[key] = get(key, 0) + 1
                if minor:
                    key = f"{_PARENT_BANDS_KEY}:{band}"
                    cells[key] = get(key, 0) + 1
                for domain in domains:
                    key = f"{_DOMAIN_KEY}:{domain}"
                    cells[key] = get(key, 0) + 1
            if flag:
                cells["parenting_support_flag"] = get("parenting_support_flag", 0) + 1
        elif timing is not None:
            key = f"{_FOLLOWUP_KEY}:{timing}"
            cells[key] = get(key, 0) + 1
        if signal:
            cells["safety_signals"] = get("safety_signals", 0) + 1
            key = "safety_signals_intake" if kind == "intake" else "safety_signals_followup"
            cells[key] = get(key, 0) + 1
        if steps:
            cells["meldcode_steps_taken"] = get("meldcode_steps_taken", 0) + steps

    @staticmethod
    def session_cells(
        kind: str,
        completed: bool,
        minor: bool,
        domain_count: int | None,
        flag: bool,
        signal: bool,
        timing: str | None,
        setting: str | None,
    ) -> SessionCells:
        """The cells :meth:`session` adds one to for a session of these (checked) facts, in
        its order: those before ``children_in_view``; for an intake (else None) those after
        it and before the domains' cells; and those after the domains' (before
        ``meldcode_steps_taken``). Made once per combination: a report counts a session by
        adding one to each, and its children and domains' cells (an intake's) and its steps
        in between, as :meth:`session` does."""
        key = (kind, completed, minor, domain_count, flag, signal, timing, setting)
        found = _SESSION_CELLS.get(key)
        if found is None:
            found = _SESSION_CELLS[key] = _session_cells(*key)
        return found

    def count_facts(self, facts: SessionFacts) -> None:
        """Count one session's checked facts (:func:`_check_session`) in its period."""
        self.session(
            self.cells_for(facts.period_day),
            facts.kind,
            facts.kindcheck_completed,
            facts.has_minor_children,
            facts.children_in_view,
            facts.problem_domain_count,
            facts.problem_domains,
            facts.parenting_support_flag,
            facts.safety_signal,
            facts.meldcode_steps_taken,
            facts.followup_timing,
            facts.setting,
        )

    def days(self, days: Iterable[date], key: str) -> None:
        """Count each of ``days`` (checked dates) once under ``key`` in its period. A plan's
        days come in order, most next to others of their period: such a run is counted at
        once (the same counts, the periods and cells added in the same order)."""
        labels, periods, bounds = self.labels, self.periods, self._bounds
        label = ""
        first = last = None
        run = 0
        for day in days:
            if first is not None and first <= day <= last:  # type: ignore[operator]
                run += 1
                continue
            if run:
                cells = periods.get(label)
                if cells is None:
                    cells = periods[label] = {}
                cells[key] = cells.get(key, 0) + run
            label = labels.get(day)  # type: ignore[assignment]
            if label is None:
                label = labels[day] = period_label(day, self.period)
            found = bounds.get(label)
            if found is None:
                found = bounds[label] = _bounds(day, self.period)
            first, last = found
            run = 1
        if run:
            cells = periods.get(label)
            if cells is None:
                cells = periods[label] = {}
            cells[key] = cells.get(key, 0) + run

    def counts(self, questionnaires: Mapping[str, int | Iterable[int]] | None) -> Counts:
        return Counts(
            self.period,
            {p: c for p, c in self.periods.items() if c},
            _questionnaire_versions(questionnaires or {}, "questionnaires"),
        )


def aggregate(
    sessions: Iterable[SessionFacts],
    plans: Iterable[PlanFacts] = (),
    period: PeriodType = "quarter",
    questionnaires: Mapping[str, int | Iterable[int]] | None = None,
) -> Counts:
    """Count the allowlisted measures per period; exact, unsuppressed.

    ``questionnaires`` ({id: version or versions}) is carried into the export's header.
    Streams its input: pass a generator to keep memory flat.
    """
    if period not in PERIOD_TYPES:
        raise ExportError("the period must be 'month' or 'quarter'")
    tally = Tally(period)
    cells_for = tally.cells_for
    count_facts = tally.count_facts
    for index, facts in enumerate(sessions):
        _check_session(facts, index)
        count_facts(facts)

    for index, plan in enumerate(plans):
        if not isinstance(plan, PlanFacts) or not isinstance(plan.overdue, bool):
            raise ExportError(f"plan facts #{index}: not a PlanFacts record")
        for days, cell in ((plan.due_held, "held_in_window"), (plan.due_not_held, "not_held")):
            if not isinstance(days, tuple) or not all(isinstance(d, date) for d in days):
                raise ExportError(f"plan facts #{index}: the due days must be dates")
            tally.days(days, f"{_DUE_KEY}:{cell}")
        if not plan.overdue:
            continue
        if not isinstance(plan.due_on, date):
            raise ExportError(
                f"plan facts #{index}: an overdue plan needs due_on (the missed "
                f"conversation's date) to pick its period"
            )
        cells = cells_for(plan.due_on)
        key = f"{_FOLLOWUP_KEY}:overdue"
        cells[key] = cells.get(key, 0) + 1

    return tally.counts(questionnaires)


def _count_split(
    cells: dict[str, int], keys: Mapping[str, str], completed: bool, minor: bool
) -> None:
    """An intake's cells in its setting (the split by setting, facts.SPLIT_MEASURES)."""
    get = cells.get
    chosen = ["intakes"]
    if completed:
        chosen.append("kindchecks_completed")
    if minor:
        chosen.append("clients_with_minor_children")
    for name in chosen:
        key = keys[name]
        cells[key] = get(key, 0) + 1


# (cells before children_in_view, before the domains', after them): see Tally.session_cells
SessionCells = tuple[tuple[str, ...], tuple[str, ...] | None, tuple[str, ...]]
# per combination of a checked session's facts (exact types: bools, an int count, strings),
# its cells; a few hundred combinations at most
_SESSION_CELLS: dict[tuple[object, ...], SessionCells] = {}
_DOMAIN_CELLS: dict[str, str] = {}  # domain id -> its cell key (a dozen ids)


def plain_scan(domains: list[object], scan: object, scp: object) -> bool:
    """Whether a facts record's scan fields (its domains a list) make facts that pass
    aggregate's check, decided with exact types (the report that counts straight from the
    records: kindcheck.service.counting)."""
    return (
        _plain_ids(domains)
        and len(domains) == len(set(domains))
        and (scan is None or type(scan) is int)
        and scan in (None, 1, 2)
        and (scp is None or (type(scp) is int and 0 <= scp <= _MAX_SCP_AREAS))
    )


def domain_cell(domain: str) -> str:
    """The cell key of a (checked) problem domain id: ``intakes_per_domain:<id>``."""
    found = _DOMAIN_CELLS.get(domain)
    if found is None:
        found = f"{_DOMAIN_KEY}:{domain}"
        if len(_DOMAIN_CELLS) < 256:
            _DOMAIN_CELLS[domain] = found
    return found


def _session_cells(
    kind: str,
    completed: bool,
    minor: bool,
    domain_count: int | None,
    flag: bool,
    signal: bool,
    timing: str | None,
    setting: str | None,
) -> SessionCells:
    """Tally.session's cells of one session without its counts (children, domains, steps)."""
    before: list[str] = []
    middle: list[str] = []
    after: list[str] = []
    if kind == "intake":
        split = _SPLIT.get(setting)  # type: ignore[arg-type]
        if split is not None:
            before.append(split["intakes"])
            if completed:
                before.append(split["kindchecks_completed"])
            if minor:
                before.append(split["clients_with_minor_children"])
        before.append("intakes")
        if completed:
            before.append("kindchecks_completed")
        if minor:
            before.append("clients_with_minor_children")
        if domain_count is not None:
            band = "3+" if domain_count >= 3 else str(domain_count)
            middle.append(f"{_BANDS_KEY}:{band}")
            if minor:
                middle.append(f"{_PARENT_BANDS_KEY}:{band}")
        if flag:
            after.append("parenting_support_flag")
    elif timing is not None:
        before.append(f"{_FOLLOWUP_KEY}:{timing}")
    if signal:
        after.append("safety_signals")
        after.append("safety_signals_intake" if kind == "intake" else "safety_signals_followup")
    return tuple(before), tuple(middle) if kind == "intake" else None, tuple(after)


def add(first: Counts, second: Counts) -> Counts:
    """The sum of two Counts over the same schema version and period type."""
    if first.schema_version != second.schema_version:
        raise ExportError(
            f"cannot add counts of export schema {first.schema_version} and {second.schema_version}"
        )
    if first.period_type != second.period_type:
        raise ExportError(
            f"cannot add counts per {first.period_type} to counts per "
            f"{second.period_type}; export both with the same --period"
        )
    periods: dict[str, dict[str, int]] = {p: dict(c) for p, c in first.periods.items()}
    for label, cells in second.periods.items():
        target = periods.setdefault(label, {})
        for key, value in cells.items():
            target[key] = target.get(key, 0) + value
    questionnaires = {qid: set(v) for qid, v in first.questionnaires.items()}
    for qid, versions in second.questionnaires.items():
        questionnaires.setdefault(qid, set()).update(versions)
    return Counts(
        first.period_type,
        periods,
        _questionnaire_versions(questionnaires, "counts"),
        first.schema_version,
    )
