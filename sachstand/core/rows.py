"""Projects as rows: the column list, periods to and from their stored columns, loading by IDs.

Rules:
- A period is stored as first day, last day and precision; ``period_from_row`` is cached, since
  periods are immutable and repeat across rows.
- Up to ``FEW_IDS`` IDs are looked up as ``IN (?, …)``; more go through ``unnest``.
- Projects are listed in ``project_order`` (department, case-folded name, ID) everywhere.
- ``project_table`` reads every project with the progress of the given years as one row each
  (one query, progress pivoted by year in SQL): the register workbook's writers take columns from
  it without building a ``Project`` and a progress dict per project.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .models import Project
from .types import Period, Precision

if TYPE_CHECKING:
    from .engine import duckdb

# Rows per bulk INSERT: one statement for 100,000 projects held about 400 MB when each column was
# a list parameter; batches inside the same transaction keep that flat. A batch of new projects is
# now one text (``apply.ApplyRun._batch_text``): 10,000 a batch took import --apply of 100,000
# from 7.2 to 6.9 s (25,000: 0.60 to 0.55 s for the write) at 266 instead of 255 MiB peak.
INSERT_BATCH = 10_000
ID_PATTERN = re.compile(r"(.+)-([0-9]+)")

PROJECT_COLUMNS = (
    "id, department, name, description, planned_cost, cost_note, start_first, start_precision, "
    "start_text, end_first, end_precision, end_text, archived, version, created_at, updated_at, priority"
)


def id_prefix(department: str) -> str:
    prefix = re.sub(r"[^A-Za-z0-9]", "", department).upper()
    return prefix or "PRJ"


def period_row(p: Period | None) -> tuple[str | None, str | None, str | None]:
    if p is None:
        return None, None, None
    return p.first_day.isoformat(), p.last_day.isoformat(), p.precision.value


@lru_cache(maxsize=16384)
def period_from_row(first: date | None, precision: str | None) -> Period | None:
    """A stored period; cached, since periods are immutable and repeat across rows (quarter ends)."""
    if first is None or precision is None:
        return None
    return Period(first, Precision(precision))


def project_from_row(row: tuple[Any, ...], progress: dict[int, int],
                     shared: dict[object, object] | None = None) -> Project:
    """A project from its row; with ``shared``, equal department codes, descriptions, amounts and
    times (they repeat across a register: one import's rows share their times) are one object."""
    (pid, dept, name, desc, cost, note, s_first, s_prec, s_text, e_first, e_prec, e_text,
     archived, version, created, updated, priority) = row
    if shared is not None:
        keep = shared.setdefault  # texts, Decimals and datetimes never compare equal to each other
        dept, desc, note, s_text, e_text = keep(dept, dept), keep(desc, desc), keep(note, note), \
            keep(s_text, s_text), keep(e_text, e_text)
        cost, created, updated = keep(cost, cost), keep(created, created), keep(updated, updated)
    return Project(
        id=pid, department=dept, name=name, description=desc, planned_cost=cost, cost_note=note,
        start=period_from_row(s_first, s_prec), end=period_from_row(e_first, e_prec), start_text=s_text,
        end_text=e_text, progress=progress, archived=archived, version=version,
        created_at=created, updated_at=updated, priority=priority,
    )


def load_projects(conn: duckdb.DuckDBPyConnection, clause: str, params: dict[str, Any]) -> dict[str, Project]:
    """Projects matching ``clause`` (a WHERE on ``projects``) with their progress, by ID.

    Progress comes one row per project (its years and percents as two lists) and both results
    are read in chunks: at 100,000 projects × 10 years, a million fetched tuples at once took
    250 MB more than the projects they became."""
    by_id: dict[str, dict[int, int]] = {}
    cur = conn.execute(
        "SELECT project_id, list(year ORDER BY year), list(percent ORDER BY year) FROM progress "
        f"WHERE project_id IN (SELECT id FROM projects {clause}) GROUP BY project_id",
        params,
    )
    years: dict[int, int] = {}  # one int object per year, not one per value
    while chunk := cur.fetchmany(FETCH_CHUNK):
        for pid, ys, percents in chunk:
            by_id[pid] = {years.setdefault(y, y): v for y, v in zip(ys, percents, strict=True)}
    out: dict[str, Project] = {}
    shared: dict[object, object] = {}
    cur = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects {clause}", params)
    while chunk := cur.fetchmany(FETCH_CHUNK):
        for r in chunk:
            out[r[0]] = project_from_row(r, by_id.pop(r[0], {}), shared)
    return out


FETCH_CHUNK = 10_000


# Up to this many IDs are looked up as ``IN (?, ?, …)``: DuckDB then skips the blocks of
# ``progress`` that cannot hold them (a fresh connection reads a third as much as with a subquery).
FEW_IDS = 64


def load_by_ids(conn: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, Project]:
    """The projects with these IDs (unknown ones are left out), with their progress."""
    if not ids:
        return {}
    if len(ids) > FEW_IDS:
        return load_projects(conn, "WHERE id IN (SELECT unnest($ids))", {"ids": list(ids)})
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id IN ({marks})", list(ids)).fetchall()
    prog = conn.execute(
        f"SELECT project_id, year, percent FROM progress WHERE project_id IN ({marks}) ORDER BY year", list(ids)
    ).fetchall()
    by_id: dict[str, dict[int, int]] = {}
    for pid, year, percent in prog:
        by_id.setdefault(pid, {})[year] = percent
    return {r[0]: project_from_row(r, by_id.get(r[0], {})) for r in rows}


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


TABLE_FIELDS = (
    "id", "department", "name", "description", "planned_cost", "cost_note", "start_first", "start_precision",
    "start_text", "end_first", "end_precision", "end_text", "archived", "version", "priority",
)
"""The fields of a ``ProjectTable`` row, in order; the progress of ``ProjectTable.years`` follows."""


def project_order(department: str, name: str, pid: str) -> tuple[str, str, str]:
    """The order of projects in lists and workbooks: department, name (case-folded), ID."""
    return department, name.casefold(), pid


@dataclass
class ProjectTable:
    """Projects as plain rows (``TABLE_FIELDS``, then each of ``years``' progress or None), for
    writers that handle a column at a time (the register workbook): no ``Project`` objects and no
    progress dicts."""

    years: list[int]
    rows: list[tuple[Any, ...]]

    def field(self, name: str) -> int:
        """The position of a field (``TABLE_FIELDS``) in a row."""
        return _FIELD_AT[name]

    def year(self, year: int) -> int:
        """The position of a year's progress in a row (one of ``years``)."""
        return len(TABLE_FIELDS) + self.years.index(year)

    def columns(self, rows: Sequence[tuple[Any, ...]] | None = None) -> list[Sequence[Any]]:
        """``rows`` (default: all) a column at a time: one sequence per position of a row."""
        rows = self.rows if rows is None else rows
        return list(zip(*rows, strict=True)) if rows else [()] * (len(TABLE_FIELDS) + len(self.years))

    @classmethod
    def of(cls, projects: Sequence[Project], years: Sequence[int]) -> ProjectTable:
        """The table of these projects (in their order)."""
        rows = []
        for p in projects:
            start, end = period_row(p.start), period_row(p.end)
            rows.append((
                p.id, p.department, p.name, p.description, p.planned_cost, p.cost_note,
                p.start.first_day if p.start else None, start[2], p.start_text,
                p.end.first_day if p.end else None, end[2], p.end_text, p.archived, p.version, p.priority,
                *(p.progress.get(y) for y in years)))
        return cls(list(years), rows)


_FIELD_AT = {name: i for i, name in enumerate(TABLE_FIELDS)}


def project_table(conn: duckdb.DuckDBPyConnection, years: Sequence[int], ids: Sequence[str] | None = None) -> ProjectTable:
    """Every project (archived ones too) with its progress of ``years``, from one query, in
    ``project_order``; with ``ids`` only those, in that order (unknown IDs are left out)."""
    columns = ", ".join(f"p.{name}" for name in TABLE_FIELDS)
    values = "".join(f", g.y{i}" for i in range(len(years)))
    progress = where = ""
    params: dict[str, Any] = {}
    if years:
        pivot = ", ".join(f"max(percent) FILTER (WHERE year = {int(y)}) AS y{i}" for i, y in enumerate(years))
        progress = f"LEFT JOIN (SELECT project_id, {pivot} FROM progress GROUP BY project_id) g ON g.project_id = p.id"
    if ids is not None:
        where, params = "WHERE p.id IN (SELECT unnest($ids))", {"ids": list(ids)}
    rows = conn.execute(f"SELECT {columns}{values} FROM projects p {progress} {where}", params).fetchall()
    if ids is None:
        rows.sort(key=lambda r: project_order(r[1], r[2], r[0]))
    else:
        at: dict[str, int] = {}
        for n, pid in enumerate(ids):
            at.setdefault(pid, n)
        rows.sort(key=lambda r: at[r[0]])
    return ProjectTable(list(years), rows)
