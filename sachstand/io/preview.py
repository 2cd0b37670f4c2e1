"""The import preview: a ``rich`` printout for people and one JSON object for scripts.

Both render the same ``ImportPlan``. User text goes through ``core.text.safe_text`` inside ``Text``, so
markup and control codes from a workbook are shown literally and never reach the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.text import safe_text
from ..core.types import format_number
from .diff import ImportPlan

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text


def as_json(plan: ImportPlan, applied: bool) -> dict:
    new_departments = {d.code for d in plan.changeset.new_departments}
    return {
        "files": [{"file": f.name, "sha256": f.sha256, "sheet": f.sheet,
                   "kind": "template" if f.is_template else "overview"} for f in plan.files],
        "changed": [
            {"file": r.file, "row": r.row, "project": r.project_id, "name": r.name, "field": c.field,
             "label": c.label, "cell": c.cell, "old": c.old, "new": c.new}
            for r in plan.of_kind("update") for c in r.changes
        ],
        "new": [
            {"file": r.file, "row": r.row, "department": r.department, "name": r.name,
             "new_department": r.department in new_departments}
            for r in plan.of_kind("new")
        ],
        "unchanged": len(plan.of_kind("unchanged")),
        "problems": [{"file": p.file, "cell": p.cell, "value": p.value, "message": p.message} for p in plan.problems],
        "conflicts": [
            {"file": c.file, "cell": c.cell, "project": c.project_id, "field": c.field, "label": c.label,
             "file_value": c.file_value, "register_value": c.register_value}
            for c in plan.conflicts
        ],
        "remarks": [{"file": m.file, "cell": m.cell, "project": m.project, "text": m.text} for m in plan.remarks],
        "warnings": list(plan.warnings),
        "applied": applied,
    }


def render(plan: ImportPlan, applied: bool) -> RenderableType:
    """The preview for people; rich is imported here, so ``--json`` never loads it."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    for f in plan.files:
        kind = f"Vorlage {f.meta.department} {f.meta.year}" if f.is_template and f.meta else "Übersicht"
        parts.append(Text.assemble(("Datei ", "bold"), Text(safe_text(f.name)), f"  ({kind}, Blatt „", Text(safe_text(f.sheet)), "“)"))
    updates = plan.of_kind("update")
    if updates:
        table = Table(title="Änderungen", box=box.SIMPLE_HEAD, title_justify="left", expand=True)
        table.add_column("Projekt", no_wrap=True)
        table.add_column("Feld", no_wrap=True, max_width=34, overflow="ellipsis")
        table.add_column("bisher", ratio=1)
        table.add_column("neu", ratio=1)
        for r in updates:
            table.add_row(Text(safe_text(r.project_id or ""), style="bold"), Text(safe_text(r.name), style="dim"), "", "")
            for c in r.changes:
                table.add_row("", Text(safe_text(c.label)), Text(safe_text(c.old or "–"), style="red"), Text(safe_text(c.new or "–"), style="green"))
        parts.append(table)
    news = plan.of_kind("new")
    if news:
        new_depts = {d.code for d in plan.changeset.new_departments}
        table = Table(title="Neue Projekte", box=box.SIMPLE_HEAD, title_justify="left", expand=True)
        table.add_column("Bereich", no_wrap=True)
        table.add_column("Name", ratio=1)
        table.add_column("Zeile", justify="right", no_wrap=True)
        for r in news:
            dept = Text(safe_text(r.department))
            if r.department in new_depts:
                dept.append(" (neuer Bereich)", style="yellow")
            table.add_row(dept, Text(safe_text(r.name)), safe_text(f"{r.file}:{r.row}"))
        parts.append(table)
    if plan.remarks:
        table = Table(title="Bemerkungen der Bereiche (werden nicht gespeichert)", box=box.SIMPLE_HEAD,
                      title_justify="left", expand=True)
        table.add_column("Projekt", no_wrap=True)
        table.add_column("Zelle", no_wrap=True)
        table.add_column("Bemerkung", ratio=1)
        for m in plan.remarks:
            table.add_row(Text(safe_text(m.project)), Text(safe_text(f"{m.file} {m.cell}"), style="dim"), Text(safe_text(m.text)))
        parts.append(table)
    for warning in plan.warnings:
        parts.append(Text.assemble(("Achtung: ", "bold yellow"), Text(safe_text(warning))))
    if plan.conflicts:
        parts.append(Text(f"Konflikte ({format_number(len(plan.conflicts))}), werden nicht übernommen:",
                          style="bold yellow"))
        for c in plan.conflicts:
            parts.append(Text.assemble("  ", (safe_text(c.file), "dim"), " ", Text(safe_text(c.line()))))
    if plan.problems:
        parts.append(Text(f"Probleme ({format_number(len(plan.problems))}):", style="bold red"))
        for p in plan.problems:
            parts.append(Text.assemble("  ", (safe_text(p.file), "dim"), " ", Text(safe_text(p.line()))))
    parts.append(summary_line(plan, applied))
    return Group(*parts)


def _plural(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


def summary_line(plan: ImportPlan, applied: bool) -> Text:
    from rich.text import Text

    changed = len(plan.of_kind("update"))
    fields = sum(len(r.changes) for r in plan.of_kind("update"))
    new = len(plan.of_kind("new"))
    unchanged = len(plan.of_kind("unchanged"))
    counts = (f"{_plural(changed, 'Projekt', 'Projekte')} geändert ({_plural(fields, 'Feld', 'Felder')}), "
              f"{format_number(new)} neu, {format_number(unchanged)} unverändert")
    if plan.problems or plan.conflicts:
        return Text.assemble(
            f"{counts}.\n",
            (f"Nichts wurde gespeichert: {_plural(len(plan.problems), 'Problem', 'Probleme')}, "
             f"{_plural(len(plan.conflicts), 'Konflikt', 'Konflikte')}.", "bold red"),
        )
    if not changed and not new:
        return Text(f"Keine Änderungen: {format_number(unchanged)} Zeilen stimmen mit dem Register überein.",
                    style="bold green")
    if applied:
        return Text(f"Gespeichert: {counts}.", style="bold green")
    return Text(f"Probelauf: {counts}.\nZum Speichern mit --apply aufrufen.", style="bold")
