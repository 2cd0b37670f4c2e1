"""What python-calamine does not tell: formulas, error cells and percent-formatted cells.

calamine returns a formula's cached value, but ``""`` both for an empty cell and for a formula
with no cached value, and ``""`` for error cells such as ``#N/A``; it does not say whether a cell
is formatted as a percentage. These facts are read from the sheet XML here, with the standard
library's parser behind defusedxml.

Rule for speed: the sheet XML is searched as bytes first; only when it holds a formula, an error
cell or a cell with a percent style is it parsed, so a clean workbook (the usual case, and every
workbook sachstand writes) costs one byte search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from defusedxml.ElementTree import iterparse

from ..core.types import is_digits
from . import ooxml
from .limits import CheckedFile, read_member

_PERCENT_BUILTIN = {9, 10}
_HAS_FORMULA = re.compile(rb"<(?:[^\s<>/:=\"']+:)?f[\s>/]")
_HAS_ERROR = re.compile(rb"""\st\s*=\s*["']e["']""")


def _has_formula(data: bytes) -> bool:
    """``_HAS_FORMULA`` after the plain search: a match holds ``<f`` or ``:f``."""
    return may_hold_formula(data) and _HAS_FORMULA.search(data) is not None


RARE_F = 2048
"""How many ``f`` bytes ``may_hold_formula`` looks at one by one before it searches for pairs."""


def may_hold_formula(data: bytes, start: int = 0, end: int | None = None, plain: bool = False) -> bool:
    """Whether ``data[start:end]`` holds ``<f`` or ``:f`` (with ``plain``: ``<f>``, the only
    formula of the budget's plain grammar), as ``bytes.find`` would tell. A two-byte search stops
    at every ``<`` (about 1 ns a byte: 13 ms for a 12 MB sheet); ``f`` is rare in a sheet whose
    texts are shared strings, and a one-byte search skips to it at memory speed, so each ``f``
    is looked at on its own; past ``RARE_F`` of them, the pair searches take over."""
    stop = len(data) if end is None else end
    at = data.find(b"f", start + 1, stop)
    for _ in range(RARE_F):
        if at < 0:
            return False
        before = data[at - 1]
        if (before == 0x3C and (not plain or (at + 1 < stop and data[at + 1] == 0x3E))) or (before == 0x3A and not plain):
            return True
        at = data.find(b"f", at + 1, stop)
    if plain:
        return data.find(b"<f>", start, stop) >= 0
    return data.find(b"<f", start, stop) >= 0 or data.find(b":f", start, stop) >= 0


def _has_error(data: bytes) -> bool:
    """``_HAS_ERROR`` after two plain searches: a match holds ``"e`` or ``'e``."""
    return (data.find(b'"e') >= 0 or data.find(b"'e") >= 0) and _HAS_ERROR.search(data) is not None


@dataclass
class SheetFacts:
    """Cells by 0-based (row, column)."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


_local = ooxml.local


def sheet_members(checked: CheckedFile) -> dict[str, str]:
    """Sheet name → zip member of its XML (both OOXML families; see ``ooxml.sheets``)."""
    return {s.name: s.member for s in ooxml.sheets(checked)}


def percent_styles(checked: CheckedFile) -> set[int]:
    """Indices of cell formats (``cellXfs``) whose number format scales by 100."""
    if ooxml.STYLES not in checked.members:
        return set()
    root = ooxml.parse_part(checked, ooxml.STYLES)
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "numFmt":
            custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
        elif tag == "cellXfs":
            xfs = [int(x.get("numFmtId", "0")) for x in el if _local(x.tag) == "xf"]
    return {
        i for i, fmt in enumerate(xfs)
        if fmt in _PERCENT_BUILTIN or (fmt in custom and is_percent_format(custom[fmt]))
    }


def is_percent_format(code: str) -> bool:
    """True when a number format has a ``%`` outside quotes and not escaped (it scales by 100)."""
    section = code.split(";", 1)[0]
    in_quotes = False
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in "\\_*":
            i += 2
            continue
        elif not in_quotes and ch == "[":
            i = section.find("]", i) + 1 or len(section)
            continue
        elif ch == "%" and not in_quotes:
            return True
        i += 1
    return False


class _Reader:
    """A file over the part's buffer that hands out pieces (``io.BytesIO`` would copy it whole)."""

    def __init__(self, data: bytes) -> None:
        self.view = memoryview(data)
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.view) if size < 0 else self.pos + size
        piece = bytes(self.view[self.pos:end])
        self.pos += len(piece)
        return piece


def needs_scan(data: bytes, percent_ids: set[int], plain: tuple[int, int] | None = None) -> bool:
    """Whether ``scan`` could find anything in this sheet part: the byte searches that tell a
    clean sheet (no formula, error cell or percent-styled cell) by its bytes. ``plain``: a region
    that holds only cells of the budget's plain grammar (``plainparts``), which has no error
    cell and no prefixed names, so that only ``<f>`` is looked for inside it, the rest around it."""
    style_hit = bool(percent_ids) and re.search(
        rb"""\ss\s*=\s*["'](?:""" + b"|".join(str(i).encode() for i in sorted(percent_ids)) + rb""")["']""", data
    )
    if style_hit:
        return True
    if plain is None:
        return _has_formula(data) or _has_error(data)
    head, tail = data[:plain[0]], data[plain[1]:]
    # the grammar's only formula is <f> (no prefixed names), and it has no error cell
    return (may_hold_formula(data, *plain, plain=True) or _has_formula(head) or _has_formula(tail)
            or _has_error(head) or _has_error(tail))


def scan(checked: CheckedFile, member: str, percent_ids: set[int]) -> SheetFacts:
    """Formulas, error cells and percent-styled cells of one sheet, placed as calamine places them."""
    facts = SheetFacts()
    data = read_member(checked, member)
    if not needs_scan(data, percent_ids):
        return facts
    row_index, col_index = 0, 0
    try:
        for event, el in iterparse(_Reader(data), events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row" and (r := el.get("r")) is not None and is_digits(r):
                    row_index = int(r) - 1
                continue
            if tag == "row":
                row_index, col_index = row_index + 1, 0
                el.clear()
                continue
            if tag != "c":
                continue
            pos = ooxml.cell_ref(el.get("r", "")) or (row_index, col_index)
            col_index = pos[1] + 1
            style = el.get("s")
            if style is not None and is_digits(style) and int(style) in percent_ids:
                facts.percent.add(pos)
            value = None
            for child in el:
                name = _local(child.tag)
                if name == "f":
                    facts.formulas[pos] = (child.text or "", False)
                elif name == "v":
                    value = child.text
            if pos in facts.formulas:
                facts.formulas[pos] = (facts.formulas[pos][0], value not in (None, ""))
            if el.get("t") == "e":
                facts.errors[pos] = value or "#FEHLER"
    except ooxml.XML_ERRORS as exc:
        raise ooxml.part_refused(checked, member, exc) from None
    return facts
