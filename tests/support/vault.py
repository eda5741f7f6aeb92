"""Shared pieces of the store, CLI and durability tests: valid answers files built by walking the
shipped questionnaires, recording one, and damaging the vault file by hand."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from kindcheck.answers import session_from_dict
from kindcheck.outcome import compute_outcome
from kindcheck.questionnaire import Question, Step, Walker, load_shipped
from kindcheck.service.recording import Recorded, record_session
from kindcheck.store import DB_NAME, Store

PASSPHRASE = "paraplu lavendel zeven maart"
SESSION_DAY = date(2026, 3, 2)


def _harmless(question: Question) -> Any:
    """A version-2 answer that raises no signal, concern, open item or problem."""
    if question.type == "yesno":
        candidates: list[Any] = ["no", "yes", "unknown"]
    elif question.type == "choice":
        candidates = [option.id for option in question.options]
    else:
        candidates = [[option.id] for option in question.options]
    for value in candidates:
        if not (
            question.raises_signal(value)
            or question.raises_concern(value)
            or question.opens_item(value)
            or question.is_problem(value)
        ):
            return value
    return candidates[0]


def walk_shipped(
    questionnaire_id: str,
    overrides: dict[str, Any],
    text: str,
    when: date,
    version: int = 1,
    main_answers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    questionnaire = load_shipped(questionnaire_id, version)
    walker = Walker(questionnaire, {"setting": "ggz"}, {}, main_answers)
    for _ in range(500):
        step = walker.first_unanswered()
        if step is None:
            break
        question = step.question
        if question.id in overrides:
            value = overrides[question.id]
        elif version >= 2 and question.type in ("yesno", "choice", "multi"):
            value = _harmless(question)
        elif question.type == "yesno":
            value = "no"
        elif question.type == "choice":
            value = question.options[0].id
        elif question.type == "multi":
            value = [question.options[0].id]
        elif question.type == "number":
            value = question.minimum if question.minimum is not None else 1
        elif question.type == "date" and question.role == "child_birth_date":
            # A birth date that fits the age given (a session whose two disagree is refused):
            # the child turned that age a month before the session.
            age_question = questionnaire.by_role("child_age")
            age = walker.get(Step(age_question, step.item)) if age_question else None
            years = age if isinstance(age, int) else 4
            value = (when - relativedelta(years=years, months=1)).isoformat()
        elif question.type == "date":
            value = (when + timedelta(days=100)).isoformat()
        else:
            value = f"{text} ({question.id})"
        walker.answer(step, value)
    return {"id": questionnaire.id, "version": questionnaire.version, "answers": walker.answers}


def make_answers(
    reference: str,
    name: str | None = None,
    *,
    text: str = "notitie",
    kind: str = "intake",
    when: date = SESSION_DAY,
    signal: bool = False,
    problems: int = 0,
    version: int = 1,
) -> dict[str, Any]:
    """A valid answers file (as a dict): every free-text answer holds ``text``. ``version``
    picks the questionnaires' version (and with it the file's format_version)."""
    if kind == "intake":
        main = walk_shipped(
            "kindcheck",
            {
                "has_minor_children": "yes",
                "child_count": 2,
                "child_age": 6,
                "pregnancy": "no",
                "sig_other": "yes" if signal else "no",
            },
            text,
            when,
            version,
        )
    else:
        main = walk_shipped(
            "vervolggesprek",
            {
                "child_count": 2,
                "child_age": 6,
                "repeat_scan": "yes",
                "sig_other": "yes" if signal else "no",
            },
            text,
            when,
            version,
        )
    indicators = (
        ("fin_arrears", "werk_no_activity", "won_unstable", "adm_letters")
        if version == 1
        else ("fin_arrears", "werk_wants_activity", "won_too_small", "adm_letters")
    )
    main_visible = (
        Walker(
            load_shipped(main["id"], version), {"setting": "ggz"}, main["answers"]
        ).visible_answers()
        if version >= 2
        else None
    )
    scan = walk_shipped(
        "probleemscan",
        {key: "yes" for key in indicators[:problems]},
        text,
        when,
        version,
        main_visible,
    )
    client: dict[str, Any] = {"reference": reference}
    if name is not None:
        client["name"] = name
    return {
        "format": "kindcheck-answers",
        "format_version": version,
        "kind": kind,
        "client": client,
        "setting": "ggz",
        "date": when.isoformat(),
        "questionnaires": [main, scan],
    }


def record(store: Store, answers: dict[str, Any]) -> Recorded:
    session = session_from_dict(answers)
    return record_session(store, session, compute_outcome(session), "nl")


def raw(folder: Path) -> sqlite3.Connection:
    """The vault file without the store, to look at or tamper with (store closed)."""
    return sqlite3.connect(folder / DB_NAME, isolation_level=None)


def flip_byte(folder: Path, table: str, column: str, row_id: str, position: int = 40) -> None:
    with raw(folder) as conn:
        (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        changed = bytearray(blob)
        changed[position] ^= 0x01
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (bytes(changed), row_id))
