"""Tests for kindcheck.export: counts, small-cell suppression, files, team files and merge.

The disclosure checks do not trust the module's own relations: they rebuild the reference
counts straight from the facts and the relations straight from the exported JSON, then check
(a) no relation has exactly one hidden cell and (b), exhaustively on small tables, that every
hidden cell has at least two values consistent with everything shown.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kindcheck
from kindcheck.errors import ExportError, KindcheckError
from kindcheck.export import (
    MEASURES,
    SCAN_DOMAINS,
    SCHEMA_VERSION,
    Counts,
    PlanFacts,
    SessionFacts,
    Table,
    add,
    aggregate,
    make_team_keypair,
    merge,
    open_team_file,
    schema,
    seal_team_file,
    suppress,
    to_csv,
    to_json,
)
from kindcheck.questionnaire import load_shipped

FAST = settings(max_examples=60, deadline=None)
EXHAUSTIVE = settings(max_examples=40, deadline=None)
Cell = tuple[str, str]
Relation = tuple[list[Cell], Cell]
BANDS = ("0", "1", "2", "3+")
# A handful of domains keeps the random tables small enough for the exhaustive check.
FEW_DOMAINS = ("financien", "wonen", "opvoeding", "psychisch")


# ---------------------------------------------------------------------------------------------
# Strategies


@st.composite
def session_facts(
    draw: st.DrawFn, days: int = 270, domains: Sequence[str] = SCAN_DOMAINS
) -> SessionFacts:
    held_on = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, days - 1)))
    signal = draw(st.booleans())
    steps = draw(st.integers(0, 3)) if signal else 0
    if draw(st.integers(0, 3)) == 0:
        return SessionFacts(
            "followup",
            held_on,
            safety_signal=signal,
            meldcode_steps_taken=steps,
            followup_timing=draw(st.sampled_from(["on_time", "late", None])),
        )
    scanned = draw(st.booleans())
    chosen = (
        tuple(draw(st.lists(st.sampled_from(list(domains)), unique=True, max_size=5)))
        if scanned
        else ()
    )
    return SessionFacts(
        "intake",
        held_on,
        kindcheck_completed=draw(st.booleans()),
        has_minor_children=draw(st.booleans()),
        children_in_view=draw(st.integers(0, 4)),
        problem_domain_count=len(chosen) if scanned else None,
        problem_domains=chosen,
        parenting_support_flag=len(chosen) >= 3,
        safety_signal=signal,
        meldcode_steps_taken=steps,
    )


@st.composite
def plan_facts(draw: st.DrawFn, days: int = 270) -> PlanFacts:
    if draw(st.booleans()):
        return PlanFacts(False)
    return PlanFacts(True, date(2026, 1, 1) + timedelta(days=draw(st.integers(0, days - 1))))


def sessions_strategy(
    max_size: int = 60, days: int = 270, domains: Sequence[str] = SCAN_DOMAINS
) -> st.SearchStrategy[Any]:
    return st.lists(session_facts(days, domains), max_size=max_size)


# ---------------------------------------------------------------------------------------------
# Reference counts and relations, built independently of the module


def label(day: date, period: str) -> str:
    return (
        f"{day.year}-{day.month:02d}"
        if period == "month"
        else f"{day.year}-Q{(day.month + 2) // 3}"
    )


def reference(
    sessions: Iterable[SessionFacts], plans: Iterable[PlanFacts], period: str = "quarter"
) -> dict[Cell, int]:
    """Cell -> true count for every period row and the total row (no zeros stored)."""
    out: dict[Cell, int] = {}

    def bump(day: date, key: str, n: int = 1) -> None:
        for row in (label(day, period), "total"):
            if n:
                out[(row, key)] = out.get((row, key), 0) + n

    for s in sessions:
        if s.kind == "intake":
            bump(s.held_on, "intakes")
            bump(s.held_on, "kindchecks_completed", int(s.kindcheck_completed))
            bump(s.held_on, "clients_with_minor_children", int(s.has_minor_children))
            bump(s.held_on, "children_in_view", s.children_in_view)
            if s.problem_domain_count is not None:
                band = str(min(s.problem_domain_count, 3)).replace("3", "3+")
                bump(s.held_on, f"parents_by_domain_count:{band}")
                bump(s.held_on, "parents_by_domain_count:total")
                if s.has_minor_children:  # the bands of parents of minors (issue 14)
                    bump(s.held_on, f"parents_of_minors_by_domain_count:{band}")
                for domain in s.problem_domains:
                    bump(s.held_on, f"intakes_per_domain:{domain}")
            bump(s.held_on, "parenting_support_flag", int(s.parenting_support_flag))
        elif s.followup_timing:
            bump(s.held_on, f"followups:{s.followup_timing}")
        bump(s.held_on, "safety_signals", int(s.safety_signal))
        bump(s.held_on, f"safety_signals_{s.kind}", int(s.safety_signal))
        bump(s.held_on, "meldcode_steps_taken", s.meldcode_steps_taken)
    for plan in plans:
        if plan.overdue:
            assert plan.due_on is not None
            bump(plan.due_on, "followups:overdue")
    return out


def shown_cells(doc: dict[str, Any]) -> dict[Cell, Any]:
    """Every exported count cell (the share is derived, not a count) keyed like `reference`."""
    cells: dict[Cell, Any] = {}
    for row in doc["rows"]:
        for measure, value in row.items():
            if measure in ("period", "kindcheck_completed_share"):
                continue
            if isinstance(value, dict):
                for category, inner in value.items():
                    cells[(row["period"], f"{measure}:{category}")] = inner
            else:
                cells[(row["period"], measure)] = value
    return cells


def relations(doc: dict[str, Any]) -> list[Relation]:
    """Every additive relation a reader can see in an export: margins, bands, flag == 3+."""
    periods = [row["period"] for row in doc["rows"][:-1]]
    keys = sorted({key for (row, key) in shown_cells(doc) if row == "total"})
    found: list[Relation] = []
    if periods:
        found += [([(p, key) for p in periods], ("total", key)) for key in keys]
    for row in [*periods, "total"]:
        found.append(
            (
                [(row, f"parents_by_domain_count:{b}") for b in BANDS],
                (row, "parents_by_domain_count:total"),
            )
        )
        found.append(([(row, "parents_by_domain_count:3+")], (row, "parenting_support_flag")))
    return found


def hidden(value: Any) -> bool:
    return isinstance(value, str)


def reader_bounds(value: Any, threshold: int, cap: int) -> tuple[int, int]:
    """What a reader knows about a cell from the way it is shown (no rounding)."""
    if value == "x":
        return 1, cap
    if isinstance(value, str):
        assert value == f"<{threshold}"
        return 1, threshold - 1
    return value, value


def propagate(bounds: dict[Cell, list[int]], rels: list[Relation]) -> bool:
    """Narrow bounds to a fixpoint; False when some cell has no value left."""
    changed = True
    while changed:
        changed = False
        for parts, total in rels:
            lo_sum = sum(bounds[c][0] for c in parts)
            hi_sum = sum(bounds[c][1] for c in parts)
            t = bounds[total]
            new_t = [max(t[0], lo_sum), min(t[1], hi_sum)]
            if new_t != t:
                bounds[total] = t = new_t
                changed = True
            for c in parts:
                b = bounds[c]
                new_b = [max(b[0], t[0] - (hi_sum - b[1])), min(b[1], t[1] - (lo_sum - b[0]))]
                if new_b != b:
                    bounds[c] = new_b
                    changed = True
            if any(bounds[c][0] > bounds[c][1] for c in (*parts, total)):
                return False
    return True


def feasible(bounds: dict[Cell, list[int]], rels: list[Relation]) -> bool:
    """Exhaustive search: is there a whole-number assignment within bounds meeting every rel?"""
    bounds = {c: list(b) for c, b in bounds.items()}
    if not propagate(bounds, rels):
        return False
    open_cells = [c for c, b in bounds.items() if b[0] < b[1]]
    if not open_cells:
        return all(sum(bounds[c][0] for c in parts) == bounds[total][0] for parts, total in rels)
    cell = min(open_cells, key=lambda c: bounds[c][1] - bounds[c][0])
    lo, hi = bounds[cell]
    middle = (lo + hi) // 2
    for half in ([lo, middle], [middle + 1, hi]):
        trial = dict(bounds)
        trial[cell] = half
        if feasible(trial, rels):
            return True
    return False


def recoverable_cells(doc: dict[str, Any], truth: dict[Cell, int]) -> list[Cell]:
    """Hidden cells whose value is the only one consistent with the export (exact check)."""
    threshold = doc["threshold"]
    cells = shown_cells(doc)
    cap = 2 * sum(v for (row, _), v in truth.items() if row == "total") + threshold
    rels = relations(doc)
    found = []
    for cell, value in cells.items():
        if not hidden(value):
            continue
        # Only the relations connected to this cell through hidden cells matter.
        component, frontier, used = {cell}, [cell], []
        while frontier:
            current = frontier.pop()
            for rel in rels:
                members = [*rel[0], rel[1]]
                if current in members and rel not in used:
                    used.append(rel)
                    for member in members:
                        if member not in component and hidden(cells[member]):
                            component.add(member)
                            frontier.append(member)
        members = {m for rel in used for m in (*rel[0], rel[1])}
        bounds = {m: list(reader_bounds(cells[m], threshold, cap)) for m in members}
        true_value = truth.get(cell, 0)
        low, high = bounds[cell]
        assert low <= true_value <= high
        others = [[low, true_value - 1], [true_value + 1, high]]
        if not any(b[0] <= b[1] and feasible({**bounds, cell: b}, used) for b in others):
            found.append(cell)
    return found


# ---------------------------------------------------------------------------------------------
# Counting


def test_aggregate_counts_a_small_example() -> None:
    sessions = [
        SessionFacts(
            "intake",
            date(2026, 10, 2),
            kindcheck_completed=True,
            has_minor_children=True,
            children_in_view=2,
            problem_domain_count=3,
            problem_domains=("wonen", "werk", "netwerk"),
            parenting_support_flag=True,
            safety_signal=True,
            meldcode_steps_taken=2,
        ),
        SessionFacts("intake", date(2026, 11, 30), problem_domain_count=0),
        SessionFacts("intake", date(2027, 1, 1)),
        SessionFacts(
            "followup",
            date(2026, 12, 1),
            followup_timing="late",
            safety_signal=True,
            meldcode_steps_taken=1,
            kindcheck_completed=True,
        ),
    ]
    plans = [PlanFacts(True, date(2026, 12, 24)), PlanFacts(False)]
    counts = aggregate(sessions, plans, "quarter", {"kindcheck": 1, "probleemscan": [1, 1]})
    assert counts.periods == {
        "2026-Q4": {
            "intakes": 2,
            "kindchecks_completed": 1,
            "clients_with_minor_children": 1,
            "children_in_view": 2,
            "parents_by_domain_count:3+": 1,
            "parents_by_domain_count:0": 1,
            "parents_of_minors_by_domain_count:3+": 1,
            "intakes_per_domain:wonen": 1,
            "intakes_per_domain:werk": 1,
            "intakes_per_domain:netwerk": 1,
            "parenting_support_flag": 1,
            "safety_signals": 2,
            "safety_signals_intake": 1,
            "safety_signals_followup": 1,
            "meldcode_steps_taken": 3,
            "followups:late": 1,
            "followups:overdue": 1,
        },
        "2027-Q1": {"intakes": 1},
    }
    assert counts.questionnaires == {"kindcheck": (1,), "probleemscan": (1,)}
    monthly = aggregate(sessions, plans, "month")
    assert sorted(monthly.periods) == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert monthly.total() == counts.total()


@FAST
@given(
    sessions_strategy(), st.lists(plan_facts(), max_size=10), st.sampled_from(["month", "quarter"])
)
def test_aggregate_matches_reference(
    sessions: list[SessionFacts], plans: list[PlanFacts], period: str
) -> None:
    counts = aggregate(iter(sessions), iter(plans), period)  # type: ignore[arg-type]
    expected = reference(sessions, plans, period)
    got = {(p, k): v for p, cells in counts.periods.items() for k, v in cells.items()}
    got.update({("total", k): v for k, v in counts.total().items()})
    expected = {c: v for c, v in expected.items() if not c[1].endswith(":total")}
    assert got == expected


@pytest.mark.parametrize(
    ("facts", "fragment"),
    [
        (SessionFacts("visit", date(2026, 1, 1)), "kind"),  # type: ignore[arg-type]
        (SessionFacts("intake", date(2026, 1, 1), children_in_view=-1), "children_in_view"),
        (
            SessionFacts(
                "intake", date(2026, 1, 1), problem_domain_count=2, problem_domains=("wonen",)
            ),
            "problem_domain_count",
        ),
        (SessionFacts("intake", date(2026, 1, 1), problem_domains=("wonen",)), "without"),
        (
            SessionFacts(
                "intake",
                date(2026, 1, 1),
                problem_domain_count=1,
                problem_domains=("=cmd|' /C calc'!A0",),
            ),
            "domain ids",
        ),
        (SessionFacts("intake", date(2026, 1, 1), followup_timing="late"), "follow-up sessions"),
        (SessionFacts("intake", date(2026, 1, 1), safety_signal=1), "true or false"),  # type: ignore[arg-type]
    ],
)
def test_aggregate_refuses_impossible_facts(facts: SessionFacts, fragment: str) -> None:
    with pytest.raises(ExportError, match=fragment) as caught:
        aggregate([SessionFacts("intake", date(2026, 1, 1)), facts])
    assert "#1" in str(caught.value)
    assert "2026" not in str(caught.value)  # messages name the position, never the data


def test_overdue_plan_needs_its_date_and_period_must_be_fixed() -> None:
    with pytest.raises(ExportError, match="due_on"):
        aggregate([], [PlanFacts(True)])
    with pytest.raises(ExportError, match="month"):
        aggregate([], [], "week")  # type: ignore[arg-type]


def test_scan_domains_follow_the_shipped_questionnaire() -> None:
    assert tuple(d.id for d in load_shipped("probleemscan").domains) == SCAN_DOMAINS


def test_counts_round_trip_and_add() -> None:
    a = aggregate([SessionFacts("intake", date(2026, 1, 2))], questionnaires={"kindcheck": 1})
    b = aggregate([SessionFacts("intake", date(2026, 5, 2))], questionnaires={"kindcheck": 2})
    assert Counts.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    both = add(a, b)
    assert both.periods == {"2026-Q1": {"intakes": 1}, "2026-Q2": {"intakes": 1}}
    assert both.questionnaires == {"kindcheck": (1, 2)}
    with pytest.raises(ExportError, match="schema"):
        add(a, replace(b, schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(ExportError, match="--period"):
        add(a, aggregate([], period="month"))
    for bad in (
        {"schema_version": 1, "period_type": "quarter", "periods": {"2026-Q1": {"names": 1}}},
        {"schema_version": 1, "period_type": "quarter", "periods": {"2026-03-04": {}}},
        {"schema_version": 1, "period_type": "quarter", "periods": {"2026-Q1": {"intakes": -1}}},
        {"schema_version": 2, "period_type": "quarter", "periods": {}},
    ):
        with pytest.raises(ExportError):
            Counts.from_dict(bad)


# ---------------------------------------------------------------------------------------------
# Suppression


@FAST
@given(
    sessions_strategy(),
    st.lists(plan_facts(), max_size=8),
    st.sampled_from([3, 4, 5, 7, 10]),
    st.booleans(),
    st.sampled_from(["month", "quarter"]),
)
def test_no_small_count_is_shown_and_shown_counts_are_true(
    sessions: list[SessionFacts],
    plans: list[PlanFacts],
    threshold: int,
    rounding: bool,
    period: str,
) -> None:
    doc = to_json(
        suppress(
            aggregate(sessions, plans, period),  # type: ignore[arg-type]
            threshold,
            rounding,
        )
    )
    truth = reference(sessions, plans, period)
    for cell, value in shown_cells(doc).items():
        true_value = truth.get(cell, 0)
        if value == f"<{threshold}":
            assert 1 <= true_value < threshold
        elif value == "x":
            assert true_value >= 1  # hidden cells are never zeros
        else:
            assert isinstance(value, int)
            assert not 1 <= value < threshold, cell
            if rounding:
                assert value % 5 == 0 and abs(value - true_value) <= 5
                assert (value == 0) == (true_value == 0)
            else:
                assert value == true_value


@FAST
@given(
    sessions_strategy(),
    st.lists(plan_facts(), max_size=8),
    st.sampled_from([3, 5, 10]),
    st.sampled_from(["month", "quarter"]),
)
def test_no_relation_has_exactly_one_hidden_cell(
    sessions: list[SessionFacts], plans: list[PlanFacts], threshold: int, period: str
) -> None:
    doc = to_json(
        suppress(
            aggregate(sessions, plans, period),  # type: ignore[arg-type]
            threshold,
        )
    )
    cells = shown_cells(doc)
    for parts, total in relations(doc):
        hidden_members = [c for c in (*parts, total) if hidden(cells[c])]
        assert len(hidden_members) != 1, (parts, total, hidden_members)


@EXHAUSTIVE
@given(
    sessions_strategy(max_size=45, domains=FEW_DOMAINS),
    st.lists(plan_facts(), max_size=6),
    st.sampled_from([3, 4, 5]),
    st.sampled_from(["month", "quarter"]),
)
def test_no_hidden_cell_can_be_worked_out_exhaustive(
    sessions: list[SessionFacts], plans: list[PlanFacts], threshold: int, period: str
) -> None:
    doc = to_json(
        suppress(
            aggregate(sessions, plans, period),  # type: ignore[arg-type]
            threshold,
        )
    )
    assert recoverable_cells(doc, reference(sessions, plans, period)) == []


def test_flag_at_another_stacking_threshold_is_its_own_column() -> None:
    # A questionnaire raising the flag at 4+ breaks flag == 3+: the flag is then protected as
    # a column of its own, and nothing small is shown.
    sessions = [
        SessionFacts(
            "intake",
            date(2026, 1 + i % 6, 1),
            problem_domain_count=3 + i % 2,
            problem_domains=FEW_DOMAINS[: 3 + i % 2],
            parenting_support_flag=i % 2 == 1,
        )
        for i in range(13)
    ]
    doc = to_json(suppress(aggregate(sessions, period="month")))
    cells = shown_cells(doc)
    assert not [v for v in cells.values() if isinstance(v, int) and 1 <= v < 5]
    flags = [cells[(row["period"], "parenting_support_flag")] for row in doc["rows"]]
    assert sum(hidden(v) for v in flags) != 1


def cells_table(rows: list[str], values: dict[Cell, int]) -> dict[str, Any]:
    """Export a hand-made Counts and return its JSON."""
    periods: dict[str, dict[str, int]] = {}
    for (row, key), value in values.items():
        if value:
            periods.setdefault(row, {})[key] = value
    return to_json(suppress(Counts("quarter", periods)))


def test_two_ones_behind_a_sum_of_two_are_protected() -> None:
    # Bands 0 and 1 are both 1: hiding just those two would still give 1 + 1 = 2 away.
    doc = cells_table(
        ["2026-Q1"],
        {
            ("2026-Q1", "parents_by_domain_count:0"): 1,
            ("2026-Q1", "parents_by_domain_count:1"): 1,
            ("2026-Q1", "parents_by_domain_count:2"): 7,
            ("2026-Q1", "intakes"): 9,
        },
    )
    bands = doc["rows"][0]["parents_by_domain_count"]
    assert bands["0"] == bands["1"] == "<5"
    assert "x" in (bands["2"], bands["total"])
    truth = {
        ("2026-Q1", "parents_by_domain_count:0"): 1,
        ("2026-Q1", "parents_by_domain_count:1"): 1,
        ("2026-Q1", "parents_by_domain_count:2"): 7,
        ("2026-Q1", "parents_by_domain_count:total"): 9,
        ("2026-Q1", "intakes"): 9,
    }
    truth.update({("total", k): v for (_, k), v in list(truth.items())})
    assert recoverable_cells(doc, truth) == []


def test_one_beside_a_five_is_protected() -> None:
    # Were "x" to mean ">= 5", a 1 hidden beside a 5 would show: 6 - 5. It means ">= 1".
    values = {
        ("2026-Q1", "parents_by_domain_count:0"): 1,
        ("2026-Q1", "parents_by_domain_count:1"): 5,
        ("2026-Q1", "parents_by_domain_count:2"): 9,
    }
    doc = cells_table(["2026-Q1"], values)
    truth = dict(values)
    truth[("2026-Q1", "parents_by_domain_count:total")] = 15
    truth.update({("total", k): v for (_, k), v in list(truth.items())})
    assert recoverable_cells(doc, truth) == []
    assert sum(hidden(v) for v in doc["rows"][0]["parents_by_domain_count"].values()) >= 2


def test_small_periods_behind_a_small_total_are_protected() -> None:
    # Four months of 1 each and a total of 4: as four "<5" and a "<5" total, 1+1+1+1 = 4..4
    # would give every month away; one of them must say less.
    sessions = [
        SessionFacts("followup", date(2026, m, 3), followup_timing="late") for m in range(1, 5)
    ]
    doc = to_json(suppress(aggregate(sessions, period="month")))
    assert [row["followups"]["late"] for row in doc["rows"]].count("x") >= 1
    assert recoverable_cells(doc, reference(sessions, [], "month")) == []


def test_a_single_small_period_is_hidden_in_the_total_too() -> None:
    doc = to_json(suppress(aggregate([SessionFacts("intake", date(2026, 2, 1))])))
    assert doc["rows"][0]["intakes"] == doc["rows"][1]["intakes"] == "<5"
    assert doc["rows"][0]["kindcheck_completed_share"] == "x"


def test_share_is_computed_from_shown_counts() -> None:
    sessions = [
        SessionFacts("intake", date(2026, 1, 1), kindcheck_completed=i < 6) for i in range(8)
    ]
    row = to_json(suppress(aggregate(sessions)))["rows"][0]
    assert row["kindcheck_completed_share"] == 0.75
    rounded = to_json(suppress(aggregate(sessions), rounding=True))["rows"][0]
    assert (rounded["intakes"], rounded["kindchecks_completed"]) == (10, 5)
    assert rounded["kindcheck_completed_share"] == 0.5  # from 5/10, so the 6/8 does not leak
    empty = to_json(
        suppress(
            aggregate([SessionFacts("followup", date(2026, 1, 1), followup_timing="on_time")] * 6)
        )
    )
    assert empty["rows"][0]["kindcheck_completed_share"] is None


@pytest.mark.parametrize("threshold", [0, 1, 2, -5])
def test_threshold_below_three_is_refused(threshold: int) -> None:
    with pytest.raises(ExportError, match="3 or more"):
        suppress(aggregate([]), threshold)


def test_empty_export_is_valid() -> None:
    import jsonschema

    doc = to_json(suppress(aggregate([])))
    jsonschema.validate(doc, schema())
    assert [row["period"] for row in doc["rows"]] == ["total"]


# ---------------------------------------------------------------------------------------------
# Files


@FAST
@given(sessions_strategy(max_size=30), st.booleans(), st.sampled_from(["month", "quarter"]))
def test_json_validates_against_the_schema(
    sessions: list[SessionFacts], rounding: bool, period: str
) -> None:
    import jsonschema  # a test dependency (pyproject [test])

    doc = to_json(
        suppress(
            aggregate(sessions, period=period),  # type: ignore[arg-type]
            rounding=rounding,
        )
    )
    jsonschema.validate(doc, schema())
    assert doc["tool_version"] == kindcheck.__version__
    assert {k for row in doc["rows"] for k in row} == {"period", *MEASURES}
    # The schema is an allowlist: one more measure or a stray field is refused.
    broken = json.loads(json.dumps(doc))
    broken["rows"][-1]["client_name"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())
    broken = json.loads(json.dumps(doc))
    broken["rows"][-1]["period"] = "2026-03-15"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())


DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[-/]\d{1,2}[-/]\d{2,4}")


@FAST
@given(
    sessions_strategy(max_size=40),
    st.lists(plan_facts(), max_size=5),
    st.sampled_from(["month", "quarter"]),
)
def test_canary_no_date_finer_than_the_period(
    sessions: list[SessionFacts], plans: list[PlanFacts], period: str
) -> None:
    table = suppress(aggregate(sessions, plans, period))  # type: ignore[arg-type]
    text = to_csv(table) + json.dumps(to_json(table))
    assert not DATE.search(text)
    for s in sessions:
        assert s.held_on.isoformat() not in text
    labels = set(re.findall(r"\d{4}-(?:Q\d|\d{2})", text))
    assert labels <= {label(s.held_on, period) for s in sessions} | {
        label(p.due_on, period) for p in plans if p.due_on
    }


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@FAST
@given(sessions_strategy(max_size=40), st.booleans())
def test_csv_cells_never_start_a_formula(sessions: list[SessionFacts], rounding: bool) -> None:
    text = to_csv(suppress(aggregate(sessions), rounding=rounding))
    cells = csv_cells(text)
    assert cells
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    assert "# nl: " in text and "# en: " in text and "may not add up" in text


def test_csv_neutralises_hostile_labels_and_values() -> None:
    hostile = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=y", '=HYPERLINK("http://a")']
    rows = (*hostile, "total")
    keys = tuple(hostile)
    table = Table(
        "quarter",
        5,
        False,
        {"kindcheck": (1,)},
        rows,
        keys,
        {(r, k): h for r in rows for k, h in zip(keys, hostile, strict=True)},
    )
    cells = csv_cells(to_csv(table))
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    for h in hostile:
        assert "'" + h in cells  # kept readable, just not runnable


def test_csv_layout() -> None:
    sessions = [SessionFacts("intake", date(2026, 4, 1), kindcheck_completed=True)] * 6
    text = to_csv(suppress(aggregate(sessions, questionnaires={"kindcheck": 1}), rounding=True))
    rows = list(csv.reader(io.StringIO(text)))
    header = rows.index(["period", "measure", "category", "value"])
    assert all(row[0].startswith("#") for row in rows[:header])
    assert "# questionnaires: kindcheck v1" in text and "# rounding: nearest 5" in text
    assert ["2026-Q2", "intakes", "", "5"] in rows
    assert ["total", "parents_by_domain_count", "3+", "0"] in rows


# ---------------------------------------------------------------------------------------------
# Team files


@pytest.fixture(scope="module")
def team_key() -> tuple[bytes, bytes]:
    return make_team_keypair()


def some_counts(month: int = 1, n: int = 3) -> Counts:
    return aggregate(
        [SessionFacts("intake", date(2026, month, 1), safety_signal=True)] * n,
        questionnaires={"kindcheck": 1},
    )


@settings(max_examples=25, deadline=None)
@given(
    sessions_strategy(max_size=50),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
    st.sampled_from(["month", "quarter"]),
)
def test_merging_team_files_equals_one_export_over_all_sessions(
    team_key: tuple[bytes, bytes],
    sessions: list[SessionFacts],
    laptops: int,
    rng: random.Random,
    period: str,
) -> None:
    private, public = team_key
    shares: list[list[SessionFacts]] = [[] for _ in range(laptops)]
    for s in sessions:
        shares[rng.randrange(laptops)].append(s)
    files = [
        (
            f"laptop{i}.team",
            seal_team_file(
                aggregate(share, period=period, questionnaires={"kindcheck": 1}),  # type: ignore[arg-type]
                public,
                f"laptop-{i}",
            ),
        )
        for i, share in enumerate(shares)
    ]
    merged = merge(files, private)
    single = aggregate(sessions, period=period, questionnaires={"kindcheck": 1})  # type: ignore[arg-type]
    assert merged == single
    assert to_csv(suppress(merged)) == to_csv(suppress(single))


def test_team_file_round_trip_and_envelope(team_key: tuple[bytes, bytes]) -> None:
    private, public = team_key
    counts = some_counts()
    data = seal_team_file(counts, public, "laptop-a")
    envelope = json.loads(data)
    assert set(envelope) == {
        "format",
        "version",
        "schema_version",
        "export_id",
        "ephemeral_public_key",
        "nonce",
        "ciphertext",
    }
    assert envelope["schema_version"] == SCHEMA_VERSION
    assert b"laptop-a" not in data and b"intakes" not in data  # counts and id are inside
    assert open_team_file(data, private) == counts
    other = seal_team_file(counts, public, "laptop-a")
    assert json.loads(other)["export_id"] != envelope["export_id"]


def test_wrong_key_is_refused(team_key: tuple[bytes, bytes]) -> None:
    _, public = team_key
    other_private, _ = make_team_keypair()
    data = seal_team_file(some_counts(), public, "laptop-a")
    with pytest.raises(ExportError, match="not made for this key"):
        open_team_file(data, other_private)
    with pytest.raises(ExportError, match=r"a\.team: this team file was not made for this key"):
        merge([("a.team", data)], other_private)


def test_changed_header_is_refused(team_key: tuple[bytes, bytes]) -> None:
    private, public = team_key
    envelope = json.loads(seal_team_file(some_counts(), public, "laptop-a"))
    envelope["export_id"] = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ExportError, match="not made for this key"):
        open_team_file(json.dumps(envelope).encode(), private)


def test_duplicates_are_refused(team_key: tuple[bytes, bytes]) -> None:
    private, public = team_key
    first = seal_team_file(some_counts(1), public, "laptop-a")
    with pytest.raises(ExportError, match=r"b\.team: is the same team file as a\.team"):
        merge([("a.team", first), ("b.team", first)], private)
    again = seal_team_file(some_counts(2), public, "laptop-a")  # same laptop, same 2026-Q1
    with pytest.raises(ExportError, match=r"b\.team: comes from the same laptop as a\.team"):
        merge([("a.team", first), ("b.team", again)], private)
    later = seal_team_file(some_counts(5), public, "laptop-a")  # same laptop, other quarter
    other = seal_team_file(some_counts(1), public, "laptop-b")
    merged = merge([("a.team", first), ("c.team", later), ("d.team", other)], private)
    assert merged.total()["intakes"] == 9


def test_mismatched_schema_and_period_type_are_refused(team_key: tuple[bytes, bytes]) -> None:
    private, public = team_key
    good = seal_team_file(some_counts(), public, "laptop-a")
    newer = seal_team_file(
        replace(some_counts(), schema_version=SCHEMA_VERSION + 1), public, "laptop-b"
    )
    with pytest.raises(ExportError, match=r"new\.team: made with export schema 2"):
        merge([("a.team", good), ("new.team", newer)], private)
    monthly = seal_team_file(
        aggregate([SessionFacts("intake", date(2026, 1, 1))], period="month"), public, "laptop-c"
    )
    with pytest.raises(ExportError, match=r"m\.team: counts per month, but a\.team per quarter"):
        merge([("a.team", good), ("m.team", monthly)], private)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"",
        lambda d: b"not json",
        lambda d: d[: len(d) // 2],
        lambda d: json.dumps({**json.loads(d), "format": "other"}).encode(),
        lambda d: json.dumps({**json.loads(d), "version": 9}).encode(),
        lambda d: json.dumps({**json.loads(d), "nonce": "***"}).encode(),
        lambda d: json.dumps({**json.loads(d), "ephemeral_public_key": "AAAA"}).encode(),
        lambda d: json.dumps(
            {**json.loads(d), "ciphertext": "AAAA" + json.loads(d)["ciphertext"]}
        ).encode(),
        lambda d: json.dumps({k: v for k, v in json.loads(d).items() if k != "nonce"}).encode(),
        lambda d: json.dumps([1, 2]).encode(),
    ],
)
def test_malformed_team_files_are_refused_by_name(
    team_key: tuple[bytes, bytes], damage: Any
) -> None:
    private, public = team_key
    good = seal_team_file(some_counts(), public, "laptop-a")
    with pytest.raises(ExportError, match=r"^broken\.team: "):
        merge([("a.team", good), ("broken.team", damage(good))], private)


def test_merge_of_nothing_and_bad_keys_are_refused(team_key: tuple[bytes, bytes]) -> None:
    private, public = team_key
    with pytest.raises(ExportError, match="no team files"):
        merge([], private)
    with pytest.raises(ExportError, match="public key"):
        seal_team_file(some_counts(), b"not a key", "laptop-a")
    with pytest.raises(ExportError, match="public key"):
        seal_team_file(some_counts(), private, "laptop-a")
    with pytest.raises(ExportError, match="laptop id"):
        seal_team_file(some_counts(), public, "")
    with pytest.raises(ExportError):
        open_team_file(seal_team_file(some_counts(), public, "a"), public)


def test_team_key_with_passphrase() -> None:
    private, public = make_team_keypair(passphrase="correct horse battery")
    assert b"ENCRYPTED" in private
    data = seal_team_file(some_counts(), public, "laptop-a")
    with pytest.raises(ExportError, match="passphrase"):
        open_team_file(data, private)
    with pytest.raises(ExportError, match="wrong passphrase"):
        open_team_file(data, private, passphrase="wrong")
    assert open_team_file(data, private, passphrase="correct horse battery") == some_counts()


def test_export_error_is_a_kindcheck_error() -> None:
    assert issubclass(ExportError, KindcheckError)
