"""The rows of one problem-scan page: one domain, every indicator of it on the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.containers import VerticalScroll

from kindcheck.questionnaire import Step, Wording

from .answers import IndicatorRow


class ScanPage(VerticalScroll, inherit_bindings=False):
    """The rows of one problem-scan page. It takes no focus and no keys: the intake screen
    takes every key and moves the current row; the mouse wheel scrolls.

    Rows are reused from page to page (no remounting): faster, and nothing typed ahead can
    land on a row that is on its way out. Rows beyond the page are hidden.
    """

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._all_rows: list[IndicatorRow] = []  # every row made, in order
        self._shown = 0  # the first this many are the page's

    def on_mount(self) -> None:
        # The rows' looks are inline rules in the theme's colours (answers.LOOK_CSS).
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        for row in self._all_rows:
            row.restyle()

    def show_steps(
        self,
        steps: Sequence[Step],
        values: Sequence[Any],
        prefilled: Sequence[str | None],
        lang: str,
        wording: Wording | None = None,
    ) -> None:
        """Show these indicators with their answers (``prefilled``: proposed, to confirm),
        worded for whom they speak of (``wording``: Question.text_for)."""
        rows = self._all_rows
        while len(rows) < len(steps):
            row = IndicatorRow(lang)
            self.mount(row)
            rows.append(row)
        self._shown = len(steps)
        for number, row in enumerate(rows, 1):
            if number <= len(steps):
                step, value, proposed = (
                    steps[number - 1],
                    values[number - 1],
                    prefilled[number - 1],
                )
                row.display = True
                row.wording = wording
                row.show(step, number, value, proposed)
            else:
                row.display = False
        self.scroll_home(animate=False)

    def rows(self) -> list[IndicatorRow]:
        """The rows of the page being shown (reused rows beyond it are hidden). Kept here, not
        queried: the screen asks for them several times per key."""
        return self._all_rows[: self._shown]

    def mark_current(self, index: int) -> IndicatorRow:
        """Mark row ``index`` of :meth:`rows` (which must hold it) as the current row; only
        the rows whose state changes are redrawn."""
        rows = self.rows()
        current = rows[index]
        marked = getattr(self, "_marked", None)
        if marked is not None and any(row is marked for row in rows):
            # Only the row that loses the mark and the one that gets it are restyled (a key
            # press must not restyle the whole page).
            if marked is not current:
                marked.set_current(False)
                current.set_current(True)
        else:
            for position, row in enumerate(rows):
                row.set_current(position == index)
        self._marked: IndicatorRow | None = current
        return current
