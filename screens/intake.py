"""The question walk of an intake (the Kindcheck, then the problem scan) or of a follow-up
conversation (vervolggesprek, then the problem scan if the clinician repeats it).

The first questionnaire is asked one question at a time (the children one by one); the
problem scan one domain per page, every indicator of the domain on that page, because most
indicators are a quick yes or no and a clinician answers a page in a few key presses. Every
answer is stored as an encrypted draft at once (a thread worker), so nothing is lost to a
crash, a lock or a quit. The walk opens after the start form (intake_start.py), from a
follow-up held on home or the client page (followup.py), or from a draft; when it is complete
the app shows the outcome on top of it (:class:`~.messages.OutcomeReady`).

Keys are typed ahead of the screen: every answer key is applied, in order, to the question or
row that is current when it arrives (see :class:`~.widgets.answers.AnswerGiven`). That is why
the questions and the scan pages are one screen, a little over 600 lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import ContentSwitcher, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from kindcheck.dates import format_day
from kindcheck.errors import AnswersError
from kindcheck.questionnaire import YESNO_VALUES, Step
from kindcheck.service.intake import Intake, typed_answer
from kindcheck.service.vault_service import VaultNotOpen
from kindcheck.service.views import PendingDraft

from .base import KindcheckScreen
from .messages import OutcomeReady
from .widgets.answer_area import AnswerArea
from .widgets.answers import AnswerGiven, IndicatorRow, RowPicked
from .widgets.keys_footer import KeysFooter
from .widgets.multi_answer import MultiAnswer
from .widgets.safe import literal
from .widgets.scan_page import ScanPage


class IntakeScreen(KindcheckScreen):
    """The Kindcheck question by question, then the problem scan domain by domain."""

    CSS_PATH = "intake.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Page mode (the problem scan): the screen answers its current row.
        Binding("y,j", "answer_row('yes')", "ui.key.yes", key_display="ui.key.yes_key"),
        Binding("n", "answer_row('no')", "ui.key.no"),
        Binding("question_mark", "answer_row('unknown')", "ui.key.unknown", key_display="?"),
        Binding("up", "move_row(-1)", show=False),
        Binding("down", "move_row(1)", show=False),
        Binding("h", "toggle_help", show=False),
        Binding("enter", "next", "ui.key.next"),
        Binding("escape", "back", "ui.key.back"),
        Binding("f1", "toggle_help", "ui.key.why", priority=True),
        Binding("ctrl+n", "next", "ui.key.next", show=False, priority=True),
        Binding("ctrl+s", "close_intake", "ui.key.close_intake"),
    ]

    def __init__(self, intake: Intake) -> None:
        super().__init__()
        self.intake = intake
        self.step: Step | None = None
        self.page_index = 0
        self.version = 0
        self.current_row = 0

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
                yield Static("", id="answer-hint", classes="muted", markup=False)
            yield ScanPage(id="page-mode")
        yield Static("", id="help", markup=False)
        yield Static("", id="error", classes="error-line", markup=False)
        yield KeysFooter()

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

    # -- the Kindcheck: one question at a time ---------------------------------------------

    def show_step(self, step: Step | None) -> None:
        if step is None:
            self.finish_kindcheck()
            return
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
            self.refresh_bindings()
        steps = intake.main.steps()
        keys = [s.key for s in steps]
        number = keys.index(step.key) + 1 if step.key in keys else 1
        title = intake.main_questionnaire.title.get(self.lang)
        self._progress(
            self.tr("intake.progress_kindcheck", title=title, number=number, total=len(steps)),
            number - 1,
            len(steps),
        )
        child = intake.child_label(step, self.lang)
        context = self.query_one("#context", Static)
        if child:
            label = self.tr("intake.child_of", child=child, count=intake.child_count())
            age = intake.child_age(step.item or 0)
            if age is not None and step.question.role != "child_age":
                label += " " + self.tr("intake.child_age", age=age)
            context.update(literal(label))
        context.display = child is not None
        question = step.question
        self.query_one("#question-text", Static).update(literal(question.text.get(self.lang)))
        self._show_help_text(question.help.get(self.lang))
        self.query_one("#error", Static).update("")
        kind = self.query_one("#answer", AnswerArea).show(
            step, intake.main.get(step), intake.pending_text.get(step.key), self.lang
        )
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
            hint += " " + self.tr(
                "intake.hint_optional_longtext" if kind == "longtext" else "intake.hint_optional"
            )
        if step.key in intake.suggested:
            # Proposed from the last session: the clinician confirms or changes it.
            seen = intake.previous.held_on if intake.previous else None
            hint = self.tr("followup.prefilled", day=format_day(seen, self.lang))
        self.query_one("#answer-hint", Static).update(literal(hint))
        self.autosave()  # every answer, and where the clinician is, right away

    def _progress(self, text: str, done: int, total: int) -> None:
        self.query_one("#progress-text", Static).update(literal(text))
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _show_help_text(self, text: str) -> None:
        self.query_one("#help", Static).update(
            Content.assemble((self.tr("intake.why_we_ask") + " ", "bold"), literal(text))
        )

    def answer_step(self, step: Step, value: Any) -> bool:
        """Store an answer to a Kindcheck step; False (with the reason shown) if it is wrong."""
        try:
            self.intake.main.answer(step, value)
        except AnswersError:
            self._answer_problem(step)
            return False
        self.intake.pending_text.pop(step.key, None)
        self.intake.suggested.discard(step.key)
        return True  # the draft is saved by show_step, with the new position

    def _answer_problem(self, step: Step) -> None:
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
        else:
            message = self.tr("intake.need_choice")
        self.query_one("#error", Static).update(message)

    def advance_from(self, step: Step) -> None:
        self.show_step(self.intake.main.next_step(step))

    def submit_field(self) -> None:
        """Enter in a number, date or text field: store what was typed and move on."""
        step = self.step
        if step is None:
            return
        question = step.question
        raw = self.query_one("#answer", AnswerArea).typed_text()
        if raw is None:
            return
        if not raw.strip():
            if question.required:
                self._answer_problem(step)
                return
            self.intake.main.clear(step)
            self.intake.pending_text.pop(step.key, None)
            self.advance_from(step)
            return
        try:
            value = typed_answer(question, raw)
        except (AnswersError, ValueError):
            self._answer_problem(step)
            return
        if self.answer_step(step, value):
            self.advance_from(step)

    @on(Input.Submitted, "#number, #date, #text")
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit_field()

    def on_answer_given(self, message: AnswerGiven) -> None:
        """An answer key or click, applied to what is current now (see AnswerGiven)."""
        message.stop()
        if self.in_page_mode():
            if message.value is not None:
                self.answer_row(message.value, message.step)
            return
        step = self.step
        if step is None or message.step is not None:
            return
        question = step.question
        if message.digit is not None and question.type == "number":
            # A number typed ahead before the field took the focus: it belongs in the field.
            field = self.query_one("#number", Input)
            field.insert_text_at_cursor(message.digit)
            return
        if question.type == "multi":
            multi = self.query_one("#multi", MultiAnswer)
            if isinstance(message.value, list):  # Enter on the list: the options ticked
                if message.value or not question.required:
                    if self.answer_step(step, message.value):
                        self.advance_from(step)
                else:
                    self._answer_problem(step)
            elif message.option_index is not None:  # a digit typed ahead: tick that option
                multi.toggle(message.option_index)
            else:
                self._answer_problem(step)
            return
        value = message.value
        if message.option_index is not None:
            ids = (
                list(YESNO_VALUES)
                if question.type == "yesno"
                else [option.id for option in question.options]
            )
            value = ids[message.option_index] if 0 <= message.option_index < len(ids) else None
        # A y/n/? key fits a yes/no question only; a digit picks an option of either kind
        # (a version-2 choice may have options named "yes" and "no", e.g. consent asked).
        by_letter = message.option_index is None
        if (
            value is None
            or question.type not in ("yesno", "choice")
            or (by_letter and (question.type == "yesno") != (value in YESNO_VALUES))
        ):
            # A key typed ahead that does not fit this question: nothing is stored.
            self._answer_problem(step)
            return
        if self.answer_step(step, value):
            self.advance_from(step)

    def in_page_mode(self) -> bool:
        return self.query_one("#modes", ContentSwitcher).current == "page-mode"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("answer_row", "move_row"):
            return self.in_page_mode()
        return True

    def finish_kindcheck(self) -> None:
        intake = self.intake
        missing = intake.main.missing()
        if missing:
            self.show_step(missing[0])
            self.query_one("#error", Static).update(self.tr("intake.missing_answers"))
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

    # -- the problem scan: one domain per page ---------------------------------------------

    def show_page(self, index: int) -> None:
        intake = self.intake
        pages = intake.scan_pages()
        if not pages:
            self.show_outcome()
            return
        index = max(0, min(index, len(pages) - 1))
        page = pages[index]
        for step in page.steps:
            if intake.scan.get(step) is None and intake.scan.prefill(step) is not None:
                self.intake.suggested.add(step.key)
        intake.apply_prefills(page.steps)
        intake.phase = "scan"
        intake.position = page.domain_id
        self.step = None
        self.page_index = index
        switcher = self.query_one("#modes", ContentSwitcher)
        if switcher.current != "page-mode":
            switcher.current = "page-mode"
            self.refresh_bindings()
        self._page_header(index, len(pages), page.domain_id)
        self.query_one("#error", Static).update("")
        self.query_one("#answer-hint", Static).update("")
        container = self.query_one("#page-mode", ScanPage)
        container.show_steps(
            page.steps,
            [intake.scan.get(step) for step in page.steps],
            [step.key in intake.suggested for step in page.steps],
            self.lang,
        )
        first_open = next(
            (
                i
                for i, step in enumerate(page.steps)
                if intake.scan.get(step) is None or step.key in intake.suggested
            ),
            0,
        )
        self.set_current_row(first_open)
        if self.focused is not container:
            container.focus()
        self.autosave()

    def set_current_row(self, index: int) -> None:
        rows = self.rows()
        if not rows:
            return
        self.current_row = max(0, min(index, len(rows) - 1))
        page = self.query_one("#page-mode", ScanPage)
        current = page.mark_current(self.current_row)
        if current.step is not None:
            self._show_help_text(current.step.question.help.get(self.lang))
        page.scroll_to_widget(current, animate=False)

    def action_answer_row(self, value: str) -> None:
        self.answer_row(value, None)

    def action_move_row(self, delta: int) -> None:
        self.set_current_row(self.current_row + delta)

    def on_row_picked(self, message: RowPicked) -> None:
        rows = self.rows()
        if message.row in rows:
            self.set_current_row(rows.index(message.row))

    def _page_header(self, index: int, total: int, domain_id: str) -> None:
        intake = self.intake
        counted = intake.problem_domain_ids()
        self._progress(
            self.tr(
                "intake.progress_scan",
                title=intake.scan_questionnaire.title.get(self.lang),
                number=index + 1,
                total=total,
                count=len(counted),
            ),
            index,
            total,
        )
        questionnaire = intake.scan_questionnaire
        name = next(
            (d.name.get(self.lang) for d in questionnaire.domains if d.id == domain_id),
            questionnaire.title.get(self.lang),
        )
        names = ", ".join(d.name.get(self.lang) for d in questionnaire.domains if d.id in counted)
        context = Content.assemble(literal(name, "bold"))
        if names:
            context = Content.assemble(
                context, "   ", (self.tr("intake.counted") + " ", "dim"), literal(names, "dim")
            )
        context_line = self.query_one("#context", Static)
        context_line.update(context)
        context_line.display = True

    def rows(self) -> list[IndicatorRow]:
        """The rows of the page being shown (reused rows beyond it are hidden)."""
        return self.query_one("#page-mode", ScanPage).rows()

    def answer_row(self, value: Any, step: Step | None) -> None:
        intake = self.intake
        rows = self.rows()
        if not rows:
            return
        row: IndicatorRow | None = rows[self.current_row]
        if step is not None:
            row = next((r for r in rows if r.step is not None and r.step.key == step.key), None)
        if row is None:
            return  # a click on a row that has left the page
        step = row.step
        if step is None:
            return
        try:
            intake.scan.answer(step, value)
        except AnswersError:
            self.query_one("#error", Static).update(self.tr("intake.need_choice"))
            return
        self.intake.suggested.discard(step.key)
        self.query_one("#error", Static).update("")
        pages = intake.scan_pages()
        page_steps = (
            [s.key for s in pages[self.page_index].steps] if self.page_index < len(pages) else []
        )
        if page_steps != [r.step.key for r in rows if r.step is not None]:
            # An answer showed or hid an indicator on this page: draw the page again.
            self.show_page(self.page_index)
            return
        row.set_value(value)
        self._page_header(self.page_index, len(pages), pages[self.page_index].domain_id)
        self.autosave()
        position = rows.index(row)
        # Next: an open row after this one, else a suggested answer still to confirm (GGZ
        # pre-marks one), else the next row; the page turns once every row has its answer.
        later = [i for i in range(position + 1, len(rows)) if self._row_open(rows[i])]
        to_confirm = [i for i, r in enumerate(rows) if self._row_open(r)]
        if later:
            self.set_current_row(later[0])
        elif to_confirm:
            self.set_current_row(to_confirm[0])
        elif position + 1 < len(rows):
            self.set_current_row(position + 1)
        elif all(r.value is not None or (r.step and not r.step.question.required) for r in rows):
            self.next_page()

    def _row_open(self, row: IndicatorRow) -> bool:
        """Not answered yet, or answered only by the questionnaire's suggestion."""
        return row.value is None or (row.step is not None and row.step.key in self.intake.suggested)

    def next_page(self) -> None:
        """Enter: on to the next domain; suggested answers on this page count as confirmed."""
        rows = self.rows()
        for row in rows:
            if row.step is not None and row.step.key in self.intake.suggested:
                self.intake.suggested.discard(row.step.key)
                row.set_value(row.value)
        open_rows = [
            i
            for i, row in enumerate(rows)
            if row.value is None and row.step is not None and row.step.question.required
        ]
        if open_rows:
            self.set_current_row(open_rows[0])
            self.query_one("#error", Static).update(self.tr("intake.page_incomplete"))
            return
        if self.page_index + 1 < len(self.intake.scan_pages()):
            self.show_page(self.page_index + 1)
        else:
            self.finish_scan()

    def finish_scan(self) -> None:
        intake = self.intake
        missing = intake.scan.missing()
        if missing:
            domain = missing[0].question.domain
            pages = intake.scan_pages()
            index = next((i for i, p in enumerate(pages) if p.domain_id == domain), 0)
            self.show_page(index)
            self.query_one("#error", Static).update(self.tr("intake.missing_answers"))
            return
        self.show_outcome()

    # -- moving -------------------------------------------------------------------------

    def action_next(self) -> None:
        if self.in_page_mode():
            self.next_page()
            return
        step = self.step
        if step is None:
            return
        kind = self.query_one("#answer", ContentSwitcher).current
        if kind == "multi":
            self.query_one("#multi", MultiAnswer).action_confirm()
        elif kind == "choice":
            value = self.intake.main.get(step)
            if value is None:
                # Enter on the list takes the highlighted option (OptionList does that).
                self.query_one("#error", Static).update(self.tr("intake.need_choice"))
                return
            self.advance_from(step)
        else:
            self.submit_field()

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
        self.autosave()
        self.notify(self.tr("intake.draft_kept"), markup=False)
        self.app.pop_screen()

    def show_outcome(self) -> None:
        self.intake.phase = "outcome"
        self.autosave()
        self.post_message(OutcomeReady(self.intake, self.autosave))

    def on_screen_resume(self) -> None:
        if self.intake.phase == "outcome":  # back from the outcome (Escape)
            self.show_last()

    def show_last(self) -> None:
        """The last page of the scan, or the last question when there is no scan."""
        if not self.intake.wants_scan():
            self.show_step(self.intake.main.previous_step(None))
        else:
            self.show_page(len(self.intake.scan_pages()) - 1)

    # -- drafts -------------------------------------------------------------------------

    def _keep_pending_text(self) -> None:
        """Text typed but not yet confirmed with Enter is kept in the draft too."""
        step = self.step
        if step is None or self.query_one("#modes", ContentSwitcher).current != "question-mode":
            return
        text = self.query_one("#answer", AnswerArea).typed_text()
        if text is None:
            return
        stored = self.intake.main.get(step)
        if text and text != ("" if stored is None else str(stored)):
            self.intake.pending_text[step.key] = text
        else:
            self.intake.pending_text.pop(step.key, None)

    def draft_for_lock(self) -> PendingDraft | None:
        """Called by the app before it locks or quits: the draft as it stands this moment."""
        if self.intake.phase == "saved":
            return None
        self._keep_pending_text()
        return self._next_draft()

    def autosave(self) -> None:
        if self.intake.phase != "saved":
            self.save_draft(self._next_draft())

    def _next_draft(self) -> PendingDraft:
        """The draft as it stands, one version newer than the last one stored."""
        self.version += 1
        intake = self.intake
        return PendingDraft(intake.draft_id, intake.to_payload(), self.version, intake.reference)

    @work(thread=True, exit_on_error=False, group="autosave")
    def save_draft(self, draft: PendingDraft) -> None:
        self.service.save_draft(draft.draft_id, draft.payload, draft.version, draft.reference)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "autosave" or event.state != WorkerState.ERROR:
            return
        event.stop()
        if isinstance(event.worker.error, VaultNotOpen):
            return  # locked meanwhile: the lock saved the newest draft itself
        self.notify(self.tr("intake.draft_failed"), severity="error", markup=False, timeout=10)

    def after_unlock(self) -> None:
        if self.step is not None:
            self.show_step(self.step)
        else:
            self.show_page(self.page_index)

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(self.tr("cmd.why"), self.tr("cmd.why_help"), self.action_toggle_help)
        yield SystemCommand(self.tr("cmd.back"), self.tr("cmd.back_help"), self.action_back)
        yield SystemCommand(
            self.tr("cmd.close_intake"), self.tr("cmd.close_intake_help"), self.action_close_intake
        )
