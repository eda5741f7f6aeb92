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

from typing import TYPE_CHECKING, Any, cast

from rich.style import Style as RichStyle
from textual.app import App
from textual.color import Color
from textual.content import Content
from textual.css.styles import Styles
from textual.css.stylesheet import Stylesheet
from textual.events import Click
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kindcheck.i18n import t
from kindcheck.questionnaire import YESNO_VALUES, Question, Step, Wording

from .changed import same_content

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
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
    "chip": "color: $text-muted;",
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

    The row is one widget that draws its question and its chips itself: a page turn or a
    key redraws a few rows, and every widget drawn or laid out costs the UI thread about as
    much as its text (as six widgets a row was half of a page turn). It draws what a row of
    a text (width 1fr) beside a box of three padded chips (margin-left 1) would: the question
    wraps in the width the chips leave. A click on a chip answers; elsewhere it picks the row.
    """

    # The current row and the chosen chip take their looks from LOOK_CSS (inline on the row,
    # drawn into the chips); the classes -current and -prefilled are kept as markers only.
    DEFAULT_CSS = """
    IndicatorRow { height: auto; padding: 0 1; }
    """

    # A row does not scroll, so its virtual size is its size, which the layout that gave it
    # has already placed. (Textual lays the screen out once more, after the frame, for every
    # widget whose virtual size changed: every row of a page turn, to the same result.)
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    CHIP_PADDING = 1  # cells each side of a chip's label
    CHIPS_MARGIN = 1  # cells between the question and the chips

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.step: Step | None = None
        self.wording: Wording | None = None
        self.value: Any = None
        self.number = 0
        self.prefilled: str | None = None
        self.current = False
        keys = YESNO_KEYS.get(lang, YESNO_KEYS["nl"])
        self._chip_labels: dict[str, Content] = {}
        for value in YESNO_VALUES:
            if value == "unknown":  # the key says it: "?" (the footer spells it out)
                label = Content.assemble(("?", "bold"))
            else:
                label = Content.assemble(
                    (keys[value], "underline"), " ", literal(t(f"answer.{value}", lang))
                )
            self._chip_labels[value] = label
        self._chips_width = sum(
            label.cell_length + 2 * self.CHIP_PADDING for label in self._chip_labels.values()
        )
        self._text = Content("")
        self._chips_drawn: dict[tuple[str, VisualStyle], Strip] = {}
        self._lines: list[Strip] | None = None  # drawn for the width in _lines_width
        self._lines_width = 0

    @property
    def text(self) -> Content:
        """The question as the row shows it (number, marker, and where a proposal came from)."""
        return self._text

    def show(self, step: Step, number: int, value: Any, prefilled: str | None = None) -> None:
        """Show another indicator in this row (rows are reused from page to page)."""
        self.step = step
        self.number = number
        self.set_value(value, prefilled)

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
        set_look(self, look_rules(self.app, "current") if self.current else {})
        self._changed()  # the chips are drawn in the row's colours

    def chip_looks(self, value: str) -> tuple[str, ...]:
        """The looks (LOOK_CSS) the chip of ``value`` is drawn in now."""
        chosen = value == self.value
        looks: tuple[str, ...] = ("chip",)
        if self.current:
            looks += ("current-chip",)
        if chosen:
            step = self.step
            problem = step is not None and step.question.is_problem(value)
            looks += ("chosen", "problem") if problem else ("chosen",)
        return looks

    def chip_rules(self, value: str) -> dict[str, object]:
        """The style rules the chip of ``value`` is drawn with now, in the app's theme."""
        return look_rules(self.app, *self.chip_looks(value))

    def _draw_text(self) -> None:
        if self.step is None:
            return
        marker = "▶ " if self.current else "  "
        question = self.step.question.text_for(self.lang, self.wording)
        text = Content.assemble((f"{marker}{self.number}. ", "bold"), literal(question))
        if self.prefilled:  # proposed, for the clinician to confirm
            key = "ui.scan.prefilled_from" if self.prefilled == "kindcheck" else "ui.scan.prefilled"
            text = Content.assemble(text, "\n   ", literal(t(key, self.lang), "bold $text-warning"))
        if not same_content(self._text, text):
            self._text = text
            self._changed()

    def set_value(self, value: Any, prefilled: str | None = None) -> None:
        changed = value != self.value or prefilled != self.prefilled
        self.value = value
        self.prefilled = prefilled
        self._draw_text()
        self.set_class(bool(prefilled), "-prefilled", update=False)  # a marker, no style
        if changed:
            self._changed()

    def _changed(self) -> None:
        """Draw the row again; lay out again only if its height can change."""
        self._lines = None
        width = self.content_region.width
        layout = (
            not self.is_mounted
            or width <= 0
            or self.get_content_height(Size(0, 0), Size(0, 0), width) != self.size.height
        )
        self.refresh(layout=layout)

    # -- drawing --------------------------------------------------------------------------------

    def _text_width(self, width: int) -> int:
        return max(1, width - self.CHIPS_MARGIN - self._chips_width)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not width:
            return 0
        # The styles as Widget.get_content_height hands them to a visual.
        rules = cast("RulesMap", self.styles)
        return max(1, self._text.get_height(rules, self._text_width(width)))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._lines is None or self._lines_width != width:
            self._lines = self._draw_lines(width)
            self._lines_width = width
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(width, self.visual_style.rich_style)

    def _draw_lines(self, width: int) -> list[Strip]:
        row_style = self.visual_style
        text_style = row_style + VisualStyle(bold=True) if self.current else row_style
        text_width = self._text_width(width)
        lines = Visual.to_strips(self, self._text, text_width, None, text_style, pad=True)
        lines = lines or [Strip.blank(text_width, text_style.rich_style)]
        rest = width - text_width
        gap = Strip.blank(max(0, rest - self._chips_width), row_style.rich_style)
        chips = [gap]
        for value in self._chip_labels:
            chips.append(self._chip(value, self._chip_style(row_style, self.chip_rules(value))))
        blank = Strip.blank(rest, row_style.rich_style)
        drawn = [
            Strip.join([line, Strip.join(chips) if y == 0 else blank])
            for y, line in enumerate(lines)
        ]
        # A window too narrow for the chips: they are cut at its edge, as a row's box was.
        return [
            line if line.cell_length == width else line.crop_extend(0, width, row_style.rich_style)
            for line in drawn
        ]

    def _chip(self, value: str, style: VisualStyle) -> Strip:
        """The chip of ``value`` drawn in ``style``: kept, as a row shows a few looks only."""
        chip = self._chips_drawn.get((value, style))
        if chip is None:
            label = self._chip_labels[value]
            # Padded as a widget's padding is: in its background alone.
            padding = Strip.blank(self.CHIP_PADDING, VisualStyle(style.background).rich_style)
            drawn = Visual.to_strips(self, label, label.cell_length, 1, style)
            chip = Strip.join([padding, *drawn, padding])
            self._chips_drawn[(value, style)] = chip
        return chip

    def _chip_style(self, row: VisualStyle, rules: dict[str, object]) -> VisualStyle:
        """The style a chip with these rules would have as a widget inside the row (as
        Widget.visual_style works it out)."""
        background = row.background or Color(0, 0, 0, 0)
        color = row.foreground or Color(255, 255, 255, 0)
        text_background = background
        if "background" in rules:
            chip_background = cast(Color, rules["background"])
            text_background = background + chip_background
            background = background + chip_background
        if "color" in rules:
            color = cast(Color, rules["color"])
        if rules.get("auto_color"):
            color = text_background.get_contrast_text(color.a)
        style = VisualStyle(background, color)
        text_style = rules.get("text_style")
        if isinstance(text_style, RichStyle):
            style += VisualStyle.from_rich_style(text_style)
        return style

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The question's text under a mouse selection (to copy), as a Static gives it."""
        return selection.extract(self._text.plain), "\n"

    def on_click(self, event: Click) -> None:
        event.stop()
        value = self._chip_at(event.get_content_offset(self))
        if value is not None:
            self.post_message(AnswerGiven(value=value, step=self.step))
        else:
            self.post_message(RowPicked(self))

    def _chip_at(self, offset: Offset | None) -> str | None:
        """The value of the chip at ``offset`` (in the row's content), if there is one."""
        if offset is None or offset.y != 0:
            return None
        x = offset.x - (self.size.width - self._chips_width)
        for value, label in self._chip_labels.items():
            chip_width = label.cell_length + 2 * self.CHIP_PADDING
            if 0 <= x < chip_width:
                return value
            x -= chip_width
        return None
