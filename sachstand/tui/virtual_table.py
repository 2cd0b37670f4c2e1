"""A table that keeps its rows in a list and draws only the lines on screen.

Why: Textual's ``DataTable`` measures every cell, so 25,000 rows took 12 s to first paint. Here a
row is turned into segments only when its line is drawn (Line API: ``render_line``), so painting
and filtering cost the same at 58 rows and at 25,000.

Rules:
- Cells are plain strings or rich ``Text``; strings are never parsed as markup.
- The caller owns filtering and sorting: it hands over the rows to show with ``set_rows``.
- The header line stays on top.
- A drawn line is kept for the same row (equal rows draw the same: ``render_row`` depends on the
  row alone), width and style, until the columns change; rows must be hashable.
- The row a key acts on is always the highlighted row on screen. Whenever the rows change
  (``set_rows``: search, filter, sort, year, reload, another process's change) the cursor stays on
  the same row (by ``row_key``) if it is still shown, else goes to the first row; the table then
  scrolls to it. An empty table has no cursor (``current`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text

LINE_CACHE = 2000
"""Drawn lines kept, by row, width and style: a dialog opening or closing over the table draws
the same lines again, and a row's cells are costly to lay out (about 0.15 ms a line)."""


@dataclass(frozen=True)
class Column:
    """A column: ``width`` in cells, or ``None`` for the one column that takes the rest.

    When the table is too narrow, the rest column gives way first, down to ``min_width``; then
    the other columns with a ``min_width``, in order. Columns without one keep their width, so
    they are never cut off at the right edge.
    """

    key: str
    label: str
    width: int | None
    justify: str = "left"
    min_width: int | None = None


class VirtualTable(ScrollView, can_focus=True):
    """Rows of cells drawn line by line; ``render_row(row) -> list[Cell]`` turns a row into cells."""

    COMPONENT_CLASSES = {"virtual-table--header", "virtual-table--cursor", "virtual-table--empty"}
    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
        overflow-x: hidden;
    }
    VirtualTable > .virtual-table--header {
        text-style: bold;
        background: $panel;
    }
    VirtualTable > .virtual-table--cursor {
        background: $surface-lighten-2;
        text-style: bold;
    }
    /* reverse video of the plain text colours keeps the cursor row readable in 16 colours
       and with NO_COLOR too (tests/test_tui_contrast.py) */
    VirtualTable:focus > .virtual-table--cursor {
        background: $background;
        color: $foreground;
        text-style: bold reverse;
    }
    VirtualTable > .virtual-table--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "hoch", show=False),
        Binding("down", "cursor(1)", "runter", show=False),
        Binding("pageup", "page(-1)", "Seite hoch", show=False),
        Binding("pagedown", "page(1)", "Seite runter", show=False),
        Binding("home", "jump(0)", "zum Anfang", show=False),
        Binding("end", "jump(-1)", "zum Ende", show=False),
        Binding("enter", "select", "Öffnen", key_display="⏎", tooltip="Projekt öffnen"),
    ]

    class Selected(Message):
        """Enter on a row."""

        def __init__(self, table: VirtualTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

    def __init__(self, columns: Sequence[Column], render_row: Callable[[Any], list[Cell]],
                 empty_text: str = "Keine Einträge", nothing_selected: str = "Keine Zeile ausgewählt.",
                 row_key: Callable[[Any], Hashable] = id,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lines: dict[tuple[Any, ...], Strip] = {}
        self.columns = list(columns)
        self.render_row = render_row
        self.row_key = row_key
        self.empty_text = empty_text
        self.nothing_selected = nothing_selected
        self.rows: list[Any] = []
        self.cursor = -1
        self.header_marks: dict[str, str] = {}

    @property
    def columns(self) -> list[Column]:
        return self._columns

    @columns.setter
    def columns(self, columns: list[Column]) -> None:
        if columns != getattr(self, "_columns", None):
            self._lines.clear()
        self._columns = columns

    # ---- data -----------------------------------------------------------------------------------

    def set_rows(self, rows: list[Any], keep: Hashable | None = None) -> None:
        """Show ``rows``. The cursor stays on the row whose key is ``keep`` (default: the key of the
        current row) if it is among ``rows``, else goes to the first row; none if ``rows`` is empty.
        The cursor row is scrolled into view."""
        if keep is None and self.current is not None:
            keep = self.row_key(self.current)
        self.rows = rows
        target = 0
        if keep is not None:
            key = self.row_key
            if 0 <= self.cursor < len(rows) and key(rows[self.cursor]) == keep:
                target = self.cursor  # still at its place (a saved row, a reload): no search
            else:
                target = next((i for i, r in enumerate(rows) if key(r) == keep), 0)
        self.cursor = target if rows else -1
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self._scroll_cursor_into_view()
        # the size of the table can change with the next layout (rows shown, scrollbar): scroll again
        self.call_after_refresh(self._scroll_cursor_into_view)
        self.refresh()

    def replace_row(self, index: int, row: Any) -> None:
        """Put ``row`` in place of row ``index``, a row with the same key at the same place (a
        saved row): the cursor stays, and only that row's line is drawn again."""
        self.rows[index] = row
        self.refresh_line(index + 1)  # line 0 is the header

    @property
    def current(self) -> Any | None:
        """The row a key acts on: the highlighted one, or ``None`` if the table is empty."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def cursor_visible(self) -> bool:
        """Whether the cursor row lies inside the table's visible body (tests and callers check it)."""
        if self.current is None:
            return False
        top = round(self.scroll_offset.y)
        return top <= self.cursor < top + max(self.size.height - 1, 1)

    # ---- keys -----------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(self.size.height - 2, 1))

    def action_jump(self, index: int) -> None:
        self._move(len(self.rows) - 1 if index < 0 else index)

    def selected(self) -> Any | None:
        """The row a key acts on; with none (empty table) the user is told so."""
        if self.current is None:
            self.notify(self.nothing_selected, severity="warning", timeout=4, markup=False)
        return self.current

    def action_select(self) -> None:
        row = self.selected()
        if row is not None:
            self.post_message(self.Selected(self, row))

    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped) and scroll it into view."""
        self._move(index)

    def _move(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._scroll_cursor_into_view()
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        """Scroll so the cursor row is in the body. ``force``: right after ``set_rows`` the scrollbar
        is not laid out yet, and Textual would otherwise ignore the scroll."""
        body = max(self.size.height - 1, 1)
        top = round(self.scroll_offset.y)
        cursor = max(self.cursor, 0)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True, force=True)
        elif cursor >= top + body:
            self.scroll_to(y=cursor - body + 1, animate=False, immediate=True, force=True)
        elif top > max(len(self.rows) + 1 - body, 0):  # fewer rows than before: no blank screen
            self.scroll_to(y=max(cursor - body + 1, 0), animate=False, immediate=True, force=True)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self._scroll_cursor_into_view()

    # ---- drawing --------------------------------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        """Each column's width in ``total`` cells (see ``Column`` for what gives way first)."""
        widths = [c.width or 0 for c in self.columns]
        room = total - sum(widths) - (len(self.columns) - 1)
        flex_min = next((c.min_width or 8 for c in self.columns if c.width is None), 0)
        short = flex_min - room
        for i, c in enumerate(self.columns):
            if short <= 0:
                break
            if c.width is not None and c.min_width is not None:
                give = min(short, c.width - c.min_width)
                widths[i] -= give
                short -= give
        rest = max(total - sum(widths) - (len(self.columns) - 1), flex_min)
        return [w if c.width is not None else rest for c, w in zip(self.columns, widths, strict=False)]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._widths(width)
        base = self.rich_style
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            cells: list[Cell] = []
            for c in self.columns:
                cells.append(c.label + self.header_marks.get(c.key, ""))
            return self._strip(cells, widths, width, base + style, header=True)
        index = round(self.scroll_offset.y) + y - 1
        if not self.rows:
            if y == 1:
                style = self.get_component_rich_style("virtual-table--empty")
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), base + style)], width)
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        row = self.rows[index]
        key = (row, width, style)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) >= LINE_CACHE:
                self._lines.clear()
            strip = self._lines[key] = self._strip(self.render_row(row), widths, width, style)
        return strip

    def _strip(self, cells: list[Cell], widths: list[int], width: int, style: Style,
               header: bool = False) -> Strip:
        segments: list[Segment] = []
        for i, (cell, col, w) in enumerate(zip(cells, self.columns, widths, strict=False)):
            if i:
                segments.append(Segment(" ", style))
            segments.extend(_fit(cell, w, col.justify, style, header))
        used = sum(widths) + len(widths) - 1
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        elif used > width:
            return Strip(segments).crop(0, width)
        return Strip(segments, width)

    def region_of_cursor(self) -> Region:
        """Where the cursor row is on screen (tests check it lies inside the screen)."""
        y = self.cursor - round(self.scroll_offset.y) + 1
        return Region(self.region.x, self.region.y + y, self.region.width, 1)


def _fit(cell: Cell, width: int, justify: str, style: Style, header: bool) -> list[Segment]:
    """A cell cut or padded to ``width`` cells, with an ellipsis when cut."""
    if not isinstance(cell, Text):
        size = cell_len(cell)
        if size > width:
            cell = set_cell_size(cell, max(width - 1, 0)) + "…" if width else ""
        elif justify == "right":
            cell = " " * (width - size) + cell
        else:
            cell = cell + " " * (width - size)
        return [Segment(cell, style)]
    text = cell.copy()
    if cell_len(text.plain) > width:
        text.truncate(width, overflow="ellipsis")
    pad = width - cell_len(text.plain)
    if justify == "right":
        text = Text(" " * pad) + text
    else:
        text.append(" " * pad)
    return [Segment(seg.text, style + seg.style if seg.style else style)
            for seg in text.render(_CONSOLE, end="") if seg.text]


_CONSOLE = Console(width=1000, markup=False, highlight=False, emoji=False, color_system=None)
