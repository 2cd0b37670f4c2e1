"""The marked-up reply: a copy of a department's workbook with each bad cell highlighted.

Rules:
- The department's file is read and a new file is written; the original is never re-saved
  (openpyxl drops some Excel extensions on load, so a re-saved copy is only ever this reply).
- Problems get a red fill and a comment with the rule; conflicts a yellow fill and a comment with
  both values. Problems that name no cell are listed on an extra sheet "Probleme".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

from .diff import ImportPlan
from .safe import needs_quote

RED = "FFC7CE"
YELLOW = "FFEB9C"
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?$")


def _split(ref: str) -> tuple[str, str] | None:
    m = _REF.match(ref)
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    return sheet, m.group(3)


def write_markup(source: Path, target: str | Path | BinaryIO, plan: ImportPlan) -> int:
    """Write the marked copy to ``target`` (a path or, for the command, a ``BytesIO`` that
    ``core.output.write_output`` writes atomically); returns the number of cells marked."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = openpyxl.load_workbook(source)
    name = source.name
    marks: dict[tuple[str, str], tuple[str, list[str]]] = {}
    loose: list[str] = []
    for p in plan.problems:
        if p.file != name:
            continue
        where = _split(p.cell) if p.cell else None
        if where is None or where[0] not in wb.sheetnames:
            loose.append(p.line())
            continue
        marks.setdefault(where, (RED, []))[1].append(p.message)
    for c in plan.conflicts:
        where = _split(c.cell) if c.file == name else None
        if where is None or where[0] not in wb.sheetnames:
            continue
        colour, notes = marks.setdefault(where, (YELLOW, []))
        notes.append(f"Konflikt: in der Datei „{c.file_value}“, inzwischen im Register „{c.register_value}“")
    for (sheet, ref), (colour, notes) in marks.items():
        cell = wb[sheet][ref]
        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        cell.comment = Comment("\n".join(notes)[:30000], "sachstand")
    if loose:
        ws = wb.create_sheet("Probleme")
        for i, line in enumerate(loose, start=1):
            cell = ws.cell(row=i, column=1, value=line)
            if needs_quote(line):
                cell.data_type = "s"
                cell.quotePrefix = True
    wb.save(target)
    return len(marks)
