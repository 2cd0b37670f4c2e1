"""Everything a year's report document shows, in one record: what the .docx/.pptx/.pdf consume.

Rules:
- ``report_content(repo, Y)`` is the report as the city publishes it: the figures, rows and
  funding of ``figures.report``, the year's texts (Einleitung, a free section, Ausblick), the
  planned projects by priority, and per figure the projects named as examples.
- A published year (``publish``) returns its stored snapshot exactly, whatever changed later;
  ``live=True`` gives the register's current state (``check`` compares the two).
- The examples of a figure are those IT picked (``set_examples``), else the three largest by
  planned cost among the projects the figure counts (ties by name).
- The texts are Markdown: paragraphs, "- " bullet lists, "### " sub-headings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from . import codec, figures
from .errors import InvalidValue, SachstandError
from .models import Project
from .repository import Repository

TEXT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("einleitung", "Einleitung"),
    ("sonderthema", "Sonderthema"),
    ("ausblick", "Geplante Projekte und Ausblick"),
)
"""The narrative sections of a year's report, in order, with their default titles."""
TEXT_KEYS = tuple(k for k, _ in TEXT_SECTIONS)
EXAMPLES_DEFAULT = 3


@dataclass(frozen=True)
class TextSection:
    key: str
    """"einleitung" | "sonderthema" | "ausblick" (in this order)."""
    title: str
    """E.g. "Einleitung", "IT-Projekte in der Corona-Situation", "Geplante Projekte und Ausblick"."""
    markdown: str
    """Paragraphs, "- " bullet lists, "### " sub-headings."""
    version: int = 0
    """The stored version the text was read at (0: not stored yet); a save passes it back."""


@dataclass(frozen=True)
class PublishedInfo:
    at: datetime
    by: str


@dataclass(frozen=True)
class ReportContent:
    city: str
    """The register's city name, "" while unset."""
    report: figures.Report
    """Figures, rows and funding (the published state when the year is published)."""
    texts: tuple[TextSection, ...]
    planned: tuple[Project, ...]
    """Planned projects (not started), by priority."""
    examples: dict[str, tuple[Project, ...]]
    """Figure key -> "Unter anderem folgende Projekte"."""
    published: PublishedInfo | None
    projects: tuple[Project, ...] = ()
    """The full records of ``report.rows``, in the same order (costs, dates as in the table)."""

    @property
    def year(self) -> int:
        return self.report.year

    def text(self, key: str) -> TextSection:
        return next(t for t in self.texts if t.key == key)


def texts(repo: Repository, year: int) -> tuple[TextSection, ...]:
    """The year's sections in order; a section never saved has its default title and no text."""
    stored = repo.report_texts(year)
    out = []
    for key, title in TEXT_SECTIONS:
        s = stored.get(key)
        out.append(TextSection(key, s.title, s.markdown, s.version) if s else TextSection(key, title, ""))
    return tuple(out)


def save_text(repo: Repository, year: int, section: TextSection) -> TextSection:
    """Store one section based on the version it was read at (a stale one is a conflict)."""
    if section.key not in TEXT_KEYS:
        raise InvalidValue("Abschnitt", f"„{section.key}“ gibt es nicht (möglich: {', '.join(TEXT_KEYS)})")
    saved = repo.save_report_text(year, section.key, section.title, section.markdown, section.version)
    return TextSection(saved.key, saved.title, saved.markdown, saved.version)


def planned_projects(repo: Repository) -> tuple[Project, ...]:
    """The planned projects (not archived), by priority, then department and name."""
    return tuple(sorted((p for p in repo.projects() if p.planned),
                        key=lambda p: (p.priority, p.department, p.name.casefold(), p.id)))


def _largest(projects: Sequence[Project], n: int = EXAMPLES_DEFAULT) -> tuple[Project, ...]:
    return tuple(sorted(projects, key=lambda p: (p.planned_cost is None, -(p.planned_cost or 0),
                                                 p.name.casefold(), p.id))[:n])


def examples(repo: Repository, year: int, report: figures.Report) -> dict[str, tuple[Project, ...]]:
    """Per figure: IT's picks, else the three largest by planned cost of the figure's projects."""
    members = figures.figure_members(repo.db, year, report.as_of)
    picked = repo.figure_examples(year)
    wanted = {pid for ids in members.values() for pid in ids} | {pid for ids in picked.values() for pid in ids}
    by_id = repo.get_many(sorted(wanted))
    out: dict[str, tuple[Project, ...]] = {}
    for key in figures.FIGURE_KEYS:
        if picked.get(key):
            out[key] = tuple(by_id[i] for i in picked[key] if i in by_id)
        else:
            out[key] = _largest([by_id[i] for i in members[key] if i in by_id])
    return out


def set_examples(repo: Repository, year: int, figure: str, project_ids: Sequence[str]) -> tuple[Project, ...]:
    """Pick a figure's examples; each must be one of the projects the figure counts in Y.

    An empty list returns to the default. Refused for a published year: its report is fixed.
    """
    if figure not in figures.FIGURE_KEYS:
        raise InvalidValue("Kennzahl", f"„{figure}“ gibt es nicht (möglich: {', '.join(figures.FIGURE_KEYS)})")
    _refuse_published(repo, year, "Beispielprojekte")
    figures.check_year(repo, year)
    members = set(figures.figure_members(repo.db, year)[figure])
    label = next(f.label for f in figures.FIGURES if f.key == figure)
    for pid in project_ids:
        if pid not in members:
            repo.get(pid)  # an unknown ID says so
            raise InvalidValue("Beispielprojekte", f"{pid} zählt {year} nicht zu „{label}“")
    repo.set_figure_examples(year, figure, list(project_ids))
    return examples(repo, year, figures.report(repo, year, rows=False))[figure]


def _refuse_published(repo: Repository, year: int, what: str) -> None:
    pub = repo.publication(year)
    if pub is not None:
        raise SachstandError(
            f"Der Bericht {year} ist am {pub.at:%d.%m.%Y} veröffentlicht; seine {what} bleiben, wie sie sind."
        )


def live_content(repo: Repository, year: int) -> ReportContent:
    """The report content from the register as it is now (never the published snapshot)."""
    with repo.db.read():
        report = figures.report(repo, year, live=True)
        by_id = repo.get_many([r.id for r in report.rows])
        return ReportContent(
            city=_city(repo),
            report=report,
            texts=texts(repo, year),
            planned=planned_projects(repo),
            examples=examples(repo, year, report),
            published=None,
            projects=tuple(by_id[r.id] for r in report.rows if r.id in by_id),
        )


def report_content(repo: Repository, year: int, live: bool = False) -> ReportContent:
    """The year's report content: the published snapshot for a published year, else live."""
    with repo.db.read():
        if not live:
            pub = repo.publication(year)
            text = repo.published_part(year, "content") if pub else None
            if pub is not None and text is not None:
                content = codec.loads(ReportContent, text)
                return dataclasses.replace(content, published=PublishedInfo(pub.at, pub.by))
        return live_content(repo, year)


def publish(repo: Repository, year: int, at: datetime | None = None, by: str | None = None) -> PublishedInfo:
    """Record year Y as published (admin only, audited) with a snapshot of its report content and
    of each department's report, taken in the same transaction as the record."""
    figures.check_year(repo, year)

    def snapshot() -> dict[str, str]:
        content = live_content(repo, year)
        parts = {"content": codec.dumps(content), figures.report_part(None): codec.dumps(content.report)}
        for dept in repo.departments():
            parts[figures.report_part(dept.code)] = codec.dumps(figures.report(repo, year, dept.code, live=True))
        return parts

    pub = repo.publish(year, snapshot, at=at, by=by)
    return PublishedInfo(pub.at, pub.by)


def _city(repo: Repository) -> str:
    return ""
