"""Writing cells so that user text is always text: no formula injection in exported workbooks.

Rules:
- Every text cell is written with ``write_string`` (never ``write``, which turns "=…" into a
  formula), and the workbook is created with string-to-formula/number/URL conversion off.
- Text starting with =, +, -, @, tab, CR or LF also gets the ``quotePrefix`` style, so Excel and
  LibreOffice keep it as text even when someone edits the cell.
- Formats are cached by their properties; xlsxwriter wants one object per distinct look.
- Parts are packed at zlib level ``DEFLATE_LEVEL`` (2), not 6: a third of a large export's
  time for a file about a quarter smaller was not worth it.
- In ``constant_memory`` mode xlsxwriter writes a text that starts with ``<r>`` and ends with
  ``</r>`` raw, as rich-text XML; such a text is written as one escaped run instead, so it comes
  back exactly as it was (``_TextSheet``).
- A literal ``_xHHHH_`` in a text is written with its underscore escaped (``_x005F_``), every
  one of them, overlapping ones too (``LITERAL_ESCAPE``). xlsxwriter's own pattern matched them
  without overlap, so "_x0041_x0042_" came back from Excel, openpyxl and calamine as "_x0041B";
  its module pattern is replaced by this one, which its substitution (``r"_x005F\1"``) fits.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import weakref
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal

import xlsxwriter
import xlsxwriter.xmlwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ..core.errors import WriteFailed
from ..core.signals import held_stops
from ..core.text import safe_text
from ..core.types import format_date

_SURROGATE = re.compile("[\ud800-\udfff]")
LITERAL_ESCAPE = re.compile(r"(_)(?=x[0-9a-fA-F]{4}_)")
"""The underscore of every literal ``_xHHHH_`` in a text; substituted by ``r"_x005F\1"``."""
xlsxwriter.xmlwriter.re_control_chars_1 = LITERAL_ESCAPE
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MONEY = '#,##0.00 "€"'
PERCENT = '0" %"'
DATE = "DD.MM.YYYY"


def needs_quote(text: str) -> bool:
    return text.startswith(FORMULA_START)


def new_workbook(target: str | Path | BinaryIO, constant_memory: bool = False) -> xlsxwriter.Workbook:
    """A fresh workbook that never turns text into formulas, numbers or links.

    ``target`` is a path or, for the commands, a ``BytesIO`` that ``core.output.write_output``
    then writes atomically. ``constant_memory`` streams rows through temporary files (rows must
    then be written top to bottom). xlsxwriter's temporary files go into a folder of this
    workbook's own, removed when it is closed or, after a stop or an error midway (when
    xlsxwriter leaves its files behind), when the workbook is freed or the process ends.
    """
    folder = tempfile.mkdtemp(prefix="sachstand-xlsx-")
    wb = _Workbook(
        target if hasattr(target, "write") else str(target),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
         "default_date_format": DATE, "constant_memory": constant_memory, "tmpdir": folder},
    )
    wb.remove_files = weakref.finalize(wb, _remove, folder)
    return wb


def _remove(folder: str) -> None:
    """Remove ``folder`` with the stop signals held (a stop would leave it half removed)."""
    with held_stops():
        shutil.rmtree(folder, ignore_errors=True)


class _TextSheet(Worksheet):
    """A worksheet whose text cells are always text (see the module's rules)."""

    def _write_string(self, row: int, col: int, string: str, cell_format: Format | None = None) -> Literal[0, -1, -2]:
        if self.constant_memory and string.startswith("<r>") and string.endswith("</r>"):
            escaped = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            string = f"<r><t>{escaped}</t></r>"  # one plain run: xlsxwriter writes it as it is
        return super()._write_string(row, col, string, cell_format)


DEFLATE_LEVEL = 2
"""The zlib level the workbook's parts are packed at. xlsxwriter leaves it at zlib's default, 6:
the register workbook of 25,000 projects (26 MB of XML) then spends about a third of its time
packing; level 2 packs it three times as fast, into 3.4 MB instead of 2.7 MB."""

_PACKING = threading.Lock()


class _LevelZip(zipfile.ZipFile):
    """xlsxwriter's ZipFile, packing at ``DEFLATE_LEVEL``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"compresslevel": DEFLATE_LEVEL, **kwargs})


class _Workbook(xlsxwriter.Workbook):
    remove_files: weakref.finalize

    def add_worksheet(self, name: str | None = None, worksheet_class: type | None = None) -> Worksheet:
        return super().add_worksheet(name, worksheet_class or _TextSheet)

    def _store_workbook(self) -> None:
        """xlsxwriter's packing, with its ``ZipFile`` packing at ``DEFLATE_LEVEL`` (xlsxwriter has
        no option for the level; the name is swapped only while this workbook is packed)."""
        import xlsxwriter.workbook as module

        with _PACKING:
            plain = module.ZipFile
            module.ZipFile = _LevelZip
            try:
                super()._store_workbook()
            finally:
                module.ZipFile = plain


def close_workbook(wb: xlsxwriter.Workbook) -> None:
    """Write the workbook to disk; a path that cannot be written is a German one-line error."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        try:
            wb.close()
        finally:
            if isinstance(wb, _Workbook):
                wb.remove_files()
    except (FileCreateError, OSError) as exc:
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc
        name = "Die Arbeitsmappe" if hasattr(wb.filename, "write") else safe_text(str(wb.filename))
        raise WriteFailed(f"{name} lässt sich nicht schreiben", inner) from None


class Formats:
    """xlsxwriter formats by property set, with a quote-prefixed twin for risky text."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._cache: dict[tuple, Format] = {}

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format(props)
        return self._cache[key]

    def text(self, ws: Worksheet, row: int, col: int, value: str | None, **props: Any) -> None:
        """Write ``value`` as a text cell (quote-prefixed when it looks like a formula)."""
        if value is None or value == "":
            if props:
                ws.write_blank(row, col, None, self.get(**props))
            return
        if needs_quote(value):
            props = {**props, "quote_prefix": True}
        if _SURROGATE.search(value):  # bytes of a file name that are not UTF-8: no XML can hold them
            value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        ws.write_string(row, col, value, self.get(**props) if props else None)

    def money(self, ws: Worksheet, row: int, col: int, amount: Decimal | None, **props: Any) -> None:
        if amount is None:
            ws.write_blank(row, col, None, self.get(num_format=MONEY, **props))
        else:
            ws.write_number(row, col, float(amount), self.get(num_format=MONEY, **props))

    def percent(self, ws: Worksheet, row: int, col: int, value: int | None, **props: Any) -> None:
        if value is None:
            ws.write_blank(row, col, None, self.get(num_format=PERCENT, **props))
        else:
            ws.write_number(row, col, value, self.get(num_format=PERCENT, **props))

    def day(self, ws: Worksheet, row: int, col: int, value: date, **props: Any) -> None:
        """A day as a date cell (``day_serial``), or as its German text before 1 March 1900."""
        serial = day_serial(value)
        if serial is None:
            ws.write_string(row, col, format_date(value), self.get(**props) if props else None)
        else:
            ws.write_number(row, col, serial, self.get(num_format=DATE, **props))


_EPOCH = date(1899, 12, 30)
_SERIAL_FROM = date(1900, 3, 1)


def day_serial(value: date) -> int | None:
    """The rule for every day date written to a workbook: Excel's day number from 1 March 1900
    on; None before it (Excel's 1900 calendar has a 29 February that never was, and nothing
    before 1900), where the writer puts the date's German text instead."""
    return (value - _EPOCH).days if value >= _SERIAL_FROM else None


WIDEST = 60
"""The widest column ``fit_widths`` makes (characters)."""


def fit_widths(ws: Worksheet, widths: list[float], maximum: float = WIDEST) -> None:
    """Set column widths from the longest text seen per column, within sensible bounds."""
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(max(width + 2, 8), maximum))
