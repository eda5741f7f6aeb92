"""A question with several answers at once ("multi"), such as the referrals of a follow-up.

Digits (or Space on the highlighted option, or a click) tick and untick options; Enter takes
the ticked ones and moves on, posting :class:`~.answers.AnswerGiven` with the list. An
option with the id ``none`` ("Geen") excludes the others: ticking it clears them, and ticking
another clears it, so an answer can never say "none" and "youth care" at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kindcheck.questionnaire import Question, Step

from ..base import current_lang, localize_bindings
from .answers import AnswerGiven
from .safe import literal

EXCLUSIVE_OPTION = "none"


class MultiAnswer(OptionList):
    """Numbered options, any number ticked; Enter confirms."""

    DEFAULT_CSS = """
    MultiAnswer { height: auto; max-height: 10; border: none; padding: 0 1; }
    MultiAnswer:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "ui.key.next"),
        Binding("space", "toggle_highlighted", "ui.key.tick", show=False),
        Binding("1", "toggle_number(1)", "ui.key.tick_number", key_display="1-9"),
        *[Binding(str(n), f"toggle_number({n})", show=False) for n in range(2, 10)],
        Binding("h", "screen.toggle_help", "ui.key.why", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        localize_bindings(self, current_lang())
        self.question: Question | None = None
        self.step: Step | None = None
        self.ticked: list[str] = []
        self.lang = current_lang()

    def show_question(self, step: Step, value: Any, lang: str) -> None:
        """Show the options of ``step`` with the stored answer ticked."""
        self.step = step
        self.question = step.question
        self.lang = lang
        self.ticked = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        self._draw(0)

    def _draw(self, highlighted: int) -> None:
        question = self.question
        if question is None:
            return
        self.clear_options()
        options = []
        for number, option in enumerate(question.options, 1):
            key = str(number) if number < 10 else " "
            mark = "[x]" if option.id in self.ticked else "[ ]"
            prompt = Content.assemble(
                (f" {key} ", "bold reverse"),
                " ",
                (mark, "bold"),
                " ",
                literal(option.text.get(self.lang)),
            )
            options.append(Option(prompt, id=option.id))
        self.add_options(options)
        self.highlighted = max(0, min(highlighted, len(options) - 1))

    def toggle(self, index: int) -> None:
        """Tick or untick option ``index`` (0-based); "none" and the others exclude each other."""
        question = self.question
        if question is None or not 0 <= index < len(question.options):
            return
        option_id = question.options[index].id
        if option_id in self.ticked:
            self.ticked.remove(option_id)
        elif option_id == EXCLUSIVE_OPTION:
            self.ticked = [option_id]
        else:
            self.ticked = [v for v in self.ticked if v != EXCLUSIVE_OPTION] + [option_id]
        order = [option.id for option in question.options]
        self.ticked.sort(key=order.index)
        self._draw(index)

    def action_toggle_number(self, number: int) -> None:
        self.toggle(number - 1)

    def action_toggle_highlighted(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def action_confirm(self) -> None:
        self.post_message(AnswerGiven(value=list(self.ticked)))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # A click on an option ticks it (Enter is bound to confirm, above).
        event.stop()
        self.toggle(event.option_index)
