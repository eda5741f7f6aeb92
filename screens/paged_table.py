"""A DataTable for a long list (home's clients and due list): it holds a page at a time and
never blocks the screen while it fills.

A DataTable measures and lays out every row it holds: 10,000 rows added at once stop the
screen for seconds. :class:`PagedTable` holds the first :data:`ROWS_KEPT_AHEAD` rows of its
list and more as the cursor comes near its last one (PageDown, the arrows, End). The rows are
built off the UI thread (a thread worker, or the screen's loading worker before the list is
shown) and added :data:`ROWS_PER_TURN` at a time, one turn of the event loop each, so a key
is answered between two turns. End (and ctrl+end) goes to the last row of the list, not of
what the table holds (:data:`ROWS_PER_TURN_TO_LAST` a turn meanwhile); Home (and ctrl+home)
to the first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

# Rows added to the table per turn of the event loop: the first ones are painted at once and
# the screen answers keys while the rest come in. Between two turns the table goes idle,
# which is when it measures the rows just added (about 0.1 ms a row).
ROWS_PER_TURN = 100
TURN_GAP_SECONDS = 0.002
# Going to the last row (End), more per turn: each turn also costs the table a pass over every
# row it holds (its offsets and order, made again after rows are added), so at 10,000 rows
# End took 100 turns and seconds; the cursor moves on with each, the keys are still answered.
ROWS_PER_TURN_TO_LAST = 250
# The longest a new list's second turn waits for its first screenful to be painted.
FIRST_PAINT_WAIT_SECONDS = 0.1

# Rows the table keeps past the cursor (a screen shows about ten).
ROWS_KEPT_AHEAD = 200


def rows_in_first_paint(screen_lines: int) -> int:
    """Rows a new list adds in its first turn, the one painted first: a screenful (the
    terminal's lines, more than the table shows), the others in later turns. A hundred rows
    there cost the first paint about 15 ms more of the UI thread (the table measures each row
    it holds before it paints), for rows below the screen."""
    return max(1, min(ROWS_PER_TURN, screen_lines))


Cells = tuple[Text, ...]
KeyedRows = tuple[tuple[str, Cells], ...]
BuildRows = Callable[[int, int], KeyedRows]
"""``build(start, end)``: the rows ``start`` to ``end`` of the list (called in a thread)."""


class PagedTable(DataTable[Any]):
    """A DataTable showing a list of rows by key: changed in place when the keys stay the
    same, else filled a turn of the event loop at a time, a page ahead of the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end,ctrl+end", "last_row", show=False),
        Binding("home,ctrl+home", "first_row", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.row_columns: list[ColumnKey] = []
        self.keys: Sequence[str] = ()  # of every row of the list, in order
        self._rows: list[tuple[str, Cells]] = []  # built so far: the first of the list
        self._cells: list[Cells] = []  # of the rows in the table, as shown
        self._build: BuildRows = _no_rows
        self._wanted = 0  # how many of the rows the table is to hold by now
        self._filling = 0  # which list is current (a turn or a build for an older one stops)
        self._building = False
        self._pending = False  # a turn of adding is due (one at a time: see _add)
        self._to_last = False  # End: the cursor follows the rows in to the last
        self._paint_first = False  # a new list's first screenful is painted before more come
        self._after_first_paint: Callable[[], None] | None = None  # its rows, not yet added

    def show_list(self, keys: Sequence[str], built: KeyedRows, build: BuildRows) -> None:
        """The list of ``keys``: ``built`` holds its first rows (at least those the table
        holds now, for a list that starts with the same keys), ``build`` makes the others
        (in a thread worker)."""
        # When the new list starts with the keys of the rows in the table (back from a page,
        # a client's row changed), those rows are kept and only the changed cells redrawn.
        added = self.row_count
        old_keys, self.keys = self.keys, keys
        self._rows, self._build = list(built), build
        self._filling += 1
        self._building = self._pending = False
        if (
            len(keys) >= added
            and len(built) >= added
            and list(keys[:added]) == list(old_keys[:added])
        ):
            for index in range(added):
                key, cells = self._rows[index]
                if self._cells[index] != cells:
                    for column, cell in zip(self.row_columns, cells, strict=True):
                        self.update_cell(key, column, cell)
                    self._cells[index] = cells
        else:
            self.clear()
            self._cells = []
            self._to_last = False
            added = 0
        self._wanted = min(len(keys), max(added, ROWS_KEPT_AHEAD))
        # The first rows at once: what is typed right after a search (o, h) acts on them.
        # A new list's first turn adds a screenful: it is painted first, the rest come after.
        first = rows_in_first_paint(self.app.size.height) if added == 0 else ROWS_PER_TURN
        self._paint_first = added == 0
        self._add(self._filling, first)

    def near(self, row: int) -> None:
        """The cursor is on ``row``: keep :data:`ROWS_KEPT_AHEAD` rows in the table past it."""
        wanted = min(len(self.keys), row + ROWS_KEPT_AHEAD)
        if wanted > self._wanted:
            self._wanted = wanted
            if not self._building:
                self._next_turn()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.near(event.cursor_row)  # (the event goes on to the screen)

    def action_last_row(self) -> None:
        """To the last row of the list: the cursor goes to the last row held, and follows
        the rows in (a turn at a time) until it is on the last of the list."""
        if not self.row_count:
            return
        self._to_last = self.row_count < len(self.keys)
        self.move_cursor(row=self.row_count - 1)
        if self._to_last:
            self.near(len(self.keys) - 1)

    def action_first_row(self) -> None:
        self._to_last = False
        if self.row_count:
            self.move_cursor(row=0)

    def action_cursor_up(self) -> None:
        self._to_last = False
        super().action_cursor_up()

    def action_page_up(self) -> None:
        self._to_last = False
        super().action_page_up()

    def _next_turn(self) -> None:
        """Add the next rows on a later turn of the event loop. Rows are added only there,
        one such turn pending at a time: however many keys or lists come in one turn, a
        turn adds at most :data:`ROWS_PER_TURN` rows to the table (on the way to the last
        row, :data:`ROWS_PER_TURN_TO_LAST`)."""
        if not self._pending:
            self._pending = True
            most = ROWS_PER_TURN_TO_LAST if self._to_last else ROWS_PER_TURN
            add = partial(self._add, self._filling, most)
            if self._paint_first:
                # After the screen is painted, not after a time: on a busy machine a timer
                # could add the next rows before the first screenful was ever painted, and
                # the first paint would measure them all. A refresh callback goes to the
                # screen in front, which may be gone before it refreshes (a dialog closing):
                # the timer then adds them, once.
                self._paint_first = False
                self._after_first_paint = add
                self.call_after_refresh(self._rows_after_first_paint, add)
                self.set_timer(FIRST_PAINT_WAIT_SECONDS, partial(self._rows_after_first_paint, add))
            else:
                self.set_timer(TURN_GAP_SECONDS, add)

    def _rows_after_first_paint(self, add: Callable[[], None]) -> None:
        if self._after_first_paint is add:  # the first of the two to come
            self._after_first_paint = None
            add()

    def _add(self, filling: int, most: int = ROWS_PER_TURN) -> None:
        """Add the next rows (at most ``most``) and come back next turn for more; rows not
        built yet are asked of a thread worker first."""
        if filling != self._filling:
            return  # a newer list replaced this one
        self._pending = False
        start = self.row_count
        end = min(start + most, self._wanted, len(self._rows))
        for index in range(start, end):
            key, cells = self._rows[index]
            self.add_row(*cells, key=key)
            self._cells.append(cells)
        if self._to_last and end > start:
            self.move_cursor(row=end - 1)
            self._to_last = end < len(self.keys)
        if end >= self._wanted:
            return
        if end < len(self._rows):
            self._next_turn()
        elif not self._building:
            self._building = True
            stop = min(len(self.keys), max(self._wanted, end + ROWS_KEPT_AHEAD))
            self.run_worker(
                partial(self._build_rows, filling, end, stop),
                thread=True,
                exit_on_error=False,
                group="paged-table",
                description="build rows",
            )

    def _build_rows(self, filling: int, start: int, stop: int) -> None:
        """In a thread worker: rows ``start`` to ``stop``, handed to the table."""
        rows = self._build(start, stop)
        with contextlib.suppress(RuntimeError):  # the app stopped meanwhile
            self.app.call_from_thread(self._rows_built, filling, start, rows)

    def _rows_built(self, filling: int, start: int, rows: KeyedRows) -> None:
        if filling != self._filling or start != len(self._rows):
            return  # built for a list no longer shown
        self._building = False
        self._rows.extend(rows)
        self._next_turn()


def _no_rows(start: int, end: int) -> KeyedRows:
    raise IndexError(start)
