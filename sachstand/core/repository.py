"""The register's read and write API. All SQL on projects, departments and the audit log is here.

Rules:
- Every write is one transaction (``Database.write``) and writes an audit row per changed field:
  when, OS user, source (cli, tui, import plus file and SHA-256), entity, field, old and new value.
- Every update carries the row version it read. A stale version refuses the whole write with a
  ``ConflictError`` naming each field with both values: an update is never lost.
- Every change of a project (fields, progress, archive flag) bumps its version by one.
- Values equal to the stored ones are no change: they write nothing and bump nothing.
- Bulk writes pass column lists to ``unnest`` (one statement per table), never ``executemany``.
- Project IDs are department prefix plus a number (``FB11-004``); counters only grow, so an ID is
  never reused, not even after archiving.
- Access is checked here, through ``Actor``, before anything is written.
- Every entry rule (text lengths, department codes, field values, date order) lives in
  ``changes.py``; ``apply`` normalises through it. Audit rows are written by ``audit.py``.
- The city's name and AGS live in the ``meta`` table (keys ``city_name``, ``city_ags``); setting
  them needs the role Administrator and is audited like any other change (entity ``register``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import duckdb

from . import audit
from .access import Actor
from .apply import ApplyRun, insert_funded, set_city, set_reported
from .audit import write_audit
from .changes import (
    ApplyResult,
    ArchiveChange,
    ChangeSet,
    ProjectUpdate,
    check_text,
    progress_key,
)
from .db import Database
from .errors import (
    EMPTY,
    ConflictError,
    FieldConflict,
    InvalidValue,
    NotFound,
    PublishedYear,
)
from .models import (
    AuditEntry,
    City,
    Department,
    FundedProject,
    NewFundedProject,
    NewProject,
    Partner,
    Project,
    Publication,
    ReportText,
)
from .rows import load_by_ids, load_projects
from .text_rules import text_problem, title_problem
from .types import clean_text


class Repository:
    """Reads and writes of the register for one actor; opens a connection per call."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    # ---- reads -------------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT code, name FROM departments ORDER BY code").fetchall()
        return [Department(c, n) for c, n in rows]

    def years(self) -> list[int]:
        """Reporting years that have at least one progress value, ascending."""
        with self.db.read() as conn:
            return [y for (y,) in conn.execute("SELECT DISTINCT year FROM progress ORDER BY year").fetchall()]

    def get(self, project_id: str) -> Project:
        found = self.get_many([project_id])
        if project_id not in found:
            raise NotFound(f"Projekt {project_id} gibt es nicht.")
        return found[project_id]

    def get_many(self, ids: Sequence[str]) -> dict[str, Project]:
        if not ids:
            return {}
        with self.db.read() as conn:
            return load_by_ids(conn, ids)

    def projects(self, include_archived: bool = False, department: str | None = None) -> list[Project]:
        """All projects, ordered by department and name."""
        where, params = [], {}
        if not include_archived:
            where.append("NOT archived")
        if department is not None:
            where.append("department = $dept")
            params["dept"] = department
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        with self.db.read() as conn:
            found = load_projects(conn, clause, params)
        return sorted(found.values(), key=lambda p: (p.department, p.name.casefold(), p.id))

    def planned(self) -> list[Project]:
        """The planned projects (a priority set, not archived), by priority, department, name."""
        with self.db.read() as conn:
            found = load_projects(conn, "WHERE priority IS NOT NULL AND NOT archived", {})
        return sorted(found.values(), key=lambda p: (p.priority, p.department, p.name.casefold(), p.id))

    def audit_for(self, project_id: str, limit: int = 200) -> list[AuditEntry]:
        with self.db.read() as conn:
            return audit.audit_for(conn, project_id, limit)

    def audit_count(self) -> int:
        with self.db.read() as conn:
            return audit.audit_count(conn)

    def changed_since(self, versions: dict[str, int]) -> dict[str, dict[str, str | None]]:
        """See ``audit.changed_since``."""
        if not versions:
            return {}
        with self.db.read() as conn:
            return audit.changed_since(conn, versions)

    def funded_projects(self, project_id: str | None = None) -> list[FundedProject]:
        """Funded projects in table order; with ``project_id`` only those linked to it."""
        with self.db.read() as conn:
            where = "WHERE id IN (SELECT funded_id FROM funded_links WHERE project_id = $pid)" if project_id else ""
            params = {"pid": project_id} if project_id else {}
            rows = conn.execute(
                "SELECT id, programme, title, title_in_table, recipients, start_date, duration_months, "
                f"total_cost, funding_total, funding_city, goals FROM funded_projects {where} ORDER BY id",
                params,
            ).fetchall()
            partners = conn.execute(
                "SELECT funded_id, partner, role FROM funded_partners ORDER BY funded_id, position"
            ).fetchall()
            links = conn.execute("SELECT funded_id, project_id FROM funded_links ORDER BY project_id").fetchall()
        p_by: dict[int, list[Partner]] = {}
        for fid, partner, role in partners:
            p_by.setdefault(fid, []).append(Partner(partner, role))
        l_by: dict[int, list[str]] = {}
        for fid, pid in links:
            l_by.setdefault(fid, []).append(pid)
        return [
            # r[1:] ends before partners and links; mypy cannot see the row's length
            FundedProject(*r[1:], id=r[0], partners=tuple(p_by.get(r[0], [])),  # type: ignore[misc]
                          linked_projects=tuple(l_by.get(r[0], [])))
            for r in rows
        ]

    def city(self) -> City | None:
        """The register's city, or None while none has been set."""
        with self.db.read() as conn:
            meta = dict(conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('city_name', 'city_ags')").fetchall())
        return city_from_meta(meta)

    def reported_figures(self, year: int) -> dict[str, int]:
        with self.db.read() as conn:
            return dict(conn.execute("SELECT figure, value FROM reported_figures WHERE year = ?", [year]).fetchall())

    # ---- writes ------------------------------------------------------------------------------

    def create(self, new: NewProject) -> Project:
        with self.db.write() as conn:  # the saved project is read back inside the same transaction
            result = ApplyRun(conn, self.actor).run(ChangeSet(new_projects=[new]))
            return self.get(result.created[0])

    def update(self, project_id: str, expected_version: int, changes: dict[str, object]) -> Project:
        with self.db.write() as conn:
            ApplyRun(conn, self.actor).run(ChangeSet(updates=[ProjectUpdate(project_id, expected_version, changes)]))
            return self.get(project_id)

    def record_progress(self, project_id: str, year: int, percent: int | None, expected_version: int) -> Project:
        return self.update(project_id, expected_version, {progress_key(year): percent})

    def archive(self, project_id: str, expected_version: int, archived: bool = True) -> Project:
        with self.db.write() as conn:
            ApplyRun(conn, self.actor).run(ChangeSet(archive=[ArchiveChange(project_id, expected_version, archived)]))
            return self.get(project_id)

    def add_department(self, code: str, name: str | None = None) -> None:
        self.apply(ChangeSet(new_departments=[Department(clean_text(code), name)]))

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write a whole change set in one transaction, or nothing.

        Checks, in this order, before writing: permissions, values, departments, versions.
        """
        with self.db.write() as conn:
            return ApplyRun(conn, self.actor).run(changes)

    def add_funded_projects(self, funded: Sequence[NewFundedProject]) -> None:
        """Funded projects from a source file, whose ``linked_projects`` are project names."""
        self.actor.require_admin("Förderprojekte erfassen")
        with self.db.write() as conn:
            name_to_id = dict(conn.execute("SELECT name, id FROM projects WHERE NOT archived").fetchall())
            by_id = []
            for f in funded:
                for name in f.linked_projects:
                    if name not in name_to_id:
                        raise InvalidValue("Förderprojekt", f"„{f.title}“ verweist auf unbekanntes Projekt „{name}“")
                by_id.append(replace(f, linked_projects=tuple(name_to_id[n] for n in f.linked_projects)))
            insert_funded(conn, self.actor, by_id)

    def set_city(self, city: City) -> None:
        """Record the city's name and AGS (None removes the AGS); Administrator only, audited."""
        self.actor.require_admin("Stadt und Gemeindeschlüssel festlegen")
        check_text("Stadt", city.name)
        with self.db.write() as conn:
            set_city(conn, self.actor, city)

    def set_reported_figures(self, year: int, figures: dict[str, int]) -> None:
        """The figures a published report stated, kept to compare against (see ``findings``)."""
        self.actor.require_admin("berichtete Kennzahlen erfassen")
        with self.db.write() as conn:
            set_reported(conn, year, figures)

    # ---- the yearly report: texts, examples per figure, publication ------------------------

    def report_texts(self, year: int) -> dict[str, ReportText]:
        """The stored narrative sections of a year's report, by key."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT year, key, title, markdown, version, updated_at FROM report_texts WHERE year = ?", [year]
            ).fetchall()
        return {r[1]: ReportText(*r) for r in rows}

    def save_report_text(self, year: int, key: str, title: str, markdown: str, expected_version: int) -> ReportText:
        """Store one section; see ``save_report_texts``."""
        self.save_report_texts(year, [(key, title, markdown, expected_version)])
        return self.report_texts(year)[key]

    def save_report_texts(self, year: int, sections: Sequence[tuple[str, str, str, int]]) -> int:
        """Store sections (key, title, markdown, version read; 0: not stored yet) in one
        transaction, all or none; returns how many changed. Audited per field.

        A stale version refuses the whole save (``ConflictError``); values equal to the stored
        ones write nothing and keep the version. A published year's texts stay as published.
        """
        self.actor.require_admin("Berichtstexte ändern")
        cleaned = []
        for key, title, markdown, version in sections:
            title = clean_text(title)
            if not title:
                raise InvalidValue("Überschrift", EMPTY)
            if problem := title_problem(title):
                raise InvalidValue(f"Überschrift „{_short(_CONTROL_SHOWN.sub('?', title))}“", problem)
            markdown = _clean_markdown(markdown)
            if found := text_problem(markdown):
                raise InvalidValue(f"Text „{_short(_CONTROL_SHOWN.sub('?', title))}“", f"Zeile {found[0]}: {found[1]}")
            cleaned.append((key, title, markdown, version))
        labels = {"title": "Überschrift", "markdown": "Text"}
        with self.db.write() as conn:
            stored = {r[0]: r[1:] for r in conn.execute(
                "SELECT key, title, markdown, version FROM report_texts WHERE year = ?", [year]).fetchall()}
            todo, stale = [], []
            for key, title, markdown, expected in cleaned:
                old_title, old_text, version = stored.get(key, (None, None, 0))
                changes = [(f, old, new) for f, old, new in (("title", old_title, title),
                                                             ("markdown", old_text, markdown)) if old != new]
                if version != expected and changes:
                    stale.append(ConflictError(
                        f"Bericht {year} „{old_title or title}“",
                        [FieldConflict(f, labels[f], _short(new), _short(old)) for f, old, new in changes],
                        version, what="den Text",
                    ))
                if changes:
                    todo.append((key, title, markdown, version + 1, changes))
            if todo:  # a published year is the cause, whatever versions the file carries
                _refuse_published(conn, year, "Texte")
            if stale:
                raise stale[0]
            for key, title, markdown, version, changes in todo:
                conn.execute(
                    "INSERT INTO report_texts VALUES ($y, $k, $t, $m, $v, now()::TIMESTAMP) ON CONFLICT (year, key) "
                    "DO UPDATE SET title = excluded.title, markdown = excluded.markdown, version = excluded.version, "
                    "updated_at = excluded.updated_at",
                    {"y": year, "k": key, "t": title, "m": markdown, "v": version},
                )
                write_audit(conn, self.actor, [("report_text", f"{year}:{key}", f, old, new) for f, old, new in changes])
        return len(todo)

    def figure_examples(self, year: int) -> dict[str, list[str]]:
        """The projects IT picked per figure ("Unter anderem folgende Projekte"), in order."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT figure, project_id FROM figure_examples WHERE year = ? ORDER BY figure, position", [year]
            ).fetchall()
        out: dict[str, list[str]] = {}
        for fig, pid in rows:
            out.setdefault(fig, []).append(pid)
        return out

    def set_figure_examples(self, year: int, figure: str, project_ids: Sequence[str]) -> None:
        """Pick the examples of one figure (an empty list returns to the default); audited."""
        self.actor.require_admin("Beispielprojekte festlegen")
        ids = list(dict.fromkeys(project_ids))
        with self.db.write() as conn:
            known = {p for (p,) in conn.execute(
                "SELECT id FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": ids or [""]}).fetchall()}
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFound(f"Projekt {missing[0]} gibt es nicht.")
            old = [p for (p,) in conn.execute(
                "SELECT project_id FROM figure_examples WHERE year = ? AND figure = ? ORDER BY position",
                [year, figure]).fetchall()]
            if old == ids:
                return
            _refuse_published(conn, year, "Beispielprojekte")
            conn.execute("DELETE FROM figure_examples WHERE year = ? AND figure = ?", [year, figure])
            if ids:
                conn.execute(
                    "INSERT INTO figure_examples SELECT $y, $f, unnest($pos), unnest($ids)",
                    {"y": year, "f": figure, "pos": list(range(1, len(ids) + 1)), "ids": ids},
                )
            write_audit(conn, self.actor, [("figure_examples", f"{year}:{figure}", "projects",
                                       ", ".join(old) or None, ", ".join(ids) or None)])

    def check_unpublished(self, year: int, what: str) -> None:
        """Refuse (``PublishedYear``) when the year's report is published: its ``what`` stay."""
        with self.db.read() as conn:
            _refuse_published(conn, year, what)

    def publication(self, year: int) -> Publication | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT year, published_at, published_by FROM published_years WHERE year = ?", [year]
            ).fetchone()
        return Publication(*row) if row else None

    def published_years(self) -> list[int]:
        with self.db.read() as conn:
            return [y for (y,) in conn.execute("SELECT year FROM published_years ORDER BY year").fetchall()]

    def published_part(self, year: int, part: str) -> str | None:
        """One stored part (JSON text) of a published year's snapshot, or None."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM published_parts WHERE year = ? AND part = ?", [year, part]
            ).fetchone()
        return row[0] if row else None

    def publish(self, year: int, snapshot: Callable[[], dict[str, str]], at: datetime | None = None,
                by: str | None = None) -> Publication:
        """Record a year as published, with the snapshot parts ``snapshot()`` makes inside the same
        transaction (so they show exactly the state that was published). Admin only; audited.

        ``at`` and ``by`` default to now and the OS user (the sample passes the council paper's).
        A year is published once; it is refused when it already is.
        """
        self.actor.require_admin("einen Bericht veröffentlichen")
        with self.db.write() as conn:
            done = conn.execute("SELECT published_at FROM published_years WHERE year = ?", [year]).fetchone()
            if done:
                raise PublishedYear(
                    f"Der Bericht {year} ist schon am {done[0]:%d.%m.%Y} veröffentlicht; er bleibt, wie er ist."
                )
            parts = snapshot()
            at = at or datetime.now().replace(microsecond=0)
            by = by or self.actor.user
            conn.execute("INSERT INTO published_years VALUES (?, ?, ?)", [year, at, by])
            conn.execute(
                "INSERT INTO published_parts SELECT $y, unnest($p), unnest($b)",
                {"y": year, "p": list(parts), "b": list(parts.values())},
            )
            write_audit(conn, self.actor, [("report", str(year), "published", None,
                                       f"{at:%d.%m.%Y %H:%M} von {by}")])
        return Publication(year, at, by)

    def changes_since(self, when: datetime) -> list[AuditEntry]:
        """Audit entries written after ``when``, oldest first."""
        with self.db.read() as conn:
            return audit.changes_since(conn, when)


def _refuse_published(conn: duckdb.DuckDBPyConnection, year: int, what: str) -> None:
    done = conn.execute("SELECT published_at FROM published_years WHERE year = ?", [year]).fetchone()
    if done:
        raise PublishedYear(
            f"Der Bericht {year} ist am {done[0]:%d.%m.%Y} veröffentlicht; seine {what} bleiben, wie sie sind."
        )


_CONTROL_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean_markdown(text: str) -> str:
    """A section's Markdown as stored: Unix line ends, no trailing spaces at line ends, no blank
    lines at either end (control characters are refused by ``text_rules``, never dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _short(text: str | None, limit: int = 60) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def city_from_meta(meta: dict[str, str]) -> City | None:
    """The city from the ``meta`` keys ``city_name`` and ``city_ags``; None without a name."""
    if not meta.get("city_name"):
        return None
    return City.stored(meta["city_name"], meta.get("city_ags"))
