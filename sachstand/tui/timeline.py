"""A timeline like figure 1 of the report: one bar per project from start to planned end.

The filled share of the bar is the project's progress; a vertical mark shows the reference day
("today", fixed by the app for tests). Projects without both dates are listed without a bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rich.text import Text
from textual.widget import Widget

from ..core.text import safe_text
from ..core.types import Period, format_number

NAME_WIDTH = 24
MAX_ROWS = 300


@dataclass(frozen=True)
class TimelineRow:
    name: str
    start: Period | None
    end: Period | None
    percent: int | None


class Dated(Protocol):
    @property
    def start(self) -> Period | None: ...

    @property
    def end(self) -> Period | None: ...


def timeline_span(rows: Sequence[Dated]) -> tuple[date, date] | None:
    """The earliest start and the latest planned end of the rows that have both; None if none has."""
    dated = [r for r in rows if r.start and r.end]
    if not dated:
        return None
    return (min(r.start.first_day for r in dated if r.start), max(r.end.last_day for r in dated if r.end))


class Timeline(Widget):
    """Draws ``rows`` across the widget's width; at most ``MAX_ROWS`` lines (the rest is counted)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[TimelineRow] = []
        self.total = 0
        self.today = date.today()
        self.span: tuple[date, date] | None = None  # the earliest start and the latest end of all rows

    def set_rows(self, rows: list[TimelineRow], today: date, total: int | None = None,
                 span: tuple[date, date] | None = None) -> None:
        """Draw ``rows`` (the first ``MAX_ROWS`` of them). A caller with many rows may hand over
        only the first ones, with the ``total`` count and the ``span`` (earliest start, latest
        end) of all of them, so the axis is the same."""
        self.rows, self.today, self.total = rows[:MAX_ROWS], today, len(rows) if total is None else total
        self.span = span if span is not None else timeline_span(rows)
        self.styles.height = len(self.rows) + 2 + (1 if self.total > MAX_ROWS else 0)
        self.refresh(layout=True)

    def render(self) -> Text:
        width = max(self.size.width - NAME_WIDTH - 8, 10)
        if self.span is None:
            return Text("Keine Projekte mit Beginn und geplantem Ende." if self.rows else "", style="dim")
        first = min(self.span[0], self.today)
        last = max(self.span[1], self.today)
        days = max((last - first).days, 1)

        def col(d: date) -> int:
            return min(width - 1, max(0, round((d - first).days * (width - 1) / days)))

        mark = col(self.today)
        out = Text(no_wrap=True, overflow="crop")
        axis = [" "] * width
        labels = ((str(first.year), 0), (str(last.year), width - 4), (self.today.strftime("%d.%m.%Y"), mark - 5))
        for label, pos in labels:
            pos = max(0, min(pos, width - len(label)))
            axis[pos:pos + len(label)] = list(label)
        out.append(" " * (NAME_WIDTH + 1) + "".join(axis) + "\n", style="dim")
        for r in self.rows[:MAX_ROWS]:
            name = Text(safe_text(r.name))
            name.truncate(NAME_WIDTH, overflow="ellipsis", pad=True)
            line = Text()
            line.append_text(name)
            line.append(" ")
            cells: list[tuple[str, str]] = [(" ", "")] * width
            if r.start and r.end:
                a, b = col(r.start.first_day), col(r.end.last_day)
                filled = round((b - a + 1) * (r.percent or 0) / 100)
                done = ("█", "green" if r.percent == 100 else "cyan")
                cells[a:b + 1] = [done] * filled + [("░", "dim")] * (b - a + 1 - filled)
            cells[mark] = ("│", "bold red")
            for char, style in _runs(cells):
                line.append(char, style=style)
            line.append(" " if r.percent is None else f" {r.percent:>3} %")
            out.append_text(line)
            out.append("\n")
        if self.total > MAX_ROWS:
            out.append(f"… und {format_number(self.total - MAX_ROWS)} weitere Projekte\n", style="dim")
        out.append(" " * (NAME_WIDTH + 1) + "█ erreicht  ░ offen  │ Stichtag", style="dim")
        return out


def _runs(cells: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring cells of one style joined into one piece of text."""
    out: list[tuple[str, str]] = []
    for char, style in cells:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + char, style)
        else:
            out.append((char, style))
    return out
