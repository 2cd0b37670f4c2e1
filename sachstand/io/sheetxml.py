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

import io
import posixpath
import re
from dataclasses import dataclass, field

from defusedxml.ElementTree import fromstring, iterparse

from .limits import CheckedFile, read_member

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PERCENT_BUILTIN = {9, 10}
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


@dataclass
class SheetFacts:
    """Cells by 0-based (row, column)."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sheet_members(checked: CheckedFile) -> dict[str, str]:
    """Sheet name → zip member of its XML."""
    wb = fromstring(read_member(checked, "xl/workbook.xml"))
    rels_name = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    if rels_name in checked.members:
        for rel in fromstring(read_member(checked, rels_name)):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = path
    out = {}
    for el in wb.iter():
        if _local(el.tag) == "sheet":
            rid = el.get(f"{{{_NS_REL}}}id", "")
            if rid in targets and targets[rid] in checked.members:
                out[el.get("name", "")] = targets[rid]
    return out


def percent_styles(checked: CheckedFile) -> set[int]:
    """Indices of cell formats (``cellXfs``) whose number format scales by 100."""
    if "xl/styles.xml" not in checked.members:
        return set()
    root = fromstring(read_member(checked, "xl/styles.xml"))
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


def _cell(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def scan(checked: CheckedFile, member: str, percent_ids: set[int]) -> SheetFacts:
    facts = SheetFacts()
    data = read_member(checked, member)
    style_hit = bool(percent_ids) and re.search(
        rb'\ss="(?:' + b"|".join(str(i).encode() for i in sorted(percent_ids)) + rb')"', data
    )
    if not (style_hit or _HAS_FORMULA.search(data) or b't="e"' in data):
        return facts
    row_index, col_index = -1, -1
    for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r", "")
                row_index = int(r) - 1 if r.isdigit() else row_index + 1
                col_index = -1
            continue
        if tag != "c":
            if tag == "row":
                el.clear()
            continue
        pos = _cell(el.get("r", "")) or (row_index, col_index + 1)
        col_index = pos[1]
        style = el.get("s")
        if style is not None and style.isdigit() and int(style) in percent_ids:
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
    return facts
