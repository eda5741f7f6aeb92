"""Small helpers that make texts for the record in both languages.

An answer is shown as a person reads it: the option text (never its id), "Ja"/"Nee"/"Weet
niet", a number or a date as it is, and free text literally with control characters stripped
(a note may hold anything a keyboard or a file can produce).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindcheck.i18n import t
from kindcheck.questionnaire import Localized, Question
from kindcheck.text import clean_text

FREE_TEXT_TYPES = ("text", "longtext")


def both(make: Callable[[str], str]) -> Localized:
    """A text made once per language."""
    return Localized(nl=make("nl"), en=make("en"))


def literal(text: str) -> Localized:
    """Text a person typed (or a stored id): the same in both languages, made safe."""
    safe = clean_text(text)
    return Localized(nl=safe, en=safe)


def message(key: str, **values: Any) -> Localized:
    """A message of the catalog in both languages."""
    return both(lambda lang: t(key, lang, **values))


def answer_label(question: Question, value: Any) -> Localized:
    """The answer as a person reads it, in both languages."""
    if value is None:
        return message("answer.none")
    if question.type in FREE_TEXT_TYPES:
        return literal(str(value))
    if question.type == "multi" and not isinstance(value, list):
        value = [value]  # a reason may name one option of a multi question
    return both(lambda lang: clean_text(question.answer_label(value, lang)))
