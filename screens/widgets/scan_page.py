"""The rows of one problem-scan page: one domain, every indicator of it on the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.containers import VerticalScroll

from kindcheck.questionnaire import Step

from .answers import IndicatorRow


class ScanPage(VerticalScroll, inherit_bindings=False):
    """The rows of one problem-scan page. It holds the focus in page mode; its arrow keys
    move between rows (bindings of the intake screen), the mouse wheel scrolls.

    Rows are reused from page to page (no remounting): faster, and nothing typed ahead can
    land on a row that is on its way out. Rows beyond the page are hidden.
    """

    def show_steps(
        self, steps: Sequence[Step], values: Sequence[Any], suggested: Sequence[bool], lang: str
    ) -> None:
        """Show these indicators with their answers (``suggested``: proposed, to confirm)."""
        rows = list(self.query(IndicatorRow))
        while len(rows) < len(steps):
            row = IndicatorRow(lang)
            self.mount(row)
            rows.append(row)
        for number, row in enumerate(rows, 1):
            if number <= len(steps):
                step, value, prefilled = (
                    steps[number - 1],
                    values[number - 1],
                    suggested[number - 1],
                )
                row.display = True
                if row.is_mounted and row.children:
                    row.show(step, number, value, prefilled)
                else:
                    row.call_after_refresh(row.show, step, number, value, prefilled)
                row.step = step
                row.value = value
            else:
                row.display = False
        self.scroll_home(animate=False)

    def rows(self) -> list[IndicatorRow]:
        """The rows of the page being shown (reused rows beyond it are hidden)."""
        return [row for row in self.query(IndicatorRow) if row.display]

    def mark_current(self, index: int) -> IndicatorRow:
        """Mark row ``index`` of :meth:`rows` (which must hold it) as the current row."""
        rows = self.rows()
        current = rows[index]
        marked = getattr(self, "_marked", None)
        if marked is not None and any(row is marked for row in rows):
            # Only the row that loses the mark and the one that gets it are restyled (a key
            # press must not restyle the whole page).
            if marked is not current:
                marked.remove_class("-current")
                current.add_class("-current")
        else:
            for position, row in enumerate(rows):
                row.set_class(position == index, "-current")
        self._marked: IndicatorRow | None = current
        return current
