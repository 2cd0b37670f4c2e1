"""Projects as rows: the column list, periods to and from their stored columns, loading by IDs.

Rules:
- A period is stored as first day, last day and precision; ``period_from_row`` is cached, since
  periods are immutable and repeat across rows.
- Up to ``FEW_IDS`` IDs are looked up as ``IN (?, …)``; more go through ``unnest``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import duckdb

from .models import Project
from .types import Period, Precision

# Rows per bulk INSERT: DuckDB turns each list parameter into values at once, so one statement
# for 100,000 projects held about 400 MB; batches inside the same transaction keep that flat
# (the first batch's conversion stays allocated: 65 MB at 10,000 projects, 20 MB at 2,000).
INSERT_BATCH = 2_000
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
