"""The grid python-calamine would build for each sheet, found from the sheet's XML (``budget``).

Rules:
- per sheet: more than ``MAX_GRID_ROWS`` rows (the data limit plus the header search), more than
  ``MAX_COLUMNS`` columns, or a grid (from A1 to the last cell, as the reader sees it) of more than
  ``MAX_GRID_CELLS`` cells is refused; the same for the sheet's ``<dimension>``, merged ranges and
  shared formulas' ranges (calamine and openpyxl allocate from them);
- cell positions follow calamine's own rule: a cell's ``r`` when it has one, otherwise the column
  after the previous cell in the row of the last ``<row r>`` (counting on at each ``</row>``);
  elements are matched by local name in any namespace, as calamine does; a reference that is not
  a plain cell reference within Excel's grid (``A0``, ``-5``, ``123``, ``XFE1``) refuses the file;
  a cell counts for the grid once it holds anything (calamine skips empty ``<c/>``);
- a sheet written the way spreadsheet programs write it is measured by byte searches
  (``plain_sheet``); any other, or one near a limit, is streamed cell by cell (``SheetScan``).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from operator import itemgetter

from ..core.types import format_number, is_digits
from . import ooxml
from .limits import HEADER_SEARCH_ROWS, MAX_ROWS, CheckedFile
from .textcost import INTERN_COST, MAX_TEXT, STRING_COST, USE_COST, TextCost, shared_cost, too_much_text
from .xmlscan import MAX_ELEMENTS, Budget, Part, Refused, well_formed

MAX_GRID_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
MAX_COLUMNS = 256
MAX_GRID_CELLS = 2_000_000
_ROW = re.compile(r"[1-9][0-9]{0,6}")


class SheetScan(Part):
    """A worksheet: the last row and column that calamine's grid would reach, and shared-text use."""

    def __init__(self, checked: CheckedFile, member: str, budget: Budget, sheet: str, strings: array) -> None:
        super().__init__(checked, member, budget)
        self.sheet, self.strings = sheet, strings
        self.row_index = 0
        self.col_index = 0
        self.max_row = -1
        self.max_col = -1
        self.pending: tuple[int, int] | None = None
        self.shared = False
        self.textual = False
        self.in_value = False
        self.value: list[str] = []
        self.text_chars = 0
        self.cell_text = TextCost()
        self.dimension: str | None = None
        self.seen_shared = bytearray(len(strings))
        self.seen_texts: set[int] = set()
        self.data_depth = 0

    def _bad(self, what: str, value: str) -> Refused:
        return Refused(f"der Teil „{self.member}“ (Blatt „{self.sheet}“) enthält {what} „{value[:40]}“; "
                       "die Arbeitsmappe wird nicht gelesen")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count(name, attrs)
        if self.pending is not None:
            row, col = self.pending
            self.pending = None
            if row > self.max_row or col > self.max_col:
                self.max_row, self.max_col = max(row, self.max_row), max(col, self.max_col)
                self._check(self.max_row, self.max_col, f"{ooxml.column_letter(col)}{row + 1}")
        local = name.rpartition(":")[2]
        if local == "c":
            r = attrs.get("r")
            if r is None:
                pos = (self.row_index, self.col_index)
            else:
                found = ooxml.cell_ref(r)
                if found is None:
                    raise self._bad("den ungültigen Zellbezug", r)
                pos = found
            self.col_index = pos[1] + 1
            self.pending = pos
            kind = attrs.get("t")
            self.shared = kind == "s"
            self.textual = kind in ("str", "inlineStr", "e")
            self.cell_text = TextCost()
            self.parser.CharacterDataHandler = self.cell_text.add
        elif local == "row":
            r = attrs.get("r")
            if r is not None:
                if not _ROW.fullmatch(r) or int(r) > ooxml.EXCEL_ROWS:
                    raise self._bad("die ungültige Zeilennummer", r)
                self.row_index = int(r) - 1
        elif local == "is":
            self.textual = True
        elif local == "v" and self.shared:
            self.value = []
            self.in_value = True
            self.parser.CharacterDataHandler = self._value
        elif local == "sheetData":
            self.data_depth = self.depth
        elif local == "dimension":
            self.dimension = attrs.get("ref", "")
        elif local == "mergeCell" or (local == "f" and "ref" in attrs):
            self._range(attrs.get("ref", ""), local)

    def end(self, name: str) -> None:
        self.depth -= 1
        local = name.rpartition(":")[2]
        if local == "row":
            self.row_index += 1
            self.col_index = 0
        elif local == "v" and self.in_value:
            self.in_value = False
            self.parser.CharacterDataHandler = self.cell_text.add
            self._text_chars("".join(self.value).strip())
        elif local == "c":
            self.pending = None
            self.shared = False
            self.parser.CharacterDataHandler = None
            text = self.cell_text
            if text.chars and not self.textual:
                self.text_chars += text.cost()
            elif text.chars and text.key in self.seen_texts:
                self.text_chars += text.utf8 + USE_COST
            elif text.chars:
                self.seen_texts.add(text.key)
                self.text_chars += text.cost() + STRING_COST + INTERN_COST + USE_COST
            if self.budget.text_chars + self.text_chars > MAX_TEXT:
                raise Refused(too_much_text())

    def _value(self, data: str) -> None:
        self.value.append(data)
        if len(self.value) > 64 or len(data) > 64:
            raise self._bad("den ungültigen Verweis auf einen gemeinsamen Text", data)

    def _text_chars(self, text: str) -> None:
        if not is_digits(text) or int(text) >= len(self.strings):
            raise Refused(f"der Teil „{self.member}“ (Blatt „{self.sheet}“) verweist auf den gemeinsamen Text "
                          f"Nr. „{text[:20]}“, den es nicht gibt; die Arbeitsmappe wird nicht gelesen")
        self.text_chars += shared_cost(int(text), self.strings, self.seen_shared)
        if self.budget.text_chars + self.text_chars > MAX_TEXT:
            raise Refused(too_much_text())

    def _range(self, ref: str, local: str) -> None:
        """A ``<dimension>``, merged range or shared formula's range must lie within the limits too
        (calamine and openpyxl allocate from them)."""
        parts = ref.split(":")
        corners = [ooxml.cell_ref(p) for p in parts]
        if not 1 <= len(parts) <= 2 or any(c is None for c in corners):
            raise self._bad("den ungültigen Bereich", ref)
        row = max(c[0] for c in corners if c is not None)
        col = max(c[1] for c in corners if c is not None)
        self._check(row, col, f"{_RANGE_KIND[local]} „{ref[:40]}“")

    def _check(self, row: int, col: int, what: str) -> None:
        """``what`` is a cell reference ("XFD1048576") or a phrase naming a range."""
        rows, cols = row + 1, col + 1
        cell = ooxml.cell_ref(what) is not None
        where = f"Zelle {what} ist belegt" if cell else what
        if rows > MAX_GRID_ROWS:
            raise Refused(f"das Blatt „{self.sheet}“ hat mehr als {format_number(MAX_ROWS)} Zeilen ({where}); "
                          f"erlaubt sind höchstens {format_number(MAX_ROWS)}")
        if cols > MAX_COLUMNS:
            raise Refused(f"das Blatt „{self.sheet}“ hat mehr als {format_number(MAX_COLUMNS)} Spalten ({where}); "
                          f"erlaubt sind höchstens {format_number(MAX_COLUMNS)}")
        if rows * cols > MAX_GRID_CELLS:
            raise Refused(f"das Blatt „{self.sheet}“ hat {format_number(rows)} Zeilen × {format_number(cols)} Spalten = "
                          f"{format_number(rows * cols)} Zellen ({where}); "
                          f"erlaubt sind höchstens {format_number(MAX_GRID_CELLS)} Zellen")

    def run(self) -> None:
        super().run()
        self.finish()

    def finish(self) -> None:
        if self.dimension is not None:  # after the cells: a cell beyond the limits is the better message
            self._range(self.dimension, "dimension")
        self.budget.text_chars += self.text_chars


_RANGE_KIND = {"dimension": "angegebener Bereich", "mergeCell": "verbundener Bereich", "f": "Formelbereich"}


_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_PREFIXED = re.compile(rb":(?:c|v|is|row)[\s/>]")
_ODD_VALUE = re.compile(rb"<v>[0-9.Ee+-]*[^0-9.Ee+<-]")
_FAST_SHARED = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: s="[0-9]{1,9}")? t="s"(?: [a-zA-Z]{1,12}="[^"<>&]*")*>'
                          rb"<v>([0-9]{1,10})</v>")
_ANY_SHARED = re.compile(rb"""t\s*=\s*["']s["']""")


def plain_sheet(checked: CheckedFile, member: str, budget: Budget, strings: array,
                data: bytes | None = None) -> tuple[int, int] | None:
    """The grid of a sheet written the way spreadsheet programs write it, found by byte searches.

    Taken only when it is certain: the part is well-formed XML (expat, no DTD); no cell, row or
    value element has a prefix; every ``<c`` tag (counted with every delimiter) starts with a plain
    ``r="B7"``; every ``t="s"`` in the part belongs to a plain shared-string cell; inline text is
    in plain ``<is>`` elements (its bytes are counted, at least its characters); every ``<v>`` holds
    a number. Everything within the
    limits is then known from the references themselves. Otherwise (or when a limit is reached,
    for the exact message) the part is streamed cell by cell by ``_Sheet``. Returns the grid or None.
    """
    data = well_formed(checked, member, data)
    elements = budget.counted.get(member)  # counted while streaming, before any sheet was scanned
    if elements is None:
        elements = data.count(b"<") - data.count(b"</")
    if budget.elements + elements > MAX_ELEMENTS or _PREFIXED.search(data):
        return None
    if b"<v " in data or b'"str"' in data or b"'str'" in data or _ODD_VALUE.search(data):
        return None  # values that are text (formula text results, error values): counted one by one
    if data.count(b"<is") != data.count(b"<is>") or _range_attributes(data):
        return None
    cell_tags = sum(data.count(b"<c" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
    inline_tags = data.count(b"<is>")
    shared_tags = sum(1 for _ in _ANY_SHARED.finditer(data))
    refs = inline = shared = text = rows = 0
    letters: set[bytes] = set()
    seen_shared = bytearray(len(strings))
    seen_texts: set[int] = set()
    has_formulas = b"<f" in data
    try:
        for chunk in _chunks(data):  # bounded lists, whatever the part's size
            found = _FAST_CELL.findall(chunk)
            refs += len(found)
            if found:
                rows = max(rows, max(map(int, map(itemgetter(1), found))))
                letters.update(map(itemgetter(0), found))
            if inline_tags:
                spans = _INLINE.findall(chunk)
                inline += len(spans)
                for s in spans:
                    if (key := hash(s)) in seen_texts:
                        text += len(s) + USE_COST
                    else:
                        seen_texts.add(key)
                        text += len(s) * (2 if s.isascii() else 5) + STRING_COST + INTERN_COST + USE_COST
            if has_formulas:  # the reader holds each formula's text: counted as inline text is
                for f in _FORMULA_TEXT.findall(chunk):  # each one held on its own
                    text += len(f) * (2 if f.isascii() else 5) + STRING_COST + INTERN_COST + USE_COST
            values = _FAST_SHARED.findall(chunk)
            shared += len(values)
            for value in values:
                text += shared_cost(int(value), strings, seen_shared)
    except IndexError:  # a shared string that does not exist
        return None
    if (refs, inline, shared) != (cell_tags, inline_tags, shared_tags):
        return None
    cols = max((_column(x) for x in letters), default=-1) + 1
    if rows > MAX_GRID_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_GRID_CELLS:
        return None
    if budget.text_chars + text > MAX_TEXT:
        return None
    budget.elements += elements
    budget.text_chars += text
    return rows, cols


_INLINE = re.compile(rb"<is>(.*?)</is>", re.DOTALL)
_FORMULA_TEXT = re.compile(rb"<f(?:[ \t\r\n][^>]*)?>([^<]*)</f>")
_CHUNK_BYTES = 1 << 20


def _column(letters: bytes) -> int:
    found = ooxml.cell_ref(letters.decode("ascii") + "1")
    return found[1] if found else ooxml.EXCEL_COLUMNS


def _chunks(data: bytes) -> Iterator[bytes]:
    """About 1 MB at a time, cut before a ``<row`` so that no cell is split (a cut elsewhere only
    makes the counts disagree, and the part is then streamed)."""
    start = 0
    while start < len(data):
        cut = data.find(b"<row", start + _CHUNK_BYTES)
        end = len(data) if cut < 0 else cut
        yield data[start:end]
        start = end


_RANGE_ATTRIBUTE = re.compile(rb"""ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SPACE = frozenset(b" \t\n\r\f\v")


def _range_attributes(data: bytes) -> bool:
    """True when any ``ref`` attribute (a ``dimension``, merged or formula range among them) may be
    beyond the limits or is not plain."""
    if data.count(b"ref") > 10_000:
        return True
    at = data.find(b"ref", 1)
    while at >= 0:  # each "ref" after white space (a search for "\sref" would try every byte)
        found = _RANGE_ATTRIBUTE.match(data, at) if data[at - 1] in _SPACE else None
        at = data.find(b"ref", at + 3)
        if found is None:
            continue
        double, single = found.groups()
        corners = [ooxml.cell_ref(p) for p in (double or single or b"").decode("ascii", "replace").split(":")]
        if not 1 <= len(corners) <= 2 or any(c is None for c in corners):
            return True
        row = max(c[0] for c in corners if c) + 1
        col = max(c[1] for c in corners if c) + 1
        if row > MAX_GRID_ROWS or col > MAX_COLUMNS or row * col > MAX_GRID_CELLS:
            return True
    return False


