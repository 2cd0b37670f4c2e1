"""The projects table's parts: its columns and cells, the flags, the sort keys and the filters.

Rules:
- Rows and their flags (overdue, stalled, completed, at least 90 %) come from
  ``core.figures.project_rows``; nothing here recomputes a rule: the filters only pick rows by
  those flags.
- Search, department and status filters and sorting run in Python over the loaded list, so a
  keystroke costs the same at 58 and at 25,000 projects. Typing on narrows the last result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.style import Style
from rich.text import Text

from ..core.models import ProjectRow
from ..core.text import safe_text
from .text import percent_cell
from .virtual_table import Cell, Column

ALL = "__all__"

STATUSES: dict[str, str] = {
    "alle": "alle",
    "offen": "offen",
    "abgeschlossen": "abgeschlossen",
    "ab90": "≥ 90 %",
    "ueberfaellig": "überfällig",
    "stagniert": "stagniert",
    "geplant": "geplant",
    "archiviert": "archiviert",
}
ARCHIVED = "archiviert"  # the one status whose rows are not the year's rows but the archived ones
PLANNED = "geplant"  # the planned projects: in no year, listed by priority

STATUS_TEST: dict[str, Callable[[ProjectRow], bool]] = {
    "alle": lambda r: True,
    "offen": lambda r: not r.completed,
    "abgeschlossen": lambda r: r.completed,
    "ab90": lambda r: r.at_least_90,
    "ueberfaellig": lambda r: r.overdue,
    "stagniert": lambda r: r.stalled,
    "geplant": lambda r: r.planned,
    "archiviert": lambda r: r.archived,
}

DEFAULT_SORT = "department"  # the order of ``figures.project_rows``: department, name, id
SORT_KEYS: dict[str, Callable[[ProjectRow], Any]] = {
    "id": lambda r: r.id,
    "department": lambda r: (r.department.casefold(), r.name.casefold()),
    "name": lambda r: (r.name.casefold(), r.id),
    "previous": lambda r: (-1 if r.previous is None else r.previous, r.name.casefold()),
    "current": lambda r: (-1 if r.current is None else r.current, r.name.casefold()),
    "end": lambda r: (r.end.last_day if r.end else date.max, r.name.casefold()),
    "flags": lambda r: (2 * r.overdue + r.stalled, r.name.casefold()),
}


# The flags carry their own foreground and background, so no row style (the cursor's either)
# changes them: white on dark red, black on yellow, chosen so that the 256- and 16-colour
# downgrades land on the same pairs. Reverse video draws them (``color`` is the background shown),
# so with NO_COLOR, where colours go, the letter still stands out as a block; bold as well.
OVERDUE_STYLE = Style(color="#a00000", bgcolor="#ffffff", bold=True, reverse=True)
STALLED_STYLE = Style(color="#ffd700", bgcolor="#000000", bold=True, reverse=True)


def flags_cell(row: ProjectRow) -> Text:
    if row.planned:
        return Text(str(row.priority)[:2], style="bold cyan")
    out = Text()
    out.append("Ü" if row.overdue else " ", style=OVERDUE_STYLE if row.overdue else "")
    out.append("S" if row.stalled else " ", style=STALLED_STYLE if row.stalled else "")
    return out


def render_row(row: ProjectRow) -> list[Cell]:
    return [
        row.id,
        Text(safe_text(row.department)),
        Text(safe_text(row.name)),
        percent_cell(row.previous),
        percent_cell(row.current),
        safe_text(row.end_display) or "–",
        flags_cell(row),
    ]


def columns(id_width: int, dept_width: int, previous: int, current: int) -> list[Column]:
    return [
        Column("id", "ID", id_width),
        Column("department", "Bereich", dept_width, min_width=5),
        Column("name", "Name", None, min_width=10),
        Column("previous", str(previous), 10, min_width=5),
        Column("current", str(current), 10, min_width=5),
        Column("end", "Ende", 10, min_width=7),
        Column("flags", "ÜS", 2),
    ]


def columns_for(rows: list[ProjectRow], year: int) -> list[Column]:
    """The columns sized for ``rows`` of ``year`` (ID as wide as the longest, Bereich up to 10)."""
    id_width = max((len(r.id) for r in rows), default=8)
    dept_width = min(max((len(r.department) for r in rows), default=9), 10)
    return columns(max(id_width, 4), max(dept_width, 9), year - 1, year)


def haystack_of(row: ProjectRow) -> str:
    """What the search looks in: ID, name and description, case-folded."""
    return f"{row.id} {row.name} {row.description}".casefold()


@dataclass(frozen=True)
class Filter:
    """The search text (case-folded), the department (``ALL``) and the status key."""

    query: str
    dept: object
    status: object

    def narrows(self, last: Filter) -> bool:
        """Whether this filter's rows are a subset of ``last``'s: typing on in the search."""
        return (self.dept, self.status) == (last.dept, last.status) and self.query.startswith(last.query)


def pick(rows: list[ProjectRow], wanted: Filter, haystack: dict[str, str], narrowing: bool) -> list[ProjectRow]:
    """The rows matching ``wanted``, in their order; ``narrowing``: ``rows`` already match the
    department and status (the last result), so only the search is checked."""
    out = rows
    if wanted.query:
        query = wanted.query
        out = [r for r in out if query in haystack[r.id]]
    if not narrowing and wanted.dept != ALL:
        out = [r for r in out if r.department == wanted.dept]
    if not narrowing and wanted.status not in ("alle", PLANNED):
        test = STATUS_TEST[str(wanted.status)]
        out = [r for r in out if test(r)]
    return out if out is not rows else list(rows)
