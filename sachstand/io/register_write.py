"""Writing the register workbook's extra sheets (what they hold and how they are read:
``register_book``; their names: ``layout``). Kept apart from the reading, so an export imports
none of the import's parsers."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from xlsxwriter.workbook import Workbook

from ..core import figures
from ..core.funding import FundingSummary
from ..core.models import City, Department, progress_label
from ..core.rows import ProjectTable
from .layout import DEPARTMENTS, LINKS, PARTNERS, PROGRESS, REGISTER, REPORTED
from .safe import PERCENT, Formats
from .sheetrows import Column, RowStream
from .styles import HEADER


def _heads(fmt: Formats, ws, heads: tuple[str, ...] | list[str]) -> None:
    for c, h in enumerate(heads):
        fmt.text(ws, 0, c, h, **HEADER)
    ws.freeze_panes(1, 0)


def write_funded_details(wb: Workbook, fmt: Formats, summary: FundingSummary, table: ProjectTable) -> None:
    """The funded projects' partners and links (the projects themselves: ``export.write_funded``)."""
    linked = {pid for f in summary.projects for pid in f.linked_projects}
    id_at, name_at = table.field("id"), table.field("name")
    names = {r[id_at]: r[name_at] for r in table.rows if r[id_at] in linked}
    ws = wb.add_worksheet(PARTNERS)
    _heads(fmt, ws, ("Nr", "Partner", "Rolle"))
    r = 1
    for f in summary.projects:
        for p in f.partners:
            ws.write_number(r, 0, f.id)
            fmt.text(ws, r, 1, p.partner)
            fmt.text(ws, r, 2, p.role)
            r += 1
    ws.set_column(0, 0, 6)
    ws.set_column(1, 2, 50)
    ws = wb.add_worksheet(LINKS)
    _heads(fmt, ws, ("Nr", "Projekt-ID", "Name des Projektes"))
    r = 1
    for f in summary.projects:
        for pid in f.linked_projects:
            ws.write_number(r, 0, f.id)
            fmt.text(ws, r, 1, pid)
            fmt.text(ws, r, 2, names.get(pid, ""))
            r += 1
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 50)


def write_progress(wb: Workbook, fmt: Formats, table: ProjectTable, years: list[int]) -> None:
    """Progress of the ``years`` that "Projekte" does not show, for the projects that have any."""
    ws = wb.add_worksheet(PROGRESS)
    _heads(fmt, ws, ["ID"] + [progress_label(y) for y in years])
    rows: list[tuple[Any, ...]] = []
    if years:
        at = [table.year(y) for y in years]
        progress = itemgetter(*at)
        none = None if len(at) == 1 else (None,) * len(at)
        rows = [r for r in table.rows if progress(r) != none]
    data = table.columns(rows)
    pct = fmt.get(num_format=PERCENT)
    columns = [Column(0, "text", data[table.field("id")], None, fmt.get(quote_prefix=True)),
               *(Column(1 + n, "whole", data[table.year(y)], pct) for n, y in enumerate(years))]
    stream = RowStream(ws, 1)
    stream.table(1, columns, len(rows))
    stream.close()
    ws.set_column(0, 0, 12)
    ws.set_column(1, max(len(years), 1), 14)


def write_departments(wb: Workbook, fmt: Formats, departments: list[Department]) -> None:
    ws = wb.add_worksheet(DEPARTMENTS)
    _heads(fmt, ws, ("Code", "Name"))
    for r, d in enumerate(departments, start=1):
        fmt.text(ws, r, 0, d.code)
        fmt.text(ws, r, 1, d.name or "")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 50)


def write_reported(wb: Workbook, fmt: Formats, reported: dict[int, dict[str, int]]) -> None:
    """The figures published reports stated, by year (``Repository.reported_figures``)."""
    ws = wb.add_worksheet(REPORTED)
    _heads(fmt, ws, ("Jahr", "Kennzahl", "Bezeichnung", "Wert"))
    labels = {d.key: d.label for d in figures.FIGURES}
    r = 1
    for year, stated in reported.items():
        for key, value in stated.items():
            ws.write_number(r, 0, year)
            fmt.text(ws, r, 1, key)
            fmt.text(ws, r, 2, labels.get(key, key))
            ws.write_number(r, 3, value)
            r += 1
    ws.set_column(0, 0, 8)
    ws.set_column(1, 2, 30)


def write_register(wb: Workbook, fmt: Formats, city: City | None, table: ProjectTable) -> None:
    """The city, then each planned project's priority (Projekt-ID | Priorität)."""
    ws = wb.add_worksheet(REGISTER)
    _heads(fmt, ws, ("Angabe", "Wert"))
    fmt.text(ws, 1, 0, "Stadt")
    fmt.text(ws, 1, 1, city.name if city else "")
    fmt.text(ws, 2, 0, "Gemeindeschlüssel")
    fmt.text(ws, 2, 1, (city.ags or "") if city else "")
    fmt.text(ws, 4, 0, "Projekt-ID", bold=True)
    fmt.text(ws, 4, 1, "Priorität (geplant)", bold=True)
    id_at, priority_at = table.field("id"), table.field("priority")
    planned = [(r[id_at], r[priority_at]) for r in table.rows if r[priority_at] is not None]
    if planned:  # a stream writes out the rows above it; without rows the file stays xlsxwriter's
        stream = RowStream(ws, 5)
        stream.table(5, [Column(0, "text", [p[0] for p in planned], None, fmt.get(quote_prefix=True)),
                         Column(1, "whole", [p[1] for p in planned])], len(planned))
        stream.close()
    ws.set_column(0, 1, 22)
