"""A question with several answers at once ("multi"), such as the referrals of a follow-up.

Digits (or Space on the highlighted option, or a click) tick and untick options; Enter takes
the ticked ones. The list takes no keys itself: the intake screen does and calls
:meth:`MultiAnswer.toggle`. An exclusive option ("Geen", "Niemand anders": ``exclusive`` in
a format-2 file, the id ``none`` in format 1) excludes the others: ticking it clears them, and
ticking another clears it, so an answer can never say "none" and "youth care" at once.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kindcheck.questionnaire import Question, Step

from ..base import current_lang
from .safe import literal

EXCLUSIVE_OPTION = "none"  # format 1 has no `exclusive` key: its "none" option is


def exclusive_ids(question: Question) -> set[str]:
    """The options of ``question`` that exclude every other."""
    return {o.id for o in question.options if o.exclusive or o.id == EXCLUSIVE_OPTION}


class MultiAnswer(OptionList):
    """Numbered options, any number ticked; shown here, ticked by the screen."""

    DEFAULT_CSS = """
    MultiAnswer { height: auto; max-height: 10; border: none; padding: 0 1; }
    MultiAnswer:focus { border: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.can_focus = False
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
        """Tick or untick option ``index`` (0-based); an exclusive option and the others
        exclude each other."""
        question = self.question
        if question is None or not 0 <= index < len(question.options):
            return
        option_id = question.options[index].id
        alone = exclusive_ids(question)
        if option_id in self.ticked:
            self.ticked.remove(option_id)
        elif option_id in alone:
            self.ticked = [option_id]
        else:
            self.ticked = [v for v in self.ticked if v not in alone] + [option_id]
        order = [option.id for option in question.options]
        self.ticked.sort(key=order.index)
        self._draw(index)

    def toggle_highlighted(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def move(self, key: str) -> None:
        """Move the highlight for an arrow, Home or End key."""
        count = self.option_count
        if not count:
            return
        current = self.highlighted or 0
        target = {"up": current - 1, "down": current + 1, "home": 0, "end": count - 1}.get(
            key, current
        )
        self.highlighted = max(0, min(count - 1, target))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # A click on an option ticks it.
        event.stop()
        self.toggle(event.option_index)
