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
- The write engine (``apply``, ``changes``, ``audit``) is imported by the writes that use it, so a
  command that only reads (``summary``) does not load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .db import Database
from .errors import NotFound
from .records import City
from .report_store import ReportStore

if TYPE_CHECKING:
    from .access import Actor
    from .changes import ApplyResult, ChangeSet
    from .funded import FundedProject
    from .models import AuditEntry, Department, NewFundedProject, NewProject, Project


class Repository(ReportStore):
    """Reads and writes of the register for one actor; opens a connection per call. The yearly
    report's texts, examples and publication come from ``ReportStore`` (``report_store.py``)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    # ---- reads -------------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        from .models import Department

        with self.db.read() as conn:
            rows = conn.execute("SELECT code, name FROM departments ORDER BY code").fetchall()
        return [Department(c, n) for c, n in rows]

    def years(self) -> list[int]:
        """Reporting years that have at least one progress value, ascending."""
        with self.db.read() as conn:
            return [y for (y,) in conn.execute("SELECT DISTINCT year FROM progress ORDER BY year").fetchall()]

    def latest_year(self) -> int | None:
        """The last of ``years()``, or None: without the pass over every value that lists them all."""
        with self.db.read() as conn:
            row = conn.execute("SELECT max(year) FROM progress").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def years_among(self, years: Sequence[int]) -> set[int]:
        """Those of ``years`` that are in ``years()``: each looked for until its first value is
        found (a few years to check, not all of them to list)."""
        if not years:
            return set()
        probe = " UNION ALL ".join(f"(SELECT {int(y)} FROM progress WHERE year = {int(y)} LIMIT 1)" for y in years)
        with self.db.read() as conn:
            return {y for (y,) in conn.execute(probe).fetchall()}

    def get(self, project_id: str) -> Project:
        found = self.get_many([project_id])
        if project_id not in found:
            raise NotFound(f"Projekt {project_id} gibt es nicht.")
        return found[project_id]

    def get_many(self, ids: Sequence[str]) -> dict[str, Project]:
        if not ids:
            return {}
        from .rows import load_by_ids

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
        from .rows import load_projects, project_order

        with self.db.read() as conn:
            found = load_projects(conn, clause, params)
        return sorted(found.values(), key=lambda p: project_order(p.department, p.name, p.id))

    def project_ids(self, department: str) -> set[str]:
        """The IDs of a department's projects (not archived): ``projects(department=…)`` without
        reading every field of them."""
        with self.db.read() as conn:
            return {pid for (pid,) in conn.execute(
                "SELECT id FROM projects WHERE NOT archived AND department = ?", [department]).fetchall()}

    def planned(self) -> list[Project]:
        """The planned projects (a priority set, not archived), by priority, department, name."""
        from .rows import load_projects

        with self.db.read() as conn:
            found = load_projects(conn, "WHERE priority IS NOT NULL AND NOT archived", {})
        return sorted(found.values(), key=lambda p: (p.priority, p.department, p.name.casefold(), p.id))

    def audit_for(self, project_id: str, limit: int = 200) -> list[AuditEntry]:
        from . import audit

        with self.db.read() as conn:
            return audit.audit_for(conn, project_id, limit)

    def audit_count(self) -> int:
        from . import audit

        with self.db.read() as conn:
            return audit.audit_count(conn)

    def changed_since(self, versions: dict[str, int]) -> dict[str, dict[str, str | None]]:
        """See ``audit.changed_since``."""
        if not versions:
            return {}
        from . import audit

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
            if not rows:  # none: neither their partners and links nor their records are loaded
                return []
            partners = conn.execute(
                "SELECT funded_id, partner, role FROM funded_partners ORDER BY funded_id, position"
            ).fetchall()
            links = conn.execute("SELECT funded_id, project_id FROM funded_links ORDER BY project_id").fetchall()
        from .funded import FundedProject, Partner

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
        from .apply import ApplyRun
        from .changes import ChangeSet

        with self.db.write() as conn:  # the saved project is read back inside the same transaction
            result = ApplyRun(conn, self.actor).run(ChangeSet(new_projects=[new]))
            return self.get(result.created[0])

    def update(self, project_id: str, expected_version: int, changes: dict[str, object]) -> Project:
        from .apply import ApplyRun
        from .changes import ChangeSet, ProjectUpdate

        with self.db.write() as conn:
            ApplyRun(conn, self.actor).run(ChangeSet(updates=[ProjectUpdate(project_id, expected_version, changes)]))
            return self.get(project_id)

    def record_progress(self, project_id: str, year: int, percent: int | None, expected_version: int) -> Project:
        from .models import progress_key

        return self.update(project_id, expected_version, {progress_key(year): percent})

    def archive(self, project_id: str, expected_version: int, archived: bool = True) -> Project:
        from .apply import ApplyRun
        from .changes import ArchiveChange, ChangeSet

        with self.db.write() as conn:
            ApplyRun(conn, self.actor).run(ChangeSet(archive=[ArchiveChange(project_id, expected_version, archived)]))
            return self.get(project_id)

    def add_department(self, code: str, name: str | None = None) -> None:
        from .changes import ChangeSet
        from .models import Department
        from .text import clean_text

        self.apply(ChangeSet(new_departments=[Department(clean_text(code), name)]))

    def apply(self, changes: ChangeSet, release: bool = False) -> ApplyResult:
        """Write a whole change set in one transaction, or nothing.

        Checks, in this order, before writing: permissions, values, departments, versions.
        With ``release`` the change set is spent: its list of new projects is emptied once they
        are checked, and each batch is let go once written; and DuckDB writes with one thread
        (each thread keeps its own buffers: 100,000 new projects peaked 30-50 MB higher with two,
        at the same speed, since the inserts run on one thread anyway). A large import's memory.
        """
        from .apply import ApplyRun

        with self.db.write() as conn:
            if release:
                conn.execute("SET threads = 1")
            return ApplyRun(conn, self.actor, release).run(changes)

    def add_funded_projects(self, funded: Sequence[NewFundedProject]) -> None:
        """Funded projects from a source file, whose ``linked_projects`` are project names."""
        from dataclasses import replace

        from .apply import insert_funded
        from .errors import InvalidValue

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
        from .apply import set_city
        from .changes import check_text

        self.actor.require_admin("Stadt und Gemeindeschlüssel festlegen")
        check_text("Stadt", city.name)
        with self.db.write() as conn:
            set_city(conn, self.actor, city)

    def set_reported_figures(self, year: int, figures: dict[str, int]) -> None:
        """The figures a published report stated, kept to compare against (see ``findings``)."""
        from .apply import set_reported

        self.actor.require_admin("berichtete Kennzahlen erfassen")
        with self.db.write() as conn:
            set_reported(conn, year, figures)

    def changes_since(self, when: datetime) -> list[AuditEntry]:
        """Audit entries written after ``when``, oldest first."""
        from . import audit

        with self.db.read() as conn:
            return audit.changes_since(conn, when)


def city_from_meta(meta: dict[str, str]) -> City | None:
    """The city from the ``meta`` keys ``city_name`` and ``city_ags``; None without a name."""
    if not meta.get("city_name"):
        return None
    return City.stored(meta["city_name"], meta.get("city_ags"))
