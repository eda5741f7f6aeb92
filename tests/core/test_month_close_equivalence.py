"""The faster month close releases exactly what the close of d298649 released.

The month close (the first export after a month has closed) counts every session by recorded
date, freezes the closed months and releases them jointly with the exact audit. It was made
faster (counted straight from the facts records; the audit's integer programs through highspy,
a linear program first): a sceptic holds it to the old close, kept in
tests/support/close_reference.py, on vaults hypothesis makes: sessions over many months, some
recorded weeks after the day they were held (backdated), some corrected later, both settings,
plans that change. Every file released (month, quarter and year rows; CSV and JSON) must be
the same bytes, after a first close and after a second one on top of it; the exact counts must
be equal (in the same order); and ``kindcheck audit`` must find the same cells in them.

The audit alone is held to the old one on tables with far more hidden cells than a vault of a
few clients makes, with and without the linear programs first.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import close_reference
from support.vault import PASSPHRASE, make_answers

import kindcheck.export.release as release_module
from kindcheck import __version__
from kindcheck.answers import session_from_dict
from kindcheck.errors import ExportError
from kindcheck.export import SCAN_DOMAINS
from kindcheck.export.audit import (
    Cell,
    Model,
    Witnesses,
    _Solver,
    audit_files,
    disclosed_cells,
    months_of,
)
from kindcheck.export.release import Ledger, all_domains
from kindcheck.followup import AMSTERDAM, FollowUpPlan
from kindcheck.outcome import compute_outcome
from kindcheck.record import NewAnswer
from kindcheck.service import plans
from kindcheck.service.client_record import amend_session
from kindcheck.service.recording import record_session
from kindcheck.service.reports import count_vault, render_release
from kindcheck.store import Store

FIRST_DAY = date(2025, 1, 6)
RULES = ("FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=WEEKLY;INTERVAL=6")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMSTERDAM)


session_plans = st.lists(
    st.tuples(
        st.integers(0, 5),  # client
        st.integers(0, 420),  # held: days after FIRST_DAY
        st.sampled_from([0, 0, 0, 3, 20, 45]),  # recorded this many days after it was held
        st.booleans(),  # safety signal
        st.integers(0, 4),  # problem domains
        st.sampled_from(["ggz", "sociaal_domein"]),
        st.sampled_from([1, 2]),  # questionnaire version
        st.sampled_from([None, *RULES]),  # the plan saved with it (None: left as it is)
        st.sampled_from([None, 10, 60]),  # corrected this many days after it was recorded
    ),
    min_size=1,
    max_size=16,
    # two sessions with the same answers are one session (recording refuses the second)
    unique_by=lambda plan: (plan[0], plan[1], plan[3], plan[4], plan[5], plan[6]),
)


@contextmanager
def fixed_ids() -> Iterator[None]:
    """Release ids from a counter (a release's id is random; both closes get the same)."""
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(release_module.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
        yield


def reference_audit(*args: Any, witnesses: object = None, **kwargs: Any) -> list[Cell]:
    """The old audit, as the release calls the audit now: the old one had no tables found by
    earlier rounds to start from, and solves every cell from nothing."""
    return close_reference.disclosed_cells(*args, **kwargs)


def close(store: Store, ledger: Ledger, today: date, reference: bool) -> list[bytes]:
    """The month close on ``today`` into ``ledger``; every file its releases give."""
    now = at(today, 9)
    with time_machine.travel(now, tick=False), pytest.MonkeyPatch.context() as patch:
        if reference:
            counts = close_reference.count_vault(store, "month", today, [])
            patch.setattr(release_module, "disclosed_cells", reference_audit)
        else:
            counts = count_vault(store, "month", today, [])
        close.counts = counts  # type: ignore[attr-defined]
        ledger.settle_threshold(None, None, now)
        versions = {q: list(v) for q, v in counts.questionnaires.items()}
        ledger.freeze(counts.periods, {m: versions for m in counts.periods}, today)
        ledger.release(now, __version__, all_domains(ledger, SCAN_DOMAINS))
    return [
        render_release(ledger, period, file_format, delimiter)
        for period in ("month", "quarter", "year")
        for file_format, delimiter in (("csv", ","), ("csv", ";"), ("json", ","))
    ]


def close_or_refusal(
    store: Store, ledger: Ledger, today: date, reference: bool
) -> list[bytes] | str:
    """The files of the close, or the refusal it ends in (the release refuses a period it
    cannot protect: both closes must refuse the same, with the same words)."""
    try:
        return close(store, ledger, today, reference)
    except ExportError as refused:
        return f"refused: {refused}"


def record_events(store: Store, events: list[tuple[datetime, Any]]) -> None:
    for moment, event in sorted(events, key=lambda item: item[0]):
        with time_machine.travel(moment, tick=False):
            event()


EQUIVALENCE = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


# A second close that the release refuses (it cannot protect a small count of the first):
# both closes must refuse it alike.
REFUSED = [
    (5, 286, 0, False, 0, "ggz", 1, None, None),
    (4, 118, 0, False, 0, "ggz", 1, None, None),
    (3, 406, 0, True, 0, "ggz", 1, None, None),
    (2, 102, 0, False, 0, "ggz", 1, None, None),
    (3, 305, 0, True, 0, "ggz", 1, None, None),
    (5, 43, 0, False, 0, "ggz", 1, None, None),
    (4, 73, 0, False, 0, "ggz", 1, None, None),
    (0, 0, 45, False, 0, "sociaal_domein", 1, None, None),
    (0, 37, 0, True, 0, "ggz", 1, None, 60),
    (0, 276, 0, False, 0, "ggz", 1, None, None),
    (0, 299, 0, False, 0, "ggz", 1, None, None),
    (1, 53, 0, False, 4, "ggz", 1, None, None),
]


@settings(max_examples=4, **EQUIVALENCE)  # type: ignore[arg-type]
@given(sessions=session_plans, first_close=st.integers(120, 400))
@example(sessions=REFUSED, first_close=120)
def test_the_month_close_releases_the_same_bytes_as_the_old_close(
    tmp_path_factory: pytest.TempPathFactory,
    sessions: list[tuple[Any, ...]],
    first_close: int,
) -> None:
    same_release_as_the_old_close(tmp_path_factory, sessions, first_close)


@pytest.mark.soak
@settings(max_examples=60, **EQUIVALENCE)  # type: ignore[arg-type]
@given(sessions=session_plans, first_close=st.integers(120, 400))
def test_the_month_close_releases_the_same_bytes_as_the_old_close_soak(
    tmp_path_factory: pytest.TempPathFactory,
    sessions: list[tuple[Any, ...]],
    first_close: int,
) -> None:
    same_release_as_the_old_close(tmp_path_factory, sessions, first_close)


def same_release_as_the_old_close(
    tmp_path_factory: pytest.TempPathFactory,
    sessions: list[tuple[Any, ...]],
    first_close: int,
) -> None:
    folder = tmp_path_factory.mktemp("vault")
    with time_machine.travel(at(FIRST_DAY - timedelta(days=1)), tick=False):
        store, _recovery = Store.create(folder / "v", PASSPHRASE, "t.tester")
    seen: set[int] = set()
    events: list[tuple[datetime, Any]] = []
    recorded_ids: dict[int, str] = {}
    for number, (client, held, late, signal, problems, setting, version, rule, fix) in enumerate(
        sessions
    ):
        held_on = FIRST_DAY + timedelta(days=held)
        recorded = at(held_on + timedelta(days=late), 10) + timedelta(minutes=number)
        kind = "followup" if client in seen else "intake"
        seen.add(client)
        answers = make_answers(
            f"EPD-{client:04d}",
            kind=kind,
            when=held_on,
            signal=signal,
            problems=problems,
            version=version,
        )
        answers["setting"] = setting

        def event(
            number: int = number,
            answers: dict[str, Any] = answers,
            rule: str | None = rule,
            held_on: date = held_on,
        ) -> None:
            session = session_from_dict(answers)
            saved = record_session(store, session, compute_outcome(session))
            recorded_ids[number] = saved.session.id
            if rule is not None:
                plans.save_plan(store, saved.client.id, FollowUpPlan(rule, held_on))

        events.append((recorded, event))
        if fix is not None:
            correction = NewAnswer(
                answers["questionnaires"][0]["id"], "sig_other", "no" if signal else "yes"
            )
            when = recorded + timedelta(days=fix)

            def amend(
                number: int = number, correction: NewAnswer = correction, when: datetime = when
            ) -> None:
                amend_session(store, recorded_ids[number], [correction], "navraag", when.date())

            events.append((when, amend))
    first_today = FIRST_DAY + timedelta(days=first_close)
    second_today = FIRST_DAY + timedelta(days=560)
    with store:
        before = [e for e in events if e[0].date() < first_today]
        record_events(store, before)
        new_ledger, old_ledger = Ledger(), Ledger()
        with fixed_ids():
            new_files = close_or_refusal(store, new_ledger, first_today, reference=False)
            new_counts = close.counts  # type: ignore[attr-defined]
        with fixed_ids():
            old_files = close_or_refusal(store, old_ledger, first_today, reference=True)
            old_counts = close.counts  # type: ignore[attr-defined]
        assert list(new_counts.periods.items()) == list(old_counts.periods.items())
        assert new_counts.questionnaires == old_counts.questionnaires
        assert new_files == old_files
        # events run in order; those recorded later come after the first close
        record_events(store, [e for e in events if e[0].date() >= first_today])
        with fixed_ids():
            new_files = close_or_refusal(store, new_ledger, second_today, reference=False)
        with fixed_ids():
            old_files = close_or_refusal(store, old_ledger, second_today, reference=True)
        assert new_files == old_files
        assert new_ledger.to_dict() == old_ledger.to_dict()
    if isinstance(new_files, str):
        return  # both refused alike; there are no files to audit
    texts = [(f"file{n}", data.decode("utf-8")) for n, data in enumerate(new_files)]
    found = audit_files(texts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kindcheck.export.audit.disclosed_cells", close_reference.disclosed_cells)
        assert found == audit_files(texts)


KEYS = (
    "intakes",
    "kindchecks_completed",
    "clients_with_minor_children",
    "children_in_view",
    "followups_due:held_in_window",
    "followups_due:not_held",
    "followups_due:total",
)


@st.composite
def released_year(draw: st.DrawFn) -> tuple[Any, ...]:
    """A year's rows (months, quarters, the year) of true counts that keep the reader's
    relations, shown as a release might (and might not safely) show them: each cell its
    count, "<t" or "x"."""
    threshold = draw(st.sampled_from([3, 5]))
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    truth_months: dict[tuple[str, str], int] = {}
    for month in months:
        intakes = draw(st.integers(0, 9))
        minors = draw(st.integers(0, intakes))
        held, missed = draw(st.integers(0, 6)), draw(st.integers(0, 6))
        truth_months.update(
            {
                (month, "intakes"): intakes,
                (month, "kindchecks_completed"): draw(st.integers(0, intakes)),
                (month, "clients_with_minor_children"): minors,
                (month, "children_in_view"): draw(st.integers(minors, 3 * minors)),
                (month, "followups_due:held_in_window"): held,
                (month, "followups_due:not_held"): missed,
                (month, "followups_due:total"): held + missed,
            }
        )
    rows = [*months, *(f"2026-Q{q}" for q in range(1, 5)), "2026"]
    shown: dict[tuple[str, str], Any] = {}
    truth: dict[tuple[str, str], int] = {}
    for row in rows:
        for key in KEYS:
            value = sum(truth_months[(m, key)] for m in months_of(row))
            truth[(row, key)] = value
            choice = draw(st.sampled_from(["shown", "shown", "marker", "x"]))
            if 0 < value < threshold and choice != "x":
                shown[(row, key)] = f"<{threshold}"
            elif choice == "x" and value > 0:
                shown[(row, key)] = "x"
            else:
                shown[(row, key)] = value
    return months, rows, shown, truth, threshold


@pytest.mark.parametrize("linear_first", [True, False])
@settings(max_examples=25, deadline=None)
@given(year=released_year())
def test_the_audit_finds_the_cells_the_old_audit_found(
    year: tuple[Any, ...], linear_first: bool
) -> None:
    months, rows, shown, truth, threshold = year
    model = Model(months, sorted(KEYS))
    row_months = {row: months_of(row) for row in rows}
    thresholds = {row: threshold for row in rows}
    expected = close_reference.disclosed_cells(
        model, row_months, shown, truth, thresholds, stop_after=25
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Solver, "linear_first", linear_first)
        found = disclosed_cells(model, row_months, shown, truth, thresholds, stop_after=25)
    assert found == expected


def loosened(shown: dict[Cell, Any], truth: dict[Cell, int], pick: list[bool]) -> dict[Cell, Any]:
    """``shown`` with the picked shown counts hidden as "x": what a repair round does."""
    picks = iter(pick * len(shown))
    return {
        cell: "x" if isinstance(value, int) and truth[cell] > 0 and next(picks) else value
        for cell, value in shown.items()
    }


@settings(max_examples=10, deadline=None)
@given(year=released_year(), pick=st.lists(st.booleans(), min_size=1, max_size=7))
def test_tables_from_earlier_rounds_change_no_finding(
    year: tuple[Any, ...], pick: list[bool]
) -> None:
    """The repair's rounds only hide more, so the release hands each audit the consistent
    tables earlier rounds found. Whatever they were, the audit finds what the old audit
    finds on its own: in a round that hides more (the tables still fit), and in one that
    shows more than the round they came from (some no longer fit: they must not count)."""
    months, rows, shown, truth, threshold = year
    model = Model(months, sorted(KEYS))
    row_months = {row: months_of(row) for row in rows}
    thresholds = {row: threshold for row in rows}
    looser = loosened(shown, truth, pick)
    for first, then in ((shown, looser), (looser, shown)):
        witnesses = Witnesses()
        disclosed_cells(model, row_months, first, truth, thresholds, witnesses=witnesses)
        expected = close_reference.disclosed_cells(
            model, row_months, then, truth, thresholds, stop_after=25
        )
        found = disclosed_cells(
            model, row_months, then, truth, thresholds, stop_after=25, witnesses=witnesses
        )
        assert found == expected


def test_a_table_that_no_longer_fits_is_never_trusted() -> None:
    """A kept table that spreads a hidden cell wide but breaks a relation of the new round
    (here: a month more than its quarter says) is dropped, not taken as proof: the pinned
    cell is still found."""
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    model = Model(months, ["intakes"])
    rows = [*months, "2026-Q1"]
    truth = {(row, "intakes"): 6 for row in months} | {("2026-Q1", "intakes"): 20}
    truth[("2026-01", "intakes")] = 8
    shown: dict[Cell, Any] = dict(truth)
    shown[("2026-01", "intakes")] = "x"  # hidden, but the quarter minus two months pins it
    row_months = {row: months_of(row) for row in rows}
    thresholds = {row: 5 for row in rows}
    assert disclosed_cells(model, row_months, shown, truth, thresholds) == [("2026-01", "intakes")]
    unfitting = Witnesses()
    for january in (0, 40):  # a reader with these tables would see 0..40: wide, if trusted
        point = np.zeros(len(model.index))
        for (_source, month, key), column in model.index.items():
            point[column] = january if month == "2026-01" else truth[(month, key)]
        unfitting.add(point)
    found = disclosed_cells(model, row_months, shown, truth, thresholds, witnesses=unfitting)
    assert found == [("2026-01", "intakes")]
