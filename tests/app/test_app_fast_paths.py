"""What keeps the app quick without changing what it shows (issue 17).

- Back on the home screen from a client's page, nothing is read again when nothing changed,
  and after a change to one client only that client's row is redrawn (the table is not
  cleared and refilled).
- The footer is recomposed only when the keys it shows change, not on every answer key.
- A client's page reads its sessions in a constant number of statements, however many
  sessions it has.
- A client's page checks no stored answers against their questionnaires again (they were
  checked when recorded or corrected) and computes each session's outcome once while the
  vault is open, and it shows what the fully checked sessions give.
- The first client page opened does not make Textual parse every stylesheet again.
- The client page's footer shows each of its keys whole at 80 columns (F1 among them).
- An answer key walks each questionnaire at most once (the walk's conditions are evaluated
  once per question), in the Kindcheck and on the scan pages, not once per question the
  screen asks of the walker.
- An answer on a scan row that moves to the next row of the page changes no size (unless it
  confirms a proposed answer, whose extra line goes): the screen is redrawn where it
  changed, never laid out again (a layout costs milliseconds and draws the screen twice).
- A client's page is read before it shows: it is never laid out empty first, its footer is
  composed once, and it is read (and logged) once per opening.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from kindcheck.screens.home import ROWS_KEPT_AHEAD
from kindcheck.screens.widgets.keys_footer import KeysFooter, visible_keys
from support.app import (
    PASSPHRASE,
    SIZE,
    LayoutCounter,
    fresh_vault,
    kindcheck_keys,
    make_app,
    settle,
    start_intake,
    wait_screen,
    wait_until,
)
from support.vault import flip_byte, make_answers, raw, record
from textual.screen import Screen
from textual.widgets import DataTable

import kindcheck.answers
import kindcheck.outcome
import kindcheck.service.views
from kindcheck.answers import session_from_dict
from kindcheck.questionnaire import Walker
from kindcheck.service import caseload_summary
from kindcheck.service.caseload_reads import _as_recorded
from kindcheck.service.caseload_summary import SUMMARY_FROM_CLIENTS
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store


def _vault_with(tmp_path: Path, references: tuple[str, ...]) -> Path:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        for reference in references:
            record(store, make_answers(reference))
    return vault


async def test_back_home_reads_nothing_unchanged_and_redraws_only_the_changed_client(
    tmp_path: Path,
) -> None:
    vault = _vault_with(tmp_path, ("EPD-1", "EPD-2", "EPD-3"))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        table = home.query_one("#clients", DataTable)
        assert table.row_count == 3
        ids = {c.reference: c.client_id for c in home.overview.clients}

        reads: list[str] = []
        redrawn: list[str] = []
        cleared: list[bool] = []
        overview, update_cell, clear = app.service.overview, table.update_cell, table.clear

        def counted_overview(query: str = "") -> Any:
            reads.append(query)
            return overview(query)

        def counted_update(row_key: Any, column_key: Any, value: Any, **kw: Any) -> None:
            redrawn.append(str(getattr(row_key, "value", row_key)))
            update_cell(row_key, column_key, value, **kw)

        def counted_clear(*args: Any, **kwargs: Any) -> Any:
            cleared.append(True)
            return clear(*args, **kwargs)

        app.service.overview = counted_overview  # type: ignore[method-assign]
        table.update_cell = counted_update  # type: ignore[method-assign]
        table.clear = counted_clear  # type: ignore[method-assign]

        # A client's page opened and left: the access log grew, nothing shown changed.
        table.focus()
        table.move_cursor(row=table.get_row_index(ids["EPD-2"]))
        await pilot.pause()
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        assert reads == []
        assert cleared == [] and redrawn == []

        # A second conversation with EPD-2 saved while its page is open: back home, one
        # read, and only EPD-2's row redrawn.
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        with app.service.store() as store:
            record(store, make_answers("EPD-2", kind="intake", when=date.today(), problems=3))
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await settle(pilot)
        assert len(reads) == 1
        assert cleared == []
        assert set(redrawn) == {ids["EPD-2"]}
        row = table.get_row(ids["EPD-2"])
        assert str(row[2]) == "3"  # the new session's domain count is shown


async def test_the_footer_is_recomposed_only_when_its_keys_change(tmp_path: Path) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-77")
        await settle(pilot)
        footer = screen.query_one(KeysFooter)
        recomposed = 0
        recompose = footer.recompose

        async def counted() -> None:
            nonlocal recomposed
            recomposed += 1
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        shown = visible_keys(screen)
        key_changes = 0
        keys = kindcheck_keys()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            now = visible_keys(screen)
            key_changes += now != shown
            shown = now
        await settle(pilot)
        assert key_changes < len(keys)  # the walk has answers that keep the same keys
        assert recomposed <= key_changes


def test_a_client_page_reads_in_a_constant_number_of_statements(tmp_path: Path) -> None:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        record(store, make_answers("EPD-FEW"))
        for number in range(12):
            record(
                store,
                make_answers("EPD-MANY", kind="intake", when=date(2024, 1 + number, 3)),
            )
    service = VaultService(vault)
    service.unlock(PASSPHRASE)
    try:
        ids = {c.reference: c.client_id for c in service.overview().clients}
        counts = {}
        for reference, client_id in ids.items():
            with service.store() as store:
                assert store._engine is not None  # the statement count is the point here
                driver = store._engine.connection.driver
            statements: list[str] = []
            driver.set_trace_callback(statements.append)
            try:
                detail = service.client(client_id)
            finally:
                driver.set_trace_callback(None)
            counts[reference] = (len(statements), len(detail.sessions))
        assert counts["EPD-MANY"][1] == 12 and counts["EPD-FEW"][1] == 1
        assert counts["EPD-MANY"][0] == counts["EPD-FEW"][0]
    finally:
        service.close()


async def test_a_large_caseload_is_listed_from_one_record_and_a_page_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caseload past the summary's threshold: after unlocking, home lists every client and
    the complete due list without reading every client's records (one record, the caseload
    summary), puts only the first rows in its tables, and PageDown and search still reach
    every client."""
    clients = SUMMARY_FROM_CLIENTS + 40
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(clients):
            when = date(2024, 1, 1) + timedelta(days=number % 300)
            record(store, make_answers(f"EPD-{number:04d}", when=when))
    # Home was shown before (it keeps the summary), as it is in a clinician's vault.
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        expected = service.overview(complete=True)
        assert service.save_caseload_summary()

    every_record: list[str] = []
    for read in ("list_clients", "clients", "list_plans", "iter_facts", "list_sessions"):
        original = getattr(Store, read)

        def counted(*args: Any, _read: str = read, _original: Any = original, **kw: Any) -> Any:
            every_record.append(_read)
            return _original(*args, **kw)

        monkeypatch.setattr(Store, read, counted)

    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        overview = home.overview
        assert len(overview.clients) == clients
        assert overview.clients == expected.clients
        assert overview.followups == expected.followups and overview.followups
        assert every_record == []
        table = home.query_one("#clients", DataTable)
        assert table.row_count == ROWS_KEPT_AHEAD < clients

        table.focus()
        for _ in range(clients):
            if table.cursor_row == clients - 1:
                break
            await pilot.press("pagedown")
        await settle(pilot)
        assert table.cursor_row == clients - 1
        last = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert last == expected.clients[-1].client_id

        await pilot.press("slash", *"EPD-0007", "enter")
        await wait_until(pilot, lambda: len(home.overview.clients) == 1)
        await settle(pilot)
        assert [str(table.get_row_at(0)[0])] == ["EPD-0007"]
        # The check of the records (a second after the list was shown) found nothing to say.
        await pilot.pause(1.5)
        await settle(pilot)
        assert app.screen is home


async def test_back_home_from_the_summary_reads_and_redraws_only_the_changed_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same promise as above, for a caseload listed from the caseload summary (its
    threshold lowered to 1): after a save, only that client's records are read again and
    only its row is redrawn; what home shows is what reading every record shows."""
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
    vault = _vault_with(tmp_path, ("EPD-1", "EPD-2", "EPD-3"))
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        service.overview()
        assert service.save_caseload_summary()
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        assert not home.overview.complete
        table = home.query_one("#clients", DataTable)
        ids = {c.reference: c.client_id for c in home.overview.clients}
        read_again: list[str] = []
        redrawn: list[str] = []
        get_client, update_cell = Store.get_client, table.update_cell

        def counted_get(store: Store, client_id: str) -> Any:
            read_again.append(client_id)
            return get_client(store, client_id)

        def counted_update(row_key: Any, column_key: Any, value: Any, **kw: Any) -> None:
            redrawn.append(str(getattr(row_key, "value", row_key)))
            update_cell(row_key, column_key, value, **kw)

        monkeypatch.setattr(Store, "get_client", counted_get)
        table.update_cell = counted_update  # type: ignore[method-assign]
        table.focus()
        table.move_cursor(row=table.get_row_index(ids["EPD-2"]))
        await pilot.press("enter")
        await wait_screen(pilot, "ClientScreen")
        await settle(pilot)
        read_again.clear()  # the page reads its own client
        with app.service.store() as store:
            record(store, make_answers("EPD-2", kind="intake", when=date.today(), problems=3))
        await pilot.press("escape")
        await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: str(table.get_row(ids["EPD-2"])[2]) == "3")
        await settle(pilot)
        assert read_again == [ids["EPD-2"]]
        assert set(redrawn) == {ids["EPD-2"]}
        assert not home.overview.complete
        assert home.overview.clients == app.service.overview(complete=True).clients
        assert app.screen is home  # no error on the way


async def test_a_record_damaged_since_the_summary_is_named_on_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session header changed outside Kindcheck after the summary was kept: home is drawn
    from the summary first, then the check of the records finds it and home names it, as a
    list read from every record does."""
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
    vault = _vault_with(tmp_path, ("EPD-1", "EPD-2", "EPD-3"))
    with VaultService(vault) as service:
        service.unlock(PASSPHRASE)
        client_id = service.overview().clients[1].client_id
        assert service.save_caseload_summary()
    with raw(vault) as conn:
        (session_id,) = conn.execute(
            "SELECT id FROM session WHERE client_id = ?", (client_id,)
        ).fetchone()
    flip_byte(vault, "session", "header", session_id)
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await wait_until(pilot, lambda: bool(home.overview.damaged))
        await settle(pilot)
        assert [item.record_id for item in home.overview.damaged] == [session_id]
        assert home.query_one("#damaged").display
        assert app.screen is home


def test_a_client_page_of_50_sessions_checks_no_stored_answers_and_computes_each_outcome_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store, store.batch():
        for number in range(50):
            record(
                store,
                make_answers(
                    "EPD-FIFTY",
                    kind="intake" if number % 7 == 0 else "followup",
                    when=date(2024, 1, 3) + timedelta(days=14 * number),
                    signal=number % 11 == 5,
                    problems=number % 5,
                    version=1 + number % 2,
                ),
            )
    checked: list[str] = []
    outcomes: list[str] = []
    check_answers, compute_outcome = (
        kindcheck.answers.check_answers,
        kindcheck.outcome.compute_outcome,
    )

    def counted_check(questionnaire: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(questionnaire.id)
        return check_answers(questionnaire, *args, **kwargs)

    def counted_outcome(session: Any, **kwargs: Any) -> Any:
        outcomes.append(session.session_date.isoformat())
        return compute_outcome(session, **kwargs)

    service = VaultService(vault)
    service.unlock(PASSPHRASE)
    try:
        (client,) = service.overview().clients
        monkeypatch.setattr(kindcheck.answers, "check_answers", counted_check)
        monkeypatch.setattr(kindcheck.outcome, "compute_outcome", counted_outcome)
        # As the app does: home prepares the page of the row the cursor rests on, then the
        # page is opened, left, and opened again.
        service.prepare_client(client.client_id)
        detail = service.client(client.client_id)
        again = service.client(client.client_id)
        assert len(detail.sessions) == 50
        assert checked == []  # no stored answers checked again
        assert sorted(outcomes) == sorted(
            {view.session.session_date.isoformat() for view in detail.sessions}
        )
        assert again == detail

        # And the page shows what checking every stored session in full gives.
        monkeypatch.undo()
        with service.store() as store:
            stored = {found.id: found for found in store.client_sessions(client.client_id)}
        for view in detail.sessions:
            answers = stored[view.session_id].answers
            full = session_from_dict(answers)
            assert view.session == full
            assert view.outcome == compute_outcome(
                full, **_as_recorded(answers, stored[view.session_id].outcome)
            )
    finally:
        service.close()


async def test_the_first_client_page_opened_does_not_restyle_the_app(tmp_path: Path) -> None:
    # A screen's own stylesheet, read when the screen is first pushed, makes Textual parse
    # every stylesheet again and restyle every widget of the app, on the UI thread.
    vault = _vault_with(tmp_path, ("EPD-1",))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        reparsed: list[bool] = []
        reparse = app.stylesheet.reparse

        def counted_reparse() -> None:
            reparsed.append(True)
            reparse()

        app.stylesheet.reparse = counted_reparse  # type: ignore[method-assign]
        home.open_client(home.overview.clients[0].client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await settle(pilot)
        assert client.query_one("#sessions", DataTable).row_count == 1
        assert reparsed == []


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_client_page_footer_is_whole_at_80_columns(tmp_path: Path, lang: str) -> None:
    # The fullest page: a signal (Meldcode steps to tick), a plan, several sessions.
    vault = fresh_vault(tmp_path)
    with Store.unlock(vault, PASSPHRASE) as store:
        record(store, make_answers("EPD-1", signal=True, problems=3))
        record(store, make_answers("EPD-1", kind="followup", when=date(2026, 4, 2)))
    app = make_app(vault, lang, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        home.open_client(home.overview.clients[0].client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await settle(pilot)
        assert client.detail.meldcode_session is not None and client.detail.plan is not None
        footer = [strip.text for strip in app.screen._compositor.render_strips()][-1]
        shown = [
            (app.get_key_display(binding), binding.description)
            for _node, binding, enabled, _tip in client.active_bindings.values()
            if binding.show and enabled
        ]
        assert len(shown) >= 5
        for key, description in shown:  # each key whole, with its words, F1 among them
            assert f"{key} {description}" in footer, (key, description, footer)


def _conditions_in_one_walk(walker: Walker) -> int:
    """How many show-if checks one walk over ``walker``'s answers makes (a fresh walker)."""
    fresh = Walker(walker.questionnaire, walker.context, walker.answers, walker.main_answers)
    counted = 0
    shown = Walker._shown

    def counting(self: Walker, *args: Any) -> bool:
        nonlocal counted
        counted += 1
        return shown(self, *args)

    fresh._shown = counting.__get__(fresh)  # type: ignore[method-assign]
    fresh.steps()
    return counted


async def test_an_answer_key_walks_each_questionnaire_at_most_once(
    tmp_path: Path, monkeypatch: Any
) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-77")
        await settle(pilot)
        intake = screen.intake
        checks = 0
        shown = Walker._shown

        def counted(self: Walker, *args: Any) -> bool:
            nonlocal checks
            checks += 1
            return shown(self, *args)

        monkeypatch.setattr(Walker, "_shown", counted)
        over: list[tuple[str, str | None, int, int]] = []
        for key in kindcheck_keys():
            checks = 0
            await pilot.press(key)
            walked = checks
            # At most one walk of each questionnaire over the answers as they now stand.
            one_walk = _conditions_in_one_walk(intake.main) + _conditions_in_one_walk(intake.scan)
            if walked > one_walk:
                over.append((key, intake.position, walked, one_walk))
        await settle(pilot)
        assert screen.in_page_mode()  # on the scan pages now
        for _page in range(3):
            for _row in screen.rows():
                checks = 0
                await pilot.press("n")
                walked = checks
                one_walk = _conditions_in_one_walk(intake.main) + _conditions_in_one_walk(
                    intake.scan
                )
                if walked > one_walk:
                    over.append(("n", intake.position, walked, one_walk))
        assert screen.page_index >= 2  # three pages answered by key
        assert over == []


async def test_a_scan_row_answer_redraws_without_laying_out_the_screen(tmp_path: Path) -> None:
    app = make_app(fresh_vault(tmp_path), unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        screen = await start_intake(pilot, "EPD-78")
        await pilot.press(*kindcheck_keys())
        await settle(pilot)
        assert screen.in_page_mode()
        layouts = LayoutCounter(screen)
        row_keys: list[tuple[str | None, int, int]] = []
        for _page in range(6):
            rows = screen.rows()
            for _row in rows:
                page, row = screen.page_index, screen.current_row
                # A proposed answer has a line saying so, which the answer takes away: that
                # row's height changes.
                proposed = screen.rows()[row].prefilled is not None
                layouts.count = 0
                await pilot.press("n")
                await pilot.pause()
                if screen.page_index == page and screen.current_row == row + 1 and not proposed:
                    row_keys.append((screen.intake.position, row, layouts.count))
        assert screen.page_index >= 5
        assert len(row_keys) >= 5  # answers that moved to the next row of the page
        assert [key for key in row_keys if key[2]] == []


async def test_a_client_page_is_laid_out_with_what_it_shows_and_its_footer_composed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pushed empty and filled when its read came in, the page was laid out and drawn twice and
    # its footer composed twice (Enter became usable), all on the UI thread.
    vault = _vault_with(tmp_path, ("EPD-1",))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        client_id = home.overview.clients[0].client_id
        layouts: list[bool] = []  # per layout of the client page: whether it had its data
        refresh_layout = Screen._refresh_layout

        def counted_layout(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
            if type(screen).__name__ == "ClientScreen":
                layouts.append(getattr(screen, "detail", None) is not None)
            refresh_layout(screen, *args, **kwargs)

        monkeypatch.setattr(Screen, "_refresh_layout", counted_layout)
        composed: list[str] = []
        compose = KeysFooter.compose

        def counted_compose(footer: KeysFooter) -> Any:
            if footer._bindings_ready:  # else Textual's footer composes nothing yet
                composed.append(type(footer.screen).__name__)
            return compose(footer)

        monkeypatch.setattr(KeysFooter, "compose", counted_compose)
        reads: list[str] = []
        read = app.service.client

        def counted_read(wanted: str) -> Any:
            reads.append(wanted)
            return read(wanted)

        monkeypatch.setattr(app.service, "client", counted_read)
        openers: list[int] = []  # which session's Meldcode checklist is current: per key checked
        opener = kindcheck.service.views.meldcode_opener

        def counted_opener(sessions: Any) -> Any:
            openers.append(len(sessions))
            return opener(sessions)

        monkeypatch.setattr(kindcheck.service.views, "meldcode_opener", counted_opener)
        home.open_client(client_id)
        client = await wait_screen(pilot, "ClientScreen")
        await wait_until(pilot, lambda: client.detail is not None)
        await settle(pilot)
        assert client.query_one("#sessions", DataTable).row_count == 1
        assert layouts and all(layouts), layouts
        # Was 6, 3 of them empty. The count itself follows Textual's refresh timer (a loaded
        # machine may lay the page out once more); that none is empty is the promise.
        assert len(layouts) <= 4
        assert composed.count("ClientScreen") == 1
        footer = client.query_one(KeysFooter)
        assert footer.children  # composed with its keys, not left empty
        assert visible_keys(client) == footer._shown_keys
        assert reads == [client_id]  # one read, one "read" entry in the access log
        assert len(openers) <= 1, len(openers)  # once for the page's data, not per key


async def test_a_client_page_read_while_the_app_locks_is_not_shown_over_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page is read before it is pushed: the app may lock (idle, or ^l) in between.
    vault = _vault_with(tmp_path, ("EPD-1",))
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        home = await wait_screen(pilot, "HomeScreen")
        await wait_until(pilot, lambda: home.overview is not None)
        await settle(pilot)
        read = app.service.client

        def read_then_lock(wanted: str) -> Any:
            detail = read(wanted)
            app.call_from_thread(app.action_lock)
            return detail

        monkeypatch.setattr(app.service, "client", read_then_lock)
        home.open_client(home.overview.clients[0].client_id)
        await wait_screen(pilot, "UnlockScreen")
        await wait_until(pilot, lambda: not app.service.unlocked)
        await settle(pilot)
        assert type(app.screen).__name__ == "UnlockScreen"
        assert not any(type(s).__name__ == "ClientScreen" for s in app.screen_stack)
