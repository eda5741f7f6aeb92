"""Small-cell suppression: what may leave the laptop, and the exact audit behind it.

See :func:`suppress` for the algorithm and its limits.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kindcheck.errors import ExportError

from .counts import Counts
from .facts import (
    _BANDS_KEY,
    _DOMAIN_KEY,
    _FOLLOWUP_KEY,
    DOMAIN_BANDS,
    FOLLOWUP_CELLS,
    SCAN_DOMAINS,
    SCHEMA_VERSION,
    SHARE,
    PeriodType,
)

DEFAULT_THRESHOLD: Final = 5
MIN_THRESHOLD: Final = 3  # never below 3: a threshold of 2 would hide only the counts of 1
MAX_THRESHOLD: Final = 1000
ROUNDING_BASE: Final = 5
SECONDARY_MARK: Final = "x"
TOTAL: Final = "total"

Cell = tuple[str, str]  # (row: period label or "total", cell key)
Equation = tuple[tuple[Cell, ...], Cell]  # sum(parts) == total
ShownValue = int | float | str | None


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

    The table is periods x cell keys with a total row. A reader can use its relations: every
    column adds up over the periods to its total-row cell, the domain-count bands add up to
    their "total", and the flag column equals the 3+ column (the parenting-support flag is
    raised exactly at 3+ domains with the default questionnaire threshold).

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
