"""The marked-up reply (``import F --markup OUT``): the department's workbook, written anew, that
opens on a list of what to correct.

Rules:
- The department's file is never re-saved. Its values are read again with python-calamine (the
  same limits as the import) and a fresh workbook is written with xlsxwriter, streaming row by
  row (``constant_memory``): 100,000 rows stay far below 500 MB. Formulas come back as their
  values; the read sheet's layout (rows, columns, header) stays, so cell references match.
- The first sheet, "Korrekturen", lists every problem and conflict of this file with its cell
  (a link to it), the project, the value in the file and what is wrong; it is set up for paper,
  so what the cell notes say is also printed.
- Problem cells are red and conflict cells violet (``styles``), both with a thick frame, and
  carry a note. A returned template gets its input colours, the year's column, its check of
  whole numbers and its hidden sheet back, so the reply can be corrected and sent again.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import python_calamine

from ..core.changes import is_progress_key, progress_key
from ..core.text import safe_text
from .diff import ImportPlan
from .headers import header_key
from .layout import META_SHEET
from .limits import WorkbookRefused, check_workbook
from .ooxml import column_letter
from .reader import WorkbookData, _grid
from .safe import DATE, FORMULA_START, MONEY, PERCENT, Formats, close_workbook, needs_quote, new_workbook
from .sheetrows import Cell, RowStream
from .styles import CONFLICT, HEADER, HEADER_HEIGHT, INPUT, LOCKED, PROBLEM, YEAR_HEADER, YEAR_INPUT, paper, row_height

SHEET = "Korrekturen"
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]+)\$?([0-9]+)(?::\$?[A-Z]+\$?[0-9]+)?$")
_COL = {"planned_cost": MONEY, "start": DATE, "end": DATE}
EXTRA_TEMPLATE_ROWS = 10


def _split(ref: str) -> tuple[str, int, int] | None:
    """"Projekte!C6" → ("Projekte", 5, 2), 0-based; None for anything else."""
    m = _REF.match(ref)
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    col = 0
    for ch in m.group(3):
        col = col * 26 + ord(ch) - 64
    return sheet, int(m.group(4)) - 1, col - 1


def _link(sheet: str, row: int, col: int) -> str:
    return f"internal:'{sheet.replace(chr(39), chr(39) * 2)}'!{column_letter(col)}{row + 1}"


class _Marks:
    """The problems and conflicts of one file, by cell."""

    def __init__(self, data: WorkbookData, plan: ImportPlan) -> None:
        self.items: list[tuple[str, str, str, str, str, tuple[int, int] | None]] = []
        self.cells: dict[tuple[int, int], tuple[str, list[str]]] = {}
        by_row = {r.row: r.project_id or r.name for r in plan.rows if r.file == data.name}
        for p in plan.problems:
            if p.file == data.name:
                self._add("Problem", p.cell, p.value, p.message, data, by_row)
        for c in plan.conflicts:
            if c.file == data.name:
                self._add("Konflikt", c.cell, c.file_value,
                          f"Konflikt: im Register inzwischen „{c.register_value}“. Bitte klären, welcher Wert gilt, "
                          "und ihn eintragen (oder beim Import --on-conflict file|register angeben).", data, by_row,
                          c.project_id)

    def _add(self, kind: str, ref: str, value: str, message: str, data: WorkbookData,
             by_row: dict[int, str], project: str = "") -> None:
        where = _split(ref) if ref else None
        pos = (where[1], where[2]) if where and where[0] == data.sheet else None
        if pos is not None:
            project = project or by_row.get(pos[0] + 1, "")
            _colour, notes = self.cells.setdefault(pos, (kind, []))
            notes.append(message)
            if kind == "Problem":
                self.cells[pos] = ("Problem", notes)
        self.items.append((kind, ref, project, value, message, pos))


def share_cells(data: WorkbookData) -> set[tuple[int, int]]:
    """The (row, column) of read cells formatted as a percentage (0-based)."""
    return {(row.number - 1, data.columns[k]) for row in data.rows if row.shares for k in row.shares}


def write_markup(data: WorkbookData, target: str | Path | BinaryIO, plan: ImportPlan,
                 shares: set[tuple[int, int]] | None = None) -> int:
    """Write the marked reply for ``data``; returns the number of cells marked.

    ``shares`` (``share_cells``) may be taken before ``data.rows`` is released to save memory.
    """
    shares = share_cells(data) if shares is None else shares
    checked = check_workbook(data.path)
    if checked.sha256 != data.sha256:  # only the very file the budget and the reader passed
        raise WorkbookRefused(checked.name, "die Datei wurde während des Imports geändert; bitte erneut aufrufen")
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
    except Exception:  # the file was read a moment ago; a change in between is refused plainly
        raise WorkbookRefused(checked.name, "die Arbeitsmappe ist beschädigt und kann nicht gelesen werden") from None
    marks = _Marks(data, plan)
    wb = new_workbook(target, constant_memory=True)
    fmt = Formats(wb)
    try:
        meta = _grid(checked, book, META_SHEET) if META_SHEET in book.sheet_names else None
        others = [(s, _grid(checked, book, s)) for s in book.sheet_names
                  if s not in (data.sheet, META_SHEET, SHEET)][:10]
        _corrections(wb, fmt, data, marks)
        try:
            sheet = book.get_sheet_by_name(data.sheet)
        except Exception:
            raise WorkbookRefused(checked.name, f"das Blatt „{data.sheet}“ kann nicht gelesen werden") from None
        _data_sheet(wb, fmt, data, sheet, marks, shares)
    finally:
        book.close()
    for name, values in others:
        ws = wb.add_worksheet(name[:31])
        for r, row in enumerate(values[:5000]):
            for c, value in enumerate(row[:100]):
                _write(fmt, ws, r, c, value, None)
        ws.set_column(0, 0, 100)
    if meta is not None:
        ws = wb.add_worksheet(META_SHEET)
        for r, row in enumerate(meta):
            for c, value in enumerate(row[:2]):
                _write(fmt, ws, r, c, value, None)
        ws.very_hidden()
    close_workbook(wb)
    return len(marks.cells)


def _corrections(wb, fmt: Formats, data: WorkbookData, marks: _Marks) -> None:
    ws = wb.add_worksheet(SHEET)
    ws.activate()
    heads = ("Nr", "Art", "Zelle", "Projekt", "Wert in der Datei", "Was zu tun ist")
    widths = (5, 10, 16, 14, 28, 70)
    n_problems = sum(1 for k, *_ in marks.items if k == "Problem")
    n_conflicts = len(marks.items) - n_problems
    fmt.text(ws, 0, 0, f"Korrekturen für {safe_text(data.name)}", bold=True, font_size=14)
    summary = (f"{n_problems} Problem(e) und {n_conflicts} Konflikt(e). Bitte jede Zeile in der markierten Zelle "
               "korrigieren (Link in Spalte „Zelle“) und die Datei erneut zurückgeben. "
               "Rot: Problem, violett: Konflikt."
               if marks.items else "Keine Probleme und keine Konflikte: nichts zu korrigieren.")
    ws.merge_range(1, 0, 1, len(heads) - 1, summary, fmt.get(text_wrap=True, valign="top", italic=True))
    ws.set_row(1, 32)
    for c, h in enumerate(heads):
        fmt.text(ws, 3, c, h, **HEADER)
    wrap = {"text_wrap": True, "valign": "top", "border": 1, "border_color": "#BFBFBF"}
    for i, (kind, ref, project, value, message, pos) in enumerate(marks.items, start=1):
        r = 3 + i
        colour = PROBLEM if kind == "Problem" else CONFLICT
        ws.write_number(r, 0, i, fmt.get(**wrap))
        fmt.text(ws, r, 1, kind, **wrap, bg_color=colour["bg_color"], bold=True)
        if pos is not None:
            ws.write_url(r, 2, _link(data.sheet, *pos), fmt.get(**wrap, font_color="blue", underline=1),
                         string=ref.split("!")[-1], tip=f"zur Zelle {ref}")
        else:
            fmt.text(ws, r, 2, ref or "–", **wrap)
        fmt.text(ws, r, 3, project, **wrap)
        fmt.text(ws, r, 4, value, **wrap)
        fmt.text(ws, r, 5, message, **wrap)
        height = row_height([(value, widths[4]), (message, widths[5])])
        if height:
            ws.set_row(r, height)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.freeze_panes(4, 0)
    paper(ws, 3, len(heads) - 1, f"Korrekturen: {data.name}")


def _write(fmt: Formats, ws, r: int, c: int, value: object, cell_format) -> None:
    if value == "" or value is None:
        if cell_format is not None:
            ws.write_blank(r, c, None, cell_format)
        return
    if isinstance(value, str):
        if needs_quote(value) and cell_format is None:
            cell_format = fmt.get(quote_prefix=True)
        ws.write_string(r, c, value, cell_format)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, cell_format)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, cell_format)
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(r, c, value, cell_format or fmt.get(num_format=DATE))
    else:
        ws.write_string(r, c, str(value), cell_format)


def _cell(fmt: Formats, ws, c: int, value: object, cell_format) -> Cell:
    """``_write``'s rules for one cell of a streamed row (``RowStream``); a blank without a
    format is dropped by the caller."""
    if value == "" or value is None:
        return (c, None, cell_format)
    if isinstance(value, str):
        if needs_quote(value) and cell_format is None:
            cell_format = fmt.get(quote_prefix=True)
        return (c, value, cell_format)
    if isinstance(value, (bool, int, float)):
        return (c, value, cell_format)
    if isinstance(value, (date, datetime)):
        return (c, ws._convert_date_time(value), cell_format or fmt.get(num_format=DATE))
    return (c, str(value), cell_format)


def _rows(sheet) -> Iterator[tuple[int, list[object]]]:
    """The sheet's rows one at a time, as 0-based row number and values from column A on
    (calamine keeps the cells; Python objects exist for one row at a time)."""
    start_row, start_col = sheet.start or (0, 0)
    pad = [""] * start_col
    for i, row in enumerate(sheet.iter_rows()):
        yield start_row + i, pad + row if start_col else row


def _data_sheet(wb, fmt: Formats, data: WorkbookData, sheet, marks: _Marks,
                shares: set[tuple[int, int]]) -> None:
    """The department's sheet, streamed row by row with the looks of ``styles``."""
    ws = wb.add_worksheet(data.sheet[:31])
    template = data.is_template and data.meta is not None
    year_key = progress_key(data.meta.year) if template and data.meta else ""
    key_of = {c: k for k, c in data.columns.items()}
    for c, text in enumerate(data.header_cells):  # columns read for reference only (last year's progress)
        key_of.setdefault(c, header_key(text) or "")
    start_col = (sheet.start or (0, 0))[1]
    width = max(start_col + (sheet.width or 0), max(data.columns.values(), default=0) + 1)
    widths = [10.0] * width
    base: list[dict] = []
    for c in range(width):
        key = key_of.get(c, "")
        props: dict = {"valign": "top"}
        if template:
            props |= YEAR_INPUT if key == year_key else LOCKED if key in ("id", "") or (
                is_progress_key(key)) else INPUT
        else:
            props |= {"border": 1, "border_color": "#BFBFBF"}
        if key in ("name", "description", "remarks"):
            props["text_wrap"] = True
        if key in _COL:
            props["num_format"] = _COL[key]
        elif is_progress_key(key):
            props["num_format"] = PERCENT
            widths[c] = 12
        base.append(props)
        if key in ("description", "remarks"):
            widths[c] = 45
        elif key == "name":
            widths[c] = 32
        elif key == "planned_cost":
            widths[c] = 16
    plain = [fmt.get(**p) for p in base]
    share = [fmt.get(**{**p, "num_format": "0%"}) for p in base]
    quoted = [fmt.get(**p, quote_prefix=True) for p in base]
    share_rows = {r for r, _c in shares}
    marked_rows = {r for r, _c in marks.cells}
    header = data.header_row
    wrapped = [c for c in range(width) if base[c].get("text_wrap")]
    last = header
    stream: RowStream | None = None
    for r, row in _rows(sheet):
        last = r
        if r < header:
            for c, value in enumerate(row):
                _write(fmt, ws, r, c, value, fmt.get(bold=True) if r == 0 else None)
            continue
        if r == header:
            for c in range(width):
                value = row[c] if c < len(row) else ""
                props = YEAR_HEADER if key_of.get(c) == year_key and year_key else HEADER
                fmt.text(ws, r, c, "" if value == "" else str(value), **props)
            ws.set_row(r, HEADER_HEIGHT)
            continue
        if stream is None:
            stream = RowStream(ws, r)
        if template and len(row) < width:
            row = row + [""] * (width - len(row))
        special = r in marked_rows or r in share_rows
        cells: list[Cell] = []
        for c, value in enumerate(row):
            if special and (mark := marks.cells.get((r, c))) is not None:
                props = {**(base[c] if c < width else {}), **(PROBLEM if mark[0] == "Problem" else CONFLICT)}
                if (r, c) in shares:
                    props["num_format"] = "0%"
                cells.append(_cell(fmt, ws, c, value, fmt.get(**props)))
                ws.write_comment(r, c, "\n".join(mark[1])[:30000], {"author": "sachstand", "x_scale": 3,
                                                                     "y_scale": 2})
                continue
            if type(value) is str:
                if not value:
                    if template and c < width:
                        cells.append((c, None, plain[c]))
                    continue
                if c >= width:
                    cells.append((c, value, fmt.get(quote_prefix=True) if needs_quote(value) else None))
                else:
                    cells.append((c, value, quoted[c] if value[0] in FORMULA_START else plain[c]))
            elif type(value) is float or type(value) is int:
                if c >= width:
                    cells.append((c, value, None))
                else:
                    cells.append((c, value, share[c] if special and (r, c) in shares else plain[c]))
            elif value is not None:
                cells.append(_cell(fmt, ws, c, value, plain[c] if c < width else None))
        height = None
        if wrapped:
            texts = [(cell, widths[c]) for c in wrapped if c < len(row) and type(cell := row[c]) is str
                     and (len(cell) > widths[c] * 0.9 or "\n" in cell)]
            if texts:
                height = row_height(texts)
        stream.row(r, [cell for cell in cells if cell[1] is not None or cell[2] is not None], height)
    if stream is not None:
        stream.close()
    # marks on cells past the sheet's last row (a problem naming an empty cell below the data)
    for (r, c), mark in sorted(marks.cells.items()):
        if r > last:
            props = {**(base[c] if c < width else {}), **(PROBLEM if mark[0] == "Problem" else CONFLICT)}
            ws.write_blank(r, c, None, fmt.get(**props))
            ws.write_comment(r, c, "\n".join(mark[1])[:30000], {"author": "sachstand"})
            last = r
    if template:
        for r in range(last + 1, last + 1 + EXTRA_TEMPLATE_ROWS):
            for c in range(width):
                ws.write_blank(r, c, None, plain[c])
        last += EXTRA_TEMPLATE_ROWS
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    if template and data.meta is not None and year_key in data.columns:
        pc = data.columns[year_key]
        ws.data_validation(header + 1, pc, max(last, header + 1), pc, {
            "validate": "integer", "criteria": "between", "minimum": 0, "maximum": 100,
            "error_title": "Ungültiger Umsetzungsstand",
            "error_message": "Bitte eine ganze Zahl von 0 bis 100 eintragen, ohne Nachkommastellen.",
        })
        ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": False})
    ws.freeze_panes(header + 1, 0)
    paper(ws, header, width - 1, data.name)
