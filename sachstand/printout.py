"""The ``rich`` printout of a report: what management reads in the terminal (80 columns).

All numbers come from ``core.figures``; this module only lays them out. It owns the presentation
shared with the TUI: the figure and department tables (the dashboard shows the same tables with
``screen=True``), ``progress_bar`` and ``signed``. User text (names,
descriptions) goes through ``core.text.safe_text`` and ``Text`` so markup and control codes in it are
shown literally and never interpreted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from .core.figures import FIGURES, Report
from .core.models import ProjectRow, report_dates
from .core.text import safe_text
from .core.types import format_date, format_money, format_number, format_percent

if TYPE_CHECKING:
    from .core.findings import Finding
    from .core.rollup import Rollup

BAR_WIDTH = 20

SHOWN_ROWS = 100
"""The most projects a per-project table of the printout lists (the timeline, the overdue and the
stalled ones); a longer one ends with how many more there are and where to find them all. Every
count and figure is over all projects; 100 rows are more than a terminal's page, and a register
of 100,000 projects took 40 s to print in full."""


def user_text(value: object, style: str = "") -> Text:
    """User or file text as a ``Text`` through ``safe_text``: shown literally, never as markup."""
    return Text(safe_text(value), style=style)


_EIGHTHS = " ▏▎▍▌▋▊▉█"


def progress_bar(percent: int | None, width: int = BAR_WIDTH) -> Text:
    """A bar of ``width`` cells in eighth blocks: the filled share cyan (green when complete), the
    rest dim; "·" cells without a value. The one progress bar of printouts and screens."""
    if percent is None:
        return Text("·" * width, style="dim")
    eighths = round(width * 8 * percent / 100)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (_EIGHTHS[part] if part and full < width else "")
    bar = Text(filled, style="green" if percent == 100 else "cyan")
    bar.append("░" * (width - len(filled)), style="dim")
    return bar


def signed(n: int | None) -> str:
    """A change with its sign, in German number format ("+1.234", "±0", "-5"; "–" without one)."""
    if n is None:
        return "–"
    return f"+{format_number(n)}" if n > 0 else ("±0" if n == 0 else f"-{format_number(-n)}")


def figures_table(report: Report, screen: bool = False) -> Table:
    """Each figure with its value, the total it is counted over, the previous year's value and the
    change. ``screen`` (the dashboard): "n von N" in one column and each rule under its label."""
    table = Table(title=f"Kennzahlen {report.year}", box=box.SIMPLE_HEAD, expand=True, title_justify="left",
                  title_style="bold" if screen else None, pad_edge=not screen)
    if screen:
        table.add_column("Kennzahl", ratio=1)
        table.add_column("Wert", justify="right", no_wrap=True)
    else:
        table.add_column("Kennzahl", no_wrap=True, style="bold", ratio=1)
        table.add_column("Wert", justify="right", no_wrap=True)
        table.add_column("von", justify="right", no_wrap=True)
    table.add_column(f"Vorjahr {report.year - 1}", justify="right", no_wrap=True)
    table.add_column("Änderung", justify="right", no_wrap=True)
    for f in report.figures:
        total = "" if f.key == "projects" else format_number(f.total)
        prev = "–" if f.previous is None else format_number(f.previous)
        if screen:
            label = Text(f.label, style="bold")
            label.append(f"\n{f.rule}", style="dim")
            value = f"{format_number(f.value)} von {total}" if total else format_number(f.value)
            table.add_row(label, value, prev, signed(f.change))
        else:
            table.add_row(f.label, format_number(f.value), total, prev, signed(f.change))
    return table


def rules_text(report: Report) -> Text:
    """The rule behind each figure, one line each."""
    text = Text(style="dim")
    for f in report.figures:
        text.append(f"  {f.label}: ", style="bold dim")
        text.append(f"{f.rule}\n")
    text.rstrip()
    return text


def department_table(report: Report, screen: bool = False) -> Table:
    """Per department: projects in the report, planned cost, mean progress, completed; the printout
    adds the sum row, the screen (the dashboard) drops the outer edge to fit 80 columns."""
    if screen:
        table = Table(title="Nach Bereich", box=box.SIMPLE_HEAD, expand=True, title_justify="left",
                      title_style="bold", pad_edge=False, show_edge=False, collapse_padding=True)
        codes = max((len(safe_text(d.code)) for d in report.by_department), default=7)
        table.add_column("Bereich", ratio=1, no_wrap=True, min_width=min(codes, 12), overflow="ellipsis")
    else:
        table = Table(title="Nach Bereich", box=box.SIMPLE_HEAD, expand=True, title_justify="left")
        table.add_column("Bereich", no_wrap=True)
    table.add_column("Projekte", justify="right", no_wrap=screen)
    table.add_column("Geplante Kosten", justify="right", no_wrap=True)
    table.add_column("Ø Stand", justify="right", no_wrap=True)
    table.add_column("abgeschl.", justify="right", no_wrap=screen)
    total_cost = Decimal("0.00")
    for d in report.by_department:
        table.add_row(Text(safe_text(d.code)), format_number(d.projects), format_money(d.planned_cost),
                      format_percent(d.mean_progress, digits=1), format_number(d.completed))
        total_cost += d.planned_cost
    if not screen:
        table.add_section()
        table.add_row(Text("Summe", style="bold"), format_number(sum(d.projects for d in report.by_department)),
                      format_money(total_cost), "", format_number(sum(d.completed for d in report.by_department)))
    return table


def funding_table(report: Report) -> Table:
    f = report.funding
    programmes = ", ".join(sorted({safe_text(p.programme) for p in f.projects if p.programme}))
    title = f"Geförderte Projekte ({programmes})" if programmes else "Geförderte Projekte"
    table = Table(title=title, box=box.SIMPLE_HEAD, expand=True, title_justify="left")
    table.add_column("Projekt", ratio=1)
    table.add_column("Gesamtkosten", justify="right", no_wrap=True)
    table.add_column("Förderung", justify="right", no_wrap=True)
    table.add_column("Anteil Stadt", justify="right", no_wrap=True)
    for p in f.projects:
        table.add_row(Text(safe_text(p.title_in_table)), format_money(p.total_cost), format_money(p.funding_total),
                      format_money(p.funding_city))
    table.add_section()
    table.add_row(Text("Summe", style="bold"), format_money(f.total_cost), format_money(f.funding_total),
                  format_money(f.funding_city), style="bold")
    return table


def _span(start: str, end: str) -> str:
    return f"{start or '?'} – {end or '?'}"


def _more(shown: int, total: int) -> list[RenderableType]:
    """The line under a table cut at ``SHOWN_ROWS``: how many of ``total`` it left out (none: nothing)."""
    if total <= shown:
        return []
    return [Text(f"… und {format_number(total - shown)} weitere; alle Projekte: sachstand export register",
                 style="dim")]


def timeline_table(report: Report) -> RenderableType:
    """Like figure 1 of the report: each project's progress as a bar, with start and planned end
    (the first ``SHOWN_ROWS`` projects)."""
    table = Table(title=f"Projektfortschritte {report.year}", box=box.SIMPLE_HEAD, expand=True,
                  title_justify="left")
    table.add_column("Projekt", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("Stand", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("Beginn – geplantes Ende", no_wrap=True)
    rows = report.in_report[:SHOWN_ROWS]
    for r in rows:
        table.add_row(Text(safe_text(r.name)), progress_bar(r.current, 16), str(r.current),
                      _span(r.start_display, r.end_display))
    more = _more(len(rows), report.figure("projects").value)
    return Group(table, *more) if more else table


def _project_list(title: str, rows: list[ProjectRow], total: int, empty: str) -> RenderableType:
    """The first ``SHOWN_ROWS`` of ``rows`` (``total`` of them in all) as a table."""
    if not rows:
        return Text(f"{title}: {empty}", style="dim")
    rows = rows[:SHOWN_ROWS]
    more = _more(len(rows), total)
    table = Table(title=title, box=box.SIMPLE_HEAD, expand=True, title_justify="left")
    table.add_column("ID", no_wrap=True)
    table.add_column("Bereich", no_wrap=True)
    table.add_column("Projekt", ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column("Vorjahr", justify="right", no_wrap=True)
    table.add_column("Stand", justify="right", no_wrap=True)
    table.add_column("Ende", no_wrap=True)
    for r in rows:
        table.add_row(r.id, Text(safe_text(r.department)), Text(safe_text(r.name)), format_percent(r.previous),
                      format_percent(r.current), safe_text(r.end_display) or "–")
    return Group(table, *more) if more else table


def summary(report: Report, published: datetime | None = None) -> Group:
    """The whole printout of ``sachstand summary``; ``published``: when the year's report was."""
    scope = f" – Bereich {safe_text(report.department)}" if report.department else ""
    head = Text(f"Sachstandsbericht {report.year} über die eGovernment-Projekte{scope}", style="bold")
    sub = Text(f"{report_dates(report.as_of, published, draft=None)} · "
               f"{format_number(report.figure('projects').value)} Projekte im Bericht", style="dim")
    top: list[RenderableType] = [Text(safe_text(report.city.display), style="bold")] if report.city else []
    return Group(
        *top, head, sub, Rule(style="dim"),
        figures_table(report),
        rules_text(report),
        Text(""),
        department_table(report),
        funding_table(report) if report.funding.projects else Text("Geförderte Projekte: keine", style="dim"),
        timeline_table(report),
        _project_list(f"Überfällig am {format_date(report.as_of)}", report.overdue, report.figure("overdue").value,
                      "keine"),
        _project_list("Stagniert", report.stalled, report.figure("stalled").value, "keine"),
    )


_SHORT = {"projects": "Projekte", "completed": "Abgeschl.", "at_least_90": "≥ 90 %", "started": "Begonnen",
          "stalled": "Stagniert", "overdue": "Überfällig"}


def _counts_table(title: str, first: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, expand=True, title_justify="left", padding=(0, 0, 0, 1))
    table.add_column(first, ratio=1, overflow="fold", min_width=16)
    for f in FIGURES:
        table.add_column(_SHORT[f.key], justify="right", no_wrap=True)
    return table


def _count_cells(counts: dict[str, int]) -> list[str]:
    return [format_number(counts[f.key]) for f in FIGURES]


def rollup(result: Rollup) -> Group:
    """The printout of ``sachstand rollup``: the counts per city and in total (and per topic)."""
    n = len(result.cities)
    head = Text(f"Sachstand {result.year} über {format_number(n)} {'Stadt' if n == 1 else 'Städte'}", style="bold")
    sub = Text(f"Stichtag {format_date(result.as_of)} · {format_number(result.total['projects'])} "
               "Projekte im Bericht", style="dim")
    table = _counts_table(f"Kennzahlen {result.year} nach Stadt", "Stadt")
    for c in result.cities:
        table.add_row(Text(safe_text(c.city)), *_count_cells(c.counts))
    table.add_section()
    table.add_row(Text("Summe", style="bold"), *_count_cells(result.total), style="bold")
    parts: list[RenderableType] = [head, sub, Rule(style="dim"), table]
    if result.topics is not None:
        topics = _counts_table(f"Kennzahlen {result.year} nach Thema", "Thema / Stadt")
        for topic in result.topics:
            topics.add_row(Text(safe_text(topic.topic), style="bold"), *_count_cells(topic.total), style="bold")
            for name, counts in topic.cities:
                topics.add_row(Text("  " + safe_text(name)), *_count_cells(counts))
        parts.append(topics)
    rules = Text(style="dim")
    for f in FIGURES:
        rules.append(f"  {f.label}: ", style="bold dim")
        rules.append(f"{f.rule}\n")
    rules.rstrip()
    parts.append(rules)
    return Group(*parts)


def findings_table(items: list[Finding]) -> RenderableType:
    if not items:
        return Text("Keine Auffälligkeiten gefunden.", style="green")
    kinds = {"date": "Datum", "cost": "Kosten", "progress": "Umsetzungsstand", "funding": "Förderung",
             "report": "Bericht"}
    table = Table(title=f"Datenqualität: {len(items)} Befunde", box=box.SIMPLE_HEAD, expand=True,
                  title_justify="left")
    table.add_column("Art", no_wrap=True)
    table.add_column("Betrifft", ratio=1)
    table.add_column("Befund", ratio=2)
    for f in items:
        table.add_row(kinds.get(f.kind, f.kind), Text(safe_text(f.subject)), Text(safe_text(f.message)))
    return table


def make_console(record: bool = False, width: int | None = None) -> Console:
    return Console(record=record, width=width, highlight=False, emoji=False, markup=False)
