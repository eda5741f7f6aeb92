"""The session in progress and its draft, references, settings, the passphrase hint and the
plans a clinician can choose: the application layer's plain parts (no app started)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kindcheck.followup.policy import NO_PLAN, RHYTHM_RULES, build_plan
from kindcheck.passphrase import acceptable, strength
from kindcheck.service.demo import DemoClient, demo_intake
from kindcheck.service.intake import (
    DraftUnreadable,
    Intake,
    ReferenceInvalid,
    check_name,
    check_reference,
    estimated_ages,
)
from kindcheck.settings import Settings, SettingsError, load_settings

DAY = date(2026, 11, 25)
TODAY = DAY


def answered_intake(children: int = 2, problems: frozenset[str] = frozenset()) -> Intake:
    client = DemoClient(
        "EPD-1", 0, children=tuple((5 + n, "always") for n in range(children)), problems=problems
    )
    return demo_intake(client, DAY)


@pytest.mark.parametrize("text", ["EPD-123456", "P-77", "abc1", "  EPD_9  "])
def test_references_that_are_accepted(text: str):
    assert check_reference(text) == text.strip()


@pytest.mark.parametrize(
    "text", ["", "   ", "Jan Jansen", "jansen", "EPD 12", "[red]1[/]", "a\x1b1", "x" * 70 + "1"]
)
def test_references_that_are_refused(text: str):
    with pytest.raises(ReferenceInvalid):
        check_reference(text)


def test_a_name_is_optional_and_cleaned():
    assert check_name("  ") is None
    assert check_name(" Jan \x1b[2J  Jansen ") == "Jan [2J Jansen"
    with pytest.raises(ReferenceInvalid):
        check_name("x" * 201)


def test_the_scan_is_paged_by_domain_in_the_file_order():
    intake = Intake("EPD-1", "ggz", DAY, version=1)
    pages = intake.scan_pages()
    domains = [d.id for d in intake.scan_questionnaire.domains]
    assert [p.domain_id for p in pages] == domains
    assert all(step.question.domain == page.domain_id for page in pages for step in page.steps)
    assert sum(len(page.steps) for page in pages) == len(intake.scan.steps())


def test_no_children_and_no_pregnancy_close_the_check_and_skip_the_scan():
    intake = Intake("EPD-1", "sociaal_domein", DAY, version=1)
    first = intake.kindcheck.steps()[0]
    intake.kindcheck.answer(first, "no")
    intake.kindcheck.answer(intake.kindcheck.first_unanswered(), "no")
    assert intake.check_closed()
    session = intake.session_dict()
    assert [part["id"] for part in session["questionnaires"]] == ["kindcheck"]
    assert intake.outcome().check_closed


def test_the_draft_round_trips_and_resumes_where_it_was():
    intake = answered_intake(problems=frozenset({"fin_debts", "won_too_small"}))
    intake.phase, intake.position = "scan", "wonen"
    intake.pending_text = {"care_takeover": "Oma"}
    intake.meldcode_steps = {"consult": "2026-11-25"}
    intake.suggested = {"psy_reason_for_care"}
    intake.rhythm, intake.rhythm_changed = "weeks4", True
    again = Intake.from_payload(intake.draft_id, intake.to_payload())
    assert again.to_payload() == intake.to_payload()
    assert again.problem_domain_ids() == ["financien", "wonen"]
    assert again.scan_page_index("wonen") == 2


def test_a_draft_that_does_not_fit_is_refused_or_trimmed():
    with pytest.raises(DraftUnreadable):
        Intake.from_payload("x", {"format": 99})
    with pytest.raises(DraftUnreadable):
        Intake.from_payload("x", {"format": 1, "kind": "intake", "client": {}})
    payload = answered_intake().to_payload()
    payload["answers"]["kindcheck"]["answers"]["child_count"] = "many"  # no longer fits
    payload["answers"]["kindcheck"]["answers"]["not_a_question"] = "yes"
    again = Intake.from_payload("x", payload)
    assert "child_count" not in again.kindcheck.answers
    assert "not_a_question" not in again.kindcheck.answers
    payload["answers"]["kindcheck"]["version"] = 99
    with pytest.raises(DraftUnreadable):
        Intake.from_payload("x", payload)


def test_the_child_label_and_age_for_the_context_line():
    intake = answered_intake(children=2)
    step = next(s for s in intake.kindcheck.steps() if s.item == 1)
    assert intake.child_label(step, "nl") == "Kind 2"
    assert intake.child_label(step, "en") == "Child 2"
    assert intake.child_age(1) == 6 and intake.child_age(5) is None


@pytest.mark.parametrize(
    ("passphrase", "level"),
    [
        ("", "empty"),
        ("kort", "too_short"),
        ("aaaaaaaaaaaaaaaa", "weak"),
        ("groene appel fiets regen", "strong"),
        ("tamelijklang", "fair"),
    ],
)
def test_the_passphrase_hint(passphrase: str, level: str):
    assert strength(passphrase) == level
    assert acceptable(passphrase) == (level in ("fair", "strong"))


def test_settings_from_file_environment_and_arguments(tmp_path: Path):
    (tmp_path / "settings.toml").write_text('idle_lock_minutes = 5\nlang = "en"\nnew_key = 1\n')
    env = {"KINDCHECK_CONFIG_DIR": str(tmp_path)}
    settings = load_settings(env)
    assert (settings.idle_lock_minutes, settings.lang) == (5, "en")
    assert settings.extra == {"new_key": "1"}
    env["KINDCHECK_IDLE_LOCK_MINUTES"] = "2"
    env["KINDCHECK_CURSOR_BLINK"] = "off"
    settings = load_settings(env, lang="nl", data_dir=tmp_path / "v", demo=True)
    assert (settings.idle_lock_minutes, settings.lang, settings.cursor_blink) == (2, "nl", False)
    assert settings.data_dir == tmp_path / "v" and settings.demo
    assert Settings().idle_lock_minutes == 10 and Settings().lang == "nl"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("idle_lock_minutes = 0", "idle_lock_minutes"),
        ('lang = "de"', "lang"),
        ("idle_lock_minutes = [", "TOML"),
        ('cursor_blink = "maybe"', "cursor_blink"),
    ],
)
def test_settings_that_cannot_be_used_name_their_field(tmp_path: Path, content: str, field: str):
    (tmp_path / "settings.toml").write_text(content)
    with pytest.raises(SettingsError, match=field):
        load_settings({"KINDCHECK_CONFIG_DIR": str(tmp_path)})


def test_plans_in_every_rhythm_the_clinician_can_choose():
    intake = answered_intake(children=1)  # one child of 5
    session, outcome = intake.session(), intake.outcome()
    assert build_plan(session, outcome, NO_PLAN) is None
    for rhythm in RHYTHM_RULES:
        plan = build_plan(session, outcome, rhythm)
        assert plan is not None and plan.start > DAY
        assert plan.ends_on == date(2039, 11, 25)  # 18 - 5 = 13 years after the intake
    assert build_plan(session, outcome, "weeks4").start == date(2026, 12, 23)


def test_without_a_data_dir_the_platform_folder_is_used(monkeypatch: pytest.MonkeyPatch):
    from kindcheck.settings import default_data_dir

    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)
    settings = load_settings({})
    assert settings.data_dir is None
    assert settings.resolved_data_dir() == default_data_dir()


def test_ages_move_on_and_adults_drop_out():
    seen = date(2025, 11, 1)
    assert estimated_ages([(4, None), (17, None)], seen, TODAY) == [5]
    assert estimated_ages([(4, None)], date(2026, 11, 26), TODAY) == [4]
    assert estimated_ages([(None, date(2016, 11, 26))], seen, TODAY) == [9]
    assert estimated_ages([(None, date(2016, 11, 25))], seen, TODAY) == [10]


def test_the_session_in_progress_is_written_as_the_answers_file_of_its_session():
    """One writer of the answers-file format: the dict of the session in progress is the one
    its validated Session writes, for an intake, a closed check and a follow-up."""
    intake = answered_intake(problems=frozenset({"fin_debts"}))
    intake.name = "Jan Jansen"
    closed = Intake("EPD-2", "sociaal_domein", DAY, version=1)
    closed.kindcheck.answer(closed.kindcheck.steps()[0], "no")
    closed.kindcheck.answer(closed.kindcheck.first_unanswered(), "no")
    followup = Intake.followup("EPD-3", "ggz", DAY, child_ages=[4])
    index = 0
    while index < len(steps := followup.main.steps()):
        step, index = steps[index], index + 1
        question = step.question
        if followup.main.get(step) is not None:
            continue
        if question.type == "yesno":
            followup.main.answer(step, "no")
        elif question.type == "multi":
            followup.main.answer(step, [question.options[0].id])
        elif question.options:
            followup.main.answer(step, question.options[0].id)
        # free text and dates stay empty
    for session in (intake, closed, followup):
        written = session.session_dict()
        assert written == session.session().to_dict()
        assert list(written) == [
            "format",
            "format_version",
            "kind",
            "client",
            "setting",
            "date",
            "questionnaires",
        ]
    assert intake.session_dict()["client"] == {"reference": "EPD-1", "name": "Jan Jansen"}
