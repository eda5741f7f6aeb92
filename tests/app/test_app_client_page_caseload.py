"""A client's page costs the same in a caseload of any size (issue 17).

- While the clinician rests on a row of home, what the app holds is set aside from Python's
  cycle collector (screens/heap.py): the collections made while a page opens walk only what
  was made since, not the caseload. (A full collection walked every client of home's list,
  about 150 ms with 10,000 clients, often in the middle of opening a page.)
- Opening a client's page reads the vault in the same number of statements whatever the
  caseload and whatever the client's Meldcode history (each Meldcode process was read again
  with a statement of its own, outside the page's one read).
- The opening is logged before the page shows: if the access log cannot be written, the page
  is not shown (NEN 7513).
- The page read before it opens has its keys in the app's language (it was made in the
  reading thread, which does not see the app: "Terug" in the English footer).
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens import heap
from kindcheck.screens.widgets.keys_footer import KeysFooter
from support.app import (
    PASSPHRASE,
    SIZE,
    fresh_vault,
    make_app,
    settle,
    shown_text,
    wait_screen,
    wait_until,
)
from support.vault import make_answers, record
from textual.widgets._footer import FooterKey

from kindcheck.errors import VaultError
from kindcheck.i18n import t
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store


def _caseload(tmp_path: Path, clients: int) -> Path:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(clients):
            record(store, make_answers(f"EPD-{number:05d}"))
    return vault


async def _walkable_after_rest(vault: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The objects a collection could walk once the clinician rested on home's first row."""
    heap.release()  # (nothing set aside by an earlier test)
    rests: list[None] = []
    settle_as_shipped = heap.settle

    def counted_settle() -> None:
        settle_as_shipped()
        rests.append(None)

    # Home sets aside what lives when it is made, too: wait for the rest's own settle.
    monkeypatch.setattr(heap, "settle", counted_settle)
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        # Resting on the row: home prepares its page, and sets aside what the app holds.
        await wait_until(
            pilot,
            lambda: (
                bool(rests)
                and gc.get_freeze_count() > 0
                and not any(w.group == "home-prepare" and not w.is_finished for w in app.workers)
            ),
        )
        return len(gc.get_objects())


async def test_a_page_opened_after_a_rest_does_not_walk_the_caseload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walkable = {}
    for name, clients in (("few", 3), ("many", 150)):
        # Two copies of one vault: each with its own state, or the second reads as the first
        # put back (the rollback question).
        monkeypatch.setenv("KINDCHECK_STATE_DIR", str(tmp_path / name / "state"))
        walkable[name] = await _walkable_after_rest(
            _caseload(tmp_path / name, clients), monkeypatch
        )
    few, many = walkable["few"], walkable["many"]
    # The app holds some 90,000 objects, and several more per client of home's list: set
    # aside, they are not walked again (what is left is what home made after the rest).
    assert few < 2_000 and many < 2_000, (few, many)


def _cycles(count: int) -> list[Any]:
    made: list[Any] = []
    for _ in range(count):
        pair: list[Any] = []
        pair.append(pair)  # freed only by the cycle collector
        made.append(pair)
    return made


def test_what_is_set_aside_is_collected_once_it_grew_by_a_quarter_and_handed_back_on_lock() -> None:
    heap.release()
    heap.reclaim()
    held = gc.get_freeze_count()  # after a full collection
    dropped, more = held // 10, held // 5
    closed_page = _cycles(dropped)
    heap.settle()  # grew by a tenth: set aside
    heap.reclaim_if_grown()  # (idle) not yet a quarter: no full collection
    assert gc.get_freeze_count() >= held + dropped
    closed_page.clear()  # garbage now, but set aside: still held ...
    young = _cycles(50)
    young.clear()
    kept = _cycles(more)
    heap.settle()
    assert gc.get_freeze_count() >= held + dropped + more  # (a rest: no full collection)
    heap.reclaim_if_grown()  # ... until the app is idle with a quarter more set aside
    after = gc.get_freeze_count()
    # The dropped page is collected; what is alive stays set aside.
    assert held + more // 2 < after < held + more + dropped // 2, (held, more, dropped, after)
    doubled = _cycles(2 * after)
    doubled.clear()  # garbage: what the young collection leaves of it doubles what is set aside
    heap.settle()
    assert gc.get_freeze_count() < after + 1000
    heap.release()  # the app locks (or ends): everything back to the collector
    assert gc.get_freeze_count() == 0
    assert kept


def _statements_of_page(service: VaultService, client_id: str) -> int:
    with service.store() as store:
        assert store._engine is not None  # the statement count is the point here
        driver = store._engine.connection.driver
    statements: list[str] = []
    driver.set_trace_callback(statements.append)
    try:
        service.client(client_id)
    finally:
        driver.set_trace_callback(None)
    return len(statements)


def test_a_page_reads_in_as_many_statements_whatever_its_meldcode_history_and_the_caseload(
    tmp_path: Path,
) -> None:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        for number in range(6):
            when = date(2024, 1 + 2 * number, 3)
            # A signal every other session: three Meldcode processes opened.
            record(store, make_answers("EPD-SIGNALS", when=when, signal=number % 2 == 0))
            record(store, make_answers("EPD-CALM", when=when))
    service = VaultService(vault)
    service.unlock(PASSPHRASE)
    try:
        ids = {c.reference: c.client_id for c in service.overview().clients}
        assert service.client(ids["EPD-SIGNALS"]).meldcode is not None
        signals = _statements_of_page(service, ids["EPD-SIGNALS"])
        calm = _statements_of_page(service, ids["EPD-CALM"])
        with service.store() as store, store.batch():
            for number in range(40):
                record(store, make_answers(f"EPD-{number:05d}"))
        larger = _statements_of_page(service, ids["EPD-SIGNALS"])
        assert signals == calm == larger, (signals, calm, larger)
    finally:
        service.close()


async def test_a_page_whose_opening_cannot_be_logged_is_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEN 7513: the opening is logged in the page's own read; no entry, no page."""
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        record(store, make_answers("EPD-LOGGED", "Jansen", when=date(2024, 3, 4)))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        client_id = home.overview.clients[0].client_id
        append = Store._append
        refused: list[str] = []

        def full_disk(store: Store, conn: Any, action: str, *args: Any, **kwargs: Any) -> None:
            if action == "read":
                refused.append(action)
                raise VaultError("the disk is full")
            append(store, conn, action, *args, **kwargs)

        monkeypatch.setattr(Store, "_append", full_disk)
        shown: list[str] = []  # what the client's page shows, each turn of the app

        def page_text() -> str:
            page = next((s for s in app.screen_stack if type(s).__name__ == "ClientScreen"), None)
            if page is None:
                return ""
            assert page.detail is None
            return shown_text(type("OnlyThePage", (), {"screen_stack": [page]})())

        def watch() -> bool:
            shown.append(page_text())
            return len(refused) >= 2 and not any(w.is_running for w in app.workers)

        home.open_client(client_id)
        await wait_until(pilot, watch)
        await pilot.pause(0.3)
        shown.append(page_text())
        assert not any("EPD-LOGGED" in text or "Jansen" in text for text in shown), shown
        # The page says it could not be read, and why.
        assert type(app.screen).__name__ == "ErrorDialog"


@pytest.mark.parametrize("lang", ["en", "nl"])
async def test_a_page_read_before_it_opens_names_its_keys_in_the_apps_language(
    tmp_path: Path, lang: str
) -> None:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        record(store, make_answers("EPD-1"))
    app = make_app(vault, lang, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        home.open_client(home.overview.clients[0].client_id)
        page = await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        footer = page.query_one(KeysFooter)
        shown = " ".join(str(key.description) for key in footer.query(FooterKey))
        assert t("ui.key.back", lang) in shown and t("ui.key.open_session", lang) in shown
        other = "nl" if lang == "en" else "en"
        assert t("ui.key.back", other) not in shown, shown
