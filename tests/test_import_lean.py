"""The import's lean paths (issues 9 and 14: memory and speed of large imports) agree with the
rules they stand for: the progress check's fast path with ``check_value``, new projects' history
written from their lists with the history derived from ``progress``, shared values and the
compact duplicate index with what they replace. Real workbooks, real DuckDB files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.changes import ChangeSet, check_progress, check_value, progress_key
from sachstand.core.errors import InvalidValue
from sachstand.core.history import refresh_sql
from sachstand.core.models import NewProject
from sachstand.io.plan_cells import _FirstSeen, _Shared

HOSTILE_PROGRESS: list[object] = [
    0, 1, 50, 99, 100, -1, 101, 10**30, True, False, None, 0.0, 50.0, 100.0, 49.5, float("nan"), float("inf"),
    Decimal(50), Decimal("50.0"), "50", "", "50 %", b"5", [50], object(),
]
YEARS: list[object] = [2020, 1000, 9999, 999, 10000, 0, -2020, True, 2020.0, "2020", None]


def _outcome(f, *args: object) -> tuple[str, object]:
    try:
        return "ok", f(*args)
    except InvalidValue as exc:
        return "refused", (exc.field, exc.reason, exc.key)
    except Exception as exc:  # both paths must fail the same way
        return "error", type(exc).__name__


@pytest.mark.parametrize("year", YEARS)
def test_progress_fast_path_agrees_with_check_value(year: object) -> None:
    for value in HOSTILE_PROGRESS:
        fast = _outcome(check_progress, year, value)
        full = _outcome(lambda y, v: check_value(progress_key(y), v), year, value)  # type: ignore[arg-type]
        assert fast == full, (year, value, fast, full)


def test_a_decimal_in_cents_stays_itself_and_others_are_quantized() -> None:
    cents = Decimal("12.50")
    assert check_value("planned_cost", cents) is cents
    assert str(check_value("planned_cost", Decimal("12.5"))) == "12.50"
    assert str(check_value("planned_cost", 7)) == "7.00"
    for bad in (Decimal("-0.01"), Decimal("-5"), Decimal("NaN")):
        with pytest.raises((InvalidValue, ArithmeticError)):
            check_value("planned_cost", bad)
    with pytest.raises(InvalidValue, match="zu groß"):
        check_value("planned_cost", Decimal("100000000000000000000000000000000.00"))


def test_shared_values_never_stand_for_a_different_text() -> None:
    shared = _Shared()
    a = shared(Decimal("1.00"))
    assert shared(Decimal("1.00")) is a
    assert str(shared(Decimal("1.0"))) == "1.0" and str(shared(Decimal("1"))) == "1"
    series = {2020: 5, 2021: 10}
    assert shared.series({2020: 5, 2021: 10}) is shared.series(series)
    assert shared.series({2021: 10, 2020: 5}) == series  # equal content, another order: still equal
    assert shared(None) is None and shared.series({}) == {}


def test_first_seen_matches_ignoring_case_and_keeps_the_parts_apart() -> None:
    seen = _FirstSeen()
    assert seen.first("FB 1", "Straße", "a.xlsx", 2) is None
    assert seen.first("fb 1", "STRASSE", "b.xlsx", 9) == ("a.xlsx", 2)  # casefold: ß = ss
    assert seen.first("FB 11", "traße", "a.xlsx", 3) is None  # "FB 1" + "1traße" is another key
    assert seen.first("FB 1", "1Straße", "a.xlsx", 4) is None
    assert seen.first("FB 1", "1straße", "b.xlsx", 5) == ("a.xlsx", 4)


def test_new_projects_history_equals_the_history_derived_from_progress(empty_path: Path) -> None:
    repo = open_register(empty_path)
    repo.add_department("FB 1")
    series = [{}, {2020: 0}, {2016: 0, 2025: 100}, {2019: 15, 2017: 5, 2018: 10}, {2020: 100, 2018: 0},
              {y: (y * 7) % 101 for y in range(2000, 2026)}]
    repo.apply(ChangeSet(new_projects=[NewProject("FB 1", f"P{i}", progress=p) for i, p in enumerate(series)] * 1))
    conn = duckdb.connect(str(empty_path))
    try:
        written = conn.execute("SELECT id, history_from, history FROM projects ORDER BY id").fetchall()
        conn.execute(refresh_sql(ids=False))
        derived = conn.execute("SELECT id, history_from, history FROM projects ORDER BY id").fetchall()
    finally:
        conn.close()
    assert written == derived
    assert [h for _i, _f, h in written][:3] == [None, ",000", ",000" + ",---" * 8 + ",100"]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten", "Beginn",
               "Geplantes Ende", "Umsetzungsstand 2020 (in %)", "Umsetzungsstand 2021 (in %)"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_an_import_with_shared_values_stores_each_row_as_written(cli, empty_path: Path, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["FB 1", f"Projekt {i}", "gleich", [1250.5, 1250.5, 99.99, "12.000,00 €"][i % 4],
         [date(2020, 1, 1), "Q 1 2020", "2020", date(2020, 1, 1)][i % 4], "Q 4 2022", [0, 50, 50, 100][i % 4],
         [100, 100, 75, 100][i % 4]]
        for i in range(40)
    ]
    rows.append(["fb 1", "PROJEKT 3", "doppelt", None, None, None, None, None])  # the same name, other case
    book = _workbook(tmp_path / "neu.xlsx", rows)
    refused = cli("--db", str(empty_path), "import", str(book), "--json")
    assert refused.code == 1
    problems = json.loads(refused.out)["problems"]
    assert [(p["cell"], p["message"]) for p in problems] == [
        ("Sheet!B42", "das neue Projekt „PROJEKT 3“ kommt mehrfach vor (auch neu.xlsx, Zeile 5)")]
    _workbook(book, rows[:-1])
    assert cli("--db", str(empty_path), "import", str(book), "--apply", "--json").code == 0
    stored = {p.name: p for p in open_register(empty_path).projects()}
    assert len(stored) == 40
    for i in range(40):
        p = stored[f"Projekt {i}"]
        assert str(p.planned_cost) == ["1250.50", "1250.50", "99.99", "12000.00"][i % 4]
        assert p.start is not None and p.start.format() == ["01.01.2020", "Q 1 2020", "2020", "01.01.2020"][i % 4]
        assert p.end is not None and p.end.format() == "Q 4 2022"
        assert p.progress == {2020: [0, 50, 50, 100][i % 4], 2021: [100, 100, 75, 100][i % 4]}


def test_no_progress_bar_can_reach_json_output(empty_path: Path) -> None:
    """DuckDB draws a progress bar on stdout for a query over two seconds (a loaded machine's
    100,000-project load did, inside ``import --json``); every register connection has it off."""
    repo = open_register(empty_path)
    with repo.db.read() as conn:
        assert conn.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    with repo.db.write() as conn:
        assert conn.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_packed_rows_give_the_rows_as_read(tmp_path: Path) -> None:
    """A sheet's rows come back with their numbers, only their non-empty cells in column order,
    their cells' places and percentage formats; indexing, slicing and iterating agree."""
    from sachstand.io.reader import read_workbook

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws.append(["Bereich", "Name des Projektes", "Geplante Kosten", "Umsetzungsstand 2020 (in %)"])
    ws.append(["FB 1", "Eins", 10.5, 0.45])
    ws["D2"].number_format = "0%"
    ws.append([None, None, None, None])
    ws.append([None, "Drei", None, 50])
    ws.append(["FB 2", "Vier", "", 100])
    wb.save(tmp_path / "p.xlsx")
    rows = read_workbook(tmp_path / "p.xlsx").rows
    assert len(rows) == 3 and bool(rows)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"department": "FB 1", "name": "Eins", "planned_cost": 10.5, "progress:2020": 0.45}),
        (4, {"name": "Drei", "progress:2020": 50.0}),
        (5, {"department": "FB 2", "name": "Vier", "progress:2020": 100.0}),
    ]
    assert rows[0].shares == frozenset({"progress:2020"}) and rows[1].shares == frozenset()
    assert rows[1].ref("name") == "Projekte!B4" and rows[-1].number == 5
    assert [r.number for r in rows[1:]] == [4, 5]
    with pytest.raises(IndexError):
        rows[3]
    rows.clear()
    assert len(rows) == 0 and list(rows) == []


def test_loading_every_project_keeps_each_value(sample_path: Path) -> None:
    """``load_projects`` (progress grouped per project, read in chunks, equal values shared) gives
    what reading row by row gives."""
    repo = open_register(sample_path)
    loaded = {p.id: p for p in repo.projects(include_archived=True)}
    conn = duckdb.connect(str(sample_path), read_only=True)
    try:
        progress: dict[str, dict[int, int]] = {}
        for pid, year, percent in conn.execute("SELECT project_id, year, percent FROM progress ORDER BY year").fetchall():
            progress.setdefault(pid, {})[year] = percent
        rows = conn.execute("SELECT id, name, description, planned_cost, version FROM projects").fetchall()
    finally:
        conn.close()
    assert len(loaded) == len(rows) > 50
    for pid, name, description, cost, version in rows:
        p = loaded[pid]
        assert (p.name, p.description, p.planned_cost, p.version) == (name, description, cost, version)
        assert p.progress == progress.get(pid, {}) and list(p.progress) == sorted(p.progress)


def test_a_released_apply_writes_what_a_plain_apply_writes(tmp_path: Path) -> None:
    """``Repository.apply(..., release=True)`` (the import's write, after its output is made)
    empties the change set's list of new projects and stores exactly what a plain apply stores."""
    from benchmarks import generate
    from sachstand.core import init_register

    stored = []
    for release in (False, True):
        repo = init_register(tmp_path / f"r{release}.duckdb", sample=False)
        cs = ChangeSet(new_departments=generate.departments(), new_projects=generate.projects(5_000, seed=7))
        assert len(repo.apply(cs, release=release).created) == 5_000
        assert (cs.new_projects == []) is release
        with duckdb.connect(str(repo.db.path), read_only=True) as conn:
            stored.append((conn.execute("SELECT * EXCLUDE (created_at, updated_at) FROM projects ORDER BY id").fetchall(),
                           conn.execute("SELECT * FROM progress ORDER BY ALL").fetchall(),
                           conn.execute("SELECT count(*) FROM audit").fetchone()))
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 5_000 and len(stored[0][1]) > 5_000


_APPLY_PEAK = """
import os, sys
from sachstand.cli import main
with open(os.devnull, "w") as out:
    sys.stdout = out
    code = main(["--db", sys.argv[1], "import", sys.argv[2], "--apply", "--json"])
    sys.stdout = sys.__stdout__
print(code, open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


def _applies_under_300_mb(register: Path, book: Path, what: str) -> None:
    """``import BOOK --apply`` into ``register`` in its own process (``_APPLY_PEAK``): it succeeds,
    and its peak resident memory stays under 300 MB."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _APPLY_PEAK, str(register), str(book)], check=False,
                          capture_output=True, text=True, timeout=900)
    code, peak_kb = map(int, done.stdout.split())
    assert code == 0, done.stderr[-2000:]
    print(f"{what}: peak {peak_kb / 1024:.0f} MiB")
    assert peak_kb * 1024 < 300 * 1000 * 1000, f"peak {peak_kb / 1024:.0f} MiB"


@pytest.mark.slow
def test_applying_100_000_new_projects_peaks_under_300_mb(empty_path: Path, tmp_path: Path) -> None:
    """The promise of issue 9 for ``import --apply``: a workbook of 100,000 new projects with ten
    years of progress (the benchmark's overview) is written in one transaction under 300 MB: the
    output is made before the write, the plan's rows go, each written batch is let go, and DuckDB
    writes with one thread, keeping at most 40 MB of uncommitted rows in memory (measured
    249-251 MiB; 263-265 MiB before that bound)."""

    from benchmarks import generate

    book = generate.write_overview(tmp_path / "overview.xlsx", generate.projects(100_000))
    _applies_under_300_mb(empty_path, book, "import --apply of 100,000 new projects")
    with duckdb.connect(str(empty_path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM projects").fetchone() == (100_000,)


@pytest.mark.slow
def test_restoring_100_000_projects_from_the_register_workbook_peaks_under_300_mb(
        cli, empty_path: Path, tmp_path: Path) -> None:
    """The other promise of issue 9 for ``import --apply``: a 100,000-project register recreated
    from its own ``export register`` workbook (IDs, ten years of progress and the extra sheets
    taken over) in one transaction under 300 MB, with every project and value as in the register
    it came from (measured 257 MiB, the read's peak; 297-299 MiB before a spent plan let go of its
    files' row versions and extra sheets, each batch handed its pages back and DuckDB wrote the
    uncommitted rows beyond 40 MB to its temporary files)."""

    from benchmarks import generate

    register = generate.make_register(tmp_path / "source.duckdb", 100_000)
    book = tmp_path / "register.xlsx"
    assert cli("--db", str(register), "export", "register", "-o", str(book)).code == 0
    _applies_under_300_mb(empty_path, book, "restore of 100,000 projects from the register workbook")
    fields = ("id, department, name, description, planned_cost, cost_note, start_first, start_last, "
              "start_precision, start_text, end_first, end_last, end_precision, end_text, archived, priority, "
              "history_from, history")
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{register}' AS a (READ_ONLY)")
        conn.execute(f"ATTACH '{empty_path}' AS b (READ_ONLY)")
        assert conn.execute("SELECT count(*) FROM b.projects").fetchone() == (100_000,)
        for table, columns in (("projects", fields), ("progress", "*")):
            differ = conn.execute(f"SELECT count(*) FROM ((SELECT {columns} FROM a.{table} EXCEPT ALL "
                                  f"SELECT {columns} FROM b.{table}) UNION ALL (SELECT {columns} FROM b.{table} "
                                  f"EXCEPT ALL SELECT {columns} FROM a.{table}))").fetchone()
            assert differ == (0,), table
        assert conn.execute("SELECT count(*) FROM b.progress").fetchone()[0] > 500_000
        assert conn.execute("SELECT count(*) FROM b.audit WHERE entity = 'project' AND field = '*' "
                            "AND project_version = 1").fetchone() == (100_000,)
