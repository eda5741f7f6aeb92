"""The answers file, the examples, and the `kindcheck outcome` command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from kindcheck import __version__
from kindcheck.answers import EventRecord, read_answers_file, read_record_file, session_from_dict
from kindcheck.cli import main
from kindcheck.errors import AnswersError
from kindcheck.followup import (
    RecordedEvent,
    kindchecks_due,
    next_occurrence,
    plan_after_session,
    session_record,
)
from kindcheck.i18n import LANGUAGES, catalog
from kindcheck.outcome import compute_outcome, outcome_lines, outcome_to_json
from kindcheck.questionnaire import load_guide, load_shipped

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text("utf-8"))


def load(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def test_every_example_has_an_expected_outcome() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.json") if p.name != "expected.json") == sorted(
        EXPECTED
    )


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "event" not in EXPECTED[n]))
def test_example_matches_its_expected_outcome(name: str) -> None:
    session = read_answers_file(EXAMPLES / name)
    outcome = compute_outcome(session)
    data = outcome_to_json(outcome)
    expected = EXPECTED[name]
    assert data["check_closed"] == expected["check_closed"]
    assert data["problem_domains"] == expected["problem_domains"]
    assert data["parenting_support_flag"] == expected["parenting_support_flag"]
    assert [s["id"] for s in data["safety_signals"]] == expected["safety_signals"]
    assert len(data["children"]) == expected["children"]
    assert data["followup_rhythm"] == expected["followup_rhythm"]
    if "first_lines" not in expected:  # a version-1 example
        assert data["version"] == 1 and not data["acute"] and not data["concerns"]
        return
    guide = load_guide(2)
    lines = {"acute": guide.acute_line.nl, "veilig_thuis": guide.veilig_thuis_line.nl}
    assert data["acute"] == [lines[key] for key in expected["first_lines"]]
    assert outcome_lines(outcome)[: len(expected["first_lines"])] == [
        f"!! {lines[key]}" for key in expected["first_lines"]
    ]
    assert [c["id"] for c in data["concerns"]] == expected["concerns"]
    assert [
        item["question"] + ("" if item["item"] is None else f"[{item['item']}]")
        for item in data["open_items"]
    ] == expected["open_items"]
    assert {
        item["question"]: item["reask_on"] for item in data["open_items"] if item["reask_on"]
    } == expected.get("reask", {})
    assert data["handoffs_offered"] == expected["handoffs_offered"]
    assert data["scp_area_count"] == expected["scp_area_count"]
    assert [h.option for h in session.handoffs] == expected.get("handoffs_recorded", [])
    assert data["events"] == expected.get("events_recorded", [])


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "event" in EXPECTED[n]))
def test_an_event_example_makes_the_kindcheck_due_until_a_v2_session_repeats_it(
    name: str,
) -> None:
    """The event re-opens the Kindcheck at once, before the plan's next date, and the v2
    follow-up named in expected.json clears it."""
    expected = EXPECTED[name]
    event = read_record_file(EXAMPLES / name)
    assert isinstance(event, EventRecord) and event.event == expected["event"]
    catalog = load_shipped("kindcheck").catalog
    assert catalog is not None
    due_days = {e.id: e.due_days for e in catalog.events}
    before = read_answers_file(EXAMPLES / expected["after"])
    assert before.client_reference == event.client_reference
    before_outcome = compute_outcome(before)
    planned = plan_after_session(None, before_outcome, before.session_date)
    assert planned is not None
    first_planned = next_occurrence(planned[0], datetime.combine(before.session_date, time()))
    records = [session_record(before.to_dict(), outcome_to_json(before_outcome))]
    recorded = [RecordedEvent(event.event, event.on)]
    due = kindchecks_due(recorded, due_days, records)
    assert [(d.event, d.due_on.isoformat()) for d in due] == [
        (expected["event"], expected["kindcheck_due_on"])
    ]
    assert first_planned is not None and due[0].due_on < first_planned.date()
    after = read_answers_file(EXAMPLES / expected["cleared_by"])
    assert after.client_reference == event.client_reference
    records.append(session_record(after.to_dict(), outcome_to_json(compute_outcome(after))))
    assert kindchecks_due(recorded, due_days, records) == []


def problems(data: Any) -> list[str]:
    with pytest.raises(AnswersError) as raised:
        session_from_dict(data, "a.json")
    return raised.value.problems


def test_a_typo_in_a_question_id_names_the_place_and_suggests_the_right_one() -> None:
    data = load("two-domains.json")
    scan = data["questionnaires"][1]["answers"]
    scan["fin_arears"] = scan.pop("fin_arrears")
    found = problems(data)
    assert (
        "a.json: questionnaires[1].answers.fin_arears: unknown question in "
        "probleemscan-v1 (did you mean 'fin_arrears'?)"
    ) in found
    assert "a.json: questionnaires[1].answers.fin_arrears: required, not answered" in found


def test_wrong_values_name_field_and_expectation_without_echoing_free_text() -> None:
    data = load("three-or-more-domains.json")
    kindcheck = data["questionnaires"][0]["answers"]
    kindcheck["children"][1]["child_age"] = 19
    kindcheck["care_enough"] = "Mevrouw Jansen zegt van wel"
    kindcheck["children"][0]["child_birth_date"] = "17-05-2024"
    found = problems(data)
    assert (
        "a.json: questionnaires[0].answers.children[1].child_age: expected a number from "
        "0 to 17, got 19"
    ) in found
    assert (
        'a.json: questionnaires[0].answers.care_enough: expected "yes", "no" or "unknown", '
        "got a text"
    ) in found
    assert (
        "a.json: questionnaires[0].answers.children[0].child_birth_date: expected a date as "
        "YYYY-MM-DD, got a text"
    ) in found
    assert not any("Jansen" in p for p in found)


def test_header_problems_are_all_reported() -> None:
    data = load("two-domains.json")
    data["format_version"] = 7
    data["setting"] = "ziekenhuis"
    data["date"] = "2026-13-01"
    data["client"] = {"referense": "x"}
    data["questionnaires"][0]["version"] = 9
    found = problems(data)
    assert "a.json: format_version: expected 1 or 2" in found
    assert 'a.json: setting: expected "ggz" or "sociaal_domein"' in found
    assert "a.json: date: expected a date as YYYY-MM-DD" in found
    assert "a.json: client.referense: unknown field (did you mean 'reference'?)" in found
    assert any("questionnaire 'kindcheck' version 9 is not installed" in p for p in found)


def test_an_intake_with_children_needs_the_scan() -> None:
    data = load("two-domains.json")
    del data["questionnaires"][1]
    assert "a.json: questionnaires: an intake with children needs the 'probleemscan' answers" in (
        problems(data)
    )


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', "utf-8")
    with pytest.raises(AnswersError, match=r"not valid JSON at line 1, column 12"):
        read_answers_file(broken)
    with pytest.raises(AnswersError, match="file not found"):
        read_answers_file(tmp_path / "missing.json")


# -- the command ---------------------------------------------------------------------------------


def test_outcome_json_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outcome", str(EXAMPLES / "three-or-more-domains.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["problem_domain_count"] == 4
    assert data["parenting_support_flag"] is True
    assert {"problem_domains", "safety_signals", "children"} <= set(data)


def test_outcome_for_a_person_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outcome", str(EXAMPLES / "safety-signal.json"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("!! Signals of unsafety")
    assert "0800-2000" in out


def test_bad_answers_file_exits_1_with_message_on_stderr_and_no_traceback(tmp_path: Path) -> None:
    data = load("two-domains.json")
    data["setting"] = "elders"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kindcheck.cli", "outcome", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert 'setting: expected "ggz" or "sociaal_domein"' in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["outcome"])
    assert raised.value.code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out.strip() == f"kindcheck {__version__}"


def test_check_questionnaire_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x-v1.toml"
    bad.write_text('format = 1\nid = "x"\nversion = 1\n', "utf-8")
    assert main(["check-questionnaire", str(bad)]) == 1
    assert "there are no [[questions]]" in capsys.readouterr().err


def test_importing_the_core_and_help_load_neither_textual_nor_sqlmodel() -> None:
    script = (
        "import sys, contextlib, io\n"
        "import kindcheck, kindcheck.cli, kindcheck.outcome, kindcheck.answers\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        kindcheck.cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'sqlmodel', 'sqlalchemy'))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_every_message_has_both_languages() -> None:
    for key, texts in catalog().items():
        for lang in LANGUAGES:
            assert texts.get(lang, "").strip(), (key, lang)


def test_the_app_gets_no_language_unless_asked_so_the_settings_file_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kindcheck.screens.launch as launch

    calls: list[dict[str, Any]] = []

    def fake_run_app(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    monkeypatch.setattr("kindcheck.cli.launch.has_terminal", lambda: True)
    assert main([]) == 0
    assert main(["--lang", "en"]) == 0
    assert main(["demo"]) == 0
    assert [call["lang"] for call in calls] == [None, "en", None]
    assert [call["demo"] for call in calls] == [False, False, True]
