"""A sheet's values as python-calamine gives them, streamed row by row.

Rules:
- Rows come from row 1 on (calamine starts its rows there but its columns at the first used one:
  the missing columns are filled with ``""``), one list per row; nothing else holds the sheet.
- Equal texts, and the whole numbers 0..100, share one Python object.
- A sheet that cannot be read, or has more non-empty rows than the limits allow, refuses the
  file with one German line (``budget`` refuses too many rows earlier).
"""

from __future__ import annotations

from collections.abc import Iterator

import python_calamine

from .limits import HEADER_SEARCH_ROWS, MAX_ROWS, CheckedFile, WorkbookRefused


def _grid(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str) -> list[list[object]]:
    """A small sheet's values from A1 on, as one list (trailing empty rows dropped)."""
    grid = list(sheet_rows(checked, wb, sheet))
    while grid and all(v == "" for v in grid[-1]):
        grid.pop()
    return grid


_WHOLE = {float(n): float(n) for n in range(101)}


def _open_sheet(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str) -> python_calamine.CalamineSheet:
    try:
        return wb.get_sheet_by_name(sheet)
    except Exception:
        raise WorkbookRefused(
            checked.name, f"das Blatt „{sheet}“ ist beschädigt und kann nicht gelesen werden") from None


def sheet_rows(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str,
               ws: python_calamine.CalamineSheet | None = None) -> Iterator[list[object]]:
    """The sheet's rows from A1 on, one at a time; equal texts share one ``str``.

    calamine makes a new Python object for every cell, so a shared string used by a million
    cells would become a million copies; here each distinct text, and each whole number 0..100
    (progress), is kept once for the whole sheet (``budget`` counts each distinct text's object
    and its entry in this index once per sheet, and every use), and only the rows
    the caller keeps exist as Python objects (never a second copy of the whole sheet). More
    non-empty rows than the limits allow refuse the sheet (``budget`` refuses them earlier).
    """
    ws = _open_sheet(checked, wb, sheet) if ws is None else ws
    start, end = ws.start, ws.end
    if start is None or end is None:
        return
    pad: list[object] = [""] * start[1]  # calamine's rows start at row 1 but at the first used column
    texts: dict[str, str] = {}
    keep = texts.setdefault
    small = _WHOLE.get
    last = -1
    r = -1
    try:
        for row in ws.iter_rows():
            r += 1
            values: list[object] = pad + [keep(v, v) if type(v) is str and v else small(v, v) if type(v) is float
                                          else v for v in row]
            if any(v != "" for v in values):
                last = r
            yield values
    except WorkbookRefused:
        raise
    except Exception:
        raise WorkbookRefused(
            checked.name, f"das Blatt „{sheet}“ ist beschädigt und kann nicht gelesen werden") from None
    if last + 1 > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise _too_many_rows(checked.name, sheet, last + 1)


def _merged(ws: python_calamine.CalamineSheet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The sheet's merged ranges (0-based, inclusive)."""
    try:
        return list(ws.merged_cell_ranges or [])
    except Exception:
        return []


def _too_many_rows(name: str, sheet: str, rows: int) -> WorkbookRefused:
    return WorkbookRefused(
        name, f"das Blatt „{sheet}“ hat {rows:,} Zeilen; erlaubt sind höchstens {MAX_ROWS:,}".replace(",", ".")
    )
