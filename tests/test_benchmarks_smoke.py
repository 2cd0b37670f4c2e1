"""The benchmark suite's 1,000-project tier, run for real as a smoke test (not for its times).

Timed goals are checked by ``python -m benchmarks``, never here: the CI machine is noisy. This
test checks that every step and baseline runs, that the table and its JSON are complete, and
that the generator's data is what the benchmarks claim. It also checks that ``summary`` stays
free of the heavy libraries it does not use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks import generate
from benchmarks.__main__ import main
from benchmarks.steps import COMPARISONS
from sachstand.core import open_register
from sachstand.core.types import Precision

ROOT = Path(__file__).resolve().parents[1]


def test_generated_register_has_the_tier_size_ten_years_and_exact_money(tmp_path: Path) -> None:
    items = generate.projects(300)
    assert items == generate.projects(300)
    assert len({(p.department, p.name) for p in items}) == 300
    path = generate.make_register(tmp_path / "r.duckdb", 300)
    repo = open_register(path)
    projects = repo.projects()
    assert len(projects) == 300
    assert repo.years() == list(generate.YEARS)
    assert {d.code for d in repo.departments()} == set(generate.DEPARTMENT_NAMES)
    costs = [p.planned_cost for p in projects if p.planned_cost is not None]
    assert costs and all(isinstance(c, Decimal) for c in costs)
    assert all(p.end is not None and p.end.precision is Precision.QUARTER for p in projects)
    for p in projects:
        values = [p.progress[y] for y in generate.YEARS]
        assert values == sorted(values) and all(0 <= v <= 100 for v in values)
    assert any(ch in "äöüß" for p in projects for ch in p.name + p.description)


def test_overview_workbook_has_the_familiar_headers(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    items = generate.projects(50)
    path = generate.write_overview(tmp_path / "o.xlsx", items)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Projekte").to_python()
    assert rows[0][:6] == ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel",
                           "Geplante Kosten", "Beginn", "Geplantes Ende"]
    assert rows[0][-1] == f"Umsetzungsstand {generate.YEARS[-1]} (in %)"
    assert len(rows) == 51
    assert rows[1][1] == items[0].name


def test_suite_runs_the_smallest_tier(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(["--tiers", "1000", "--repeat", "1", "--json", str(out), "--workdir", str(tmp_path / "work")])
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    rows = data["rows"]
    assert len(rows) == len(COMPARISONS)
    for row in rows:
        assert row["error"] == "", row
        assert row["median"] is not None and row["median"] > 0, row
        assert row["peak_rss"] and row["peak_rss"] > 10 * 2**20, row
        if row["baseline"]:
            assert row["ratio"] is not None, row
    assert data["machine"]["cpus"] >= 1


@pytest.mark.parametrize("args", [["summary", "--json"], ["summary"]], ids=["json", "printout"])
def test_summary_imports_no_heavy_library(args: list[str], sample_path: Path) -> None:
    code = (
        "import sys\n"
        "from sachstand.cli import main\n"
        f"rc = main(['--db', {str(sample_path)!r}, *{args!r}])\n"
        "assert rc == 0, rc\n"
        "print('LOADED', sorted(m for m in ('textual', 'openpyxl', 'pandas', 'xlsxwriter') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_goals_are_judged_on_the_medians_at_their_tier() -> None:
    from benchmarks.measure import Run
    from benchmarks.report import build_row
    from benchmarks.steps import Comparison, Goal

    export = Comparison("export register", "export", "openpyxl write-only", "openpyxl_write",
                        (Goal(25_000, ratio=1.0),), rss_limit_tier=100_000)
    runs = {"export": [Run(s, 300 * 2**20, "") for s in (2.0, 9.0, 3.0)],
            "openpyxl_write": [Run(s, 100 * 2**20, "") for s in (2.5, 2.5, 30.0)]}
    row = build_row(export, 25_000, runs, {})
    assert (row.median, row.baseline_median, row.status) == (3.0, 2.5, "MISS")
    assert round(row.ratio, 2) == 1.2
    runs["export"] = [Run(2.4, 300 * 2**20, "")]
    assert build_row(export, 25_000, runs, {}).status == "PASS"
    assert build_row(export, 1_000, runs, {}).status == "–"
    runs["export"] = [Run(2.4, 2**30 + 1, "")]
    assert build_row(export, 100_000, runs, {}).status == "MISS"

    keystroke = Comparison("TUI filter keystroke", "tui.keystrokes", goals=(Goal(25_000, seconds=0.05),))
    runs = {"tui": [Run(1.0, 1, "", {"keystrokes": [0.01, 0.2, 0.03]}), Run(1.0, 1, "", {"keystrokes": [0.04]})]}
    row = build_row(keystroke, 25_000, runs, {})
    assert (row.runs, row.median, row.status) == (4, 0.035, "PASS")
    assert build_row(keystroke, 25_000, {}, {"tui": "exit 1: boom"}).error == "exit 1: boom"


def test_generated_cities_have_the_layout_and_schema_of_a_real_export(cli, sample_path: Path, tmp_path: Path) -> None:
    """The roll-up benchmark's synthetic cities look to ``rollup`` exactly like ``export opendata``'s output."""
    import duckdb

    from benchmarks import cities
    from sachstand.core.opendata import METADATA_NAME, partition_key

    root = cities.write_cities(tmp_path / "cities", 50, projects=20)
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path / "od")).code == 0
    conn = duckdb.connect()

    def schema(path: Path) -> list[tuple[str, str]]:
        rows = conn.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}', hive_partitioning = false)").fetchall()
        return [(r[0], r[1]) for r in rows]

    files = sorted(root.glob("city=*/year=*/projects.parquet"))
    expected = sorted(f"city={partition_key(cities.city(i))}" for i in range(50))
    assert sorted(f.parent.parent.name for f in files) == expected
    assert {f.parent.name for f in files} == {f"year={generate.YEARS[-1]}"}
    assert "city=stadt-suedhausen-049" in {f.parent.parent.name for f in files}  # a city without AGS
    real = schema(tmp_path / "od" / "city=05334002" / "year=2020" / "projects.parquet")
    def without_progress(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [c for c in columns if not c[0].startswith("progress_")]

    for f in files[:3]:
        made = schema(f)
        assert without_progress(made) == without_progress(real)
        assert [c[0] for c in made if c[0].startswith("progress_")] == [f"progress_{y}" for y in generate.YEARS]
        assert {c[1] for c in made + real if c[0].startswith("progress_")} == {"INTEGER"}
        assert (f.parent / METADATA_NAME).is_file()
    r = cli("rollup", str(root), "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["year"] == generate.YEARS[-1] and len(data["cities"]) == 50
    assert data["total"]["projects"] == 1000
    for key in data["total"]:
        assert data["total"][key] == sum(c[key] for c in data["cities"])
    assert 0 < data["total"]["completed"] < 1000 and data["total"]["stalled"] > 0 and data["total"]["overdue"] > 0
