"""Every key of the question walk, taken by the screen itself in the order it was pressed.

A fast typist is ahead of the screen: "2 ⏎ 7 ⏎ 03-05-2019 ⏎ 1" arrive before the first Enter is
handled. Textual hands a key to the widget that has the focus *when the key is sent on*, and a
widget's Enter binding runs only after the key has gone up to the app; so with a focused Input
per question, every key typed ahead lands in the first field ("27030520191"), and a field
reused by the next question is emptied under the keys typed into it. Moving the focus is
itself deferred (``Widget.focus`` goes through the app's queue).

So nothing on the walk's screen takes the focus. Textual then sends every key to the screen,
into one queue, in order; :meth:`WalkKeys.on_key` applies each to the question (or scan row)
that is current when it gets there, and an Enter stores the answer and moves on *before* the
next key is looked at. A key belongs to the question that was showing when it was pressed.
The fields only show what is typed (:class:`~.widgets.text_buffer.TextBuffer`).

Keys typed after the walk has left the screen (closed with Ctrl+S, or the outcome opened) are
sent on to the app again, for the screen that is showing now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events

from kindcheck.questionnaire import YESNO_VALUES

from .intake_scan import WalkScan
from .widgets.answer_area import TEXT_KINDS
from .widgets.text_buffer import EDIT_KEYS

if TYPE_CHECKING:
    from kindcheck.questionnaire import Step

    from .widgets.answers import ChoiceAnswer
    from .widgets.multi_answer import MultiAnswer

# Letters that answer yes / no / don't know, in either language (j and y are both "yes").
YESNO_BY_KEY = {"y": "yes", "j": "yes", "n": "no", "question_mark": "unknown"}
# Keys the walk leaves to the app: its own bindings (help, the palette, quit, lock).
APP_KEYS = frozenset({"f1", "ctrl+p", "ctrl+q", "ctrl+l", "ctrl+c"})
MOVE_KEYS = frozenset({"up", "down", "home", "end", "pageup", "pagedown"})
# What a number or a date field may hold.
ALLOWED = {"number": "0123456789", "date": "0123456789-/."}


class WalkKeys(WalkScan):
    """The key handling of :class:`~.intake.IntakeScreen`."""

    typed_ahead: list[events.Key]

    # Defined by the screen: what the keys need of it.
    def choose(self, step: Step, value: Any) -> None:
        raise NotImplementedError

    def choose_option(self, step: Step, index: int) -> None:
        raise NotImplementedError

    def confirm_multi(self, step: Step) -> None:
        raise NotImplementedError

    def submit_field(self) -> None:
        raise NotImplementedError

    def typed(self) -> None:
        raise NotImplementedError

    def answer_problem(self, step: Step) -> None:
        raise NotImplementedError

    def action_next(self) -> None:
        raise NotImplementedError

    def action_back(self) -> None:
        raise NotImplementedError

    def action_close_intake(self) -> None:
        raise NotImplementedError

    def action_toggle_help(self) -> None:
        raise NotImplementedError

    def walk_left_screen(self) -> bool:
        raise NotImplementedError

    def choice_list(self) -> ChoiceAnswer:
        raise NotImplementedError

    def multi_list(self) -> MultiAnswer:
        raise NotImplementedError

    # -- every key ------------------------------------------------------------------------------

    def take_typed_ahead(self) -> None:
        """Keys typed on the start form for the first questions: before any of our own."""
        while self.typed_ahead:
            self._walk_key(self.typed_ahead.pop(0))

    def on_key(self, event: events.Key) -> None:
        self.take_typed_ahead()
        self._walk_key(event)

    def _walk_key(self, event: events.Key) -> None:
        if self.walk_left_screen():
            # Typed after the walk moved on (home, or the outcome on top): for that screen.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if event.key in APP_KEYS:
            return
        handled = self._page_key(event) if self.in_page_mode() else self._question_key(event)
        if handled:
            event.stop()
            event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if self.walk_left_screen() or self.in_page_mode() or self.step is None:
            return
        if self.answer_kind() in TEXT_KINDS and self.buffer.insert(self._allowed(event.text)):
            self.typed()

    # -- the problem scan -----------------------------------------------------------------------

    def _page_key(self, event: events.Key) -> bool:
        key = event.key
        if key in YESNO_BY_KEY:
            self.answer_row(YESNO_BY_KEY[key], None)
        elif key in ("up", "down"):
            self.set_current_row(self.current_row + (-1 if key == "up" else 1))
        elif key in ("home", "pageup"):
            self.set_current_row(0)
        elif key in ("end", "pagedown"):
            self.set_current_row(len(self.rows()) - 1)
        elif key in ("enter", "ctrl+n"):
            self.next_page()
        elif key == "escape":
            self.action_back()
        elif key == "ctrl+s":
            self.action_close_intake()
        elif key == "h":
            self.action_toggle_help()
        else:
            return key in ("tab", "shift+tab") or event.is_printable
        return True

    # -- one question at a time ---------------------------------------------------------------

    def _question_key(self, event: events.Key) -> bool:
        step = self.step
        if step is None:
            return True
        key = event.key
        if key == "escape":
            self.action_back()
        elif key == "ctrl+s":
            self.action_close_intake()
        elif key == "ctrl+n":
            self.action_next()
        else:
            kind = self.answer_kind()
            if kind in TEXT_KINDS:
                return self._text_key(event, kind)
            if kind == "multi":
                return self._multi_key(event, step)
            return self._choice_key(event, step)
        return True

    def _text_key(self, event: events.Key, kind: str) -> bool:
        key = event.key
        buffer = self.buffer
        if key == "enter" or (key == "ctrl+j" and kind != "longtext"):
            self.submit_field()
            return True
        if key in ("ctrl+j", "shift+enter"):
            changed = buffer.newline()
        elif key in EDIT_KEYS:
            changed = buffer.key(key)
        elif event.is_printable and event.character:
            changed = buffer.insert(self._allowed(event.character))
        else:
            return key in ("tab", "shift+tab")  # the walk has one field: Tab stays here
        if changed:
            self.typed()
        return True

    def _allowed(self, text: str) -> str:
        allowed = ALLOWED.get(self.answer_kind())
        return text if allowed is None else "".join(ch for ch in text if ch in allowed)

    def _choice_key(self, event: events.Key, step: Step) -> bool:
        key = event.key
        question = step.question
        choice = self.choice_list()
        if key in MOVE_KEYS:
            choice.move(key)
        elif key == "enter":
            highlighted = choice.highlighted or 0
            if question.type == "yesno":
                self.choose(step, YESNO_VALUES[highlighted])
            else:
                self.choose_option(step, highlighted)
        elif question.type == "yesno" and key in YESNO_BY_KEY:
            self.choose(step, YESNO_BY_KEY[key])
        elif question.type != "yesno" and key.isdigit() and key != "0":
            self.choose_option(step, int(key) - 1)
        elif key == "h":
            self.action_toggle_help()
        elif key == "question_mark":
            return False  # not an answer here: the app's help
        elif event.is_printable:
            # A letter or digit that does not answer this question (a yes/no is not
            # answered by a digit, a numbered one not by j/n): said, nothing stored.
            self.answer_problem(step)
        else:
            return key in ("tab", "shift+tab")
        return True

    def _multi_key(self, event: events.Key, step: Step) -> bool:
        key = event.key
        multi = self.multi_list()
        if key.isdigit() and key != "0":
            multi.toggle(int(key) - 1)
            self.typed()
        elif key == "space":
            multi.toggle_highlighted()
            self.typed()
        elif key in MOVE_KEYS:
            multi.move(key)
        elif key == "enter":
            self.confirm_multi(step)
        elif key == "h":
            self.action_toggle_help()
        elif key == "question_mark":
            return False
        elif event.is_printable:
            self.answer_problem(step)
        else:
            return key in ("tab", "shift+tab")
        return True
