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
- Texts (names, descriptions, notes, date texts, department names) are at most ``TEXT_MAX``
  characters, Excel's cell limit, so an export never has to cut one. Department codes are
  checked when they enter the register: printable, at most ``CODE_MAX`` characters, usable in a
  file name (``check_department_code``). ``check_value`` is the one check of a field's value;
  the import calls it per cell, so the TUI and the import get the same rule and message.
- The city's name and AGS live in the ``meta`` table (keys ``city_name``, ``city_ags``); setting
  them needs the role Administrator and is audited like any other change (entity ``register``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import duckdb

from .access import Actor
from .db import Database, one_row
from .errors import ConflictError, FieldConflict, InvalidValue, NotFound, PublishedYear, SachstandError
from .history import keep_history
from .models import (
    EDITABLE_FIELDS,
    REQUIRED_FIELDS,
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
    display_value,
    field_label,
)
from .text_rules import text_problem, title_problem
from .types import MONEY_MAX, Period, Precision, clean_text, format_number

# Rows per bulk INSERT: DuckDB turns each list parameter into values at once, so one statement
# for 100,000 projects held about 400 MB; batches inside the same transaction keep that flat.
INSERT_BATCH = 10_000
_ID = re.compile(r"(.+)-([0-9]+)")

PROJECT_COLUMNS = (
    "id, department, name, description, planned_cost, cost_note, start_first, start_precision, "
    "start_text, end_first, end_precision, end_text, archived, version, created_at, updated_at, priority"
)


@dataclass(frozen=True)
class ProjectUpdate:
    """Changes to one project, keyed by field name (``EDITABLE_FIELDS`` or ``progress:YEAR``)."""

    project_id: str
    expected_version: int
    changes: dict[str, object]


@dataclass
class ChangeSet:
    """Everything one unit of work writes: applied all together, or not at all."""

    new_departments: list[Department] = field(default_factory=list)
    new_projects: list[NewProject] = field(default_factory=list)
    updates: list[ProjectUpdate] = field(default_factory=list)
    archive: list[tuple[str, int, bool]] = field(default_factory=list)
    #: funded projects whose ``linked_projects`` are register project IDs (admin only)
    funded_projects: list[NewFundedProject] = field(default_factory=list)
    #: figures a published report stated, by year (admin only; replaces the year's figures)
    reported_figures: dict[int, dict[str, int]] = field(default_factory=dict)
    #: the register's city (admin only)
    city: City | None = None

    @property
    def empty(self) -> bool:
        return not (self.new_departments or self.new_projects or self.updates or self.archive
                    or self.funded_projects or self.reported_figures or self.city)


@dataclass(frozen=True)
class ApplyResult:
    created: list[str]
    changed_fields: int


def id_prefix(department: str) -> str:
    prefix = re.sub(r"[^A-Za-z0-9]", "", department).upper()
    return prefix or "PRJ"


def _period_row(p: Period | None) -> tuple[str | None, str | None, str | None]:
    if p is None:
        return None, None, None
    return p.first_day.isoformat(), p.last_day.isoformat(), p.precision.value


@lru_cache(maxsize=16384)
def period_from_row(first: date | None, precision: str | None) -> Period | None:
    """A stored period; cached, since periods are immutable and repeat across rows (quarter ends)."""
    if first is None or precision is None:
        return None
    return Period(first, Precision(precision))


def _project_from_row(row: tuple[Any, ...], progress: dict[int, int]) -> Project:
    (pid, dept, name, desc, cost, note, s_first, s_prec, s_text, e_first, e_prec, e_text,
     archived, version, created, updated, priority) = row
    return Project(
        id=pid, department=dept, name=name, description=desc, planned_cost=cost, cost_note=note,
        start=period_from_row(s_first, s_prec), end=period_from_row(e_first, e_prec), start_text=s_text,
        end_text=e_text, progress=progress, archived=archived, version=version,
        created_at=created, updated_at=updated, priority=priority,
    )


def _load_projects(conn: duckdb.DuckDBPyConnection, clause: str, params: dict[str, Any]) -> dict[str, Project]:
    """Projects matching ``clause`` (a WHERE on ``projects``) with their progress, by ID."""
    rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects {clause}", params).fetchall()
    prog = conn.execute(
        f"SELECT project_id, year, percent FROM progress WHERE project_id IN "
        f"(SELECT id FROM projects {clause}) ORDER BY year",
        params,
    ).fetchall()
    by_id: dict[str, dict[int, int]] = {}
    for pid, year, percent in prog:
        by_id.setdefault(pid, {})[year] = percent
    return {r[0]: _project_from_row(r, by_id.get(r[0], {})) for r in rows}


# Up to this many IDs are looked up as ``IN (?, ?, …)``: DuckDB then skips the blocks of
# ``progress`` that cannot hold them (a fresh connection reads a third as much as with a subquery).
FEW_IDS = 64


def _load_by_ids(conn: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, Project]:
    """The projects with these IDs (unknown ones are left out), with their progress."""
    if not ids:
        return {}
    if len(ids) > FEW_IDS:
        return _load_projects(conn, "WHERE id IN (SELECT unnest($ids))", {"ids": list(ids)})
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id IN ({marks})", list(ids)).fetchall()
    prog = conn.execute(
        f"SELECT project_id, year, percent FROM progress WHERE project_id IN ({marks}) ORDER BY year", list(ids)
    ).fetchall()
    by_id: dict[str, dict[int, int]] = {}
    for pid, year, percent in prog:
        by_id.setdefault(pid, {})[year] = percent
    return {r[0]: _project_from_row(r, by_id.get(r[0], {})) for r in rows}


TEXT_MAX = 32_767  # characters: what one Excel cell holds
CODE_MAX = 20
_CODE_PUNCTUATION = frozenset(" .-_&()+,")


def too_long(length: int) -> str:
    """The reason a text of ``length`` characters is refused (shared with the import's cells)."""
    return (f"ist {format_number(length)} Zeichen lang; erlaubt sind höchstens {format_number(TEXT_MAX)} "
            "(so viel fasst eine Excel-Zelle)")


def check_text(label: str, text: str) -> str:
    """Refuse a text longer than ``TEXT_MAX``, and the noncharacters U+FFFE and U+FFFF, which no
    XML part (so no workbook or document) can hold; returns it unchanged."""
    if len(text) > TEXT_MAX:
        raise InvalidValue(label, too_long(len(text)))
    if "\ufffe" in text or "\uffff" in text:
        raise InvalidValue(label, "enthält das Nichtzeichen U+FFFE oder U+FFFF; bitte entfernen")
    return text


def check_department_code(code: str) -> str:
    """A new department's code: trimmed, at most ``CODE_MAX`` characters of letters, digits,
    spaces and ``. - _ & ( ) + ,``, starting with a letter or digit. Such a code is printable
    and usable in a file name (no slash, no control or bidi character)."""
    code = clean_text(code)
    if not code:
        raise InvalidValue("Bereich", "darf nicht leer sein")
    if (len(code) > CODE_MAX or not code[0].isalnum()
            or not all(c.isalnum() or c in _CODE_PUNCTUATION for c in code)):
        raise InvalidValue(
            "Bereich", f"„{code}“ ist kein brauchbares Kürzel: erlaubt sind bis zu {CODE_MAX} Buchstaben, "
            "Ziffern, Leerzeichen und . - _ & ( ) + , (am Anfang ein Buchstabe oder eine Ziffer)",
        )
    return code


def check_value(name: str, value: object) -> object:
    """Check one field value and bring it to its stored form; raises ``InvalidValue``.

    The label is looked up only for an error: a bulk import checks millions of values.
    """
    if name.startswith("progress:"):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise InvalidValue(field_label(name), f"„{value}“ ist keine ganze Zahl von 0 bis 100")
        return value
    if name in REQUIRED_FIELDS:
        text = clean_text(str(value or ""))
        if not text:
            raise InvalidValue(field_label(name), "darf nicht leer sein")
        return check_text(field_label(name), text)
    if name in ("description", "cost_note"):
        return check_text(field_label(name), clean_text(str(value or "")))
    if name == "planned_cost":
        if value is None:
            return None
        if isinstance(value, float) or not isinstance(value, (Decimal, int)):
            raise InvalidValue(field_label(name), "muss ein genauer Eurobetrag sein")
        amount = Decimal(value).quantize(Decimal("0.01"))
        if amount < 0:
            raise InvalidValue(field_label(name), "darf nicht negativ sein")
        if amount > MONEY_MAX:
            raise InvalidValue(field_label(name), "ist zu groß")
        return amount
    if name == "priority":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9999:
            raise InvalidValue(field_label(name), f"„{value}“ ist keine ganze Zahl ab 1")
        return value
    if name in ("start", "end"):
        if value is not None and not isinstance(value, Period):
            raise InvalidValue(field_label(name), "muss ein Datum oder Quartal sein")
        return value
    raise InvalidValue(field_label(name), "ist kein änderbares Feld")


def _check_dates(start: Period | None, end: Period | None) -> None:
    if start and end and end.last_day < start.first_day:
        raise InvalidValue("Geplantes Ende", f"{end.format()} liegt vor dem Beginn {start.format()}")


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
            return _load_by_ids(conn, ids)

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
            found = _load_projects(conn, clause, params)
        return sorted(found.values(), key=lambda p: (p.department, p.name.casefold(), p.id))

    def planned(self) -> list[Project]:
        """The planned projects (a priority set, not archived), by priority, department, name."""
        with self.db.read() as conn:
            found = _load_projects(conn, "WHERE priority IS NOT NULL AND NOT archived", {})
        return sorted(found.values(), key=lambda p: (p.priority, p.department, p.name.casefold(), p.id))

    def audit_for(self, project_id: str, limit: int = 200) -> list[AuditEntry]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT changed_at, os_user, source, source_file, entity, entity_id, field, old_value, new_value "
                "FROM audit WHERE entity = 'project' AND entity_id = ? ORDER BY id DESC LIMIT ?",
                [project_id, limit],
            ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def audit_count(self) -> int:
        with self.db.read() as conn:
            return int(one_row(conn.execute("SELECT count(*) FROM audit"))[0])

    def changed_since(self, versions: dict[str, int]) -> dict[str, dict[str, str | None]]:
        """For each project, the fields changed after the given version, each with the value it
        had at that version (the audit's old value of the first later change, as ``audit_text``).

        A project is left out when the audit cannot account for every version since (changes
        made before the audit recorded versions, or a restore): callers must then assume
        everything may have changed.
        """
        if not versions:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(
                "WITH v AS (SELECT unnest($ids) AS id, unnest($vs) AS since), "
                "later AS (SELECT a.entity_id AS id, a.field, a.old_value, a.id AS seq, a.project_version "
                "FROM audit a JOIN v ON a.entity = 'project' AND a.entity_id = v.id "
                "AND a.project_version > v.since) "
                "SELECT l.id, l.field, arg_min(l.old_value, l.seq), "
                "(SELECT count(DISTINCT project_version) FROM later x WHERE x.id = l.id) "
                "FROM later l GROUP BY l.id, l.field",
                {"ids": list(versions), "vs": list(versions.values())},
            ).fetchall()
            current = dict(conn.execute(
                "SELECT id, version FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": list(versions)}
            ).fetchall())
        out: dict[str, dict[str, str | None]] = {}
        explained: dict[str, int] = {}
        for pid, fld, base, distinct in rows:
            out.setdefault(pid, {})[fld] = base
            explained[pid] = distinct
        return {
            pid: fields for pid, fields in out.items()
            if explained[pid] == current.get(pid, 0) - versions[pid]
        } | {pid: {} for pid, v in versions.items() if current.get(pid) == v}

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
            result = _Apply(conn, self.actor).run(ChangeSet(new_projects=[new]))
            return self.get(result.created[0])

    def update(self, project_id: str, expected_version: int, changes: dict[str, object]) -> Project:
        with self.db.write() as conn:
            _Apply(conn, self.actor).run(ChangeSet(updates=[ProjectUpdate(project_id, expected_version, changes)]))
            return self.get(project_id)

    def record_progress(self, project_id: str, year: int, percent: int | None, expected_version: int) -> Project:
        return self.update(project_id, expected_version, {f"progress:{year}": percent})

    def archive(self, project_id: str, expected_version: int, archived: bool = True) -> Project:
        with self.db.write() as conn:
            _Apply(conn, self.actor).run(ChangeSet(archive=[(project_id, expected_version, archived)]))
            return self.get(project_id)

    def add_department(self, code: str, name: str | None = None) -> None:
        self.apply(ChangeSet(new_departments=[Department(clean_text(code), name)]))

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write a whole change set in one transaction, or nothing.

        Checks, in this order, before writing: permissions, values, departments, versions.
        """
        with self.db.write() as conn:
            return _Apply(conn, self.actor).run(changes)

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
            _insert_funded(conn, self.actor, by_id)

    def set_city(self, city: City) -> None:
        """Record the city's name and AGS (None removes the AGS); Administrator only, audited."""
        self.actor.require_admin("Stadt und Gemeindeschlüssel festlegen")
        check_text("Stadt", city.name)
        with self.db.write() as conn:
            _set_city(conn, self.actor, city)

    def set_reported_figures(self, year: int, figures: dict[str, int]) -> None:
        """The figures a published report stated, kept to compare against (see ``findings``)."""
        self.actor.require_admin("berichtete Kennzahlen erfassen")
        with self.db.write() as conn:
            _set_reported(conn, year, figures)

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
                raise InvalidValue("Überschrift", "darf nicht leer sein")
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
                _audit(conn, self.actor, [("report_text", f"{year}:{key}", f, old, new) for f, old, new in changes])
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
            _audit(conn, self.actor, [("figure_examples", f"{year}:{figure}", "projects",
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
            _audit(conn, self.actor, [("report", str(year), "published", None,
                                       f"{at:%d.%m.%Y %H:%M} von {by}")])
        return Publication(year, at, by)

    def changes_since(self, when: datetime) -> list[AuditEntry]:
        """Audit entries written after ``when``, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT changed_at, os_user, source, source_file, entity, entity_id, field, old_value, new_value "
                "FROM audit WHERE changed_at > ? ORDER BY id", [when],
            ).fetchall()
        return [AuditEntry(*r) for r in rows]


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
    return City(meta["city_name"], meta.get("city_ags"))


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _audit(
    conn: duckdb.DuckDBPyConnection,
    actor: Actor,
    rows: Iterable[tuple[str, str, str, str | None, str | None]],
    versions: dict[str, int] | None = None,
) -> None:
    """Audit rows; ``versions`` gives each project the version the change left it at."""
    rows = list(rows)
    if not rows:
        return
    entity, entity_id, fld, old, new = (list(c) for c in zip(*rows, strict=False))
    versions = versions or {}
    conn.execute(
        "INSERT INTO audit (changed_at, os_user, source, source_file, source_sha256, entity, entity_id, field, "
        "old_value, new_value, project_version) "
        "SELECT now()::TIMESTAMP, $user, $source, $file, $sha, unnest($entity), unnest($eid), unnest($field), "
        "unnest($old::VARCHAR[]), unnest($new::VARCHAR[]), unnest($ver::INTEGER[])",
        {
            "user": actor.user, "source": actor.source, "file": actor.source_file, "sha": actor.source_sha256,
            "entity": entity, "eid": entity_id, "field": fld, "old": old, "new": new,
            "ver": [versions.get(i) if e == "project" else None for e, i in zip(entity, entity_id, strict=False)],
        },
    )


class _Apply:
    """One ``Repository.apply`` run inside an open write transaction."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        self.conn = conn
        self.actor = actor

    def run(self, cs: ChangeSet) -> ApplyResult:
        known = {c for (c,) in self.conn.execute("SELECT code FROM departments").fetchall()}
        new_depts = [d for d in cs.new_departments if d.code not in known]
        for d in new_depts:
            self.actor.require_write(d.code, "Bereich anlegen")
            if check_department_code(d.code) != d.code:
                raise InvalidValue("Bereich", f"„{d.code}“ hat Leerzeichen am Anfang oder Ende")
            check_text("Name des Bereichs", d.name or "")
        departments = known | {d.code for d in new_depts}

        ids = [u.project_id for u in cs.updates] + [a[0] for a in cs.archive]
        if len(set(ids)) != len(ids):
            raise SachstandError("Ein Projekt kommt in einer Änderung mehrfach vor.")
        current = self._current(ids)
        for pid in ids:
            if pid not in current:
                raise NotFound(f"Projekt {pid} gibt es nicht.")

        news = [self._check_new(n, departments) for n in cs.new_projects]
        updates = [self._check_update(u, current[u.project_id], departments) for u in cs.updates]
        for pid, _version, _flag in cs.archive:
            self.actor.require_write(current[pid].department, "Projekte archivieren")
        if cs.funded_projects:
            self.actor.require_admin("Förderprojekte erfassen")
        if cs.reported_figures:
            self.actor.require_admin("berichtete Kennzahlen erfassen")
        if cs.city:
            self.actor.require_admin("Stadt und Gemeindeschlüssel festlegen")
        self._check_versions(cs, current, updates)

        if new_depts:
            self.conn.execute(
                "INSERT INTO departments SELECT unnest($c), unnest($n::VARCHAR[])",
                {"c": [d.code for d in new_depts], "n": [d.name for d in new_depts]},
            )
            _audit(self.conn, self.actor, [("department", d.code, "*", None, d.name or d.code) for d in new_depts])
        created = self._insert(news)
        changed = self._update(updates, current)
        keep_history(self.conn, [pid for pid, n in zip(created, news, strict=True) if n.progress]
                     + [u.project_id for u in updates if any(k.startswith("progress:") for k in u.changes)])
        changed += self._archive(cs.archive, current)
        _insert_funded(self.conn, self.actor, cs.funded_projects)
        for year, stated in cs.reported_figures.items():
            _set_reported(self.conn, year, stated)
        if cs.city:
            _set_city(self.conn, self.actor, cs.city)
        return ApplyResult(created, changed)

    def _current(self, ids: list[str]) -> dict[str, Project]:
        return _load_by_ids(self.conn, ids)

    def _check_new(self, n: NewProject, departments: set[str]) -> NewProject:
        dept = check_value("department", n.department)
        self.actor.require_write(str(dept), "Projekte anlegen")
        if dept not in departments:
            raise InvalidValue("Bereich", f"„{dept}“ gibt es nicht im Register")
        for year, percent in n.progress.items():
            check_value(f"progress:{year}", percent)
        _check_dates(n.start, n.end)
        return NewProject(
            department=str(dept), name=str(check_value("name", n.name)),
            description=str(check_value("description", n.description)),
            planned_cost=check_value("planned_cost", n.planned_cost),  # type: ignore[arg-type]
            cost_note=str(check_value("cost_note", n.cost_note)), start=n.start, end=n.end,
            start_text="" if n.start else check_text(field_label("start"), clean_text(n.start_text)),
            end_text="" if n.end else check_text(field_label("end"), clean_text(n.end_text)),
            progress=dict(n.progress),
            priority=check_value("priority", n.priority),  # type: ignore[arg-type]
            id=n.id, archived=n.archived,
        )

    def _check_update(self, u: ProjectUpdate, cur: Project, departments: set[str]) -> ProjectUpdate:
        self.actor.require_write(cur.department)
        changes: dict[str, object] = {}
        for name, value in u.changes.items():
            if not (name in EDITABLE_FIELDS or re.fullmatch(r"progress:[0-9]{4}", name)):
                raise InvalidValue(name, "ist kein änderbares Feld")
            value = check_value(name, value)
            if value != cur.value(name):
                changes[name] = value
        if "department" in changes:
            target = str(changes["department"])
            if target not in departments:
                raise InvalidValue("Bereich", f"„{target}“ gibt es nicht im Register")
            self.actor.require_write(target, "Projekte in diesen Bereich verschieben")
        start = changes.get("start", cur.start) if "start" in changes else cur.start
        end = changes.get("end", cur.end) if "end" in changes else cur.end
        if "start" in changes or "end" in changes:
            _check_dates(start, end)  # type: ignore[arg-type]
        return ProjectUpdate(u.project_id, u.expected_version, changes)

    def _check_versions(self, cs: ChangeSet, current: dict[str, Project], updates: list[ProjectUpdate]) -> None:
        for u, checked in zip(cs.updates, updates, strict=False):
            cur = current[u.project_id]
            if cur.version != u.expected_version and checked.changes:
                raise ConflictError(
                    u.project_id,
                    [FieldConflict(n, field_label(n), display_value(v), display_value(cur.value(n)))
                     for n, v in checked.changes.items()],
                    cur.version,
                )
        for pid, version, flag in cs.archive:
            cur = current[pid]
            if cur.version != version and cur.archived != flag:
                raise ConflictError(
                    pid, [FieldConflict("archived", "Archiviert", display_value(flag), display_value(cur.archived))],
                    cur.version,
                )

    def _insert(self, news: list[NewProject]) -> list[str]:
        if not news:
            return []
        ids = self._allocate_ids([n.department for n in news if n.id is None])
        ids.reverse()
        ids = [n.id if n.id is not None else ids.pop() for n in news]
        self._keep_given_ids([n.id for n in news if n.id is not None])
        for start in range(0, len(news), INSERT_BATCH):
            self._insert_batch(ids[start:start + INSERT_BATCH], news[start:start + INSERT_BATCH])
        _audit(self.conn, self.actor, [("project", pid, "*", None, n.name) for pid, n in zip(ids, news, strict=False)],
               dict.fromkeys(ids, 1))
        return ids

    def _insert_batch(self, ids: list[str], news: list[NewProject]) -> None:
        cols: dict[str, list[Any]] = {k: [] for k in (
            "id", "dept", "name", "desc", "cost", "note", "sf", "sl", "sp", "st", "ef", "el", "ep", "et", "prio", "arch")}
        for pid, n in zip(ids, news, strict=False):
            sf, sl, sp = _period_row(n.start)
            ef, el, ep = _period_row(n.end)
            for key, value in zip(cols, (pid, n.department, n.name, n.description, _dec(n.planned_cost),
                                         n.cost_note, sf, sl, sp, n.start_text, ef, el, ep, n.end_text,
                                         n.priority, n.archived), strict=False):
                cols[key].append(value)
        self.conn.execute(
            "INSERT INTO projects (id, department, name, description, planned_cost, cost_note, start_first, "
            "start_last, start_precision, start_text, end_first, end_last, end_precision, end_text, archived, "
            "version, created_at, updated_at, priority) "
            "SELECT unnest($id), unnest($dept), unnest($name), unnest($desc), "
            "unnest($cost::VARCHAR[])::DECIMAL(14,2), unnest($note), unnest($sf::VARCHAR[])::DATE, "
            "unnest($sl::VARCHAR[])::DATE, unnest($sp::VARCHAR[]), unnest($st), unnest($ef::VARCHAR[])::DATE, "
            "unnest($el::VARCHAR[])::DATE, unnest($ep::VARCHAR[]), unnest($et), unnest($arch), 1, "
            "now()::TIMESTAMP, now()::TIMESTAMP, unnest($prio::INTEGER[])",
            cols,
        )
        prog = [(pid, sorted(n.progress.items())) for pid, n in zip(ids, news, strict=False) if n.progress]
        if prog:
            # One list of years and one of percents per project: far fewer Python objects to hand over.
            self.conn.execute(
                "INSERT INTO progress SELECT id, unnest(y), unnest(p) FROM (SELECT unnest($a) AS id, "
                "unnest($b::INTEGER[][]) AS y, unnest($c::INTEGER[][]) AS p)",
                {"a": [r[0] for r in prog], "b": [[y for y, _ in r[1]] for r in prog],
                 "c": [[p for _, p in r[1]] for r in prog]},
            )

    def _keep_given_ids(self, given: list[str]) -> None:
        """Given IDs (a register recreated from its workbook) must be new and unique; each
        prefix's counter is raised to the highest number given, so later IDs never collide."""
        if not given:
            return
        if len(set(given)) != len(given):
            raise InvalidValue("Projekt-ID", "kommt mehrfach vor")
        taken = self.conn.execute("SELECT id FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": given}).fetchall()
        if taken:
            raise InvalidValue("Projekt-ID", f"„{taken[0][0]}“ gibt es schon im Register")
        highest: dict[str, int] = {}
        for pid in given:
            if m := _ID.fullmatch(pid):
                highest[m.group(1)] = max(highest.get(m.group(1), 0), int(m.group(2)))
        if highest:
            self.conn.execute(
                "INSERT INTO id_counters SELECT unnest($p), unnest($n) ON CONFLICT (prefix) DO UPDATE "
                "SET last_number = greatest(id_counters.last_number, excluded.last_number)",
                {"p": list(highest), "n": list(highest.values())},
            )

    def _allocate_ids(self, departments: list[str]) -> list[str]:
        if not departments:
            return []
        prefixes = [id_prefix(d) for d in departments]
        wanted = sorted(set(prefixes))
        last = dict(self.conn.execute(
            "SELECT prefix, last_number FROM id_counters WHERE prefix IN (SELECT unnest($p))", {"p": wanted}
        ).fetchall())
        ids = []
        for prefix in prefixes:
            last[prefix] = last.get(prefix, 0) + 1
            ids.append(f"{prefix}-{last[prefix]:03d}")
        self.conn.execute(
            "INSERT INTO id_counters SELECT unnest($p), unnest($n) "
            "ON CONFLICT (prefix) DO UPDATE SET last_number = excluded.last_number",
            {"p": list(last), "n": list(last.values())},
        )
        return ids

    def _update(self, updates: list[ProjectUpdate], current: dict[str, Project]) -> int:
        by_field: dict[str, list[tuple[str, object]]] = {}
        audit_rows = []
        touched = []
        for u in updates:
            if not u.changes:
                continue
            touched.append(u.project_id)
            cur = current[u.project_id]
            for name, value in u.changes.items():
                by_field.setdefault(name, []).append((u.project_id, value))
                audit_rows.append(("project", u.project_id, name, audit_text(cur.value(name)), audit_text(value)))
        for name, pairs in by_field.items():
            ids = [p for p, _ in pairs]
            values = [v for _, v in pairs]
            if name.startswith("progress:"):
                self._write_progress(int(name.split(":")[1]), ids, values)
            elif name in ("start", "end"):
                rows = [_period_row(v) for v in values]  # type: ignore[arg-type]
                self.conn.execute(
                    f"UPDATE projects SET {name}_first = u.f::DATE, {name}_last = u.l::DATE, "
                    f"{name}_precision = u.p, {name}_text = '' FROM (SELECT unnest($ids) AS id, "
                    "unnest($f::VARCHAR[]) AS f, unnest($l::VARCHAR[]) AS l, unnest($p::VARCHAR[]) AS p) u "
                    "WHERE projects.id = u.id",
                    {"ids": ids, "f": [r[0] for r in rows], "l": [r[1] for r in rows], "p": [r[2] for r in rows]},
                )
            else:
                cast = {"planned_cost": "::DECIMAL(14,2)", "priority": "::INTEGER"}.get(name, "")
                vals = [_dec(v) if name == "planned_cost" else (None if v is None else str(v))  # type: ignore[arg-type]
                        for v in values]
                self.conn.execute(
                    f"UPDATE projects SET {name} = u.v{cast} FROM (SELECT unnest($ids) AS id, "
                    f"unnest($v::VARCHAR[]) AS v) u WHERE projects.id = u.id",
                    {"ids": ids, "v": vals},
                )
        self._bump(touched)
        _audit(self.conn, self.actor, audit_rows, {pid: current[pid].version + 1 for pid in touched})
        return len(audit_rows)

    def _write_progress(self, year: int, ids: list[str], values: list[object]) -> None:
        set_ids = [i for i, v in zip(ids, values, strict=False) if v is not None]
        set_vals = [v for v in values if v is not None]
        cleared = [i for i, v in zip(ids, values, strict=False) if v is None]
        if set_ids:
            self.conn.execute(
                "INSERT INTO progress SELECT unnest($ids), $year, unnest($v) "
                "ON CONFLICT (project_id, year) DO UPDATE SET percent = excluded.percent",
                {"ids": set_ids, "year": year, "v": set_vals},
            )
        if cleared:
            self.conn.execute(
                "DELETE FROM progress WHERE year = $year AND project_id IN (SELECT unnest($ids))",
                {"ids": cleared, "year": year},
            )

    def _bump(self, ids: list[str]) -> None:
        if ids:
            self.conn.execute(
                "UPDATE projects SET version = version + 1, updated_at = now()::TIMESTAMP "
                "WHERE id IN (SELECT unnest($ids))",
                {"ids": ids},
            )

    def _archive(self, items: list[tuple[str, int, bool]], current: dict[str, Project]) -> int:
        todo = [(pid, flag) for pid, _v, flag in items if current[pid].archived != flag]
        if not todo:
            return 0
        self.conn.execute(
            "UPDATE projects SET archived = u.f FROM (SELECT unnest($ids) AS id, unnest($f) AS f) u "
            "WHERE projects.id = u.id",
            {"ids": [t[0] for t in todo], "f": [t[1] for t in todo]},
        )
        self._bump([t[0] for t in todo])
        _audit(self.conn, self.actor, [
            ("project", pid, "archived", audit_text(not flag), audit_text(flag)) for pid, flag in todo
        ], {pid: current[pid].version + 1 for pid, _flag in todo})
        return len(todo)


def audit_text(value: object) -> str | None:
    """Canonical text of a value in the audit log (decimal point, ISO-free German periods)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return display_value(value)


def _set_reported(conn: duckdb.DuckDBPyConnection, year: int, figures: dict[str, int]) -> None:
    conn.execute("DELETE FROM reported_figures WHERE year = ?", [year])
    if figures:
        conn.execute(
            "INSERT INTO reported_figures SELECT $year, unnest($f), unnest($v)",
            {"year": year, "f": list(figures), "v": list(figures.values())},
        )


def _insert_funded(conn: duckdb.DuckDBPyConnection, actor: Actor, funded: Sequence[NewFundedProject]) -> None:
    """Funded projects with partners and links; ``linked_projects`` must be existing project IDs."""
    if not funded:
        return
    start = int(one_row(conn.execute("SELECT coalesce(max(id), 0) FROM funded_projects"))[0])
    ids = list(range(start + 1, start + 1 + len(funded)))
    wanted = sorted({pid for f in funded for pid in f.linked_projects})
    known = {r[0] for r in conn.execute(
        "SELECT id FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": wanted}).fetchall()} if wanted else set()
    for f in funded:
        for pid in f.linked_projects:
            if pid not in known:
                raise InvalidValue("Förderprojekt", f"„{f.title}“ verweist auf unbekanntes Projekt „{pid}“")
    conn.execute(
        "INSERT INTO funded_projects SELECT unnest($id), unnest($prog), unnest($title), unnest($tt), "
        "unnest($rec), unnest($start::VARCHAR[])::DATE, unnest($dur), unnest($cost::VARCHAR[])::DECIMAL(14,2), "
        "unnest($ft::VARCHAR[])::DECIMAL(14,2), unnest($fc::VARCHAR[])::DECIMAL(14,2), unnest($goals)",
        {
            "id": ids, "prog": [f.programme for f in funded], "title": [f.title for f in funded],
            "tt": [f.title_in_table for f in funded], "rec": [f.recipients for f in funded],
            "start": [f.start.isoformat() if f.start else None for f in funded],
            "dur": [f.duration_months for f in funded],
            "cost": [_dec(f.total_cost) for f in funded], "ft": [_dec(f.funding_total) for f in funded],
            "fc": [_dec(f.funding_city) for f in funded], "goals": [f.goals for f in funded],
        },
    )
    partner_rows = [(fid, i, p.partner, p.role) for fid, f in zip(ids, funded, strict=False) for i, p in enumerate(f.partners)]
    if partner_rows:
        conn.execute(
            "INSERT INTO funded_partners SELECT unnest($a), unnest($b), unnest($c), unnest($d)",
            dict(zip("abcd", map(list, zip(*partner_rows, strict=False)), strict=False)),
        )
    link_rows = [(fid, pid) for fid, f in zip(ids, funded, strict=False) for pid in dict.fromkeys(f.linked_projects)]
    if link_rows:
        conn.execute(
            "INSERT INTO funded_links SELECT unnest($a), unnest($b)",
            {"a": [r[0] for r in link_rows], "b": [r[1] for r in link_rows]},
        )
    _audit(conn, actor, [("funded", str(i), "*", None, f.title) for i, f in zip(ids, funded, strict=False)])


def _set_city(conn: duckdb.DuckDBPyConnection, actor: Actor, city: City) -> None:
    old = dict(conn.execute(
        "SELECT key, value FROM meta WHERE key IN ('city_name', 'city_ags')").fetchall())
    new = {"city_name": city.name, "city_ags": city.ags}
    changed = [(k, old.get(k), v) for k, v in new.items() if old.get(k) != v]
    for key, _old, value in changed:
        if value is None:
            conn.execute("DELETE FROM meta WHERE key = ?", [key])
        else:
            conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
    _audit(conn, actor, [("register", "meta", k, o, v) for k, o, v in changed])
