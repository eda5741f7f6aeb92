"""A plan's revision: raised by every saved change, kept by a save of the same plan.

The calendar file writes it as SEQUENCE and the time of the change as LAST-MODIFIED; a
calendar app that sees an unchanged SEQUENCE keeps what it has. So a change must raise both,
and a save that changes nothing must raise neither (nor write to the vault or the log).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from support.vault import PASSPHRASE

from kindcheck.errors import RecordDamaged
from kindcheck.followup import AMSTERDAM, Rhythm, end_treatment, new_plan, skip
from kindcheck.service.plans import get_plan, list_plans, save_plan
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

WHEN = datetime(2026, 3, 2, 10, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    store, _recovery = Store.create(tmp_path / "vault", PASSPHRASE, "tester")
    store.close()
    return tmp_path / "vault"


def test_each_change_raises_the_revision_and_the_same_plan_raises_nothing(vault: Path) -> None:
    plan = new_plan(Rhythm.CHILDREN, date(2026, 3, 2), date(2041, 6, 30))
    with Store.unlock(vault, PASSPHRASE) as store:
        client = store.add_client("EPD-1").id
        with time_machine.travel(WHEN, tick=False):
            first = save_plan(store, client, plan, Rhythm.CHILDREN)
        log_length, generation = len(store.access_log()), store.generation
        with time_machine.travel(WHEN + timedelta(days=1), tick=False):
            same = save_plan(store, client, plan, Rhythm.CHILDREN)
        assert first.revision == same.revision == 0 and same.updated_at == first.updated_at
        # nothing written, nothing logged
        assert (len(store.access_log()), store.generation) == (log_length, generation)
        # A never-changed plan is stored exactly as the plan gives itself.
        stored = store.get_plan(client)
        assert stored is not None and stored.plan == plan.to_dict()

        skipped = skip(plan, date(2026, 6, 2), "vakantie")
        with time_machine.travel(WHEN + timedelta(days=2), tick=False):
            second = save_plan(store, client, skipped, Rhythm.CHILDREN)
        with time_machine.travel(WHEN + timedelta(days=3), tick=False):
            by_hand = save_plan(store, client, skipped, None)  # the rhythm alone changed
        with time_machine.travel(WHEN + timedelta(days=4), tick=False):
            ended = save_plan(store, client, end_treatment(skipped, date(2027, 1, 1)), None)
        assert [second.revision, by_hand.revision, ended.revision] == [1, 2, 3]
        assert first.updated_at < second.updated_at < by_hand.updated_at < ended.updated_at
        assert get_plan(store, client) == ended
    with Store.unlock(vault, PASSPHRASE) as store:  # kept in the vault, not in memory
        (reread,) = list_plans(store)
        assert reread == ended and reread.revision == 3


class WithRevision:
    """A plan's JSON with a revision no save would write."""

    def __init__(self, data: dict[str, Any], revision: object) -> None:
        self.data, self.revision = data, revision

    def to_dict(self) -> dict[str, Any]:
        return {**self.data, "revision": self.revision}


@pytest.mark.parametrize("revision", [0, -1, True, "2", 1.5, None])
def test_a_revision_that_is_none_makes_a_damaged_record(vault: Path, revision: object) -> None:
    plan = new_plan(Rhythm.SAFETY, date(2026, 3, 2), None)
    with Store.unlock(vault, PASSPHRASE) as store:
        client = store.add_client("EPD-2").id
        stored = store.save_plan(client, WithRevision(plan.to_dict(), revision), "safety")
        with pytest.raises(RecordDamaged, match=f"followup_plan/{stored.id}"):
            get_plan(store, client)
        damaged: list[str] = []
        assert list_plans(store, damaged) == [] and len(damaged) == 1
        # Saving a plan over it replaces it, starting from what can be read.
        assert save_plan(store, client, plan, Rhythm.SAFETY).revision == 1
        assert get_plan(store, client) is not None
