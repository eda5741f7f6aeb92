"""The month close's counting: every client's facts records beside its plan
(:func:`read_clients`), a plan's due days (:func:`due_facts`), and all of them counted per
period in one pass (:func:`count_clients`, called by
:func:`kindcheck.service.reports.count_vault`).

It gives what :func:`kindcheck.export.aggregate` gives for the facts that
:func:`kindcheck.service.facts.client_facts` makes of each client's records, but counts
straight from the records' fields (a report reads one per session; making and checking an
object of each was a third of the close). tests/core/test_month_close_equivalence.py holds it
to the close of d298649 (tests/support/close_reference.py), byte for byte.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Final

from kindcheck.errors import RecordDamaged

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from kindcheck.export import Counts, PeriodType, PlanFacts
    from kindcheck.followup import FollowUpPlan
    from kindcheck.followup.rules import Cadence
    from kindcheck.store import PlainPlan, Store, StoredFacts

    from .plans import ClientPlan

__all__ = [
    "ClientFacts",
    "DueDays",
    "count_clients",
    "due_day_numbers",
    "due_facts",
    "read_clients",
]


@dataclass
class ClientFacts:
    """One client's part of the export: its sessions' facts records, and its plan."""

    client_id: str
    records: list[StoredFacts]
    plan: ClientPlan | None

    @property
    def last_held(self) -> date | None:
        return max((record.session_date for record in self.records), default=None)


def read_clients(
    store: Store,
    damaged: list[str],
    tick: Callable[[], None] | None = None,
) -> Iterator[ClientFacts]:
    """Every client with sessions or a plan, in one pass over the facts records and one over
    the plans (both by client id, side by side): only the current client is in memory. Read
    inside ``store.reading()`` (one transaction), to the end. ``tick`` after each record read."""
    plans = store.iter_plans(damaged)
    records = store.iter_facts(damaged)
    with contextlib.closing(plans), contextlib.closing(records):
        next_plan = next(plans, None)
        # A client's records come one after the other: grouped in C, not record by record
        # here (a report reads one per session). The reads, ticks and plans keep their order:
        # a client is yielded once the first record of the next one is read, and its plan is
        # made before its records are read, as when this went record by record.
        read = records if tick is None else _ticking(records, tick)
        for client_id, client_records in groupby(read, _CLIENT_ID):
            while next_plan is not None and next_plan.client_id < client_id:
                yield ClientFacts(next_plan.client_id, [], _plan(next_plan, damaged))
                next_plan = next(plans, None)
            plan = None
            if next_plan is not None and next_plan.client_id == client_id:
                plan = _plan(next_plan, damaged)
                next_plan = next(plans, None)
            yield ClientFacts(client_id, list(client_records), plan)
        while next_plan is not None:
            yield ClientFacts(next_plan.client_id, [], _plan(next_plan, damaged))
            next_plan = next(plans, None)


_CLIENT_ID: Final = attrgetter("client_id")


def _ticking(records: Iterator[StoredFacts], tick: Callable[[], None]) -> Iterator[StoredFacts]:
    for record in records:
        tick()
        yield record


def _plan(stored: PlainPlan, damaged: list[str]) -> ClientPlan | None:
    try:
        return _plan_reader()(stored)
    except RecordDamaged as error:
        from kindcheck.store import DamagedNote

        damaged.append(DamagedNote.of(error, stored.client_id))
        return None


@cache
def _plan_reader() -> Callable[[PlainPlan], ClientPlan]:
    # imported once (a close reads every plan), when first needed
    from .plans import to_client_plan

    return to_client_plan


def due_facts(
    plan: ClientPlan, followups_held: list[date], today: date, window_days: int
) -> PlanFacts:
    """The plan's planned conversations whose due window has passed by ``today``, each judged
    against the version of the plan in force on its day, split by whether a follow-up was held
    within ``window_days`` of it (before or after). Later changes of the plan change none of
    them, and once a month has closed none of its days can change (their windows have passed).
    """
    from bisect import bisect_left, bisect_right
    from datetime import timedelta

    from kindcheck.export import PlanFacts
    from kindcheck.followup import occurrence_days

    last_final = today - timedelta(days=window_days + 1)  # the window of this day has passed
    if not plan.history:  # one version: its days, in order, each once
        days = occurrence_days(plan.plan, plan.plan.start, last_final)
    else:
        days = _days_of_versions(plan, last_final)
    # A day is met when a follow-up was held within the window either side of it: the days
    # within the window of each follow-up held, found by bisection (a plan has dozens of
    # days and a client a few follow-ups; a report does this for every plan).
    window = timedelta(days=window_days)
    met: list[date] = []
    missed: list[date] = []
    done = 0  # days[:done] are sorted into met or missed
    for held in sorted(followups_held):
        low = max(bisect_left(days, held - window), done)
        high = bisect_right(days, held + window)
        if low < high:
            missed += days[done:low]
            met += days[low:high]
            done = high
    missed += days[done:]
    return PlanFacts(due_held=tuple(met), due_not_held=tuple(missed))


def _versions_in_force(
    plan: ClientPlan, last_final: date
) -> Iterator[tuple[FollowUpPlan, date, date]]:
    """Each version of the plan with the first and last day it was in force, up to
    ``last_final`` (a version from its start or the day it was saved, whichever is later, to
    the day before the next one was saved)."""
    for version, first, until in plan.days_in_force:
        yield version, first, last_final if until is None else min(last_final, until)


def _days_of_versions(plan: ClientPlan, last_final: date) -> list[date]:
    """The planned days of every version of the plan, each on the days it was in force, up
    to ``last_final``, in order."""
    from kindcheck.followup import occurrence_days

    days: list[date] = []
    in_order = True  # each version's days come after the last day of the versions before
    for version, first, last in _versions_in_force(plan, last_final):
        found = occurrence_days(version, first, last)  # in order, each once
        if found:
            in_order = in_order and (not days or days[-1] < found[0])
            days += found
    # A version saved before the one it follows (a clock put back) can overlap it: then
    # every day once, in order.
    return days if in_order else sorted(set(days))


_CLIENT_BAND = 1 << 23  # above every day number (date.max is day 3,652,059) and a window
_EPOCH = date(1970, 1, 1).toordinal()  # numpy's day 0
_DUE_KEYS = ("followups_due:held_in_window", "followups_due:not_held")


def due_day_numbers(plan: ClientPlan, last_final: date) -> NDArray[np.int64]:
    """The day numbers (:meth:`date.toordinal`) of :func:`due_facts`' days (held or not) up
    to ``last_final``, in order, each once: the same days, without a date object of each (a
    close at 100,000 sessions counts a million)."""
    import numpy as np  # here: the export without a close never loads it

    if not plan.history:
        return _version_numbers(plan.plan, plan.plan.start, last_final)
    parts: list[NDArray[np.int64]] = []
    in_order = True  # each version's days come after the last day of the versions before
    for version, first, last in _versions_in_force(plan, last_final):
        found = _version_numbers(version, first, last)
        if found.size:
            in_order = in_order and (not parts or int(parts[-1][-1]) < int(found[0]))
            parts.append(found)
    if not parts:
        return np.zeros(0, dtype=np.int64)
    days = parts[0] if len(parts) == 1 else np.concatenate(parts)
    # A version saved before the one it follows (a clock put back) can overlap it.
    return days if in_order else np.unique(days)


def _version_numbers(plan: FollowUpPlan, first: date, last: date) -> NDArray[np.int64]:
    """The day numbers of ``occurrence_days(plan, first, last)``; a plain every-n-days rule
    by arithmetic."""
    import numpy as np  # here: the export without a close never loads it

    from kindcheck.followup import occurrence_days

    run = _arithmetic_run(plan, first, last)
    if run is not None:
        begin, count, step = run
        return np.arange(begin, begin + count * step, step, dtype=np.int64)
    days = occurrence_days(plan, first, last)
    return np.array([day.toordinal() for day in days], dtype=np.int64)


def _arithmetic_runs(plan: ClientPlan, last_final: date) -> list[tuple[int, int, int]] | None:
    """:func:`due_day_numbers` as arithmetic runs (:func:`_arithmetic_run`, none empty), when
    every version is a plain every-n-days rule and their days come in order; else None."""
    from kindcheck.followup.rules import cadence

    return _runs_by_day(plan, last_final.toordinal(), cadence)


def _runs_by_day(
    plan: ClientPlan, final_day: int, cadence: Callable[[str, int], Cadence | None]
) -> list[tuple[int, int, int]] | None:
    """:func:`_arithmetic_runs` up to day number ``final_day``, with the rules' cadence."""
    # _arithmetic_run of each version in force, by day number (a close adds every plan)
    runs: list[tuple[int, int, int]] = []
    after = 0  # the last day number of the runs before
    spans = plan.days_in_force if plan.history else ((plan.plan, plan.plan.start, None),)
    for version, first_day, until in spans:
        if version.changes:
            return None
        found = cadence(version.rule, version.start.day)
        if found is None or not found.days:
            return None
        step = found.days
        last = final_day if until is None else min(final_day, until.toordinal())
        end = version.final_day
        if end is not None:
            last = min(last, end.toordinal())
        start, first = version.start.toordinal(), first_day.toordinal()
        if last < first or last < start:
            continue  # no day
        begin = start + max(0, -(-(first - start) // step)) * step
        count = (last - begin) // step + 1
        if count > 0:
            if begin <= after:  # overlapping versions (a clock put back): every day once
                return None
            runs.append((begin, count, step))
            after = begin + (count - 1) * step
    return runs


def _arithmetic_run(plan: FollowUpPlan, first: date, last: date) -> tuple[int, int, int] | None:
    """The days of ``occurrence_days(plan, first, last)`` as (first day number, how many,
    days apart) for a plain every-n-days rule without changes (as cadence_dates counts them);
    None for any other plan."""
    from kindcheck.followup.rules import cadence

    if plan.changes:
        return None
    found = cadence(plan.rule, plan.start.day)
    if found is None or not found.days:
        return None
    step = found.days
    final = plan.final_day
    if final is not None and final < last:
        last = final
    start = plan.start
    if last < first or last < start:
        return 0, 0, step
    begin = start.toordinal() + max(0, -(-(first - start).days // step)) * step
    return begin, max(0, (last.toordinal() - begin) // step + 1), step


_CHUNK_DAYS = 1 << 16  # days gathered before they are counted: memory stays flat


class DueDays:
    """What ``Tally.days`` counts of every plan's :func:`due_facts` days, plan after plan
    (its days held in the window, then the others, each in order), gathered by :meth:`add`
    and counted a chunk of plans at a time; :meth:`periods` gives the same counts, the
    periods and their cells in the order that counting adds them. Each plan's day numbers
    lie in a band of their own."""

    def __init__(self, today: date, window_days: int, period: str) -> None:
        from kindcheck.followup.rules import cadence

        self.last_final = today - timedelta(days=window_days + 1)  # as due_facts
        self._final_day = self.last_final.toordinal()
        self._cadence = cadence
        self.window = window_days
        self.period = period
        self._plans = 0  # plans with days: the next plan's band (and place)
        self._first_plan = 0  # the first plan of the chunk being gathered
        self._gathered = 0  # days in the chunk
        self._days: list[NDArray[np.int64]] = []
        self._held: list[int] = []  # the follow-ups held, in the same bands
        # the days of plans whose versions are plain every-n-days rules, in order, gathered as
        # arithmetic runs (first day number in its band, how many, days apart): expanded at once
        self._runs: tuple[list[int], list[int], list[int]] = ([], [], [])
        # per cell (period number * 2 + 1 when not held), its count and its first place in
        # Tally.days' order: plan * 2 + 1 when not held (within that, periods come in order)
        self._counted: dict[int, int] = {}
        self._first: dict[int, int] = {}

    def add(self, plan: ClientPlan, followups_held: list[date]) -> None:
        band = (self._plans - self._first_plan) * _CLIENT_BAND
        runs = _runs_by_day(plan, self._final_day, self._cadence)
        if runs is not None:
            if not runs:
                return
            begins, counts, steps = self._runs
            for begin, count, step in runs:
                begins.append(band + begin)
                counts.append(count)
                steps.append(step)
                self._gathered += count
        else:
            numbers = due_day_numbers(plan, self.last_final)
            if not numbers.size:
                return
            self._days.append(numbers + band)
            self._gathered += numbers.size
        self._plans += 1
        if followups_held:
            self._held.extend(band + day.toordinal() for day in followups_held)
        if self._gathered >= _CHUNK_DAYS:
            self._count()

    def periods(self) -> dict[str, dict[str, int]]:
        """{period label: {cell key: count}} in Tally.days' order."""
        self._count()
        out: dict[str, dict[str, int]] = {}
        first = self._first
        for cell in sorted(first, key=lambda cell: (first[cell], cell)):
            label = _period_label(cell // 2, self.period)
            cells_of = out.get(label)
            if cells_of is None:
                cells_of = out[label] = {}
            cells_of[_DUE_KEYS[cell % 2]] = self._counted[cell]
        return out

    def _count(self) -> None:
        """Count the chunk gathered. A day is held in the window when a follow-up of its
        plan's client lies within the window either side."""
        import numpy as np  # here: the export without a close never loads it

        if self._plans == self._first_plan:
            return
        # each plan's days lie together, in order: the plans' order does not matter here
        days = np.concatenate([*self._days, self._expanded_runs()])
        held = np.sort(np.array([*self._held, np.iinfo(np.int64).max], dtype=np.int64))
        window = self.window
        late = held[np.searchsorted(held, days - window, side="left")] > days + window
        del held
        not_met = late.astype(np.int64)  # 1: not held in the window
        numbers = days % _CLIENT_BAND
        low, high = int(numbers.min()), int(numbers.max())
        # each day number's period, from a table of the days between the first and the last
        span = np.arange(low - _EPOCH, high - _EPOCH + 1).astype("datetime64[D]")
        table = span.astype("datetime64[M]").astype(np.int64)  # months since January 1970
        if self.period != "month":
            table //= 3
        base = int(table[0])
        cells = (table - base)[numbers - low] * 2 + not_met
        counted = np.bincount(cells)
        place = (days // _CLIENT_BAND + self._first_plan) * 2 + not_met
        first = np.full(counted.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, cells, place)
        all_counted, all_first = self._counted, self._first
        for cell, count, at in zip(
            np.flatnonzero(counted).tolist(),
            counted[counted > 0].tolist(),
            first[counted > 0].tolist(),
            strict=True,
        ):
            cell += base * 2
            all_counted[cell] = all_counted.get(cell, 0) + count
            all_first.setdefault(cell, at)  # chunks come in the plans' order
        self._first_plan = self._plans
        self._gathered = 0
        self._days, self._held = [], []
        self._runs = ([], [], [])

    def _expanded_runs(self) -> NDArray[np.int64]:
        import numpy as np  # here: the export without a close never loads it

        begins, counts, steps = (np.array(values, dtype=np.int64) for values in self._runs)
        total = int(counts.sum())
        into = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(begins, counts) + into * np.repeat(steps, counts)


def _period_label(number: int, period: str) -> str:
    """period_label of the ``number``-th month (or quarter) from January 1970."""
    if period == "month":
        return f"{1970 + number // 12:04d}-{number % 12 + 1:02d}"
    return f"{1970 + number // 4:04d}-Q{number % 4 + 1}"


def count_clients(
    store: Store,
    period: PeriodType,
    today: date,
    damaged: list[str],
    versions: dict[str, set[int]],
    readable: set[str],
    tick: Callable[[], None] | None,
) -> Counts:
    """:func:`kindcheck.export.aggregate` of every client's session facts
    (:func:`~.reports.read_clients`, made as :func:`~.facts.client_facts` makes them) and due
    days (:func:`~.reports.due_facts`), counted straight from
    the facts records' fields: a session's facts are made (and checked by aggregate's check)
    only when its fields are not plainly valid, so the counts, their order, the damaged
    records named and any error are aggregate's. Sessions are counted as they are read,
    then the plans' due days, as aggregate counts them (in the same order)."""
    from kindcheck.errors import ExportError
    from kindcheck.export import PERIOD_TYPES
    from kindcheck.export.counts import Tally, domain_cell, plain_scan
    from kindcheck.export.facts import _MAX_COUNT, _check_session

    from .caseload import DUE_WINDOW_DAYS
    from .facts import _recorded_on, client_fields, hour_of, in_one_day, session_facts_of

    if period not in PERIOD_TYPES:
        raise ExportError("the period must be 'month' or 'quarter'")
    tally = Tally(period)
    cells_for, session_cells = tally.cells_for, tally.session_cells
    # a period's cells per hour of the clocks sessions were saved by, when the hour lies in
    # one Amsterdam day (in_one_day): sessions saved in the same hour share them
    cells_of_hour: dict[object, dict[str, int]] = {}
    # The plans' due days, gathered as they come and counted apart at the end, all at once:
    # aggregate counts them after every session, so a period or cell they add comes after
    # those the sessions add. Each client's day numbers lie in a band of their own.
    due = DueDays(today, DUE_WINDOW_DAYS, period)
    index = 0  # the session's place among all counted, as aggregate numbers them
    for client in read_clients(store, damaged, tick):
        plan = client.plan.plan if client.plan is not None else None
        in_force = client.plan.in_force if client.plan is not None and client.plan.history else None
        held: list[date] = []
        for record, fields, timing in client_fields(
            client.records, plan, DUE_WINDOW_DAYS, damaged, versions, in_force
        ):
            (_, kind, completed, minor, children, domains, flag, signal, scan, scp, _, setting) = (
                fields
            )
            steps = record.meldcode_steps
            # counted from its fields when they are plainly valid (the check of
            # export.facts._plainly_valid, on the fields): exactly of their types and in range
            # (bools by identity: 1 is not True here); else made into facts and checked
            if (
                (completed is True or completed is False)
                and (minor is True or minor is False)
                and (signal is True or signal is False)
                and (flag is True or flag is False)
                and type(children) is int
                and 0 <= children <= _MAX_COUNT
                and type(steps) is int
                and 0 <= steps <= _MAX_COUNT
                and (
                    not flag
                    if domains is None
                    else (type(domains) is list and plain_scan(domains, scan, scp))
                )
            ):
                saved = record.saved_at
                hour = hour_of(saved)
                cells = cells_of_hour.get(hour)
                if cells is None:
                    cells = cells_for(_recorded_on(saved))
                    if in_one_day(saved):
                        cells_of_hour[hour] = cells
                # Tally.session, by its cells made once per combination of the facts
                before, middle, after = session_cells(
                    kind,
                    completed,
                    minor,
                    None if domains is None else len(domains),
                    flag,
                    signal,
                    timing,
                    setting,
                )
                get = cells.get
                for key in before:
                    cells[key] = get(key, 0) + 1
                if middle is not None:  # an intake
                    if children:
                        cells["children_in_view"] = get("children_in_view", 0) + children
                    for key in middle:
                        cells[key] = get(key, 0) + 1
                    if domains:
                        for domain in domains:
                            key = domain_cell(domain)
                            cells[key] = get(key, 0) + 1
                for key in after:
                    cells[key] = get(key, 0) + 1
                if steps:
                    cells["meldcode_steps_taken"] = get("meldcode_steps_taken", 0) + steps
            else:
                facts = session_facts_of(record, fields, timing)
                _check_session(facts, index)
                tally.count_facts(facts)
            index += 1
            if kind == "followup":
                held.append(record.session_date)
            if tick is not None:
                tick()  # its facts are complete
                tick()  # and counted
        if client.plan is not None and client.client_id in readable:
            due.add(client.plan, held)
    for label, cells in due.periods().items():
        counted = tally.periods.setdefault(label, {})
        for key, value in cells.items():
            counted[key] = counted.get(key, 0) + value
    return tally.counts(versions)
