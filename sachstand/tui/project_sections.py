"""The read-only sections under the project form: progress history, funding, audit trail.

Rule: user text (titles, partners, audit values) is shown as ``Text`` built from ``safe_text``.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..core.models import AuditEntry, FundedProject, Project, field_label
from ..core.text import safe_text
from ..core.types import format_money
from ..printout import progress_bar
from .fields import audit_value


def history(p: Project | None) -> Group:
    """The progress of every year as a bar."""
    lines = [Text("Verlauf des Umsetzungsstands", style="bold")]
    if p is None or not p.progress:
        lines.append(Text("noch keine Werte", style="dim"))
    for y, value in sorted((p.progress if p else {}).items()):
        line = Text(f"{y}  ")
        line.append_text(progress_bar(value, 30))
        line.append(f" {value:>3} %")
        lines.append(line)
    return Group(*lines)


def funded(projects: list[FundedProject]) -> Group:
    """The funded projects this project belongs to, with their sums, partners and goals."""
    parts: list[Text | Table] = [Text("Förderprojekt", style="bold")]
    for f in projects:
        head = Text(safe_text(f.title), style="bold")
        head.append("  ")
        head.append_text(Text(safe_text(f.programme), style="dim"))
        parts.append(head)
        parts.append(Text(f"Gesamtkosten {format_money(f.total_cost)} · Förderung {format_money(f.funding_total)}"
                          f" · Anteil Stadt {format_money(f.funding_city)}", style="dim"))
        if f.partners:
            table = Table(box=None, show_header=True, expand=True, pad_edge=False)
            table.add_column("Partner", ratio=1)
            table.add_column("Rolle", ratio=2)
            for partner in f.partners:
                table.add_row(Text(safe_text(partner.partner)), Text(safe_text(partner.role)))
            parts.append(table)
        if f.goals:
            parts.append(Text("Ziele: ", style="bold") + Text(safe_text(f.goals, one_line=False)))
    return Group(*parts)


def audit(entries: list[AuditEntry]) -> Group:
    """The project's changes, newest first: when, who, which field, old → new."""
    lines: list[Text | Table] = [Text("Änderungen", style="bold")]
    if not entries:
        lines.append(Text("keine", style="dim"))
        return Group(*lines)
    table = Table(box=None, expand=True, pad_edge=False)
    table.add_column("Zeit", no_wrap=True)
    table.add_column("Wer", no_wrap=True)
    table.add_column("Feld", ratio=1)
    table.add_column("alt → neu", ratio=2)
    for a in entries:
        change = Text(safe_text(audit_value(a.field, a.old_value)))
        change.append(" → ")
        change.append_text(Text(safe_text(audit_value(a.field, a.new_value))))
        who = Text(safe_text(a.os_user))
        who.append(f" ({a.source})", style="dim")
        what = "angelegt" if a.field == "*" else "Archiviert" if a.field == "archived" else field_label(a.field)
        table.add_row(a.at.strftime("%d.%m.%Y %H:%M"), who, Text(what), change)
    lines.append(table)
    return Group(*lines)
