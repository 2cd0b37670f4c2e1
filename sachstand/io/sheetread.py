"""A sheet's values as python-calamine gives them, streamed row by row.

Rules:
- Rows come from row 1 on (calamine starts its rows there but its columns at the first used one:
  the missing columns are filled with ``""``), one list per row, or a block of rows at a time as
  one list per column (``SheetValues``); nothing else holds the sheet.
- Equal texts, and the whole numbers 0..100, share one Python object.
- A sheet that cannot be read, or has more non-empty rows than the limits allow, refuses the
  file with one German line (``budget`` refuses too many rows earlier).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, cast

import python_calamine

from .limits import HEADER_SEARCH_ROWS, MAX_ROWS, CheckedFile, WorkbookRefused


def _grid(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str) -> list[list[object]]:
    """A small sheet's values from A1 on, as one list (trailing empty rows dropped)."""
    grid = list(sheet_rows(checked, wb, sheet))
    while grid and all(v == "" for v in grid[-1]):
        grid.pop()
    return grid


_WHOLE = {float(n): float(n) for n in range(101)}
_TEXTS, _NUMBERS, _MIXED = {str}, {float}, {str, float}


def _open_sheet(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str) -> python_calamine.CalamineSheet:
    try:
        return wb.get_sheet_by_name(sheet)
    except Exception:
        raise WorkbookRefused(
            checked.name, f"das Blatt „{sheet}“ ist beschädigt und kann nicht gelesen werden") from None


BLOCK_CELLS = 2048
"""Cells of a block (``SheetValues.blocks``): calamine's copies of a block's texts exist at once."""


class SheetValues:
    """One sheet's values, read once from calamine: ``rows`` hands them out a row at a time,
    ``blocks`` (the rows not handed out yet) a block of rows at a time, as one list per asked
    column, with a few calls for a whole column instead of a few per cell.

    Equal texts, and the whole numbers 0..100, share one object in both (``budget`` counts each
    distinct text's object and its entry in this index once per sheet, and every use). More
    non-empty rows than the limits allow refuse the sheet once all are read (``budget`` refuses
    them earlier)."""

    def __init__(self, checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str,
                 ws: python_calamine.CalamineSheet | None = None) -> None:
        ws = _open_sheet(checked, wb, sheet) if ws is None else ws
        self.checked, self.sheet = checked, sheet
        start, end = ws.start, ws.end
        filled = start is not None and end is not None
        self.first_col = start[1] if filled else 0  # type: ignore[index]  # filled: both are tuples
        self.width = end[1] - start[1] + 1 if filled else 0  # type: ignore[index]
        self._source: Iterator[list[Any]] = iter(ws.iter_rows()) if filled else iter(())
        self.index = -1  # the 0-based row last handed out
        self.last = -1  # the last non-empty one
        self.texts: dict[str, str] = {}

    def rows(self) -> Iterator[list[object]]:
        """The rows from A1 on (calamine starts its rows at row 1 but at the first used column: the
        missing columns are filled with ``""``), one list per row; only the rows the caller keeps
        exist as Python objects (never a second copy of the whole sheet)."""
        pad: list[object] = [""] * self.first_col
        keep = self.texts.setdefault
        small = _WHOLE.get
        try:
            for row in self._source:
                self.index += 1
                values: list[object] = pad + [keep(v, v) if type(v) is str and v else small(v, v) if type(v) is float
                                              else v for v in row]
                if any(v != "" for v in values):
                    self.last = self.index
                yield values
        except WorkbookRefused:
            raise
        except Exception:
            raise self._broken() from None
        self._check_rows()

    def blocks(self, columns: Sequence[int]) -> Iterator[tuple[int, list[Sequence[object]]]]:
        """The rows not handed out yet, a few thousand cells at a time: the 0-based index of the
        block's first row, and the values of each of ``columns`` (0-based, from A) in its rows."""
        limit = MAX_ROWS + HEADER_SEARCH_ROWS
        size = max(1, BLOCK_CELLS // max(self.width, 1))
        places = [c - self.first_col for c in columns]
        try:
            while block := list(islice(self._source, size)):
                first = self.index + 1
                self.index += len(block)
                if self.index >= limit:  # rows beyond the limit: is one of them filled?
                    for i, row in enumerate(block):
                        if first + i >= limit and any(v != "" for v in row):
                            self.last = first + i
                if any(len(row) != self.width for row in block):  # calamine's rows are all as wide
                    block = [row[:self.width] + [""] * (self.width - len(row)) for row in block]
                cells = list(zip(*block, strict=True))
                yield first, [self._shared(cells[p]) if 0 <= p < self.width else [""] * len(block) for p in places]
        except WorkbookRefused:
            raise
        except Exception:
            raise self._broken() from None
        self._check_rows()

    def _shared(self, column: Sequence[object]) -> Sequence[object]:
        """A column's values with equal texts and whole numbers 0..100 shared; a column of texts,
        or of numbers and empty cells, in one call."""
        kinds = set(map(type, column))
        values = cast(Sequence[Any], column)  # of the types in ``kinds``
        if kinds == _TEXTS:
            return list(map(self.texts.setdefault, values, values))
        if kinds == _NUMBERS or (kinds == _MIXED and list(map(type, column)).count(str) == column.count("")):
            return list(map(_WHOLE.get, values, values))
        if str not in kinds and float not in kinds:
            return column  # dates, booleans: nothing to share
        keep, small = self.texts.setdefault, _WHOLE.get
        return [keep(v, v) if type(v) is str and v else small(v, v) if type(v) is float else v for v in values]

    def _check_rows(self) -> None:
        if self.last + 1 > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _too_many_rows(self.checked.name, self.sheet, self.last + 1)

    def _broken(self) -> WorkbookRefused:
        return WorkbookRefused(self.checked.name, f"das Blatt „{self.sheet}“ ist beschädigt und kann nicht gelesen werden")


def sheet_rows(checked: CheckedFile, wb: python_calamine.CalamineWorkbook, sheet: str,
               ws: python_calamine.CalamineSheet | None = None) -> Iterator[list[object]]:
    """The sheet's rows from A1 on, one at a time (``SheetValues.rows``)."""
    yield from SheetValues(checked, wb, sheet, ws).rows()


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
