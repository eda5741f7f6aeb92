"""A child's age and date of birth must agree, with each other and with the session's date.

Both are recorded, and the birth date wins wherever an age is needed later (the plan's end at
the youngest child's 18th birthday, the ages a follow-up proposes). So one typo in either would
silently move a child's follow-up by years, or drop the child out of it. This module finds the
disagreement; :mod:`kindcheck.answers` refuses a session that holds one (``kindcheck outcome``
and ``kindcheck record``) and the app asks the clinician to correct either value.

The questions are found by their roles (``child_age``, ``child_birth_date``), so every
questionnaire that asks both (the Kindcheck, the follow-up conversation, either version) is
checked the same way. An age is whole years on the session's date (:func:`kindcheck.dates.age_on`);
there is no tolerance: a child who turns 5 next week is 4 today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kindcheck.dates import age_on
from kindcheck.i18n import t
from kindcheck.questionnaire import Questionnaire


@dataclass(frozen=True)
class ChildDateProblem:
    """Child ``item`` (0-based) of repeat group ``group``: its birth date comes after the
    session (``computed`` None), or its ``age`` is not the ``computed`` age on ``day``."""

    group: str
    item: int
    age: int | None
    birth_date: date
    day: date
    computed: int | None

    @property
    def after_session(self) -> bool:
        return self.computed is None

    def message(self, lang: str) -> str:
        """What disagrees, for a person, in ``lang`` (dates as ISO, as in an answers file)."""
        if self.after_session:
            return t(
                "error.answers.birth_after_session",
                lang,
                number=self.item + 1,
                birth=self.birth_date.isoformat(),
                day=self.day.isoformat(),
            )
        return t(
            "error.answers.age_mismatch",
            lang,
            number=self.item + 1,
            age=self.age,
            birth=self.birth_date.isoformat(),
            day=self.day.isoformat(),
            computed=self.computed,
        )


def _birth_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def child_date_problem(
    questionnaire: Questionnaire, answers: dict[str, Any], item: int, day: date
) -> ChildDateProblem | None:
    """The problem of child ``item`` in ``answers`` (the shape of an answers file), if any."""
    age_question = questionnaire.by_role("child_age")
    birth_question = questionnaire.by_role("child_birth_date")
    if birth_question is None or birth_question.repeat is None:
        return None
    group = birth_question.repeat
    items = answers.get(group)
    if not isinstance(items, list) or not 0 <= item < len(items):
        return None
    child = items[item]
    if not isinstance(child, dict):
        return None
    birth = _birth_date(child.get(birth_question.id))
    if birth is None:
        return None
    if birth > day:
        return ChildDateProblem(group, item, None, birth, day, None)
    age = child.get(age_question.id) if age_question is not None else None
    if not isinstance(age, int) or isinstance(age, bool):
        return None
    computed = age_on(birth, day)
    if computed != age:
        return ChildDateProblem(group, item, age, birth, day, computed)
    return None


def child_date_problems(
    questionnaire: Questionnaire, answers: dict[str, Any], day: date
) -> list[ChildDateProblem]:
    """Every child of ``answers`` whose age and birth date disagree (or whose birth date is
    after ``day``), in order."""
    birth_question = questionnaire.by_role("child_birth_date")
    if birth_question is None or birth_question.repeat is None:
        return []
    items = answers.get(birth_question.repeat)
    count = len(items) if isinstance(items, list) else 0
    found = (child_date_problem(questionnaire, answers, item, day) for item in range(count))
    return [problem for problem in found if problem is not None]
