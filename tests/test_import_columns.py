"""The planner's whole-column path plans exactly what the per-row path plans.

Each workbook is planned twice against the same register: with ``_Planner.whole_columns`` off
(every row through ``_row``) and on (rows parsed column by column, odd rows through ``_row``).
The plans are compared field by field, and by ``repr`` as well, so that equal values of another
type (1 and 1.0, ``Decimal("-0.00")`` and ``Decimal("0.00")``) count as different.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import Repository, init_register, open_register
from sachstand.core.access import resolve_actor
from sachstand.io import diff
from sachstand.io.importing import _read_extras
from sachstand.io.plan import ImportPlan
from sachstand.io.plan_columns import FAIL, ColumnParser
from sachstand.io.reader import ABSENT, read_workbook
from tests.test_roles import write_config

HEADER = ["Bereich", "Name des Projektes", "Kurzbeschreibung", "Geplante Kosten", "Kostenhinweis", "Beginn",
          "Geplantes Ende", "Umsetzungsstand 2019 (in %)", "Umsetzungsstand 2020 (in %)", "Bemerkungen"]

# Department, name, description, cost, cost note, start, end, 2019, 2020, remarks: the common
# rows first, then every kind of odd or refused cell the per-row path knows.
ODD_ROWS: list[list[object]] = [
    ["FB 11", "Schlicht", "Beschreibung", 1234.5, None, date(2020, 1, 1), "Q 4 2021", 10, 20, None],
    ["FB 11", "Schlicht zwei", "Beschreibung", 1234.5, None, date(2020, 1, 1), "Q 4 2021", 10, 20, "Bitte prüfen"],
    ["FB 11", "SCHLICHT", "derselbe Name, andere Schreibung", None, None, None, None, None, None, None],
    ["FB 11", "Schlicht", "derselbe Name noch einmal", None, None, None, None, None, None, "   "],
    ["  FB 36 ", "  Mit Leerzeichen  ", "  ", 0.0, None, "01.06.2017", "06/2020", 0, 100, None],
    ["FB 36", 2020, "Zahl als Name", -0.0, None, 2019, 2022, 0.0, 45, None],
    ["FB/36", "Schlechtes Kürzel", None, None, None, None, None, None, None, None],
    ["Neu 1", "Neuer Bereich", None, 5.0, None, None, None, None, None, None],
    [None, "Ohne Bereich", None, None, None, None, None, None, None, None],
    ["FB 11", None, "ohne Namen", None, None, None, None, None, None, None],
    ["FB 11", "Rückwärts", None, None, None, date(2021, 5, 1), "Q 1 2020", None, None, None],
    ["FB 11", "Drei Stellen", None, 1.005, None, None, None, None, None, None],
    ["FB 11", "Float-Summe", None, 0.1 + 0.2, None, None, None, None, None, None],
    ["FB 11", "Fördersumme", None, "4.000.000 € (Fördersumme)", None, None, None, None, None, None],
    ["FB 11", "Nur Hinweis", None, "Finanzierung über FB 30", None, None, None, None, None, None],
    ["FB 11", "Beide Hinweise", None, "100 € (Schätzung)", "eigener Hinweis", None, None, None, None, None],
    ["FB 11", "Leerer Hinweis", None, "100 € (Schätzung)", "   ", None, None, None, None, None],
    ["FB 11", "Negativ", None, -5, None, None, None, None, None, None],
    ["FB 11", "Riesig", None, 1e16, None, None, None, None, None, None],
    ["FB 11", "Wahrheit", None, True, None, None, None, True, False, None],
    ["FB 11", "Halbe Prozent", None, None, None, None, None, 45.5, 101, None],
    ["FB 11", "Negative Prozent", None, None, None, None, None, -5, "45 %", None],
    ["FB 11", "Ungefähr", None, None, None, None, None, "ca. 50", "50", None],
    ["FB 11", "Jahr 217", None, None, None, "11.05.217", "Q5 2020", None, None, None],
    ["FB 11", "Kein Tag", None, None, None, "31.02.2021", 1899, None, None, None],
    ["FB 11", "Mit Uhrzeit", None, None, None, datetime(2020, 1, 1, 12, 30), datetime(2021, 1, 1), None, None, None],
    ["FB 11", "Zeile\nzwei", "mit\tTab", None, None, None, None, None, None, None],
    ["FB 11", "Steuer", "Text mit \u200b und \u00a0", None, "Hinweis\nmehrzeilig", None, None, None, None, None],
    ["FB 11", "Datum als Kosten", None, date(2020, 1, 1), None, None, None, date(2020, 1, 1), None, None],
    ["Summe", None, None, 9999, None, None, None, None, None, None],
    ["FB 11", "Nach der Summe", None, 1234.5, None, date(2020, 1, 1), "Q 4 2021", 10, 20, None],
    ["fb 11", "Kleiner Bereich", None, 1234.5, None, date(2020, 1, 1), "Q 4 2021", 10, 20, None],
]


def _write(path: Path, header: list[str], rows: list[list[object]], percent: tuple[int, int] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws.append(header)
    for row in rows:
        ws.append(row)
    if percent is not None:  # one cell formatted as a percentage (0.45 shows "45 %")
        ws.cell(row=percent[0], column=percent[1]).number_format = "0%"
    wb.save(path)
    return path


def _plan(repo: Repository, path: Path, columns: bool, monkeypatch: pytest.MonkeyPatch) -> ImportPlan:
    monkeypatch.setattr(diff._Planner, "whole_columns", columns)
    return diff.plan_import(repo, [read_workbook(path, _read_extras)], consume=True)


def _same_both_ways(repo: Repository, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ImportPlan, int]:
    """Both plans, compared; returns the column plan and how many rows it sent through ``_row``."""
    per_row = _plan(repo, path, False, monkeypatch)
    calls = []
    original = diff._Planner._row

    def counted(self, data, row):
        calls.append(row.number)
        return original(self, data, row)

    monkeypatch.setattr(diff._Planner, "_row", counted)
    columns = _plan(repo, path, True, monkeypatch)
    assert len(columns.rows) == len(per_row.rows)
    for a, b in zip(per_row.rows, columns.rows, strict=True):
        assert repr(a) == repr(b)  # kind, ID, department, name, changes, problems, new project
    assert per_row.rows == columns.rows
    assert [repr(p) for p in per_row.problems] == [repr(p) for p in columns.problems]  # cell and message
    assert repr(per_row.changeset) == repr(columns.changeset)  # new projects, departments, updates
    assert per_row.changeset == columns.changeset
    assert (per_row.remarks, per_row.missing, per_row.warnings) == (columns.remarks, columns.missing, columns.warnings)
    return columns, len(calls)


def test_odd_cells_plan_the_same_into_an_empty_register(empty_path: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "odd.xlsx", HEADER, ODD_ROWS)
    plan, slow = _same_both_ways(open_register(empty_path), path, monkeypatch)
    kinds = [r.kind for r in plan.rows]
    assert kinds.count("new") >= 8 and kinds.count("error") >= 15
    assert 0 < slow < len(plan.rows)  # the plain rows were made from the columns
    assert any("mehrfach" in p.message for p in plan.problems)


def test_odd_cells_plan_the_same_against_the_sample(repo: Repository, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows naming the sample's projects: as stored (unchanged), changed, in another spelling,
    twice; beside the odd rows."""
    known = [p for p in repo.projects() if p.start is not None and p.planned_cost is not None][:6]
    rows: list[list[object]] = []
    for i, p in enumerate(known):
        start: object = p.start.first_day if p.start.precision.value == "day" else p.start.format()  # type: ignore[union-attr]
        end: object = p.end.format() if p.end else (p.end_text or None)
        cost: object = float(p.planned_cost)  # type: ignore[arg-type]
        progress = [p.progress.get(2019), p.progress.get(2020)]
        if i == 1:
            progress[1] = 7 if progress[1] != 7 else 8  # a change
        if i == 2:
            cost = str(p.planned_cost).replace(".", ",") + " €"  # the same amount as text
        dept = p.department.lower() if i == 3 else p.department
        name = p.name.replace(" ", "  ", 1) if i == 4 else p.name.replace(" ", "\u00a0", 1) if i == 5 else p.name
        rows.append([dept, name, p.description or None, cost, p.cost_note or None, start, end, *progress, None])
    rows.append(rows[0])  # the same project twice
    path = _write(tmp_path / "sample.xlsx", HEADER, rows + ODD_ROWS)
    plan, slow = _same_both_ways(repo, path, monkeypatch)
    kinds = [r.kind for r in plan.rows]
    assert "unchanged" in kinds and "update" in kinds and "new" in kinds
    assert slow < len(plan.rows)


def test_odd_cells_plan_the_same_for_an_editor_of_one_department(sample_path: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "roles.toml")
    repo = open_register(sample_path, actor=resolve_actor(sample_path, str(config), user="schmitz", groups=set()))
    path = _write(tmp_path / "odd.xlsx", HEADER, ODD_ROWS)
    plan, _slow = _same_both_ways(repo, path, monkeypatch)
    assert any("Bearbeiter für FB 36" in p.message for p in plan.problems)


def test_ids_and_percent_cells_plan_the_same(repo: Repository, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pid = repo.projects()[0].id
    header = ["ID", *HEADER]
    rows = [[None, *r] for r in ODD_ROWS[:8]]
    rows += [[pid, None, None, None, None, None, None, None, None, 55, None],
             [pid, None, None, None, None, None, None, None, None, 56, None],
             ["XX-999", None, "unbekannt", None, None, None, None, None, None, None, None],
             ["kein id", "FB 11", "Kaputte ID", None, None, None, None, None, None, None, None],
             [None, "FB 11", "Prozentzelle", None, None, None, None, None, 0.45, None, None]]
    path = _write(tmp_path / "ids.xlsx", header, rows, percent=(len(rows) + 1, 9))
    plan, slow = _same_both_ways(repo, path, monkeypatch)
    assert any(r.kind == "update" for r in plan.rows)
    assert slow < len(plan.rows)


def test_the_benchmark_overview_plans_the_same_new_and_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark's workbook (small tier): into an empty register every row is made from the
    columns; into the register that holds it, every row is unchanged, from the columns too."""
    from benchmarks import generate

    items = generate.projects(700)
    book = generate.write_overview(tmp_path / "overview.xlsx", items)
    empty = init_register(tmp_path / "empty.duckdb", sample=False)
    plan, slow = _same_both_ways(empty, book, monkeypatch)
    assert [r.kind for r in plan.rows] == ["new"] * 700 and slow == 0
    assert len(plan.changeset.new_departments) > 10

    full = open_register(generate.make_register(tmp_path / "full.duckdb", 700))
    plan, slow = _same_both_ways(full, book, monkeypatch)
    assert [r.kind for r in plan.rows] == ["unchanged"] * 700 and slow == 0

    changed = [*items[:350], *(generate.projects(700, seed=9)[:50]), *items[350:]]
    shutil.copy(book, tmp_path / "before.xlsx")
    book = generate.write_overview(tmp_path / "changed.xlsx", changed)
    plan, slow = _same_both_ways(full, book, monkeypatch)
    assert {r.kind for r in plan.rows} >= {"unchanged", "new"}


@pytest.mark.parametrize("key", ["planned_cost", "name", "cost_note", "progress:2020", "start"])
def test_a_column_parses_each_cell_as_the_cell_parser_does(key: str) -> None:
    """Values that compare equal but are different cells (1.0, 1 and True; -0.0 and 0.0, which
    shows as "-0"; NaN) are never taken for one another, in a column of one type or of many."""
    planner = diff._Planner.__new__(diff._Planner)
    planner.shared = diff._Shared()
    nan = float("nan")
    columns = [[1.0, 1, True, -0.0, 0.0, nan, "1", 1.0, ABSENT, float("nan"), date(2020, 1, 1)],
               [0.0, -0.0, 0.0, 2.0, ABSENT, -0.0], ["1", " 1 ", "", "a\nb", ABSENT, "1"]]
    for values in columns:
        for _ in range(2):  # and again, from what the parser remembers
            got = ColumnParser(planner._column_value).column(key, values)
            want = [None if v is ABSENT else planner._column_value(key, v) for v in values]
            assert [repr(g) if g is not FAIL else "FAIL" for g in got] == \
                   [repr(w) if w is not FAIL else "FAIL" for w in want]


def test_a_register_workbook_plans_the_same_restored_and_again(cli, sample_path: Path, empty_path: Path,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The register's own workbook (IDs on every row): into an empty register it restores the
    projects with their IDs; into the register itself every row is known."""
    book = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(book)).code == 0
    plan, _slow = _same_both_ways(open_register(empty_path), book, monkeypatch)
    assert {r.kind for r in plan.rows} == {"new"} and all(n.id for n in plan.changeset.new_projects)
    plan, _slow = _same_both_ways(open_register(sample_path), book, monkeypatch)
    assert {r.kind for r in plan.rows} == {"unchanged"}


def test_too_many_problems_stop_at_the_same_row(empty_path: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``MAX_PROBLEMS`` problems the rest is not checked, in either path at the same row;
    good rows between the bad ones are made from the columns up to there."""
    rows: list[list[object]] = []
    for i in range(2_400):
        bad = i % 2 == 0
        rows.append(["FB 11", f"Projekt {i}", None, None, None, None, None, "viel" if bad else 10, 20, None])
    path = _write(tmp_path / "many.xlsx", HEADER, rows)
    plan, slow = _same_both_ways(open_register(empty_path), path, monkeypatch)
    assert len(plan.problems) == diff.MAX_PROBLEMS + 1 and len(plan.rows) < 2_400
    assert slow == diff.MAX_PROBLEMS
