"""The app's plan saves go through the service layer, so every change raises the plan's
revision (the calendar's SEQUENCE) and a save without a change does not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from support.app import PASSPHRASE, fresh_vault

from kindcheck.followup import skip
from kindcheck.service.demo import DemoClient, demo_intake
from kindcheck.service.plans import ClientPlan, get_plan
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
TODAY = NOW.date()


def stored(folder: Path, client_id: str) -> ClientPlan:
    with Store.unlock(folder, PASSPHRASE) as store:
        plan = get_plan(store, client_id)
    assert plan is not None
    return plan


def test_the_apps_plan_saves_raise_the_revision(tmp_path: Path) -> None:
    folder = fresh_vault(tmp_path)
    service = VaultService(folder, clock=lambda: TODAY)
    with time_machine.travel(NOW, tick=False):
        service.unlock(PASSPHRASE)
        try:
            client = DemoClient("EPD-300", 0, children=((6, "always"),))
            session = demo_intake(client, TODAY).session()
            # The clinician chose the 2-weekly rhythm over the default 3-monthly one.
            client_id = service.save_intake(session, {}, "safety", True, None)
        finally:
            service.close()
    chosen = stored(folder, client_id)
    assert (chosen.rhythm, chosen.revision) == ("safety", 1)  # the default, then the choice

    service.unlock(PASSPHRASE)
    try:
        service.save_plan(client_id, chosen.plan, "safety")  # saved again, unchanged
    finally:
        service.close()
    assert stored(folder, client_id) == chosen  # same revision, same time

    first = chosen.plan.start
    service.unlock(PASSPHRASE)
    try:
        service.save_plan(client_id, skip(chosen.plan, first, "ziek"), "safety")
    finally:
        service.close()
    skipped = stored(folder, client_id)
    assert skipped.revision == 2 and skipped.plan.changes[0].original == first
    assert skipped.updated_at > chosen.updated_at
