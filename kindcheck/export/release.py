"""The release ledger: every table ever released, frozen, and the joint suppression behind it.

A team lead makes many files: every month one, a quarter now and then, CSV and JSON. Small
counts hidden in one file must stay hidden in all of them together, so a table is not made
anew for each file. Instead:

- Periods are the months in which sessions were **recorded** (never the date typed for the
  session), so a session added later for an earlier date lands in the current month and never
  changes a period already released.
- A month **closes** once it has ended and the follow-up window after it has passed (its last
  day + :data:`CLOSE_AFTER_DAYS`). Its exact counts are then frozen in the ledger; a quarter
  closes with its last month, a year with December. Open periods are never released, and
  there is no running total: a row that ends today would be new every day.
- Each newly closed period is released once, **jointly** with everything released earlier in
  its year (month, quarter and year rows as one table; :func:`release_year`): small counts
  become "<t", and further cells "x" until the audit (:mod:`.audit`) shows no hidden cell can
  be narrowed, with the earlier releases fixed as they were shown.
- Every file is rendered from the ledger (:mod:`.formats`, ``render``), never recomputed: a
  re-export of a released period is byte for byte the same.
- The threshold is the ledger's: set by the first release (default 5, at least 3) and only
  ever raised (for periods released from then on).

The ledger is a plain document (:class:`Ledger`, JSON); the store keeps it encrypted in the
vault, and a team's lives encrypted beside the team key (:mod:`.teamfile`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from kindcheck.errors import ExportError

from .audit import (
    SECONDARY,
    Cell,
    Model,
    Shown,
    Witnesses,
    band_parts,
    disclosed_cells,
    months_of,
)
from .facts import (
    _BANDS_KEY,
    _DOMAIN_KEY,
    _DUE_KEY,
    _FOLLOWUP_KEY,
    _PARENT_BANDS_KEY,
    DOMAIN_BANDS,
    DUE_CELLS,
    SETTINGS,
    SPLIT_MEASURES,
    setting_of,
    split_key,
)

LEDGER_VERSION: Final = 1
CLOSE_AFTER_DAYS: Final = 7  # the follow-up due window: "not held in time" is final then
DEFAULT_THRESHOLD: Final = 5
MIN_THRESHOLD: Final = 3
MAX_THRESHOLD: Final = 1000
MONTH_KEYS: Final[tuple[str, ...]] = (
    "intakes",
    "kindchecks_completed",
    "clients_with_minor_children",
    "children_in_view",
    "safety_signals_intake",
    "safety_signals_followup",
    "meldcode_steps_taken",
    f"{_FOLLOWUP_KEY}:on_time",
    f"{_FOLLOWUP_KEY}:late",
    *(f"{_DUE_KEY}:{cell}" for cell in (*DUE_CELLS, "total")),
)
"""A month row's cells. Follow-ups due in a month (the plan in force on their day), held within
the due window or not, replace "overdue at export time", which changed with the export's day.
The problem-scan group (bands and domains) is released per quarter and year only: per month
nearly every domain count is small, and hiding them pulls in partners."""


SPLIT_KEYS: Final[tuple[str, ...]] = SPLIT_MEASURES
"""The cells a quarter or year row shows per setting (the split by setting): intakes,
completed Kindchecks (and so their share) and parents of minor children in each. Month rows
are not split: per month and setting nearly every count is small."""


def split_cells() -> tuple[str, ...]:
    return tuple(split_key(setting, key) for setting in SETTINGS for key in SPLIT_KEYS)


def splits_exactly(month: Mapping[str, int]) -> bool:
    """Whether a frozen month's exact counts hold the split by setting and its parts add up
    to the whole (a month frozen before the split came, or with an intake of no known
    setting, does not: rows with such a month are released without the split)."""
    if month.get("intakes") and not any(setting_of(key)[0] is not None for key in month):
        return False
    return all(
        sum(month.get(split_key(setting, key), 0) for setting in SETTINGS) == month.get(key, 0)
        for key in SPLIT_MEASURES
    )


def domain_group(domains: Sequence[str]) -> tuple[str, ...]:
    """The problem-scan group: parents of minors by domains counted (0, 1, 2, 3+, and their
    total: parents of minors with a scan), then every domain over all intakes with a scan."""
    return (
        *(f"{_PARENT_BANDS_KEY}:{band}" for band in (*DOMAIN_BANDS, "total")),
        *(f"{_DOMAIN_KEY}:{domain}" for domain in domains),
    )


def row_keys(row: str, domains: Sequence[str], split: bool = False) -> tuple[str, ...]:
    """The cells of a row, in display order (shares are derived when rendered); ``split``:
    with the split by setting (quarters and years only)."""
    if _is_month(row):  # a month
        return MONTH_KEYS
    whole = (*MONTH_KEYS[:4], *domain_group(domains), *MONTH_KEYS[4:])
    return (*whole, *split_cells()) if split else whole


def row_splits(ledger: Ledger, row: str) -> bool:
    """Whether a new row is released with the split by setting: a quarter or year whose
    months were all frozen with it (see :func:`splits_exactly`)."""
    return not _is_month(row) and all(
        splits_exactly(ledger.months.get(month, {})) for month in months_of(row)
    )


def display_order(key: str) -> tuple[int, int, str]:
    """Where a cell stands in its row, whatever order a stored ledger gives back."""
    from .facts import SCAN_DOMAINS

    setting, whole = setting_of(key)
    if setting is not None:  # after the whole row, one setting after the other
        group, index, _name = display_order(whole)
        position = SETTINGS.index(setting) if setting in SETTINGS else len(SETTINGS)
        return (5 + position, group * 100 + index, key)
    if key in MONTH_KEYS[:4]:
        return (0, MONTH_KEYS.index(key), key)
    if key.startswith((f"{_BANDS_KEY}:", f"{_PARENT_BANDS_KEY}:")):
        band = key.partition(":")[2]
        return (1, (*DOMAIN_BANDS, "total").index(band) if band != "total" else 4, key)
    if key.startswith(f"{_DOMAIN_KEY}:"):
        domain = key.partition(":")[2]
        known = SCAN_DOMAINS.index(domain) if domain in SCAN_DOMAINS else len(SCAN_DOMAINS)
        return (2, known, key)
    if key in MONTH_KEYS:
        return (3, MONTH_KEYS.index(key), key)
    return (4, 0, key)


def _is_month(row: str) -> bool:
    return len(row) == 7 and row[5] != "Q"


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_type_of(row: str) -> str:
    return "month" if _is_month(row) else "quarter" if "-Q" in row else "year"


def closes_on(month: str) -> date:
    """The first day on which ``month`` is closed."""
    year, number = int(month[:4]), int(month[5:])
    first_next = date(year + (number == 12), number % 12 + 1, 1)
    return first_next + timedelta(days=CLOSE_AFTER_DAYS)


def closed_months(first: str, today: date) -> list[str]:
    """Every month from January of ``first``'s year that is closed on ``today``."""
    out: list[str] = []
    year, number = int(first[:4]), 1
    while True:
        label = f"{year:04d}-{number:02d}"
        if closes_on(label) > today:
            return out
        out.append(label)
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)


def check_threshold(threshold: object) -> int:
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


# ---------------------------------------------------------------------------------------------
# The ledger document


@dataclass
class Release:
    """One release: the rows that closed together, every cell as shown, chained by hash."""

    id: str
    made_at: str  # ISO date-time (UTC) of the release
    tool_version: str
    threshold: int
    rows: dict[str, dict[str, Shown]]
    questionnaires: dict[str, list[int]]
    previous: str
    hash: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "made_at": self.made_at,
            "tool_version": self.tool_version,
            "threshold": self.threshold,
            "rows": self.rows,
            "questionnaires": self.questionnaires,
            "previous": self.previous,
        }

    def digest(self) -> str:
        text = json.dumps(self.body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Release:
        release = cls(
            str(data["id"]),
            str(data["made_at"]),
            str(data["tool_version"]),
            int(data["threshold"]),
            {str(r): dict(c) for r, c in data["rows"].items()},
            {str(q): [int(v) for v in vs] for q, vs in data.get("questionnaires", {}).items()},
            str(data["previous"]),
            str(data["hash"]),
        )
        if release.digest() != release.hash:
            raise ExportError(f"release {release.id} in the ledger was changed")
        return release


@dataclass
class Ledger:
    """Every release, the frozen exact month counts they were made from, and the threshold.

    ``rosters`` (team ledgers only): row label -> the laptops whose files were merged for it.
    """

    threshold: int | None = None
    threshold_history: list[tuple[str, int]] = field(default_factory=list)
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    questionnaires: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    rosters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def head(self) -> str:
        return self.releases[-1].hash if self.releases else ""

    def released_rows(self) -> dict[str, tuple[Release, dict[str, Shown]]]:
        return {row: (r, cells) for r in self.releases for row, cells in r.rows.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LEDGER_VERSION,
            "threshold": self.threshold,
            "threshold_history": [list(item) for item in self.threshold_history],
            "months": self.months,
            "questionnaires": self.questionnaires,
            "releases": [release.to_dict() for release in self.releases],
            "rosters": self.rosters,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Ledger:
        if not data:
            return cls()
        if data.get("version") != LEDGER_VERSION:
            raise ExportError(
                f"the release ledger has version {data.get('version')!r}; this Kindcheck "
                f"reads version {LEDGER_VERSION}"
            )
        try:
            releases = [Release.from_dict(item) for item in data["releases"]]
            previous = ""
            for release in releases:
                if release.previous != previous:
                    raise ExportError("the release ledger's chain is broken")
                previous = release.hash
            threshold = data.get("threshold")
            return cls(
                None if threshold is None else int(threshold),
                [(str(a), int(b)) for a, b in data.get("threshold_history", [])],
                {m: {k: int(v) for k, v in c.items()} for m, c in data["months"].items()},
                {
                    m: {q: [int(v) for v in vs] for q, vs in qs.items()}
                    for m, qs in data.get("questionnaires", {}).items()
                },
                releases,
                {r: [str(x) for x in names] for r, names in data.get("rosters", {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ExportError("the release ledger cannot be read (damaged)") from None

    # -- threshold --------------------------------------------------------------------------

    def settle_threshold(
        self, asked: int | None, raise_to: int | None, when: datetime, what: str = "vault"
    ) -> int:
        """The threshold for this export: the ledger's; set by the first release; a lower one
        refused, a higher one only through ``raise_to``."""
        if raise_to is not None:
            raise_to = check_threshold(raise_to)
            if self.threshold is not None and raise_to < self.threshold:
                raise ExportError(
                    f"this {what} releases with a minimum cell size of {self.threshold}; it can "
                    f"be raised, never lowered"
                )
            if raise_to != self.threshold:
                self.threshold = raise_to
                self.threshold_history.append((when.date().isoformat(), raise_to))
            return raise_to
        if self.threshold is None:
            threshold = check_threshold(DEFAULT_THRESHOLD if asked is None else asked)
            self.threshold = threshold
            self.threshold_history.append((when.date().isoformat(), threshold))
            return threshold
        if asked is not None and asked != self.threshold:
            since = self.threshold_history[-1][0] if self.threshold_history else "?"
            if asked < self.threshold:
                raise ExportError(
                    f"this {what} releases with a minimum cell size of {self.threshold} since "
                    f"{since}; a lower minimum would let two files be compared"
                )
            raise ExportError(
                f"this {what} releases with a minimum cell size of {self.threshold} since "
                f"{since}; to raise it for the periods released from now on, use "
                f"--raise-min-cell {asked}"
            )
        return self.threshold

    # -- closing and releasing ----------------------------------------------------------------

    def freeze(
        self,
        counts: Mapping[str, Mapping[str, int]],
        questionnaires: Mapping[str, Mapping[str, Iterable[int]]],
        today: date,
    ) -> list[str]:
        """Freeze the exact counts of every month closed on ``today`` and not frozen yet; the
        months frozen now. ``counts``: month label -> exact counts (by recorded date)."""
        starts = [m for m in (*counts, *self.months) if counts.get(m) or m in self.months]
        if not starts:
            return []
        new = [m for m in closed_months(min(starts), today) if m not in self.months]
        for month in new:
            self.months[month] = {k: v for k, v in sorted(counts.get(month, {}).items()) if v}
            found = questionnaires.get(month, {})
            self.questionnaires[month] = {q: sorted(set(v)) for q, v in sorted(found.items())}
        return new

    def releasable_rows(self) -> list[str]:
        """Closed periods (months, quarters, years) whose months are all frozen, not released."""
        released = set(self.released_rows())
        frozen = set(self.months)
        out: list[str] = []
        for month in sorted(frozen):
            year, number = month[:4], int(month[5:])
            candidates = [month]
            if number % 3 == 0:
                candidates.append(f"{year}-Q{number // 3}")
            if number == 12:
                candidates.append(year)
            for row in candidates:
                if row not in released and all(m in frozen for m in months_of(row)):
                    out.append(row)
        return out

    def release(
        self,
        when: datetime,
        tool_version: str,
        domains: Sequence[str],
        laptops: Mapping[str, LaptopView] | None = None,
    ) -> Release | None:
        """Release every closed, unreleased period (jointly per year, earlier ones fixed).
        ``laptops`` (a team's): each laptop's exact months and what it released itself, so
        that the team's table and a laptop's own files together still protect every cell."""
        new_rows = self.releasable_rows()
        if not new_rows:
            return None
        assert self.threshold is not None
        rows: dict[str, dict[str, Shown]] = {}
        for year in sorted({row[:4] for row in new_rows}):
            rows.update(
                release_year(
                    self, [r for r in new_rows if r[:4] == year], self.threshold, domains, laptops
                )
            )
        questionnaires: dict[str, set[int]] = {}
        for row in new_rows:
            for month in months_of(row):
                for qid, versions in self.questionnaires.get(month, {}).items():
                    questionnaires.setdefault(qid, set()).update(versions)
        release = Release(
            str(uuid.uuid4()),
            when.replace(microsecond=0).isoformat(),
            tool_version,
            self.threshold,
            {row: rows[row] for row in sorted(rows, key=_row_order)},
            {q: sorted(v) for q, v in sorted(questionnaires.items())},
            self.head,
        )
        release.hash = release.digest()
        self.releases.append(release)
        return release


def _row_order(row: str) -> tuple[str, int, str]:
    kind = period_type_of(row)
    return (row[:4], {"month": 0, "quarter": 1, "year": 2}[kind], row)


def all_domains(ledger: Ledger, known: Sequence[str]) -> list[str]:
    extra = {
        key.partition(":")[2]
        for cells in ledger.months.values()
        for key in cells
        if key.startswith(f"{_DOMAIN_KEY}:")
    }
    return [*known, *sorted(extra - set(known))]


def _true(ledger: Ledger, row: str, key: str) -> int:
    from .audit import band_parts

    parts = band_parts(key)
    return sum(ledger.months.get(m, {}).get(p, 0) for m in months_of(row) for p in parts)


@dataclass(frozen=True)
class LaptopView:
    """One laptop as a team merge sees it: its exact month counts (from its team file) and
    the rows it released itself (row -> (threshold, cells as shown))."""

    months: Mapping[str, Mapping[str, int]]
    released: Mapping[str, tuple[int, Mapping[str, Shown]]]


def release_year(
    ledger: Ledger,
    new_rows: Sequence[str],
    threshold: int,
    domains: Sequence[str],
    laptops: Mapping[str, LaptopView] | None = None,
) -> dict[str, dict[str, Shown]]:
    """The new rows of one year, suppressed jointly with the year's earlier releases
    (:func:`_release_cells`), in two steps: first every row without the split by setting,
    exactly as before the split came; then the split cells of the rows that get the split,
    with everything of the first step fixed. So the split never hides a whole count: a split
    cell is protected by hiding split cells, or by leaving the split out of its row."""
    rows = _release_cells(ledger, new_rows, threshold, domains, laptops)
    split_rows = [row for row in new_rows if row in rows and row_splits(ledger, row)]
    if split_rows:
        parts = _release_cells(ledger, split_rows, threshold, domains, laptops, fixed=rows)
        for row in split_rows:
            rows[row] = {**rows[row], **parts[row]}
    return rows


def _release_cells(
    ledger: Ledger,
    new_rows: Sequence[str],
    threshold: int,
    domains: Sequence[str],
    laptops: Mapping[str, LaptopView] | None = None,
    fixed: Mapping[str, Mapping[str, Shown]] | None = None,
) -> dict[str, dict[str, Shown]]:
    """The new rows of one year, suppressed jointly with the year's earlier releases.
    ``fixed`` (the second step): the new rows' cells decided already, kept as they are; only
    their split cells are new then, and only they are returned.

    1. Candidate: every new cell shown, counts 1..t-1 as "<t" (zeros always shown).
    2. Audit the whole year (earlier releases fixed): which hidden cells can be narrowed.
    3. Repair each such cell by hiding one more new cell next to it: the same measure in a
       sibling period (a move between them keeps the parent), else the parent period's cell,
       else the smallest related cell of its own row; then audit again.
    Only new cells are ever hidden; the loop ends because each round hides at least one.
    """
    year = new_rows[0][:4]
    earlier = {
        row: (release, cells)
        for row, (release, cells) in ledger.released_rows().items()
        if row[:4] == year
    }
    all_rows = [*earlier, *new_rows]
    keys_by_row = {
        row: row_keys(row, domains, any(setting_of(key)[0] for key in cells))
        for row, (_release, cells) in earlier.items()
    }
    for row in new_rows:
        if fixed is None:
            keys_by_row[row] = row_keys(row, domains)
        else:  # the first step's cells (those it left out stay out) and the split cells
            keys_by_row[row] = tuple(
                key
                for key in row_keys(row, domains, split=True)
                if key in fixed[row] or setting_of(key)[0] is not None
            )
    shown: dict[Cell, Shown] = {}
    truth: dict[Cell, int] = {}
    thresholds: dict[str, int] = {}
    for row, (release, cells) in earlier.items():
        thresholds[row] = release.threshold
        for key, value in cells.items():
            shown[(row, key)] = value
            truth[(row, key)] = _true(ledger, row, key)
    new_cells: list[Cell] = []
    for row in new_rows:
        thresholds[row] = threshold
        for key in keys_by_row[row]:
            value = _true(ledger, row, key)
            truth[(row, key)] = value
            if fixed is not None and key in fixed[row]:
                shown[(row, key)] = fixed[row][key]
                continue
            shown[(row, key)] = f"<{threshold}" if 0 < value < threshold else value
            new_cells.append((row, key))
    new = set(new_cells)
    withheld: set[Cell] = set()
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    keys = sorted(
        {key for row_keys_ in keys_by_row.values() for key in row_keys_}
        | {  # a laptop's own split cells count in the first step too
            key
            for view in (laptops or {}).values()
            for row, (_threshold, cells) in view.released.items()
            if row[:4] == year
            for key in cells
            if setting_of(key)[0] is not None
        }
    )
    rows_months = {row: months_of(row) for row in all_rows}
    row_sources: dict[str, list[str]] = {}
    if laptops:
        # What each laptop released itself sits beside the team's table: its cells are
        # constraints on that laptop's own unknowns, and its hidden cells must stay hidden.
        for laptop, view in sorted(laptops.items()):
            for row, (released_with, laptop_cells) in view.released.items():
                if row[:4] != year:
                    continue
                label = f"{laptop}|{row}"
                rows_months[label] = months_of(row)
                row_sources[label] = [laptop]
                thresholds[label] = released_with
                for key, value in laptop_cells.items():
                    if key not in keys:
                        continue
                    shown[(label, key)] = value
                    parts = band_parts(key)
                    truth[(label, key)] = sum(
                        view.months.get(m, {}).get(p, 0) for m in months_of(row) for p in parts
                    )
        model = Model(months, keys, sorted(laptops))
    else:
        model = Model(months, keys)

    # A team's cell that every laptop showed exactly in its own release is their sum, known
    # to any reader of the laptops' files: hiding it hides nothing (it would only be found
    # "worked out" again and pull in more partners).
    public: set[Cell] = set()
    if laptops:
        for cell in new_cells:
            row, key = cell
            if all(
                row in view.released and isinstance(view.released[row][1].get(key), int)
                for view in laptops.values()
            ):
                public.add(cell)

    def can_hide(cell: Cell) -> bool:
        return (
            cell in new
            and cell not in withheld
            and cell not in public
            and isinstance(shown.get(cell), int)
            and truth[cell] > 0
        )

    def hide_one(cell: Cell) -> bool:
        row, key = cell
        kind = period_type_of(row)
        family = _family(key, keys_by_row[row])
        choices: list[list[Cell]] = []
        split_here = [k for k in keys_by_row[row] if setting_of(k)[0] is not None and k != key]
        if setting_of(key)[0] is not None:
            # A split cell is repaired within the split, never by hiding a whole: first its
            # other setting's part, then the row's other split cells, then the same cell in
            # a sibling, parent or child period; else the split is left out (below).
            whole = setting_of(key)[1]
            choices.append([(row, k) for k in split_here if setting_of(k)[1] == whole])
            choices.append([(row, k) for k in split_here])
            if kind != "year":
                choices.append([(r, key) for r in _siblings(row) if (r, key) in shown])
                choices.append([(_parent(row), key)])
            choices.append([(r, key) for r in _children(row)])
            return _hide_first(choices)
        parts = [k for k in split_here if setting_of(k)[1] == key]
        if parts:  # a whole split by setting: one of its parts first
            choices.append([(row, k) for k in parts])
        if kind != "year":
            siblings = [r for r in _siblings(row) if (r, key) in shown]
            choices.append([(r, key) for r in siblings])
            choices.append([(_parent(row), key)])
        choices.append([(r, key) for r in _children(row)])
        choices.append([(row, k) for k in family if k != key])
        if kind != "year":
            choices.append([(r, k) for r in _siblings(row) for k in family if k != key])
        choices.append([(row, k) for k in keys_by_row[row] if k != key])
        if kind != "year":
            choices.append([(_parent(row), k) for k in family])
        return _hide_first(choices)

    def _hide_first(choices: list[list[Cell]]) -> bool:
        for group in choices:
            # A small count next to it shown as "x" instead of "<t" says less (1 or more)
            # and costs nothing shown: first choice.
            markers = [
                c
                for c in group
                if c in new and c not in withheld and str(shown.get(c, "x")).startswith("<")
            ]
            if markers:
                shown[markers[0]] = SECONDARY
                return True
            open_cells = sorted((truth[c], c) for c in group if can_hide(c))
            if open_cells:
                shown[open_cells[0][1]] = SECONDARY
                return True
        return False

    new_or_earlier = {(row, key) for row in all_rows for key in keys_by_row[row]}

    def withhold(cells: Iterable[Cell]) -> bool:
        chosen = [c for c in cells if c in new and c not in withheld]
        withheld.update(chosen)
        return bool(chosen)

    witnesses = Witnesses()  # each round only hides more: earlier tables stay consistent
    while True:
        visible = {cell: value for cell, value in shown.items() if cell not in withheld}
        narrowed = disclosed_cells(
            model,
            rows_months,
            visible,
            truth,
            thresholds,
            stop_after=25,
            row_sources=row_sources,
            witnesses=witnesses,
        )
        if not narrowed:
            break
        found: list[Cell] = []
        changed = False
        for cell in narrowed:
            team = _team_cell(cell)
            # a laptop's own hidden cell worked out through the team's: hide the team's
            if (
                team != cell
                and team in new
                and team not in withheld
                and team not in public
                and isinstance(shown[team], int)
                and truth[team] > 0
            ):
                shown[team] = SECONDARY
                changed = True
                continue
            found.append(team)
        if changed:
            continue
        if any(
            [hide_one(cell) for cell in found if cell in new_or_earlier and cell not in withheld]
        ):
            continue
        # Nothing next to the narrowed cells can be hidden any more (their neighbours are
        # hidden already, or shown zeros, which always stay): leave cells out of the release
        # altogether, which only takes away what a reader knows. First the narrowed cell's
        # relation group in its row, then its whole row, then every row with its measure,
        # and as the always-safe end state every new cell.
        for row, key in found:
            own = keys_by_row.get(row, ())
            related = [r for r in all_rows if (r, key) in shown]
            if (
                # a row's split by setting goes before any of its whole cells
                withhold((row, k) for k in own if setting_of(k)[0] is not None)
                or withhold((row, k) for k in _family(key, own))
                or withhold((row, k) for k in own)
                or withhold((r, k) for r in related for k in keys_by_row[r])
            ):
                break
        else:
            if not withhold(new_cells):
                raise ExportError(
                    "the counts of this period cannot be released without revealing a small "
                    "count of an earlier release; nothing was written"
                )
    return {
        row: {
            key: shown[(row, key)]
            for key in keys_by_row[row]
            if (row, key) not in withheld and (fixed is None or (row, key) in new)
        }
        for row in new_rows
    }


def _team_cell(cell: Cell) -> Cell:
    """A laptop's own cell narrowed by the team's table: repaired through the team's cell."""
    row, key = cell
    return (row.partition("|")[2], key) if "|" in row else cell


def _family(key: str, keys: Sequence[str]) -> list[str]:
    """The cells one relation ties together with ``key``."""
    setting, whole = setting_of(key)
    if setting is not None:  # its setting's split cells, and the whole it is part of
        own = [k for k in keys if setting_of(k)[0] == setting]
        return [*own, *(k for k in _family(whole, keys) if k not in own)]
    scan = (f"{_BANDS_KEY}:", f"{_PARENT_BANDS_KEY}:", f"{_DOMAIN_KEY}:")
    if key.startswith(scan):
        return [k for k in keys if k.startswith(scan)]
    signals = ("safety_signals_intake", "safety_signals_followup", "meldcode_steps_taken")
    if key.startswith(f"{_DUE_KEY}:"):  # held within the window + not held = their total
        return [k for k in keys if k.startswith(f"{_DUE_KEY}:")]
    if key.startswith(f"{_FOLLOWUP_KEY}:") or key in signals:
        return [k for k in keys if k.startswith(f"{_FOLLOWUP_KEY}:") or k in (*signals, "intakes")]
    return [k for k in keys if k in MONTH_KEYS[:4]]


def _parent(row: str) -> str:
    if _is_month(row):
        return f"{row[:4]}-Q{(int(row[5:]) - 1) // 3 + 1}"
    return row[:4]


def _siblings(row: str) -> list[str]:
    if _is_month(row):
        return [m for m in months_of(_parent(row)) if m != row]
    return [f"{row[:4]}-Q{q}" for q in range(1, 5) if f"{row[:4]}-Q{q}" != row]


def _children(row: str) -> list[str]:
    if _is_month(row):
        return []
    if "-Q" in row:
        return months_of(row)
    return [f"{row}-Q{q}" for q in range(1, 5)]


def team_freeze(
    ledger: Ledger,
    laptops: Mapping[str, tuple[Sequence[str], Mapping[str, Mapping[str, int]]]],
    questionnaires: Mapping[str, Sequence[int]],
) -> list[str]:
    """Freeze the merged counts of every month all ``laptops`` (laptop id -> (months covered,
    month counts)) cover and the team has not frozen yet. A month already released for other
    laptops is refused: two merges of the same period for different laptops could be
    subtracted from each other."""
    roster = sorted(laptops)
    covered = sorted(set.intersection(*(set(months) for months, _counts in laptops.values())))
    new: list[str] = []
    for month in covered:
        if month in ledger.months:
            earlier = ledger.rosters.get(month, [])
            if earlier != roster:
                released = next(
                    (
                        r.made_at[:10]
                        for r in ledger.releases
                        if any(month in months_of(row) for row in r.rows)
                    ),
                    "earlier",
                )
                raise ExportError(
                    f"{month} was released on {released} for {len(earlier)} laptop(s) "
                    f"({', '.join(x[:8] for x in earlier)}); a merge of other laptops for the "
                    f"same period would let the two files be compared. Late files count from "
                    f"the next period: merge the same laptops, or only periods not yet released"
                )
            continue
        total: dict[str, int] = {}
        for _months, counts in laptops.values():
            for key, value in counts.get(month, {}).items():
                total[key] = total.get(key, 0) + value
        ledger.months[month] = {k: v for k, v in sorted(total.items()) if v}
        ledger.questionnaires[month] = {q: sorted(set(v)) for q, v in questionnaires.items()}
        ledger.rosters[month] = roster
        new.append(month)
    return new
