"""Answers that contradict each other are refused by the core, whoever brings them: the app,
``kindcheck outcome`` or ``kindcheck record`` (issue 11, item 2).

A child's age and birth date are both recorded. The birth date wins wherever the core needs an
age (the plan's end, the ages a follow-up proposes), so a typo in either one silently drops a
child out of follow-up. A session whose age and birth date disagree, or whose birth date lies
after the session, must be refused with a message that names the child and both values.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from support.vault import SESSION_DAY, make_answers

from kindcheck import cli
from kindcheck.answers import session_from_dict
from kindcheck.errors import AnswersError
from kindcheck.vault import DEFAULT_KDF, KdfParams

ROOT = Path(__file__).resolve().parents[2]


def answers_with_first_child(age: int, birth_date: str) -> dict[str, Any]:
    """An intake on SESSION_DAY (2026-03-02) with two children; the first as given."""
    data = make_answers("EPD-4242")
    child = data["questionnaires"][0]["answers"]["children"][0]
    child["child_age"] = age
    child["child_birth_date"] = birth_date
    return data


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(AnswersError) as raised:
        session_from_dict(data, "a.json")
    return "\n".join(raised.value.problems)


def test_an_age_that_disagrees_with_the_birth_date_is_refused():
    # Born 01-01-2010: 16 on the session day, recorded as 4.
    message = refusal(answers_with_first_child(4, "2010-01-01"))
    assert "children[0]" in message, message  # which child
    assert re.search(r"\b4\b", message) and "2010-01-01" in message, message  # both values
    assert re.search(r"\b16\b", message), message  # and what the birth date says


def test_a_birth_date_after_the_session_is_refused():
    message = refusal(answers_with_first_child(0, "2026-06-01"))
    assert "children[0]" in message and "2026-06-01" in message, message
    assert SESSION_DAY.isoformat() in message, message


@pytest.mark.parametrize(
    ("age", "birth_date"),
    [
        (5, "2021-03-02"),  # the fifth birthday is the session day
        (4, "2021-03-03"),  # turns 5 the day after
        (0, "2026-03-02"),  # born on the day of the session
        (17, "2008-03-03"),  # 18 tomorrow: still a minor today
    ],
)
def test_an_age_that_fits_the_birth_date_is_accepted(age: int, birth_date: str):
    session = session_from_dict(answers_with_first_child(age, birth_date), "a.json")
    child = session.parts["kindcheck"].answers["children"][0]
    assert (child["child_age"], child["child_birth_date"]) == (age, birth_date)


def write_answers(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_kindcheck_outcome_refuses_an_age_that_disagrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = write_answers(tmp_path, answers_with_first_child(4, "2010-01-01"))
    code = cli.main(["outcome", str(path)])
    out, err = capsys.readouterr()
    assert code == 1, out
    assert "children[0]" in err and "2010-01-01" in err, err


def test_kindcheck_record_refuses_it_before_asking_the_passphrase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    path = write_answers(tmp_path, answers_with_first_child(4, "2010-01-01"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    code = cli.main(
        ["record", str(path), "--data-dir", str(tmp_path / "vault"), "--passphrase-stdin"]
    )
    out, err = capsys.readouterr()
    assert code == 1, out
    # Refused for what the file says, not for a missing vault or passphrase.
    assert "2010-01-01" in err and "children[0]" in err, err


def test_the_kdf_cost_is_what_security_md_says():
    """Item 14 (unlocking took 5-6 s): the cost is the documented one, not more."""
    text = (ROOT / "SECURITY.md").read_text("utf-8")
    found = re.search(r"Argon2id, m=(\d+) MiB, t=(\d+), p=(\d+)", text)
    assert found, "SECURITY.md no longer states the Argon2id cost"
    memory_mib, iterations, lanes = (int(n) for n in found.groups())
    assert KdfParams(memory_mib * 1024, iterations, lanes) == DEFAULT_KDF
    assert (
        memory_mib * 1024,
        iterations,
        lanes,
    ) == (KdfParams.MIN_MEMORY_KIB, KdfParams.MIN_ITERATIONS, KdfParams.MIN_LANES)
