"""One answer: checked against its question, or read from what a person typed.

A wrong value is described without echoing free text (it may hold client data).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kindcheck.errors import AnswersError
from kindcheck.text import clean_text

from .model import _ID, YESNO_VALUES, Question

TEXT_LIMITS = {"text": 200, "longtext": 5000}
NUMBER_LIMIT = 10**6


def check_value(question: Question, value: Any) -> Any:
    """Validate one stored answer; return it normalised or raise AnswersError with the reason."""
    problem = _value_problem(question, value)
    if problem:
        raise AnswersError([f"{question.id}: {problem}"])
    if question.type in TEXT_LIMITS:
        return clean_text(value)
    if question.type == "multi":
        return [option.id for option in question.options if option.id in value]
    return value


def _value_problem(question: Question, value: Any) -> str | None:
    kind = question.type
    if kind == "yesno":
        if value not in YESNO_VALUES:
            return f'expected "yes", "no" or "unknown", got {_short(value)}'
    elif kind == "choice":
        ids = [option.id for option in question.options]
        if not isinstance(value, str) or value not in ids:
            return f"expected one of {', '.join(ids)}, got {_short(value)}"
    elif kind == "multi":
        ids = [option.id for option in question.options]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of options ({', '.join(ids)}), got {_short(value)}"
        unknown = [v for v in value if v not in ids]
        if unknown:
            return f"unknown option {_short(unknown[0])}; expected some of {', '.join(ids)}"
        if len(set(value)) != len(value):
            return "an option is chosen twice"
        if len(value) > 1:
            exclusive = next(
                (o.id for o in question.options if o.exclusive and o.id in value), None
            )
            if exclusive is not None:
                return f'"{exclusive}" cannot be chosen together with another answer'
    elif kind == "number":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a whole number, got {_short(value)}"
        low = question.minimum if question.minimum is not None else -NUMBER_LIMIT
        high = question.maximum if question.maximum is not None else NUMBER_LIMIT
        if not low <= value <= high:
            return f"expected a number from {low} to {high}, got {value}"
    elif kind == "date":
        if not isinstance(value, str):
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
        if parsed.isoformat() != value:
            return f"expected a date as YYYY-MM-DD, got {_short(value)}"
    elif kind in TEXT_LIMITS:
        if not isinstance(value, str):
            return f"expected a text, got {_short(value)}"
        if len(value) > TEXT_LIMITS[kind]:
            return f"text is longer than {TEXT_LIMITS[kind]} characters"
    return None


def _short(value: Any) -> str:
    """Describe a wrong value without echoing free text (it may hold client data)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"' if _ID.match(value) and len(value) <= 32 else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_USER_YESNO = {
    "y": "yes",
    "yes": "yes",
    "j": "yes",
    "ja": "yes",
    "n": "no",
    "no": "no",
    "nee": "no",
    "?": "unknown",
    "unknown": "unknown",
    "onbekend": "unknown",
    "weet niet": "unknown",
}


def parse_user_input(question: Question, text: str) -> Any:
    """Turn what a person typed into a stored answer (for a prompt or a text field)."""
    stripped = text.strip()
    if question.type == "yesno":
        value: Any = _USER_YESNO.get(stripped.lower(), stripped)
    elif question.type == "number":
        try:
            value = int(stripped)
        except ValueError:
            raise AnswersError([f"{question.id}: expected a whole number"]) from None
    elif question.type == "multi":
        value = [part.strip() for part in stripped.split(",") if part.strip()]
    elif question.type in TEXT_LIMITS:
        value = text
    else:
        value = stripped
    return check_value(question, value)
