"""Anonymised export: counts per calendar period, small-cell suppression, and team files.

Pure code over plain records: the store turns each stored session into a `SessionFacts` and
each follow-up plan into a `PlanFacts`; nothing here touches the database or the screen.

Pipeline::

    aggregate(sessions, plans, period)  -> Counts   unsuppressed, exact, can be added up
    add(a, b) / merge(team files, key)  -> Counts   several laptops, one team
    suppress(counts, threshold, rounding) -> Table  what may leave the laptop
    to_csv(table) / to_json(table)                  the files (export_schema.json)

What is counted (an allowlist, `MEASURES`; DOMAIN.md part 5), per calendar month ("2026-11")
or quarter ("2026-Q4") and in total. A session's date only picks its period and is never
written anywhere. Each intake stands for one client (one intake per client per treatment).

=============================  ============================================================
intakes                        intake sessions
kindchecks_completed           intakes whose Kindcheck was completed
kindcheck_completed_share      kindchecks_completed / intakes, computed from the *shown*
                               counts only (hidden when either is hidden), so it adds nothing
clients_with_minor_children    intakes with minor children
children_in_view               the children in view, summed over intakes
parents_by_domain_count        intakes with a problem scan, by domains counted: 0, 1, 2, 3+,
                               and "total" (= intakes with a scan)
intakes_per_domain             per domain id: intakes whose scan counted that domain (an
                               intake can count several, so this group has no total)
parenting_support_flag         intakes with the flag "hulp bij opvoeden"
safety_signals                 sessions (intakes and follow-ups) with a safety signal
meldcode_steps_taken           Meldcode steps taken, summed over all sessions
followups                      on_time / late: follow-up conversations held, in the period
                               held; overdue: plans overdue at export time, in the period of
                               the missed conversation (`PlanFacts.due_on`). No group total:
                               held conversations and open plans do not add up to anything.
=============================  ============================================================

Follow-up sessions count only towards safety_signals, meldcode_steps_taken and followups (a
repeated scan at a follow-up is not a new parent). "Overdue" is a state at export time, so it is
filed under the period the missed conversation fell in: every measure then has one value per
period and the total is always the sum over periods, which keeps team files additive and the
suppression margins exact.

Suppression (`suppress`) in short; see its docstring for the algorithm and its limits:
a count from 1 to threshold-1 shows as "<5"; cells hidden so that such a count cannot be
worked out (from totals, other cells, or the marker ranges) show as "x"; zeros show as 0;
optional rounding to the nearest 5. An exact audit backs the subtraction rule.

Team files: a laptop's unsuppressed `Counts`, encrypted to the team lead's X25519 public key
(ephemeral X25519, HKDF-SHA256, AES-256-GCM with the envelope header as associated data). The
public key is not a secret, so a team file proves nothing about who made it: the team lead
merges the files their own team handed them. `merge` refuses copies, two files from the same
laptop covering the same period, other schema versions and damaged files, naming the file.
"""

from __future__ import annotations

import base64
import binascii
import csv
import heapq
import io
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck import __version__
from kindcheck.errors import ExportError

__all__ = [
    "DEFAULT_THRESHOLD",
    "MEASURES",
    "MIN_THRESHOLD",
    "SCAN_DOMAINS",
    "SCHEMA_VERSION",
    "SECONDARY_MARK",
    "Counts",
    "PlanFacts",
    "SessionFacts",
    "Table",
    "add",
    "aggregate",
    "make_team_keypair",
    "merge",
    "open_team_file",
    "schema",
    "seal_team_file",
    "suppress",
    "to_csv",
    "to_json",
]

SCHEMA_VERSION: Final = 1  # of Counts, team files and the JSON export; bump on any change
EXPORT_FORMAT: Final = "kindcheck-export"
TEAM_FILE_FORMAT: Final = "kindcheck-team-file"
TEAM_FILE_VERSION: Final = 1  # of the envelope (crypto layout), independent of the counts
DEFAULT_THRESHOLD: Final = 5
MIN_THRESHOLD: Final = 3  # DESIGN.md: never below 3
MAX_THRESHOLD: Final = 1000
ROUNDING_BASE: Final = 5
SECONDARY_MARK: Final = "x"
TOTAL: Final = "total"

PeriodType = Literal["month", "quarter"]
PERIOD_TYPES: Final = ("month", "quarter")

MEASURES: Final[tuple[str, ...]] = (
    "intakes",
    "kindchecks_completed",
    "kindcheck_completed_share",
    "clients_with_minor_children",
    "children_in_view",
    "parents_by_domain_count",
    "intakes_per_domain",
    "parenting_support_flag",
    "safety_signals",
    "meldcode_steps_taken",
    "followups",
)
# The probleemscan-v1 domains (a test keeps them in step with the questionnaire), so a domain
# nobody had still shows as 0 instead of being missing.
SCAN_DOMAINS: Final[tuple[str, ...]] = (
    "financien",
    "werk",
    "wonen",
    "administratie",
    "huishouden",
    "psychisch",
    "lichamelijk",
    "relaties",
    "opvoeding",
    "netwerk",
    "justitie",
)
DOMAIN_BANDS: Final = ("0", "1", "2", "3+")
FOLLOWUP_CELLS: Final = ("on_time", "late", "overdue")
SHARE: Final = "kindcheck_completed_share"
_SIMPLE: Final = (
    "intakes",
    "kindchecks_completed",
    "clients_with_minor_children",
    "children_in_view",
    "parenting_support_flag",
    "safety_signals",
    "meldcode_steps_taken",
)
_BANDS_KEY: Final = "parents_by_domain_count"
_DOMAIN_KEY: Final = "intakes_per_domain"
_FOLLOWUP_KEY: Final = "followups"

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")  # domain ids: no free text, nothing a sheet runs
_QUESTIONNAIRE_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_PERIOD = {"month": re.compile(r"\d{4}-(0[1-9]|1[0-2])"), "quarter": re.compile(r"\d{4}-Q[1-4]")}
_MAX_COUNT: Final = 10**9
_MAX_TEAM_FILE: Final = 16 * 1024 * 1024

NOTICE: Final = {
    "nl": (
        'Aantallen van 1 tot en met {small} staan als "<{threshold}"; een "x" is '
        "weggelaten zodat zo'n klein aantal niet uit de andere cellen terug te rekenen is."
        "{rounded} Daardoor kloppen optellingen en totalen niet altijd."
    ),
    "en": (
        'Counts from 1 to {small} are shown as "<{threshold}"; an "x" is left out so '
        "that such a small count cannot be worked out from the other cells.{rounded} "
        "Because of this, cells and totals may not add up."
    ),
}
ROUNDED_NOTE: Final = {
    "nl": " De overige aantallen zijn afgerond op 5.",
    "en": " The other counts are rounded to the nearest 5.",
}

Cell = tuple[str, str]  # (row: period label or "total", cell key)
Equation = tuple[tuple[Cell, ...], Cell]  # sum(parts) == total
ShownValue = int | float | str | None


# ---------------------------------------------------------------------------------------------
# Input records


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """One stored session reduced to the facts the export may count; no free text by design.

    ``held_on`` only picks the period and is never exported. ``problem_domain_count`` is None
    when no scan was done, and then ``problem_domains`` is empty; otherwise it equals the number
    of (distinct) ids in ``problem_domains``. ``followup_timing`` is for follow-ups only.
    """

    kind: Literal["intake", "followup"]
    held_on: date
    kindcheck_completed: bool = False
    has_minor_children: bool = False
    children_in_view: int = 0
    problem_domain_count: int | None = None
    problem_domains: tuple[str, ...] = ()
    parenting_support_flag: bool = False
    safety_signal: bool = False
    meldcode_steps_taken: int = 0
    followup_timing: Literal["on_time", "late"] | None = None


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """A follow-up plan's state at export time.

    An overdue plan is counted once, under the period of ``due_on``: the date of the missed
    conversation (``FollowUpStatus.occurrence``), used only to pick the period.
    """

    overdue: bool
    due_on: date | None = None


# ---------------------------------------------------------------------------------------------
# Counts


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


def _known_key(key: str) -> bool:
    measure, _, category = key.partition(":")
    if not category:
        return measure in _SIMPLE
    if measure == _BANDS_KEY:
        return category in DOMAIN_BANDS
    if measure == _DOMAIN_KEY:
        return _ID.fullmatch(category) is not None
    return measure == _FOLLOWUP_KEY and category in FOLLOWUP_CELLS


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


def period_label(day: date, period: PeriodType) -> str:
    """'2026-11' for a month, '2026-Q4' for a quarter."""
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def _bad_count(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_COUNT


def _check_session(facts: object, index: int) -> None:
    """Refuse facts the store should never produce; messages name the position, not a client."""
    where = f"session facts #{index}"
    if not isinstance(facts, SessionFacts):
        raise ExportError(f"{where}: not a SessionFacts record")
    if facts.kind not in ("intake", "followup"):
        raise ExportError(f"{where}: kind must be 'intake' or 'followup'")
    if not isinstance(facts.held_on, date):
        raise ExportError(f"{where}: held_on must be a date")
    for name in (
        "kindcheck_completed",
        "has_minor_children",
        "parenting_support_flag",
        "safety_signal",
    ):
        if not isinstance(getattr(facts, name), bool):
            raise ExportError(f"{where}: {name} must be true or false")
    if _bad_count(facts.children_in_view) or _bad_count(facts.meldcode_steps_taken):
        raise ExportError(f"{where}: children_in_view and meldcode_steps_taken must be >= 0")
    domains = facts.problem_domains
    if not isinstance(domains, tuple) or not all(
        isinstance(d, str) and _ID.fullmatch(d) for d in domains
    ):
        raise ExportError(f"{where}: problem_domains must be a tuple of domain ids")
    if facts.problem_domain_count is None:
        if domains or facts.parenting_support_flag:
            raise ExportError(f"{where}: problem domains or the flag without a problem scan")
    elif (
        _bad_count(facts.problem_domain_count)
        or facts.problem_domain_count != len(set(domains))
        or len(set(domains)) != len(domains)
    ):
        raise ExportError(
            f"{where}: problem_domain_count must equal the number of distinct problem_domains"
        )
    if facts.followup_timing not in (None, "on_time", "late"):
        raise ExportError(f"{where}: followup_timing must be 'on_time', 'late' or None")
    if facts.followup_timing is not None and facts.kind != "followup":
        raise ExportError(f"{where}: followup_timing is for follow-up sessions only")


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
    periods: dict[str, dict[str, int]] = {}
    labels: dict[date, str] = {}  # many sessions share a day: label each day once

    def cells_for(day: date) -> dict[str, int]:
        label = labels.get(day)
        if label is None:
            label = labels[day] = period_label(day, period)
        found = periods.get(label)
        if found is None:
            found = periods[label] = {}
        return found

    for index, facts in enumerate(sessions):
        _check_session(facts, index)
        cells = cells_for(facts.held_on)
        get = cells.get
        if facts.kind == "intake":
            cells["intakes"] = get("intakes", 0) + 1
            if facts.kindcheck_completed:
                cells["kindchecks_completed"] = get("kindchecks_completed", 0) + 1
            if facts.has_minor_children:
                cells["clients_with_minor_children"] = get("clients_with_minor_children", 0) + 1
            if facts.children_in_view:
                cells["children_in_view"] = get("children_in_view", 0) + facts.children_in_view
            count = facts.problem_domain_count
            if count is not None:
                key = f"{_BANDS_KEY}:{'3+' if count >= 3 else count}"
                cells[key] = get(key, 0) + 1
                for domain in facts.problem_domains:
                    key = f"{_DOMAIN_KEY}:{domain}"
                    cells[key] = get(key, 0) + 1
            if facts.parenting_support_flag:
                cells["parenting_support_flag"] = get("parenting_support_flag", 0) + 1
        elif facts.followup_timing is not None:
            key = f"{_FOLLOWUP_KEY}:{facts.followup_timing}"
            cells[key] = get(key, 0) + 1
        if facts.safety_signal:
            cells["safety_signals"] = get("safety_signals", 0) + 1
        if facts.meldcode_steps_taken:
            cells["meldcode_steps_taken"] = (
                get("meldcode_steps_taken", 0) + facts.meldcode_steps_taken
            )

    for index, plan in enumerate(plans):
        if not isinstance(plan, PlanFacts) or not isinstance(plan.overdue, bool):
            raise ExportError(f"plan facts #{index}: not a PlanFacts record")
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

    return Counts(
        period,
        {p: c for p, c in periods.items() if c},
        _questionnaire_versions(questionnaires or {}, "questionnaires"),
    )


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


# ---------------------------------------------------------------------------------------------
# Suppression


@dataclass(frozen=True, slots=True)
class Table:
    """What may leave the laptop: per row (periods, then "total") and cell key, a shown value.

    A value is a count, "<threshold" (a count from 1 to threshold-1), "x" (a count of 1 or more,
    hidden so that a small count cannot be worked out), or for the share a fraction, "x" or
    None (no intakes).
    The true values of hidden cells are not kept here at all.
    """

    period_type: PeriodType
    threshold: int
    rounding: bool
    questionnaires: Mapping[str, tuple[int, ...]]
    rows: tuple[str, ...]
    keys: tuple[str, ...]
    values: Mapping[Cell, ShownValue]
    schema_version: int = SCHEMA_VERSION

    @property
    def primary_mark(self) -> str:
        return f"<{self.threshold}"


def _count_keys(domains: Sequence[str]) -> list[str]:
    """Every counted cell key of the table, in display order (the share is added later)."""
    return [
        "intakes",
        "kindchecks_completed",
        "clients_with_minor_children",
        "children_in_view",
        *(f"{_BANDS_KEY}:{band}" for band in (*DOMAIN_BANDS, TOTAL)),
        *(f"{_DOMAIN_KEY}:{domain}" for domain in domains),
        "parenting_support_flag",
        "safety_signals",
        "meldcode_steps_taken",
        *(f"{_FOLLOWUP_KEY}:{cell}" for cell in FOLLOWUP_CELLS),
    ]


_FLAG: Final = "parenting_support_flag"
_PLUS: Final = f"{_BANDS_KEY}:3+"


def table_equations(periods: Sequence[str], keys: Sequence[str]) -> list[Equation]:
    """Every additive relation a reader can use between the table's counted cells.

    Columns: each cell key summed over the periods is its total-row cell. Rows: the domain-count
    bands add up to their "total". Link: the parenting-support flag is raised exactly at 3+
    domains (default questionnaire threshold), so those two cells are equal in every row.
    """
    equations = _network_equations(periods, [k for k in keys if k != _FLAG])
    if periods and _FLAG in keys:
        equations.append((tuple((p, _FLAG) for p in periods), (TOTAL, _FLAG)))
    equations.extend((((row, _PLUS),), (row, _FLAG)) for row in (*periods, TOTAL))
    return equations


def _network_equations(periods: Sequence[str], keys: Sequence[str]) -> list[Equation]:
    """Column relations for ``keys`` and the band rows: every cell in at most two of them."""
    equations: list[Equation] = []
    if periods:
        equations.extend((tuple((p, key) for p in periods), (TOTAL, key)) for key in keys)
    if f"{_BANDS_KEY}:{TOTAL}" in keys:
        equations.extend(
            (
                tuple((row, f"{_BANDS_KEY}:{band}") for band in DOMAIN_BANDS),
                (row, f"{_BANDS_KEY}:{TOTAL}"),
            )
            for row in (*periods, TOTAL)
        )
    return equations


def _check_threshold(threshold: object) -> int:
    if not isinstance(threshold, int) or isinstance(threshold, bool):
        raise ExportError("the minimum cell size must be a whole number")
    if threshold < MIN_THRESHOLD:
        raise ExportError(
            f"a minimum cell size of {threshold} does not protect small counts: "
            f"use {MIN_THRESHOLD} or more (default {DEFAULT_THRESHOLD})"
        )
    if threshold > MAX_THRESHOLD:
        raise ExportError(f"a minimum cell size above {MAX_THRESHOLD} would hide everything")
    return threshold


def suppress(counts: Counts, threshold: int = DEFAULT_THRESHOLD, rounding: bool = False) -> Table:
    """Hide small counts and everything they could be worked out from; optionally round.

    The table is periods x cell keys with a total row. A reader can use its relations
    (`table_equations`): every column adds up over the periods to its total-row cell, the
    domain-count bands add up to their "total", and the flag column equals the 3+ column.

    1. Primary: every count from 1 to threshold-1 is hidden and shown as "<threshold".
    2. Subtraction: while some relation (its parts and its total) has exactly one hidden cell,
       hide its smallest non-zero shown part, or its total when no part is left; shown as "x".
    3. Audit: a reader knows a "<t" cell lies in 1..t-1 and an "x" cell in 1.. (hidden cells
       are never zero). A hidden cell is safe when some other value is consistent with all
       relations and those ranges; this is checked exactly, as a cycle in the residual graph
       of the relations (they form a network: columns, band rows, the flag an alias of 3+).
       A pinned cell (1 + 1 behind a shown 2; 4 + 4 behind a shown 8; a cell fixed by the
       difference of two columns) gets the smallest non-zero shown cell of a nearby relation
       hidden, or, when none is left, a nearby "<t" cell (a total first) shown as "x",
       which says less.
    4. Repeat 2 and 3 until no relation has one hidden cell and no hidden cell is pinned.

    Zeros stay 0: these are counts of process events (intakes, checks, conversations), where
    "none" says nothing about any one person, and the audit treats shown zeros as known
    values; hidden cells are never zeros, so a shown 0 is always a true 0 and "x" is never 0.

    Rounding (nearest 5, NHS Digital style) applies to shown counts only, never below the
    threshold (so no shown figure looks like a small count); the hidden cells are chosen on
    the exact counts, so rounding only adds uncertainty.

    Limits: the audit shows that each hidden cell can take a second value, not that its range
    is wide (a "<5" may be narrowed to 3..4); it assumes the reader knows the relations and
    the marker ranges, not which cell the algorithm would have picked; the flag is treated as
    an alias of 3+ only when the two are equal in every row (the default stacking threshold);
    inequalities between measures (kindchecks_completed <= intakes, the sum of
    intakes_per_domain vs the bands) are not modelled; and two exports of overlapping data
    (before and after a correction) can be differenced, which is why periods are fixed
    calendar periods and team counts are merged before suppression, once.
    """
    threshold = _check_threshold(threshold)
    periods = sorted(counts.periods)
    rows = (*periods, TOTAL)
    extra = sorted(
        {
            key.partition(":")[2]
            for cells in counts.periods.values()
            for key in cells
            if key.startswith(f"{_DOMAIN_KEY}:")
        }
        - set(SCAN_DOMAINS)
    )
    keys = _count_keys((*SCAN_DOMAINS, *extra))

    true: dict[Cell, int] = {}
    band_total = f"{_BANDS_KEY}:{TOTAL}"
    totals = counts.total()
    for row in rows:
        source = totals if row == TOTAL else counts.periods[row]
        for key in keys:
            true[(row, key)] = source.get(key, 0)
        true[(row, band_total)] = sum(source.get(f"{_BANDS_KEY}:{b}", 0) for b in DOMAIN_BANDS)

    # The flag equals 3+ in every row with the default stacking threshold: then the flag
    # column is the 3+ column again, and gets exactly its hidden pattern.
    aliased = all(true[(row, _FLAG)] == true[(row, _PLUS)] for row in rows)
    protected = [k for k in keys if not (aliased and k == _FLAG)]
    marks = _protect(
        {c: v for c, v in true.items() if c[1] in protected},
        _network_equations(periods, protected),
        threshold,
    )
    if aliased:
        marks.update({(row, _FLAG): marks[(row, _PLUS)] for row in rows if (row, _PLUS) in marks})

    primary = f"<{threshold}"
    values: dict[Cell, ShownValue] = {}
    for cell, value in true.items():
        mark = marks.get(cell)
        if mark is not None:
            values[cell] = primary if mark == _PRIMARY else SECONDARY_MARK
        else:
            values[cell] = _rounded(value, threshold) if rounding else value
    for row in rows:
        intakes, done = values[(row, "intakes")], values[(row, "kindchecks_completed")]
        if isinstance(intakes, int) and isinstance(done, int):
            values[(row, SHARE)] = round(min(done / intakes, 1.0), 3) if intakes else None
        else:
            values[(row, SHARE)] = SECONDARY_MARK  # derived only from shown counts
    shown_keys = (*keys[:2], SHARE, *keys[2:])
    return Table(
        counts.period_type,
        threshold,
        rounding,
        dict(counts.questionnaires),
        rows,
        shown_keys,
        values,
        counts.schema_version,
    )


def _rounded(value: int, threshold: int) -> int:
    """Nearest multiple of 5, but never a figure below the threshold (it would look small)."""
    if value == 0:
        return 0
    rounded = (value + ROUNDING_BASE // 2) // ROUNDING_BASE * ROUNDING_BASE
    if rounded < threshold:
        rounded = -(-threshold // ROUNDING_BASE) * ROUNDING_BASE
    return rounded


_PRIMARY: Final = "primary"  # shown "<t": the reader knows 1..t-1
_SECONDARY: Final = "secondary"  # shown "x": the reader knows only that it is not 0
_UNBOUNDED: Final = 10**15

Node = tuple[str, int]  # ("eq", i) or ("ground", i): the private other end of a one-relation cell


def _edges(equations: list[Equation]) -> dict[Cell, tuple[Node, Node]]:
    """The relations as a flow network: each cell an edge (tail, head), each relation a node.

    Every cell lies in at most two relations, with opposite signs once each relation is given
    a sign (columns and band rows of a table with margins are a transportation problem), so
    "every relation holds" is flow conservation. A cell in one relation runs to a private
    ground node.
    """
    seen: dict[Cell, list[tuple[int, int]]] = {}
    for index, (parts, total) in enumerate(equations):
        for cell in parts:
            seen.setdefault(cell, []).append((index, 1))
        seen.setdefault(total, []).append((index, -1))
    neighbours: dict[int, list[tuple[int, int]]] = {}
    for places in seen.values():
        if len(places) > 2:
            raise AssertionError("a cell in more than two export relations")  # our own bug
        if len(places) == 2:
            (i, a), (j, b) = places
            neighbours.setdefault(i, []).append((j, -a * b))
            neighbours.setdefault(j, []).append((i, -a * b))
    sign: dict[int, int] = {}
    for start in range(len(equations)):
        if start in sign:
            continue
        sign[start], stack = 1, [start]
        while stack:
            i = stack.pop()
            for j, relative in neighbours.get(i, ()):
                wanted = sign[i] * relative
                if j not in sign:
                    sign[j] = wanted
                    stack.append(j)
                elif sign[j] != wanted:
                    raise AssertionError("the export relations are not a network")
    edges: dict[Cell, tuple[Node, Node]] = {}
    for cell, places in seen.items():
        ends = [(("eq", i), sign[i] * a) for i, a in places]
        if len(ends) == 1:
            ends.append((("ground", places[0][0]), -ends[0][1]))
        (first, first_in), (second, _) = ends
        edges[cell] = (second, first) if first_in > 0 else (first, second)
    return edges


def _protect(true: dict[Cell, int], equations: list[Equation], threshold: int) -> dict[Cell, str]:
    """Which cells to hide, and how (primary "<t" or secondary "x"); see `suppress`."""
    return _Protector(true, equations, threshold).run()


class _Protector:
    """One suppression run. Hiding a cell or saying less about one only ever adds arcs to the
    residual graph of the audit, so a cell once shown to move stays so: nothing is re-checked.
    """

    def __init__(self, true: dict[Cell, int], equations: list[Equation], threshold: int) -> None:
        self.true = true
        self.equations = equations
        self.threshold = threshold
        self.order = {cell: index for index, cell in enumerate(true)}  # ties: display order
        self.edges = _edges(equations)
        self.relations: dict[Cell, list[int]] = {}
        for index, (parts, total) in enumerate(equations):
            for cell in (*parts, total):
                self.relations.setdefault(cell, []).append(index)
        self.marks: dict[Cell, str] = {}
        self.hidden_in = [0] * len(equations)  # hidden cells per relation
        self.dirty: list[int] = []  # relations to look at again in step 2
        self.arcs: dict[Node, list[tuple[Node, Cell]]] = {}
        self.rising: set[Cell] = set()  # cells with their "can rise" arc in place
        self.falling: set[Cell] = set()
        self.movable: set[Cell] = set()  # cells shown to have a second consistent value
        self.unchecked: list[tuple[int, Cell]] = []  # heap of hidden cells, display order

    def run(self) -> dict[Cell, str]:
        for cell, value in self.true.items():
            if 0 < value < self.threshold:
                self.hide(cell, _PRIMARY)  # step 1
        while True:
            self.close_single_gaps()  # step 2
            pinned = self.first_pinned()  # step 3
            if pinned is None:
                return self.marks
            self.loosen(pinned)

    def hide(self, cell: Cell, mark: str) -> None:
        if cell not in self.marks:
            for index in self.relations.get(cell, ()):
                self.hidden_in[index] += 1
                self.dirty.append(index)
        self.marks[cell] = mark
        heapq.heappush(self.unchecked, (self.order[cell], cell))
        if cell not in self.edges:
            return  # in no relation: its marker range alone leaves it open
        tail, head = self.edges[cell]
        value = self.true[cell]
        high = self.threshold - 1 if mark == _PRIMARY else _UNBOUNDED
        if value < high and cell not in self.rising:
            self.rising.add(cell)
            self.arcs.setdefault(tail, []).append((head, cell))
        if value > 1 and cell not in self.falling:
            self.falling.add(cell)
            self.arcs.setdefault(head, []).append((tail, cell))

    def partner(self, index: int) -> tuple[bool, int, int, Cell] | None:
        """What to hide in a relation: its smallest non-zero shown part, else its total."""
        parts, total = self.equations[index]
        marks, true, order = self.marks, self.true, self.order
        shown = [c for c in parts if c not in marks and true[c] > 0]
        if shown:
            best = min(shown, key=lambda c: (true[c], order[c]))
            return (False, true[best], order[best], best)
        if total not in marks and true[total] > 0:
            return (True, true[total], order[total], total)
        return None

    def close_single_gaps(self) -> None:
        while self.dirty:
            index = self.dirty.pop()
            if self.hidden_in[index] == 1:
                choice = self.partner(index)
                if choice is not None:  # always: a hidden part makes its total non-zero
                    self.hide(choice[3], _SECONDARY)

    def first_pinned(self) -> Cell | None:
        """The first hidden cell no other value fits (exact for a network), or None.

        Raising a cell (tail -> head) by one needs a path head -> tail in the residual graph
        of the other hidden cells (an arc a -> b where a cell can rise, b -> a where it can
        fall); lowering it needs tail -> head. If another consistent table exists at all, such
        a unit cycle does (conformal decomposition of the difference of the two tables).
        """
        while self.unchecked:
            _, cell = heapq.heappop(self.unchecked)
            if cell in self.movable:
                continue
            if cell not in self.edges:
                self.movable.add(cell)
                continue
            tail, head = self.edges[cell]
            cycle = self.path(head, tail, cell) if cell in self.rising else None
            if cycle is None and cell in self.falling:
                cycle = self.path(tail, head, cell)
            if cycle is None:
                heapq.heappush(self.unchecked, (self.order[cell], cell))
                return cell
            self.movable.add(cell)
            self.movable.update(cycle)  # they move along the same cycle
        return None

    def path(self, start: Node, goal: Node, skip: Cell) -> list[Cell] | None:
        previous: dict[Node, tuple[Node, Cell] | None] = {start: None}
        queue = [start]
        for node in queue:  # breadth first; the list grows while we walk it
            if node == goal:
                cells: list[Cell] = []
                step = previous[node]
                while step is not None:
                    cells.append(step[1])
                    step = previous[step[0]]
                return cells
            for following, via in self.arcs.get(node, ()):
                if via != skip and following not in previous:
                    previous[following] = (node, via)
                    queue.append(following)
        return None

    def loosen(self, pinned: Cell) -> None:
        """Free a pinned cell: hide a shown cell nearby, else show a "<t" nearby as "x"."""
        layers = list(self.layers(pinned))
        for layer in layers:
            choices = [c for index in layer if (c := self.partner(index)) is not None]
            if choices:
                self.hide(min(choices)[3], _SECONDARY)
                return
        for layer in layers:
            for index in layer:
                parts, total = self.equations[index]
                for cell in (total, *parts):
                    if self.marks.get(cell) == _PRIMARY:
                        self.hide(cell, _SECONDARY)  # "x" says less than "<t"
                        return
        # Unreachable: with every cell around it "x", a cell can always rise (see suppress).
        raise AssertionError("no way to protect a hidden cell")

    def layers(self, cell: Cell) -> Iterator[list[int]]:
        """The relations reachable from ``cell`` through hidden cells, nearest first."""
        seen_relations: set[int] = set()
        seen_cells, frontier = {cell}, [cell]
        while frontier:
            layer: list[int] = []
            following: list[Cell] = []
            for current in frontier:
                for index in self.relations.get(current, ()):
                    if index in seen_relations:
                        continue
                    seen_relations.add(index)
                    layer.append(index)
                    parts, total = self.equations[index]
                    for member in (*parts, total):
                        if member in self.marks and member not in seen_cells:
                            seen_cells.add(member)
                            following.append(member)
            if layer:
                yield layer
            frontier = following


# ---------------------------------------------------------------------------------------------
# Files


def notice(threshold: int, rounding: bool) -> dict[str, str]:
    """The 'totals may not add up' line, in Dutch and English."""
    return {
        lang: text.format(
            small=threshold - 1, threshold=threshold, rounded=ROUNDED_NOTE[lang] if rounding else ""
        )
        for lang, text in NOTICE.items()
    }


def to_json(table: Table) -> dict[str, Any]:
    """The export as a JSON-ready dict; validates against export_schema.json."""
    out_rows: list[dict[str, Any]] = []
    for row in table.rows:
        out: dict[str, Any] = {"period": row}
        for key in table.keys:
            measure, _, category = key.partition(":")
            if category:
                out.setdefault(measure, {})[category] = table.values[(row, key)]
            else:
                out[measure] = table.values[(row, key)]
        out_rows.append(out)
    return {
        "format": EXPORT_FORMAT,
        "schema_version": table.schema_version,
        "tool_version": __version__,
        "questionnaires": {qid: list(v) for qid, v in table.questionnaires.items()},
        "period_type": table.period_type,
        "threshold": table.threshold,
        "rounding": ROUNDING_BASE if table.rounding else None,
        "markers": {
            table.primary_mark: f"a count from 1 to {table.threshold - 1}",
            SECONDARY_MARK: "a count of 1 or more, hidden to protect a small count",
        },
        "notice": notice(table.threshold, table.rounding),
        "rows": out_rows,
    }


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_DELIMITERS: Final = (",", ";")


def to_csv(table: Table, delimiter: str = ",") -> str:
    """The export as CSV: '#' header lines, then period,measure,category,value rows.

    ``delimiter`` ";" suits Excel with Dutch regional settings, which reads "," as the decimal
    separator and puts a comma-separated file in one column.
    """
    if delimiter not in CSV_DELIMITERS:
        raise ExportError("the CSV delimiter must be ',' or ';'")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def write(*cells: object) -> None:
        writer.writerow([safe_cell("" if c is None else str(c)) for c in cells])

    versions = (
        "; ".join(f"{qid} v{','.join(map(str, v))}" for qid, v in table.questionnaires.items())
        or "-"
    )
    texts = notice(table.threshold, table.rounding)
    for line in (
        f"# {EXPORT_FORMAT}; schema {table.schema_version}; Kindcheck {__version__}",
        f"# questionnaires: {versions}",
        f"# period_type: {table.period_type}",
        f"# threshold: {table.threshold}",
        f"# rounding: {'nearest ' + str(ROUNDING_BASE) if table.rounding else 'none'}",
        f"# nl: {texts['nl']}",
        f"# en: {texts['en']}",
    ):
        write(line)
    write("period", "measure", "category", "value")
    for row in table.rows:
        for key in table.keys:
            measure, _, category = key.partition(":")
            write(row, measure, category, table.values[(row, key)])
    return buffer.getvalue()


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of `to_json` output (kindcheck/export_schema.json)."""
    text = resources.files("kindcheck").joinpath("export_schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# ---------------------------------------------------------------------------------------------
# Team files

_HKDF_INFO: Final = b"kindcheck team file v1"
_NONCE_BYTES: Final = 12
_KEY_BYTES: Final = 32
_HEADER_FIELDS: Final = ("format", "version", "schema_version", "export_id", "ephemeral_public_key")


def make_team_keypair(passphrase: bytes | str | None = None) -> tuple[bytes, bytes]:
    """A new team key pair as (private PEM, public PEM); the private PEM optionally encrypted."""
    private = X25519PrivateKey.generate()
    if passphrase:
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(secret)
        )
    else:
        encryption = serialization.NoEncryption()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _load_private(pem: bytes, passphrase: bytes | str | None) -> X25519PrivateKey:
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(pem, password=secret or None)
    except TypeError:
        raise ExportError(
            "the team key is protected by a passphrase: give the passphrase"
            if not secret
            else "the team key is not protected by a passphrase"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ExportError(
            "the team key cannot be read: wrong passphrase, or not a team key file"
        ) from None
    if not isinstance(key, X25519PrivateKey):
        raise ExportError("the team key is not an X25519 key made by `kindcheck team-key`")
    return key


def _load_public(pem: bytes) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise ExportError(
            "the team public key cannot be read (expected a PEM file made by `kindcheck team-key`)"
        ) from None
    if not isinstance(key, X25519PublicKey):
        raise ExportError("the team public key is not an X25519 key made by `kindcheck team-key`")
    return key


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _file_key(shared: bytes, ephemeral: bytes, team: bytes) -> bytes:
    # Both public keys go into the derivation so a key is bound to this exchange (as in ECIES).
    return HKDF(hashes.SHA256(), _KEY_BYTES, salt=None, info=_HKDF_INFO + ephemeral + team).derive(
        shared
    )


def _aad(header: Mapping[str, Any]) -> bytes:
    # The clear header is authenticated: changing the export id or schema breaks decryption.
    return json.dumps(
        {k: header[k] for k in _HEADER_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def seal_team_file(counts: Counts, public_key_pem: bytes, laptop_id: str) -> bytes:
    """The laptop's unsuppressed counts, encrypted to the team lead's public key.

    ``laptop_id`` is a stable pseudonymous id of the installation (inside the ciphertext), so
    that `merge` can refuse two files of one laptop that count the same period twice.
    """
    if not isinstance(counts, Counts):
        raise ExportError("a team file holds Counts only")
    if (
        not isinstance(laptop_id, str)
        or not 1 <= len(laptop_id) <= 100
        or not laptop_id.isprintable()
    ):
        raise ExportError("the laptop id must be 1 to 100 printable characters")
    team_public = _load_public(public_key_pem)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _file_key(ephemeral.exchange(team_public), ephemeral_raw, _raw(team_public))
    header: dict[str, Any] = {
        "format": TEAM_FILE_FORMAT,
        "version": TEAM_FILE_VERSION,
        "schema_version": counts.schema_version,
        "export_id": str(uuid.uuid4()),
        "ephemeral_public_key": base64.b64encode(ephemeral_raw).decode("ascii"),
    }
    nonce = secrets.token_bytes(_NONCE_BYTES)  # random, never a counter (DESIGN.md)
    plaintext = json.dumps(
        {"laptop_id": laptop_id, "counts": counts.to_dict()}, separators=(",", ":")
    ).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(header))
    envelope = {
        **header,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }
    return json.dumps(envelope, indent=1).encode("utf-8") + b"\n"


@dataclass(frozen=True, slots=True)
class _Opened:
    export_id: str
    laptop_id: str
    counts: Counts


def _b64(value: Any, size: int | None, name: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        raise ExportError(f"{name}: is damaged ({what} is not valid)")
    return raw


def _open(data: bytes, key: X25519PrivateKey, name: str) -> _Opened:
    if not isinstance(data, bytes | bytearray) or len(data) > _MAX_TEAM_FILE:
        raise ExportError(f"{name}: is not a Kindcheck team file (empty or too large)")
    try:
        envelope = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("format") != TEAM_FILE_FORMAT:
        raise ExportError(f"{name}: is not a Kindcheck team file")
    if envelope.get("version") != TEAM_FILE_VERSION:
        raise ExportError(
            f"{name}: team file version {envelope.get('version')!r}; this "
            f"Kindcheck reads version {TEAM_FILE_VERSION}"
        )
    schema_version = envelope.get("schema_version")
    if schema_version != SCHEMA_VERSION:
        raise ExportError(
            f"{name}: made with export schema {schema_version!r}, this Kindcheck "
            f"uses schema {SCHEMA_VERSION}: make all team files with the same "
            f"Kindcheck version"
        )
    missing = [f for f in (*_HEADER_FIELDS, "nonce", "ciphertext") if f not in envelope]
    if missing:
        raise ExportError(f"{name}: is damaged (missing {', '.join(missing)})")
    export_id = envelope["export_id"]
    try:
        valid_id = isinstance(export_id, str) and str(uuid.UUID(export_id)) == export_id
    except ValueError:
        valid_id = False
    if not valid_id:
        raise ExportError(f"{name}: is damaged (the export id is not valid)")
    ephemeral = _b64(envelope["ephemeral_public_key"], _KEY_BYTES, name, "the public key")
    nonce = _b64(envelope["nonce"], _NONCE_BYTES, name, "the nonce")
    ciphertext = _b64(envelope["ciphertext"], None, name, "the ciphertext")
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    except ValueError:  # a low-order point: no shared secret, so no file of ours
        raise ExportError(f"{name}: is damaged (the public key is not valid)") from None
    file_key = _file_key(shared, ephemeral, _raw(key.public_key()))
    try:
        plaintext = AESGCM(file_key).decrypt(nonce, ciphertext, _aad(envelope))
    except InvalidTag:
        raise ExportError(
            f"{name}: this team file was not made for this key (or it was "
            f"changed after it was made)"
        ) from None
    try:
        payload = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("laptop_id"), str):
        raise ExportError(f"{name}: is damaged (the counts cannot be read)")
    counts = Counts.from_dict(payload.get("counts"), source=name)
    return _Opened(export_id, payload["laptop_id"], counts)


def open_team_file(
    data: bytes,
    private_key_pem: bytes,
    passphrase: bytes | str | None = None,
    name: str = "team file",
) -> Counts:
    """The counts inside one team file."""
    return _open(data, _load_private(private_key_pem, passphrase), name).counts


def merge(
    team_files: Iterable[tuple[str, bytes]],
    private_key_pem: bytes,
    passphrase: bytes | str | None = None,
) -> Counts:
    """Add up (name, bytes) team files; refuse copies, double-counted periods and mismatches.

    Refused: the same export id twice (a copied file), and two files from one laptop that share
    a period (a laptop that exported twice: its sessions would count twice; keep the newer).
    Files from one laptop over disjoint periods are fine.
    """
    key = _load_private(private_key_pem, passphrase)
    seen: dict[str, str] = {}
    laptops: dict[str, list[tuple[str, set[str]]]] = {}
    result: Counts | None = None
    first_name = ""
    for name, data in team_files:
        opened = _open(data, key, name)
        if opened.export_id in seen:
            raise ExportError(
                f"{name}: is the same team file as {seen[opened.export_id]} "
                f"(export id {opened.export_id}); adding both would count it twice"
            )
        seen[opened.export_id] = name
        periods = set(opened.counts.periods)
        for other, other_periods in laptops.get(opened.laptop_id, []):
            shared = periods & other_periods
            if shared:
                raise ExportError(
                    f"{name}: comes from the same laptop as {other} and counts {len(shared)} "
                    f"of the same period(s) (first {min(shared)}); use only the newest team "
                    f"file of each laptop"
                )
        laptops.setdefault(opened.laptop_id, []).append((name, periods))
        if result is None:
            result, first_name = opened.counts, name
        elif result.period_type != opened.counts.period_type:
            raise ExportError(
                f"{name}: counts per {opened.counts.period_type}, but {first_name} "
                f"per {result.period_type}; make all team files with the same "
                f"--period"
            )
        else:
            result = add(result, opened.counts)
    if result is None:
        raise ExportError("no team files to merge")
    return result
