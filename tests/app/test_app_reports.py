"""The team lead's screens walked with Pilot at 80x24: the anonymised export (table, charts,
saving, overwrite and symlink refusals), the access log (filter, one client's log), and the
passphrase dialogs (change; set a new one with the recovery key).

The export must write what ``kindcheck export`` writes for the same vault and settings: the
tests run the CLI on the same vault afterwards and compare. Vaults are copies of templates made
once per module (Argon2id costs a fraction of a second per derivation).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from kindcheck.screens import export_screen
from kindcheck.screens.dialogs.passphrase import ChangePassphraseScreen
from support.app import PASSPHRASE, SIZE, USER, make_app, wait_screen, wait_until
from textual.widgets import DataTable, Input, Static

from kindcheck import accesslog, cli
from kindcheck import export as core_export
from kindcheck import store as store_module
from kindcheck.service.demo import build_demo_service
from kindcheck.service.reports import compute_counts, read_ledger
from kindcheck.service.vault_service import VaultService
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle, generate_recovery_key

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
TODAY = NOW.date()
NEW_PASSPHRASE = "blauwe fiets onder de brug"


def fixed_today() -> date:
    return TODAY


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong passphrases in one test must not slow down the next (the store's throttle)."""
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo caseload (20 intakes over three quarters) at the fixed date."""
    folder = tmp_path_factory.mktemp("reports-demo") / "vault"
    with time_machine.travel(NOW, tick=False):
        build_demo_service(folder, TODAY, passphrase=PASSPHRASE).close()
    return folder


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture(scope="module")
def recovery_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An empty vault whose recovery key the tests know."""
    folder = tmp_path_factory.mktemp("reports-recovery") / "vault"
    store, recovery = Store.create(folder, PASSPHRASE, USER)
    store.close()
    return folder, recovery


def cli_export(data_dir: Path, tmp_path: Path, output: Path, *args: str) -> None:
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    os.environ["KINDCHECK_PASSPHRASE_FILE"] = str(secret)
    try:
        code = cli.main(["export", "--data-dir", str(data_dir), "-o", str(output), *args])
    finally:
        del os.environ["KINDCHECK_PASSPHRASE_FILE"]
    assert code == 0


def access_entries(data_dir: Path) -> list[accesslog.AccessEntry]:
    with Store.unlock(data_dir, PASSPHRASE) as store:
        return store.access_log()


def table_texts(table: DataTable) -> list[list[str]]:
    return [
        [str(cell).strip() for cell in table.get_row_at(index)] for index in range(table.row_count)
    ]


async def open_export(pilot) -> export_screen.ExportScreen:
    await wait_screen(pilot, "HomeScreen")
    await pilot.press("e")
    screen = await wait_screen(pilot, "ExportScreen")
    await wait_until(pilot, lambda: screen.table is not None and not screen.busy)
    return screen


async def save_via_dialog(pilot, screen, path: Path, file_format: str | None = None) -> None:
    await pilot.press("s")
    dialog = await wait_screen(pilot, "SavePathDialog")
    if file_format is not None:
        dialog.query_one(f"#fmt-{file_format}").value = True
        await pilot.pause()
    field = dialog.query_one("#save-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await pilot.pause()


# ---------------------------------------------------------------------------------------------
# Pure pieces


def test_charts_never_draw_a_bar_for_a_hidden_cell():
    counts = core_export.Counts(
        "quarter",
        {
            "2026-Q1": {
                "intakes": 12,
                "kindchecks_completed": 2,
                "parents_by_domain_count:0": 9,
                "parents_by_domain_count:3+": 3,
                "parenting_support_flag": 3,
            },
            "2026-Q2": {
                "intakes": 20,
                "kindchecks_completed": 18,
                "parents_by_domain_count:0": 11,
                "parents_by_domain_count:1": 9,
            },
        },
    )
    table = core_export.suppress(counts, 5)
    hidden = [
        band
        for band in export_screen.BANDS
        if not isinstance(table.values[("total", f"parents_by_domain_count:{band}")], int)
    ]
    assert hidden  # the 3 parents with 3+ domains
    from kindcheck.i18n import t

    def tr(key: str, **values: object) -> str:
        return t(f"ui.{key}", "en", **values)

    lines = export_screen.domain_chart(table, tr, "en").plain.splitlines()
    for band in hidden:
        label = tr(f"export.band.{band.replace('+', '_plus')}")
        line = next(line for line in lines if line.startswith(label))
        assert "hidden" in line and "█" not in line
    share = export_screen.share_chart(table, tr, "en").plain
    assert "2026-Q1" in share and "hidden" in share.split("2026-Q1")[1].splitlines()[0]
    total_line = next(line for line in share.splitlines() if line.startswith("Total"))
    assert "█" in total_line and total_line.endswith("62.5%")  # 20 of 32, from shown counts


def test_progress_counts_sessions_first_and_ends_full(demo_dir: Path):
    service = VaultService(demo_dir)
    service.unlock(PASSPHRASE)
    calls: list[tuple[int, int]] = []
    try:
        computed = compute_counts(
            service,
            "quarter",
            TODAY,
            progress=lambda done, total: calls.append((done, total)),
            report_every=0.0,
        )
    finally:
        service.close()
    assert computed.sessions == 20
    assert calls[0] == (0, 60) and calls[-1] == (60, 60)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# ---------------------------------------------------------------------------------------------
# The export screen


async def test_export_shows_the_table_and_both_charts_without_small_cells(demo_dir: Path):
    app = make_app(demo_dir, clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    with time_machine.travel(NOW, tick=False):
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_export(pilot)
            table = screen.query_one("#counts", DataTable)
            # a heading over the domains, and one over the split by setting
            assert table.row_count == len(screen.table.keys) + 2
            assert any("/" in key for key in screen.table.keys)
            labels = [str(row.label or "") for row in table.rows.values()]
            labels += [str(table.get_row(key)[0]) for key in table.rows]
            assert "ggz: Intakes" in labels
            assert "sociaal domein: Aandeel Kindcheck gedaan" in labels
            assert not any("ui." in label or "export." in label for label in labels)
            # closed quarters only, and no running total
            assert [str(c.label).strip() for c in table.columns.values()][1:] == [
                "2026-Q1",
                "2026-Q2",
                "2026-Q3",
            ]
            assert "Drempel 5" in str(screen.query_one("#threshold", Static).render())
            assert not screen.query("#rounding")  # no rounding and no threshold to choose
            domains = str(screen.query_one("#domain-chart", Static).render())
            share = str(screen.query_one("#share-chart", Static).render())
            assert "2026-Q3" in domains and "verborgen" in domains  # the newest quarter
            assert "2026-Q3" in share and "verborgen" in share  # a tiny caseload: hidden
            cells = [cell for row in table_texts(table) for cell in row[1:]]
            assert "x" in cells or "<5" in cells
            small = [c for c in cells if c.isdigit() and 1 <= int(c) < 5]
            assert small == [], small
            await pilot.press("2")
            assert screen.query_one("#export-tabs").active == "tab-domains"


async def test_the_screen_and_the_cli_share_one_pipeline_and_one_ledger(
    demo_dir: Path, tmp_path: Path, frozen
):
    """Showing the table releases the closed periods in the vault's ledger; the files the
    screen saves are byte for byte the CLI's, made afterwards from the same ledger."""
    json_path, csv_path = tmp_path / "app.json", tmp_path / "app.csv"
    app = make_app(demo_dir, clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        await save_via_dialog(pilot, screen, csv_path)
        await wait_until(pilot, csv_path.exists)
        screen.query_one("#period-month").value = True
        await wait_until(
            pilot,
            lambda: (
                screen.shown_settings == export_screen.ExportSettings("month") and not screen.busy
            ),
        )
        await save_via_dialog(pilot, screen, json_path, "json")
        await wait_until(pilot, json_path.exists)
        await app.workers.wait_for_complete()
    with Store.unlock(demo_dir, PASSPHRASE) as store:
        released = [r.id for r in read_ledger(store).releases]
    assert len(released) == 1  # one release, made when the screen showed the table
    cli_csv, cli_json = tmp_path / "cli.csv", tmp_path / "cli.json"
    cli_export(demo_dir, tmp_path, cli_csv)
    cli_export(demo_dir, tmp_path, cli_json, "--period", "month", "--format", "json")
    assert csv_path.read_bytes() == cli_csv.read_bytes()
    assert json_path.read_bytes() == cli_json.read_bytes()
    assert json.loads(cli_json.read_text())["release"] == released[0]
    with Store.unlock(demo_dir, PASSPHRASE) as store:
        assert [r.id for r in read_ledger(store).releases] == released  # nothing released again
    exports = [e for e in access_entries(demo_dir) if e.action == "export"]
    assert [e.client_reference for e in exports[:2]] == [None, None]
    assert "anonymised counts (quarter, csv)" in exports[0].detail
    assert "anonymised counts (month, json)" in exports[1].detail


async def test_an_existing_file_is_overwritten_only_when_confirmed(demo_dir: Path, tmp_path: Path):
    target = tmp_path / "telling.csv"
    target.write_text("oud\n")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elders.csv")
    app = make_app(demo_dir, clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        await save_via_dialog(pilot, screen, target)
        question = await wait_screen(pilot, "ConfirmDialog")
        assert "bestaat al" in str(question.query_one("#dialog-message", Static).render())
        await pilot.press("n")
        await wait_screen(pilot, "ExportScreen")
        assert target.read_text() == "oud\n"
        await save_via_dialog(pilot, screen, target)
        await wait_screen(pilot, "ConfirmDialog")
        await pilot.press("j")
        await wait_until(pilot, lambda: target.read_text().startswith("# kindcheck-export"))
        await wait_screen(pilot, "ExportScreen")
        await save_via_dialog(pilot, screen, link)
        error = await wait_screen(pilot, "ErrorDialog")
        message = str(error.query_one("#dialog-message", Static).render())
        assert "symbolische koppeling" in message and str(link) in message
        await app.workers.wait_for_complete()
    assert not (tmp_path / "elders.csv").exists()
    outcomes = [(e.action, e.outcome) for e in access_entries(demo_dir) if e.action == "export"]
    assert outcomes == [("export", "done"), ("export", "refused")]


# ---------------------------------------------------------------------------------------------
# The access log


async def test_the_log_lists_entries_filters_by_client_and_saves_one_clients_log(
    demo_dir: Path, tmp_path: Path
):
    target = tmp_path / "log-demo-005.json"
    app = make_app(demo_dir, clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        await pilot.press("g")
        screen = await wait_screen(pilot, "AccessLogScreen")
        await wait_until(pilot, lambda: screen.view is not None)
        table = screen.query_one("#log-table", DataTable)
        everything = len(screen.view.entries)
        assert table.row_count == everything > 20
        newest = table_texts(table)[0]
        assert newest[1] == "inzien" and newest[3] == "toegangslog"  # this very viewing, in Dutch
        assert screen.check_action("save_client_log", ()) is None  # no client chosen yet
        await pilot.press("slash", *"demo-005", "enter")
        await wait_until(pilot, lambda: screen.view.reference == "demo-005")
        rows = table_texts(table)
        assert rows and len(rows) < everything
        assert {row[2] for row in rows} == {"DEMO-005"}
        await pilot.press("s")
        dialog = await wait_screen(pilot, "SavePathDialog")
        dialog.query_one("#save-path", Input).value = str(target)
        dialog.query_one("#save-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, target.exists)
        await app.workers.wait_for_complete()
    document = json.loads(target.read_text())
    entries = document["entries"]
    assert entries and {e["client_reference"] for e in entries} == {"DEMO-005"}
    log = access_entries(demo_dir)
    assert len(entries) == len([e for e in log if e.client_reference == "DEMO-005"]) - 1
    assert (log[-1].action, log[-1].client_reference) == ("export", "DEMO-005")
    reads = [e for e in log if e.action == "read" and e.detail == "access log"]
    assert [e.client_reference for e in reads] == [None, "DEMO-005"]


async def test_typed_text_in_the_log_is_shown_literally(demo_dir: Path):
    with Store.unlock(demo_dir, PASSPHRASE) as store:
        store.log_access("search", "[@click=app.quit]\x1b[31mX", "[b]vet[/b]\x07 detail")
    app = make_app(demo_dir, "en", clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        await pilot.press("g")
        screen = await wait_screen(pilot, "AccessLogScreen")
        await wait_until(pilot, lambda: screen.view is not None)
        row = next(
            r for r in table_texts(screen.query_one("#log-table", DataTable)) if r[1] == "search"
        )
        assert row[2] == "[@click=app.quit][31mX" and "\x1b" not in row[2]
        assert row[3] == "[b]vet[/b] detail"


# ---------------------------------------------------------------------------------------------
# Passphrases


async def test_a_changed_passphrase_opens_the_vault_and_the_old_one_does_not(
    recovery_template: tuple[Path, str], tmp_path: Path
):
    vault = tmp_path / "vault"
    shutil.copytree(recovery_template[0], vault)
    app = make_app(vault, unlocked=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, "HomeScreen")
        app.action_change_passphrase()
        dialog = await wait_screen(pilot, "ChangePassphraseScreen")
        assert isinstance(dialog, ChangePassphraseScreen)
        dialog.query_one("#old-passphrase", Input).value = "niet de goede wachtzin"
        dialog.query_one("#new-passphrase", Input).value = NEW_PASSPHRASE
        await pilot.pause()
        assert str(dialog.query_one("#strength", Static).render()) in (
            "Sterk.",
            "Redelijk. Langer is sterker.",
        )
        dialog.query_one("#new-repeat", Input).value = NEW_PASSPHRASE
        dialog.query_one("#new-repeat", Input).focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: "klopt niet" in str(dialog.query_one("#passphrase-error", Static).render()),
        )
        dialog.query_one("#old-passphrase", Input).value = PASSPHRASE
        dialog.query_one("#new-repeat", Input).focus()
        await pilot.press("enter")
        await wait_screen(pilot, "HomeScreen")
        await pilot.press("ctrl+q")
    Store.unlock(vault, NEW_PASSPHRASE).close()
    with pytest.raises(store_module.WrongPassphrase):
        Store.unlock(vault, PASSPHRASE)


async def test_the_recovery_key_sets_a_new_passphrase_and_a_wrong_one_says_so(
    recovery_template: tuple[Path, str], tmp_path: Path
):
    vault = tmp_path / "vault"
    shutil.copytree(recovery_template[0], vault)
    recovery = recovery_template[1]
    other_key = generate_recovery_key()[1]
    app = make_app(vault)
    async with app.run_test(size=SIZE) as pilot:
        unlock = await wait_screen(pilot, "UnlockScreen")
        assert "Ctrl+R" in str(unlock.query_one("#unlock-forgot", Static).render())
        await pilot.press("ctrl+r")
        dialog = await wait_screen(pilot, "RecoveryUnlockScreen")
        error = dialog.query_one("#passphrase-error", Static)
        for key, expected in (
            (other_key, "hoort niet bij deze kluis"),
            (recovery[:-1] + ("0" if recovery[-1] != "0" else "1"), "tikfout"),
            ("ABCD-EFGH", "niet het goede aantal"),
        ):
            dialog.query_one("#recovery-key", Input).value = key
            dialog.query_one("#new-passphrase", Input).value = NEW_PASSPHRASE
            dialog.query_one("#new-repeat", Input).value = NEW_PASSPHRASE
            dialog.query_one("#new-repeat", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda e=expected: e in str(error.render()))
            assert not dialog.busy
        dialog.query_one("#recovery-key", Input).value = recovery.lower()
        dialog.query_one("#new-repeat", Input).focus()
        await pilot.press("enter")
        await wait_screen(pilot, "HomeScreen")
        assert app.service.unlocked
        await pilot.press("ctrl+q")
    Store.unlock(vault, NEW_PASSPHRASE).close()
    with pytest.raises(store_module.WrongPassphrase):
        Store.unlock(vault, PASSPHRASE)


# ---------------------------------------------------------------------------------------------
# Snapshot


def test_export_snapshot(snap_compare, frozen, demo_dir: Path):
    app = make_app(demo_dir, "nl", unlocked=True, clock=fixed_today)

    async def ready(pilot):
        screen = await open_export(pilot)
        assert screen.table is not None
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


async def test_the_export_speaks_english_when_asked(demo_dir: Path):
    """Texts made in the worker (domain names) follow the app's language too."""
    app = make_app(demo_dir, "en", clock=fixed_today)
    app.service.unlock(PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export(pilot)
        labels = [row[0] for row in table_texts(screen.query_one("#counts", DataTable))]
        assert "Money" in labels and "Intakes" in labels
        assert "hidden" in str(screen.query_one("#domain-chart", Static).render())
