"""The split by setting (issue 14, point 5): counts per setting (GGZ / social domain) that are
right, add up to the whole, stay protected across every file, and leave what was released
before the split as it was.

- every session's facts record carries its setting (facts format 2); a vault made before has
  its records made again at the next unlock that can write, and verify raises no false alarm
  meanwhile;
- the split counts are the known truth of a caseload in both settings, and the settings'
  parts add up to the whole, in the exact counts and in every released row;
- the relation "the parts add up to the whole" is known to the release audit: the attacker,
  who knows it too, narrows no hidden cell of a file; a release made by an audit that does
  not know it (the split suppressed on its own, as a leaky tool would) is caught by the same
  attacker and by `kindcheck audit`;
- a vault whose periods were released before the split (made with the code of 7b778f0,
  tests/core/data/before-setting-split) re-exports them byte for byte; the split starts with
  the first quarter whose months were all frozen after it came.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from support import disclosure
from support.population import Population, clock, plan_population, record_visits
from support.vault import PASSPHRASE

from kindcheck import cli
from kindcheck.export import audit as export_audit
from kindcheck.export.audit import audit_files
from kindcheck.followup import AMSTERDAM
from kindcheck.service.facts import FACTS_FORMAT, FIELDS, facts_of_session
from kindcheck.store import Store

pytestmark = pytest.mark.xdist_group("export_setting_split")

# As the files name them (spelled out here, not imported, so that the tests also run against
# a Kindcheck without the split and fail there on what they check)
SETTINGS = ("ggz", "sociaal_domein")
SPLIT_MEASURES = ("intakes", "kindchecks_completed", "clients_with_minor_children")


def split_key(setting: str, key: str) -> str:
    return f"{setting}/{key}"


DATA = Path(__file__).parent / "data" / "before-setting-split"
YEAR_EXPORT = datetime(2026, 1, 10, 9, 0, tzinfo=AMSTERDAM)
QUARTERS = {
    f"2025-Q{q}": [f"2025-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)] for q in (1, 2, 3, 4)
}


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode()))
    try:
        yield
    finally:
        sys.stdin = saved


def run_cli(when: datetime, *argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with (
        clock(when),
        _stdin(f"{PASSPHRASE}\n"),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = cli.main([str(arg) for arg in argv])
    return code, out.getvalue(), err.getvalue()


def export(vault: Path, when: datetime, target: Path, *options: str) -> Path:
    code, _out, err = run_cli(
        when,
        "export",
        "--lang",
        "en",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        *options,
        "-o",
        target,
    )
    assert code == 0, err
    return target


# ---------------------------------------------------------------------------------------------
# A caseload in both settings, with its truth


@dataclass(frozen=True)
class Caseload:
    vault: Path  # never exported: copy it first
    population: Population


@pytest.fixture(scope="module")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Caseload:
    folder = tmp_path_factory.mktemp("split") / "vault"
    population = plan_population(7, 160, date(2025, 1, 1), date(2025, 12, 31), prefix="EPD-S")
    with clock(date(2024, 12, 20)):
        store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store, store.batch():
        record_visits(store, population.visits)
    return Caseload(folder, population)


@pytest.fixture
def vault(caseload: Caseload, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(caseload.vault, folder)
    return folder


def true_split(population: Population) -> dict[tuple[str, str], int]:
    """(month, split key) -> the count, straight from the visits (each recorded that day)."""
    truth: dict[tuple[str, str], int] = {}

    def add(month: str, setting: str, key: str) -> None:
        cell = (month, split_key(setting, key))
        truth[cell] = truth.get(cell, 0) + 1

    for visit in population.visits:
        if visit.kind != "intake":
            continue
        month, setting = visit.day.isoformat()[:7], visit.setting
        add(month, setting, "intakes")
        if visit.has_children != "unknown":
            add(month, setting, "kindchecks_completed")
        if visit.has_children == "yes":
            add(month, setting, "clients_with_minor_children")
    return truth


def exact_counts(vault: Path) -> dict[tuple[str, str], int]:
    from kindcheck.service.reports import month_counts

    with clock(YEAR_EXPORT), Store.unlock(vault, PASSPHRASE) as store:
        counts = month_counts(store)
    return {(m, k): v for m, cells in counts.periods.items() for k, v in cells.items()}


def quarter_truth(monthly: dict[tuple[str, str], int], quarter: str, key: str) -> int:
    parts = export_audit.band_parts(key)
    return sum(monthly.get((m, p), 0) for m in QUARTERS[quarter] for p in parts)


def test_the_split_by_setting_is_the_known_truth(caseload: Caseload, vault: Path) -> None:
    """The exact counts per setting are what the caseload holds, month by month; every
    split cell a quarter file shows is that truth. (On 7b778f0 there is no split at all.)"""
    truth = true_split(caseload.population)
    assert {key.partition("/")[0] for _m, key in truth} == set(SETTINGS)  # both settings
    counts = exact_counts(vault)
    split = {cell: value for cell, value in counts.items() if "/" in cell[1]}
    assert split == truth
    path = export(vault, YEAR_EXPORT, vault.parent / "quarter.csv", "--period", "quarter")
    shown = disclosure.read_release(path).cells
    split_cells = {
        cell: v for cell, v in shown.items() if "/" in cell[1] and "share" not in cell[1]
    }
    assert {row for row, _key in split_cells} == set(QUARTERS)
    assert sum(isinstance(v, int) and v > 0 for v in split_cells.values()) >= 8
    for (row, key), value in split_cells.items():
        if isinstance(value, int):
            assert value == quarter_truth(counts, row, key), (row, key)


def test_the_settings_parts_add_up_to_the_whole(caseload: Caseload, vault: Path) -> None:
    counts = exact_counts(vault)
    months = {month for month, _key in counts}
    for month in months:
        for key in SPLIT_MEASURES:
            parts = sum(counts.get((month, split_key(s, key)), 0) for s in SETTINGS)
            assert parts == counts.get((month, key), 0), (month, key)
    for file_format in ("csv", "json"):
        path = export(
            vault,
            YEAR_EXPORT,
            vault.parent / f"q.{file_format}",
            "--period",
            "quarter",
            "--format",
            file_format,
        )
        shown = disclosure.read_release(path).cells
        added = 0
        for row in QUARTERS:
            for key in ("intakes", "kindchecks_completed", "clients_with_minor_children"):
                values = [
                    shown.get((row, key)),
                    *(shown.get((row, split_key(s, key))) for s in SETTINGS),
                ]
                if all(isinstance(v, int) for v in values):
                    assert values[0] == values[1] + values[2], (row, key, values)
                    added += 1
        assert added >= 4, f"{file_format}: too few rows show the whole and both parts"


# ---------------------------------------------------------------------------------------------
# Protected across files: the attacker knows that the parts add up


def attack(paths: list[Path], truth: dict[tuple[str, str], int]) -> disclosure.Summary:
    """Every hidden cell of ``paths`` together, bounded by a reader who knows how the rows
    and measures relate (the split's parts add up to the whole among them); checked against
    the truth, as the attacker of test_export_attacker is."""
    model = disclosure.Attack()
    months = disclosure.month_range("2025-01", "2026-01")
    model.source("A", months)
    for path in paths:
        model.release(disclosure.read_release(path), ["A"])
    model.structure()
    for month in months:
        for key in sorted(model.keys):
            model.set_truth("A", month, key, truth.get((month, key), 0))
    broken = model.check_truth()
    assert not broken, broken[:5]
    targets = model.solve()
    for target in targets:
        assert target.truth is not None
        assert target.lo is None or target.lo <= target.truth <= (target.hi or target.truth)
    return disclosure.summarise([t for t in targets if t.in_file])


def test_the_split_is_protected_and_a_split_without_the_relation_is_caught(
    caseload: Caseload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real release: no hidden cell of the quarter and month files together can be
    narrowed by a reader who knows the parts add up to the whole. The same files made by a
    release audit that does not know it (each setting suppressed as if on its own) leak, and
    both the attacker and `kindcheck audit` say so: the test can fail."""
    safe_vault, leaky_vault = tmp_path / "safe", tmp_path / "leaky"
    shutil.copytree(caseload.vault, safe_vault)
    shutil.copytree(caseload.vault, leaky_vault)
    safe = [
        export(safe_vault, YEAR_EXPORT, tmp_path / "safe-quarter.csv", "--period", "quarter"),
        export(safe_vault, YEAR_EXPORT, tmp_path / "safe-month.csv", "--period", "month"),
    ]
    truth = exact_counts(caseload.vault)
    result = attack(safe, truth)
    assert result.hidden > 0 and not result.disclosed, result.line()

    monkeypatch.setattr(export_audit.Model, "_split_relations", lambda self, v: None, raising=False)
    leaky = [
        export(leaky_vault, YEAR_EXPORT, tmp_path / "leaky-quarter.csv", "--period", "quarter"),
        export(leaky_vault, YEAR_EXPORT, tmp_path / "leaky-month.csv", "--period", "month"),
    ]
    monkeypatch.undo()
    result = attack(leaky, truth)
    assert result.disclosed > 0, result.line()
    # `kindcheck audit` (no truth: every hidden cell held to its marker) finds more there
    found = audit_files([(path.name, path.read_text("utf-8")) for path in leaky])
    before = audit_files([(path.name, path.read_text("utf-8")) for path in safe])
    assert len(found) > len(before), (found, before)


def test_a_split_json_file_validates_and_reads_as_its_csv(vault: Path) -> None:
    import jsonschema

    from kindcheck.export.formats import release_schema

    csv_path = export(vault, YEAR_EXPORT, vault.parent / "q.csv", "--period", "quarter")
    json_path = export(
        vault, YEAR_EXPORT, vault.parent / "q.json", "--period", "quarter", "--format", "json"
    )
    semicolon = export(
        vault, YEAR_EXPORT, vault.parent / "q-sc.csv", "--period", "quarter", "--delimiter", ";"
    )
    document = json.loads(json_path.read_text("utf-8"))
    jsonschema.validate(document, release_schema())
    assert set(document["rows"][0]["settings"]) == set(SETTINGS)
    text = csv_path.read_bytes().decode("utf-8")
    assert "\r\nperiod,setting,measure,category,value\r\n" in text
    assert "per setting" in text  # the notice says what the split is
    read = [disclosure.read_release(p).cells for p in (csv_path, json_path, semicolon)]
    assert read[0] == read[1] == read[2]
    # the audit command's reader sees the same count cells in all three
    cells = [
        export_audit.read_released_file(p.name, p.read_text("utf-8"))[1]
        for p in (csv_path, json_path, semicolon)
    ]
    assert cells[0] == cells[1] == cells[2]
    assert any("/" in key for _row, key in cells[0])


# ---------------------------------------------------------------------------------------------
# Before the split: the facts records made again, released periods unchanged


def test_the_facts_record_carries_the_setting(vault: Path) -> None:
    assert FACTS_FORMAT == 2 and FIELDS[-1] == "setting"
    with Store.unlock(vault, PASSPHRASE) as store:
        settings = {record.facts[-1] for record in store.iter_facts()}
        assert settings == set(SETTINGS)
        assert all(record.facts[0] == FACTS_FORMAT for record in store.iter_facts())


def _downgrade(vault: Path) -> None:
    """Make every facts record as format 1 made it (no setting), and say so in the state."""

    def format_one(session: object, amendments: object) -> list[object]:
        record = facts_of_session(session, amendments)  # type: ignore[arg-type]
        return [1, *record[1:-1]]

    with Store.unlock(vault, PASSPHRASE) as store:
        assert store.complete_facts(format_one, 1) > 0
        assert {len(r.facts) for r in store.iter_facts()} == {len(FIELDS)}  # the older length


def test_an_older_vault_has_its_facts_records_made_again_with_the_setting(vault: Path) -> None:
    _downgrade(vault)
    # verify opens the vault read-only: the older records are no false alarm
    code, out, err = run_cli(
        YEAR_EXPORT, "verify", "--lang", "en", "--data-dir", vault, "--passphrase-stdin"
    )
    assert code == 0, out + err
    # the next unlock that can write makes them again, once
    from kindcheck.service.facts import complete_facts

    with Store.unlock(vault, PASSPHRASE) as store:
        assert complete_facts(store) > 0
        assert complete_facts(store) == 0
        records = list(store.iter_facts())
        assert {r.facts[-1] for r in records} == set(SETTINGS)
        assert {r.facts[0] for r in records} == {FACTS_FORMAT}
    code, out, err = run_cli(
        YEAR_EXPORT, "verify", "--lang", "en", "--data-dir", vault, "--passphrase-stdin"
    )
    assert code == 0, out + err


def test_verify_names_a_facts_record_whose_setting_was_changed(vault: Path) -> None:
    """verify's comparison of facts and session covers the setting: a record that says the
    other setting is named."""

    def other_setting(session: object, amendments: object) -> list[object]:
        record = facts_of_session(session, amendments)  # type: ignore[arg-type]
        flipped = "ggz" if record[-1] == "sociaal_domein" else "sociaal_domein"
        return [*record[:-1], flipped]

    with Store.unlock(vault, PASSPHRASE) as store:
        # written as the current format: verify compares them with the sessions
        store.complete_facts(other_setting, FACTS_FORMAT + 100)
        store.complete_facts(other_setting, FACTS_FORMAT)
    code, out, err = run_cli(
        YEAR_EXPORT, "verify", "--lang", "en", "--data-dir", vault, "--passphrase-stdin"
    )
    assert code != 0
    assert "what it counts" in out + err


def test_periods_released_before_the_split_re_export_byte_for_byte(tmp_path: Path) -> None:
    """A vault made with the code of 7b778f0 (facts without the setting; January-March 2026
    and Q1 released on 9 April): every file re-exported now is the file it wrote then, and
    its facts records are made again with the setting. Three months later, Q2 (all its
    months frozen after the split came) carries the split; Q1 and the months do not."""
    vault = tmp_path / "vault"
    shutil.copytree(DATA / "vault", vault)
    when = datetime(2026, 4, 9, 18, 0, tzinfo=AMSTERDAM)
    for name, options in (
        ("month.csv", ("--period", "month")),
        ("quarter.csv", ("--period", "quarter")),
        ("quarter.json", ("--period", "quarter", "--format", "json")),
        ("month-semicolon.csv", ("--period", "month", "--delimiter", ";")),
    ):
        path = export(vault, when, tmp_path / name, *options)
        assert path.read_bytes() == (DATA / name).read_bytes(), name
    with Store.unlock(vault, PASSPHRASE) as store:
        assert {r.facts[-1] for r in store.iter_facts()} == {"ggz"}
        assert store.read_release_ledger() == json.loads((DATA / "ledger.json").read_text())

    later = datetime(2026, 7, 9, 18, 0, tzinfo=AMSTERDAM)
    quarter = disclosure.read_release(
        export(vault, later, tmp_path / "q2.csv", "--period", "quarter")
    )
    before = disclosure.read_release(DATA / "quarter.csv")
    assert {cell: v for cell, v in quarter.cells.items() if cell[0] == "2026-Q1"} == before.cells
    q2 = {key: v for (row, key), v in quarter.cells.items() if row == "2026-Q2"}
    assert q2[split_key("ggz", "intakes")] == q2["intakes"] == "<5"  # April's 3 intakes, all GGZ
    assert q2[split_key("sociaal_domein", "intakes")] == 0
    months = disclosure.read_release(export(vault, later, tmp_path / "m.csv", "--period", "month"))
    assert not any("/" in key for _row, key in months.cells)
    old_months = disclosure.read_release(DATA / "month.csv").cells
    assert {cell: v for cell, v in months.cells.items() if cell in old_months} == old_months
