"""The widgets that take an answer: a keyboard-first list and a problem-scan row.

- :class:`ChoiceAnswer` asks yes / no / don't know (keys y or j, n, ?) or one of numbered
  options (digits). Enter takes the highlighted option; a click works too.
- :class:`IndicatorRow` is one indicator on a problem-scan page: the question and its answer
  chips on one row; y / n / ? answer it and move on to the next row.

Both post :class:`AnswerGiven`. Question texts come from the questionnaire files (trusted) but
are still shown as plain text, like everything else.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kindcheck.i18n import t
from kindcheck.questionnaire import YESNO_VALUES, Question, Step

from ..base import current_lang, localize_bindings
from .safe import literal

YESNO_KEYS = {
    "nl": {"yes": "j", "no": "n", "unknown": "?"},
    "en": {"yes": "y", "no": "n", "unknown": "?"},
}


class AnswerGiven(Message):
    """The clinician pressed an answer key (or clicked an answer).

    A key carries no step: keys are typed ahead faster than the screen moves on, so the
    screen applies each answer, in order, to whatever question is current when it gets there.
    (A widget's idea of "its" question may already be stale by then.) A click names its step:
    the mouse points at one row. ``option_index`` is a position in the options (digit keys,
    Enter on the list), ``value`` an answer (y / n / ?).
    """

    def __init__(
        self,
        value: Any = None,
        option_index: int | None = None,
        step: Step | None = None,
        digit: str | None = None,
    ) -> None:
        super().__init__()
        self.value = value
        self.option_index = option_index
        self.step = step
        self.digit = digit  # the digit key itself, for a number typed ahead


def _digit_bindings() -> list[Binding]:
    bindings = [Binding("1", "pick_number(1)", "ui.key.pick_number", key_display="1-9")]
    bindings += [Binding(str(n), f"typed_number({n})", show=False) for n in range(1, 10)]
    return bindings


class ChoiceAnswer(OptionList):
    """Yes / no / don't know, or numbered options, answered with one key."""

    DEFAULT_CSS = """
    ChoiceAnswer { height: auto; max-height: 10; border: none; padding: 0 1; }
    ChoiceAnswer:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,j", "pick('yes')", "ui.key.yes", key_display="ui.key.yes_key"),
        Binding("n", "pick('no')", "ui.key.no"),
        Binding("question_mark", "pick('unknown')", "ui.key.unknown", key_display="?"),
        # The same keys again, hidden and always enabled: a key typed ahead of the screen is
        # passed on whatever this list shows at that moment (the screen checks it).
        Binding("y,j", "typed('yes')", show=False),
        Binding("n", "typed('no')", show=False),
        Binding("question_mark", "typed('unknown')", show=False),
        *_digit_bindings(),
        Binding("h", "screen.toggle_help", "ui.key.why", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        localize_bindings(self, current_lang())
        self.question: Question | None = None
        self.step: Step | None = None

    def show_question(self, step: Step, value: Any, lang: str) -> None:
        """Fill in the options of ``step`` with the current answer marked and highlighted."""
        self.step = step
        # The footer redraws when bindings change: only tell it when the keys really change.
        keys_change = (
            self.question is None
            or self.question.type != step.question.type
            or len(self.question.options) != len(step.question.options)
        )
        question = self.question = step.question
        self.clear_options()
        options = []
        if question.type == "yesno":
            keys = YESNO_KEYS.get(lang, YESNO_KEYS["nl"])
            ids = list(YESNO_VALUES)
            labels = [question.answer_label(v, lang) for v in ids]
            shortcuts = [keys[v] for v in ids]
        else:
            ids = [option.id for option in question.options]
            labels = [option.text.get(lang) for option in question.options]
            shortcuts = [str(n) if n < 10 else " " for n in range(1, len(ids) + 1)]
        for option_id, label, key in zip(ids, labels, shortcuts, strict=True):
            mark = "✓" if option_id == value else " "
            prompt = Content.assemble(
                (f" {key} ", "bold reverse"), " ", (mark, "bold"), " ", literal(label)
            )
            options.append(Option(prompt, id=option_id))
        self.add_options(options)
        self.highlighted = ids.index(value) if value in ids else 0
        if keys_change:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.question is None:
            return True
        # Only hides keys in the footer that do not fit the question; a key typed ahead of
        # the screen still arrives, and the screen checks it against the current question.
        if action == "pick":
            return self.question.type == "yesno"
        if action == "pick_number":
            return self.question.type == "choice" and int(str(parameters[0])) <= len(
                self.question.options
            )
        return True

    def action_pick(self, value: str) -> None:
        self.post_message(AnswerGiven(value=value))

    action_typed = action_pick

    def action_pick_number(self, number: int) -> None:
        self.post_message(AnswerGiven(option_index=number - 1, digit=str(number)))

    action_typed_number = action_pick_number

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(AnswerGiven(option_index=event.option_index))


class _Chip(Static):
    """One answer on a scan row; clicking it answers."""

    def __init__(self, value: str, label: Content) -> None:
        super().__init__(label, markup=False, classes="chip")
        self.value = value

    def on_click(self, event: Click) -> None:
        event.stop()
        row = self.parent.parent if self.parent else None
        if isinstance(row, IndicatorRow):
            row.focus()
            row.post_message(AnswerGiven(value=self.value, step=row.step))


class RowPicked(Message):
    """The clinician clicked a row of the scan page: it becomes the current row."""

    def __init__(self, row: IndicatorRow) -> None:
        super().__init__()
        self.row = row


class IndicatorRow(Widget):
    """One problem-scan indicator: its question and yes / no / don't know chips.

    Rows take no keys and no focus: the scan page holds the focus and the screen applies each
    answer key, in order, to its current row (marked ``-current``). That keeps answers typed
    ahead on the right rows, also while the page changes.
    """

    DEFAULT_CSS = """
    IndicatorRow { height: auto; layout: horizontal; padding: 0 1; }
    IndicatorRow.-current { background: $boost; }
    IndicatorRow .row-text { width: 1fr; height: auto; }
    IndicatorRow.-current .row-text { text-style: bold; }
    IndicatorRow .row-chips { width: auto; height: 1; margin-left: 1; }
    IndicatorRow .chip { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    IndicatorRow .chip.-chosen { background: $primary; color: $text; text-style: bold; }
    IndicatorRow .chip.-chosen.-problem { background: $warning 70%; }
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.step: Step | None = None
        self.value: Any = None
        self.number = 0

    def compose(self) -> ComposeResult:
        keys = YESNO_KEYS.get(self.lang, YESNO_KEYS["nl"])
        yield Static("", classes="row-text", markup=False)
        with Horizontal(classes="row-chips"):
            for value in YESNO_VALUES:
                if value == "unknown":  # the key says it: "?" (the footer spells it out)
                    label = Content.assemble(("?", "bold"))
                else:
                    label = Content.assemble(
                        (keys[value], "underline"), " ", literal(t(f"answer.{value}", self.lang))
                    )
                yield _Chip(value, label)

    def show(self, step: Step, number: int, value: Any, prefilled: bool = False) -> None:
        """Show another indicator in this row (rows are reused from page to page)."""
        self.step = step
        self.number = number
        self.set_value(value, prefilled)

    def set_value(self, value: Any, prefilled: bool = False) -> None:
        self.value = value
        if self.step is not None:
            text = Content.assemble(
                (f"{self.number}. ", "bold"), literal(self.step.question.text.get(self.lang))
            )
            if prefilled:  # a suggestion from the questionnaire, for the clinician to confirm
                text = Content.assemble(
                    text, "\n", literal(t("ui.scan.prefilled", self.lang), "bold $warning")
                )
            self.query_one(".row-text", Static).update(text)
        self.set_class(prefilled, "-prefilled")
        for chip in self.query(_Chip):
            chosen = chip.value == value
            chip.set_class(chosen, "-chosen")
            chip.set_class(
                chosen and self.step is not None and self.step.question.is_problem(value),
                "-problem",
            )

    def on_click(self) -> None:
        self.post_message(RowPicked(self))
