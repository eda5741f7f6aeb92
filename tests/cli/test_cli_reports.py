"""Report commands end to end: due (and the calendar file), export, team-key, merge."""

from __future__ import annotations

import io
import json
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from icalendar import Calendar
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli
from kindcheck.answers import session_from_dict
from kindcheck.followup import AMSTERDAM, occurrences
from kindcheck.outcome import compute_outcome
from kindcheck.service.caseload import calendar_code, followup_statuses
from kindcheck.service.recording import record_session
from kindcheck.store import Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

CANARY_NAME = "Canarynaam Zwaluwstaart"
CANARY_TEXT = "kanarie-vrije-tekst-93"
INTAKE_DAY = date(2026, 3, 2)
LATER = datetime(2026, 9, 1, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault with six clients: stacking, a safety signal, plain children, one followed up."""
    folder = tmp_path_factory.mktemp("reports") / "vault"
    # Recorded on the day they were held, as in practice: the export counts a session in the
    # month it was recorded.
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, tzinfo=AMSTERDAM), tick=False):
        store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store:
        traveller = time_machine.travel(datetime(2026, 3, 2, 18, 0, tzinfo=AMSTERDAM), tick=False)
        traveller.start()
        for number in range(6):
            answers = make_answers(
                f"EPD-70000{number}",
                CANARY_NAME,
                text=CANARY_TEXT,
                when=INTAKE_DAY,
                signal=number == 1,
                problems=3 if number in (0, 2) else number % 2,
            )
            session = session_from_dict(answers)
            record_session(store, session, compute_outcome(session))
        traveller.stop()
        followup = session_from_dict(
            make_answers("EPD-700003", kind="followup", text=CANARY_TEXT, when=date(2026, 6, 1))
        )
        with time_machine.travel(datetime(2026, 6, 1, 18, 0, tzinfo=AMSTERDAM), tick=False):
            record_session(store, followup, compute_outcome(followup))
    return folder


@pytest.fixture
def vault(filled: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(filled, folder)
    return folder


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str | Path,
    stdin: str = f"{PASSPHRASE}\n",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_due_lists_overdue_first_with_calendar_codes(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with time_machine.travel(LATER, tick=False):
        code, out, err = run(
            monkeypatch, capsys, "due", "--data-dir", vault, "--passphrase-stdin", "--lang", "en"
        )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "STATUS|DATE|DAYS LATE|REFERENCE|CALENDAR CODE|REASON"
    states = [line.split("|")[0] for line in lines[1:]]
    # Five plans are overdue by September; the client followed up on 1 June is due again.
    assert states == ["overdue"] * 5 + ["due"]
    assert lines[1].startswith("overdue|2026-03-16|169|EPD-700001|KC-")  # the safety signal
    assert lines[-1].startswith("due|2026-09-02||EPD-700003|")
    assert all(line.endswith("|followup") for line in lines[1:])  # plans only in this vault
    assert CANARY_NAME not in out


def test_due_without_anything_due(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with time_machine.travel(datetime(2026, 3, 3, 9, tzinfo=AMSTERDAM), tick=False):
        code, out, _err = run(
            monkeypatch, capsys, "due", "--data-dir", vault, "--passphrase-stdin", "--lang", "en"
        )
    assert code == 0
    assert out.strip() == "No follow-up conversations due or overdue now."


def test_calendar_file_matches_the_app_dates_and_holds_no_client_data(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ics = tmp_path / "followups.ics"
    with time_machine.travel(LATER, tick=False):
        code, _out, err = run(
            monkeypatch, capsys, "due", "--data-dir", vault, "--passphrase-stdin", "--ics", ics
        )
    assert code == 0, err
    raw = ics.read_bytes()
    for secret in (CANARY_NAME, CANARY_TEXT, "EPD-70000"):
        assert secret.encode() not in raw
    calendar = Calendar.from_ical(raw)
    events = [c for c in calendar.walk("VEVENT")]
    with Store.unlock(vault, PASSPHRASE) as store:
        plans = {
            calendar_code(item.client.id): item.plan.plan
            for item in followup_statuses(store, LATER.date())
        }
    assert {str(e["SUMMARY"]).split()[-1] for e in events} == set(plans)
    from dateutil.rrule import rrulestr

    for event in events:
        code_in_event = str(event["SUMMARY"]).split()[-1]
        plan = plans[code_in_event]
        start = event.decoded("DTSTART")
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        # all-day events (issue 16): the calendar holds the days the app shows
        expanded = [d.date() for d in rule if d.date() <= date(2027, 3, 1)]
        expected = occurrences(plan, plan.start, date(2027, 3, 1))
        assert expanded == [o.date() for o in expected]


def test_existing_calendar_file_needs_force(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ics = tmp_path / "followups.ics"
    ics.write_text("mine")
    code, _out, err = run(
        monkeypatch,
        capsys,
        "--lang",
        "en",
        "due",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--ics",
        ics,
    )
    assert code == 1
    assert "already exists; use --force" in err
    assert ics.read_text() == "mine"


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_writes_suppressed_counts_without_identities(
    vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    file_format: str,
) -> None:
    target = tmp_path / f"counts.{file_format}"
    code, out, err = run(
        monkeypatch,
        capsys,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--format",
        file_format,
        "--min-cell",
        "3",
        "-o",
        target,
    )
    assert code == 0, err
    text = target.read_text("utf-8")
    for secret in (CANARY_NAME, CANARY_TEXT, "EPD-70000", "2026-03-02", "2026-06-01"):
        assert secret not in text
    if file_format == "json":
        data = json.loads(text)
        assert all(row["period"] != "total" for row in data["rows"])  # no running total
        first = next(row for row in data["rows"] if row["period"] == "2026-Q1")
        assert first["intakes"] == 6
        assert first["kindchecks_completed"] == 6
    else:
        assert "intakes" in text
    assert str(target) in out


def test_export_refuses_a_threshold_below_three(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(
        monkeypatch,
        capsys,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--min-cell",
        "2",
        "-o",
        tmp_path / "x.csv",
    )
    assert code == 1
    assert "3" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_team_files_merged_equal_one_export(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    twice = f"{PASSPHRASE}\n{PASSPHRASE}\n"
    assert (
        run(monkeypatch, capsys, "team-key", "--passphrase-stdin", "-o", keys, stdin=twice)[0] == 0
    )
    team_file = tmp_path / "laptop.team"
    code, _out, err = run(
        monkeypatch,
        capsys,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--team-key",
        keys / "team-public.pem",
        "-o",
        team_file,
    )
    assert code == 0, err
    assert CANARY_NAME.encode() not in team_file.read_bytes()
    merged = tmp_path / "merged.json"
    code, _out, err = run(
        monkeypatch,
        capsys,
        "merge",
        team_file,
        "--key",
        keys / "team-private.pem",
        "--passphrase-stdin",
        "--format",
        "json",
        "-o",
        merged,
    )
    assert code == 0, err
    direct = tmp_path / "direct.json"
    run(
        monkeypatch,
        capsys,
        "export",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        "--format",
        "json",
        "-o",
        direct,
    )
    assert json.loads(merged.read_text())["rows"] == json.loads(direct.read_text())["rows"]
    code, _out, err = run(
        monkeypatch,
        capsys,
        "merge",
        team_file,
        team_file,
        "--key",
        keys / "team-private.pem",
        "--passphrase-stdin",
        "-o",
        tmp_path / "twice.csv",
    )
    assert code == 1
    assert "Traceback" not in err and err.strip()


def test_export_and_calendar_file_each_write_one_access_log_entry(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        before = len(store.access_log())
    assert (
        run(
            monkeypatch,
            capsys,
            "export",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            "-o",
            tmp_path / "c.csv",
        )[0]
        == 0
    )
    assert (
        run(
            monkeypatch,
            capsys,
            "due",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            "--ics",
            tmp_path / "c.ics",
        )[0]
        == 0
    )
    with Store.unlock(vault, PASSPHRASE) as store:
        new = store.access_log()[before:]
    assert [(e.action, e.client_reference) for e in new] == [
        ("export", None),
        ("read", None),
        ("export", None),
    ]
    assert new[0].detail.startswith("anonymised counts")
    assert new[2].detail.startswith("calendar file")


def test_semicolon_csv_for_dutch_excel_has_the_same_cells(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    comma, semicolon = tmp_path / "comma.csv", tmp_path / "semicolon.csv"
    assert (
        run(monkeypatch, capsys, "export", "--data-dir", vault, "--passphrase-stdin", "-o", comma)[
            0
        ]
        == 0
    )
    assert (
        run(
            monkeypatch,
            capsys,
            "export",
            "--data-dir",
            vault,
            "--passphrase-stdin",
            "--delimiter",
            ";",
            "-o",
            semicolon,
        )[0]
        == 0
    )
    comma_rows = list(csv.reader(comma.read_text("utf-8").splitlines()))
    semicolon_rows = list(csv.reader(semicolon.read_text("utf-8").splitlines(), delimiter=";"))
    # the same cells; shares with a decimal comma for Dutch Excel (issue 14). A quarter file
    # with the split by setting has a setting column (period, setting, measure, category,
    # value): the measure is the third column from the end, the value the last.
    header = ["period", "setting", "measure", "category", "value"]
    assert header in semicolon_rows

    def is_share(row: list[str]) -> bool:
        return len(row) == len(header) and row[-3].endswith("_share")

    shares = [row[-1] for row in semicolon_rows if is_share(row)]
    assert shares and not any("." in share for share in shares)
    as_points = [
        [*row[:-1], row[-1].replace(",", ".")] if is_share(row) else row for row in semicolon_rows
    ]
    assert as_points == comma_rows
    assert "period;setting;measure;category;value" in semicolon.read_text("utf-8")
