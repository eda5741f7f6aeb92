"""What a reader can work out from a set of released count files: exact integer bounds.

The attacker of issue 14, as a library (no pytest here, so that a team lead can later audit a
folder of files with it). A reader who holds several anonymised export files (CSV or JSON, any
period, threshold or rounding) knows:

* every shown count exactly, or within its rounding interval when the file is rounded;
* that a "<N" cell holds 1..N-1 and an "x" cell 1 or more (the files say so);
* how the rows add up: a quarter is its three months, a year its twelve, "total" is every
  period of the data, and in a file with such a total a missing period had nothing; the
  domain-count bands add up to their "total";
* what the measures mean (`structure`): completed checks and parents of minors are intakes;
  the bands count intakes with a scan; each domain is counted at most by the intakes with a
  problem; the domains add up to at least 1 x band 1 + 2 x band 2 + 3 x band 3+; the flag is
  raised exactly at 3+ domains; children in view are at least one per parent of minors;
  signals come from sessions held (those at intake from intakes, those at follow-ups from
  follow-ups held; together all signals); Meldcode steps (five at most) follow a signal; the
  bands of parents of minors add up to at most the parents of minors; an overdue plan belongs
  to a client whose intake came before; the follow-ups due are those held within the window
  plus those not held (their "total");
* the split by setting (quarter and year rows): a cell "ggz/intakes" (CSV: setting column
  "ggz"; JSON: the row's "settings") is the intakes in the GGZ, and the settings' parts add up
  to the whole ("all") exactly; within each setting completed checks and parents of minors are
  its intakes;
* for files of several laptops (team merges), that each file is the sum of the laptops in it;
* for files made at different times, what changed in between (`link_unchanged`,
  `link_added_intakes`), when the reader knows it (the monthly cycle; "I added one intake").

The unknowns are the true counts of the finest cells: (source, month, cell key), a source being
one laptop at one moment. Every hidden cell is then a linear expression in them, and its lowest
and highest possible values are two integer programs (scipy.optimize.milp, HiGHS). A hidden
cell is *disclosed* when fewer values remain possible than its marker promises: "<5" promises
1..4, four values; a cell pinned to one value is the worst case.

Cost: each solve returns a complete consistent table, which widens the known range of every
other cell at once; only cells whose range is still narrower than promised get their own exact
solves. On a laptop's year of months that is a few seconds.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

TOTAL = "total"
SECONDARY = "x"
BAND = "parents_by_domain_count"
BANDS = ("0", "1", "2", "3+")
BAND_TOTAL = f"{BAND}:{TOTAL}"
PARENT_BAND = "parents_of_minors_by_domain_count"  # the bands of parents of minors only
PARENT_BAND_TOTAL = f"{PARENT_BAND}:{TOTAL}"
SIGNALS_AT = ("safety_signals_intake", "safety_signals_followup")
DOMAIN = "intakes_per_domain"
FLAG = "parenting_support_flag"
SHARE_SUFFIX = "_share"
FOLLOWUPS_HELD = ("followups:on_time", "followups:late")
OVERDUE = "followups:overdue"
DUE = "followups_due"  # planned follow-ups due in a month: held within the window or not
DUE_PARTS = (f"{DUE}:held_in_window", f"{DUE}:not_held")
DUE_TOTAL = f"{DUE}:{TOTAL}"
SETTINGS = ("ggz", "sociaal_domein")
SETTING_ALL = "all"  # the setting column of a cell over both settings
SPLIT_MEASURES = ("intakes", "kindchecks_completed", "clients_with_minor_children")
MAX_CHILDREN_PER_PARENT = 15  # the Kindcheck's child_count maximum
MELDCODE_STEPS = 5
BIG = 1_000_000  # no count in a test vault comes near; a bound this high means "unbounded"

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"\d{4}")

Shown = int | float | str | None
Expr = tuple[tuple[int, int], ...]  # ((variable, coefficient), ...), sorted


# ---------------------------------------------------------------------------------------------
# Reading the files


@dataclass(frozen=True)
class Release:
    """One released file: its settings and every cell as shown, by (row, cell key)."""

    name: str
    period_type: str
    threshold: int
    rounding: int | None
    cells: Mapping[tuple[str, str], Shown]

    @property
    def rows(self) -> list[str]:
        return list(dict.fromkeys(row for row, _ in self.cells))

    def hidden(self) -> list[tuple[str, str, str]]:
        """(row, key, marker) of every hidden count (shares are derived, never counted)."""
        return [
            (row, key, value)
            for (row, key), value in self.cells.items()
            if isinstance(value, str) and not key.endswith(SHARE_SUFFIX)
        ]


def _shown(text: str) -> Shown:
    text = text.strip().lstrip("'")
    if text == "":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+[.,]\d+", text):
        return float(text.replace(",", "."))
    return text


def parse_csv(text: str, name: str = "file.csv") -> Release:
    """A CSV export: '#' header lines (key: value), then period, measure, category, value."""
    header_line = next(
        (line for line in text.splitlines() if line.replace(";", ",").startswith("period,")), None
    )
    if header_line is None:
        raise ValueError(f"{name}: no 'period,measure,category,value' line")
    delimiter = ";" if header_line.startswith("period;") else ","
    split = header_line.replace(";", ",").startswith("period,setting,")
    settings: dict[str, str] = {}
    cells: dict[tuple[str, str], Shown] = {}
    in_body = False
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if not row:
            continue
        if not in_body:
            first = row[0]
            if first.startswith("#"):
                key, _, value = first[1:].partition(":")
                settings.setdefault(key.strip(), value.strip())
            elif row[:2] in (["period", "measure"], ["period", "setting"]):
                in_body = True
            continue
        if split:
            period, setting, measure, category, value = [*row, "", "", "", ""][:5]
        else:
            (period, measure, category, value), setting = [*row, "", "", ""][:4], SETTING_ALL
        key = f"{measure}:{category}" if category else measure
        if setting != SETTING_ALL:
            if setting not in SETTINGS:
                raise ValueError(f"{name}: unknown setting {setting!r}")
            key = f"{setting}/{key}"
        cells[(period, key)] = _shown(value)
    rounding = settings.get("rounding", "none")
    base = re.search(r"\d+", rounding)
    return Release(
        name,
        settings.get("period_type", "month"),
        int(settings["threshold"]),
        int(base.group()) if base and rounding != "none" else None,
        cells,
    )


def parse_json(data: Mapping[str, Any], name: str = "file.json") -> Release:
    cells: dict[tuple[str, str], Shown] = {}
    for row in data["rows"]:
        period = row["period"]
        parts = [("", row), *((f"{s}/", part) for s, part in row.get("settings", {}).items())]
        for prefix, values in parts:
            for measure, value in values.items():
                if measure in ("period", "settings"):
                    continue
                if isinstance(value, dict):
                    for category, inner in value.items():
                        cells[(period, f"{prefix}{measure}:{category}")] = inner
                else:
                    cells[(period, prefix + measure)] = value
    return Release(name, data["period_type"], int(data["threshold"]), data.get("rounding"), cells)


def read_release(path: Path) -> Release:
    text = path.read_text("utf-8-sig")
    if text.lstrip().startswith("{"):
        return parse_json(json.loads(text), path.name)
    return parse_csv(text, path.name)


def months_in(label: str) -> list[str]:
    """The months a period row covers: a month, a quarter or a year ("total" is handled by
    the caller: every month of the data)."""
    if _MONTH.fullmatch(label):
        return [label]
    found = _QUARTER.fullmatch(label)
    if found:
        year, quarter = found.group(1), int(found.group(2))
        return [f"{year}-{month:02d}" for month in range(3 * quarter - 2, 3 * quarter + 1)]
    if _YEAR.fullmatch(label):
        return [f"{label}-{month:02d}" for month in range(1, 13)]
    raise ValueError(f"{label!r} is not a month or quarter")


def month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# ---------------------------------------------------------------------------------------------
# The integer program


@dataclass
class Target:
    """A quantity the reader should not be able to narrow down: its expression, the number of
    values it must keep open (``need``), its true value when known, and where it was shown.

    A hidden cell's ``need`` is what its marker promises: "<5" keeps 1..4 open, four values,
    and so must an "x" that hides a small count. Once the truth is known (`Attack.set_truth`),
    a hidden cell whose true value is not small (an "x" of 40) only has to stay unpinned: its
    value is no small count, and the table would have shown it if nothing needed protecting.
    Without the truth (an audit of files) every hidden cell is held to its marker's promise.
    """

    expr: Expr
    need: int
    truth: int | None = None
    places: list[str] = field(default_factory=list)
    lo: int | None = None  # exact lower bound, once solved
    hi: int | None = None
    seen_lo: int = BIG  # lowest / highest value seen in a consistent table
    seen_hi: int = -1
    in_file: bool = False  # a hidden cell of a released file (not only a watched secret)

    @property
    def seen_width(self) -> int:
        return self.seen_hi - self.seen_lo + 1

    @property
    def solved(self) -> bool:
        return self.lo is not None and self.hi is not None

    @property
    def safe(self) -> bool:
        """Consistent tables with at least ``need`` different values of it were found."""
        return self.seen_width >= self.need

    @property
    def disclosed(self) -> bool:
        """Exactly bounded, and fewer values possible than promised."""
        return (
            not self.safe
            and self.lo is not None
            and self.hi is not None
            and self.hi - self.lo + 1 < self.need
        )

    @property
    def pinned(self) -> bool:
        return self.disclosed and self.lo == self.hi

    def interval(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"{self.lo}..{self.hi}" if self.hi < BIG else f"{self.lo}..∞"
        return f"at least {self.seen_lo}..{self.seen_hi}"


class Inconsistent(Exception):
    """No table fits the files and the assumptions: a file was changed, or an assumption the
    caller added (a link between snapshots, a relation) does not hold."""


class Attack:
    """The unknown true counts of some sources, and everything the released files say."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str, str], int] = {}
        self.source_months: dict[str, list[str]] = {}
        self.rows: list[tuple[dict[int, int], float, float, str]] = []
        self.targets: dict[Expr, Target] = {}
        self.keys: set[str] = set()
        self.truth: dict[int, int] = {}
        self._empty: list[tuple[list[str], str, str]] = []
        self._structured = False
        self.solves = 0
        self.time_limited = 0  # solves stopped by their time limit (their tables still fit)
        self.stopped_early = False
        self._renamed: dict[int, Target] = {}

    # -- unknowns ------------------------------------------------------------------------------

    def source(self, name: str, months: Sequence[str]) -> None:
        """A laptop (or one laptop at one moment) whose data covers ``months`` exactly."""
        self.source_months[name] = list(months)

    def var(self, source: str, month: str, key: str) -> int:
        if month not in self.source_months[source]:
            raise ValueError(f"{source} has no month {month}")
        found = self.index.get((source, month, key))
        if found is None:
            found = self.index[(source, month, key)] = len(self.index)
            self.keys.add(key)
        return found

    def expr(self, sources: Iterable[str], months: Iterable[str], key: str) -> dict[int, int]:
        """The true count of ``key`` over ``months`` summed over ``sources``."""
        prefix, _, whole = key.rpartition("/")  # a split cell: "ggz/intakes"
        prefix = f"{prefix}/" if prefix else ""
        if whole in (BAND_TOTAL, PARENT_BAND_TOTAL):
            parts = [f"{prefix}{whole.partition(':')[0]}:{band}" for band in BANDS]
        elif whole == DUE_TOTAL:  # due = held within the window + not held, exactly
            parts = list(DUE_PARTS)
        else:
            parts = [key]
        months = list(months)
        out: dict[int, int] = {}
        for source in sources:
            for month in months:
                if month in self.source_months[source]:
                    for part in parts:
                        variable = self.var(source, month, part)
                        out[variable] = out.get(variable, 0) + 1
        return out

    def constrain(self, coefs: Mapping[int, int], lo: float, hi: float, why: str) -> None:
        self.rows.append((dict(coefs), lo, hi, why))

    # -- what the files say --------------------------------------------------------------------

    def release(self, release: Release, sources: Sequence[str], label: str | None = None) -> None:
        """Add every cell of ``release``, a file over the sum of ``sources``."""
        label = label or release.name
        months = sorted({m for s in sources for m in self.source_months[s]})
        covered: set[str] = set()
        for (row, key), value in release.cells.items():
            if key.endswith(SHARE_SUFFIX):
                continue  # derived from the shown counts: says nothing more
            row_months = months if row == TOTAL else months_in(row)
            covered.update(m for m in row_months if row != TOTAL)
            coefs = self.expr(sources, row_months, key)
            where = f"{label} {row} {key}"
            if not coefs:  # a period outside the data (e.g. a quarter's later months)
                if value not in (0, None):
                    raise Inconsistent(f"{where}: shows {value} for months with no data")
                continue
            self._shown(coefs, value, release, where)
        if any(row == TOTAL for row, _key in release.cells):
            # A file with a total over all its data lists every period that had something: a
            # missing period had nothing. (A file without one may just not release it yet.)
            for month in months:
                if month not in covered:
                    self._empty.append((list(sources), month, label))

    def _shown(self, coefs: dict[int, int], value: Shown, release: Release, where: str) -> None:
        threshold = release.threshold
        if isinstance(value, bool) or value is None:
            raise Inconsistent(f"{where}: a count cell is empty")
        if isinstance(value, int):
            if value == 0 or release.rounding is None:
                self.constrain(coefs, value, value, where)
            else:  # round half up to a multiple of base, never below the threshold
                base = release.rounding
                lo, hi = max(threshold, value - base // 2), value + base - 1 - base // 2
                if value == -(-threshold // base) * base:
                    lo = threshold
                self.constrain(coefs, lo, hi, where + f" ({value}, rounded)")
            return
        if isinstance(value, float):
            raise Inconsistent(f"{where}: a count cell holds {value}")
        if value == SECONDARY:
            lo, hi, need = 1, BIG, threshold - 1
        elif re.fullmatch(r"<\d+", value):
            lo, hi, need = 1, int(value[1:]) - 1, int(value[1:]) - 1
        else:
            raise Inconsistent(f"{where}: unknown marker {value!r}")
        self.constrain(coefs, lo, hi, where + f" ({value})")
        self.target(coefs, need, f"{where} ({value})", in_file=True)

    def target(
        self, coefs: Mapping[int, int], need: int, place: str, in_file: bool = False
    ) -> Target:
        """Something the reader must not narrow to fewer than ``need`` values."""
        expr: Expr = tuple(sorted((v, c) for v, c in coefs.items() if c))
        found = self.targets.get(expr)
        if found is None:
            found = self.targets[expr] = Target(expr, need)
        found.need = max(found.need, need)
        found.places.append(place)
        found.in_file |= in_file
        return found

    # -- what the reader knows besides the files -----------------------------------------------

    def structure(self) -> None:
        """The relations between measures (module docstring), per source and month."""
        if self._structured:
            return
        self._structured = True
        for sources, month, label in self._empty:
            for key in sorted(self.keys):
                self.constrain(self.expr(sources, [month], key), 0, 0, f"{label}: no row {month}")
        for source, months in self.source_months.items():
            for month in months:
                self._month_structure(source, month)
            self._overdue_after_intake(source, months)

    def _month_structure(self, source: str, month: str) -> None:
        def v(key: str) -> int:
            return self.var(source, month, key)

        where = f"{source} {month}"
        intakes = v("intakes")
        bands = {band: v(f"{BAND}:{band}") for band in BANDS}
        domains = [v(k) for k in sorted(self.keys) if k.startswith(f"{DOMAIN}:")]
        self.constrain({v("kindchecks_completed"): 1, intakes: -1}, -BIG, 0, where + " checks")
        minors = v("clients_with_minor_children")
        self.constrain({minors: 1, intakes: -1}, -BIG, 0, where + " parents <= intakes")
        children = v("children_in_view")
        self.constrain({children: 1, minors: -1}, 0, BIG, where + " a child per parent")
        self.constrain(
            {children: 1, minors: -MAX_CHILDREN_PER_PARENT}, -BIG, 0, where + " children max"
        )
        self.constrain({**{b: 1 for b in bands.values()}, intakes: -1}, -BIG, 0, where + " scans")
        some = [bands["1"], bands["2"], bands["3+"]]
        for domain in domains:
            self.constrain({domain: 1, **{b: -1 for b in some}}, -BIG, 0, where + " domain")
        if domains:
            weighted = {d: 1 for d in domains}
            for band, weight in (("1", 1), ("2", 2), ("3+", 3)):
                weighted[bands[band]] = -weight
            self.constrain(weighted, 0, BIG, where + " sum of domains >= bands")
            at_most = {d: 1 for d in domains}
            for band, weight in (("1", 1), ("2", 2), ("3+", len(domains))):
                at_most[bands[band]] = -weight
            self.constrain(at_most, -BIG, 0, where + " sum of domains <= bands")
        self.constrain({v(FLAG): 1, bands["3+"]: -1}, 0, 0, where + " flag = 3+")
        # the bands of parents of minors: at most the parents of minors (their finer relations
        # to the bands and domains are left out: they made the team attack's integer programs
        # too slow, and a relation left out only makes the attacker weaker, never wrong)
        parents = {band: v(f"{PARENT_BAND}:{band}") for band in BANDS}
        self.constrain(
            {**{p: 1 for p in parents.values()}, minors: -1}, -BIG, 0, where + " parents' scans"
        )
        held = [v(k) for k in FOLLOWUPS_HELD]
        sessions = {intakes: -1, **{h: -1 for h in held}}
        signals = v("safety_signals")
        self.constrain({signals: 1, **sessions}, -BIG, 0, where + " signals <= sessions")
        steps = v("meldcode_steps_taken")
        self.constrain({steps: 1, signals: -MELDCODE_STEPS}, -BIG, 0, where + " steps")
        # signals at intake and at follow-ups: part of all signals (an older export, which
        # has no such cells, counts them as 0)
        at_intake, at_followup = (v(k) for k in SIGNALS_AT)
        self.constrain(
            {at_intake: 1, at_followup: 1, signals: -1}, -BIG, 0, where + " signals by session kind"
        )
        self.constrain({at_intake: 1, intakes: -1}, -BIG, 0, where + " signals at intake")
        self.constrain(
            {at_followup: 1, **{h: -1 for h in held}}, -BIG, 0, where + " signals at follow-ups"
        )

        if any("/" in key for key in self.keys):
            self._split_structure(source, month)

    def _split_structure(self, source: str, month: str) -> None:
        """The split by setting: the parts add up to the whole; the relations within each."""

        def v(key: str) -> int:
            return self.var(source, month, key)

        where = f"{source} {month}"
        for whole in SPLIT_MEASURES:
            self.constrain(
                {v(whole): -1, **{v(f"{s}/{whole}"): 1 for s in SETTINGS}},
                0,
                0,
                f"{where} {whole}: the settings add up to the whole",
            )
        for setting in SETTINGS:

            def part(key: str, setting: str = setting) -> int:
                return v(f"{setting}/{key}")

            here = f"{where} {setting}"
            intakes, minors = part("intakes"), part("clients_with_minor_children")
            self.constrain(
                {part("kindchecks_completed"): 1, intakes: -1}, -BIG, 0, here + " checks"
            )
            self.constrain({minors: 1, intakes: -1}, -BIG, 0, here + " parents <= intakes")

    def _overdue_after_intake(self, source: str, months: Sequence[str]) -> None:
        running: dict[int, int] = {}
        for month in months:
            running[self.var(source, month, OVERDUE)] = 1
            running[self.var(source, month, "intakes")] = -1
            self.constrain(dict(running), -BIG, 0, f"{source} overdue plans up to {month}")

    def link_unchanged(
        self, before: str, after: str, months: Iterable[str], keys: Iterable[str] | None = None
    ) -> None:
        """``after`` is ``before`` with nothing new in ``months`` (no backdated sessions): every
        session count equal; follow-ups held equal in number (their timing may be re-judged);
        overdue plans are a state of the day and may differ; follow-ups due are left free (a
        reader cannot know no plan changed)."""
        for month in months:
            chosen = keys or [
                k
                for k in self.keys
                if k != OVERDUE and k not in FOLLOWUPS_HELD and not k.startswith(f"{DUE}:")
            ]
            for key in chosen:
                self.constrain(
                    {self.var(after, month, key): 1, self.var(before, month, key): -1},
                    0,
                    0,
                    f"{before}->{after} {month} {key} unchanged",
                )
            held = {self.var(after, month, k): 1 for k in FOLLOWUPS_HELD}
            held.update({self.var(before, month, k): -1 for k in FOLLOWUPS_HELD})
            self.constrain(held, 0, 0, f"{before}->{after} {month} follow-ups held unchanged")

    def link_added_intakes(self, before: str, after: str, count: int, label: str) -> str:
        """``after`` is ``before`` plus ``count`` intakes, dated anywhere: the difference is a
        source of its own (``label``) that holds exactly those intakes and no follow-ups."""
        months = self.source_months[after]
        self.source(label, months)
        for month in months:
            for key in list(self.keys):
                self.constrain(
                    {
                        self.var(after, month, key): 1,
                        self.var(before, month, key): -1,
                        self.var(label, month, key): -1,
                    },
                    0,
                    0,
                    f"{after} = {before} + {label}",
                )
            for key in FOLLOWUPS_HELD:
                self.constrain({self.var(label, month, key): 1}, 0, 0, f"{label}: intakes only")
        self.constrain(self.expr([label], months, "intakes"), count, count, f"{label}: {count}")
        return label

    # -- solving -------------------------------------------------------------------------------

    def _merge_targets(self) -> None:
        """Drop the unknowns every reader knows to be 0 (a sum of counts shown as 0, a period
        a file has no row for) from the targets, and merge the targets that become equal (a
        quarter whose later months are empty is its first month)."""
        zero = {
            variable
            for coefs, lo, hi, _why in self.rows
            if lo == hi == 0 and all(c > 0 for c in coefs.values())
            for variable in coefs
        }
        merged: dict[Expr, Target] = {}
        for target in self.targets.values():
            expr = tuple((v, c) for v, c in target.expr if v not in zero)
            if not expr and target.in_file:
                raise Inconsistent(f"{target.places[0]}: hidden, but it can only be 0")
            found = merged.get(expr)
            if found is None:
                found = merged[expr] = Target(expr, target.need, target.truth, [])
            found.need = max(found.need, target.need)
            found.places.extend(target.places)
            found.in_file |= target.in_file
            self._renamed[id(target)] = found
        self.targets = merged

    def resolved(self, target: Target) -> Target:
        """The target as solved (targets equal once known zeros are dropped are merged)."""
        return self._renamed.get(id(target), target)

    def set_truth(self, source: str, month: str, key: str, value: int) -> None:
        self.truth[self.var(source, month, key)] = value

    def _matrix(self) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
        data, cols, rows = [], [], []
        lo, hi = np.empty(len(self.rows)), np.empty(len(self.rows))
        for r, (coefs, low, high, _why) in enumerate(self.rows):
            for variable, coef in coefs.items():
                rows.append(r)
                cols.append(variable)
                data.append(coef)
            lo[r], hi[r] = low, high
        shape = (len(self.rows), len(self.index))
        return csr_matrix((data, (rows, cols)), shape=shape), lo, hi

    def check_truth(self) -> list[str]:
        """The constraints the true counts break (empty when the model is sound)."""
        broken = []
        for coefs, lo, hi, why in self.rows:
            value = sum(self.truth.get(v, 0) * c for v, c in coefs.items())
            if not lo <= value <= hi:
                broken.append(f"{why}: true value {value} not in {lo}..{hi}")
        return broken

    def solve(
        self, time_limit: float = 120.0, max_rounds: int = 8, stop_after: int | None = None
    ) -> list[Target]:
        """Bound every target; exact bounds for each one not shown to be wide enough.

        ``stop_after``: stop once that many targets are disclosed (a gate that only needs to
        fail); the others then keep the range seen so far, and `stopped_early` is set.
        """
        self.structure()
        self._merge_targets()
        matrix, lo, hi = self._matrix()
        size = len(self.index)
        constraints = LinearConstraint(matrix, lo, hi)
        bounds = Bounds(np.zeros(size), np.full(size, BIG))
        integrality = np.ones(size)
        targets = list(self.targets.values())
        rows, cols, data = [], [], []
        for t, target in enumerate(targets):
            for variable, coef in target.expr:
                rows.append(t)
                cols.append(variable)
                data.append(coef)
            target.truth = (
                sum(self.truth.get(v, 0) * c for v, c in target.expr) if self.truth else None
            )
            if target.in_file and target.truth is not None and target.truth > target.need:
                target.need = min(target.need, 2)  # not a small count: only never pinned
        evaluate = csr_matrix((data, (rows, cols)), shape=(len(targets), size))
        options = {"disp": False, "mip_rel_gap": 0.0, "time_limit": time_limit}

        solves = [0]

        def run(objective: np.ndarray) -> np.ndarray:
            solves[0] += 1
            result = milp(
                objective,
                integrality=integrality,
                bounds=bounds,
                constraints=constraints,
                options=options,
            )
            if result.status == 2:
                raise Inconsistent("no table fits all files and assumptions")
            # A solve stopped by its time limit (status 1) still gives a table that fits every
            # file: the values it shows are possible, so using them can only make an interval
            # look narrower than it is (a bound not pushed as far as it goes), never wider. The
            # attack stays sound; it may only fail where an exact solve would have passed.
            if result.x is None or result.status not in (0, 1):
                raise RuntimeError(f"the solver stopped: {result.message}")
            if result.status == 1:
                self.time_limited += 1
            point = np.rint(result.x)
            values = np.rint(evaluate @ point).astype(int)
            for target, value in zip(targets, values, strict=True):
                target.seen_lo = min(target.seen_lo, int(value))
                target.seen_hi = max(target.seen_hi, int(value))
            return point

        def value_of(expr: Expr, point: np.ndarray) -> int:
            return int(np.rint(sum(point[v] * c for v, c in expr)))

        def objective_of(expr: Expr, sign: int) -> np.ndarray:
            vector = np.zeros(size)
            for variable, coef in expr:
                vector[variable] += sign * coef
            return vector

        run(np.zeros(size))
        # Push all open targets up together, then down, with random weights so that cells
        # competing within one relation take turns; stop when a round widens nothing.
        rng = np.random.default_rng(14)
        for _round in range(max_rounds):
            open_targets = [
                t for t, target in enumerate(targets) if target.seen_width < target.need
            ]
            if not open_targets:
                break
            before = [(targets[t].seen_lo, targets[t].seen_hi) for t in open_targets]
            weights = np.zeros(len(targets))
            weights[open_targets] = rng.uniform(1.0, 2.0, len(open_targets))
            for sign in (-1, 1):
                run(sign * (evaluate.T @ weights))
            after = [(targets[t].seen_lo, targets[t].seen_hi) for t in open_targets]
            if after == before:
                break
        for target in targets:
            if target.seen_width >= target.need:
                continue
            if stop_after is not None and sum(t.disclosed for t in targets) >= stop_after:
                self.stopped_early = True
                break
            point = run(objective_of(target.expr, -1))
            target.hi = value_of(target.expr, point)
            if target.seen_width >= target.need:
                continue
            point = run(objective_of(target.expr, 1))
            target.lo = value_of(target.expr, point)
        self.solves = solves[0]
        return targets


# ---------------------------------------------------------------------------------------------
# Reporting


@dataclass(frozen=True)
class Summary:
    hidden: int
    disclosed: int
    pinned: int
    pinned_small: int  # pinned cells whose true value is a small count 1..need
    undecided: int  # not solved: the solve stopped early

    def line(self) -> str:
        more = f" (stopped early: {self.undecided} not decided)" if self.undecided else ""
        return (
            f"{self.pinned} of {self.hidden} pinned exactly ({self.pinned_small} of them truly "
            f"small), {self.disclosed} narrower than promised{more}"
        )


def summarise(targets: Sequence[Target]) -> Summary:
    return Summary(
        len(targets),
        sum(t.disclosed for t in targets),
        sum(t.pinned for t in targets),
        sum(t.pinned and t.truth is not None and 1 <= t.truth <= t.need for t in targets),
        sum(not t.safe and not t.solved for t in targets),
    )


def examples(targets: Sequence[Target], limit: int = 5) -> list[str]:
    worst = sorted((t for t in targets if t.disclosed), key=lambda t: (not t.pinned, t.places[0]))
    return [
        f"{t.places[0]}: can only be {t.interval()}"
        + (f" (true {t.truth})" if t.truth is not None else "")
        + (f"; also shown as {len(t.places) - 1} other cell(s)" if len(t.places) > 1 else "")
        for t in worst[:limit]
    ]


def audit(paths: Sequence[Path]) -> tuple[Summary, list[str]]:
    """All files as releases of one laptop's data (as a team lead would hold them)."""
    releases = [read_release(path) for path in paths]
    months = sorted({m for r in releases for row in r.rows if row != TOTAL for m in months_in(row)})
    attack = Attack()
    attack.source("data", month_range(months[0], months[-1]) if months else [])
    for release in releases:
        attack.release(release, ["data"])
    targets = attack.solve()
    return summarise(targets), examples(targets, 20)


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: disclosure.py EXPORT_FILE...", file=sys.stderr)
        return 2
    summary, lines = audit(paths)
    print(summary.line())
    for line in lines:
        print("  " + line)
    return 1 if summary.disclosed else 0


if __name__ == "__main__":
    sys.exit(main())
