"""``summary``'s short paths: it loads only what it uses (DuckDB's engine without its Python
package, none of the write engine: ``core.engine`` and ``core.repository`` say why; each case in a
fresh interpreter, since the test process has everything loaded), looks up only the years it
needs, and reads the previous year's counts beside the year's figures (``db.Background``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sachstand.core import Repository, figures
from sachstand.core.db import Background, Database, one_row
from sachstand.core.errors import RegisterMissing, SachstandError

ROOT = Path(__file__).resolve().parents[1]
NOT_LOADED = ("duckdb", "sachstand.core.apply", "sachstand.core.changes", "sachstand.core.audit",
              "sachstand.io", "sachstand.tui", "textual", "openpyxl", "pandas")


def _in_a_fresh_process(code: str) -> dict:
    """Run ``code`` in a new interpreter (so ``sys.modules`` starts empty) and return the JSON
    object it prints last."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["summary", "--json"], ["summary"], ["summary", "--department", "FB 11"]],
                         ids=["json", "printout", "department"])
def test_summary_loads_neither_the_duckdb_package_nor_the_write_engine(args: list[str], sample_path: Path) -> None:
    code = (
        "import io, json, sys, contextlib\n"
        "from sachstand.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main(['--db', {str(sample_path)!r}, *{args!r}])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {NOT_LOADED!r} or m.startswith({NOT_LOADED!r}))\n"
        "print(json.dumps({'rc': rc, 'loaded': loaded, 'engine': '_duckdb' in sys.modules, 'out': out.getvalue()}))\n"
    )
    result = _in_a_fresh_process(code)
    assert result["rc"] == 0 and result["engine"]
    assert result["loaded"] == []
    if "--json" in args:
        assert json.loads(result["out"])["completed"] == 15
    else:
        assert "Kennzahlen 2020" in result["out"]


def test_latest_year_and_years_among_agree_with_years(repo: Repository) -> None:
    years = repo.years()
    assert repo.latest_year() == years[-1]
    assert repo.years_among([years[0] - 1, years[0], years[-1], years[-1] + 1]) == {years[0], years[-1]}
    assert repo.years_among([]) == set()


def test_a_report_without_the_years_given_is_the_report_with_them(repo: Repository) -> None:
    years = repo.years()
    for year in years:
        for department in (None, "FB 11"):
            assert figures.report(repo, year, department, live=True) == figures.report(
                repo, year, department, live=True, years=years)
    with pytest.raises(SachstandError, match="Jahre mit Daten: 20"):
        figures.report(repo, years[-1] + 2)


def test_background_work_gives_its_result_or_its_error(repo: Repository) -> None:
    with repo.db.read() as conn:
        with Background(conn, lambda c: c.execute("SELECT count(*) FROM projects").fetchall()) as work:
            assert conn.execute("SELECT count(*) FROM projects").fetchall() == work.result()
        failing = Background(conn, lambda c: c.execute("SELECT * FROM no_such_table").fetchall())
        with failing, pytest.raises(duckdb.CatalogException):
            failing.result()
        assert conn.execute("SELECT 1").fetchall() == [(1,)]  # the connection itself is unharmed


def test_background_work_reads_the_register_through_its_cursor(repo: Repository) -> None:
    """With ``db``, the repository's reads in the work use the second cursor, not a new connection."""
    def reads(c: duckdb.DuckDBPyConnection) -> tuple[bool, object]:
        with repo.db.read() as inner:
            return inner is c, repo.city()

    with repo.db.read() as conn, Background(conn, reads, repo.db) as work:
        assert work.result() == (True, repo.city())


def test_rows_of_each_kind_are_the_first_of_all_rows(repo: Repository) -> None:
    for year in repo.years():
        every = figures.project_rows(repo.db, year)
        for n in (1, 3):
            firsts = figures.project_rows(repo.db, year, each=n)
            wanted = {r.id for kind in ([r for r in every if r.current is not None], [r for r in every if r.overdue],
                                        [r for r in every if r.stalled]) for r in kind[:n]}
            assert firsts == [r for r in every if r.id in wanted]


def test_the_printout_lists_the_first_rows_and_counts_the_rest(cli, sample_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from sachstand import printout

    whole = cli("--db", str(sample_path), "summary").out
    assert "weitere" not in whole
    monkeypatch.setattr(printout, "SHOWN_ROWS", 5)
    cut = cli("--db", str(sample_path), "summary").out
    assert "… und 52 weitere; alle Projekte: sachstand export register" in cut  # 57 in the report
    assert "… und 6 weitere" in cut  # 11 stalled
    assert cut.count("█") < whole.count("█")


def test_a_report_inside_a_write_counts_that_write_in_the_previous_year_too(repo: Repository) -> None:
    outside = figures.report(repo, 2020, live=True)
    in_2019 = next(r for r in figures.project_rows(repo.db, 2019) if r.current is not None)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), repo.db.write() as conn:
        assert repo.db.writing()
        conn.execute("UPDATE projects SET archived = true WHERE id = ?", [in_2019.id])
        inside = figures.report(repo, 2020, live=True)
        raise Undo
    assert not repo.db.writing()
    assert inside.figure("projects").previous == outside.figure("projects").previous - 1  # type: ignore[operator]
    assert figures.report(repo, 2020, live=True) == outside


def test_project_ids_of_a_department_are_those_of_its_projects(repo: Repository) -> None:
    for department in repo.departments():
        assert repo.project_ids(department.code) == {p.id for p in repo.projects(department=department.code)}


def test_summary_json_loads_neither_the_project_records_nor_other_commands(repo: Repository) -> None:
    """``summary --json`` of a year not published needs the city, the funded projects and the
    figures, not the project records and value types (``core.models``, ``core.types``: a dozen
    dataclasses, calendar), the text rules of a save, nor the modules of the other command groups
    (``cli.GROUPS``). (A published year's snapshot is read with ``codec``, which loads them; the
    sample's 2020 is published, so values for 2021 and 2022 make the latest year and the one
    before it years that are not.)"""
    row = figures.project_rows(repo.db, 2020)[0]
    saved = repo.record_progress(row.id, 2021, 90, row.version)
    repo.record_progress(row.id, 2022, 100, saved.version)
    unused = ["sachstand.core.models", "sachstand.core.types", "sachstand.core.text_rules", "sachstand.core.codec",
              *(f"sachstand.cli.{g}" for g in ("texts", "excel", "opendata", "tui", "backup"))]
    code = (
        "import io, json, sys, contextlib\n"
        "from sachstand.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    rc = main(['--db', {str(repo.db.path)!r}, 'summary', '--json'])\n"
        f"print(json.dumps({{'rc': rc, 'loaded': sorted(set({unused!r}) & set(sys.modules)),\n"
        "                  'funded': 'sachstand.core.funded' in sys.modules, 'out': out.getvalue()}))\n"
    )
    result = _in_a_fresh_process(code)
    assert (result["rc"], result["loaded"]) == (0, [])
    out = json.loads(result["out"])
    assert (out["year"], out["projects"], out["completed"], out["previous"]["projects"]) == (2022, 1, 1, 1)
    assert out["published"] is None
    assert result["funded"] and len(out["funding"]["projects"]) > 0  # the sample has funded projects


def test_a_read_ahead_connection_serves_every_read_and_is_closed_on_leaving(repo: Repository) -> None:
    db = Database(repo.db.path)
    with db.read_ahead():
        with db.read() as first, db.read() as nested:
            assert nested is first
        with db.read() as again:
            assert again is first
            with Background(again, lambda c: one_row(c.execute("SELECT count(*) FROM projects"))[0], db) as beside:
                assert beside.result() == 58
        with pytest.raises(RuntimeError, match="read_ahead"), db.write():
            pass
    with pytest.raises(duckdb.ConnectionException):
        first.execute("SELECT 1")
    with db.write() as conn:  # the in-process lock and the file are free again
        assert one_row(conn.execute("SELECT count(*) FROM projects"))[0] == 58


def test_reading_ahead_a_missing_register_raises_at_the_first_read(tmp_path: Path) -> None:
    db = Database(tmp_path / "missing.duckdb")
    with db.read_ahead():
        with pytest.raises(RegisterMissing), db.read():
            pass
        with pytest.raises(RegisterMissing), db.read():  # every read says so, none opens a file
            pass
    assert list(tmp_path.iterdir()) == []
