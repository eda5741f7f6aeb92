"""The release ledger end to end: what `kindcheck export`, `team-key` and `merge` promise
across files (issue 14).

- a re-export of released periods is byte for byte the first file, also after new sessions;
- a session typed in later for an earlier date (backdated) changes no released cell: periods
  are the months sessions were *recorded* in;
- only closed periods are released (the month's end + 7 days), there is no total row;
- the threshold is the vault's: set once, raised explicitly, never lowered; rounding refused;
- a ledger put back from an older copy of the vault is refused;
- the team key is protected by a passphrase asked twice; merge asks it, refuses a wrong one
  and an unprotected key; the team ledger refuses a merge of other laptops for a period it
  released, and team files carry their export date;
- CSV with ';' writes shares with a decimal comma.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli
from kindcheck.answers import session_from_dict
from kindcheck.export.teamfile import open_team_files
from kindcheck.followup import AMSTERDAM
from kindcheck.outcome import compute_outcome
from kindcheck.service.recording import record_session
from kindcheck.store import DB_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

TWICE = f"{PASSPHRASE}\n{PASSPHRASE}\n"


def at(day: date, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


def record(folder: Path, reference: str, held: date, recorded: date, **options: object) -> None:
    """One intake held on ``held``, typed in on ``recorded``."""
    with time_machine.travel(at(recorded), tick=False), Store.unlock(folder, PASSPHRASE) as store:
        session = session_from_dict(make_answers(reference, when=held, **options))  # type: ignore[arg-type]
        record_session(store, session, compute_outcome(session))


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Intakes recorded on their own day: 7 in January 2026 (one with a signal), 6 in
    February, 2 in March, each with 2 children and some problem domains."""
    folder = tmp_path_factory.mktemp("ledger") / "vault"
    with time_machine.travel(at(date(2025, 12, 20)), tick=False):
        Store.create(folder, PASSPHRASE, "t.tester")[0].close()
    number = 0
    for month, count in ((1, 7), (2, 6), (3, 2)):
        for day in range(count):
            number += 1
            held = date(2026, month, 2 + day)
            record(
                folder, f"EPD-8{number:04d}", held, held, signal=number == 3, problems=number % 4
            )
    return folder


@pytest.fixture
def vault(filled: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(filled, folder)
    return folder


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    when: datetime,
    *argv: str | Path,
    stdin: str = f"{PASSPHRASE}\n",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    command, *rest = (str(arg) for arg in argv)
    with time_machine.travel(when, tick=False):
        code = cli.main([command, "--lang", "en", *rest])
    out, err = capsys.readouterr()
    return code, out, err


def export(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vault: Path,
    when: datetime,
    target: Path,
    *options: str,
) -> tuple[int, str]:
    code, _out, err = run(
        monkeypatch,
        capsys,
        when,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        *options,
        "-o",
        target,
    )
    return code, err


def rows_of(path: Path) -> dict[tuple[str, str], str]:
    text = path.read_text("utf-8")
    body = text[text.index("period,measure") :]
    reader = csv.reader(io.StringIO(body))
    next(reader)
    return {(r[0], f"{r[1]}:{r[2]}" if r[2] else r[1]): r[3] for r in reader}


def test_only_closed_months_are_released_and_there_is_no_total(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 7 March: February has ended, but its follow-up window has not (it closes on 8 March)
    target = tmp_path / "march7.csv"
    assert (
        export(monkeypatch, capsys, vault, at(date(2026, 3, 7)), target, "--period", "month")[0]
        == 0
    )
    rows = {row for row, _key in rows_of(target)}
    assert rows == {"2026-01"}
    later = tmp_path / "march8.csv"
    assert (
        export(monkeypatch, capsys, vault, at(date(2026, 3, 8)), later, "--period", "month")[0] == 0
    )
    assert {row for row, _key in rows_of(later)} == {"2026-01", "2026-02"}
    # no running total row (a due total within a month's row is a category, not a period)
    assert not any(row.startswith("total") for row, _key in rows_of(later))
    assert "\ntotal," not in later.read_text("utf-8")
    cells = rows_of(later)
    assert cells[("2026-01", "intakes")] == "7" and cells[("2026-02", "intakes")] == "6"
    # the quarter closes with March: none yet
    quarter = tmp_path / "q.csv"
    assert export(monkeypatch, capsys, vault, at(date(2026, 3, 8)), quarter)[0] == 0
    assert rows_of(quarter) == {}


def test_a_re_export_is_the_first_file_byte_for_byte_and_backdating_changes_nothing(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.csv"
    assert (
        export(monkeypatch, capsys, vault, at(date(2026, 3, 10)), first, "--period", "month")[0]
        == 0
    )
    # new sessions in the open month, and one typed in today for a January date
    record(vault, "EPD-90001", date(2026, 3, 10), date(2026, 3, 11))
    record(vault, "EPD-90002", date(2026, 1, 15), date(2026, 3, 12), signal=True, problems=3)
    again = tmp_path / "again.csv"
    assert (
        export(monkeypatch, capsys, vault, at(date(2026, 3, 20)), again, "--period", "month")[0]
        == 0
    )
    assert again.read_bytes() == first.read_bytes()
    for file_format in ("json",):
        one, two = tmp_path / "one.json", tmp_path / "two.json"
        export(
            monkeypatch,
            capsys,
            vault,
            at(date(2026, 3, 21)),
            one,
            "--format",
            file_format,
            "--period",
            "month",
        )
        record(vault, "EPD-90003", date(2026, 2, 3), date(2026, 3, 22))
        export(
            monkeypatch,
            capsys,
            vault,
            at(date(2026, 3, 23)),
            two,
            "--format",
            file_format,
            "--period",
            "month",
        )
        assert one.read_bytes() == two.read_bytes()
    # once March closes, the file grows by March; January and February are as first released
    april = tmp_path / "april.csv"
    assert (
        export(monkeypatch, capsys, vault, at(date(2026, 4, 9)), april, "--period", "month")[0] == 0
    )
    grown = rows_of(april)
    assert {row for row, _key in grown} == {"2026-01", "2026-02", "2026-03"}
    for cell, value in rows_of(first).items():
        assert grown[cell] == value, cell
    # the backdated intakes count in March, the month they were recorded in
    assert grown[("2026-03", "intakes")] in ("5", "x")


def test_the_threshold_is_the_vaults_raised_only_and_rounding_is_refused(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    when = at(date(2026, 4, 9))
    assert export(monkeypatch, capsys, vault, when, tmp_path / "a.csv", "--min-cell", "5")[0] == 0
    code, err = export(monkeypatch, capsys, vault, when, tmp_path / "b.csv", "--min-cell", "3")
    assert code == 1 and "minimum cell size of 5" in err and "compared" in err
    assert not (tmp_path / "b.csv").exists()
    code, err = export(monkeypatch, capsys, vault, when, tmp_path / "c.csv", "--min-cell", "10")
    assert code == 1 and "--raise-min-cell 10" in err
    code, err = export(monkeypatch, capsys, vault, when, tmp_path / "d.csv", "--round")
    assert code == 2 and "rounding is no longer offered" in err
    assert not (tmp_path / "d.csv").exists()
    assert (
        export(monkeypatch, capsys, vault, when, tmp_path / "e.csv", "--raise-min-cell", "10")[0]
        == 0
    )
    # periods released before keep their own threshold: the same file
    assert (tmp_path / "e.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    assert export(monkeypatch, capsys, vault, when, tmp_path / "f.csv", "--min-cell", "10")[0] == 0
    code, err = export(
        monkeypatch, capsys, vault, when, tmp_path / "g.csv", "--raise-min-cell", "5"
    )
    assert code == 1 and "never lowered" in err


def test_the_ledger_is_encrypted_and_an_older_copy_is_refused(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(monkeypatch, capsys, vault, at(date(2026, 3, 10)), tmp_path / "a.csv")[0] == 0
    with sqlite3.connect(vault / DB_NAME) as conn:
        (older,) = conn.execute("SELECT value FROM meta WHERE name = 'releases'").fetchone()
    assert b"intakes" not in older and b"2026-01" not in older
    assert export(monkeypatch, capsys, vault, at(date(2026, 4, 9)), tmp_path / "b.csv")[0] == 0
    with sqlite3.connect(vault / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'releases'", (older,))
    code, err = export(monkeypatch, capsys, vault, at(date(2026, 4, 10)), tmp_path / "c.csv")
    assert code == 1 and "older than the one this vault last wrote" in err
    assert not (tmp_path / "c.csv").exists()


def test_semicolon_csv_writes_shares_with_a_decimal_comma(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    when = at(date(2026, 4, 9))
    comma, semicolon = tmp_path / "comma.csv", tmp_path / "semicolon.csv"
    export(monkeypatch, capsys, vault, when, comma, "--period", "month")
    export(monkeypatch, capsys, vault, when, semicolon, "--period", "month", "--delimiter", ";")
    text = semicolon.read_text("utf-8")
    body = list(csv.reader(io.StringIO(text[text.index("period;") :]), delimiter=";"))
    shares = [row[3] for row in body[1:] if row[1] == "kindcheck_completed_share"]
    assert shares and all("." not in s for s in shares)
    assert any("," in s for s in shares) or all(s in ("1", "0", "x", "") for s in shares)
    plain = [v for (_r, k), v in rows_of(comma).items() if k == "kindcheck_completed_share"]
    assert [s.replace(",", ".") for s in shares] == plain


# ---------------------------------------------------------------------------------------------
# Team key and team ledger


def make_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    folder.mkdir()
    code, _out, err = run(
        monkeypatch,
        capsys,
        at(date(2026, 4, 9)),
        "team-key",
        "--passphrase-stdin",
        "-o",
        folder,
        stdin=TWICE,
    )
    assert code == 0, err


def team_file(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vault: Path,
    keys: Path,
    target: Path,
    when: datetime,
) -> None:
    code, err = export(
        monkeypatch, capsys, vault, when, target, "--team-key", str(keys / "team-public.pem")
    )
    assert code == 0, err


def merge(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keys: Path,
    target: Path,
    *files: Path,
    passphrase: str = PASSPHRASE,
) -> tuple[int, str]:
    code, _out, err = run(
        monkeypatch,
        capsys,
        at(date(2026, 4, 10)),
        "merge",
        *files,
        "--key",
        keys / "team-private.pem",
        "--passphrase-stdin",
        "--period",
        "month",
        "-o",
        target,
        stdin=f"{passphrase}\n",
    )
    return code, err


def test_the_team_key_is_protected_by_a_passphrase_asked_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    code, _out, err = run(
        monkeypatch,
        capsys,
        at(date(2026, 4, 9)),
        "team-key",
        "--passphrase-stdin",
        "-o",
        keys,
        stdin=f"{PASSPHRASE}\n{PASSPHRASE}x\n",
    )
    assert code != 0 and err.strip() and not (keys / "team-private.pem").exists()
    code, _out, err = run(
        monkeypatch,
        capsys,
        at(date(2026, 4, 9)),
        "team-key",
        "--passphrase-stdin",
        "-o",
        keys,
        stdin="short\nshort\n",
    )
    assert code != 0 and not (keys / "team-private.pem").exists()
    code, _out, err = run(
        monkeypatch,
        capsys,
        at(date(2026, 4, 9)),
        "team-key",
        "--passphrase-stdin",
        "-o",
        keys,
        stdin=TWICE,
    )
    assert code == 0, err
    pem = (keys / "team-private.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem


def test_merge_asks_the_key_passphrase_and_refuses_an_unprotected_key(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kindcheck.export import make_team_keypair

    keys = tmp_path / "keys"
    make_keys(monkeypatch, capsys, keys)
    laptop = tmp_path / "laptop.kteam"
    team_file(monkeypatch, capsys, vault, keys, laptop, at(date(2026, 4, 9)))
    code, err = merge(
        monkeypatch, capsys, keys, tmp_path / "m.csv", laptop, passphrase="wrong passphrase!"
    )
    assert code == 1 and "wrong passphrase" in err and not (tmp_path / "m.csv").exists()
    plain = tmp_path / "plain"
    plain.mkdir()
    private, public = make_team_keypair()
    (plain / "team-private.pem").write_bytes(private)
    (plain / "team-public.pem").write_bytes(public)
    code, err = merge(monkeypatch, capsys, plain, tmp_path / "n.csv", laptop)
    assert code == 1 and "not protected by a passphrase" in err
    code, err = merge(monkeypatch, capsys, keys, tmp_path / "m.csv", laptop)
    assert code == 0, err
    assert (keys / "team-ledger.kcl").exists()
    assert b"intakes" not in (keys / "team-ledger.kcl").read_bytes()


def test_team_files_carry_their_date_and_the_team_ledger_refuses_other_laptops(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    with time_machine.travel(at(date(2025, 12, 20)), tick=False):
        Store.create(other, PASSPHRASE, "t.other")[0].close()
    for number in range(6):
        held = date(2026, 1, 5 + number)
        record(other, f"EPD-7{number:04d}", held, held, problems=number % 3)
    keys = tmp_path / "keys"
    make_keys(monkeypatch, capsys, keys)
    a, b = tmp_path / "a.kteam", tmp_path / "b.kteam"
    team_file(monkeypatch, capsys, vault, keys, a, at(date(2026, 4, 9)))
    team_file(monkeypatch, capsys, other, keys, b, at(date(2026, 4, 9)))
    opened = open_team_files(
        [("a", a.read_bytes()), ("b", b.read_bytes())],
        (keys / "team-private.pem").read_bytes(),
        PASSPHRASE,
    )
    assert [item.exported_on for item in opened] == ["2026-04-09", "2026-04-09"]
    assert [item.months[-1] for item in opened if item.months] == ["2026-03", "2026-03"]
    both = tmp_path / "both.csv"
    assert merge(monkeypatch, capsys, keys, both, a, b)[0] == 0
    again = tmp_path / "again.csv"
    assert merge(monkeypatch, capsys, keys, again, a, b) == (0, "")
    assert again.read_bytes() == both.read_bytes()
    code, err = merge(monkeypatch, capsys, keys, tmp_path / "only-a.csv", a)
    assert code == 1 and "2026-01 was released" in err and "compared" in err
    assert not (tmp_path / "only-a.csv").exists()
    cells = rows_of(both)
    assert "total" not in {row for row, _key in cells}
    assert json.dumps(sorted({row for row, _key in cells})) == '["2026-01", "2026-02", "2026-03"]'


def test_a_json_export_validates_against_schema_2(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import jsonschema

    from kindcheck.export.formats import release_schema

    when = at(date(2026, 4, 9))
    for period in ("month", "quarter"):
        target = tmp_path / f"{period}.json"
        assert (
            export(
                monkeypatch, capsys, vault, when, target, "--format", "json", "--period", period
            )[0]
            == 0
        )
        document = json.loads(target.read_text("utf-8"))
        jsonschema.validate(document, release_schema())
        assert document["schema_version"] == 2 and document["rows"]
