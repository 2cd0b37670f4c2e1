"""The dry run of an import: one typed result per row, shared by the preview and ``--apply``.

Rules:
- The register is loaded once (all projects, archived ones included) and every row is compared
  in Python; there is never a query per row.
- Each row ends as exactly one of: ``new``, ``update``, ``unchanged``, ``conflict``, ``error``.
- An empty cell changes nothing. Values equal to the stored ones are no change.
- Rows with an ID are matched by it; rows without one by Bereich plus name (ignoring case);
  unknown rows become new projects, and unknown departments are added (overview layout only).
- A template changes only projects of its own department; other IDs are problems.
- A template row whose register version moved on since the export is compared three ways per
  field (file, register, the value at the file's version from the audit log): only a field both
  sides changed differently is a conflict; both values are reported, with the row's other changes.
- ``on_conflict`` settles every conflict one way: "file" takes the file's values, "register"
  keeps the register's; the row's other changes apply either way, and the audit names the choice.
  Unsettled, a conflict stops the whole import (nothing is applied).
- A returned template's projects that have no row in it any more are listed as missing
  ("nicht zurückgemeldet"); nothing is changed for them.
- The ``ChangeSet`` holds every change of every file; it is applied only when there is no
  problem and no conflict at all (all or nothing).
- A file of the overview layout is planned on whole columns, a block of rows at a time
  (``plan_columns``): each distinct value of a column is parsed once, by the same per-cell
  parser a single row uses (``_Planner._cell``). A row whose cells all parse and that plainly
  becomes a new project, or shows a known project as stored, is planned from those values; every
  other row goes through the per-row path (``_row``), so each problem, cell and message is the
  one that path gives (``tests/test_import_columns.py`` plans files both ways and compares).
- After ``MAX_PROBLEMS`` problems the remaining rows are not checked (one more problem says so):
  the import cannot be applied anyway, and a hostile file within the size limits could otherwise
  make millions of them (3.4 GB for 1.7 million).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.audit import audit_text
from ..core.changes import (
    ChangeSet,
    NewsChecked,
    ProjectUpdate,
    check,
    check_value,
    code_keys,
    date_order_problem,
    look_alike,
    progress_year,
)
from ..core.errors import InvalidValue
from ..core.models import Department, NewProject, Project, display_value, field_label, match_key
from ..core.repository import Repository
from ..core.types import Period, clean_text
from . import cells
from .plan import (
    KINDS,
    Conflict,
    FieldChange,
    ImportPlan,
    Missing,
    Remark,
    RowResult,
    _version_warnings,
    accepted_years,
    apply_plan,
    check_template_year,
)
from .plan_cells import (
    _SAME,
    _TEXT_KEYS,
    SKIP,
    _at,
    _bad_code,
    _Collector,
    _denied,
    _FirstSeen,
    _period_day,
    _period_text,
    _plain_text,
    _progress_years,
    _same_progress,
    _Shared,
)
from .plan_columns import FAIL, ColumnParser, unchanged
from .reader import ABSENT, MAX_PROBLEMS, PackedRows, Problem, Row, WorkbookData, too_many_problems

if TYPE_CHECKING:
    from .register_book import RegisterExtras

_BLOCK = 4096  # rows parsed column by column at a time

__all__ = ["KINDS", "Conflict", "FieldChange", "ImportPlan", "Missing", "RegisterState", "Remark", "RowResult",
           "accepted_years", "apply_plan", "check_template_year", "plan_import", "register_state"]

@dataclass(frozen=True)
class RegisterState:
    """The register as an import plans against it, read in one transaction: its years, every
    project by ID (archived ones included), and the department codes."""

    years: list[int]
    projects: dict[str, Project]
    departments: set[str]


def register_state(repo: Repository) -> RegisterState:
    """Read the register's ``RegisterState`` (one read connection)."""
    with repo.db.read():
        return RegisterState(repo.years(), {p.id: p for p in repo.projects(include_archived=True)},
                             {d.code for d in repo.departments()})


def plan_import(repo: Repository, files: Sequence[WorkbookData], year: int | None = None,
                on_conflict: str | None = None, consume: bool = False,
                state: RegisterState | None = None) -> ImportPlan:
    """The plan of importing ``files``; with ``consume``, each file's rows are released as they
    are planned (``data.rows`` ends empty), so a large file is never held twice.

    ``state``: the register as read before the files were (``register_state``; ``import`` reads
    it while calamine parses its first file). It is used as it is unless a template's project
    has moved on since its export: the three-way comparison needs the audit log read in the same
    transaction as the projects, so the register is then read again, together with it."""
    stale: dict[str, int] = {}
    since: dict[str, dict[str, str | None]] = {}
    if state is not None:
        stale = _stale(files, state.projects)
    if state is None or stale:
        with repo.db.read():  # one connection: one consistent state of the register for the whole plan
            state = register_state(repo)
            stale = _stale(files, state.projects)
            since = repo.changed_since(stale)
    for data in files:
        check_template_year(data, state.years, year)
    planner = _Planner(repo, state.projects, state.departments, since)
    planner.restore = not state.projects  # an empty register takes a register workbook's IDs and extra sheets
    planner.on_conflict = on_conflict
    planner.consume = consume
    plan = planner.run(files)
    plan.on_conflict = on_conflict
    plan.missing = _missing(files, plan.rows, state.projects)
    return plan


def _stale(files: Sequence[WorkbookData], projects: dict[str, Project]) -> dict[str, int]:
    """The projects of the files' templates whose register version moved on since the export,
    with the version each template was exported at."""
    return {pid: v for data in files if data.meta for pid, v in data.meta.versions.items()
            if pid in projects and projects[pid].version != v}


def _missing(files: Sequence[WorkbookData], rows: Sequence[RowResult], projects: dict[str, Project]) -> list[Missing]:
    """Projects a template was sent with whose rows are no longer in the returned file."""
    out = []
    for data in files:
        if not data.is_template or data.meta is None:
            continue
        seen = {r.project_id for r in rows if r.file == data.name and r.project_id}
        for pid in data.meta.versions:
            if pid not in seen and (p := projects.get(pid)) is not None and not p.archived:
                out.append(Missing(data.name, pid, p.department, p.name))
    return out


class _Planner:
    #: False plans every row on its own (``_row``); the equivalence test compares both ways
    whole_columns = True

    def __init__(self, repo: Repository, projects: dict[str, Project], departments: set[str],
                 since: dict[str, dict[str, str | None]] | None = None) -> None:
        self.actor = repo.actor
        self.projects = projects
        self.departments = departments
        self.since = since or {}
        self._by_name: dict[tuple[str, str], Project] | None = None
        self._archived_by_name: dict[tuple[str, str], Project] | None = None
        self._code_keys: tuple[int, dict[str, str]] | None = None
        self._same_for: dict[int, dict[str, object]] = {}
        self.seen_ids: dict[str, tuple[str, int]] = {}
        self.seen_new = _FirstSeen()
        self.new_departments: dict[str, Department] = {}
        self.rows: list[RowResult] = []
        self.updates: list[ProjectUpdate] = []
        self.news: list[NewProject] = []
        self.news_checked: NewsChecked | None = None  # ``check``'s proof for ``news``, once they passed
        # each new project's row and its file's columns (two lists: no tuple per row)
        self.new_rows: list[RowResult] = []
        self.new_where: list[Mapping[str, str]] = []
        self.restore = False
        self.on_conflict: str | None = None
        self.consume = False
        self.shared = _Shared()

    @property
    def by_name(self) -> dict[tuple[str, str], Project]:
        """Projects by ``match_key`` (department and name, ignoring case and runs of white space);
        built only when a row has no ID."""
        if self._by_name is None:
            self._by_name = {
                match_key(p.department, p.name): p for p in self.projects.values() if not p.archived
            }
        return self._by_name

    @property
    def archived_by_name(self) -> dict[tuple[str, str], Project]:
        """Archived projects by ``match_key``: a row without an ID that names one is refused like
        a row with its ID, instead of becoming a second project of that name."""
        if self._archived_by_name is None:
            self._archived_by_name = {
                match_key(p.department, p.name): p for p in self.projects.values() if p.archived
            }
        return self._archived_by_name

    def look_alike(self, code: str) -> str:
        """Why ``code`` cannot become a new department beside the known and the planned ones
        (``changes.look_alike``), or ""; a register restored from its own workbook keeps its codes."""
        if self.restore:
            return ""
        planned = len(self.new_departments)
        if self._code_keys is None or self._code_keys[0] != planned:
            self._code_keys = planned, code_keys(self.departments | set(self.new_departments))
        return look_alike(code, self._code_keys[1]) or ""

    def _checks(self, data: WorkbookData) -> dict[str, object]:
        """Per column of a file: ``SKIP``, or the fast "same as stored" check of ``_SAME``."""
        key = id(data)
        if key not in self._same_for:
            out: dict[str, object] = {}
            for k in data.columns:
                if k in ("id", "remarks") or (k == "department" and data.is_template):
                    out[k] = SKIP
                else:
                    out[k] = _SAME.get(k) or (_same_progress if progress_year(k) is not None else None)
            self._same_for[key] = out
        return self._same_for[key]

    def restoring(self, data: WorkbookData) -> bool:
        """A register workbook going into an empty register: IDs, archive and extra sheets are kept."""
        return self.restore and data.extras is not None

    def run(self, files: Sequence[WorkbookData]) -> ImportPlan:
        problems: list[Problem] = []
        remarks: list[Remark] = []
        funded: list = []
        reported: dict[int, dict[str, int]] = {}
        city = None
        for data in files:
            problems.extend(data.problems)
            sources = [data]
            if self.restoring(data):
                extras: RegisterExtras = data.extras
                for code, name in extras.departments.items():
                    if code not in self.departments:
                        self.new_departments.setdefault(code, Department(code, name))
                if extras.archive is not None:
                    sources.append(extras.archive)
                    extras.archive.extras = extras
                funded += extras.funded
                reported.update(extras.reported)
                city = extras.city or city
            if not self._plan_rows(data, sources, problems, remarks):
                break
        if self.consume:  # rows left after too many problems
            for data in files:
                data.rows.clear()
                if data.extras is not None and data.extras.archive is not None:
                    data.extras.archive.rows.clear()
        self.seen_new = _FirstSeen()  # needed only while rows are planned
        if self.news and len(problems) < MAX_PROBLEMS:
            problems.extend(self._check_news())
        self.new_rows, self.new_where = [], []
        cs = ChangeSet(new_departments=list(self.new_departments.values()), new_projects=self.news,
                       updates=self.updates, funded_projects=funded, reported_figures=reported, city=city,
                       absent_names=True, restoring=self.restore and any(self.restoring(d) for d in files),
                       news_checked=self.news_checked)
        return ImportPlan(list(files), self.rows, problems, cs, remarks, _version_warnings(files, self.rows))

    def _plan_rows(self, data: WorkbookData, sources: Sequence[WorkbookData], problems: list[Problem],
                   remarks: list[Remark]) -> bool:
        """Plan the rows of ``data`` (and its archive); False once there are too many problems."""
        for source in sources:
            if not self._plan_source(source, problems, remarks):
                problems.append(too_many_problems(data.name))
                return False
        return True

    def _done(self, data: WorkbookData, result: RowResult, note: object, number: int, problems: list[Problem],
              remarks: list[Remark]) -> None:
        """A planned row into the plan: its problems, the row, its remark ("Bemerkungen")."""
        problems.extend(result.problems)
        self.rows.append(result)
        if note not in (None, "", ABSENT) and (text := clean_text(str(note))):
            remarks.append(Remark(data.name, f"{data.rows.where['remarks']}{number}", result.project_id or result.name,
                                  text))

    def _plan_source(self, data: WorkbookData, problems: list[Problem], remarks: list[Remark]) -> bool:
        """Plan each row in order; False once there are too many problems (bounded memory: the
        import cannot be applied anyway). A file of the overview layout is planned block by block
        on whole columns (``plan_columns``): a row whose cells all parse and that plainly becomes
        a new project, or shows a known one as stored, is planned from the parsed columns; every
        other row (an ID, a refused cell, a change, a duplicate, any problem) goes through the
        per-row path, ``_row``."""
        rows = data.rows
        keys = rows.keys
        if not self.whole_columns or data.is_template or "name" not in keys or "department" not in keys:
            for row in self._take(rows):
                if len(problems) >= MAX_PROBLEMS:
                    return False
                self._done(data, self._row(data, row), row.values.get("remarks"), row.number, problems, remarks)
            return True
        at = {k: i for i, k in enumerate(keys)}
        progress = [(at[k], year) for k, year in _progress_years(data.columns) if k in at]
        years = [year for _c, year in progress]
        parser = ColumnParser(self._column_value)
        departments = self.departments
        by_name = self.by_name
        archived = self.archived_by_name
        planned = self.new_departments
        where = rows.where
        usable: dict[str, bool] = {}
        series: dict[tuple[int | None, ...], dict[int, int]] = {}
        compare = [(c, k, progress_year(k)) for k, c in at.items() if k not in ("id", "remarks")]
        for begin in range(0, len(rows), _BLOCK):
            numbers, raw = rows.columns(begin, begin + _BLOCK)
            # rows with an ID or a percentage cell go through ``_row``; a block of only those is not parsed
            slow = {i for i in range(len(numbers)) if rows.has_shares(begin + i)}
            if "id" in at:
                slow.update(i for i, v in enumerate(raw[at["id"]]) if v is not ABSENT)
            if len(slow) == len(numbers):
                for j, number in enumerate(numbers):
                    if len(problems) >= MAX_PROBLEMS:
                        return False
                    row = rows[begin + j]
                    self._done(data, self._row(data, row), row.values.get("remarks"), number, problems, remarks)
                continue
            parsed: list[list[Any]] = [col if k in ("id", "remarks") else parser.column(k, col)
                                       for k, col in zip(keys, raw, strict=True)]
            for k, col in zip(keys, parsed, strict=True):
                if k not in ("id", "remarks") and FAIL in col:
                    slow.update(i for i, v in enumerate(col) if v is FAIL)
            nothing: list[Any] = [None] * len(numbers)
            dept_c, name_c = parsed[at["department"]], parsed[at["name"]]
            desc_c = parsed[at["description"]] if "description" in at else nothing
            cost_c = parsed[at["planned_cost"]] if "planned_cost" in at else nothing
            note_c = parsed[at["cost_note"]] if "cost_note" in at else None
            note_raw = raw[at["cost_note"]] if "cost_note" in at else None
            start_c = parsed[at["start"]] if "start" in at else nothing
            end_c = parsed[at["end"]] if "end" in at else nothing
            remarks_c = raw[at["remarks"]] if "remarks" in at else None
            percents = list(zip(*(parsed[c] for c, _y in progress), strict=True)) if progress else None
            done = self.rows.append
            for j, number in enumerate(numbers):
                if len(problems) >= MAX_PROBLEMS:
                    return False
                result = None
                dept, name = dept_c[j], name_c[j]
                if j not in slow and dept is not None and name:
                    note_given = note_raw is not None and note_raw[j] is not ABSENT
                    key = match_key(dept, name)
                    project = by_name.get(key) if by_name else None
                    if project is None:
                        # a department not yet planned is asked again: a code planned meanwhile may read alike
                        ok = usable.get(dept) if dept in departments or dept in planned else None
                        if ok is None:
                            ok = usable[dept] = self.actor.can_write(dept) and (
                                dept in departments or not (_bad_code(dept) or self.look_alike(dept)))
                        start, end = start_c[j], end_c[j]
                        if ok and key not in archived and date_order_problem(start, end) is None \
                                and self.seen_new.first_of(key, data.name, number) is None:
                            result = self._made_new(data, number, dept, name, desc_c[j],
                                                    cost_c[j], note_given, note_c[j] if note_c is not None else None,
                                                    start, end, percents[j] if percents is not None else (),
                                                    years, series)
                            self.new_where.append(where)
                    elif project.id not in self.seen_ids and unchanged(project, j, parsed, compare, note_given):
                        self.seen_ids[project.id] = (data.name, number)
                        result = RowResult(data.name, number, "unchanged", project.id, project.department,
                                           project.name, changes=[])
                if result is None:
                    note = remarks_c[j] if remarks_c is not None else None
                    self._done(data, self._row(data, rows[begin + j]), note, number, problems, remarks)
                elif remarks_c is None or remarks_c[j] is ABSENT:
                    done(result)
                else:
                    self._done(data, result, remarks_c[j], number, problems, remarks)
        if self.consume:
            rows.clear()
        return True

    def _made_new(self, data: WorkbookData, number: int, department: str, name: str, description: str | None,
                  cost: tuple[Decimal | None, str] | None, note_given: bool, note: str | None, start: Period | None,
                  end: Period | None, percents: tuple[int | None, ...], years: list[int],
                  series: dict[tuple[int | None, ...], dict[int, int]]) -> RowResult:
        """A row of parsed columns that becomes a new project, as ``_new`` makes it; ``cost`` is
        the cost column's (amount, note)."""
        if not note_given:
            note = cost[1] if cost is not None else ""
        progress = series.get(percents)
        if progress is None:
            progress = {year: v for year, v in zip(years, percents, strict=True) if v is not None}
            if progress:
                progress = series[percents] = self.shared.series(progress)
        new = NewProject(  # by position, in the order of its fields: keywords cost a third more
            department, name, description or "", cost[0] if cost is not None else None, note or "", start, end,
            "", "", progress,
        )
        if department not in self.departments and department not in self.new_departments:
            extras: RegisterExtras | None = data.extras
            self.new_departments[department] = Department(
                department, extras.departments.get(department) if extras is not None else None)
        self.news.append(new)
        result = RowResult(data.name, number, "new", None, department, name, new_project=new)
        self.new_rows.append(result)
        return result

    def _column_value(self, key: str, raw: object) -> object:
        """A cell as ``_values`` parses it for a new project (no stored project, no kept text, not
        a percentage cell): its value, None for none, or ``FAIL``; a cost is (amount, note). The
        common cost cell, a float of at most two decimals (``cells.plain_cents``), is what the
        whole path makes of it, without its dispatch: 13,500 distinct amounts took 43 ms so."""
        if key == "planned_cost" and type(raw) is float and (cents := cells.plain_cents(raw)) is not None:
            return self.shared(cents), ""
        out: dict[str, tuple[object, str]] = {}
        try:
            self._cell(out, key, raw, False, None, False, False)
        except (ValueError, InvalidValue):
            return FAIL
        if key == "planned_cost":
            if not out:
                return None
            return (self.shared(out["planned_cost"][0]) if "planned_cost" in out else None,
                    out["cost_note"][0] if "cost_note" in out else "")
        found = out.get(key)
        if found is None:
            return None
        return self.shared(found[0]) if key in ("start", "end") else found[0]

    def _check_news(self) -> list[Problem]:
        """The new projects through ``changes.check``, the check apply runs: the per-cell pass used
        the same rules, so a sound plan passes; a problem found here is put at its project's row
        (in its field's column when the file has one), and the project leaves the plan."""
        known = self.departments | set(self.new_departments)
        checked = check(ChangeSet(new_projects=self.news), {}, self.actor, known)
        found = checked.problems
        if not found:
            self.news_checked = checked.news_checked  # the write runs again only what rests on the register
            return []
        out: list[Problem] = []
        dropped: set[int] = set()
        for p in found:
            index = int(p.project.removeprefix("#")) - 1
            result, where = self.new_rows[index], self.new_where[index]
            column = where.get(p.key) or where.get("name") or next(iter(where.values()), "A")
            new = self.news[index]
            year = progress_year(p.key) if p.key else None
            value = new.progress.get(year) if year is not None else getattr(new, p.key, "") if p.key else ""
            item = Problem(result.file, f"{column}{result.row}", display_value(value), p.reason)
            result.problems = [*result.problems, item]
            result.kind, result.new_project = "error", None
            dropped.add(index)
            out.append(item)
        self.news = [n for i, n in enumerate(self.news) if i not in dropped]
        return out

    def _take(self, rows: PackedRows) -> Iterator[Row]:
        """The rows in order; with ``consume`` the file's rows are released once all are handed out
        (each ``Row`` exists only while it is planned)."""
        yield from rows
        if self.consume:
            rows.clear()

    def _row(self, data: WorkbookData, row: Row) -> RowResult:
        problem = _Collector(data.name)
        raw_id = row.values.get("id")
        pid = raw_id if type(raw_id) is str and raw_id in self.projects else problem.parse(row.cell("id"), cells.ident)
        if pid is not None and pid not in self.projects and self.restoring(data):
            return self._restored(data, row, pid, problem)
        if data.is_template and data.meta:
            department: str | None = data.meta.department
        else:
            department = None if pid else self._text(row, "department", problem)
        name = "" if pid else (self._text(row, "name", problem) or "")
        result = RowResult(data.name, row.number, "error", pid, department or "", name)
        if problem.items:
            result.problems = problem.items
            return result
        where = (data.name, row.number)
        project: Project | None = None
        if pid is not None:
            project = self.projects.get(pid)
            id_ref = (row.cell("id") or row.first).ref if (
                project is None or pid in self.seen_ids or project.archived or data.is_template) else ""
            if project is None:
                problem.add(id_ref, pid, f"die Projekt-ID „{pid}“ gibt es nicht im Register")
            elif pid in self.seen_ids:
                problem.add(id_ref, pid, f"die Projekt-ID „{pid}“ kommt mehrfach vor (auch {_at(self.seen_ids[pid])})")
            elif project.archived:
                problem.add(id_ref, pid, f"das Projekt {pid} ist archiviert und wird nicht geändert")
            elif data.is_template and data.meta and project.department != data.meta.department:
                problem.add(id_ref, pid, f"das Projekt {pid} gehört zum Bereich {project.department}; "
                                         f"diese Vorlage ist für {data.meta.department}")
            self.seen_ids.setdefault(pid, where)
        elif department is not None and name:
            project = self.by_name.get(match_key(department, name))
            if project is None and (gone := self.archived_by_name.get(match_key(department, name))) is not None:
                problem.add(row.ref("name"), name, f"das Projekt „{gone.name}“ ({gone.id}) ist archiviert und wird nicht "
                                                   "geändert; ein neues Projekt braucht einen anderen Namen")
            elif project is not None:
                if project.id in self.seen_ids:
                    problem.add(row.ref("name"), name,
                                f"das Projekt „{name}“ kommt mehrfach vor (auch {_at(self.seen_ids[project.id])})")
                self.seen_ids.setdefault(project.id, where)
        if problem.items:
            result.problems = problem.items
            return result
        if project is None:
            return self._new(data, row, result, problem, department)
        result.project_id, result.department = project.id, project.department
        result.name = project.name
        return self._update(data, row, result, problem, project)

    @staticmethod
    def _text(row: Row, key: str, problem: _Collector) -> str | None:
        """The cell's text (``cells.text``), or None with a problem at the cell."""
        found = _plain_text(row.values.get(key))
        if found is SKIP:
            return problem.parse(row.cell(key), cells.text)
        return found  # type: ignore[return-value]  # _plain_text gives a str or None besides SKIP

    def _restored(self, data: WorkbookData, row: Row, pid: str, problem: _Collector) -> RowResult:
        """A row of a register workbook going into an empty register: a new project with its ID."""
        department = problem.parse(row.cell("department"), cells.text)
        name = problem.parse(row.cell("name"), cells.text) or ""
        result = RowResult(data.name, row.number, "error", pid, department or "", name)
        if pid in self.seen_ids:
            problem.add(row.ref("id"), pid,
                        f"die Projekt-ID „{pid}“ kommt mehrfach vor (auch {_at(self.seen_ids[pid])})")
        self.seen_ids.setdefault(pid, (data.name, row.number))
        return self._new(data, row, result, problem, department, given_id=pid)

    def _values(self, data: WorkbookData, row: Row, problem: _Collector,
                project: Project | None, keep_text: bool = False) -> dict[str, tuple[object, str]]:
        """Parsed non-empty values by field name, each with the key of the column it came from."""
        out: dict[str, tuple[object, str]] = {}
        checks = self._checks(data)
        shares = row.shares
        for key, raw in row.values.items():
            same = checks.get(key)
            if same is SKIP:
                continue
            # mypy is told to ignore the next line: ``same`` is a check of _SAME here (SKIP, a sentinel
            # object, is not narrowed away)
            if project is not None and same is not None and same(key, raw, shares, project):  # type: ignore[operator]
                continue
            try:
                self._cell(out, key, raw, key in shares, project, keep_text, "cost_note" in row.values)
            except ValueError as exc:
                problem.add(row.ref(key), cells.shown(raw), str(exc))
            except InvalidValue as exc:
                problem.add(row.ref(key), cells.shown(raw)[:100], exc.message.removeprefix(f"{exc.field}: "))
        return out

    def _cell(self, out: dict[str, tuple[object, str]], key: str, raw: object, share: bool,
              project: Project | None, keep_text: bool, note_given: bool) -> None:
        """One non-empty cell of column ``key`` parsed into ``out`` (field → value and column);
        raises ``ValueError`` or ``InvalidValue`` for a cell that is refused. ``share``: the cell
        is formatted as a percentage; ``note_given``: the row has a cost note cell of its own."""
        if type(raw) is float and not share and progress_year(key) is not None and 0.0 <= raw <= 100.0 \
                and raw.is_integer():
            out[key] = (int(raw), key)
            return
        if key in _TEXT_KEYS and (text := _plain_text(raw)) is not SKIP:
            if text is not None:
                out[key] = (text, key)
            return
        if type(raw) is date and (key == "start" or key == "end"):
            out[key] = (_period_day(raw), key)
            return
        if key in _TEXT_KEYS:
            value: object = cells.text(raw)
            if value:
                check_value(key, value)
        elif key == "planned_cost":
            cost = cells.money(raw)
            if cost is None:
                return
            if cost.amount is not None:
                out["planned_cost"] = (cost.amount, key)
            if cost.note and not note_given:
                out["cost_note"] = (cost.note, key)
            return
        elif key in ("start", "end"):
            try:
                value = self._period(raw, project, key)
            except ValueError:
                if not (keep_text and type(raw) is str):
                    raise
                out[f"{key}_text"] = (cells.text(raw), key)  # the register's own kept text
                return
        else:
            value = cells.percent(raw, share)
        if value is not None:
            out[key] = (value, key)

    @staticmethod
    def _period(raw: object, project: Project | None, key: str) -> Period | None:
        """A date cell; text equal to the stored non-date text (e.g. "11.05.217") is no change."""
        try:
            return _period_text(raw) if type(raw) is str else cells.period(raw)
        except ValueError:
            stored_text = getattr(project, f"{key}_text", "") if project else ""
            if stored_text and isinstance(raw, str) and clean_text(raw) == stored_text:
                return None
            raise

    def _new(self, data: WorkbookData, row: Row, result: RowResult, problem: _Collector,
             department: str | None, given_id: str | None = None) -> RowResult:
        values = self._values(data, row, problem, None, keep_text=given_id is not None)
        anchor = next(iter(row.values))
        if not result.name:
            problem.add(row.ref("name" if "name" in row.values else anchor), "", "der Name des Projektes fehlt")
        if not department:
            problem.add(row.ref(anchor), "", "der Bereich fehlt")
        elif not self.actor.can_write(department):
            problem.add(row.ref(anchor), department, _denied(self.actor, department, "Projekte anlegen"))
        elif department not in self.departments and (error := _bad_code(department) or self.look_alike(department)):
            problem.add(row.ref("department" if "department" in row.values else anchor), department, error)
        if given_id is None and result.name and department and (
                seen := self.seen_new.first(department, result.name, data.name, row.number)) is not None:
            problem.add(row.ref("name"), result.name,
                        f"das neue Projekt „{result.name}“ kommt mehrfach vor (auch {_at(seen)})")
        start = values.get("start", (None,))[0]
        end = values.get("end", (None,))[0]
        if (reason := date_order_problem(start, end)) is not None:
            problem.add(row.ref(values["end"][1]), display_value(end), reason)
        if problem.items:
            result.problems = problem.items
            return result
        assert department is not None
        progress = {year: values[k][0] for k, year in _progress_years(data.columns) if k in values}
        extras: RegisterExtras | None = data.extras
        if given_id is not None and extras is not None:
            kept = extras.progress.pop(given_id, {}) if self.consume else extras.progress.get(given_id, {})
            progress = {**kept, **progress}
        shared = self.shared
        new = NewProject(
            department=department, name=result.name,
            description=str(values.get("description", ("",))[0]),
            # the parsed values: planned_cost Decimal | None, start/end Period | None, progress year -> int
            planned_cost=shared(values.get("planned_cost", (None,))[0]),  # type: ignore[arg-type]
            cost_note=str(values.get("cost_note", ("",))[0]),
            start=shared(start), end=shared(end), progress=shared.series(progress),  # type: ignore[arg-type]
            start_text=str(values.get("start_text", ("",))[0]), end_text=str(values.get("end_text", ("",))[0]),
            id=given_id, archived=given_id is not None and extras is not None and data is extras.archive,
            priority=extras.priority.get(given_id) if given_id is not None and extras is not None else None,
        )
        if department not in self.departments and department not in self.new_departments:
            name = extras.departments.get(department) if extras is not None else None
            self.new_departments[department] = Department(department, name)
        self.news.append(new)
        self.new_rows.append(result)
        self.new_where.append(row.where)
        result.kind, result.department, result.new_project = "new", department, new
        return result

    def _update(self, data: WorkbookData, row: Row, result: RowResult, problem: _Collector,
                project: Project) -> RowResult:
        values = self._values(data, row, problem, project)
        if "department" in values and values["department"][0] != project.department:
            target = str(values["department"][0])
            if target not in self.departments and (error := _bad_code(target) or self.look_alike(target)):
                problem.add(row.ref(values["department"][1]), target, error)
            elif target not in self.departments and target not in self.new_departments:
                self.new_departments[target] = Department(target, None)
        if problem.items:
            result.problems = problem.items
            return result
        changes: dict[str, object] = {}
        changed: list[FieldChange] = []
        result.changes = changed
        for key, (value, source) in values.items():
            old = project.value(key)
            if value != old:
                changes[key] = value
                changed.append(FieldChange(key, field_label(key), display_value(old), display_value(value),
                                                  row.ref(source)))
        if changes:  # the rules apply enforces across fields (date order, rights): ``changes.check``
            known = self.departments | set(self.new_departments)
            update = ProjectUpdate(project.id, project.version, changes)
            for found in check(ChangeSet(updates=[update]), {project.id: project}, self.actor, known).problems:
                key = found.key if found.key in values else "start" if found.key == "end" and "start" in values else ""
                if key:
                    problem.add(row.ref(values[key][1]), display_value(changes.get(found.key, project.value(found.key))),
                                found.reason)
                else:
                    problem.add((row.cell("id") or row.first).ref, project.id,
                                found.reason.removeprefix("Nicht erlaubt: "))
        if problem.items:
            result.problems, result.changes = problem.items, []
            return result
        if not changes:
            result.kind = "unchanged"
            return result
        file_version = data.meta.versions.get(project.id) if data.meta else None
        if file_version is not None and file_version != project.version:
            return self._stale(data, result, project, changes)
        self.updates.append(ProjectUpdate(project.id, file_version or project.version, changes))
        result.kind = "update"
        return result

    def _stale(self, data: WorkbookData, result: RowResult, project: Project,
               changes: dict[str, object]) -> RowResult:
        """A row of a file made from an older version: a three-way comparison per field.

        A field the register has not changed since is the file's change. A field the register
        changed, whose cell still holds the value of the file's version, was not touched in the
        file: the register's value stays. A field both changed differently is a conflict. When
        the audit cannot account for the versions in between, every change is a conflict.
        """
        base = self.since.get(project.id)
        if base is None or "*" in base:
            clashing = list(result.changes)
        else:
            clashing = [ch for ch in result.changes
                        if ch.field in base and audit_text(changes[ch.field]) != base[ch.field]]
            untouched = {ch.field for ch in result.changes if ch.field in base} - {ch.field for ch in clashing}
            result.changes = [ch for ch in result.changes if ch.field not in untouched]
            changes = {k: v for k, v in changes.items() if k not in untouched}
        if clashing:
            result.kind = "conflict"
            result.conflicts = [
                Conflict(data.name, ch.cell, project.id, ch.field, ch.label, ch.new, ch.old) for ch in clashing
            ]
            clash = {ch.field for ch in clashing}
            if self.on_conflict is None:
                result.changes = [ch for ch in result.changes if ch.field not in clash]  # the row's other changes
                return result
            result.settled = self.on_conflict
            if self.on_conflict == "register":
                result.changes = [ch for ch in result.changes if ch.field not in clash]
                changes = {k: v for k, v in changes.items() if k not in clash}
            if not changes:
                return result
            self.updates.append(ProjectUpdate(project.id, project.version, changes))
            return result
        if not changes:
            result.kind = "unchanged"
            return result
        self.updates.append(ProjectUpdate(project.id, project.version, changes))
        result.kind = "update"
        return result
