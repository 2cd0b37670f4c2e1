"""Each project's progress history on its row (``core.history``, schema 4) follows every write,
and the figures read from it equal the figures computed from ``progress`` itself."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sachstand.core import Repository, figures, open_register
from sachstand.core.changes import ChangeSet, ProjectUpdate
from sachstand.core.history import values_sql
from sachstand.core.models import NewProject
from sachstand.core.schema import LATEST, MIGRATIONS

_COLUMNS = ("id, cur, prev, latest, planned, in_report, open_in_year, completed, at_least_90, started, stalled, "
            "done, overdue")


def _same_figures_both_ways(path: Path) -> int:
    """Every project's flags of every year (and the years around them, archived or not), read from
    the history and from ``progress``; returns the number of rows compared."""
    fast, slow = figures.status_sql(), figures.status_sql(progress="progress")
    listed = figures.status_sql(  # as core.rollup reads other registers: the values as a list
        "(SELECT p.* REPLACE (g.first AS history_from, g.vals AS history) FROM projects p "
        f"LEFT JOIN ({values_sql()}) g ON g.project_id = p.id WHERE p.archived = $archived)", listed=True)
    compared = 0
    conn = duckdb.connect(str(path), read_only=True)
    try:
        years = [y for (y,) in conn.execute("SELECT DISTINCT year FROM progress ORDER BY year").fetchall()]
        for year in range(years[0] - 1, years[-1] + 2):
            for archived in (False, True):
                params = figures.status_params(year, None, None, with_planned=True, archived=archived)
                mine = conn.execute(fast + f"SELECT {_COLUMNS} FROM status ORDER BY id", params).fetchall()
                truth = conn.execute(slow + f"SELECT {_COLUMNS} FROM status ORDER BY id", params).fetchall()
                assert mine == truth, (year, archived, [(a, b) for a, b in zip(mine, truth, strict=True) if a != b][:3])
                assert conn.execute(listed + f"SELECT {_COLUMNS} FROM status ORDER BY id", params).fetchall() == truth
                compared += len(mine)
    finally:
        conn.close()
    return compared


def _history(path: Path, pid: str) -> tuple[int | None, str | None]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        row = conn.execute("SELECT history_from, history FROM projects WHERE id = ?", [pid]).fetchone()
    finally:
        conn.close()
    assert row is not None
    return row[0], row[1]


def test_the_sample_reads_the_same_from_its_history(repo: Repository, sample_path: Path) -> None:
    assert _same_figures_both_ways(sample_path) > 200
    migewa = next(p for p in repo.projects() if p.name == "Ausbau Migewa")
    first, text = _history(sample_path, migewa.id)
    assert first is not None and text is not None and text.endswith(",100")
    assert figures.counts(repo.db, 2020)["projects"] == 57  # completed in 2019, no value for 2020


def test_history_follows_progress_written_cleared_and_left_with_gaps(repo: Repository, sample_path: Path) -> None:
    project = next(p for p in repo.projects() if p.name == "Briefbutler")
    saved = repo.record_progress(project.id, 2023, 40, project.version)  # 2021 and 2022 stay empty
    first, text = _history(sample_path, project.id)
    assert first == min(saved.progress)
    assert text is not None and text.endswith(",---,---,040") and len(text) == 4 * (2023 - first + 1)
    saved = repo.record_progress(project.id, 2023, None, saved.version)
    assert _history(sample_path, project.id)[1] == "".join(
        f",{saved.progress[y]:03d}" if y in saved.progress else ",---" for y in range(first, max(saved.progress) + 1))
    for year in list(saved.progress):
        saved = repo.record_progress(project.id, year, None, saved.version)
    assert _history(sample_path, project.id) == (None, None)

    created = repo.apply(ChangeSet(new_projects=[
        NewProject(department=project.department, name="Neu mit Lücke", progress={2018: 0, 2020: 100}),
        NewProject(department=project.department, name="Neu ohne Werte"),
    ])).created
    assert _history(sample_path, created[0]) == (2018, ",000,---,100")
    assert _history(sample_path, created[1]) == (None, None)
    other = next(p for p in repo.projects() if p.name == "Ausbau Migewa")
    repo.apply(ChangeSet(updates=[ProjectUpdate(other.id, other.version, {"progress:2021": 90, "name": "Migewa"})]))
    assert _history(sample_path, other.id)[1].endswith(",---,090")  # type: ignore[union-attr]
    repo.archive(other.id, other.version + 1)
    assert _same_figures_both_ways(sample_path) > 0


def test_migration_4_fills_the_history_of_an_older_register(tmp_path: Path) -> None:
    path = tmp_path / "schema3.duckdb"
    conn = duckdb.connect(str(path))
    for number, sql in enumerate(MIGRATIONS[:3], start=1):
        conn.execute(sql)
        if number == 1:
            conn.execute("INSERT INTO meta VALUES ('app', 'sachstand-register'), ('schema_version', '1')")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.execute("INSERT INTO departments VALUES ('FB 11', NULL)")
    for pid in ("FB11-001", "FB11-002", "FB11-003"):
        conn.execute("INSERT INTO projects (id, department, name, version, created_at, updated_at) "
                     "VALUES (?, 'FB 11', ?, 1, now()::TIMESTAMP, now()::TIMESTAMP)", [pid, pid])
    conn.execute("INSERT INTO progress VALUES ('FB11-001', 2019, 50), ('FB11-001', 2020, 100), "
                 "('FB11-002', 2018, 10), ('FB11-002', 2020, 10)")
    conn.close()
    repo = open_register(path)
    assert figures.counts(repo.db, 2020)["completed"] == 1
    conn = duckdb.connect(str(path), read_only=True)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(LATEST),)
    conn.close()
    assert _history(path, "FB11-001") == (2019, ",050,100")
    assert _history(path, "FB11-002") == (2018, ",010,---,010")
    assert _history(path, "FB11-003") == (None, None)
    assert _same_figures_both_ways(path) > 0
