"""The import preview: a ``rich`` printout for people and one JSON object for scripts.

Both render the same ``ImportPlan``. User text goes through ``safe_display`` inside ``Text``, so
markup and control codes from a workbook are shown literally and never reach the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.types import format_number, safe_display
from .diff import ImportPlan, RowResult

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text


def _t(value: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(safe_display(value), style=style)


def as_json(plan: ImportPlan, applied: bool) -> dict:
    new_departments = {d.code for d in plan.changeset.new_departments}
    return {
        "files": [{"file": f.name, "sha256": f.sha256, "sheet": f.sheet,
                   "kind": "template" if f.is_template else "register" if f.extras is not None else "overview",
                   "ignored_columns": list(f.ignored), "notes": list(f.notes)} for f in plan.files],
        "changed": [
            {"file": r.file, "row": r.row, "project": r.project_id, "name": r.name, "field": c.field,
             "label": c.label, "cell": c.cell, "old": c.old, "new": c.new}
            for r in plan.of_kind("update") for c in r.changes
        ],
        "new": [new_json(r, new_departments) for r in plan.of_kind("new")],
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


def new_json(r: RowResult, new_departments: set[str]) -> dict:
    """A new project with every field it brings; money as a string, dates as shown."""
    n = r.new_project
    out: dict = {"file": r.file, "row": r.row, "department": r.department, "name": r.name,
                 "new_department": r.department in new_departments}
    if n is not None:
        out.update({
            "project": n.id, "description": n.description,
            "planned_cost": None if n.planned_cost is None else str(n.planned_cost), "cost_note": n.cost_note,
            "start": n.start.format() if n.start else n.start_text or None,
            "end": n.end.format() if n.end else n.end_text or None,
            "progress": {str(y): v for y, v in sorted(n.progress.items())},
        })
        if n.archived:
            out["archived"] = True
    return out


def render(plan: ImportPlan, applied: bool) -> RenderableType:
    """The preview for people; rich is imported here, so ``--json`` never loads it."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    for f in plan.files:
        kind = f"Vorlage {f.meta.department} {f.meta.year}" if f.is_template and f.meta else "Übersicht"
        parts.append(Text.assemble(("Datei ", "bold"), _t(f.name), f"  ({kind}, Blatt „", _t(f.sheet), "“)"))
        if f.ignored:
            parts.append(Text.assemble("  nicht gelesen: ", _t(", ".join(f.ignored), "yellow")))
        for note in f.notes:
            parts.append(Text.assemble("  Hinweis: ", _t(note)))
    updates = plan.of_kind("update")
    if updates:
        table = Table(title="Änderungen", box=box.SIMPLE_HEAD, title_justify="left", expand=True)
        table.add_column("Projekt", no_wrap=True)
        table.add_column("Feld", no_wrap=True, max_width=34, overflow="ellipsis")
        table.add_column("bisher", ratio=1)
        table.add_column("neu", ratio=1)
        for r in updates:
            table.add_row(_t(r.project_id or "", "bold"), _t(r.name, "dim"), "", "")
            for c in r.changes:
                table.add_row("", _t(c.label), _t(c.old or "–", "red"), _t(c.new or "–", "green"))
        parts.append(table)
    news = plan.of_kind("new")
    if news:
        new_depts = {d.code for d in plan.changeset.new_departments}
        table = Table(title="Neue Projekte", box=box.SIMPLE_HEAD, title_justify="left", expand=True)
        table.add_column("Bereich", no_wrap=True)
        table.add_column("Name", ratio=1)
        table.add_column("Zeile", justify="right", no_wrap=True)
        for r in news:
            dept = _t(r.department)
            if r.department in new_depts:
                dept.append(" (neuer Bereich)", style="yellow")
            table.add_row(dept, _t(r.name), f"{r.file}:{r.row}")
        parts.append(table)
    if plan.remarks:
        table = Table(title="Bemerkungen der Bereiche (werden nicht gespeichert)", box=box.SIMPLE_HEAD,
                      title_justify="left", expand=True)
        table.add_column("Projekt", no_wrap=True)
        table.add_column("Zelle", no_wrap=True)
        table.add_column("Bemerkung", ratio=1)
        for m in plan.remarks:
            table.add_row(_t(m.project), _t(f"{m.file} {m.cell}", "dim"), _t(m.text))
        parts.append(table)
    for warning in plan.warnings:
        parts.append(Text.assemble(("Achtung: ", "bold yellow"), _t(warning)))
    if plan.conflicts:
        parts.append(Text(f"Konflikte ({format_number(len(plan.conflicts))}), werden nicht übernommen:",
                          style="bold yellow"))
        for c in plan.conflicts:
            parts.append(Text.assemble("  ", (safe_display(c.file), "dim"), " ", _t(c.line())))
    if plan.problems:
        parts.append(Text(f"Probleme ({format_number(len(plan.problems))}):", style="bold red"))
        for p in plan.problems:
            parts.append(Text.assemble("  ", (safe_display(p.file), "dim"), " ", _t(p.line())))
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
