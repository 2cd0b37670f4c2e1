"""The TUI baseline: a bare Textual app that shows the register's rows in a virtual table.

It is the least an app can do to show the same rows: one SQL query straight to DuckDB for the
columns of the projects table (ID, Bereich, Name, previous and current progress, planned end), a
search input, and a ``ScrollView`` that draws only the lines on screen. Typing filters name and
description (case-folded substring), as the real projects screen does.

``rows_shown`` is set once the rows are in the table, the same signal ``SachstandApp`` gives.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import duckdb
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

_ROWS_SQL = """
SELECT p.id, p.department, p.name, p.description, prev.percent, cur.percent,
       strftime(p.end_first, '%d.%m.%Y')
FROM projects p
LEFT JOIN progress cur ON cur.project_id = p.id AND cur.year = $year
LEFT JOIN progress prev ON prev.project_id = p.id AND prev.year = $year - 1
WHERE NOT p.archived
ORDER BY p.department, p.name
"""

Row = tuple[str, str, str, str, int | None, int | None, str | None]


def load_rows(path: Path, year: int) -> list[Row]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(_ROWS_SQL, {"year": year}).fetchall()
    finally:
        conn.close()


def _pct(value: int | None) -> str:
    return "–" if value is None else f"{value} %"


class BareTable(ScrollView):
    """Rows in a list; ``render_line`` formats only the line asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, style)
        pid, dept, name, _desc, prev, cur, end = self.rows[index]
        text = f"{pid:<12} {dept:<8} {name[:60]:<60} {_pct(prev):>6} {_pct(cur):>6} {end or '':<10}"
        return Strip([Segment(text[:width].ljust(width), style)], width)


class BareApp(App[None]):
    CSS = "BareTable { height: 1fr; } #count { height: 1; }"

    def __init__(self, path: Path, year: int) -> None:
        super().__init__()
        self.path = path
        self.year = year
        self.all_rows: list[Row] = []
        self.folded: list[str] = []
        self.rows_shown = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Suche", id="search")
        yield Static(id="count")
        yield BareTable()

    def on_mount(self) -> None:
        self.all_rows = load_rows(self.path, self.year)
        self.folded = [f"{r[2]}\n{r[3]}".casefold() for r in self.all_rows]
        self.show(self.all_rows)
        self.rows_shown.set()

    def show(self, rows: list[Row]) -> None:
        self.query_one(BareTable).set_rows(rows)
        self.query_one("#count", Static).update(f"{len(rows)} von {len(self.all_rows)} Projekten")

    def on_input_changed(self, event: Input.Changed) -> None:
        needle = event.value.casefold()
        if not needle:
            self.show(self.all_rows)
            return
        self.show([r for r, f in zip(self.all_rows, self.folded, strict=False) if needle in f])
