"""The report figures for a reporting year Y, each defined once, in SQL.

Every count, flag and sum the CLI, the TUI and the Excel report show comes from here. Archived
projects are left out of everything. With p(Y) the progress recorded for year Y:

- ``projects`` (im Bericht): projects with a value p(Y).
- ``completed`` (abgeschlossen in Y): p(Y) = 100, and p(Y-1) below 100 or missing.
- ``at_least_90`` (mindestens 90 %): 90 <= p(Y) < 100.
- ``started`` (begonnen in Y): p(Y) > 0, and p(Y-1) = 0 — or no p(Y-1) and a start within Y.
- ``stalled`` (stagniert): p(Y-1) = p(Y) < 100.
- ``overdue`` (überfällig): the planned end's period is over on the reference date (its last day
  lies before it) and the latest value up to Y is below 100. The reference date is the end of Y,
  or today if that comes first. Counted over the projects *open in Y* (below).
- A project is *open in Y* when it has a value p(Y) or was not completed before Y (no earlier
  value of 100). The projects table, the templates and the overdue list use this set.
- Each figure's denominator (``Figure.total``, "von N") is the set it counts over
  (``FigureDef.over``): the projects in the report for the five progress figures, the projects
  open in Y for ``overdue`` (a project without a value for Y can be overdue).
- *A project of year Y* at all (the one rule, applied before every figure, list and table above):
  it is not archived, not planned (no priority, see ``models.EDITABLE_FIELDS``) and does not
  start after the end of Y. A project starting in 2021 is in no list of 2020 or 2019.
- A published year (``sachstand publish``) is reported as published: ``report`` returns the
  stored snapshot unless asked for the ``live`` state, and the previous-year column of Y+1 uses
  the published figures of Y.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .db import Background, Database, one_row
from .errors import SachstandError
from .funding import FundingSummary, funding
from .history import WIDTH
from .records import City

if TYPE_CHECKING:
    from .engine import duckdb
    from .models import ProjectRow  # for the hints; ``codec`` resolves them with ``models``' names
    from .repository import Repository


@dataclass(frozen=True)
class FigureDef:
    """A figure's definition: its key, German label and rule, and the set it counts over."""

    key: str
    label: str
    rule: str
    over: str = "projects"
    """The key of the count this figure is taken from: ``projects`` or ``open`` (open in Y)."""


FIGURES: tuple[FigureDef, ...] = (
    FigureDef("projects", "Projekte im Bericht", "mit einem Umsetzungsstand im Berichtsjahr"),
    FigureDef("completed", "Abgeschlossen", "100 % im Berichtsjahr, Vorjahr unter 100 % oder ohne Wert"),
    FigureDef("at_least_90", "Mindestens 90 %", "90 % bis 99 % im Berichtsjahr"),
    FigureDef("started", "Begonnen", "über 0 %, Vorjahr 0 % (ohne Vorjahreswert: Beginn im Berichtsjahr)"),
    FigureDef("stalled", "Stagniert", "gleicher Wert unter 100 % im Vorjahr und im Berichtsjahr"),
    FigureDef("overdue", "Überfällig", "geplantes Ende vor dem Stichtag überschritten, Stand unter 100 %",
              over="open"),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)

REGISTER_PROJECTS = "(SELECT * FROM projects WHERE archived = $archived)"
"""The register's projects the figures count from: all but the archived ones (``$archived`` false),
or the archived ones alone (true), which the terminal UI lists under "archiviert"."""


def status_sql(projects: str = REGISTER_PROJECTS, progress: str | None = None, ids: bool = False,
               listed: bool = False) -> str:
    """The CTEs ending in ``status``: one row per project of year Y with the flags of every figure.

    ``projects`` is a relation (a table, a view or a parenthesised query) with ``id``,
    ``department``, ``priority``, ``start_first``, ``start_last`` and ``end_last`` (more columns
    are passed through). Each project's p(Y), p(Y-1), and, for a project without p(Y), whether a
    value before Y was 100 (``done_before``) and the last value before Y, come from:
    - without ``progress`` (the register): the projects' own ``history_from`` and ``history``
      (``core.history``), read by position: one scan of ``projects``, no join; with ``listed``,
      ``history`` is instead a list of the values (INTEGER[], NULL for a year without one) from
      the year ``history_from`` on (``core.rollup`` builds it from open-data files);
    - with ``progress``, a relation with ``project_id`` (matching ``id``), ``year`` and
      ``percent``: one pass over it grouped by project (``year * 1000 + percent`` orders by year
      first, a percent being below 1000), joined once to ``projects``; the plain definition, which
      the other two must equal (``tests/test_history.py``).
    Parameters: ``$year``, ``$dept`` (or NULL), ``$as_of``, ``$with_planned`` and ``$archived``,
    and with ``ids`` the list ``$ids`` of the only projects to read (``status_params``). The
    ``ids`` limit is a separate text, since ``$ids IS NULL OR …`` is not folded away.
    """
    where = f"""($dept IS NULL OR p.department = $dept){" AND list_contains($ids::VARCHAR[], p.id)" if ids else ""}
        AND ($archived OR p.start_first IS NULL OR p.start_first <= make_date($year, 12, 31))
        AND (p.priority IS NULL OR $with_planned OR $archived)"""
    if progress is None:
        w = WIDTH
        if listed:  # the value of position i, the values before position i
            length, at, before = "len(p.history)", "history[{i}]", "history[1:_i - 1]"
            done_before = f"list_contains({before}, 100)"
            last = f"list_aggregate(list_reverse({before}), 'any_value')"
        else:
            length, before = f"length(p.history) // {w}", f"substring(history, 1, {w} * (_i - 1))"
            at = f"TRY_CAST(substring(history, {w} * {{i}} - 2, 3) AS INTEGER)"
            done_before = f"contains({before}, ',100')"
            last = f"TRY_CAST(right(rtrim({before}, ',-'), 3) AS INTEGER)"
        values = f"""
h AS (
    SELECT p.*, $year - p.history_from + 1 AS _i, {length} AS _n FROM {projects} p WHERE {where}
),
c AS (
    SELECT *, CASE WHEN _i BETWEEN 1 AND _n THEN {at.format(i="_i")} END AS cur,
           CASE WHEN _i BETWEEN 2 AND _n + 1 THEN {at.format(i="(_i - 1)")} END AS prev
    FROM h
),
b AS (
    SELECT *, CASE WHEN cur IS NULL AND _i > 1 THEN {done_before} END AS done_before,
           CASE WHEN cur IS NULL AND _i > 1 THEN {last} END AS last
    FROM c
),
s AS (SELECT *, coalesce(cur, last) AS latest FROM b),"""
    else:
        progress_ids = " AND list_contains($ids::VARCHAR[], project_id)" if ids else ""
        values = f"""
g AS (
    SELECT project_id,
           max(percent) FILTER (WHERE year = $year) AS cur,
           max(percent) FILTER (WHERE year = $year - 1) AS prev,
           bool_or(percent = 100) FILTER (WHERE year < $year) AS done_before,
           max(year * 1000 + percent) FILTER (WHERE year < $year) % 1000 AS last
    FROM {progress} WHERE year <= $year{progress_ids} GROUP BY project_id
),
s AS (
    SELECT p.*, g.cur, g.prev, g.done_before, g.last, coalesce(g.cur, g.last) AS latest
    FROM {projects} p LEFT JOIN g ON g.project_id = p.id
    WHERE {where}
),"""
    return f"""
WITH {values}
flags AS (
    SELECT *,
        priority IS NOT NULL AS planned,
        cur IS NOT NULL AND priority IS NULL AS in_report,
        priority IS NULL AND (cur IS NOT NULL OR done_before IS NOT TRUE) AS open_in_year,
        (cur = 100 AND (prev IS NULL OR prev < 100)) IS TRUE AS completed,
        (cur >= 90 AND cur < 100) IS TRUE AS at_least_90,
        (cur > 0 AND (prev = 0 OR (prev IS NULL AND start_first < make_date($year + 1, 1, 1)
                 AND start_last >= make_date($year, 1, 1)))) IS TRUE AS started,
        (prev = cur AND cur < 100) IS TRUE AS stalled,
        (latest = 100) IS TRUE AS done
    FROM s
),
status AS (
    SELECT *, (open_in_year AND end_last < $as_of AND (latest IS NULL OR latest < 100)) IS TRUE AS overdue
    FROM flags
)
"""


_STATUS_SQL = status_sql()
_STATUS_SQL_IDS = status_sql(ids=True)

COUNT_COLUMNS = """count(*) FILTER (WHERE in_report), count(*) FILTER (WHERE completed),
    count(*) FILTER (WHERE at_least_90), count(*) FILTER (WHERE started),
    count(*) FILTER (WHERE stalled), count(*) FILTER (WHERE overdue)"""
"""The six counts over ``status``, in the order of ``FIGURE_KEYS`` (for a SELECT list)."""


@dataclass(frozen=True)
class Figure:
    """A figure of year Y: its value, the previous year's value (None without one) and its total."""

    key: str
    label: str
    rule: str
    value: int
    previous: int | None
    total: int

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's figures over its projects in the report."""

    code: str
    name: str | None
    projects: int
    planned_cost: Decimal
    mean_progress: Decimal | None
    completed: int


@dataclass(frozen=True)
class Report:
    """Everything the status report of year Y shows (``report``)."""

    year: int
    department: str | None
    as_of: date
    figures: tuple[Figure, ...]
    by_department: tuple[DepartmentFigures, ...]
    funding: FundingSummary
    overdue_ids: tuple[str, ...]
    stalled_ids: tuple[str, ...]
    rows: tuple[ProjectRow, ...]
    """The projects open in Y; empty when the report was made with ``rows=False``, the first of
    each kind only with a number (``report``)."""
    city: City | None = None
    """The register's city (``Repository.city``), shown in every printout's header."""

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    @property
    def overdue(self) -> list[ProjectRow]:
        return [r for r in self.rows if r.overdue]

    @property
    def stalled(self) -> list[ProjectRow]:
        return [r for r in self.rows if r.stalled]

    @property
    def in_report(self) -> list[ProjectRow]:
        return [r for r in self.rows if r.current is not None]


def default_as_of(year: int, today: date | None = None) -> date:
    """The end of Y, or today if that comes first."""
    today = today or date.today()
    return min(date(year, 12, 31), today)


def status_params(year: int, department: str | None = None, as_of: date | None = None,
                  with_planned: bool = False, archived: bool = False,
                  ids: Sequence[str] | None = None) -> dict[str, Any]:
    """The parameters of ``status_sql``. ``ids`` limits it to those projects (a project's flags
    depend on its own rows only, so the limit changes nothing else)."""
    params: dict[str, Any] = {"year": year, "dept": department, "as_of": as_of or default_as_of(year),
                              "with_planned": with_planned, "archived": archived}
    if ids is not None:
        params["ids"] = list(ids)
    return params


def counts(db: Database, year: int, department: str | None = None, as_of: date | None = None) -> dict[str, int]:
    """The six counts for one year, in one query."""
    with db.read() as conn:
        return _counts(conn, year, department, as_of)


def _counts(conn: duckdb.DuckDBPyConnection, year: int, department: str | None, as_of: date | None) -> dict[str, int]:
    row = one_row(conn.execute(_STATUS_SQL + f"SELECT {COUNT_COLUMNS} FROM status",
                               status_params(year, department, as_of)))
    return dict(zip(FIGURE_KEYS, (int(v) for v in row), strict=False))


_NAME_KEY = "CASE WHEN overdue OR stalled THEN lower(s.name) END"  # lower() only for the rows kept


def _year_figures(db: Database, year: int, department: str | None, as_of: date | None
                  ) -> tuple[dict[str, int], tuple[str, ...], tuple[str, ...], list[DepartmentFigures]]:
    """One pass over the year's status, per department: the counts (with ``open``, the projects
    open in Y), the overdue and the stalled IDs (by department, name) and the per-department
    figures of the projects in the report."""
    with db.read() as conn:
        rows = conn.execute(
            _STATUS_SQL + f"""
            , per_department AS (
                SELECT s.department, {COUNT_COLUMNS},
                       coalesce(list(s.id ORDER BY {_NAME_KEY}, s.id) FILTER (WHERE overdue), []),
                       coalesce(list(s.id ORDER BY {_NAME_KEY}, s.id) FILTER (WHERE stalled), []),
                       coalesce(sum(planned_cost) FILTER (WHERE in_report), 0)::DECIMAL(16,2),
                       round(avg(cur) FILTER (WHERE in_report), 1)::DECIMAL(5,1),
                       count(*) FILTER (WHERE in_report AND completed),
                       count(*) FILTER (WHERE open_in_year)
                FROM status s GROUP BY s.department
            )
            SELECT g.*, d.name FROM per_department g LEFT JOIN departments d ON d.code = g.department
            ORDER BY g.department""",
            status_params(year, department, as_of),
        ).fetchall()
    totals = [sum(int(r[i]) for r in rows) for i in range(1, 7)]
    overdue = tuple(pid for r in rows for pid in r[7])
    stalled = tuple(pid for r in rows for pid in r[8])
    departments = [DepartmentFigures(r[0], r[13], r[1], r[9], r[10], r[11]) for r in rows if r[1]]
    found = dict(zip(FIGURE_KEYS, totals, strict=False))
    found["open"] = sum(int(r[12]) for r in rows)
    return found, overdue, stalled, departments


def figure_members(db: Database, year: int, as_of: date | None = None) -> dict[str, tuple[str, ...]]:
    """For each figure, the IDs of the projects it counts (by department, name)."""
    order = "ORDER BY department, lower(name), id"
    with db.read() as conn:
        row = one_row(conn.execute(
            _STATUS_SQL + "SELECT " + ", ".join(
                f"coalesce(list(id {order}) FILTER (WHERE {flag}), [])"
                for flag in ("in_report", "completed", "at_least_90", "started", "stalled", "overdue")
            ) + " FROM status",
            status_params(year, None, as_of),
        ))
    return {key: tuple(ids) for key, ids in zip(FIGURE_KEYS, row, strict=False)}


def project_rows(db: Database, year: int, department: str | None = None, as_of: date | None = None,
                 open_only: bool = True, flagged_only: bool = False,
                 ids: Sequence[str] | None = None, planned: bool = False,
                 archived: bool = False, first: tuple[int, Callable[[list[ProjectRow]], None]] | None = None,
                 each: int | None = None) -> list[ProjectRow]:
    """Projects open in Y (or all, with ``open_only=False``), with their flags; by department, name.

    ``flagged_only`` keeps just the overdue and the stalled ones; ``ids`` just those projects
    (a screen refreshing the row it saved, instead of reloading every row); ``planned`` adds the
    planned projects (without any flag), as the projects screen lists them. ``archived`` gives
    the archived projects instead (all of them, open in Y or not), with their values for Y.
    ``first`` = (n, call): ``call`` gets the first n rows as soon as they are read, before the
    rest (a screen paints its first page meanwhile); all rows are returned as usual.
    ``each`` keeps at most that many of the projects in the report, of the overdue and of the
    stalled ones, the first of each in this order (the tables of a printout), and reads no more.
    """
    if archived:
        open_only = False
    from .models import ProjectRow
    from .rows import period_from_row

    def made(rows: list[tuple[Any, ...]]) -> list[ProjectRow]:
        return [
            ProjectRow(r[0], r[1], r[2], r[3], r[4], r[5], period_from_row(r[6], r[7]), r[8],
                       period_from_row(r[9], r[10]), r[11], r[12], r[13], r[14], r[15], r[16], r[17], archived)
            for r in rows
        ]

    where = "(open_in_year OR planned OR NOT $open_only) AND (overdue OR stalled OR NOT $flagged_only)"
    params = {**status_params(year, department, as_of, planned, archived, ids), "open_only": open_only,
              "flagged_only": flagged_only}
    if each is not None:  # the first of each kind by a top-n aggregate (no sort of every row), then their rows
        key = "{'d': department, 'k': lower(name), 'i': id}"  # the order below, as one comparable value
        with db.read() as conn:
            firsts = one_row(conn.execute(
                (_STATUS_SQL if ids is None else _STATUS_SQL_IDS) + "SELECT " + ", ".join(
                    f"coalesce(min_by(id, {key}, $each) FILTER (WHERE {kind}), [])"
                    for kind in ("cur IS NOT NULL", "overdue", "stalled")) + f" FROM status WHERE {where}",
                {**params, "each": each}))
        return project_rows(db, year, department, as_of, open_only, flagged_only,
                            sorted({pid for kind in firsts for pid in kind}), planned, archived, first)
    with db.read() as conn:
        cursor = conn.execute(
            (_STATUS_SQL if ids is None else _STATUS_SQL_IDS) + f"""
            SELECT id, department, name, description, prev, cur, start_first, start_precision, start_text,
                   end_first, end_precision, end_text, overdue, stalled, done AND NOT planned,
                   at_least_90, version, priority
            FROM status WHERE {where}
            ORDER BY department, lower(name), id""",
            params,
        )
        head: list[ProjectRow] = []
        if first is not None:
            head = made(cursor.fetchmany(first[0]))
            first[1](head)
        rest = cursor.fetchall()
    return head + made(rest) if head else made(rest)


def by_department(db: Database, year: int, department: str | None = None) -> list[DepartmentFigures]:
    """Per department, over the projects in the report: count, planned-cost sum, mean progress."""
    return _year_figures(db, year, department, None)[3]


def check_year(repo: Repository, year: int, department: str | None = None,
               years: list[int] | None = None) -> None:
    """Refuse a year without data and an unknown department, with a German message.

    ``years`` is ``repo.years()`` when the caller has it; without it, only this year is looked
    up, and all years only for the message."""
    if department is not None:
        known = [d.code for d in repo.departments()]
        if department not in known:
            from .changes import no_such_department

            raise no_such_department(department, known)
    if years is None:
        if repo.years_among([year]):
            return
        years = repo.years()
    if year not in years:
        have = ", ".join(map(str, years)) or "keine"
        raise SachstandError(f"Für {year} gibt es keine Umsetzungsstände. Jahre mit Daten: {have}.")


def report_part(department: str | None, rows: bool = True) -> str:
    """The name of a report's part in a published year's snapshot (``rows=False``: the same
    report without its per-project rows, which is all ``summary --json`` needs)."""
    name = "report" if rows else "figures"
    return name if department is None else f"{name}:{department}"


def published_report(repo: Repository, year: int, department: str | None = None,
                     rows: bool = True) -> Report | None:
    """The report of a published year exactly as published, or None."""
    text = None if rows else repo.published_part(year, report_part(department, rows=False))
    text = text or repo.published_part(year, report_part(department))
    if text is None:
        return None
    from . import codec  # cattrs: only for a published year, not on every report

    return codec.loads(Report, text)


def report(repo: Repository, year: int, department: str | None = None, as_of: date | None = None,
           rows: bool | int = True, live: bool = False, years: list[int] | None = None) -> Report:
    """All figures of the status report for year Y (checked with ``check_year`` first).

    A published year gives its stored snapshot (whatever ``as_of`` and ``rows`` say) unless
    ``live`` asks for the register's current state. ``rows=False`` skips the per-project rows
    (the IDs of the overdue and stalled projects stay), for callers that only need the figures,
    such as ``summary --json`` on a large register; a number keeps at most that many of the rows in
    the report, of the overdue and of the stalled ones (``project_rows(each=…)``: the printout's
    tables), the figures being over all projects as always. ``years`` is ``repo.years()`` when the caller
    has it already (without it, only Y and Y-1 are looked up).
    """
    with repo.db.read() as conn:  # one connection for all the queries below
        published_years = set(repo.published_years())  # one query; a year not published has no parts
        if not live and year in published_years:
            published = published_report(repo, year, department, rows=bool(rows))
            if published is not None:
                return published
        if years is None:  # Y and Y-1 looked up in one query; all years only for a refusal's message
            present = repo.years_among([year, year - 1])
            check_year(repo, year, department, sorted(present) if year in present else None)
        else:
            present = set(years)
            check_year(repo, year, department, years)
        as_of = as_of or default_as_of(year)
        before: dict[str, int] | None = None
        earlier = published_report(repo, year - 1, department, rows=False) if year - 1 in published_years else None
        if earlier is not None:
            before = {f.key: f.value for f in earlier.figures}
        counted = earlier is None and year - 1 in present

        def beside(c: duckdb.DuckDBPyConnection) -> tuple[dict[str, int] | None, FundingSummary, City | None]:
            """Y-1's counts (unless published or without data), the funding and the city."""
            found = _counts(c, year - 1, department, default_as_of(year - 1)) if counted else None
            return found, funding(repo, department), repo.city()

        work = None
        if repo.db.writing():  # a snapshot inside the write that publishes it: its own connection
            previous, found_funding, city = beside(conn)
        else:  # on a second cursor beside Y's figures (db.Background)
            work = Background(conn, beside, repo.db)
        with work or contextlib.nullcontext():
            now, overdue_ids, stalled_ids, departments = _year_figures(repo.db, year, department, as_of)
            each = None if rows is True else int(rows)
            listed = tuple(project_rows(repo.db, year, department, as_of, each=each)) if rows else ()
            if work is not None:
                previous, found_funding, city = work.result()
        if previous is not None:
            before = previous
        figures = tuple(
            Figure(d.key, d.label, d.rule, now[d.key], before[d.key] if before else None, now[d.over])
            for d in FIGURES
        )
        return Report(
            year=year, department=department, as_of=as_of, figures=figures,
            by_department=tuple(departments),
            funding=found_funding,
            overdue_ids=overdue_ids,
            stalled_ids=stalled_ids,
            rows=listed,
            city=city,
        )
