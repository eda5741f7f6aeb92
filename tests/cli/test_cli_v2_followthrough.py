"""Issue 12 end to end through the command line: version-2 sessions recorded with `kindcheck
record`, events that make the Kindcheck due again, questions to ask again, warm hand-offs, the
professional group (`init --professional-group`), and the REASON column of `kindcheck due`."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from support.vault import PASSPHRASE

from kindcheck import cli
from kindcheck.followup import AMSTERDAM
from kindcheck.service.vault_service import open_service
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str | Path
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def at(day: str) -> time_machine.travel:
    return time_machine.travel(datetime.fromisoformat(day).replace(hour=9, tzinfo=AMSTERDAM))


@pytest.fixture
def vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    folder = tmp_path / "vault"
    code, _out, err = run(
        monkeypatch, capsys, "init", "--data-dir", folder, "--passphrase-stdin", "--user", "t"
    )
    assert code == 0, err
    return folder


def record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], vault: Path, name: str
) -> str:
    code, out, err = run(
        monkeypatch,
        capsys,
        "--lang",
        "en",
        "record",
        EXAMPLES / name,
        "--data-dir",
        vault,
        "--passphrase-stdin",
    )
    assert code == 0, err
    return out


def due(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], vault: Path, *more: str
) -> list[str]:
    code, out, err = run(
        monkeypatch, capsys, "--lang", "en", "due", "--data-dir", vault, "--passphrase-stdin", *more
    )
    assert code == 0, err
    return out.splitlines()


def test_an_admission_makes_the_kindcheck_due_at_once_whatever_the_plan(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(monkeypatch, capsys, vault, "children-no-problems.json")  # v1, every 3 months
    with at("2027-01-12"):
        assert due(monkeypatch, capsys, vault) == ["No follow-up conversations due or overdue now."]
        out = record(monkeypatch, capsys, vault, "v2-event-admission.json")
        assert "due again, by 2027-01-12" in out
        lines = due(monkeypatch, capsys, vault)
    assert lines[0].endswith("|REASON")
    assert len(lines) == 2
    assert lines[1].startswith("due|2027-01-12||EPD-100002|KC-")
    assert lines[1].endswith("|kindcheck:admission")
    # The plan's own next conversation is still 2 February, and listed with --all.
    with at("2027-01-12"):
        everything = due(monkeypatch, capsys, vault, "--all")
    assert any(line.startswith("upcoming|2027-02-02|") for line in everything)


def test_a_version_2_followup_after_the_event_clears_it_and_records_its_own_events(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(monkeypatch, capsys, vault, "children-no-problems.json")
    with at("2027-01-12"):
        record(monkeypatch, capsys, vault, "v2-event-admission.json")
    with at("2027-01-14"):
        out = record(monkeypatch, capsys, vault, "v2-followup-after-admission.json")
        lines = due(monkeypatch, capsys, vault, "--json")
    assert "Recorded as an event: Admission" in out
    items = json.loads("\n".join(lines))["items"]
    assert [item["reason"] for item in items if item["reason"] != "followup"] == []
    service = open_service(vault)
    service.unlock(PASSPHRASE)
    with service:
        client = service.overview().clients[0]
        detail = service.client(client.client_id)
    sources = sorted(event.source.split(":")[0] for event in detail.events)
    assert sources == ["client_page", "session"]  # the event file, and the follow-up's own
    assert detail.due == ()


def test_unknown_children_are_asked_again_on_the_due_list(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with at("2026-11-02"):
        out = record(monkeypatch, capsys, vault, "v2-unknown-children.json")
    assert "No follow-up about the children needed" not in out
    assert "ask again by 2026-11-16" in out
    with at("2026-11-15"):
        assert due(monkeypatch, capsys, vault)[0].startswith("No follow-up")
    with at("2026-11-16"):
        lines = due(monkeypatch, capsys, vault)
    assert lines[1:] == [lines[1]]
    assert lines[1].startswith("due|2026-11-16||")
    assert lines[1].endswith("|reask:has_minor_children")


def test_a_recorded_hand_off_is_open_and_the_next_followup_asks_whether_it_started(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(monkeypatch, capsys, vault, "v2-flag-handoff.json")
    service = open_service(vault)
    service.unlock(PASSPHRASE)
    with service:
        client_id = service.overview().clients[0].client_id
        detail = service.client(client_id)
        start = service.followup_start(client_id)
    assert [(h.option, h.status) for h in detail.handoffs] == [("home_start", "open")]
    assert start.previous is not None and start.previous.open_handoffs == 1
    from kindcheck.service.intake import Intake

    followup = Intake.followup(
        start.reference, start.setting, detail.last_held, previous=start.previous
    )
    assert any(step.question.id == "handoff_started" for step in followup.main.steps())
    without = Intake.followup(start.reference, start.setting, detail.last_held)
    assert all(step.question.id != "handoff_started" for step in without.main.steps())


def test_the_professional_group_names_its_afwegingskader_on_the_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "vault"
    code, _out, err = run(
        monkeypatch, capsys, "init", "--data-dir", folder, "--passphrase-stdin",
        "--professional-group", "arts",
    )  # fmt: skip
    assert code == 0, err
    out = record(monkeypatch, capsys, folder, "v2-violence-no-children.json")
    assert "KNMG meldcode" in out
    other = tmp_path / "other"
    run(monkeypatch, capsys, "init", "--data-dir", other, "--passphrase-stdin")
    out = record(monkeypatch, capsys, other, "v2-violence-no-children.json")
    assert "Fill in your professional group" in out
    assert "KNMG" not in out


def test_an_unknown_professional_group_is_refused_before_anything_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "vault"
    code, _out, err = run(
        monkeypatch, capsys, "--lang", "en", "init", "--data-dir", folder, "--passphrase-stdin",
        "--professional-group", "huisarts\x1b[31m",
    )  # fmt: skip
    assert code == 2
    assert "unknown professional group 'huisarts[31m'" in err
    assert "\x1b" not in err
    assert not folder.exists()


def test_the_cli_knows_the_guides_professional_groups() -> None:
    from kindcheck.cli.vault import PROFESSIONAL_GROUPS
    from kindcheck.questionnaire import load_guide

    assert tuple(group.id for group in load_guide(2).groups) == PROFESSIONAL_GROUPS


def test_an_event_for_a_client_not_in_the_vault_is_refused(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(
        monkeypatch, capsys, "--lang", "en", "record", EXAMPLES / "v2-event-admission.json",
        "--data-dir", vault, "--passphrase-stdin",
    )  # fmt: skip
    assert code == 1
    assert "no client EPD-100002" in err
