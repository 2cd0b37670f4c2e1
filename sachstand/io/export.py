"""The register as the familiar overview workbook (``sachstand export register``).

Layout of the sheet "Projekte": ID | Bereich | Name des Projektes | Kurzbeschreibung /
Projektziel | Geplante Kosten | Kostenhinweis | Beginn | Geplantes Ende | Umsetzungsstand Y−1 (in %)
| Umsetzungsstand Y (in %). The ID and the "Kostenhinweis" column (the words of a cost such as
"Finanzierung über FB 30") are what makes the round trip lossless; the rest is the report's
table. Rows are sorted by Bereich and name; money, percent and day dates are real numbers and
dates with German formats; quarters, months and years stay text ("Q 4 2020").

Further sheets: the funded projects with their sums (from ``core.figures``), the rule behind each
figure, and the hidden ``_sachstand`` sheet with the export time and each row's version.

Fresh workbooks are written with xlsxwriter: about 2.9 times faster than openpyxl and it writes
charts, data validation and protection natively. The register workbook reads every project once,
as plain rows with the progress of every year (``core.rows.project_table``), and writes its
tables a column at a time (``sheetrows.RowStream.table``): a column's formats are made once and
its kind (``layout.column_kind``) says what each cell is. The file is byte for byte the one
xlsxwriter writes cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core import figures
from ..core.changes import is_progress_key, progress_year
from ..core.funding import FundingSummary, funding
from ..core.models import Project
from ..core.repository import Repository
from ..core.rows import ProjectTable, period_from_row, project_table
from ..core.types import Period, Precision
from .layout import (
    ARCHIVE,
    FUNDED,
    KEY_DEPARTMENT,
    KEY_EXPORTED,
    KEY_FORMAT,
    KEY_KIND,
    KEY_YEAR,
    KIND_REGISTER,
    META_FORMAT,
    META_SHEET,
    VERSIONS_HEADER,
    column_kind,
    project_columns,
)
from .safe import (
    DATE,
    MONEY,
    PERCENT,
    WIDEST,
    Formats,
    close_workbook,
    day_serial,
    fit_widths,
    new_workbook,
)
from .sheetrows import Column, RowStream
from .styles import HEADER


def write_cell(fmt: Formats, ws: Worksheet, row: int, col: int, key: str, project: Project | None,
               **props: object) -> int:
    """Write one field of ``project``; returns the shown width, for column fitting."""
    if project is None:
        value: object = None
    elif (year := progress_year(key)) is not None:
        value = project.progress.get(year)
        fmt.percent(ws, row, col, value, **props)
        return 6
    else:
        value = project.value(key)
    if key == "planned_cost":
        fmt.money(ws, row, col, value, **props)  # type: ignore[arg-type]  # planned_cost: Decimal | None
        return 16
    if key in ("start", "end"):
        if isinstance(value, Period) and value.precision is Precision.DAY:
            fmt.day(ws, row, col, value.first_day, **props)
            return 10 if day_serial(value.first_day) is not None else len(value.format())
        text = value.format() if isinstance(value, Period) else (getattr(project, f"{key}_text", "") if project else "")
        fmt.text(ws, row, col, text, **props)
        return len(text)
    if is_progress_key(key):
        fmt.percent(ws, row, col, None, **props)
        return 6
    text = "" if value is None else str(value)
    fmt.text(ws, row, col, text, **props)
    return max((len(line) for line in text.splitlines()), default=0)


def write_meta(wb, fmt: Formats, kind: str, year: int, projects: Iterable[Project],
               department: str = "") -> None:
    """The hidden sheet (``layout.META_SHEET``) with each project's row version."""
    projects = list(projects)
    write_versions(wb, fmt, kind, year, [p.id for p in projects], [p.version for p in projects], department)


def write_versions(wb, fmt: Formats, kind: str, year: int, ids: Sequence[str], versions: Sequence[int],
                   department: str = "") -> None:
    """``write_meta`` of the projects ``ids`` with their ``versions``."""
    ws = wb.add_worksheet(META_SHEET)
    rows: list[tuple[str, str | int]] = [
        (KEY_FORMAT, META_FORMAT), (KEY_KIND, kind), (KEY_DEPARTMENT, department), (KEY_YEAR, year),
        (KEY_EXPORTED, datetime.now().astimezone().isoformat(timespec="seconds"))]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        else:
            fmt.text(ws, r, 1, value)
    r = len(rows) + 1
    ws.write_string(r, 0, VERSIONS_HEADER[0])
    ws.write_string(r, 1, VERSIONS_HEADER[1])
    stream = RowStream(ws, r + 1)
    stream.table(r + 1, [Column(0, "text", ids, None, fmt.get(quote_prefix=True)), Column(1, "whole", versions)],
                 len(ids))
    stream.close()
    ws.very_hidden()


def rule_values(repo: Repository, year: int, years: list[int]) -> dict[str, tuple[int | None, int | None]]:
    """Each figure's value of ``year`` and of the year before (from ``core.figures``), when the
    year has data; else empty."""
    if year not in years:
        return {}
    now = figures.counts(repo.db, year)
    before = figures.counts(repo.db, year - 1, as_of=figures.default_as_of(year - 1)) if year - 1 in years else {}
    return {k: (now[k], before.get(k)) for k in now}


def write_rules(wb, fmt: Formats, year: int, values: dict[str, tuple[int | None, int | None]]) -> None:
    """The figures with their rules; ``values`` (``rule_values``): each figure's value of Y and Y-1."""
    ws = wb.add_worksheet("Regeln")
    heads = ["Kennzahl", f"Wert {year}", f"Wert {year - 1}", "Regel"]
    for c, h in enumerate(heads):
        fmt.text(ws, 0, c, h, **HEADER)
    for r, d in enumerate(figures.FIGURES, start=1):
        fmt.text(ws, r, 0, d.label)
        this_year, last_year = values.get(d.key, (None, None))
        for c, v in ((1, this_year), (2, last_year)):
            if v is not None:
                ws.write_number(r, c, v)
        fmt.text(ws, r, 3, d.rule, text_wrap=True)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 2, 11)
    ws.set_column(3, 3, 90)
    ws.freeze_panes(1, 0)


def write_funded(wb, fmt: Formats, summary: FundingSummary, full: bool = False) -> None:
    """The funded projects with their sums (``core.funding``, or a published report's) and the
    "Summe" row; ``full`` adds number, full title and goals after the report's columns (the
    register workbook, see ``register_write``)."""
    ws = wb.add_worksheet(FUNDED)
    heads = ["Förderprogramm", "Titel", "Zuwendungsempfänger", "Beginn", "Laufzeit (Monate)",
             "Gesamtkosten", "Fördersumme gesamt", "Anteil der Stadt"]
    if full:
        heads += ["Nr", "Titel (vollständig)", "Ziele"]
    for c, h in enumerate(heads):
        fmt.text(ws, 0, c, h, **HEADER)
    r = 0
    for r, f in enumerate(summary.projects, start=1):
        fmt.text(ws, r, 0, f.programme, text_wrap=True, valign="top")
        fmt.text(ws, r, 1, f.title_in_table or f.title, text_wrap=True, valign="top")
        fmt.text(ws, r, 2, f.recipients, text_wrap=True, valign="top")
        if f.start:
            fmt.day(ws, r, 3, f.start, valign="top")
        if f.duration_months is not None:
            ws.write_number(r, 4, f.duration_months, fmt.get(valign="top"))
        for c, amount in ((5, f.total_cost), (6, f.funding_total), (7, f.funding_city)):
            fmt.money(ws, r, c, amount, valign="top")
        if full:
            ws.write_number(r, 8, f.id, fmt.get(valign="top"))
            fmt.text(ws, r, 9, f.title, text_wrap=True, valign="top")
            fmt.text(ws, r, 10, f.goals, valign="top")
    total = r + 1
    fmt.text(ws, total, 0, "Summe", bold=True, top=1)
    for c in range(1, 5):
        ws.write_blank(total, c, None, fmt.get(top=1))
    for c, amount in ((5, summary.total_cost), (6, summary.funding_total), (7, summary.funding_city)):
        fmt.money(ws, total, c, amount, bold=True, top=1)
    for c, width in enumerate((28, 40, 40, 11, 10, 16, 18, 18, 6, 40, 60)[:len(heads)]):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)


def write_overview(wb: Workbook, fmt: Formats, title: str, cols: list[tuple[str, str]],
                   table: ProjectTable, rows: Sequence[tuple[Any, ...]] | None = None) -> None:
    """The familiar overview sheet of ``rows`` of ``table`` (default: all): header row, one row
    per project, frozen header, autofilter."""
    rows = table.rows if rows is None else rows
    ws = wb.add_worksheet(title)
    widths = [float(len(h)) * 0.8 for _k, h in cols]
    for c, (_k, h) in enumerate(cols):
        fmt.text(ws, 0, c, h, **HEADER)
    write_rows(fmt, ws, 1, cols, table, rows, widths)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)
    fit_widths(ws, widths)


def export_register(repo: Repository, path: str | Path | BinaryIO, year: int,
                    ids: Sequence[str] | None = None) -> int:
    """Write the register workbook for reporting year ``year``; returns the number of projects.

    "Projekte" (active projects) comes first as always; the sheets of ``register_write`` after it
    hold the rest of the register, so the workbook recreates it (``import`` into an empty one).
    ``ids`` limits every sheet to those projects, in that order (the rows a list shows; archived
    ones go to the archive sheet as always); an ID no longer in the register is left out.
    """
    from . import register_write as book

    with repo.db.read() as conn:  # one connection and one consistent state for every sheet
        years = repo.years()
        table = project_table(conn, sorted({*years, year - 1, year}), ids)
        summary = funding(repo)
        departments = repo.departments()
        reported = {y: repo.reported_figures(y) for y in years}
        city = repo.city()
        values = rule_values(repo, year, years)
    archived_at = table.field("archived")
    projects = [r for r in table.rows if not r[archived_at]]
    archived = [r for r in table.rows if r[archived_at]]
    wb = new_workbook(path, constant_memory=True)
    fmt = Formats(wb)
    cols = project_columns(year)
    write_overview(wb, fmt, "Projekte", cols, table, projects)
    write_funded(wb, fmt, summary, full=True)
    book.write_funded_details(wb, fmt, summary, table)
    book.write_progress(wb, fmt, table, [y for y in years if y not in (year - 1, year)])
    write_overview(wb, fmt, ARCHIVE, cols, table, archived)
    book.write_departments(wb, fmt, departments)
    book.write_reported(wb, fmt, reported)
    book.write_register(wb, fmt, city, table)
    write_rules(wb, fmt, year, values)
    ids_at, versions_at = table.field("id"), table.field("version")
    write_versions(wb, fmt, KIND_REGISTER, year, [r[ids_at] for r in table.rows], [r[versions_at] for r in table.rows])
    close_workbook(wb)
    return len(projects)


def write_rows(fmt: Formats, ws: Worksheet, first: int, cols: Sequence[tuple[str, str]],
               table: ProjectTable, rows: Sequence[tuple[Any, ...]], widths: list[float]) -> None:
    """The project table's data rows, a column at a time (``RowStream.table``): each column's
    formats are made once, and its kind (``layout.column_kind``) says what every cell is, so no
    cell is tested for its type; ``widths`` grow to the longest line of each column's text."""
    data = table.columns(rows)
    day = fmt.get(valign="top", num_format=DATE)
    columns: list[Column] = []
    for c, (key, _h) in enumerate(cols):
        kind = column_kind(key)
        look: dict[str, object] = {"valign": "top"}
        if key in ("description", "name"):
            look["text_wrap"] = True
        if kind == "money":
            look["num_format"] = MONEY
        elif kind == "percent":
            look["num_format"] = PERCENT
        plain, quoted = fmt.get(**look), fmt.get(**look, quote_prefix=True)
        widths[c] = max(widths[c], 16 if kind == "money" else 10 if kind == "period" else 6)
        if (year := progress_year(key)) is not None:
            columns.append(Column(c, "whole", data[table.year(year)], plain))
        elif kind == "money":
            columns.append(Column(c, "number", [None if v is None else float(v) for v in data[table.field(key)]], plain))
        elif kind == "period":
            serials, texts = _periods(data[table.field(f"{key}_first")], data[table.field(f"{key}_precision")],
                                      data[table.field(f"{key}_text")])
            columns.append(Column(c, "whole", serials, day))
            columns.append(Column(c, "text", texts, plain, quoted))
            widths[c] = _widest(texts, widths[c])
        else:
            values = data[table.field(key)]
            columns.append(Column(c, "text", values, plain, quoted))
            widths[c] = _widest(values, widths[c])
    stream = RowStream(ws, first)
    stream.table(first, columns, len(rows))
    stream.close()


def _periods(firsts: Sequence[date | None], precisions: Sequence[str | None],
             texts: Sequence[str]) -> tuple[list[int | None], list[str | None]]:
    """A period column's cells: a day as its date number (``day_serial``), any other period as its
    text ("Q 4 2020"), no period as the text kept for it; each distinct value is worked out once."""
    keys = list(zip(firsts, precisions, texts, strict=True))
    shown: dict[tuple[date | None, str | None, str], tuple[int | None, str | None]] = {}
    for key in set(keys):
        period = period_from_row(key[0], key[1])
        if period is None:
            shown[key] = (None, key[2])
        elif period.precision is Precision.DAY and (serial := day_serial(period.first_day)) is not None:
            shown[key] = (serial, None)
        else:
            shown[key] = (None, period.format())
    cells = [shown[k] for k in keys]
    return [c[0] for c in cells], [c[1] for c in cells]


def _widest(values: Sequence[str | None], width: float) -> float:
    """``width`` or the longest line of ``values`` if longer; stops where ``fit_widths`` caps."""
    if max(map(len, filter(None, values)), default=0) <= width:
        return width
    for value in values:
        if value and len(value) > width:
            longest = max(map(len, value.splitlines())) if "\n" in value else len(value)
            if longest > width:
                width = longest
                if width + 2 >= WIDEST:
                    break
    return width
