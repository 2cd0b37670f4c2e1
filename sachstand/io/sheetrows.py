"""Large tables written straight into a ``constant_memory`` worksheet's row stream.

xlsxwriter spends about 80 % of a large export in its per-cell path (argument conversion, a
cell tuple, dimension checks, then the XML). ``RowStream`` writes the XML that xlsxwriter
itself writes in ``constant_memory`` mode, a row at a time, into the same temporary row file;
the workbook around it (styles, panes, autofilter, print setup) stays xlsxwriter's.

Rules:
- A cell is a number (``<v>`` as xlsxwriter formats it), a boolean, a blank with a style (None)
  or an inline string, never anything else: text is escaped (``&``, ``<``, ``>``; control characters as ``_xHHHH_``, as Excel and
  xlsxwriter do), so no value becomes markup or a formula. The formula-safety rule stays with
  the caller, which picks the quote-prefixed format for text starting with = + - @ tab CR LF
  (in a ``table``, the caller gives that format as ``Column.quoted`` and the stream picks it
  by ``safe.FORMULA_START``).
- Styles are the xlsxwriter formats' own indexes, so every cell looks as if written cell by cell;
  a row's height (points, as ``set_row`` takes it) is written as ``set_row`` would write it.
- ``table`` takes a table a column at a time (``Column``: every value of a column is of one
  kind), so a cell costs a step of a list comprehension, not a call; formats get their style
  numbers in the order cell-by-cell writing would give them.
- Only for a ``constant_memory`` worksheet whose rows above ``first`` are written; afterwards
  the worksheet knows the table's dimensions and goes on below it. Other worksheets get the
  cells through xlsxwriter (``RowStream`` falls back), so callers have one path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count, repeat
from typing import Any, Literal

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from .safe import FORMULA_START, LITERAL_ESCAPE

Cell = tuple[int, "str | int | float | bool | None", Format | None]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPE = LITERAL_ESCAPE
_MARKUP = re.compile(r"[&<>]")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")
_MAX_TEXT = 32767
_EXACT = 10**15
_PLAIN = re.compile(r"(?!\s)[^\x00-\x1f&<>\ufffe\uffff]*(?<!\s)")
"""Text that needs none of the changes below (most cells): checked with one match, not five."""


def inline_text(value: str) -> str:
    """The ``<is>`` content of a text cell, as xlsxwriter writes it in ``constant_memory`` mode
    (cut to Excel's 32,767 UTF-16 units, as xlsxwriter does)."""
    if len(value) <= _MAX_TEXT // 2 and "_x" not in value and _PLAIN.fullmatch(value):
        return f"<t>{value}</t>"
    if len(value) > _MAX_TEXT // 2 and len(units := value.encode("utf-16-le")) > 2 * _MAX_TEXT:
        value = units[:2 * _MAX_TEXT].decode("utf-16-le", "ignore")
    if "_x" in value:
        value = _ESCAPE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if _MARKUP.search(value):
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _LEADING.search(value) or _TRAILING.search(value):
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


_CHUNK = 2048
"""Rows of a ``RowStream.table`` made and written at a time (the memory of a large table stays flat)."""


@dataclass(frozen=True)
class Column:
    """One column of a table written a column at a time (``RowStream.table``); the kind says
    what every value is, so a cell costs no test of its type:

    - ``text``: str; "" and None are no cell; text starting with = + - @ tab CR LF gets ``quoted``
      (the caller's quote-prefixed twin of ``fmt``), any other ``fmt``;
    - ``whole``: int below 10**15, or None for no cell;
    - ``number``: float (or int), written as xlsxwriter writes it (``%.16G``), or None.

    Two columns may share a place when at most one of them has a value in each row (a date
    column whose days are numbers and whose other periods are text).
    """

    col: int
    kind: Literal["text", "whole", "number"]
    values: Sequence[Any]
    fmt: Format | None = None
    quoted: Format | None = None


class RowStream:
    """Rows of ``(column, value, format)`` cells, from row ``first`` down (0-based)."""

    def __init__(self, ws: Worksheet, first: int) -> None:
        self.ws = ws
        self.direct = bool(ws.constant_memory) and first > ws.previous_row and not ws.table.get(first)
        self.first = first
        self.last = -1
        self.min_col: int | None = None
        self.max_col = -1
        self._letters: list[str] = [xl_col_to_name(c) for c in range(64)]
        self._styles: dict[Format | None, str] = {None: ""}
        if self.direct:
            ws._write_single_row(first)  # the rows above are written out first
            self._write = ws.row_data_fh.write

    def _letter(self, col: int) -> str:
        while len(self._letters) <= col:
            self._letters.append(xl_col_to_name(len(self._letters)))
        return self._letters[col]

    def _style(self, fmt: Format) -> str:
        self._styles[fmt] = found = f' s="{fmt._get_xf_index()}"'
        return found

    def row(self, r: int, cells: Sequence[Cell], height: float | None = None) -> None:
        """One row's cells, in column order; rows come top to bottom. ``height``: in points."""
        if not cells:
            return
        if not self.direct:
            ws = self.ws
            for c, value, fmt in cells:
                if type(value) is str:
                    ws.write_string(r, c, value, fmt)
                elif value is None:
                    ws.write_blank(r, c, None, fmt)
                elif type(value) is bool:
                    ws.write_boolean(r, c, value, fmt)
                else:
                    ws.write_number(r, c, value, fmt)
            if height is not None:
                ws.set_row(r, height)
            return
        n = r + 1
        parts = [f'<row r="{n}"{"" if height is None else self._height(r, height)}>', *self._cells(n, cells), "</row>"]
        self._write("".join(parts))
        self._extent(r, cells[0][0], cells[-1][0])

    def _height(self, r: int, height: float) -> str:
        """The row's height attributes, as xlsxwriter's ``set_row`` and ``_write_row`` make them;
        the worksheet learns the size (notes and images are placed by it), not a row to write."""
        pixels = int(height * 4.0 / 3.0 + 0.5)
        ws = self.ws
        ws.row_sizes[r] = [pixels, False]
        if pixels == ws.original_row_height == ws.default_row_height:
            return ""
        return f' ht="{pixels * 0.75:.16g}" customHeight="1"'

    def table(self, r: int, columns: Sequence[Column], rows: int) -> None:
        """``rows`` rows from row ``r`` down, given column by column (each column's values are one
        per row); rows without a cell are left out, as xlsxwriter does."""
        if not self.direct:
            for i in range(rows):
                cells: list[Cell] = []
                for column in columns:
                    value = column.values[i]
                    if column.kind == "text":
                        if value:
                            fmt = column.quoted if value.startswith(FORMULA_START) else column.fmt
                            cells.append((column.col, value, fmt))
                    elif value is not None:
                        cells.append((column.col, value, column.fmt))
                self.row(r + i, cells)
            return
        columns = sorted(columns, key=lambda column: column.col)
        self._number_styles(columns)
        used: set[int] = set()
        for start in range(0, rows, _CHUNK):
            end = min(start + _CHUNK, rows)
            made = []
            for column in columns:
                cells_of = self._column(column, start, end, r + start + 1)
                if column.col not in used and any(cells_of):
                    used.add(column.col)
                made.append(cells_of)
            texts = list(map("".join, zip(*made, strict=True)))
            self._write("".join([f'<row r="{n}">{text}</row>' for n, text in zip(count(r + start + 1), texts) if text]))
            last = next((i for i in range(len(texts) - 1, -1, -1) if texts[i]), None)
            if last is not None:
                self.last = r + start + last
        if used:
            if self.min_col is None or min(used) < self.min_col:
                self.min_col = min(used)
            self.max_col = max(self.max_col, max(used))

    def _number_styles(self, columns: Sequence[Column]) -> None:
        """Give the formats of a table their style numbers in the order cells written row by row
        would (first use, row by row, left to right), so the file is the one xlsxwriter writes."""
        first: list[tuple[int, int, Format | None]] = []
        for column in columns:
            values = column.values
            if column.kind == "text":
                if any(map(str.startswith, filter(None, values), repeat(FORMULA_START))):
                    i = next(i for i, v in enumerate(values) if v and v.startswith(FORMULA_START))
                    first.append((i, column.col, column.quoted))
                at = next((i for i, v in enumerate(values) if v and not v.startswith(FORMULA_START)), None)
            else:
                at = next((i for i, v in enumerate(values) if v is not None), None)
            if at is not None:
                first.append((at, column.col, column.fmt))
        for _r, _c, fmt in sorted(first, key=lambda f: (f[0], f[1])):
            if fmt is not None and fmt not in self._styles:
                self._style(fmt)

    def _column(self, column: Column, start: int, end: int, n: int) -> list[str]:
        """The cells of rows ``start`` to ``end`` (row number ``n`` on) of one column, "" for none."""
        letter = self._letter(column.col)
        values = column.values[start:end]
        style = self._styles.get(column.fmt, "")  # a format no cell uses has no style number
        if column.kind == "text":
            quoted = self._styles.get(column.quoted, "")
            return [f'<c r="{letter}{n}"{quoted if v.startswith(FORMULA_START) else style} t="inlineStr">'
                    f'<is>{inline_text(v)}</is></c>' if v else ""
                    for n, v in zip(count(n), values)]
        if column.kind == "whole":
            return [f'<c r="{letter}{n}"{style}><v>{v}</v></c>' if v is not None else ""
                    for n, v in zip(count(n), values)]
        return [f'<c r="{letter}{n}"{style}><v>{v:.16G}</v></c>' if v is not None else ""
                for n, v in zip(count(n), values)]

    def _cells(self, n: int, cells: Sequence[Cell]) -> list[str]:
        parts = []
        styles, letters = self._styles, self._letters
        for c, value, fmt in cells:
            style = styles.get(fmt)
            if style is None:
                style = self._style(fmt)  # a None format is in styles already
            letter = letters[c] if c < len(letters) else self._letter(c)
            if type(value) is str:
                parts.append(f'<c r="{letter}{n}"{style} t="inlineStr"><is>{inline_text(value)}</is></c>')
            elif value is None:
                parts.append(f'<c r="{letter}{n}"{style}/>')
            elif type(value) is bool:
                parts.append(f'<c r="{letter}{n}"{style} t="b"><v>{int(value)}</v></c>')
            elif type(value) is int and -_EXACT < value < _EXACT:  # as %.16G writes it
                parts.append(f'<c r="{letter}{n}"{style}><v>{value}</v></c>')
            else:
                parts.append(f'<c r="{letter}{n}"{style}><v>{value:.16G}</v></c>')
        return parts

    def _extent(self, r: int, first_col: int, last_col: int) -> None:
        self.last = r
        if self.min_col is None or first_col < self.min_col:
            self.min_col = first_col
        self.max_col = max(self.max_col, last_col)

    def close(self) -> None:
        """Tell the worksheet the table's extent; later cells go below it (comments on the table's
        cells, kept by the worksheet, never make it write a streamed row a second time)."""
        if not self.direct or self.min_col is None:
            return
        ws = self.ws
        ws._check_dimensions(self.first, self.min_col)
        ws._check_dimensions(self.last, self.max_col)
        ws.previous_row = self.last + 1
