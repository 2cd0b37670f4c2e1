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
from .changes import progress_key
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


def check_text_year(repo: Repository, year: int) -> None:
    """A year whose texts can be written: it has data, follows a year with data (the report of
    the next year), or already has texts; otherwise one German line (``SachstandError``)."""
    years = repo.years()
    if year not in years and year - 1 not in years and not repo.report_texts(year):
        have = ", ".join(map(str, years)) or "keine"
        raise SachstandError(f"Für {year} gibt es weder Texte noch Daten. Jahre mit Daten: {have}.")


def save_text(repo: Repository, year: int, section: TextSection) -> TextSection:
    """Store one section based on the version it was read at (a stale one is a conflict)."""
    save_texts(repo, year, [section])
    return texts(repo, year)[TEXT_KEYS.index(section.key)]


def save_texts(repo: Repository, year: int, sections: Sequence[TextSection]) -> int:
    """Store sections all together or none (conflicts, a published year, a year without data or
    texts: ``check_text_year``); returns how many changed."""
    check_text_year(repo, year)
    for section in sections:
        if section.key not in TEXT_KEYS:
            raise InvalidValue("Abschnitt", f"„{section.key}“ gibt es nicht (möglich: {', '.join(TEXT_KEYS)})")
    stored = repo.report_texts(year)
    defaults = dict(TEXT_SECTIONS)
    todo = [s for s in sections  # a section never stored and left as it came is no change
            if s.key in stored or s.markdown.strip() or s.title.strip() != defaults[s.key]]
    return repo.save_report_texts(year, [(s.key, s.title, s.markdown, s.version) for s in todo])


def planned_projects(repo: Repository) -> tuple[Project, ...]:
    """The planned projects (not archived), by priority, then department and name."""
    return tuple(repo.planned())


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


def set_examples(repo: Repository, year: int, figure: str, project_ids: Sequence[str]) -> None:
    """Pick a figure's examples; each must be one of the projects the figure counts in Y.

    An empty list returns to the default. Refused for a published year: its report is fixed
    (``Repository.set_figure_examples``).
    """
    if figure not in figures.FIGURE_KEYS:
        raise InvalidValue("Kennzahl", f"„{figure}“ gibt es nicht (möglich: {', '.join(figures.FIGURE_KEYS)})")
    figures.check_year(repo, year)
    repo.check_unpublished(year, "Beispielprojekte")  # before the members: that it is fixed is the cause
    members = set(figures.figure_members(repo.db, year)[figure])
    label = next(f.label for f in figures.FIGURES if f.key == figure)
    for pid in project_ids:
        if pid not in members:
            repo.get(pid)  # an unknown ID says so
            raise InvalidValue("Beispielprojekte", f"{pid} zählt {year} nicht zu „{label}“")
    repo.set_figure_examples(year, figure, list(project_ids))


def report_projects(repo: Repository, year: int) -> dict[str, Project]:
    """The project records behind a year's report rows: as published for a published year, else
    the register's current ones (all projects, by ID)."""
    if repo.publication(year) is not None:
        return {p.id: p for p in report_content(repo, year).projects}
    return {p.id: p for p in repo.projects()}


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
    of each department's report (with and without rows), taken in the same transaction."""
    figures.check_year(repo, year)

    def snapshot() -> dict[str, str]:
        content = live_content(repo, year)
        parts = {"content": codec.dumps(content)}
        reports = [(None, content.report)] + [(d.code, figures.report(repo, year, d.code, live=True))
                                               for d in repo.departments()]
        for dept, report in reports:
            parts[figures.report_part(dept)] = codec.dumps(report)
            parts[figures.report_part(dept, rows=False)] = codec.dumps(dataclasses.replace(report, rows=()))
        return parts

    pub = repo.publish(year, snapshot, at=at, by=by)
    return PublishedInfo(pub.at, pub.by)


def _city(repo: Repository) -> str:
    city = repo.city()
    return city.name if city else ""


_COMPARED_FIELDS = ("department", "name", "description", "planned_cost", "cost_note", "start", "end")


def published_changes(repo: Repository, year: int) -> list[str]:
    """What differs between a published year's report and the register now, one German line each
    (figures, projects in or out of the report and their fields, funding, texts, examples, planned
    projects), with who changed a project field last and when. Empty when unpublished or unchanged.
    """
    from .models import display_value, field_label

    pub = repo.publication(year)
    if pub is None:
        return []
    then = report_content(repo, year)
    now = live_content(repo, year)
    out: list[str] = []
    for old, new in zip(then.report.figures, now.report.figures, strict=False):
        if old.value != new.value:
            out.append(f"Kennzahl „{old.label}“: veröffentlicht {old.value}, jetzt {new.value}")
    old_rows = {r.id: r for r in then.report.rows}
    new_rows = {r.id: r for r in now.report.rows}
    for pid in sorted(old_rows.keys() - new_rows.keys()):
        out.append(f"{pid} {old_rows[pid].name}: nicht mehr in der Projekttabelle")
    for pid in sorted(new_rows.keys() - old_rows.keys()):
        out.append(f"{pid} {new_rows[pid].name}: neu in der Projekttabelle")
    last = _last_changes(repo, pub.at)
    old_p = {p.id: p for p in then.projects}
    new_p = {p.id: p for p in now.projects}
    for pid in sorted(old_p.keys() & new_p.keys()):
        a, b = old_p[pid], new_p[pid]
        names = [*_COMPARED_FIELDS, progress_key(year - 1), progress_key(year)]
        for name in names:
            if a.value(name) != b.value(name):
                who = last.get((pid, name))
                by = f" (geändert am {who[0]:%d.%m.%Y} von {who[1]})" if who else ""
                out.append(f"{pid} {a.name}: {field_label(name)} „{display_value(a.value(name))}“ → "
                           f"„{display_value(b.value(name))}“{by}")
    old_f, new_f = then.report.funding, now.report.funding
    for label, x, y in (("Gesamtkosten", old_f.total_cost, new_f.total_cost),
                        ("Förderung", old_f.funding_total, new_f.funding_total),
                        ("Förderung Stadt", old_f.funding_city, new_f.funding_city)):
        if x != y:
            out.append(f"Förderprojekte, Summe {label}: veröffentlicht {display_value(x)}, jetzt {display_value(y)}")
    for a_t, b_t in zip(then.texts, now.texts, strict=False):
        if (a_t.title, a_t.markdown) != (b_t.title, b_t.markdown):
            out.append(f"Text „{a_t.title}“ wurde geändert")
    labels = {f.key: f.label for f in figures.FIGURES}
    for key in figures.FIGURE_KEYS:
        a_ids = [p.id for p in then.examples.get(key, ())]
        b_ids = [p.id for p in now.examples.get(key, ())]
        if a_ids != b_ids:
            out.append(f"Beispielprojekte „{labels[key]}“: veröffentlicht {', '.join(a_ids) or 'keine'}, "
                       f"jetzt {', '.join(b_ids) or 'keine'}")
    a_pl = [(p.id, p.priority) for p in then.planned]
    b_pl = [(p.id, p.priority) for p in now.planned]
    if a_pl != b_pl:
        out.append("Geplante Projekte: veröffentlicht " + (", ".join(f"{i} ({n})" for i, n in a_pl) or "keine")
                   + "; jetzt " + (", ".join(f"{i} ({n})" for i, n in b_pl) or "keine"))
    return out


def _last_changes(repo: Repository, since: datetime) -> dict[tuple[str, str], tuple[datetime, str]]:
    """(project ID, field) -> when and by whom it was last changed after ``since``."""
    out: dict[tuple[str, str], tuple[datetime, str]] = {}
    for e in repo.changes_since(since):
        if e.entity == "project":
            out[(e.entity_id, e.field)] = (e.at, e.os_user)
    return out
