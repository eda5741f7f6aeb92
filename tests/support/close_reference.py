"""The month close as d298649 did it, kept as the reference the faster close is held to.

tests/core/test_month_close_equivalence.py checks that the close that ``kindcheck export`` runs
(kindcheck.service.reports.count_vault, kindcheck.export.audit.disclosed_cells) releases
byte for byte what this code releases. Copied from d298649 and changed only where it must be
to live here (names, imports): the counting made a SessionFacts of every session (client_facts)
and counted them with aggregate; the audit solved every integer program with scipy's milp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from kindcheck.dates import AMSTERDAM
from kindcheck.errors import ExportError, RecordDamaged
from kindcheck.export import Counts, PeriodType, PlanFacts, SessionFacts
from kindcheck.export.audit import _BIG, Cell, Model, Shown, _Target, marker_range
from kindcheck.export.counts import _DUE_KEY, _FOLLOWUP_KEY, _questionnaire_versions, period_label
from kindcheck.export.facts import (
    _BANDS_KEY,
    _DOMAIN_KEY,
    _PARENT_BANDS_KEY,
    PERIOD_TYPES,
    SETTINGS,
    SPLIT_MEASURES,
    _check_session,
    split_key,
)
from kindcheck.followup import FollowUpPlan
from kindcheck.service.facts import _damaged, _fields
from kindcheck.service.reports import due_facts, read_clients
from kindcheck.store import Store, StoredFacts


def _timing(
    first_day: Callable[[FollowUpPlan, date], date | None],
    plan: FollowUpPlan | None,
    held_on: date,
    previous_held: date | None,
    window_days: int,
) -> Literal["on_time", "late"]:
    """d298649's follow-up timing (kept here: the close's own is faster)."""
    if plan is None:
        return "on_time"
    since = (previous_held + timedelta(days=window_days + 1)) if previous_held else plan.start
    first = first_day(plan, since)
    missed = first is not None and (held_on - first).days > window_days
    return "late" if missed else "on_time"


def _recorded_on(saved_at: datetime) -> date:
    """d298649's recording day (kept here: the close's own keeps each hour's day)."""
    if saved_at.tzinfo is None:
        saved_at = saved_at.replace(tzinfo=UTC)
    return saved_at.astimezone(AMSTERDAM).date()


_SPLIT = {setting: {key: split_key(setting, key) for key in SPLIT_MEASURES} for setting in SETTINGS}


def count_vault(store: Store, period: PeriodType, today: date, damaged: list[str]) -> Counts:
    """d298649's count_vault (without progress): facts per client, then aggregate."""
    from kindcheck.service.caseload import DUE_WINDOW_DAYS

    with store.reading():
        versions: dict[str, set[int]] = {}
        readable = store.readable_clients(damaged)
        plans: list[PlanFacts] = []

        def facts() -> Iterator[SessionFacts]:
            for client in read_clients(store, damaged):
                held: list[date] = []
                plan = client.plan.plan if client.plan is not None else None
                in_force = (
                    client.plan.in_force
                    if client.plan is not None and client.plan.history
                    else None
                )
                for fact in client_facts(
                    client.records, plan, DUE_WINDOW_DAYS, damaged, versions, in_force
                ):
                    if fact.kind == "followup":
                        held.append(fact.held_on)
                    yield fact
                if client.plan is not None and client.client_id in readable:
                    plans.append(due_facts(client.plan, held, today, DUE_WINDOW_DAYS))

        return aggregate(facts(), plans, period=period, questionnaires=versions)


def client_facts(
    records: Iterable[StoredFacts],
    plan: FollowUpPlan | None,
    window_days: int,
    damaged: list[str] | None = None,
    versions: dict[str, set[int]] | None = None,
    plan_in_force: Callable[[date, datetime], FollowUpPlan] | None = None,
) -> list[SessionFacts]:
    """One client's sessions (their facts records) as the export counts them, in the order
    they were held; a follow-up's timing from the client's plan and the conversation before
    it (the due window: ``window_days``); the questionnaire versions they used added to
    ``versions``. A record that is not one raises RecordDamaged; with ``damaged``, it is named
    there and left out. ``plan_in_force(day, recorded)``: the version of the plan in force
    when a follow-up was held (a later change of plan then changes no earlier judgement);
    without it, every follow-up is judged against ``plan``."""
    from kindcheck.export import SessionFacts
    from kindcheck.followup import first_day_on_or_after  # once per client, not per session
    from kindcheck.store import DamagedNote

    counted: list[SessionFacts] = []
    previous: date | None = None
    for record in sorted(records, key=lambda r: (r.session_date, r.saved_at)):
        try:
            fields = _fields(record)
            if versions is not None:
                for questionnaire_id, version in fields[10]:
                    found = versions.get(questionnaire_id)
                    if found is None or version not in found:  # a few pairs, seen again and again
                        versions.setdefault(str(questionnaire_id), set()).add(int(version))
        except (RecordDamaged, TypeError, ValueError):
            error = _damaged(record)
            if damaged is None:
                raise error from None
            damaged.append(DamagedNote.of(error, record.client_id))
            continue
        (_, kind, completed, minor, children, domains, flag, signal, scan, scp, _, setting) = fields
        held_on = record.session_date
        scanned = domains is not None
        facts = SessionFacts(
            kind=kind,
            held_on=held_on,
            kindcheck_completed=completed,
            has_minor_children=minor,
            children_in_view=children,
            problem_domain_count=len(domains) if scanned else None,
            problem_domains=tuple(domains) if scanned else (),
            parenting_support_flag=flag,
            safety_signal=signal,
            meldcode_steps_taken=record.meldcode_steps,
            followup_timing=(
                _timing(
                    first_day_on_or_after,
                    plan
                    if plan_in_force is None or plan is None
                    else plan_in_force(held_on, record.saved_at),
                    held_on,
                    previous,
                    window_days,
                )
                if kind == "followup"
                else None
            ),
            scan_version=scan if scanned else None,
            scp_area_count=scp if scanned else None,
            recorded_on=_recorded_on(record.saved_at),
            setting=setting,
        )
        counted.append(facts)
        previous = held_on
    return counted


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
        cells = cells_for(facts.period_day)
        get = cells.get
        if facts.kind == "intake":
            split = _SPLIT.get(facts.setting)  # type: ignore[arg-type]
            if split is not None:
                _count_split(cells, split, facts)
            cells["intakes"] = get("intakes", 0) + 1
            if facts.kindcheck_completed:
                cells["kindchecks_completed"] = get("kindchecks_completed", 0) + 1
            if facts.has_minor_children:
                cells["clients_with_minor_children"] = get("clients_with_minor_children", 0) + 1
            if facts.children_in_view:
                cells["children_in_view"] = get("children_in_view", 0) + facts.children_in_view
            count = facts.problem_domain_count
            if count is not None:
                band = "3+" if count >= 3 else str(count)
                key = f"{_BANDS_KEY}:{band}"
                cells[key] = get(key, 0) + 1
                if facts.has_minor_children:
                    key = f"{_PARENT_BANDS_KEY}:{band}"
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
            key = "safety_signals_intake" if facts.kind == "intake" else "safety_signals_followup"
            cells[key] = get(key, 0) + 1
        if facts.meldcode_steps_taken:
            cells["meldcode_steps_taken"] = (
                get("meldcode_steps_taken", 0) + facts.meldcode_steps_taken
            )

    for index, plan in enumerate(plans):
        if not isinstance(plan, PlanFacts) or not isinstance(plan.overdue, bool):
            raise ExportError(f"plan facts #{index}: not a PlanFacts record")
        for days, cell in ((plan.due_held, "held_in_window"), (plan.due_not_held, "not_held")):
            if not isinstance(days, tuple) or not all(isinstance(d, date) for d in days):
                raise ExportError(f"plan facts #{index}: the due days must be dates")
            key = f"{_DUE_KEY}:{cell}"
            for day in days:
                cells = cells_for(day)
                cells[key] = cells.get(key, 0) + 1
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


def _count_split(cells: dict[str, int], keys: Mapping[str, str], facts: SessionFacts) -> None:
    """An intake's cells in its setting (the split by setting, facts.SPLIT_MEASURES)."""
    get = cells.get
    chosen = ["intakes"]
    if facts.kindcheck_completed:
        chosen.append("kindchecks_completed")
    if facts.has_minor_children:
        chosen.append("clients_with_minor_children")
    for name in chosen:
        key = keys[name]
        cells[key] = get(key, 0) + 1


def disclosed_cells(
    model: Model,
    rows: Mapping[str, Sequence[str]],
    shown: Mapping[Cell, Shown],
    truth: Mapping[Cell, int],
    thresholds: Mapping[str, int],
    stop_after: int | None = None,
    max_rounds: int = 6,
    row_sources: Mapping[str, Sequence[str]] | None = None,
) -> list[Cell]:
    """The hidden cells of ``shown`` a reader can narrow to fewer values than promised.

    ``rows``: row label -> its months; ``truth``: the true value of every hidden cell;
    ``thresholds``: row label -> the threshold it was released with; ``row_sources``: row
    label -> the sources it adds up (default: all). ``stop_after``: stop once that many are
    found (the repair fixes a few at a time)."""
    import numpy as np
    from scipy.optimize import (  # type: ignore[import-untyped]
        Bounds,
        LinearConstraint,
        milp,
    )
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

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
    size = len(model.index)
    data: list[int] = []
    cols: list[int] = []
    rows_of: list[int] = []
    lower = np.empty(len(constraints))
    upper = np.empty(len(constraints))
    for r, (coefs, low, high) in enumerate(constraints):
        for variable, coef in coefs.items():
            rows_of.append(r)
            cols.append(variable)
            data.append(coef)
        lower[r], upper[r] = low, high
    matrix = csr_matrix((data, (rows_of, cols)), shape=(len(constraints), size))
    linear = LinearConstraint(matrix, lower, upper)
    bounds = Bounds(np.zeros(size), np.full(size, _BIG))
    integrality = np.ones(size)
    t_rows, t_cols, t_data = [], [], []
    for t, target in enumerate(targets):
        for variable, coef in target.expr:
            t_rows.append(t)
            t_cols.append(variable)
            t_data.append(coef)
    evaluate = csr_matrix((t_data, (t_rows, t_cols)), shape=(len(targets), size))
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": 0.0, "time_limit": 60.0}

    def run(objective: Any) -> Any:
        result = milp(
            objective, integrality=integrality, bounds=bounds, constraints=linear, options=options
        )
        if result.x is None:
            raise RuntimeError(f"the release audit found no consistent table ({result.message})")
        point = np.rint(result.x)
        values = np.rint(evaluate @ point).astype(int)
        for target, value in zip(targets, values, strict=True):
            target.seen_lo = min(target.seen_lo, int(value))
            target.seen_hi = max(target.seen_hi, int(value))
        return point

    def value_of(target: _Target, point: Any) -> int:
        return round(float(sum(point[v] * c for v, c in target.expr)))

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
            run(sign * (evaluate.T @ weights))
        if before == [(targets[t].seen_lo, targets[t].seen_hi) for t in open_targets]:
            break
    found: list[Cell] = []
    for target in targets:
        if target.wide:
            continue
        vector = np.zeros(size)
        for variable, coef in target.expr:
            vector[variable] = -coef
        target.hi = value_of(target, run(vector))
        if target.wide:
            continue
        target.lo = value_of(target, run(-vector))
        if target.narrow:
            found.append(target.cell)
            if stop_after is not None and len(found) >= stop_after:
                break
    return found
