"""The answer to the current question of the walk: one widget per kind of question, one shown.

- ``choice``: yes / no / don't know or numbered options (:class:`~.answers.ChoiceAnswer`);
- ``multi``: several options at once (:class:`~.multi_answer.MultiAnswer`);
- ``number``, ``date``, ``text``: a one-line field; ``longtext``: a few lines of text.

None of them takes the focus or a key: the intake screen takes every key, in the order they
were pressed, and edits the answer itself (the fields show a :class:`~.text_buffer.TextBuffer`,
see intake_keys.py). The widget of the current question is drawn as the one in use: its
cursor and highlight show as if it had the focus (:meth:`AnswerArea.show`).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from kindcheck.questionnaire import Step

from .answers import ChoiceAnswer
from .multi_answer import MultiAnswer
from .safe import SafeInput
from .safe_text_area import SafeTextArea
from .text_buffer import TextBuffer

FIELD_KINDS = ("number", "date", "text")
TEXT_KINDS = (*FIELD_KINDS, "longtext")
# What each kind of field may hold, and how long it may be.
MAX_LENGTH = {"number": 7, "date": 10, "text": 200, "longtext": 0}


def answer_kind(step: Step) -> str:
    """Which widget answers ``step``: the id of one of the children of :class:`AnswerArea`."""
    kind = step.question.type
    return kind if kind in (*TEXT_KINDS, "multi") else "choice"


def in_use(widget: Widget, active: bool) -> None:
    """Draw ``widget`` as the one being answered (cursor, highlight, focus colours).

    It never holds the focus (the screen takes the keys), so it is told: ``has_focus`` is the
    reactive Textual draws the cursor and the ``:focus`` styles from."""
    if widget.has_focus != active:
        widget.has_focus = active


class EchoInput(SafeInput):
    """A one-line field showing the text the screen edits (:class:`TextBuffer`)."""

    can_focus = False

    def __init__(self, *, id: str, placeholder: str = "", max_length: int = 0) -> None:
        super().__init__(id=id, placeholder=placeholder, max_length=max_length)
        self.cursor_blink = False  # a cursor that blinks away hides where typing goes

    def mirror(self, buffer: TextBuffer) -> None:
        if self.value != buffer.text:
            self.value = buffer.text
        self.cursor_position = buffer.cursor


class EchoTextArea(SafeTextArea):
    """A few lines of text showing what the screen edits (:class:`TextBuffer`)."""

    can_focus = False

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus")
        self.cursor_blink = False

    def mirror(self, buffer: TextBuffer) -> None:
        if self.text != buffer.text:
            self.load_text(buffer.text)
        self.cursor_location = buffer.location()


class AnswerArea(ContentSwitcher):
    """The answer widgets of the walk, the one of the current question shown."""

    def __init__(self, date_hint: str, *, id: str | None = None) -> None:
        super().__init__(initial="choice", id=id)
        self.date_hint = date_hint

    def compose(self) -> ComposeResult:
        yield ChoiceAnswer(id="choice")
        yield MultiAnswer(id="multi")
        yield EchoInput(id="number", max_length=MAX_LENGTH["number"])
        yield EchoInput(id="date", max_length=MAX_LENGTH["date"], placeholder=self.date_hint)
        yield EchoInput(id="text", max_length=MAX_LENGTH["text"])
        yield EchoTextArea(id="longtext")

    def show(self, step: Step, value: Any, buffer: TextBuffer, lang: str) -> str:
        """Show ``step`` with its stored ``value`` (a list) or ``buffer`` (a field); returns
        the kind of answer shown."""
        kind = answer_kind(step)
        if self.current != kind:
            self.current = kind
        if kind == "multi":
            self.query_one("#multi", MultiAnswer).show_question(step, value, lang)
        elif kind == "choice":
            self.query_one("#choice", ChoiceAnswer).show_question(step, value, lang)
        else:
            self.mirror(buffer)
        for child in self.children:
            in_use(child, child.id == kind)
        return kind

    def mirror(self, buffer: TextBuffer) -> None:
        """Show what is typed in the field of the current question."""
        kind = self.current
        if kind == "longtext":
            self.query_one("#longtext", EchoTextArea).mirror(buffer)
        elif kind in FIELD_KINDS:
            self.query_one(f"#{kind}", EchoInput).mirror(buffer)
