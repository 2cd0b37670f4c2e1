"""The dashboard: the figures of ``summary`` for a year, per department, and the timeline.

Every number comes from ``core.figures.report`` and is laid out with the same tables as the
``summary`` printout, so the screen and the printout always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..core import figures
from ..core.figures import Report
from ..core.models import Project
from ..core.types import format_date, format_number
from ..printout import department_table, figures_table
from .timeline import Timeline, TimelineRow


@dataclass(frozen=True)
class DashboardData:
    report: Report
    years: list[int]
    projects: dict[str, Project]

from .text import key_footer


class DashboardScreen(Screen[None]):
    BINDINGS = [
        Binding("j", "next_year", "Jahr"),
        Binding("r", "reload", "Laden"),
        Binding("escape,q", "back", "Zurück"),
    ]

    def __init__(self, year: int) -> None:
        super().__init__()
        self.year = year
        self.years: list[int] = [year]
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Sachstand – Übersicht {self.year}", style="bold"), id="title", classes="title")
        with VerticalScroll(id="dashboard"):
            yield Static(Text("Lädt …", style="dim"), id="head")
            yield Static(id="figures")
            yield Static(id="departments")
            yield Static(id="timeline-title", classes="section")
            yield Timeline(id="timeline")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#dashboard").focus()
        self.load()

    def load(self) -> None:
        app = self.app
        repo = app.repo  # type: ignore[attr-defined]
        year, today = self.year, app.today  # type: ignore[attr-defined]

        def work() -> DashboardData:
            report = figures.report(repo, year, as_of=figures.default_as_of(year, today))
            return DashboardData(report, repo.years(), {p.id: p for p in repo.projects()})

        app.call_db(work, self._show, node=self, group="load")  # type: ignore[attr-defined]

    def _show(self, data: DashboardData) -> None:
        report = data.report
        self.report, self.years = report, data.years or [self.year]
        self.query_one("#title", Static).update(Text(f"Sachstand – Übersicht {report.year}", style="bold"))
        head = Text(f"Stichtag {format_date(report.as_of)} · "
                    f"{format_number(report.figure('projects').value)} Projekte im Bericht", style="dim")
        self.query_one("#head", Static).update(head)
        self.query_one("#figures", Static).update(figures_table(report))
        self.query_one("#departments", Static).update(department_table(report))
        self.query_one("#timeline-title", Static).update(
            Text(f"Projektfortschritte {report.year}: Beginn bis geplantes Ende, Anteil erreicht", style="bold"))
        rows = []
        for r in report.in_report:
            p = data.projects.get(r.id)
            rows.append(TimelineRow(r.name, p.start if p else None, r.end, r.current))
        self.query_one("#timeline", Timeline).set_rows(rows, self.app.today)  # type: ignore[attr-defined]

    def action_next_year(self) -> None:
        years = self.years
        index = years.index(self.year) if self.year in years else -1
        self.year = years[(index + 1) % len(years)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
