"""Follow-ups due vs held in a month (issue 14, point 5): a small client with a known truth.

Per month the export counts the planned follow-up conversations due in it (against the plan in
force on their day), split into those with a follow-up held within the due window (7 days
before or after) and those without; their total is the two together, and the share held is
written beside it. This replaced "overdue at export time", which changed a closed month with
the day of the export.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import time_machine
from support.vault import PASSPHRASE, make_answers

from kindcheck.answers import session_from_dict
from kindcheck.export.audit import band_parts
from kindcheck.export.formats import _with_shares
from kindcheck.export.release import MONTH_KEYS
from kindcheck.followup import AMSTERDAM, FollowUpPlan
from kindcheck.outcome import compute_outcome
from kindcheck.service import plans
from kindcheck.service.recording import record_session
from kindcheck.service.reports import count_vault
from kindcheck.store import Store

HELD, NOT_HELD = "followups_due:held_in_window", "followups_due:not_held"
MONTHLY_FROM_5_FEB = FollowUpPlan("FREQ=MONTHLY", date(2026, 2, 5))
FORTNIGHTLY_FROM_20_APR = FollowUpPlan("FREQ=WEEKLY;INTERVAL=2", date(2026, 4, 20))


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=AMSTERDAM)


def due(store: Store, today: date) -> dict[str, tuple[int, int]]:
    with time_machine.travel(at(today), tick=False):
        counts = count_vault(store, "month", today=today)
    assert not any(k == "followups:overdue" for c in counts.periods.values() for k in c)
    return {
        month: (cells.get(HELD, 0), cells.get(NOT_HELD, 0))
        for month, cells in sorted(counts.periods.items())
        if cells.get(HELD) or cells.get(NOT_HELD)
    }


def test_follow_ups_due_held_and_not_held_per_month_against_the_plan_in_force(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "v"
    with time_machine.travel(at(date(2026, 1, 5)), tick=False):
        store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store:
        with time_machine.travel(at(date(2026, 1, 5)), tick=False):
            intake = session_from_dict(make_answers("EPD-1", when=date(2026, 1, 5)))
            client = record_session(store, intake, compute_outcome(intake)).client
            plans.save_plan(store, client.id, MONTHLY_FROM_5_FEB)

        def followup(day: date, plan: FollowUpPlan) -> None:
            with time_machine.travel(at(day), tick=False):
                session = session_from_dict(make_answers("EPD-1", kind="followup", when=day))
                record_session(store, session, compute_outcome(session))
                plans.save_plan(store, client.id, plan)  # the plan as the clinician keeps it

        followup(date(2026, 2, 7), MONTHLY_FROM_5_FEB)  # 2 days after 5 Feb: held
        followup(date(2026, 3, 20), MONTHLY_FROM_5_FEB)  # 15 days after 5 Mar: not held
        followup(date(2026, 4, 3), MONTHLY_FROM_5_FEB)  # 2 days before 5 Apr: held
        before_the_change = due(store, date(2026, 4, 14))
        # 15 April: every two weeks from 20 April (due 20 Apr, 4 May, 18 May, 1 Jun, 15 Jun)
        with time_machine.travel(at(date(2026, 4, 15)), tick=False):
            plans.save_plan(store, client.id, FORTNIGHTLY_FROM_20_APR)
        followup(date(2026, 5, 6), FORTNIGHTLY_FROM_20_APR)  # 2 days after 4 May: held
        # On 1 July the days up to 23 June are final (their 7-day window has passed).
        assert due(store, date(2026, 7, 1)) == {
            "2026-02": (1, 0),
            "2026-03": (0, 1),
            "2026-04": (1, 1),  # 5 Apr held (old plan); 20 Apr not held (new plan)
            "2026-05": (1, 1),  # 4 May held, 18 May not; 5 May was no longer planned
            "2026-06": (0, 2),
        }
        # the change of plan on 15 April changed no earlier month
        assert before_the_change["2026-02"] == (1, 0)
        assert before_the_change["2026-03"] == (0, 1)
        # a day whose window has not passed yet is not counted (5 Apr + 7 days < 14 Apr: it is)
        assert before_the_change["2026-04"] == (1, 0)


def test_the_due_total_is_held_plus_not_held_and_the_share_stands_beside_it() -> None:
    total = "followups_due:total"
    assert total in MONTH_KEYS and HELD in MONTH_KEYS and NOT_HELD in MONTH_KEYS
    assert band_parts(total) == [HELD, NOT_HELD]  # the audit's unknowns: an exact equality
    cells = {HELD: 6, NOT_HELD: 2, total: 8, "intakes": 9}
    written = _with_shares(cells)
    keys = [key for key, _value in written]
    assert keys.index("followups_due_held_share") == keys.index(total) + 1
    assert dict(written)["followups_due_held_share"] == 0.75
    hidden = _with_shares({HELD: "<5", NOT_HELD: 6, total: "x"})
    assert dict(hidden)["followups_due_held_share"] == "x"  # never from a hidden count
