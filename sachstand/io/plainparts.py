"""The budget's fast path (``budget``): the large parts of a workbook, measured by one
regular-expression match each instead of an XML parser's call per element.

A worksheet's ``<sheetData>`` and a sharedStrings part's ``<si>`` list hold almost all of a
workbook's bytes. When such a region matches the grammar below in full (``fullmatch``, every byte
accounted for), it is certain that:
- it is well-formed element content: tags balanced, attribute values and text escaped (only
  ``&amp;``, ``&lt;``, ``&gt;``, ``&quot;``, ``&apos;``), only characters XML allows, valid UTF-8,
  no ``]]>``, no comment, CDATA section, processing instruction or DTD;
- it uses only the grammar's names (``VOCABULARY``), at most 13 attributes an element, 4 levels;
- in a sheet, every cell is plain: ``r`` comes first and its row is the row's ``r``, its column is
  at most the last column of the sheet's ``<dimension>``; values are numbers or shared-string
  indices, inline text is one plain ``<t>``; no formula range; formula text costs as inline text
  does (the reader holds each formula);
- in sharedStrings, every string is one plain ``<t>`` in an outermost ``<si>`` of the root ``sst``.

The rest of the part (before and after the region, a few KB) is parsed exactly, as a document
with the region left out (``outline``), by the exact paths' own scans (``SheetScan``,
``SharedStrings``): names, attributes, depth, DTD, ranges, claimed counts. With the region valid
content, the whole part is well-formed exactly when that document is. Every figure found here is
at least what the exact path finds (grid, text cost), so a part is taken here only when it is
certainly within the limits: anything else (another shape, a problem, a part near a limit)
returns None, and the exact path streams it and names the first problem.
"""

from __future__ import annotations

import functools
import operator
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress, repeat

from . import ooxml
from .limits import CheckedFile
from .sheetgrid import MAX_COLUMNS, MAX_GRID_CELLS, MAX_GRID_ROWS, SheetScan
from .sheetxml import may_hold_formula
from .textcost import INTERN_COST, MAX_TEXT, STRING_COST, USE_COST, SharedStrings, again
from .xmlscan import MAX_DEPTH, MAX_ELEMENTS, MAX_NAMES, Budget, Refused, Segments

VOCABULARY = ("row", "r", "spans", "s", "customFormat", "ht", "hidden", "customHeight", "outlineLevel", "collapsed",
              "thickTop", "thickBot", "ph", "x14ac:dyDescent", "c", "t", "f", "v", "is", "xml:space", "si")
LEVELS = 4  # row, c, is, t under sheetData; si, t under sst

_WS = rb"[ \t\r\n]*+"
_TEXT = rb"(?:[^<&\]\x00-\x08\x0b\x0c\x0e-\x1f]++|&(?:amp|lt|gt|quot|apos);|\](?!\]>))*+"
_VALUE = rb'"[^"<&\x00-\x08\x0b\x0c\x0e-\x1f]*+"'
_NUMBER = rb"[0-9.Ee+-]{1,40}+"
_ROW_ATTRIBUTES = b"".join(b"(?: %s=%s)?+" % (name.encode(), _VALUE) for name in VOCABULARY[2:14])
_T = rb'<t(?: xml:space="preserve")?+>'


def _cell(columns: bytes) -> bytes:
    """A plain cell in column ``columns`` of the row captured as group 1; the common shapes (a
    number, a shared string) first."""
    return (rb'<c r="' + columns + rb'\1"(?: s="[0-9]{1,9}+")?+'
            rb"(?:><v>" + _NUMBER + rb"</v></c>"
            rb'| t="s"><v>[0-9]{1,10}+</v></c>'
            rb'|(?: t="[nb]")?+(?:/>|>(?:<f>' + _TEXT + rb"</f>)?+(?:<v>" + _NUMBER + rb"</v>)?+</c>)"
            rb'| t="s"/>| t="inlineStr"(?:/>|><is>' + _T + _TEXT + rb"</t></is></c>))")


@functools.lru_cache(maxsize=16)
def _sheet_grammar(rows: int, columns: bytes) -> re.Pattern[bytes]:
    """Rows numbered at most ``rows``, cells in the columns ``columns`` matches."""
    row = (rb'<row r="(' + _up_to(rows) + rb')"' + _ROW_ATTRIBUTES + rb"(?:/>|>" + _WS + rb"(?:" + _cell(columns) + _WS
           + rb")*+</row>)")
    return re.compile(_WS + rb"(?:" + row + _WS + rb")*+")


_STRINGS = re.compile(_WS + rb"(?:<si>" + _T + _TEXT + rb"</t></si>" + _WS + rb")*+")
_STRING = re.compile(rb"<si>" + _T + rb"([^<]*+)</t></si>")
_SHARED_USE = re.compile(rb' t="s"><v>([0-9]{1,10})</v>')
_INLINE = re.compile(rb' t="inlineStr"><is>' + _T + rb"([^<]*+)</t>")
_FORMULA_TEXT = re.compile(rb"<f>([^<]*+)</f>")
_DECLARATION = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^<>]*?\?>""")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_DIMENSION = re.compile(rb'<dimension ref="(?:[A-Z]{1,3}[1-9][0-9]{0,6}:)?([A-Z]{1,3})([1-9][0-9]{0,6})"')


@dataclass
class Split:
    """A part cut around its one large region: ``outline`` is the part without it."""

    data: bytes
    start: int
    end: int
    outline: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.outline = bytes(self.data[:self.start]) + bytes(self.data[self.end:])


def _split(data: bytes, opening: bytes, closing: bytes) -> Split | None:
    """The region between the first ``opening`` and the last ``closing``, when the rest has no
    comment, CDATA section, DTD or processing instruction (so that both are real tags) other than
    a UTF-8 XML declaration at the very start."""
    start = data.find(opening)
    end = data.rfind(closing)
    if start < 0 or end < start + len(opening):
        return None
    start += len(opening)
    head, tail = data[:start], data[end:]
    declaration = _DECLARATION.match(head)
    skip = declaration.end() if declaration else 0
    if declaration and (found := _ENCODING.search(declaration.group())) and found.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    if head.find(b"<!") >= 0 or head.find(b"<?", skip) >= 0 or b"<!" in tail or b"<?" in tail:
        return None
    return Split(data, start, end)


def _valid_text(data: bytes, start: int, end: int) -> bool:
    """Bytes above 127 in the region: valid UTF-8, and no character XML forbids."""
    if data.isascii():
        return True
    try:
        text = str(memoryview(data)[start:end], "utf-8")
    except UnicodeDecodeError:
        return False
    return "\ufffe" not in text and "\uffff" not in text


def _short_segments(member: str, data: bytes) -> bool:
    """``xmlscan.Segments``: no tag or text longer than ``MAX_SEGMENT`` bytes, not UTF-16/32."""
    try:
        Segments(member).scan(data)
    except Refused:
        return False
    return True


def _dimension(outline: bytes) -> tuple[int, int, bytes] | None:
    """The last row and column of the sheet's ``<dimension>`` (a count and a 0-based index) and a
    pattern for the letters of every column up to it; None without a plain one within the
    limits."""
    found = _DIMENSION.search(outline)
    if found is None:
        return None
    letters, row = found.group(1).decode("ascii"), int(found.group(2))
    ref = ooxml.cell_ref(f"{letters}{row}")
    if ref is None or ref[1] >= MAX_COLUMNS or row > MAX_GRID_ROWS:
        return None
    return row, ref[1], _columns_up_to(letters)


def _up_to(number: int) -> bytes:
    """A pattern for the whole numbers from 1 up to ``number``, written without leading zeros."""
    digits = str(number)
    options = [b"[1-9][0-9]{0,%d}" % (len(digits) - 2)] if len(digits) > 1 else []
    for i, digit in enumerate(map(int, digits)):
        low = 1 if i == 0 else 0
        if digit > low:
            options.append(digits[:i].encode() + b"[%d-%d]" % (low, digit - 1) + b"[0-9]" * (len(digits) - i - 1))
    options.append(digits.encode())
    return b"(?:" + b"|".join(options) + b")"


def _columns_up_to(letters: str) -> bytes:
    """A pattern for the column letters from A up to ``letters`` (one or two letters)."""
    if len(letters) == 1:
        return b"[A-%s]" % letters.encode()
    first, second = letters[0], letters[1]
    parts = [b"[A-Z]"]
    if first > "A":
        parts.append(b"[A-%s][A-Z]" % chr(ord(first) - 1).encode())
    parts.append(b"%s[A-%s]" % (first.encode(), second.encode()))
    return b"(?:" + b"|".join(parts) + b")"


class SharedCosts:
    """What one use of each shared string costs, first and repeated (``textcost.shared_cost``),
    for whole lists of uses at once."""

    def __init__(self, strings: array) -> None:
        self.count = len(strings)
        self.repeated = array("I", map(again, strings))
        self.first_extra = array("I", map(operator.sub, map((INTERN_COST + USE_COST).__add__, strings), self.repeated))

    def cost(self, indices: list[int], seen: set[int]) -> int | None:
        """Of these uses in one sheet part, where ``seen`` holds the indices used before (and is
        updated); None when one names no string."""
        if not indices:
            return 0
        if max(indices) >= self.count:
            return None
        first = set(indices).difference(seen)
        seen.update(first)
        return sum(map(self.repeated.__getitem__, indices)) + sum(map(self.first_extra.__getitem__, first))


def _pieces(data: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The region in pieces of about ``PIECE`` bytes, cut before a ``<row`` (so that no cell is
    split), to keep the lists of matches small whatever the part's size."""
    while start < end:
        cut = data.find(b"<row", start + PIECE, end)
        stop = end if cut < 0 else cut
        yield start, stop
        start = stop


PIECE = 1 << 20


def plain_sheet(checked: CheckedFile, member: str, budget: Budget, sheet: str, data: bytes,
                costs: SharedCosts) -> tuple[int, int] | None:
    """The grid of a sheet whose ``<sheetData>`` matches the grammar, when certainly within the
    limits (then its elements and text are added to ``budget``); otherwise None."""
    split = _split(data, b"<sheetData>", b"</sheetData>")
    if split is None or not _valid_text(data, split.start, split.end) or not _short_segments(member, data):
        return None
    dimension = _dimension(split.outline)
    if dimension is None or not _sheet_grammar(dimension[0], dimension[2]).fullmatch(data, split.start, split.end):
        return None
    scratch = Budget(elements=budget.elements, text_chars=budget.text_chars)
    outline = SheetScan(checked, member, scratch, sheet, array("I"))
    try:
        outline.parse(split.outline)
        outline.finish()
    except (Refused, *ooxml.XML_ERRORS):
        return None
    if len(outline.names) + len(VOCABULARY) > MAX_NAMES or outline.data_depth + LEVELS > MAX_DEPTH:
        return None
    elements = budget.counted.get(member)  # exact here: no comment or instruction but the declaration
    if elements is None:
        elements = outline.elements + data.count(b"<", split.start, split.end) - data.count(b"</", split.start, split.end)
    filled = data.find(b"<c ", split.start, split.end) >= 0
    rows = max(dimension[0] if filled else 0, outline.max_row + 1)
    cols = max(dimension[1] if filled else -1, outline.max_col) + 1
    if rows > MAX_GRID_ROWS or rows * cols > MAX_GRID_CELLS or budget.elements + elements > MAX_ELEMENTS:
        return None
    text = 0
    seen: set[int] = set()
    for a, b in _pieces(data, split.start, split.end):
        cost = costs.cost(list(map(int, _SHARED_USE.findall(data, a, b))), seen)
        if cost is None:
            return None
        text += cost
    if data.find(b' t="inlineStr"', split.start, split.end) >= 0:
        seen_texts: set[int] = set()
        for a, b in _pieces(data, split.start, split.end):
            text += _inline_cost(_INLINE.findall(data, a, b), seen_texts)
    if may_hold_formula(data, split.start, split.end, plain=True):  # the reader holds each formula's text
        for a, b in _pieces(data, split.start, split.end):
            text += _inline_cost(_FORMULA_TEXT.findall(data, a, b), set(), distinct=True)
    if budget.text_chars + text > MAX_TEXT:
        return None
    budget.elements += elements
    budget.text_chars += text
    budget.plain[member] = (split.start, split.end)
    return rows, cols


def _inline_cost(texts: list[bytes], seen: set[int], distinct: bool = False) -> int:
    """Inline texts by their XML bytes (at least their characters; equal texts written
    differently count as distinct, as in the streamed path): each use costs its bytes and
    ``USE_COST``; the first use of a text in the part (``seen`` holds the keys of the texts used
    before, and is updated) also its bytes once more (three times more beyond ASCII: the widest
    width a byte can stand for), ``STRING_COST`` and ``INTERN_COST``. With ``distinct`` (formula
    texts, which the reader holds one by one) every use is a first use."""
    if distinct:  # formulas: each one is held on its own
        wide = compress(texts, map(operator.not_, map(bytes.isascii, texts)))
        return 2 * sum(map(len, texts)) + 3 * sum(map(len, wide)) + (STRING_COST + INTERN_COST + USE_COST) * len(texts)
    by_key = dict(zip(map(hash, texts), texts, strict=True))
    keys = set(by_key).difference(seen)
    seen.update(keys)
    first = list(map(by_key.__getitem__, keys))
    wide = compress(first, map(operator.not_, map(bytes.isascii, first)))
    return (sum(map(len, texts)) + USE_COST * len(texts) + sum(map(len, first)) + 3 * sum(map(len, wide))
            + (STRING_COST + INTERN_COST) * len(first))


def plain_strings(checked: CheckedFile, member: str, budget: Budget, data: bytes) -> SharedStrings | None:
    """A sharedStrings part whose ``<si>`` list matches the grammar: the part's scan with its
    strings' costs (each at least what ``textcost.TextCost`` finds), its elements added to
    ``budget``; otherwise None."""
    start = data.find(b"<sst ")
    close = data.find(b">", start)
    split = _split(data, data[start:close + 1], b"</sst>") if 0 <= start < close else None
    if split is None or not _valid_text(data, split.start, split.end) or not _short_segments(member, data):
        return None
    if not _STRINGS.fullmatch(data, split.start, split.end):
        return None
    scratch = Budget(elements=budget.elements, text_chars=budget.text_chars)
    part = SharedStrings(checked, member, scratch)
    try:
        part.parse(split.outline)
    except (Refused, *ooxml.XML_ERRORS):
        return None
    if part.root != "sst" or part.elements != 1 or len(part.names) + len(VOCABULARY) > MAX_NAMES:
        return None
    texts = _STRING.findall(data, split.start, split.end)
    elements = part.elements + 2 * len(texts)
    if budget.elements + elements > MAX_ELEMENTS:
        return None
    part.lengths = _string_costs(texts, _ASTRAL.search(data, split.start, split.end) is not None)
    part.elements = elements
    budget.elements += elements
    return part


_WIDE = re.compile(rb"[\xc4-\xff]")  # a UTF-8 lead byte of a character beyond Latin-1
_ASTRAL = re.compile(rb"[\xf0-\xff]")  # … beyond the Basic Multilingual Plane


def _string_costs(texts: list[bytes], astral: bool) -> array:
    """``TextCost.cost() + STRING_COST`` of each string from its XML bytes (entities are longer
    than the ASCII character they stand for, so the bytes are at least the exact figure): UTF-8
    bytes + characters × width, the width 1, 2 or 4 as the widest character's UTF-8 lead byte
    says (``astral``: some string has a character beyond the Basic Multilingual Plane). A string
    is at most ``MAX_SEGMENT`` bytes, so the figure fits the array."""
    widths = map(operator.add, map(bool, map(_WIDE.search, texts)), repeat(1))
    if astral:
        widths = map(operator.add, widths, map(operator.mul, map(bool, map(_ASTRAL.search, texts)), repeat(2)))
    chars = map(len, map(bytes.decode, texts))
    return array("I", map(STRING_COST.__add__, map(operator.add, map(len, texts), map(operator.mul, chars, widths))))
