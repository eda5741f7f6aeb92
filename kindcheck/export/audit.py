"""The audit behind every release: what a reader of all released tables can work out.

A reader holds every table this vault (or team) released for a year: month, quarter and year
rows, each cell a count, "<t" (1..t-1) or "x" (1 or more). They know how rows add up (a
quarter is its months, a year its twelve) and what the measures mean (:data:`RELATIONS` in
words below). The unknowns are the true counts of each month and cell key; every released cell
is a linear expression in them, and the lowest and highest value a hidden cell can take are two
integer programs (HiGHS, through highspy).

The relations a reader may use, per month (all true of every count this export makes):

- completed Kindchecks <= intakes; parents of minors <= intakes;
- parents of minors <= children in view <= 15 x parents of minors (the Kindcheck's maximum);
- the domain bands (0, 1, 2, 3+) add up to at most the intakes; their total is their sum;
- each domain <= bands 1 + 2 + 3+; the domains add up to at least 1 x b1 + 2 x b2 + 3 x b3+
  and at most 1 x b1 + 2 x b2 + D x b3+ (D domains);
- parents of minors by domains counted (0, 1, 2, 3+) add up to at most the parents of minors,
  and the domains (over all intakes) add up to at least 1 x b1 + 2 x b2 + 3 x b3+ of them;
- sessions with a safety signal <= sessions: at intake <= intakes, at follow-ups <= follow-ups
  held;
- Meldcode steps <= 5 x sessions with a signal;
- follow-ups due = due and held within the window + due and not held (the due total is their
  sum, so this holds by construction of the unknowns);
- the split by setting (quarter and year rows from the first quarter closed after it came):
  for every measure split (intakes, completed Kindchecks, parents of minors) the GGZ part +
  the social-domain part = the whole, exactly; and within each setting: completed Kindchecks
  <= intakes, parents of minors <= intakes.

A hidden cell must keep as many possible values as its marker promises: a true small count
(1..t-1) all of 1..t-1; any other hidden cell at least two (never worked out exactly).
The cheap part first: a few solves that push every open cell up and down at once (each solve
is a consistent table, and widens the seen range of every cell); exact bounds only for the
cells still narrower than promised. Two things spare most branch and bound in a release's
repair rounds, without changing a single finding: the consistent tables earlier rounds found
(:class:`Witnesses`: a round only hides more, so they still fit, and each is checked), and
the linear program's bounds, which prove a cell narrow on their own when even they are
narrower than promised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .facts import (
    _BANDS_KEY,
    _DOMAIN_KEY,
    _DUE_KEY,
    _PARENT_BANDS_KEY,
    DOMAIN_BANDS,
    DUE_CELLS,
    SETTINGS,
    SPLIT_MEASURES,
    setting_of,
    split_key,
)

SECONDARY: Final = "x"
TOTAL_SUFFIX: Final = ":total"
MAX_CHILDREN_PER_PARENT: Final = 15
MELDCODE_STEPS: Final = 5
_BIG: Final = 10**7
# How far a linear program's optimum may be off (HiGHS's tolerances are about 1e-7): bounds
# are widened by this before they are trusted.
_ROOM: Final = 1e-3

Cell = tuple[str, str]  # (row label, cell key)
Shown = int | str


def band_parts(key: str) -> list[str]:
    """The cell keys a cell adds up: a band total is its four bands, the follow-ups due are
    those held within the window and those not held (an equality the audit knows exactly); a
    split cell's parts are those of its whole, in its setting."""
    setting, whole = setting_of(key)
    if setting is not None:
        return [split_key(setting, part) for part in band_parts(whole)]
    for measure in (_BANDS_KEY, _PARENT_BANDS_KEY):
        if key == f"{measure}{TOTAL_SUFFIX}":
            return [f"{measure}:{band}" for band in DOMAIN_BANDS]
    if key == f"{_DUE_KEY}{TOTAL_SUFFIX}":
        return [f"{_DUE_KEY}:{cell}" for cell in DUE_CELLS]
    return [key]


def months_of(row: str) -> list[str]:
    """The months a row covers: "2025-03", "2025-Q1" or "2025"."""
    if len(row) == 7 and row[5] != "Q":
        return [row]
    if "-Q" in row:
        year, quarter = row[:4], int(row[-1])
        return [f"{year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
    return [f"{row}-{m:02d}" for m in range(1, 13)]


def marker_range(value: Shown) -> tuple[int, int]:
    """What a shown value says: (lowest, highest)."""
    if isinstance(value, int):
        return value, value
    if value == SECONDARY:
        return 1, _BIG
    return 1, int(value[1:]) - 1  # "<t"


@dataclass
class _Target:
    cell: Cell
    expr: list[tuple[int, int]]
    need: int
    seen_lo: int = _BIG
    seen_hi: int = -1
    lo: int | None = None
    hi: int | None = None

    @property
    def wide(self) -> bool:
        return self.seen_hi - self.seen_lo + 1 >= self.need

    @property
    def narrow(self) -> bool:
        return (
            not self.wide
            and self.lo is not None
            and self.hi is not None
            and self.hi - self.lo + 1 < self.need
        )


@dataclass
class Model:
    """The unknown month counts of one year and the linear system a reader has.

    ``sources``: the laptops whose counts a team table adds up (each with its own unknowns
    and relations, so that what each laptop released itself can be put beside the team's
    table); one unnamed source for a vault."""

    months: Sequence[str]
    keys: Sequence[str]  # every cell key of the year's tables (band totals included)
    sources: Sequence[str] = ("",)
    index: dict[tuple[str, str, str], int] = field(default_factory=dict)
    rows: list[tuple[dict[int, int], float, float]] = field(default_factory=list)
    _source: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        base = sorted({part for key in self.keys for part in band_parts(key)})
        for source in self.sources:
            for month in self.months:
                for key in base:
                    self.index[(source, month, key)] = len(self.index)
        for source in self.sources:
            for month in self.months:
                self._source = source
                self._relations(month, base)

    def var(self, month: str, key: str, source: str | None = None) -> int | None:
        return self.index.get((self._source if source is None else source, month, key))

    def expr(
        self, months: Iterable[str], key: str, sources: Sequence[str] | None = None
    ) -> dict[int, int]:
        out: dict[int, int] = {}
        for source in self.sources if sources is None else sources:
            for month in months:
                for part in band_parts(key):
                    variable = self.index.get((source, month, part))
                    if variable is not None:
                        out[variable] = out.get(variable, 0) + 1
        return out

    def constrain(self, coefs: Mapping[int | None, int], lo: float, hi: float) -> None:
        if None in coefs:
            return  # a relation over a measure this table does not count
        self.rows.append(({v: c for v, c in coefs.items() if v is not None}, lo, hi))

    def _relations(self, month: str, base: Sequence[str]) -> None:
        def v(key: str) -> int | None:
            return self.var(month, key)

        big = _BIG
        intakes, minors, children = (
            v("intakes"),
            v("clients_with_minor_children"),
            v("children_in_view"),
        )
        self.constrain({v("kindchecks_completed"): 1, intakes: -1}, -big, 0)
        self.constrain({minors: 1, intakes: -1}, -big, 0)
        self.constrain({children: 1, minors: -1}, 0, big)
        self.constrain({children: 1, minors: -MAX_CHILDREN_PER_PARENT}, -big, 0)
        bands = {band: v(f"{_BANDS_KEY}:{band}") for band in DOMAIN_BANDS}
        if all(b is not None for b in bands.values()):
            self.constrain({**{b: 1 for b in bands.values()}, intakes: -1}, -big, 0)
            some = [bands["1"], bands["2"], bands["3+"]]
            domains = [v(k) for k in base if k.startswith(f"{_DOMAIN_KEY}:")]
            for domain in domains:
                self.constrain({domain: 1, **{b: -1 for b in some}}, -big, 0)
            if domains:
                at_least: dict[int | None, int] = {d: 1 for d in domains}
                at_most: dict[int | None, int] = {d: 1 for d in domains}
                for band, low, high in (("1", 1, 1), ("2", 2, 2), ("3+", 3, len(domains))):
                    at_least[bands[band]] = -low
                    at_most[bands[band]] = -high
                self.constrain(at_least, 0, big)
                self.constrain(at_most, -big, 0)
        parents = {band: v(f"{_PARENT_BANDS_KEY}:{band}") for band in DOMAIN_BANDS}
        if all(b is not None for b in parents.values()):
            self.constrain({**{b: 1 for b in parents.values()}, minors: -1}, -big, 0)
            domains = [v(k) for k in base if k.startswith(f"{_DOMAIN_KEY}:")]
            if domains:  # the domains of all intakes include those of the parents of minors
                weighted: dict[int | None, int] = {d: 1 for d in domains}
                for band, weight in (("1", 1), ("2", 2), ("3+", 3)):
                    weighted[parents[band]] = -weight
                self.constrain(weighted, 0, big)
        held = {v("followups:on_time"): -1, v("followups:late"): -1}
        signals = v("safety_signals")
        self.constrain({signals: 1, intakes: -1, **held}, -big, 0)
        self.constrain({v("meldcode_steps_taken"): 1, signals: -MELDCODE_STEPS}, -big, 0)
        at_intake, at_followup = v("safety_signals_intake"), v("safety_signals_followup")
        self.constrain({at_intake: 1, intakes: -1}, -big, 0)
        self.constrain({at_followup: 1, **held}, -big, 0)
        self.constrain(
            {
                v("meldcode_steps_taken"): 1,
                at_intake: -MELDCODE_STEPS,
                at_followup: -MELDCODE_STEPS,
            },
            -big,
            0,
        )
        if any(setting_of(key)[0] is not None for key in base):
            self._split_relations(v)

    def _split_relations(self, v: Callable[[str], int | None]) -> None:
        """The split by setting: the parts add up to the whole; the relations within each."""
        for whole in SPLIT_MEASURES:
            self.constrain({v(whole): -1, **{v(split_key(s, whole)): 1 for s in SETTINGS}}, 0, 0)
        big = _BIG
        for setting in SETTINGS:

            def part(key: str, setting: str = setting) -> int | None:
                return v(split_key(setting, key))

            intakes, minors = part("intakes"), part("clients_with_minor_children")
            self.constrain({part("kindchecks_completed"): 1, intakes: -1}, -big, 0)
            self.constrain({minors: 1, intakes: -1}, -big, 0)


class _Solver:
    """The reader's system (every unknown a whole number from 0 to _BIG), given to HiGHS once
    and solved for one objective after another: a point where the objective is lowest.

    Each objective is solved first without the whole-number condition (a linear program,
    restarted from the previous basis: a fraction of a millisecond), and that point is taken
    when it is a whole-number point that meets every relation exactly (checked here, in whole
    numbers): it is then also the lowest of the integer program, since the integer program's
    lowest is never below the linear program's. Only otherwise is the integer program solved
    (HiGHS's branch and bound, to optimality). So every point is a table of whole counts the
    reader's relations allow, and every lowest value is exact, as before.

    The bare binding (``highspy._Highs``) is used: highspy's ``Highs`` prints a banner on
    stdout when it is made."""

    linear_first = True  # False: every objective by branch and bound (the tests compare both)

    def __init__(
        self, size: int, constraints: Sequence[tuple[Mapping[int, int], float, float]]
    ) -> None:
        import highspy
        import numpy as np

        starts = [0]
        index: list[int] = []
        value: list[int] = []
        for coefs, _low, _high in constraints:
            index.extend(coefs)
            value.extend(coefs.values())
            starts.append(len(index))
        lp = highspy.HighsLp()
        lp.num_col_ = size
        lp.num_row_ = len(constraints)
        lp.col_cost_ = np.zeros(size)
        lp.col_lower_ = np.zeros(size)
        lp.col_upper_ = np.full(size, float(_BIG))
        self._lower = np.array([low for _c, low, _h in constraints], dtype=np.float64)
        self._upper = np.array([high for _c, _l, high in constraints], dtype=np.float64)
        lp.row_lower_ = self._lower
        lp.row_upper_ = self._upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = size
        lp.a_matrix_.num_row_ = len(constraints)
        self._index = np.array(index, dtype=np.int32)
        self._value = np.array(value, dtype=np.float64)
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = self._index
        lp.a_matrix_.value_ = self._value
        self._lp = lp
        self._row_of = np.repeat(np.arange(len(constraints)), np.diff(starts))
        self._size = size
        self._columns = np.arange(size, dtype=np.int32)
        self._relaxed = self._highs(lp)
        self._integer: Any = None  # made when first needed

    @staticmethod
    def _highs(lp: Any) -> Any:
        import highspy

        highs = highspy._Highs()  # type: ignore[attr-defined]  # the bare binding: no banner
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("time_limit", 60.0)
        highs.passModel(lp)
        return highs

    def solve(self, objective: Any) -> Any:
        """A whole-number point of the system where ``objective`` (one weight per unknown)
        is lowest."""
        import highspy
        import numpy as np

        objective = np.asarray(objective, dtype=np.float64)
        relaxed = self._relaxed
        if self.linear_first:
            relaxed.changeColsCost(self._size, self._columns, objective)
            relaxed.run()
        if self.linear_first and relaxed.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            point = np.asarray(relaxed.getSolution().col_value)
            whole = np.rint(point)
            if (
                np.all(np.abs(point - whole) < 1e-6)
                and self._allowed(whole)
                and objective @ whole - relaxed.getInfo().objective_function_value < 0.5
            ):
                return whole
        if self._integer is None:
            self._lp.integrality_ = [highspy.HighsVarType.kInteger] * self._size
            self._integer = self._highs(self._lp)
        highs = self._integer
        highs.changeColsCost(self._size, self._columns, objective)
        highs.run()
        solution = highs.getSolution()
        if not solution.value_valid:
            status = highs.modelStatusToString(highs.getModelStatus())
            raise RuntimeError(f"the release audit found no consistent table ({status})")
        return np.rint(np.asarray(solution.col_value))

    def relaxed_lowest(self, objective: Any) -> float | None:
        """The lowest ``objective`` takes without the whole-number condition (a linear
        program, restarted from the previous basis), or None when HiGHS finds none. Never
        above the lowest whole-number value: a bound that costs no branch and bound."""
        import highspy
        import numpy as np

        relaxed = self._relaxed
        relaxed.changeColsCost(self._size, self._columns, np.asarray(objective, dtype=np.float64))
        relaxed.run()
        if relaxed.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(relaxed.getInfo().objective_function_value)

    def _allowed(self, point: Any) -> bool:
        """Whether a whole-number point meets every relation and bound exactly (sums of whole
        numbers far below 2**53: exact in floating point)."""
        import numpy as np

        if point.min() < 0 or point.max() > _BIG:
            return False
        sums = np.bincount(
            self._row_of, weights=self._value * point[self._index], minlength=len(self._lower)
        )
        return bool(np.all(sums >= self._lower) and np.all(sums <= self._upper))

    def allowed_rows(self, points: Any) -> Any:
        """Which rows of ``points`` (whole-number points, one a row) meet every relation and
        bound exactly: :meth:`_allowed` for many points at once."""
        import numpy as np

        if not len(points):
            return np.zeros(0, dtype=bool)
        products = points[:, self._index] * self._value
        starts = np.searchsorted(self._row_of, np.arange(len(self._lower)))
        sums = np.zeros((len(points), len(self._lower)))
        filled = np.diff(np.append(starts, len(self._row_of))) > 0
        sums[:, filled] = np.add.reduceat(products, starts[filled], axis=1)
        in_bounds = (points.min(axis=1) >= 0) & (points.max(axis=1) <= _BIG)
        meets = np.all(sums >= self._lower, axis=1) & np.all(sums <= self._upper, axis=1)
        return in_bounds & meets


class Witnesses:
    """Consistent tables (whole-number points of a :class:`Model`'s unknowns) found by earlier
    audits, kept for the next audit of the same model.

    The release's repair only ever hides more (a count becomes "x", a cell is left out): the
    reader's system only loosens, so a table consistent before stays consistent, and shows
    at once that the cells it spreads wide enough stay protected, with no solve. Each table is
    still checked against the new system before it counts (:meth:`consistent`): one that no
    longer fits is dropped, never trusted."""

    def __init__(self) -> None:
        self._points: list[Any] = []
        self._known: set[bytes] = set()

    def add(self, point: Any) -> None:
        key = point.tobytes()
        if key not in self._known:
            self._known.add(key)
            self._points.append(point)

    def consistent(self, solver: _Solver) -> Any:
        """The kept tables that meet every relation of ``solver``'s system (one a row); the
        others are forgotten."""
        import numpy as np

        if not self._points:
            return np.zeros((0, 0))
        points = np.vstack(self._points)
        keep = solver.allowed_rows(points)
        if not keep.all():
            self._points = [p for p, k in zip(self._points, keep, strict=True) if k]
            self._known = {p.tobytes() for p in self._points}
        return points[keep]


def disclosed_cells(
    model: Model,
    rows: Mapping[str, Sequence[str]],
    shown: Mapping[Cell, Shown],
    truth: Mapping[Cell, int],
    thresholds: Mapping[str, int],
    stop_after: int | None = None,
    max_rounds: int = 6,
    row_sources: Mapping[str, Sequence[str]] | None = None,
    witnesses: Witnesses | None = None,
) -> list[Cell]:
    """The hidden cells of ``shown`` a reader can narrow to fewer values than promised.

    ``rows``: row label -> its months; ``truth``: the true value of every hidden cell;
    ``thresholds``: row label -> the threshold it was released with; ``row_sources``: row
    label -> the sources it adds up (default: all). ``stop_after``: stop once that many are
    found (the repair fixes a few at a time). ``witnesses``: the consistent tables earlier
    audits of the same model found; those still consistent with ``shown`` widen every cell's
    seen range before any solve, and the tables found here are added to them."""
    constraints = list(model.rows)
    targets: list[_Target] = []
    for (row, key), value in shown.items():
        coefs = model.expr(rows[row], key, (row_sources or {}).get(row))
        if not coefs:
            continue
        lo, hi = marker_range(value)
        constraints.append((coefs, lo, hi))
        if isinstance(value, str):
            small = thresholds[row] - 1
            true = truth[(row, key)]
            need = small if 1 <= true <= small else 2
            targets.append(_Target((row, key), sorted(coefs.items()), need))
    if not targets:
        return []
    import numpy as np  # only when there is something to solve (numpy alone: 0.1 s)

    size = len(model.index)
    solver = _Solver(size, constraints)
    # Each target's expression, flat: its variables, their coefficients, where each starts.
    t_cols = np.array([v for target in targets for v, _c in target.expr], dtype=np.int64)
    t_data = np.array([c for target in targets for _v, c in target.expr], dtype=np.float64)
    t_lengths = np.array([len(target.expr) for target in targets], dtype=np.int64)
    t_starts = np.concatenate(([0], np.cumsum(t_lengths)[:-1]))

    def seen(points: Any) -> None:
        """Widen every target's seen range by the consistent tables ``points`` (one a row)."""
        values = np.rint(np.add.reduceat(points[:, t_cols] * t_data, t_starts, axis=1))
        for target, low, high in zip(targets, values.min(axis=0), values.max(axis=0), strict=True):
            target.seen_lo = min(target.seen_lo, int(low))
            target.seen_hi = max(target.seen_hi, int(high))

    def run(objective: Any) -> Any:
        point = solver.solve(objective)
        seen(point[np.newaxis, :])
        if witnesses is not None:
            witnesses.add(point)
        return point

    if witnesses is not None:
        still = witnesses.consistent(solver)
        if len(still):
            seen(still)

    def pushed(weights: Any) -> Any:
        """The objective that weighs each target's expression by ``weights``."""
        objective = np.zeros(size)
        np.add.at(objective, t_cols, np.repeat(weights, t_lengths) * t_data)
        return objective

    def value_of(target: _Target, point: Any) -> int:
        return round(float(sum(point[v] * c for v, c in target.expr)))

    def narrow_without_whole_numbers(target: _Target, vector: Any) -> bool:
        """Whether ``target`` is narrower than promised already by the linear program's
        bounds: its whole values lie within them, so it is narrow for certain, and neither
        exact bound needs branch and bound. (``vector``: the objective of its highest value.)
        The bounds are rounded outwards with room for HiGHS's tolerances: a looser bound only
        sends the cell on to the exact solves."""
        highest = solver.relaxed_lowest(vector)
        lowest = solver.relaxed_lowest(-vector)
        if highest is None or lowest is None:
            return False
        hi, lo = math.floor(-highest + _ROOM), math.ceil(lowest - _ROOM)
        if hi - lo + 1 >= target.need:
            return False
        target.hi, target.lo = hi, lo
        return target.narrow

    run(np.zeros(size))
    rng = np.random.default_rng(14)  # fixed: the same data always gives the same release
    for _round in range(max_rounds):
        open_targets = [t for t, target in enumerate(targets) if not target.wide]
        if not open_targets:
            break
        before = [(targets[t].seen_lo, targets[t].seen_hi) for t in open_targets]
        weights = np.zeros(len(targets))
        weights[open_targets] = rng.uniform(1.0, 2.0, len(open_targets))
        for sign in (-1, 1):
            run(sign * pushed(weights))
        if before == [(targets[t].seen_lo, targets[t].seen_hi) for t in open_targets]:
            break
    found: list[Cell] = []
    for target in targets:
        if target.wide:
            continue
        vector = np.zeros(size)
        for variable, coef in target.expr:
            vector[variable] = -coef
        if narrow_without_whole_numbers(target, vector):
            found.append(target.cell)
            if stop_after is not None and len(found) >= stop_after:
                break
            continue
        target.hi = value_of(target, run(vector))
        if target.wide:
            continue
        target.lo = value_of(target, run(-vector))
        if target.narrow:
            found.append(target.cell)
            if stop_after is not None and len(found) >= stop_after:
                break
    return found


# ---------------------------------------------------------------------------------------------
# Auditing files (``kindcheck audit FILE...``)


def _cell_value(text: str) -> Shown | None:
    text = text.strip().lstrip("'")
    if text.isdigit():
        return int(text)
    if text == SECONDARY or (text.startswith("<") and text[1:].isdigit()):
        return text
    return None  # a share, or empty


def read_released_file(name: str, text: str) -> tuple[int, dict[Cell, Shown]]:
    """The threshold and the count cells of a CSV or JSON file ``kindcheck export`` or
    ``merge`` wrote (shares are derived from the counts and left out)."""
    import csv
    import io
    import json

    from kindcheck.errors import ExportError

    cells: dict[Cell, Shown] = {}
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
            threshold = int(document["threshold"])
            for row in document["rows"]:
                parts = [("", row)]
                settings = row.get("settings", {})
                parts += [(s, settings[s]) for s in SETTINGS if s in settings]
                for setting, values in parts:
                    for measure, value in values.items():
                        if measure in ("period", "settings"):
                            continue
                        items = value.items() if isinstance(value, dict) else [("", value)]
                        for category, inner in items:
                            key = f"{measure}:{category}" if category else measure
                            if setting:
                                key = split_key(setting, key)
                            shown = inner if isinstance(inner, int | str) else None
                            if shown is not None and not key.endswith("share"):
                                cells[(str(row["period"]), key)] = shown
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ExportError(f"{name}: not a Kindcheck export file") from None
        return threshold, cells
    lines = text.splitlines()
    header = next((line for line in lines if line.replace(";", ",").startswith("period,")), None)
    found = [line for line in lines if line.startswith("# threshold:")]
    if header is None or not found:
        raise ExportError(f"{name}: not a Kindcheck export file")
    delimiter = ";" if header.startswith("period;") else ","
    columns = 5 if header.replace(";", ",").startswith("period,setting,") else 4
    body = lines[lines.index(header) + 1 :]
    for row in csv.reader(io.StringIO("\n".join(body)), delimiter=delimiter):
        if len(row) != columns:
            continue
        if columns == 4:
            row = [row[0], "all", *row[1:]]
        period, setting, measure, category, value_text = row
        if measure.endswith("share"):
            continue
        key = f"{measure}:{category}" if category else measure
        if setting != "all":
            if setting not in SETTINGS:
                raise ExportError(f"{name}: {setting!r} is not a setting")
            key = split_key(setting, key)
        value = _cell_value(value_text)
        if value is not None:
            cells[(period, key)] = value
    return int(found[0].split(":", 1)[1]), cells


def audit_files(files: Sequence[tuple[str, str]]) -> list[str]:
    """Every hidden cell that all ``files`` together (one vault's or one team's) narrow to
    fewer values than its marker promises, as "FILE PERIOD MEASURE: ..." lines; empty when
    the files keep their promise. Files that disagree about a cell are refused."""
    from kindcheck.errors import ExportError

    shown: dict[Cell, Shown] = {}
    thresholds: dict[str, int] = {}
    where: dict[Cell, str] = {}
    for name, text in files:
        threshold, cells = read_released_file(name, text)
        for cell, value in cells.items():
            if cell in shown and shown[cell] != value:
                raise ExportError(
                    f"{name}: {cell[0]} {cell[1]} is {value}, but {where[cell]} shows "
                    f"{shown[cell]}: these files are not of one vault or team"
                )
            shown[cell] = value
            where.setdefault(cell, name)
            thresholds[cell[0]] = min(thresholds.get(cell[0], threshold), threshold)
    found: list[str] = []
    for year in sorted({row[:4] for row, _key in shown}):
        cells = {cell: value for cell, value in shown.items() if cell[0][:4] == year}
        rows = {row: months_of(row) for row, _key in cells}
        keys = sorted({key for _row, key in cells})
        model = Model([f"{year}-{m:02d}" for m in range(1, 13)], keys)
        # without the truth every hidden cell is held to its marker's promise
        truth = {cell: 1 for cell in cells}
        for row, key in disclosed_cells(model, rows, cells, truth, thresholds):
            found.append(f"{where[(row, key)]} {row} {key} ({cells[(row, key)]})")
    return found
