"""The workbook budget: what python-calamine will allocate, worked out before it sees the file.

calamine builds a sheet's whole used range as one dense grid, taken from the cell references,
and pre-allocates from counts the file claims; a Rust allocation failure aborts the process
(exit 134) where Python cannot catch it. So every XML part is streamed here first (expat, in
chunks; nothing is built), and the file is refused with one German line when it would exceed:

- ``MAX_ELEMENTS`` elements in all parts together, ``MAX_DEPTH`` nesting levels in any part, and
  ``MAX_TREE_ELEMENTS`` in a part that is later parsed as a tree (workbook, relationships, styles);
- ``MAX_SHEETS`` sheets;
- per sheet: more than ``MAX_GRID_ROWS`` rows (the data limit plus the header search), more than
  ``MAX_COLUMNS`` columns, or a grid (from A1 to the last cell, as the reader sees it) of more than
  ``MAX_GRID_CELLS`` cells; the same for the sheet's ``<dimension>``; all sheets together more
  than ``MAX_WORKBOOK_CELLS`` grid cells;
- cell text that would cost more than ``MAX_TEXT`` bytes of memory in all sheets together: inline
  text, formula text results, and each use of a shared string (calamine copies a shared string
  into every cell that uses it, so a short sheet can ask for gigabytes). A text costs what it
  takes in memory, not its characters. Each use costs its UTF-8 bytes (calamine's copy) plus
  ``USE_COST`` (calamine's string and the row's slot); the first use of a text in a sheet part
  also costs its characters times its widest character's width (Python stores a text with one
  emoji at 4 bytes a character), plus ``STRING_COST`` (the object) and ``INTERN_COST`` (its entry
  in the reader's index): the reader keeps each distinct text of a sheet once
  (``sheetread.sheet_rows``). Inline texts are told apart by their XML text, shared strings by
  their index (so equal texts written differently count as distinct: never less than is held);
- anything in the XML stream a parser would hold at once: more than ``MAX_SEGMENT`` bytes
  between two ``<`` (one tag with all its attributes, names and values, or one text node) is
  refused from the bytes, before expat sees them; more than ``MAX_ATTRIBUTES`` attributes
  (namespace declarations included) on one element, and more than ``MAX_NAMES`` distinct element
  and attribute names in a part (expat keeps each name for the whole part); a part in UTF-16 or
  UTF-32 (no spreadsheet program writes one, and the byte scan would not see its tags);
- a sharedStrings ``uniqueCount`` above the number of strings the part holds, or a ``count``
  above what all worksheet parts' bytes could reference.

Cell positions follow calamine's own rule: a cell's ``r`` when it has one, otherwise the column
after the previous cell in the row of the last ``<row r>`` (counting on at each ``</row>``).
Elements are matched by local name in any namespace, as calamine does. A reference that is not
a plain cell reference within Excel's grid (``A0``, ``-5``, ``123``, ``XFE1``) refuses the file.
A cell counts for the grid once it holds anything (calamine skips empty ``<c/>``).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from ..core.types import format_number, is_digits
from . import ooxml
from .limits import MAX_ROWS, CheckedFile, WorkbookRefused, member_chunks, read_member

HEADER_SEARCH_ROWS = 30
MAX_GRID_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
MAX_COLUMNS = 256
MAX_GRID_CELLS = 2_000_000
MAX_WORKBOOK_CELLS = 4_000_000
MAX_SHEETS = 100
MAX_ELEMENTS = 6_000_000
MAX_TREE_ELEMENTS = 200_000
MAX_DEPTH = 100
MAX_TEXT = 125_000_000
STRING_COST = 128
INTERN_COST = 64
USE_COST = 32
MAX_SEGMENT = 1 << 20
MAX_ATTRIBUTES = 256
MAX_NAMES = 10_000
EXCEL_ROWS = ooxml.EXCEL_ROWS
EXCEL_COLUMNS = ooxml.EXCEL_COLUMNS
_CHUNK = 1 << 20
cell_ref = ooxml.cell_ref
_ROW = re.compile(r"[1-9][0-9]{0,6}")
_TREE_PARTS = (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS, ooxml.STYLES)
_XML_SUFFIXES = (".xml", ".rels")


class _Refused(Exception):
    """Raised inside an expat handler; carries the German reason."""


class _Segments:
    """The byte scan in front of expat: no run of more than ``MAX_SEGMENT`` bytes without a ``<``
    (``<`` cannot occur inside a tag or escaped text, so this bounds every tag, attribute list,
    name, value and text node a parser would build in one piece), and no UTF-16/32 part."""

    def __init__(self, member: str) -> None:
        self.member = member
        self.tail = b""
        self.first = True

    def feed(self, chunk: bytes) -> None:
        if self.first and chunk:
            self.first = False
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:4]:
                raise _Refused(f"der Teil „{self.member}“ ist nicht in UTF-8 gespeichert (UTF-16 oder UTF-32); "
                               "die Arbeitsmappe wird nicht gelesen")
        pieces = (self.tail + chunk).split(b"<")
        self.tail = pieces.pop()
        if len(self.tail) > MAX_SEGMENT or max(map(len, pieces), default=0) > MAX_SEGMENT:
            raise _Refused(f"der Teil „{self.member}“ enthält ein XML-Element oder einen Text von mehr als "
                           f"{_n(MAX_SEGMENT)} Byte am Stück; die Arbeitsmappe wird nicht gelesen")

    def scan(self, data: bytes) -> None:
        for start in range(0, len(data), _CHUNK):
            self.feed(data[start:start + _CHUNK])


class _TextCost:
    """What one text costs in memory, fed in pieces: UTF-8 bytes plus characters × widest width."""

    __slots__ = ("chars", "key", "utf8", "width")

    def __init__(self) -> None:
        self.chars = self.utf8 = self.key = 0
        self.width = 1

    def add(self, data: str) -> None:
        self.key = hash((self.key, data))  # equal texts fed in other pieces count as distinct
        self.chars += len(data)
        if data.isascii():
            self.utf8 += len(data)
            return
        self.utf8 += len(data.encode("utf-8", "surrogatepass"))
        top = ord(max(data))
        self.width = max(self.width, 4 if top > 0xFFFF else 2 if top > 0xFF else 1)

    def cost(self) -> int:
        return self.utf8 + self.chars * self.width


def _again(first: int) -> int:
    """A shared string's cost on a repeated use, from its first-use cost in the strings array
    (UTF-8 bytes + characters × width + ``STRING_COST``): the UTF-8 bytes are at most 4/5 of the
    rest, as each character takes at most 4 of them and at least 1 in width."""
    return (first - STRING_COST) * 4 // 5 + USE_COST


def _shared_cost(index: int, strings: array, seen: bytearray) -> int:
    """What one use of shared string ``index`` costs in a sheet part where ``seen`` marks the
    indices used before."""
    if seen[index]:
        return _again(strings[index])
    seen[index] = 1
    return strings[index] + INTERN_COST + USE_COST


@dataclass
class Budget:
    """What the scan found: grid size per sheet part (rows, columns), and the totals."""

    grids: dict[str, tuple[int, int]] = field(default_factory=dict)
    elements: int = 0
    text_chars: int = 0


def _n(value: int) -> str:
    return format_number(value)


class _Part:
    """One part streamed through expat: elements, depth, no DTD; subclasses look at content."""

    def __init__(self, checked: CheckedFile, member: str, budget: Budget, tree: bool = False) -> None:
        self.checked, self.member, self.budget, self.tree = checked, member, budget, tree
        self.depth = 0
        self.elements = 0
        self.root = ""
        self.parser = xml.parsers.expat.ParserCreate(intern=None)
        self.names: set[str] = set()
        self.segments = _Segments(member)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype

    def _doctype(self, *_args: object) -> None:
        raise _Refused("die Arbeitsmappe enthält eine XML-Dokumenttypdefinition (DTD); "
                       "solche Dateien werden aus Sicherheitsgründen nicht gelesen")

    def count(self, name: str, attrs: dict[str, str]) -> None:
        self.names_of(name, attrs)
        self.elements += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"der Teil „{self.member}“ ist tiefer als {MAX_DEPTH} Ebenen verschachtelt; "
                           "die Arbeitsmappe wird nicht gelesen")
        if self.budget.elements + self.elements > MAX_ELEMENTS:
            raise _Refused(f"die Arbeitsmappe hat mehr als {_n(MAX_ELEMENTS)} XML-Elemente; sie wird nicht gelesen")
        if self.tree and self.elements > MAX_TREE_ELEMENTS:
            raise _Refused(f"der Teil „{self.member}“ hat mehr als {_n(MAX_TREE_ELEMENTS)} XML-Elemente; "
                           "die Arbeitsmappe wird nicht gelesen")

    def names_of(self, name: str, attrs: dict[str, str]) -> None:
        """At most ``MAX_ATTRIBUTES`` attributes here, ``MAX_NAMES`` distinct names in the part."""
        if len(attrs) > MAX_ATTRIBUTES:
            raise _Refused(f"ein Element im Teil „{self.member}“ hat {_n(len(attrs))} Attribute; erlaubt sind "
                           f"höchstens {_n(MAX_ATTRIBUTES)}; die Arbeitsmappe wird nicht gelesen")
        names = self.names
        if name not in names or not names.issuperset(attrs):
            names.add(name)
            names.update(attrs)
            if len(names) > MAX_NAMES:
                raise _Refused(f"der Teil „{self.member}“ verwendet mehr als {_n(MAX_NAMES)} verschiedene "
                               "Element- und Attributnamen; die Arbeitsmappe wird nicht gelesen")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count(name, attrs)
        if not self.root:
            self.root = ooxml.local(name)

    def end(self, name: str) -> None:
        self.depth -= 1

    def run(self) -> None:
        limit = self.checked.members[self.member]
        seen = 0
        try:
            with self.checked.zip() as zf, zf.open(self.member) as fh:
                while chunk := fh.read(_CHUNK):
                    seen += len(chunk)
                    if seen > limit:
                        raise WorkbookRefused(self.checked.name,
                                              "die Arbeitsmappe ist beschädigt (Größenangaben stimmen nicht)")
                    self.segments.feed(chunk)
                    self.parser.Parse(chunk, False)
                self.parser.Parse(b"", True)
        except _Refused as exc:
            raise WorkbookRefused(self.checked.name, str(exc)) from None
        except ooxml.XML_ERRORS as exc:
            raise ooxml.part_refused(self.checked, self.member, _position(exc, self.parser)) from None
        self.budget.elements += self.elements


def _position(exc: BaseException, parser: xml.parsers.expat.XMLParserType) -> BaseException:
    if not getattr(exc, "lineno", None):
        # mypy is told to ignore the next line: the position goes where SyntaxError keeps it, for one message format
        exc.lineno, exc.offset = parser.ErrorLineNumber, parser.ErrorColumnNumber  # type: ignore[attr-defined]
    return exc


class _SharedStrings(_Part):
    """Any part other than a sheet: the text length of each outermost ``<si>`` (calamine may read
    strings from it) and, when its root is ``sst``, the counts it claims."""

    def __init__(self, checked: CheckedFile, member: str, budget: Budget, tree: bool = False) -> None:
        super().__init__(checked, member, budget, tree)
        self.lengths = array("I")
        self.current: _TextCost | None = None
        self.si_depth = 0
        self.claims: dict[str, str] = {}
        self.parser.CharacterDataHandler = self.text

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count(name, attrs)
        local = ooxml.local(name)
        if not self.root:
            self.root = local
            self.claims = {k: v for k, v in attrs.items() if k in ("count", "uniqueCount")}
        if local == "si" and self.current is None:
            self.current = _TextCost()
            self.si_depth = self.depth

    def end(self, name: str) -> None:
        if self.current is not None and self.depth == self.si_depth:
            self.lengths.append(min(self.current.cost() + STRING_COST, MAX_TEXT + 1))
            self.current = None
        self.depth -= 1

    def text(self, data: str) -> None:
        if self.current is not None:
            self.current.add(data)


class _Sheet(_Part):
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
        self.cell_text = _TextCost()
        self.dimension: str | None = None
        self.seen_shared = bytearray(len(strings))
        self.seen_texts: set[int] = set()

    def _bad(self, what: str, value: str) -> _Refused:
        return _Refused(f"der Teil „{self.member}“ (Blatt „{self.sheet}“) enthält {what} „{value[:40]}“; "
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
                found = cell_ref(r)
                if found is None:
                    raise self._bad("den ungültigen Zellbezug", r)
                pos = found
            self.col_index = pos[1] + 1
            self.pending = pos
            kind = attrs.get("t")
            self.shared = kind == "s"
            self.textual = kind in ("str", "inlineStr", "e")
            self.cell_text = _TextCost()
            self.parser.CharacterDataHandler = self.cell_text.add
        elif local == "row":
            r = attrs.get("r")
            if r is not None:
                if not _ROW.fullmatch(r) or int(r) > EXCEL_ROWS:
                    raise self._bad("die ungültige Zeilennummer", r)
                self.row_index = int(r) - 1
        elif local == "is":
            self.textual = True
        elif local == "v" and self.shared:
            self.value = []
            self.in_value = True
            self.parser.CharacterDataHandler = self._value
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
                raise self._too_much_text()

    def _value(self, data: str) -> None:
        self.value.append(data)
        if len(self.value) > 64 or len(data) > 64:
            raise self._bad("den ungültigen Verweis auf einen gemeinsamen Text", data)

    def _too_much_text(self) -> _Refused:
        return _Refused(f"die Texte in den Zellen der Arbeitsmappe brauchen zusammen mehr als {_n(MAX_TEXT // 1_000_000)} MB "
                        "Arbeitsspeicher; sie wird nicht gelesen")

    def _text_chars(self, text: str) -> None:
        if not is_digits(text) or int(text) >= len(self.strings):
            raise _Refused(f"der Teil „{self.member}“ (Blatt „{self.sheet}“) verweist auf den gemeinsamen Text "
                           f"Nr. „{text[:20]}“, den es nicht gibt; die Arbeitsmappe wird nicht gelesen")
        self.text_chars += _shared_cost(int(text), self.strings, self.seen_shared)
        if self.budget.text_chars + self.text_chars > MAX_TEXT:
            raise self._too_much_text()

    def _range(self, ref: str, local: str) -> None:
        """A ``<dimension>``, merged range or shared formula's range must lie within the limits too
        (calamine and openpyxl allocate from them)."""
        parts = ref.split(":")
        corners = [cell_ref(p) for p in parts]
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
            raise _Refused(f"das Blatt „{self.sheet}“ hat mehr als {_n(MAX_ROWS)} Zeilen ({where}); "
                           f"erlaubt sind höchstens {_n(MAX_ROWS)}")
        if cols > MAX_COLUMNS:
            raise _Refused(f"das Blatt „{self.sheet}“ hat mehr als {_n(MAX_COLUMNS)} Spalten ({where}); "
                           f"erlaubt sind höchstens {_n(MAX_COLUMNS)}")
        if rows * cols > MAX_GRID_CELLS:
            raise _Refused(f"das Blatt „{self.sheet}“ hat {_n(rows)} Zeilen × {_n(cols)} Spalten = "
                           f"{_n(rows * cols)} Zellen ({where}); erlaubt sind höchstens {_n(MAX_GRID_CELLS)} Zellen")

    def run(self) -> None:
        super().run()
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


def _plain_sheet(checked: CheckedFile, member: str, budget: Budget, strings: array) -> tuple[int, int] | None:
    """The grid of a sheet written the way spreadsheet programs write it, found by byte searches.

    Taken only when it is certain: the part is well-formed XML (expat, no DTD); no cell, row or
    value element has a prefix; every ``<c`` tag (counted with every delimiter) starts with a plain
    ``r="B7"``; every ``t="s"`` in the part belongs to a plain shared-string cell; inline text is
    in plain ``<is>`` elements (its bytes are counted, at least its characters); every ``<v>`` holds
    a number. Everything within the
    limits is then known from the references themselves. Otherwise (or when a limit is reached,
    for the exact message) the part is streamed cell by cell by ``_Sheet``. Returns the grid or None.
    """
    data = _well_formed(checked, member)
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
            values = _FAST_SHARED.findall(chunk)
            shared += len(values)
            for value in values:
                text += _shared_cost(int(value), strings, seen_shared)
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
_CHUNK_BYTES = 1 << 20


def _column(letters: bytes) -> int:
    found = ooxml.cell_ref(letters.decode("ascii") + "1")
    return found[1] if found else EXCEL_COLUMNS


def _chunks(data: bytes) -> Iterator[bytes]:
    """About 1 MB at a time, cut before a ``<row`` so that no cell is split (a cut elsewhere only
    makes the counts disagree, and the part is then streamed)."""
    start = 0
    while start < len(data):
        cut = data.find(b"<row", start + _CHUNK_BYTES)
        end = len(data) if cut < 0 else cut
        yield data[start:end]
        start = end


_RANGE_ATTRIBUTE = re.compile(rb"""\sref\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _range_attributes(data: bytes) -> bool:
    """True when any ``ref`` attribute (a ``dimension``, merged or formula range among them) may be
    beyond the limits or is not plain."""
    if data.count(b"ref") > 10_000:
        return True
    for double, single in _RANGE_ATTRIBUTE.findall(data):
        corners = [ooxml.cell_ref(p) for p in (double or single).decode("ascii", "replace").split(":")]
        if not 1 <= len(corners) <= 2 or any(c is None for c in corners):
            return True
        row = max(c[0] for c in corners if c) + 1
        col = max(c[1] for c in corners if c) + 1
        if row > MAX_GRID_ROWS or col > MAX_COLUMNS or row * col > MAX_GRID_CELLS:
            return True
    return False


def _well_formed(checked: CheckedFile, member: str) -> bytes:
    """The part's bytes once expat (no handlers but the DTD guard) has found it well-formed."""
    data = read_member(checked, member)
    part = _Part(checked, member, Budget())
    part.parser.StartElementHandler = part.names_of  # attributes and names: what expat holds
    part.parser.EndElementHandler = None
    try:
        part.segments.scan(data)
        part.parser.Parse(data, True)
    except _Refused as exc:
        raise WorkbookRefused(checked.name, str(exc)) from None
    except ooxml.XML_ERRORS as exc:
        raise ooxml.part_refused(checked, member, _position(exc, part.parser)) from None
    return data


def check_budget(checked: CheckedFile) -> Budget:
    """Stream every XML part; refuse the file (``WorkbookRefused``) when it is beyond the budget."""
    budget = Budget()
    for member in (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS):
        if member in checked.members:
            _Part(checked, member, budget, tree=True).run()
    sheets = ooxml.sheets(checked)
    if len(sheets) > MAX_SHEETS:
        raise WorkbookRefused(checked.name, f"die Arbeitsmappe hat {_n(len(sheets))} Blätter; "
                                            f"erlaubt sind höchstens {_n(MAX_SHEETS)}")
    sheet_parts = {s.member for s in sheets}
    _count_elements(checked, budget, sheet_parts)
    strings = array("I")
    sheet_bytes = sum(checked.members[m] for m in sheet_parts)
    for member in sorted(checked.members):
        if member in sheet_parts or member in (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS):
            continue
        if not member.lower().endswith(_XML_SUFFIXES):
            continue
        part = _SharedStrings(checked, member, budget, tree=member in _TREE_PARTS)
        part.run()
        if part.root == "sst":
            _check_counts(checked, member, part, sheet_bytes)
        if part.lengths:
            if not strings:
                strings = part.lengths
            else:  # more than one part with strings: the longest at each index counts
                longer = part.lengths if len(part.lengths) > len(strings) else strings
                strings = (array("I", map(max, zip(strings, part.lengths, strict=False)))
                           + longer[min(len(strings), len(part.lengths)):])
    total = 0
    try:
        for sheet in sheets:
            grid = _plain_sheet(checked, sheet.member, budget, strings)
            if grid is None:
                scan = _Sheet(checked, sheet.member, budget, sheet.name, strings)
                scan.run()
                grid = (scan.max_row + 1, scan.max_col + 1)
            budget.grids[sheet.member] = grid
            total += grid[0] * grid[1]
            if total > MAX_WORKBOOK_CELLS:
                raise _Refused(f"die Blätter der Arbeitsmappe haben zusammen mehr als {_n(MAX_WORKBOOK_CELLS)} "
                               "Zellen; sie wird nicht gelesen")
    except _Refused as exc:
        raise WorkbookRefused(checked.name, str(exc)) from None
    return budget


def exact_elements(data: bytes) -> int | None:
    """The number of elements in a well-formed part, from its bytes, when that is certain: without
    comments and CDATA sections every ``<`` starts a tag, a declaration or an instruction."""
    if b"<!" in data:
        return None
    return data.count(b"<") - data.count(b"</") - data.count(b"<?")


def _streamed_elements(checked: CheckedFile, member: str) -> int | None:
    """``exact_elements`` of a part, read in pieces (a piece's last byte goes with the next one,
    so that no two-byte mark is split)."""
    total = 0
    carry = b""
    for chunk in member_chunks(checked, member):
        data = carry + chunk
        if b"<!" in data:
            return None
        total += data.count(b"<") - data.count(b"</") - data.count(b"<?")
        carry = data[-1:]
        if carry == b"<":
            total -= 1  # counted again with the next piece
        else:
            carry = b""
    return total


def _count_elements(checked: CheckedFile, budget: Budget, members: set[str]) -> None:
    """Refuse in a second, before any sheet is streamed, when the sheets' elements alone are too
    many (streaming millions of cells to find that out would take half a minute)."""
    total = budget.elements
    for member in sorted(members):
        if member in checked.members:
            total += _streamed_elements(checked, member) or 0
    if total > MAX_ELEMENTS:
        raise WorkbookRefused(checked.name, f"die Arbeitsmappe hat mehr als {_n(MAX_ELEMENTS)} XML-Elemente; sie wird nicht gelesen")


def _check_counts(checked: CheckedFile, member: str, part: _SharedStrings, sheet_bytes: int) -> None:
    """A count cannot exceed what the bytes can hold: ``uniqueCount`` the strings in the part,
    ``count`` the string cells that all worksheet parts could hold (each needs at least 10 bytes)."""
    held = {"uniqueCount": f"er enthält nur {_n(len(part.lengths))} Texte",
            "count": f"die Blätter können höchstens {_n(sheet_bytes // 10)} Texte verwenden"}
    for key, most in (("uniqueCount", len(part.lengths)), ("count", sheet_bytes // 10)):
        claim = part.claims.get(key)
        if claim is not None and (not is_digits(claim) or int(claim) > most):
            raise WorkbookRefused(checked.name, f"der Teil „{member}“ gibt {key}=„{claim[:20]}“ an, aber {held[key]}; "
                                                "die Arbeitsmappe wird nicht gelesen")
