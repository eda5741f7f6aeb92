"""The question walk of an intake (the Kindcheck, then the problem scan) or of a follow-up
conversation (vervolggesprek, then the problem scan if the clinician repeats it).

The first questionnaire is asked one question at a time (the children one by one); the
problem scan one domain per page, every indicator of the domain on that page, because most
indicators are a quick yes or no and a clinician answers a page in a few key presses. Every
answer is stored as an encrypted draft at once (a thread worker), and text being typed a
second after the last key, so nothing is lost to a crash, a lock or a quit. The walk opens
after the start form (intake_start.py), from a follow-up held on home or the client page
(followup.py), or from a draft; when it is complete the app shows the outcome on top of it
(:class:`~.messages.OutcomeReady`).

Keys are typed ahead of the screen: the screen takes every key itself and applies it, in
order, to the question or row that is current when it gets there (intake_keys.py says why
nothing here takes the focus). That is why the questions and the scan pages are one screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import ContentSwitcher, ProgressBar, Static

from kindcheck.child_dates import ChildDateProblem
from kindcheck.dates import format_day
from kindcheck.errors import AnswersError
from kindcheck.questionnaire import YESNO_VALUES, Step
from kindcheck.service.intake import Intake, typed_answer

from .intake_keys import WalkKeys
from .messages import OutcomeReady
from .widgets.answer_area import MAX_LENGTH, TEXT_KINDS, AnswerArea, answer_kind
from .widgets.answers import AnswerGiven, ChoiceAnswer
from .widgets.changed import update_changed
from .widgets.keys_footer import KeysFooter
from .widgets.multi_answer import MultiAnswer
from .widgets.safe import literal
from .widgets.scan_page import ScanPage
from .widgets.text_buffer import TextBuffer

# Text being typed is stored as part of the draft this long after the last key.
TYPING_SAVE_SECONDS = 1.0


class IntakeScreen(WalkKeys):
    """The Kindcheck question by question, then the problem scan domain by domain."""

    CSS_PATH = "intake.tcss"
    # Every key is taken by on_key (intake_keys.py) before any binding: these are what the
    # footer and the help screen show, and what a click on the footer does.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next", "ui.key.next", key_display="⏎"),
        Binding("ctrl+j", "newline", "ui.key.newline", key_display="^j"),
        # Every hint line says "Esc = terug": the footer keeps room for the keys of the app.
        Binding("escape", "back", "ui.key.back", show=False),
        Binding("ctrl+s", "close_intake", "ui.key.close_intake"),
        Binding("y,j", "answer('yes')", "ui.key.yes", key_display="ui.key.yes_key", show=False),
        Binding("n", "answer('no')", "ui.key.no", show=False),
        Binding(
            "question_mark", "answer('unknown')", "ui.key.unknown", key_display="?", show=False
        ),
        Binding("1", "pick(1)", "ui.key.pick_number", key_display="1-9", show=False),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(2, 10)],
        Binding("space", "tick", "ui.key.tick", show=False),
        Binding("up,down", "move", "ui.key.move", key_display="↑↓", show=False),
        Binding("h", "toggle_help", "ui.key.why", show=False),
        Binding("ctrl+n", "next", "ui.key.next", show=False),
    ]

    def __init__(self, intake: Intake, typed_ahead: list[events.Key] | None = None) -> None:
        super().__init__()
        self.intake = intake
        self.typed_ahead = typed_ahead if typed_ahead is not None else []
        self.step: Step | None = None
        self.page_index = 0
        self.version = 0
        self.current_row = 0
        self.buffer = TextBuffer()
        self._typing_timer: Timer | None = None
        self._kind = "choice"
        self._modes: ContentSwitcher | None = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        intake = self.intake
        setting = self.tr(f"intake.setting_{intake.setting}")
        title = self.tr("intake.title" if intake.kind == "intake" else "followup.title")
        yield Static(
            Content.assemble(title, " · ", literal(intake.reference), " · ", setting),
            classes="top-bar",
            id="intake-title",
        )
        with Horizontal(id="progress-row"):
            yield Static("", id="progress-text", markup=False)
            yield ProgressBar(id="progress", show_eta=False, show_percentage=False)
        yield Static("", id="context", markup=False)
        with ContentSwitcher(initial="question-mode", id="modes"):
            with Vertical(id="question-mode"):
                yield Static("", id="question-text", markup=False)
                yield AnswerArea(self.tr("intake.date_hint"), id="answer")
                yield Static("", id="error", classes="error-line", markup=False)
                yield Static("", id="answer-hint", classes="muted", markup=False)
            with Vertical(id="page-mode"):
                yield Static("", id="page-error", classes="error-line", markup=False)
                yield ScanPage(id="scan-rows")
        yield Static("", id="help", markup=False)
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help").display = False
        intake = self.intake
        if intake.phase == "scan" and intake.wants_scan():
            self.show_page(intake.scan_page_index(intake.position))
        elif intake.phase == "outcome":
            self.show_last()  # with the outcome on top of it
            if intake.main.is_complete() and (not intake.wants_scan() or intake.scan.is_complete()):
                self.show_outcome()
        else:
            self.show_step(intake.main_step(intake.position))
        self.take_typed_ahead()

    def choice_list(self) -> ChoiceAnswer:
        return self.query_one("#choice", ChoiceAnswer)

    def multi_list(self) -> MultiAnswer:
        return self.query_one("#multi", MultiAnswer)

    def walk_left_screen(self) -> bool:
        """Whether the walk is over here (closed, or the outcome shown over it)."""
        return self.intake.phase not in ("kindcheck", "scan") or self not in self.app.screen_stack

    def error(self, text: str | Content) -> None:
        """A problem with the answer, under the field (or above the page of the scan)."""
        target = "#page-error" if self.in_page_mode() else "#error"
        update_changed(self.query_one(target, Static), text)

    # -- the Kindcheck: one question at a time ---------------------------------------------

    def answer_kind(self) -> str:
        return self._kind

    def show_step(self, step: Step | None) -> None:
        if step is None:
            self.finish_kindcheck()
            return
        self._stop_typing_timer()
        with self.app.batch_update():  # one repaint for the whole question
            self._show_step(step)

    def _show_step(self, step: Step) -> None:
        intake = self.intake
        intake.phase = "kindcheck"
        intake.position = step.key
        self.step = step
        switcher = self.query_one("#modes", ContentSwitcher)
        if switcher.current != "question-mode":
            switcher.current = "question-mode"
        self._show_progress(step)
        child = intake.child_label(step, self.lang)
        context = self.query_one("#context", Static)
        if child:
            label = self.tr("intake.child_of", child=child, count=intake.child_count())
            age = intake.child_age(step.item or 0)
            if age is not None and step.question.role != "child_age":
                label += " " + self.tr("intake.child_age", age=age)
            update_changed(context, literal(label))
        context.display = child is not None
        question = step.question
        children = intake.children_in_wording()
        update_changed(
            self.query_one("#question-text", Static),
            literal(question.text_for(self.lang, children)),
        )
        self._show_help_text(question.help_for(self.lang, children))
        self.error("")
        kind = self._kind = answer_kind(step)
        value = intake.main.get(step)
        if kind in TEXT_KINDS:
            self.buffer = TextBuffer(
                multiline=kind == "longtext", max_length=MAX_LENGTH.get(kind, 0)
            )
            pending = intake.pending_text.get(step.key)
            if pending is not None:
                self.buffer.load(pending)
            elif kind == "date" and value:
                self.buffer.load(format_day(date.fromisoformat(value), self.lang))
            else:
                self.buffer.load("" if value is None else str(value))
        self.query_one("#answer", AnswerArea).show(step, value, self.buffer, self.lang)
        update_changed(self.query_one("#answer-hint", Static), literal(self._hint(step, kind)))
        self.refresh_bindings()
        problem = intake.child_date_problem(step)
        if problem is not None and step.question.role == "child_birth_date":
            self.error(self._child_date_message(problem))
        self.autosave()  # every answer, and where the clinician is, right away

    def _hint(self, step: Step, kind: str) -> str:
        question = step.question
        if kind == "multi":
            hint = self.tr("intake.hint_multi")
        elif kind == "longtext":
            hint = self.tr("intake.hint_longtext")
        elif kind != "choice":
            hint = self.tr("intake.hint_input")
        elif question.type == "yesno":
            hint = self.tr("intake.hint_yesno")
        else:
            hint = self.tr("intake.hint_choice")
        if not question.required:
            hint += " " + self.tr("intake.hint_optional")
        if step.key in self.intake.suggested:
            # Proposed from the last session: the clinician confirms or changes it.
            previous = self.intake.previous
            seen = previous.held_on if previous else None
            hint = self.tr("followup.prefilled", day=format_day(seen, self.lang))
        return hint

    def _show_progress(self, step: Step) -> None:
        intake = self.intake
        progress = intake.progress(step)
        steps = [s.key for s in intake.main.steps()]
        done = steps.index(step.key) if step.key in steps else 0
        title = intake.main_questionnaire.title.get(self.lang)
        text = self.tr(
            "intake.progress_part",
            title=title,
            part=progress.label(self.lang),
            number=progress.number,
            total=progress.total,
        )
        self._progress(text, done, len(steps))

    def _progress(self, text: str, done: int, total: int) -> None:
        update_changed(self.query_one("#progress-text", Static), literal(text))
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _show_help_text(self, text: str) -> None:
        update_changed(
            self.query_one("#help", Static),
            Content.assemble((self.tr("intake.why_we_ask") + " ", "bold"), literal(text)),
        )

    def answer_step(self, step: Step, value: Any) -> bool:
        """Store an answer to a Kindcheck step; False (with the reason shown) if it is wrong."""
        try:
            self.intake.main.answer(step, value)
        except AnswersError:
            self.answer_problem(step)
            return False
        self.intake.pending_text.pop(step.key, None)
        self.intake.suggested.discard(step.key)
        return True  # the draft is saved by show_step, with the new position

    def answer_problem(self, step: Step) -> None:
        question = step.question
        if question.type == "number":
            message = self.tr(
                "intake.need_number",
                min=question.minimum or 0,
                max=question.maximum if question.maximum is not None else 999,
            )
        elif question.type == "date":
            message = self.tr("intake.need_date")
        elif question.type in ("text", "longtext"):
            message = self.tr("intake.text_too_long")
        elif question.type == "multi":
            message = self.tr("intake.need_some")
        elif question.type == "yesno":
            message = self.tr("intake.need_yesno")
        else:
            message = self.tr("intake.need_choice")
        self.error(message)

    def advance_from(self, step: Step) -> None:
        self.show_step(self.intake.main.next_step(step))

    def choose(self, step: Step, value: Any) -> None:
        """A yes / no / don't know or an option id for ``step``: stored, and on."""
        if self.answer_step(step, value):
            self.advance_from(step)

    def choose_option(self, step: Step, index: int) -> None:
        """Option ``index`` (0-based; digits and Enter on the list) of a numbered question."""
        options = step.question.options
        if 0 <= index < len(options):
            self.choose(step, options[index].id)
        else:
            self.answer_problem(step)

    def confirm_multi(self, step: Step) -> None:
        """Enter on a question with several answers: the options ticked."""
        ticked = list(self.multi_list().ticked)
        if ticked or not step.question.required:
            if not ticked:
                self.intake.main.clear(step)
                self.advance_from(step)
            elif self.answer_step(step, ticked):
                self.advance_from(step)
        else:
            self.answer_problem(step)

    def submit_field(self) -> None:
        """Enter in a number, date or text field: store what was typed and move on."""
        step = self.step
        if step is None:
            return
        question = step.question
        raw = self.buffer.text
        if not raw.strip():
            if question.required:
                self.answer_problem(step)
                return
            self.intake.main.clear(step)
            self.intake.pending_text.pop(step.key, None)
            self.advance_from(step)
            return
        try:
            value = typed_answer(question, raw)
        except (AnswersError, ValueError):
            self.answer_problem(step)
            return
        if not self.answer_step(step, value):
            return
        problem = self.intake.child_date_problem(step)
        if problem is not None and question.role == "child_birth_date":
            # Not stored: the age and the birth date disagree (or the child is not born yet).
            # The clinician corrects the birth date here, or goes back to the age.
            self.intake.main.clear(step)
            self.intake.pending_text[step.key] = raw
            self.error(self._child_date_message(problem))
            return
        self.advance_from(step)  # an age that disagrees is shown on the birth date next

    def _child_date_message(self, problem: ChildDateProblem) -> str:
        values = {
            "age": problem.age,
            "birth": format_day(problem.birth_date, self.lang),
            "day": format_day(problem.day, self.lang),
            "computed": problem.computed,
        }
        key = "intake.birth_after_session" if problem.after_session else "intake.age_mismatch"
        return self.tr(key, **values)

    def typed(self) -> None:
        """A key changed the answer being typed or ticked: shown, and kept in the draft a
        second after the last key (at most that second is lost to a crash)."""
        self.query_one("#answer", AnswerArea).mirror(self.buffer)
        self.error("")
        self._keep_pending_text()
        self._stop_typing_timer()
        self._typing_timer = self.set_timer(TYPING_SAVE_SECONDS, self._typing_paused)

    def _typing_paused(self) -> None:
        self._typing_timer = None
        self.autosave()

    def _stop_typing_timer(self) -> None:
        if self._typing_timer is not None:
            self._typing_timer.stop()
            self._typing_timer = None

    def on_answer_given(self, message: AnswerGiven) -> None:
        """A click on an answer: applied to the question or row it was on."""
        message.stop()
        if self.walk_left_screen():
            return
        if self.in_page_mode():
            if message.value is not None:
                self.answer_row(message.value, message.step)
            return
        step = self.step
        if step is None or message.step is None or message.step.key != step.key:
            return  # a click on a question that has gone
        if message.option_index is None:
            return
        if step.question.type == "yesno":
            if 0 <= message.option_index < len(YESNO_VALUES):
                self.choose(step, YESNO_VALUES[message.option_index])
        else:
            self.choose_option(step, message.option_index)

    def in_page_mode(self) -> bool:
        # Asked for every binding each time the footer looks at the keys: the switcher is
        # looked up once (a query walks the whole screen). The footer asks as soon as it is
        # mounted, which under load can be before the switcher is: then no page is showing yet.
        switcher = self._modes
        if switcher is None:
            for switcher in self.query("#modes").results(ContentSwitcher):
                self._modes = switcher
                break
            else:
                return False
        return switcher.current == "page-mode"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys of what is on screen are offered (the footer and the help)."""
        page = self.in_page_mode()
        question = self.step.question if self.step is not None and not page else None
        kind = self._kind if question is not None else None
        if action == "newline":
            return kind == "longtext"
        if action == "answer":
            return page or (question is not None and question.type == "yesno")
        if action == "pick":
            return kind == "multi" or (question is not None and question.type == "choice")
        if action == "tick":
            return kind == "multi"
        if action == "move":
            return page or kind in ("choice", "multi")
        return True

    def finish_kindcheck(self) -> None:
        intake = self.intake
        missing = intake.main.missing()
        if missing:
            self.show_step(missing[0])
            self.error(self.tr("intake.missing_answers"))
            return
        for step in intake.main.steps():
            if step.question.role == "child_birth_date" and intake.child_date_problem(step):
                self.show_step(step)  # says what disagrees
                return
        if not intake.wants_scan():
            self.show_outcome()
            return
        intake.phase = "scan"
        self.show_page(
            intake.scan_page_index(None)
            if intake.position is None
            else intake.scan_page_index(intake.position)
        )

    # -- moving (the actions are the footer's; keys come through on_key) ------------------

    def action_next(self) -> None:
        if self.in_page_mode():
            self.next_page()
            return
        step = self.step
        if step is None:
            return
        kind = self._kind
        if kind == "multi":
            self.confirm_multi(step)
        elif kind == "choice":
            if self.intake.main.get(step) is None:
                self.error(self.tr("intake.need_choice"))
                return
            self.advance_from(step)
        else:
            self.submit_field()

    def action_newline(self) -> None:
        if self._kind == "longtext" and self.buffer.newline():
            self.typed()

    def action_answer(self, value: str) -> None:
        if self.in_page_mode():
            self.answer_row(value, None)
        elif self.step is not None and self.step.question.type == "yesno":
            self.choose(self.step, value)

    def action_pick(self, number: int) -> None:
        if self.step is not None and self._kind == "choice":
            self.choose_option(self.step, number - 1)

    def action_tick(self) -> None:
        if self._kind == "multi":
            self.multi_list().toggle_highlighted()

    def action_move(self) -> None:
        """Arrows move the highlight or the current row (keys come through on_key)."""

    def action_back(self) -> None:
        intake = self.intake
        if self.in_page_mode():
            if self.page_index > 0:
                self.show_page(self.page_index - 1)
            else:
                self.show_step(intake.main.previous_step(None))
            return
        self._keep_pending_text()
        previous = intake.main.previous_step(self.step)
        if previous is None:
            self.action_close_intake()
            return
        self.show_step(previous)

    def action_toggle_help(self) -> None:
        help_panel = self.query_one("#help")
        help_panel.display = not help_panel.display

    def action_close_intake(self) -> None:
        """Back to home; the draft keeps everything, to resume later."""
        self._keep_pending_text()
        self._stop_typing_timer()
        self.autosave()
        self.notify(self.tr("intake.draft_kept"), markup=False, timeout=4)
        self.app.pop_screen()

    def show_outcome(self) -> None:
        self._stop_typing_timer()
        self.intake.phase = "outcome"
        self.autosave()
        # Straight to the app, so it opens before any key typed after this one is sent on.
        self.app.post_message(OutcomeReady(self.intake, self.autosave))

    def on_screen_resume(self) -> None:
        if self.intake.phase == "outcome":  # back from the outcome (Escape)
            self.show_last()

    def show_last(self) -> None:
        """The last page of the scan, or the last question when there is no scan."""
        if not self.intake.wants_scan():
            self.show_step(self.intake.main.previous_step(None))
        else:
            self.show_page(len(self.intake.scan_pages()) - 1)

    # -- help ---------------------------------------------------------------------------

    def help_sections(self) -> list[tuple[str, str]]:
        """For the help screen (F1): how a walk goes."""
        return [(self.tr("help.walk_title"), self.tr("help.walk"))]

    def help_question(self) -> tuple[str, str] | None:
        """For the help screen (F1), above the keys: why the current question (or scan row) is
        asked and what it rests on."""
        question = None
        if self.in_page_mode():
            rows = self.rows()
            row_step = rows[self.current_row].step if self.current_row < len(rows) else None
            question = row_step.question if row_step is not None else None
        elif self.step is not None:
            question = self.step.question
        if question is None:
            return None
        children = self.intake.children_in_wording()
        return (
            question.text_for(self.lang, children),
            self.tr("intake.why_we_ask")
            + " "
            + question.help_for(self.lang, children)
            + "\n"
            + self.tr("help.source", source=question.source),
        )

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(self.tr("cmd.why"), self.tr("cmd.why_help"), self.action_toggle_help)
        yield SystemCommand(self.tr("cmd.back"), self.tr("cmd.back_help"), self.action_back)
        yield SystemCommand(
            self.tr("cmd.close_intake"), self.tr("cmd.close_intake_help"), self.action_close_intake
        )
