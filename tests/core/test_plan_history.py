"""Follow-up timing is judged against the plan in force when the conversation was held (issue 14).

Before, every past follow-up was judged against the client's current plan: a later change of
plan turned late conversations into "on time" (and changed periods already released). Now a
changed plan keeps its earlier versions inside its record, and the export judges each
follow-up against the version in force then.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import time_machine
from support.vault import PASSPHRASE, make_answers

from kindcheck.answers import session_from_dict
from kindcheck.followup import AMSTERDAM, FollowUpPlan
from kindcheck.outcome import compute_outcome
from kindcheck.service import plans
from kindcheck.service.recording import record_session
from kindcheck.service.reports import count_vault
from kindcheck.store import PlainPlan, Store


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=AMSTERDAM)


def _late_and_on_time(store: Store) -> tuple[int, int]:
    with time_machine.travel(at(date(2026, 5, 1)), tick=False):
        cells = count_vault(store, "month").periods.get("2026-03", {})
    return cells.get("followups:late", 0), cells.get("followups:on_time", 0)


def test_a_later_change_of_plan_does_not_rejudge_an_earlier_follow_up(tmp_path: Path) -> None:
    with time_machine.travel(at(date(2026, 1, 5)), tick=False):
        store, _recovery = Store.create(tmp_path / "v", PASSPHRASE, "t.tester")
    with store:
        with time_machine.travel(at(date(2026, 1, 5)), tick=False):
            intake = session_from_dict(make_answers("EPD-1", when=date(2026, 1, 5)))
            client = record_session(store, intake, compute_outcome(intake)).client
            # monthly from 5 January: the first conversation was due on 5 February
            plans.save_plan(store, client.id, FollowUpPlan("FREQ=MONTHLY", date(2026, 1, 5)))
        with time_machine.travel(at(date(2026, 3, 20)), tick=False):
            followup = session_from_dict(
                make_answers("EPD-1", kind="followup", when=date(2026, 3, 20))
            )
            record_session(store, followup, compute_outcome(followup))
        plans.save_plan(store, client.id, FollowUpPlan("FREQ=MONTHLY", date(2026, 1, 5)))
        assert _late_and_on_time(store) == (1, 0)  # six weeks after it was due: late
        # On 1 April the plan is edited to start on 15 March: judged against that plan, the
        # conversation of 20 March would be on time.
        with time_machine.travel(at(date(2026, 4, 1)), tick=False):
            changed = plans.save_plan(
                store, client.id, FollowUpPlan("FREQ=MONTHLY", date(2026, 3, 15))
            )
        assert changed.revision >= 1 and len(changed.history) >= 1
        stored = plans.get_plan(store, client.id)
        assert stored is not None and stored.history == changed.history
        assert stored.in_force(date(2026, 3, 20)).start == date(2026, 1, 5)
        assert stored.in_force(date(2026, 4, 2)).start == date(2026, 3, 15)
        assert _late_and_on_time(store) == (1, 0)  # still late: the plan in force then


def test_a_plan_stored_without_history_reads_as_one_version() -> None:
    plan = FollowUpPlan("FREQ=MONTHLY", date(2026, 1, 5))
    stored = PlainPlan(
        "p1", "c1", {**plan.to_dict(), "revision": 2}, None, datetime(2026, 1, 5, 12, 0)
    )
    client_plan = plans.to_client_plan(stored)
    assert client_plan.history == () and client_plan.revision == 2
    assert client_plan.in_force(date(2025, 1, 1)) == plan
    assert client_plan.versions() == [plans.PlanVersion(stored.updated_at, plan)]
