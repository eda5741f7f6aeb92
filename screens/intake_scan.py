"""The problem scan of the walk: one domain per page, every indicator of it on the page.

A base of :class:`~.intake.IntakeScreen`: the keys of a page are
taken by intake_keys.py and come here as answers to the current row, moves and page turns.
Answers the questionnaire proposes (the GGZ indicator, and in version 1 what the Kindcheck
already asked: eviction, someone to fall back on) are pre-marked for the clinician to confirm,
and the row says where they came from.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import ContentSwitcher, Static

from kindcheck.errors import AnswersError
from kindcheck.questionnaire import Step

from .intake_drafts import WalkDrafts
from .widgets.answers import IndicatorRow, RowPicked
from .widgets.changed import update_changed
from .widgets.safe import literal
from .widgets.scan_page import ScanPage


class WalkScan(WalkDrafts):
    """The pages of the problem scan."""

    current_row: int

    # Defined by the screen: what the scan pages need of it.
    def error(self, text: str | Content) -> None:
        raise NotImplementedError

    def show_outcome(self) -> None:
        raise NotImplementedError

    def _stop_typing_timer(self) -> None:
        raise NotImplementedError

    def _progress(self, text: str, done: int, total: int) -> None:
        raise NotImplementedError

    def _show_help_text(self, text: str) -> None:
        raise NotImplementedError

    def show_page(self, index: int) -> None:
        intake = self.intake
        self._stop_typing_timer()
        intake.follow_main()
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
        self.error("")
        rows = self.query_one("#scan-rows", ScanPage)
        rows.show_steps(
            page.steps,
            [intake.scan.get(step) for step in page.steps],
            [self._prefilled(step) for step in page.steps],
            self.lang,
            intake.children_in_wording(),
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
        self.autosave()

    def _prefilled(self, step: Step) -> str | None:
        """How a proposed answer on a scan row came about (None: answered, or open)."""
        if step.key not in self.intake.suggested:
            return None
        return "kindcheck" if self.intake.prefilled_from_main(step) else "suggested"

    def set_current_row(self, index: int) -> None:
        rows = self.rows()
        if not rows:
            return
        self.current_row = max(0, min(index, len(rows) - 1))
        page = self.query_one("#scan-rows", ScanPage)
        current = page.mark_current(self.current_row)
        if current.step is not None:
            self._show_help_text(current.step.question.help.get(self.lang))
        page.scroll_to_widget(current, animate=False)

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
        # The page's own domain is said as "counts", not listed beside itself.
        others = ", ".join(
            d.name.get(self.lang)
            for d in questionnaire.domains
            if d.id in counted and d.id != domain_id
        )
        context = Content.assemble(literal(name, "bold"))
        if domain_id in counted:
            context = Content.assemble(context, " ", (self.tr("intake.page_counts"), "$warning"))
        if others:
            context = Content.assemble(
                context, "   ", (self.tr("intake.counted") + " ", "dim"), literal(others, "dim")
            )
        context_line = self.query_one("#context", Static)
        update_changed(context_line, context)
        context_line.display = True

    def rows(self) -> list[IndicatorRow]:
        """The rows of the page being shown (reused rows beyond it are hidden)."""
        return self.query_one("#scan-rows", ScanPage).rows()

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
            self.error(self.tr("intake.need_choice"))
            return
        self.intake.suggested.discard(step.key)
        self.error("")
        pages = intake.scan_pages()
        page_steps = (
            [s.key for s in pages[self.page_index].steps] if self.page_index < len(pages) else []
        )
        if page_steps != [r.step.key for r in rows if r.step is not None]:
            # An answer showed or hid an indicator on this page: draw the page again.
            self.show_page(self.page_index)
            return
        row.set_value(value)
        position = rows.index(row)
        # Next: an open row after this one, else a suggested answer still to confirm (GGZ
        # pre-marks one), else the next row; the page turns once every row has its answer.
        later = [i for i in range(position + 1, len(rows)) if self._row_open(rows[i])]
        to_confirm = [i for i, r in enumerate(rows) if self._row_open(r)]
        turns = (
            not later
            and not to_confirm
            and position + 1 >= len(rows)
            and all(r.value is not None or (r.step and not r.step.question.required) for r in rows)
        )
        if turns:
            # What comes next (the next page, a page with a missing answer, or the outcome)
            # draws its own header and saves the draft with this answer in it: not twice.
            self.next_page()
            return
        self._page_header(self.page_index, len(pages), pages[self.page_index].domain_id)
        self.autosave()
        if later:
            self.set_current_row(later[0])
        elif to_confirm:
            self.set_current_row(to_confirm[0])
        elif position + 1 < len(rows):
            self.set_current_row(position + 1)

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
            self.error(self.tr("intake.page_incomplete"))
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
            self.error(self.tr("intake.missing_answers"))
            return
        self.show_outcome()
