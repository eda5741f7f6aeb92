"""The store package's own promises: it knows no domain, keeps plans as plain data that the
service layer reads, and the settings tests set on the package reach the code that uses them."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.vault import PASSPHRASE

from kindcheck import store as store_module
from kindcheck.errors import RecordDamaged, VaultError
from kindcheck.followup import Rhythm, new_plan
from kindcheck.service.plans import get_plan, list_plans, save_plan, verify_vault
from kindcheck.store import Store, StoredPlan, keys, schema
from kindcheck.vault import UnlockThrottle

DOMAIN = (
    "kindcheck.questionnaire",
    "kindcheck.conditions",
    "kindcheck.answers",
    "kindcheck.outcome",
    "kindcheck.followup",
    "kindcheck.export",
    "kindcheck.reporting",
    "kindcheck.service",
)


def test_the_store_loads_no_domain_module() -> None:
    code = (
        "import sys, kindcheck.store\n"
        f"print(sorted(m for m in sys.modules if m.startswith({DOMAIN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_settings_set_on_the_package_reach_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = UnlockThrottle(sleep=lambda seconds: None)
    monkeypatch.setattr(store_module, "_THROTTLE", quiet)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 5)
    assert keys.default_throttle() is quiet
    assert schema.SCHEMA_VERSION == store_module.SCHEMA_VERSION
    monkeypatch.undo()
    assert keys.default_throttle() is store_module._THROTTLE is not quiet
    assert schema.SCHEMA_VERSION == store_module.SCHEMA_VERSION == 3


class NotAPlan:
    """Serialises itself like a plan, but what it says no FollowUpPlan would say."""

    def to_dict(self) -> dict[str, Any]:
        return {"format": 1, "rule": "FREQ=HOURLY;COUNT=3", "start": "2026-03-02"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened, _recovery = Store.create(tmp_path / "vault", PASSPHRASE, "tester")
    return opened


def test_plans_are_plain_data_in_the_store_and_domain_values_above_it(store: Store) -> None:
    with store:
        client = store.add_client("EPD-1")
        plan = new_plan(Rhythm.SAFETY, date(2026, 3, 2), None)
        kept = save_plan(store, client.id, plan, Rhythm.SAFETY)
        plain = store.get_plan(client.id)
        assert plain == StoredPlan(kept.id, client.id, plan.to_dict(), "safety", kept.updated_at)
        assert type(plain.rhythm) is str and isinstance(plain.plan, dict)
        assert get_plan(store, client.id) == kept and kept.rhythm is Rhythm.SAFETY
        assert store.save_plan(client.id, plan, None).rhythm is None

        with pytest.raises(VaultError, match="a follow-up plan is needed"):
            store.save_plan(client.id, plan.to_dict())  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            save_plan(store, client.id, plan, "every full moon")
        unchanged = store.get_plan(client.id)
        assert unchanged is not None and unchanged.rhythm is None


def test_a_stored_plan_that_reads_as_no_plan_is_a_damaged_record(store: Store) -> None:
    with store:
        client = store.add_client("EPD-2")
        stored = store.save_plan(client.id, NotAPlan(), "safety")
        name = f"record followup_plan/{stored.id} is damaged or was moved"
        assert store.verify() == []  # the store checks shapes only ...
        assert verify_vault(store) == [name]  # ... `kindcheck verify` reads the plan too
        with pytest.raises(RecordDamaged, match=name):
            get_plan(store, client.id)
        with pytest.raises(RecordDamaged, match=name):
            list_plans(store)
        damaged: list[str] = []
        assert list_plans(store, damaged) == [] and damaged == [name]
