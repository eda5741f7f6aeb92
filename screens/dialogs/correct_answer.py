"""Correcting one answer of a stored session: which question, the new answer, and why.

The question list holds every question as it was asked in the session (the questionnaire
version it was recorded with), those asked per child with the child's number; below it the
answer as it stands now. A yes/no or choice question is answered from its options; any other
is typed (a number, a date as YYYY-MM-DD, free text; several options of a multi question as
their ids with commas), checked by the questionnaire's own rules before the dialog closes. A
reason is required: it is kept with the correction, beside who made it and when. The dialog
returns a :class:`CorrectionChoice` through ``dismiss()``; the session view stores it (a thread
worker), and what the session as a whole does not accept comes back as an error there.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from kindcheck.errors import KindcheckError
from kindcheck.questionnaire import Question
from kindcheck.service.client_record import typed_answer
from kindcheck.text import one_line

from ..base import KindcheckModal
from ..widgets.safe import SafeInput, literal

if TYPE_CHECKING:
    from kindcheck.record import NewAnswer, SessionRecord

NO_ANSWER = "\x00none"  # the select's value for "no answer" (no option id has a NUL)
LABEL_WIDTH = 60  # fits the dialog's drop-down on one line in an 80-column terminal


@dataclass(frozen=True)
class CorrectionChoice:
    new_answer: NewAnswer
    reason: str


@dataclass(frozen=True)
class _Asked:
    """One answer line of the record that can be corrected."""

    questionnaire_id: str
    question: Question
    item: int | None
    label: str
    current: str


def asked_questions(record: SessionRecord, lang: str) -> list[_Asked]:
    """Every question of the session as it was shown, in order, with its current answer."""
    found: list[_Asked] = []
    for part in record.parts:
        for line in part.lines():
            question = part.questionnaire.question(line.question_id)
            text = line.question.get(lang)
            if line.item is not None:
                text = f"{line.item + 1}. {text}"
            found.append(
                _Asked(part.questionnaire_id, question, line.item, text, line.answer.get(lang))
            )
    return found


def _short(text: str) -> str:
    """A question or option on one line of the drop-down: cut at a word, with an ellipsis."""
    return textwrap.shorten(one_line(text), LABEL_WIDTH, placeholder=" …")


class CorrectAnswerDialog(KindcheckModal[CorrectionChoice | None]):
    CSS_PATH = "correct_answer.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("ctrl+s", "save", "ui.key.save", priority=True),
    ]

    def __init__(self, record: SessionRecord) -> None:
        super().__init__(classes="dialog")
        self.record = record
        self.asked = asked_questions(record, self.lang)

    def compose(self) -> ComposeResult:
        with Vertical(id="correct-box"):
            yield Static(self.tr("session.correct_title"), id="correct-title")
            yield Static(self.tr("session.correct_question"), classes="correct-label")
            yield Select(
                [(_short(asked.label), index) for index, asked in enumerate(self.asked)],
                prompt=self.tr("session.correct_pick"),
                id="correct-question",
            )
            yield Static("", id="correct-now")
            yield Static(self.tr("session.correct_answer"), classes="correct-label")
            yield Select([], prompt=self.tr("session.correct_pick"), id="correct-option")
            yield SafeInput(id="correct-typed", max_length=4000)
            yield Static("", id="correct-hint", classes="muted")
            yield Static(self.tr("session.correct_reason"), classes="correct-label")
            yield SafeInput(id="correct-reason", max_length=1000)
            yield Static("", id="correct-error", classes="error-line")
            with Horizontal(id="correct-buttons"):
                yield Button(self.tr("export.save.save"), id="save", variant="primary")
                yield Button(self.tr("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        for name in ("#correct-option", "#correct-typed", "#correct-error"):
            self.query_one(name).display = False
        self.query_one("#correct-question", Select).focus()

    # -- the question chosen ------------------------------------------------------------

    def _chosen(self) -> _Asked | None:
        value = self.query_one("#correct-question", Select).value
        return self.asked[value] if isinstance(value, int) else None

    @on(Select.Changed, "#correct-question")
    def _question_changed(self, event: Select.Changed) -> None:
        event.stop()
        asked = self._chosen()
        option = self.query_one("#correct-option", Select)
        typed = self.query_one("#correct-typed", SafeInput)
        hint = self.query_one("#correct-hint", Static)
        if asked is None:
            option.display = typed.display = False
            return
        self.query_one("#correct-now", Static).update(
            literal(self.tr("session.correct_now", answer=asked.current), "dim")
        )
        choices = self._options(asked.question)
        if choices is not None:
            option.set_options(choices)
            option.display, typed.display = True, False
            hint.update("")
        else:
            typed.value = ""
            option.display, typed.display = False, True
            hint.update(literal(self._hint(asked.question)))

    def _options(self, question: Question) -> list[tuple[str, str]] | None:
        lang = self.lang
        if question.type == "yesno":
            found = [(question.answer_label(v, lang), v) for v in ("yes", "no", "unknown")]
        elif question.type == "choice":
            found = [(_short(o.text.get(lang)), o.id) for o in question.options]
        else:
            return None
        return [*found, (self.tr("session.correct_none"), NO_ANSWER)]

    def _hint(self, question: Question) -> str:
        if question.type == "multi":
            ids = ", ".join(option.id for option in question.options)
            return self.tr("session.correct_hint_multi", ids=ids)
        if question.type in ("number", "date"):
            return self.tr(f"session.correct_hint_{question.type}")
        return self.tr("session.correct_hint_text")

    # -- saving ---------------------------------------------------------------------------

    def _value(self, asked: _Asked) -> Any:
        if self._options(asked.question) is not None:
            chosen = self.query_one("#correct-option", Select).value
            if not isinstance(chosen, str):
                raise ValueError(self.tr("session.correct_missing_answer"))
            return None if chosen == NO_ANSWER else chosen
        text = self.query_one("#correct-typed", SafeInput).value
        try:
            new = typed_answer(
                self.record, asked.questionnaire_id, asked.question.id, asked.item, text
            )
        except KindcheckError as error:
            raise ValueError(self.tr("session.correct_bad_answer", reason=str(error))) from None
        return new.value

    def _error(self, text: str) -> None:
        error = self.query_one("#correct-error", Static)
        error.update(literal(text))
        error.display = True

    def action_save(self) -> None:
        from kindcheck.record import NewAnswer

        asked = self._chosen()
        if asked is None:
            self._error(self.tr("session.correct_missing_question"))
            return
        try:
            value = self._value(asked)
        except ValueError as error:
            self._error(str(error))
            return
        reason = self.query_one("#correct-reason", SafeInput).value.strip()
        if not reason:
            self._error(self.tr("session.correct_missing_reason"))
            self.query_one("#correct-reason", SafeInput).focus()
            return
        new = NewAnswer(asked.questionnaire_id, asked.question.id, value, asked.item)
        self.dismiss(CorrectionChoice(new, reason))

    @on(Button.Pressed, "#save")
    def _save_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Input.Submitted, "#correct-reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
