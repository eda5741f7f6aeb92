"""The widgets that take an answer: a keyboard-first list and a problem-scan row.

- :class:`ChoiceAnswer` shows yes / no / don't know (keys y or j, n, ?) or numbered options
  (digits); the highlighted one is taken with Enter.
- :class:`IndicatorRow` is one indicator on a problem-scan page: the question and its answer
  chips on one row; y / n / ? answer the current row and move on to the next.

Neither takes keys: the intake screen does (intake_keys.py). A click posts
:class:`AnswerGiven`. Question texts come from the questionnaire files (trusted) but
are still shown as plain text, like everything else.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.css.styles import Styles
from textual.css.stylesheet import Stylesheet
from textual.events import Click
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kindcheck.i18n import t
from kindcheck.questionnaire import YESNO_VALUES, Question, Step, Wording

from .changed import same_content, update_changed
from .safe import literal

YESNO_KEYS = {
    "nl": {"yes": "j", "no": "n", "unknown": "?"},
    "en": {"yes": "y", "no": "n", "unknown": "?"},
}


class AnswerGiven(Message):
    """The clinician clicked an answer: an option of the list (``option_index``) or a chip of
    a scan row (``value``). A click names the ``step`` it was on: the mouse points at one
    question. (Keys never come this way: the screen takes them itself, in order.)"""

    def __init__(
        self, value: Any = None, option_index: int | None = None, step: Step | None = None
    ) -> None:
        super().__init__()
        self.value = value
        self.option_index = option_index
        self.step = step


class ChoiceAnswer(OptionList):
    """Yes / no / don't know, or numbered options: shown here, answered by the screen.

    The list takes no keys and no focus: the intake screen applies every key, in order, to the
    question that is current when it gets to it (intake.py), and moves the highlight here. A
    click on an option posts :class:`AnswerGiven` naming its step.
    """

    DEFAULT_CSS = """
    ChoiceAnswer { height: auto; max-height: 10; border: none; padding: 0 1; }
    ChoiceAnswer:focus { border: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.can_focus = False
        self.question: Question | None = None
        self.step: Step | None = None

    def show_question(self, step: Step, value: Any, lang: str) -> None:
        """Fill in the options of ``step`` with the current answer marked and highlighted."""
        self.step = step
        question = self.question = step.question
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
        if not self._same_options(options):
            # The next yes/no question mostly shows the very same options: kept, with the
            # lines already rendered for them (a new list is laid out and drawn anew).
            self.clear_options()
            self.add_options(options)
        self.highlighted = ids.index(value) if value in ids else 0

    def _same_options(self, options: list[Option]) -> bool:
        shown = self.options
        return len(shown) == len(options) and all(
            old.id == new.id and same_content(old.prompt, new.prompt)
            for old, new in zip(shown, options, strict=True)
        )

    def move(self, key: str) -> None:
        """Move the highlight for an arrow, Home, End, Page Up or Page Down key."""
        count = self.option_count
        if not count:
            return
        current = self.highlighted or 0
        target = {
            "up": current - 1,
            "down": current + 1,
            "home": 0,
            "end": count - 1,
            "pageup": current - 5,
            "pagedown": current + 5,
        }.get(key, current)
        self.highlighted = max(0, min(count - 1, target))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(AnswerGiven(option_index=event.option_index, step=self.step))


# What changes on a scan row as the clinician works through a page: which row is current,
# which answer is chosen. Written as CSS and parsed by Textual with the theme's variables, so
# each look is exactly what the stylesheet would give; but set as inline rules on the widgets
# concerned. A CSS class changed on a row restyles the row and every widget in it against the
# whole app stylesheet: about 60% of the UI thread's time per scan key, and most of a page
# turn. The order is the cascade's: a later look wins where two set the same property.
LOOK_CSS = {
    "current": "background: $block-cursor-background; color: $block-cursor-foreground;",
    "current-text": "text-style: bold;",
    "current-chip": "color: $block-cursor-foreground;",
    "chosen": "background: $primary; color: $text; text-style: bold;",
    "problem": "background: $warning 70%;",
}
_looks_by_theme: dict[str, dict[str, dict[str, object]]] = {}


def look_rules(app: App[Any], *names: str) -> dict[str, object]:
    """The style rules of the looks ``names`` (later ones win), in the app's theme."""
    looks = _looks_by_theme.get(app.theme)
    if looks is None:
        variables = app.get_css_variables()
        looks = {}
        for name, css in LOOK_CSS.items():
            sheet = Stylesheet(variables=variables)
            sheet.add_source(f"Look {{ {css} }}", read_from=(f"look {name}", ""))
            sheet.parse()
            # As the style properties store them (the parser keeps text-style as written).
            scratch = Styles()
            for rule, value in sheet.rules[0].styles.get_rules().items():
                setattr(scratch, rule, value)
            looks[name] = dict(scratch.get_rules())
        _looks_by_theme[app.theme] = looks
    rules: dict[str, object] = {}
    for name in names:
        rules.update(looks[name])
    return rules


def set_look(widget: Widget, rules: dict[str, object]) -> None:
    """Give ``widget`` these inline rules instead of the ones it had from here; it and the
    widgets in it are redrawn (they draw on its background), nothing is restyled."""
    shown: dict[str, object] = getattr(widget, "_look", {})
    if shown == rules:
        return
    inline = widget.styles.inline
    for name in shown.keys() - rules.keys():
        inline.clear_rule(name)
    for name, value in rules.items():
        inline.set_rule(name, value)
    widget._look = rules  # type: ignore[attr-defined]
    for node in widget.walk_children(with_self=True):
        node.notify_style_update()
        node.refresh()


class _Chip(Static):
    """One answer on a scan row; clicking it answers."""

    def __init__(self, value: str, label: Content) -> None:
        super().__init__(label, markup=False, classes="chip")
        self.value = value

    def on_click(self, event: Click) -> None:
        event.stop()
        row = self.parent.parent if self.parent else None
        if isinstance(row, IndicatorRow):
            row.post_message(AnswerGiven(value=self.value, step=row.step))


class RowPicked(Message):
    """The clinician clicked a row of the scan page: it becomes the current row."""

    def __init__(self, row: IndicatorRow) -> None:
        super().__init__()
        self.row = row


class IndicatorRow(Widget):
    """One problem-scan indicator: its question and yes / no / don't know chips.

    Rows take no keys and no focus: the screen applies each answer key, in order, to its
    current row. The current row stands out in the theme's cursor colours and with a ``▶``
    (for who does not see the colour). ``prefilled`` says an answer was proposed for the
    clinician to confirm: "suggested" by the questionnaire, or "kindcheck" (taken from the
    Kindcheck, where the same was asked).
    """

    # The current row and the chosen chip take their looks from LOOK_CSS (inline, see there);
    # the classes -current, -chosen and -problem are kept as markers only.
    DEFAULT_CSS = """
    IndicatorRow { height: auto; layout: horizontal; padding: 0 1; }
    IndicatorRow .row-text { width: 1fr; height: auto; }
    IndicatorRow .row-chips { width: auto; height: 1; margin-left: 1; }
    IndicatorRow .chip { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.step: Step | None = None
        self.wording: Wording | None = None
        self.value: Any = None
        self.number = 0
        self.prefilled: str | None = None
        self.current = False

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

    def show(self, step: Step, number: int, value: Any, prefilled: str | None = None) -> None:
        """Show another indicator in this row (rows are reused from page to page)."""
        self.step = step
        self.number = number
        self.set_value(value, prefilled)

    def redraw(self) -> None:
        """Draw what the row holds now (its step, answer and where a proposal came from)."""
        if self.step is not None:
            self.set_value(self.value, self.prefilled)
        self._draw_text()
        self._show_current()

    def set_current(self, current: bool) -> None:
        if current != self.current:
            self.current = current
            self._show_current()
            self._draw_text()

    def restyle(self) -> None:
        """The looks again, in the app's theme now (it changed)."""
        self._show_current()

    def _show_current(self) -> None:
        self.set_class(self.current, "-current", update=False)
        current = self.current
        set_look(self, look_rules(self.app, "current") if current else {})
        if not self.children:
            return  # the rest once composed (redraw)
        set_look(
            self.query_one(".row-text", Static),
            look_rules(self.app, "current-text") if current else {},
        )
        self._show_chips()

    def _show_chips(self) -> None:
        if not self.children:
            return
        step = self.step
        for chip in self.query(_Chip):
            chosen = chip.value == self.value
            problem = chosen and step is not None and step.question.is_problem(self.value)
            chip.set_class(chosen, "-chosen", update=False)
            chip.set_class(problem, "-problem", update=False)
            looks: tuple[str, ...] = ("current-chip",) if self.current else ()
            if chosen:
                looks += ("chosen", "problem") if problem else ("chosen",)
            set_look(chip, look_rules(self.app, *looks) if looks else {})

    def _draw_text(self) -> None:
        if self.step is None or not self.children:
            return
        marker = "▶ " if self.current else "  "
        question = self.step.question.text_for(self.lang, self.wording)
        text = Content.assemble((f"{marker}{self.number}. ", "bold"), literal(question))
        if self.prefilled:  # proposed, for the clinician to confirm
            key = "ui.scan.prefilled_from" if self.prefilled == "kindcheck" else "ui.scan.prefilled"
            text = Content.assemble(text, "\n   ", literal(t(key, self.lang), "bold $text-warning"))
        update_changed(self.query_one(".row-text", Static), text)

    def set_value(self, value: Any, prefilled: str | None = None) -> None:
        self.value = value
        self.prefilled = prefilled
        self._draw_text()
        self.set_class(bool(prefilled), "-prefilled", update=False)  # a marker, no style
        self._show_chips()

    def on_click(self) -> None:
        self.post_message(RowPicked(self))
