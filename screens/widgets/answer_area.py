"""The answer to the current question of the walk: one widget per kind of question, one shown.

- ``choice``: yes / no / don't know or numbered options (:class:`~.answers.ChoiceAnswer`);
- ``multi``: several options at once (:class:`~.multi_answer.MultiAnswer`);
- ``number``, ``date``, ``text``: a one-line field; ``longtext``: a few lines of text.

The intake screen decides what an answer means; this widget only shows the question's stored
answer (or the text typed but not yet confirmed) and hands back what was typed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.widgets import ContentSwitcher, Input

from kindcheck.dates import format_day
from kindcheck.questionnaire import Step

from .answers import ChoiceAnswer
from .multi_answer import MultiAnswer
from .safe import SafeInput, SafeTextArea

FIELD_KINDS = ("number", "date", "text")


def answer_kind(step: Step) -> str:
    """Which widget answers ``step``: the id of one of the children of :class:`AnswerArea`."""
    kind = step.question.type
    return kind if kind in (*FIELD_KINDS, "longtext", "multi") else "choice"


class AnswerArea(ContentSwitcher):
    """The answer widgets of the walk, the one of the current question shown."""

    def __init__(self, date_hint: str, *, id: str | None = None) -> None:
        super().__init__(initial="choice", id=id)
        self.date_hint = date_hint

    def compose(self) -> ComposeResult:
        yield ChoiceAnswer(id="choice")
        yield MultiAnswer(id="multi")
        yield SafeInput(id="number", type="integer", max_length=7)
        yield SafeInput(id="date", max_length=10, placeholder=self.date_hint)
        yield SafeInput(id="text", max_length=200)
        yield SafeTextArea(id="longtext", soft_wrap=True, tab_behavior="focus")

    def show(self, step: Step, value: Any, pending: str | None, lang: str) -> str:
        """Show ``step`` with its stored ``value`` (or the ``pending`` text typed before) and
        give it the focus; returns the kind of answer shown."""
        kind = answer_kind(step)
        self.current = kind
        if kind == "multi":
            multi = self.query_one("#multi", MultiAnswer)
            multi.show_question(step, value, lang)
            multi.focus()
        elif kind == "choice":
            choice = self.query_one("#choice", ChoiceAnswer)
            choice.show_question(step, value, lang)
            choice.focus()
        elif kind == "longtext":
            area = self.query_one("#longtext", SafeTextArea)
            area.load_text(pending if pending is not None else value or "")
            area.focus()
        else:
            field = self.query_one(f"#{kind}", Input)
            if pending is not None:
                field.value = pending
            elif kind == "date" and value:
                field.value = format_day(date.fromisoformat(value), lang)
            else:
                field.value = "" if value is None else str(value)
            field.cursor_position = len(field.value)
            field.focus()
        return kind

    def typed_text(self) -> str | None:
        """The text in the field or text area shown (None for a list)."""
        kind = self.current
        if kind == "longtext":
            return self.query_one("#longtext", SafeTextArea).text
        if kind in FIELD_KINDS:
            return self.query_one(f"#{kind}", Input).value
        return None
