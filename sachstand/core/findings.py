"""Data-quality findings: what in the register is odd, stated plainly instead of fixed quietly.

Kinds:
- ``date``: a start or planned end kept as text because it is not a date ("11.05.217").
- ``cost``: a planned cost that is no amount ("Finanzierung über FB 30") or is a funding sum
  rather than a planned cost ("4.000.000 € (Fördersumme)").
- ``progress``: a value for Y but none for Y-1 although the project started before Y.
- ``funding``: a city share above the total funding; a funded project without amounts.
- ``report``: a figure the published report states that differs from what its own table gives.
- ``published``: a change made after a year was published (``sachstand publish``) that differs
  from the published state; the published report itself stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import figures
from .models import Project
from .report_content import published_changes
from .repository import Repository
from .types import format_money, parse_period


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    message: str
    field: str | None = None
    """The project field the finding is about (``start``, ``end``, ``planned_cost``), if any."""


def project_findings(p: Project) -> list[Finding]:
    """The findings about one project's own values (``date`` and ``cost``), as the project form
    shows them at the field and ``findings`` lists them for the register."""
    out: list[Finding] = []
    subject = f"{p.id} {p.name}"
    for name, label, text in (("start", "Beginn", p.start_text), ("end", "Geplantes Ende", p.end_text)):
        if text:
            try:
                parse_period(text)
                reason = "nicht gelesen"
            except ValueError as exc:
                reason = str(exc)
            out.append(Finding("date", subject, f"{label}: {reason}; der Originaltext bleibt erhalten", name))
    if p.planned_cost is None and p.cost_note:
        out.append(Finding("cost", subject, f"Geplante Kosten ohne Betrag: „{p.cost_note}“", "planned_cost"))
    elif p.cost_note and "förder" in p.cost_note.casefold():
        out.append(Finding(
            "cost", subject,
            f"Geplante Kosten {format_money(p.planned_cost)} sind laut Bericht eine {p.cost_note}, "
            "keine geplanten Kosten", "planned_cost",
        ))
    return out


def findings(repo: Repository, year: int | None = None) -> list[Finding]:
    """All findings; the progress and report checks use ``year`` (default: the latest year)."""
    out: list[Finding] = []
    projects = repo.projects()
    for p in projects:
        out.extend(project_findings(p))
    years = repo.years()
    if year is None and years:
        year = years[-1]
    if year is not None:
        for p in projects:
            if year in p.progress and (year - 1) not in p.progress and p.start and p.start.first_day.year < year:
                out.append(Finding(
                    "progress", f"{p.id} {p.name}",
                    f"Wert für {year} ({p.progress[year]} %), aber keiner für {year - 1}, obwohl das Projekt "
                    f"{p.start.format()} begann",
                ))
    for f in repo.funded_projects():
        if f.funding_city is not None and f.funding_total is not None and f.funding_city > f.funding_total:
            out.append(Finding(
                "funding", f.title_in_table,
                f"Förderanteil der Stadt {format_money(f.funding_city)} liegt über der Förderung insgesamt "
                f"{format_money(f.funding_total)} (Differenz {format_money(f.funding_city - f.funding_total)})",
            ))
        if f.total_cost is None or f.funding_total is None:
            out.append(Finding("funding", f.title_in_table, "Gesamtkosten oder Förderung insgesamt fehlen im Bericht"))
    if year is not None:
        stated = repo.reported_figures(year)
        if stated:
            computed = figures.counts(repo.db, year)
            labels = {d.key: d.label for d in figures.FIGURES}
            for key, value in stated.items():
                if key in computed and computed[key] != value:
                    out.append(Finding(
                        "report", f"Bericht {year}",
                        f"„{labels[key]}“: der Bericht nennt {value}, die Tabelle ergibt {computed[key]}",
                    ))
    for y in repo.published_years():
        pub = repo.publication(y)
        subject = f"Bericht {y} (veröffentlicht am {pub.at:%d.%m.%Y})" if pub else f"Bericht {y}"
        out.extend(Finding("published", subject, f"nach der Veröffentlichung geändert: {line}")
                   for line in published_changes(repo, y))
    return out
