"""The dashboard: the figures of ``summary`` for a year, per department, and the timeline.

Every number comes from ``core.figures.report`` and is laid out with the same tables as the
``summary`` printout, so the screen and the printout always agree.

Rules:
- The figures come first, from the report without its rows (a few aggregate queries); the
  timeline follows: from the projects screen's kept rows of the year when the register is
  unchanged since they were read, else read after the figures are shown.
- A published year shows its published figures and rows, and says when it was published, in
  the words of the printouts and documents (``core.models.report_dates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..core import figures
from ..core.errors import SachstandError
from ..core.figures import Report
from ..core.models import ProjectRow, Publication, report_dates, report_stand
from ..core.text import safe_text
from ..core.types import format_number
from ..printout import department_table, figures_table
from .data import change_stamp
from .host import SachstandScreen
from .text import key_footer
from .timeline import MAX_ROWS, Timeline, TimelineRow, timeline_span


@dataclass(frozen=True)
class DashboardData:
    report: Report
    years: list[int]
    published: Publication | None


def head_line(report: Report, published: Publication | None) -> Text:
    """The report's dates in the wording of every document and printout (``core.models.report_dates``:
    "Stand …" when published, else the draft note, and the Stichtag), then the size of the report.
    The Stand (or draft note) is bold: whether the year is published is what the line is read for."""
    at = published.at if published is not None else None
    head = Text(f"{report_dates(report.as_of, at)} · "
                f"{format_number(report.figure('projects').value)} Projekte im Bericht", style="dim")
    head.highlight_words([report_stand(at)], style="bold")
    return head


@dataclass(frozen=True)
class TimelineData:
    """The timeline's first rows, with the count and the span of all: the projects in the report."""

    rows: list[TimelineRow]
    total: int
    span: tuple[date, date] | None


def timeline_data(rows: Sequence[ProjectRow]) -> TimelineData:
    in_report = [r for r in rows if r.current is not None and not r.planned]
    first = [TimelineRow(r.name, r.start, r.end, r.current) for r in in_report[:MAX_ROWS]]
    return TimelineData(first, len(in_report), timeline_span(in_report))


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
            with repo.db.read():  # one connection for the three reads
                years = repo.years()
                report = figures.report(repo, year, as_of=figures.default_as_of(year, today), rows=False,
                                        years=years)
                return DashboardData(report, years, repo.publication(year))

        app.call_db(work, self._show, self._failed, node=self, group="load")

    def _load_timeline(self, data: DashboardData) -> None:
        """The timeline's rows: the kept rows of the year if still valid, else read now."""
        app = self.host
        repo, year, today = self.repo, data.report.year, app.today
        kept = app.rows.get(year, change_stamp(repo.db.path)) if data.published is None else None

        def work() -> TimelineData:
            if kept is not None:  # in the thread too: a pass over 25,000 rows held the screen for 35-80 ms
                return timeline_data(kept.rows)
            as_of = figures.default_as_of(year, today)
            if data.published is not None:  # as published: the snapshot's rows
                return timeline_data(figures.report(repo, year, as_of=as_of).rows)
            return timeline_data(figures.project_rows(repo.db, year, as_of=as_of))

        app.call_db(work, lambda rows: self._show_timeline(year, rows), self._failed, node=self, group="load")

    def _show_timeline(self, year: int, timeline: TimelineData) -> None:
        if year == self.year:
            self.query_one("#timeline", Timeline).set_rows(timeline.rows, self.host.today, timeline.total,
                                                          timeline.span)

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
        self.query_one("#head", Static).update(head_line(report, data.published))
        self.query_one("#figures", Static).update(figures_table(report, screen=True))
        self.query_one("#departments", Static).update(department_table(report, screen=True))
        self.query_one("#timeline-title", Static).update(
            Text(f"Projektfortschritte {report.year}: Beginn bis geplantes Ende, Anteil erreicht", style="bold"))
        self.call_after_refresh(self._load_timeline, data)  # the figures are painted first

    def action_next_year(self) -> None:
        years = self.years
        index = years.index(self.year) if self.year in years else -1
        self.year = years[(index + 1) % len(years)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
