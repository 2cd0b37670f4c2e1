"""The workbook budget: what python-calamine will allocate, worked out before it sees the file.

calamine builds a sheet's whole used range as one dense grid, taken from the cell references,
and pre-allocates from counts the file claims; a Rust allocation failure aborts the process
(exit 134) where Python cannot catch it. So every XML part is streamed first (expat, in chunks;
nothing is built), and the file is refused with one German line when it would exceed a limit.
Each job keeps its rules with the code that enforces them:

- ``xmlscan``: the bytes and elements of every part (segment length, encoding, DTD, attributes,
  distinct names, nesting, ``MAX_ELEMENTS`` in all parts together);
- ``textcost``: what cell text costs in memory (``MAX_TEXT``), and sharedStrings' claimed counts;
- ``sheetgrid``: each sheet's grid (rows, columns, cells; dimension, merged and formula ranges).

Here: at most ``MAX_SHEETS`` sheets, and all sheets together at most ``MAX_WORKBOOK_CELLS`` grid
cells. The order is fixed, so that a file beyond several limits always gets the same message:
workbook and its relationships, the sheet count, the sheets' elements counted from their bytes,
every other part (strings among them), then the sheets one by one.

A sheet part's bytes are in hand here anyway: the byte searches that tell whether the reader has
to scan it for formulas, error cells and percentages (``sheetxml.needs_scan``) are made here, so
that a clean sheet is not unpacked again (``Budget.clean``); only for the sheets the reader most
likely reads (the first one, and „Projekte“ of sachstand's own workbooks), not for every sheet of
a register workbook. Any other sheet the reader reads is scanned as before.
"""

from __future__ import annotations

import re
from array import array

from ..core.types import format_number
from . import ooxml, plainparts, sheetgrid, sheetxml
from .limits import CheckedFile, WorkbookRefused, read_member
from .sheetgrid import SheetScan
from .sheetnames import PROJECTS
from .textcost import SharedStrings, check_counts
from .xmlscan import Budget, Part, Refused, count_elements

MAX_WORKBOOK_CELLS = 4_000_000
MAX_SHEETS = 100
MAX_FORMULAS = 100_000
"""Formulas in one sheet: the reader keeps each one's cell, text and cached value (about 400
bytes; 1,270,000 one-digit formulas held 485 MB and took 34 s). Their text is counted like
inline text, by the fast paths too (the reader holds each one)."""
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_TREE_PARTS = (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS, ooxml.STYLES)
_XML_SUFFIXES = (".xml", ".rels")
PLAIN_FROM = 64 * 1024  # smaller parts take the exact path at once


def check_budget(checked: CheckedFile) -> Budget:
    """Stream every XML part; refuse the file (``WorkbookRefused``) when it is beyond the budget."""
    budget = Budget()
    for member in (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS):
        if member in checked.members:
            Part(checked, member, budget, tree=True).run()
    sheets = ooxml.sheets(checked)
    if len(sheets) > MAX_SHEETS:
        raise WorkbookRefused(checked.name, f"die Arbeitsmappe hat {format_number(len(sheets))} Blätter; "
                                            f"erlaubt sind höchstens {format_number(MAX_SHEETS)}")
    sheet_parts = {s.member for s in sheets}
    kept = count_elements(checked, budget, sheet_parts)
    strings = array("I")
    sheet_bytes = sum(checked.members[m] for m in sheet_parts)
    for member in sorted(checked.members):
        if member in sheet_parts or member in (ooxml.WORKBOOK, ooxml.WORKBOOK_RELS):
            continue
        if not member.lower().endswith(_XML_SUFFIXES):
            continue
        part = None
        if member not in _TREE_PARTS and checked.members[member] >= PLAIN_FROM:
            part = plainparts.plain_strings(checked, member, budget, read_member(checked, member))
        if part is None:
            part = SharedStrings(checked, member, budget, tree=member in _TREE_PARTS)
            part.run()
        if part.root == "sst":
            check_counts(checked, member, part, sheet_bytes)
        if part.lengths:
            if not strings:
                strings = part.lengths
            else:  # more than one part with strings: the longest at each index counts
                longer = part.lengths if len(part.lengths) > len(strings) else strings
                strings = (array("I", map(max, zip(strings, part.lengths, strict=False)))
                           + longer[min(len(strings), len(part.lengths)):])
    total = 0
    costs = plainparts.SharedCosts(strings)
    percent = _percent_styles(checked)
    read_first = {s.member for s in sheets[:1]} | {s.member for s in sheets if s.name == PROJECTS}
    try:
        for sheet in sheets:
            data = kept.pop(sheet.member, None) or read_member(checked, sheet.member)
            formulas = _formulas(data)
            if formulas > MAX_FORMULAS:
                raise Refused(f"das Blatt „{sheet.name}“ hat {format_number(formulas)} Formeln; erlaubt sind höchstens "
                              f"{format_number(MAX_FORMULAS)} (bitte die Formeln durch ihre Werte ersetzen)")
            grid = plainparts.plain_sheet(checked, sheet.member, budget, sheet.name, data, costs)
            if grid is None:
                grid = sheetgrid.plain_sheet(checked, sheet.member, budget, strings, data)
            if (percent is not None and sheet.member in read_first
                    and not sheetxml.needs_scan(data, percent, budget.plain.get(sheet.member))):
                budget.clean.add(sheet.member)
            del data
            if grid is None:
                scan = SheetScan(checked, sheet.member, budget, sheet.name, strings)
                scan.run()
                grid = (scan.max_row + 1, scan.max_col + 1)
            budget.grids[sheet.member] = grid
            total += grid[0] * grid[1]
            if total > MAX_WORKBOOK_CELLS:
                raise Refused(f"die Blätter der Arbeitsmappe haben zusammen mehr als {format_number(MAX_WORKBOOK_CELLS)} "
                              "Zellen; sie wird nicht gelesen")
    except Refused as exc:
        raise WorkbookRefused(checked.name, str(exc)) from None
    return budget


def _formulas(data: bytes) -> int:
    """The formula elements of a sheet part (``<f>``, prefixed or not), counted from its bytes."""
    if not sheetxml.may_hold_formula(data):
        return 0
    return sum(1 for _ in _FORMULA.finditer(data))


def _percent_styles(checked: CheckedFile) -> set[int] | None:
    """``sheetxml.percent_styles`` (the styles part is through the budget by now), or None when
    it cannot be read: then the reader's own scan names the problem."""
    try:
        return sheetxml.percent_styles(checked)
    except Exception:
        return None
