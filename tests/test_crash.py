"""Crash safety: SIGKILL in the middle of a save or an import, and damaged WAL or register files.

The kills are real: a child process writes, the test kills it with SIGKILL at a random moment,
then opens the file the way every command does and checks that it holds exactly the state before
or after a write, never a part of one.

What DuckDB 2.0.1 does with a damaged WAL, measured here:
- garbage appended after complete commits: the commits are replayed, the garbage is ignored;
- a WAL cut inside its last transaction (what a kill during a commit leaves): that transaction is
  dropped, the ones before it are replayed; DuckDB later overwrites the WAL;
- bytes changed inside the WAL: the checksum fails and DuckDB refuses to open the file.
The register keeps a copy of any WAL a crash left before DuckDB touches it, so its bytes are never
lost, and a refused file is reported with where the backups are and how to restore.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sachstand.core import open_register
from sachstand.core.db import Database

pytestmark = pytest.mark.slow

BATCH = 4000

SAVE_CHILD = r"""
import sys
from sachstand.core import open_register
from sachstand.core.models import NewProject
from sachstand.core.changes import ChangeSet, ProjectUpdate

path, batch = sys.argv[1], int(sys.argv[2])
size = int(sys.argv[3])
repo = open_register(path)
while True:
    batch += 1
    base = [p for p in repo.projects() if not p.name.startswith("Crash ")]
    news = [NewProject(department=base[i % len(base)].department, name=f"Crash {batch} #{i}",
                       progress={2021: i % 101}) for i in range(size)]
    ups = [ProjectUpdate(p.id, p.version, {"progress:2021": batch % 101}) for p in base]
    print("apply", batch, flush=True)
    repo.apply(ChangeSet(new_projects=news, updates=ups))
    print("done", batch, flush=True)
"""


def save_state(path: Path) -> dict:
    """Batches present, and whether each is whole in projects, progress, audit and versions."""
    db = Database(path)
    with db.read() as conn:
        per_batch = dict(conn.execute(
            "SELECT split_part(name, ' ', 2)::INT AS b, count(*) FROM projects "
            "WHERE name LIKE 'Crash %' GROUP BY b"
        ).fetchall())
        audit_per_batch = dict(conn.execute(
            "SELECT split_part(new_value, ' ', 2)::INT AS b, count(*) FROM audit "
            "WHERE field = '*' AND new_value LIKE 'Crash %' GROUP BY b"
        ).fetchall())
        progress_rows = conn.execute(
            "SELECT count(*) FROM progress WHERE year = 2021 AND project_id IN "
            "(SELECT id FROM projects WHERE name LIKE 'Crash %')"
        ).fetchone()[0]
        base = conn.execute(
            "SELECT p.version, g.percent FROM projects p LEFT JOIN progress g "
            "ON g.project_id = p.id AND g.year = 2021 WHERE p.name NOT LIKE 'Crash %'"
        ).fetchall()
        base_updates = conn.execute(
            "SELECT count(*) FROM audit WHERE field = 'progress:2021' AND entity_id IN "
            "(SELECT id FROM projects WHERE name NOT LIKE 'Crash %')"
        ).fetchone()[0]
    return {"per_batch": per_batch, "audit_per_batch": audit_per_batch, "progress_rows": progress_rows,
            "base": base, "base_updates": base_updates}


def check_whole(state: dict, batches: int) -> None:
    assert sorted(state["per_batch"]) == list(range(1, batches + 1))
    assert all(n == BATCH for n in state["per_batch"].values()), state["per_batch"]
    assert state["audit_per_batch"] == state["per_batch"]
    assert state["progress_rows"] == batches * BATCH
    assert {v for v, _ in state["base"]} == {1 + batches}
    assert {p for _, p in state["base"]} == ({batches % 101} if batches else {None})
    assert state["base_updates"] == batches * len(state["base"])


def test_sigkill_during_save_leaves_before_or_after(sample_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time_ns())))
    done = 0
    kills_inside_apply = 0
    for _ in range(10):
        child = subprocess.Popen([sys.executable, "-c", SAVE_CHILD, str(sample_path), str(done), str(BATCH)],
                                 stdout=subprocess.PIPE, text=True)
        line = child.stdout.readline()
        assert line.startswith("apply"), line
        time.sleep(rng.uniform(0.0, 0.5))
        child.send_signal(signal.SIGKILL)
        out = line + child.communicate()[0]
        confirmed = max([int(x.split()[1]) for x in out.splitlines() if x.startswith("done")], default=done)
        started = max(int(x.split()[1]) for x in out.splitlines() if x.startswith("apply"))
        kills_inside_apply += started > confirmed
        state = save_state(sample_path)
        batches = len(state["per_batch"])
        assert batches in (confirmed, confirmed + 1), (confirmed, batches)
        check_whole(state, batches)
        done = batches
    print("save kills inside apply:", kills_inside_apply, "batches:", done)
    assert done > 0 and kills_inside_apply > 0


def snapshot(path: Path) -> dict:
    """Everything an import can change, without the times of the change."""
    with Database(path).read() as conn:
        return {
            "projects": conn.execute(
                "SELECT id, department, name, description, planned_cost, cost_note, start_first, start_precision, "
                "end_first, end_precision, archived, version FROM projects ORDER BY id").fetchall(),
            "progress": conn.execute("SELECT * FROM progress ORDER BY project_id, year").fetchall(),
            "audit": sorted(conn.execute(
                "SELECT os_user, source, source_file, source_sha256, entity, entity_id, field, old_value, new_value "
                "FROM audit").fetchall(), key=repr),
        }


@pytest.fixture(scope="module")
def big_import(tmp_path_factory: pytest.TempPathFactory, _sample_template: Path) -> tuple[Path, Path, dict, dict]:
    """A register of 3,058 projects, a workbook changing every one of them, and both states."""
    import openpyxl

    from sachstand.core.changes import ChangeSet
    from sachstand.core.models import NewProject

    folder = tmp_path_factory.mktemp("bigimport")
    register = folder / "register.duckdb"
    shutil.copy(_sample_template, register)
    repo = open_register(register)
    base = repo.projects()
    repo.apply(ChangeSet(new_projects=[NewProject(department=base[i % len(base)].department, name=f"Groß {i}",
                                                  progress={2020: i % 100}) for i in range(3000)]))
    workbook = folder / "register.xlsx"
    subprocess.run([sys.executable, "-m", "sachstand.cli", "--db", str(register), "export", "register",
                    "-o", str(workbook), "--year", "2021"], check=True, capture_output=True)
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Projekte"]
    for row in range(2, ws.max_row + 1):
        ws.cell(row, 10).value = 50
        ws.cell(row, 3).value = f"{ws.cell(row, 3).value} (geprüft)"
    filled = folder / "geprueft.xlsx"
    wb.save(filled)
    after_path = folder / "after.duckdb"
    shutil.copy(register, after_path)
    r = subprocess.run([sys.executable, "-m", "sachstand.cli", "--db", str(after_path), "import", str(filled),
                        "--apply", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["applied"] is True
    before, after = snapshot(register), snapshot(after_path)
    assert before != after and len(after["audit"]) - len(before["audit"]) == 2 * 3058
    return register, filled, before, after


def test_sigkill_during_import_leaves_before_or_after(big_import, tmp_path: Path) -> None:
    template_register, filled, before, after = big_import
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time_ns())))
    seen = {"before": 0, "after": 0, "wal": 0}
    for i in range(6):
        register = tmp_path / f"r{i}" / "register.duckdb"
        register.parent.mkdir()
        shutil.copy(template_register, register)
        child = subprocess.Popen([sys.executable, "-m", "sachstand.cli", "--db", str(register), "import",
                                  str(filled), "--apply", "--json"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 2:
            time.sleep(rng.uniform(0.3, 2.0))
        else:  # kill the moment the commit starts writing its WAL
            wal = Path(f"{register}.wal")
            deadline = time.monotonic() + 20
            while not wal.exists() and child.poll() is None and time.monotonic() < deadline:
                pass
            seen["wal"] += wal.exists()
        child.send_signal(signal.SIGKILL)
        child.wait()
        state = snapshot(register)
        assert state in (before, after), f"kill {i}: half-written register"
        seen["before" if state == before else "after"] += 1
    print("import kills:", seen)
    assert seen["before"] + seen["after"] == 6


def leave_wal(path: Path, statements: list[str]) -> list[int]:
    """A writer that commits each statement and dies before any checkpoint; returns the WAL size
    after each commit."""
    code = (
        "import duckdb, os, sys\n"
        "c = duckdb.connect(sys.argv[1])\n"
        "c.execute(\"SET checkpoint_threshold = '1GB'\")\n"
        "for s in sys.argv[2:]:\n"
        "    c.execute(s)\n"
        "    print(os.path.getsize(sys.argv[1] + '.wal'), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), *statements], check=True,
                         capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def rename(pid: str, name: str) -> str:
    return f"UPDATE projects SET name = '{name}', version = version + 1 WHERE id = '{pid}'"


def names(path: Path) -> dict[str, str]:
    return {p.id: p.name for p in open_register(path).projects()}


def kept_wals(path: Path) -> list[bytes]:
    folder = path.parent / f"{path.name}.backups"
    return [p.read_bytes() for p in sorted(folder.glob("*-wal-*.duckdb.wal"))] if folder.is_dir() else []


def test_wal_with_changed_bytes_is_refused_and_kept(cli, sample_path: Path) -> None:
    pid = open_register(sample_path).projects()[0].id
    sizes = leave_wal(sample_path, [rename(pid, "Eins"), rename(pid, "Zwei")])
    wal = Path(f"{sample_path}.wal")
    with open(wal, "r+b") as f:
        f.seek(sizes[0] // 2)
        f.write(b"\xff" * 32)
    damaged = wal.read_bytes()
    for args in (["summary", "--json"], ["check"], ["backup"]):
        r = cli("--db", str(sample_path), *args)
        assert r.code == 2, (args, r.err)
        assert f"Das Register {sample_path} ist beschädigt" in r.err
        assert "Nichts wurde gelöscht" in r.err
        assert f"Sicherungen liegen in {sample_path}.backups" in r.err
        assert f"„sachstand --db {sample_path} restore SICHERUNG“" in r.err
        assert "Traceback" not in r.err and r.out == ""
    assert wal.read_bytes() == damaged  # never deleted or rewritten
    assert kept_wals(sample_path) == [damaged]


def test_wal_with_garbage_appended_keeps_every_commit(sample_path: Path) -> None:
    pid = open_register(sample_path).projects()[0].id
    leave_wal(sample_path, [rename(pid, "Eins"), rename(pid, "Zwei")])
    wal = Path(f"{sample_path}.wal")
    with open(wal, "ab") as f:
        f.write(os.urandom(300))
    original = wal.read_bytes()
    repo = open_register(sample_path)
    assert repo.get(pid).name == "Zwei"
    p = repo.get(pid)
    repo.update(pid, p.version, {"name": "Drei"})
    assert names(sample_path)[pid] == "Drei"
    assert kept_wals(sample_path) == [original]


def test_wal_cut_inside_its_last_commit_drops_only_that_commit(sample_path: Path) -> None:
    """The state a kill during a commit leaves: the earlier commit stays, the torn one is gone."""
    pid = open_register(sample_path).projects()[0].id
    sizes = leave_wal(sample_path, [rename(pid, "Eins"), rename(pid, "Zwei")])
    wal = Path(f"{sample_path}.wal")
    os.truncate(wal, sizes[0] + (sizes[1] - sizes[0]) // 2)
    original = wal.read_bytes()
    repo = open_register(sample_path)
    assert repo.get(pid).name == "Eins"
    p = repo.get(pid)
    repo.update(pid, p.version, {"name": "Danach"})  # DuckDB replaces the WAL now ...
    assert kept_wals(sample_path) == [original]  # ... but its bytes were kept first
    assert names(sample_path)[pid] == "Danach"


def test_leftover_wal_is_kept_once_even_for_many_readers(cli, sample_path: Path) -> None:
    pid = open_register(sample_path).projects()[0].id
    leave_wal(sample_path, [rename(pid, "Eins")])
    for _ in range(3):
        assert cli("--db", str(sample_path), "summary", "--json").code == 0
    assert len(kept_wals(sample_path)) == 1


@pytest.mark.parametrize("where", [0, 4096 + 100])
def test_damaged_file_header_is_refused_with_guidance(cli, sample_path: Path, where: int) -> None:
    with open(sample_path, "r+b") as f:
        f.seek(where)
        f.write(b"\x00" * 64 if where == 0 else os.urandom(64))
    damaged = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "summary")
    assert r.code == 2
    assert f"Das Register {sample_path} ist beschädigt" in r.err and "restore SICHERUNG" in r.err
    assert "Traceback" not in r.err
    assert sample_path.read_bytes() == damaged


def test_foreign_file_is_not_called_damaged(cli, tmp_path: Path) -> None:
    other = tmp_path / "notiz.duckdb"
    other.write_text("Einkaufsliste")
    r = cli("--db", str(other), "summary")
    assert r.code == 2 and "ist kein sachstand-Register (keine DuckDB-Datei)" in r.err


def test_every_write_is_checkpointed_so_no_wal_stays(sample_path: Path) -> None:
    repo = open_register(sample_path)
    p = repo.projects()[0]
    repo.update(p.id, p.version, {"name": "Sofort in der Datei"})
    assert not Path(f"{sample_path}.wal").exists()
