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
from textual.widgets import Static

from ..core import figures
from ..core.errors import SachstandError
from ..core.figures import Report
from ..core.models import Project
from ..core.report_content import report_projects
from ..core.text import safe_text
from ..core.types import format_date, format_number
from ..printout import department_table, figures_table
from .host import SachstandScreen
from .text import key_footer
from .timeline import Timeline, TimelineRow


@dataclass(frozen=True)
class DashboardData:
    report: Report
    years: list[int]
    projects: dict[str, Project]


class DashboardScreen(SachstandScreen[None]):
    BINDINGS = [
        Binding("j", "next_year", "Jahr", tooltip="Berichtsjahr weiterschalten"),
        Binding("r", "reload", "Laden", tooltip="neu laden"),
        Binding("escape,q", "back", "Zurück", tooltip="zurück zur Projektliste"),
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
        app = self.host
        repo = self.repo
        year, today = self.year, app.today

        def work() -> DashboardData:
            report = figures.report(repo, year, as_of=figures.default_as_of(year, today))
            return DashboardData(report, repo.years(), report_projects(repo, year))

        app.call_db(work, self._show, self._failed, node=self, group="load")

    def _failed(self, exc: SachstandError) -> None:
        """A year without values (e.g. the next one, just started) has no figures yet: say so."""
        self.query_one("#title", Static).update(Text(f"Sachstand – Übersicht {self.year}", style="bold"))
        self.query_one("#head", Static).update(Text(safe_text(exc.message, one_line=False), style="bold red"))
        for name in ("#figures", "#departments", "#timeline-title"):
            self.query_one(name, Static).update("")
        self.query_one("#timeline", Timeline).set_rows([], self.host.today)
        repo = self.repo

        def years_known(years: list[int]) -> None:
            self.years = years or [self.year]

        self.host.call_db(repo.years, years_known, node=self, group="load")

    def _show(self, data: DashboardData) -> None:
        report = data.report
        self.report, self.years = report, data.years or [self.year]
        self.query_one("#title", Static).update(Text(f"Sachstand – Übersicht {report.year}", style="bold"))
        head = Text(f"Stichtag {format_date(report.as_of)} · "
                    f"{format_number(report.figure('projects').value)} Projekte im Bericht", style="dim")
        self.query_one("#head", Static).update(head)
        self.query_one("#figures", Static).update(figures_table(report, screen=True))
        self.query_one("#departments", Static).update(department_table(report, screen=True))
        self.query_one("#timeline-title", Static).update(
            Text(f"Projektfortschritte {report.year}: Beginn bis geplantes Ende, Anteil erreicht", style="bold"))
        rows = []
        for r in report.in_report:
            p = data.projects.get(r.id)
            rows.append(TimelineRow(r.name, p.start if p else None, r.end, r.current))
        self.query_one("#timeline", Timeline).set_rows(rows, self.host.today)

    def action_next_year(self) -> None:
        years = self.years
        index = years.index(self.year) if self.year in years else -1
        self.year = years[(index + 1) % len(years)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
