"""The number of problem domains over a client's sessions, as a small block bar chart.

Plain text, so it reads the same in any terminal and in a screenshot::

     4 ┤ ███
     3 ┤ ███         ███
     2 ┤ ███         ███   ███
     1 ┤ ███         ███   ███
     0 └────────────────────────
          4     -     3     2
        01-09 12-10 25-11 06-01

One column per session, oldest left; the y axis is labelled on every row; the count stands
under each bar; a session without a scan is a gap with "-" under it, and a count of 0 a flat
line (so "no scan" and "no problems" never look alike). Bars at the stacking threshold or
above (the flag "hulp bij opvoeden") are drawn in the warning colour. Up to five domains one
row is one domain; above that a row is two, with a half block for an odd count.

``Content`` with theme variables ($warning, $primary), never markup: nothing here is typed by a
person, but the dates and counts are still kept out of any markup parser.
"""

from __future__ import annotations

from datetime import date

from textual.content import Content
from textual.widgets import Static

from kindcheck.dates import short_day

from .safe import literal

COLUMN = 6  # "dd-mm" and a space
AXIS = 4  # "12 ┤"
BAR = "███"
HALF = "▄▄▄"
ZERO = "▁▁▁"


def chart_lines(
    points: list[tuple[date, int | None]], width: int, lang: str, threshold: int = 3
) -> list[Content]:
    """The chart as lines of styled text, at most ``width`` wide (the latest sessions)."""
    columns = max(1, (width - AXIS) // COLUMN)
    shown = points[-columns:]
    counts = [count for _day, count in shown if count is not None]
    top = max([*counts, threshold])
    per_row = 1 if top <= 5 else 2
    rows = -(-top // per_row)
    lines: list[Content] = []
    for row in range(rows, 0, -1):
        upper, lower = row * per_row, (row - 1) * per_row
        label_style = "bold $warning" if lower < threshold <= upper else "dim"
        parts: list[str | tuple[str, str]] = [(f"{upper:>2} ", label_style), ("┤", "dim")]
        for _day, count in shown:
            cell = "   "
            if count is not None:
                if count >= upper:
                    cell = BAR
                elif per_row == 2 and count == lower + 1:
                    cell = HALF
                elif count == 0 and row == 1:
                    cell = ZERO
            style = "$warning" if count is not None and count >= threshold else "$primary"
            parts.extend([" ", (cell, style), "  "])
        lines.append(Content.assemble(*parts).rstrip())
    lines.append(Content.assemble((" 0 └", "dim"), ("─" * (COLUMN * len(shown)), "dim")))
    values: list[str | tuple[str, str]] = [" " * AXIS]
    for _day, count in shown:
        text = "-" if count is None else str(count)
        values.append((f"{text:^5} ", "bold" if count is not None else "dim"))
    lines.append(Content.assemble(*values).rstrip())
    lines.append(
        Content.assemble(
            " " * AXIS, *(f"{short_day(day, lang)} " for day, _count in shown)
        ).rstrip()
    )
    return lines


class DomainChart(Static):
    """The chart widget; ``points`` is (session date, domain count or None), oldest first."""

    DEFAULT_CSS = "DomainChart { height: auto; }"

    def __init__(self, lang: str, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.lang = lang
        self.points: list[tuple[date, int | None]] = []
        self.threshold = 3
        self.empty_text = ""
        self.heading: Content | None = None
        self._drawn: tuple[object, ...] | None = None

    def show(
        self,
        points: list[tuple[date, int | None]],
        threshold: int,
        empty_text: str,
        heading: Content | None = None,
    ) -> None:
        """``heading``: a line above the chart (one widget for both)."""
        self.points = list(points)
        self.threshold = threshold
        self.empty_text = empty_text
        self.heading = heading
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.size.width or 76
        # Drawn again only when it changes: a new size after the first layout (which was
        # drawn at the expected width) would lay the page out once more for the same text.
        columns = max(1, (width - AXIS) // COLUMN)
        drawn = (tuple(self.points), self.threshold, self.empty_text, self.heading, columns)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        lines = [self.heading] if self.heading is not None else []
        if not any(count is not None for _day, count in self.points):
            lines.append(literal(self.empty_text))
        else:
            lines += chart_lines(self.points, width, self.lang, self.threshold)
        self.update(Content("\n").join(lines))
