"""The status report as a workbook (``sachstand export report``).

Sheets: "Kennzahlen" (each figure with its value, the previous year, the change and its rule),
"Übersicht" (the projects table of the report), "Förderprojekte" (with sums) and "Diagramm", a
native Excel bar chart of each project's progress in Y−1 and Y (figure 1 of the report). Every
number comes from ``core.report_content`` (a published year: exactly as published); nothing is
recomputed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..core.models import progress_label, report_dates
from ..core.report_content import report_content
from ..core.repository import Repository
from ..core.rows import ProjectTable
from .export import HEADER, write_funded, write_overview
from .layout import project_columns
from .safe import Formats, close_workbook, new_workbook


def export_report(repo: Repository, path: str | Path | BinaryIO, year: int) -> None:
    content = report_content(repo, year)
    report = content.report
    wb = new_workbook(path)
    fmt = Formats(wb)

    ws = wb.add_worksheet("Kennzahlen")
    fmt.text(ws, 0, 0, f"Sachstandsbericht {year}", bold=True, font_size=14)
    published = content.published.at if content.published else None
    fmt.text(ws, 1, 0, report_dates(report.as_of, published), italic=True)
    heads = ["Kennzahl", str(year), str(year - 1), "Veränderung", "von Projekten", "Regel"]
    for c, h in enumerate(heads):
        fmt.text(ws, 3, c, h, **HEADER)
    for r, f in enumerate(report.figures, start=4):
        fmt.text(ws, r, 0, f.label, bold=True)
        ws.write_number(r, 1, f.value)
        if f.previous is not None:
            ws.write_number(r, 2, f.previous)
        if f.change is not None:
            ws.write_number(r, 3, f.change, fmt.get(num_format="+0;-0;±0"))
        ws.write_number(r, 4, f.total)
        fmt.text(ws, r, 5, f.rule, text_wrap=True)
    for c, w in enumerate((22, 8, 8, 12, 13, 80)):
        ws.set_column(c, c, w)

    shown = list(content.projects)
    cols = [c for c in project_columns(year) if c[0] not in ("id", "cost_note")]
    write_overview(wb, fmt, "Übersicht", cols, ProjectTable.of(shown, [year - 1, year]))

    write_funded(wb, fmt, report.funding)

    chart_rows = [r for r in report.in_report]
    ds = wb.add_worksheet("Diagramm")
    for c, h in enumerate(("Projekt", progress_label(year - 1), progress_label(year))):
        fmt.text(ds, 0, c, h, **HEADER)
    for r, row in enumerate(chart_rows, start=1):
        fmt.text(ds, r, 0, row.name)
        if row.previous is not None:
            ds.write_number(r, 1, row.previous)
        if row.current is not None:
            ds.write_number(r, 2, row.current)
    ds.set_column(0, 0, 45)
    ds.set_column(1, 2, 14)
    n = len(chart_rows)
    chart = wb.add_chart({"type": "bar"})
    for c, colour in ((1, "#A6A6A6"), (2, "#2F75B5")):
        chart.add_series({
            "name": ["Diagramm", 0, c], "categories": ["Diagramm", 1, 0, max(n, 1), 0],
            "values": ["Diagramm", 1, c, max(n, 1), c], "fill": {"color": colour}, "gap": 60,
        })
    chart.set_title({"name": f"Umsetzungsstand der Projekte {year - 1} und {year}"})
    chart.set_x_axis({"min": 0, "max": 100, "name": "Umsetzungsstand in %", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": 900, "height": max(400, 18 * n + 120)})
    ds.insert_chart(0, 4, chart)
    close_workbook(wb)
