"""Several processes on one register file: writes queue up and all succeed, stale writes are
refused with nothing lost, and a stream of readers does not starve a writer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from sachstand.core import open_register
from sachstand.core.access import current_user
from sachstand.core.errors import ConflictError, CreatedMeanwhile, RegisterLocked

pytestmark = pytest.mark.slow

INCREMENTER = r"""
import json, sys, time
from pathlib import Path
from sachstand.core import open_register
from sachstand.core.errors import ConflictError
from sachstand.core.changes import ChangeSet, ProjectUpdate

path, pid, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
repo = open_register(path)
while not go.exists():
    time.sleep(0.005)
done = conflicts = already = 0
seen = []
while done < count:
    p = repo.get(pid)
    try:
        result = repo.apply(ChangeSet(updates=[ProjectUpdate(pid, p.version, {"planned_cost": p.planned_cost + 1})]))
    except ConflictError:
        conflicts += 1
        continue
    if not result.changed_fields:  # another process stored this very value meanwhile: add 1 again
        already += 1
        continue
    done += 1
    seen.append(str(p.planned_cost))
print(json.dumps({"done": done, "conflicts": conflicts, "already": already, "olds": seen}))
"""


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_at_the_same_moment_both_succeed(sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    a, b = repo.projects()[:2]
    go = tmp_path / "go"
    procs = [start(INCREMENTER, str(sample_path), p.id, "1", str(go)) for p in (a, b)]
    time.sleep(1.0)  # both have imported and opened the register, and wait for the signal
    go.touch()
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert [r["done"] for r in results] == [1, 1]
    assert repo.get(a.id).planned_cost == a.planned_cost + 1
    assert repo.get(b.id).planned_cost == b.planned_cost + 1


def test_four_processes_incrementing_one_project_lose_nothing(sample_path: Path, tmp_path: Path) -> None:
    """Read, add 1 €, write with the version read, retry on conflict: 4 x 20 increments.

    A write whose values equal the stored ones writes nothing and is not checked against the
    version (the repository's rule: it is no change). An incrementing client therefore looks at
    ``ApplyResult.changed_fields`` and adds again when another process stored that value first.
    """
    repo = open_register(sample_path)
    target = next(p for p in repo.projects() if p.planned_cost is not None)
    audit_before = repo.audit_count()
    go = tmp_path / "go"
    procs = [start(INCREMENTER, str(sample_path), target.id, "20", str(go)) for _ in range(4)]
    time.sleep(1.0)
    go.touch()
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _o, e in outs]
    results = [json.loads(o) for o, _e in outs]
    assert sum(r["done"] for r in results) == 80

    stored = repo.get(target.id)
    assert stored.planned_cost == target.planned_cost + 80  # no increment lost
    assert stored.version == target.version + 80
    rows = [a for a in repo.audit_for(target.id, limit=1000) if a.field == "planned_cost"]
    assert len(rows) == 80 and repo.audit_count() == audit_before + 80
    olds = sorted(Decimal(a.old_value) for a in rows)
    assert olds == [target.planned_cost + i for i in range(80)]  # each value was written on exactly once
    assert all(Decimal(a.new_value) == Decimal(a.old_value) + 1 for a in rows)
    # what each process saw succeed is in the audit log with the value it had read
    assert sorted(Decimal(v) for r in results for v in r["olds"]) == olds
    assert {a.os_user for a in rows} == {current_user()} and {a.source for a in rows} == {"cli"}


def test_stale_write_is_refused_and_nothing_is_lost(sample_path: Path) -> None:
    first, second = open_register(sample_path), open_register(sample_path)
    pid = first.projects()[0].id
    mine, theirs = first.get(pid), second.get(pid)
    first.update(pid, mine.version, {"name": "Von Frau Müller", "progress:2021": 40})
    audit = first.audit_count()
    with pytest.raises(ConflictError) as exc:
        second.update(pid, theirs.version, {"name": "Von Herrn Schmitz", "planned_cost": Decimal("1.00")})
    err = exc.value
    assert err.exit_code == 1 and "Nichts wurde gespeichert; bitte neu laden." in err.message
    fields = {c.field: c for c in err.conflicts}
    assert fields["name"].mine == "Von Herrn Schmitz" and fields["name"].theirs == "Von Frau Müller"
    stored = first.get(pid)
    assert stored.name == "Von Frau Müller" and stored.progress[2021] == 40
    assert stored.planned_cost == mine.planned_cost and first.audit_count() == audit
    with pytest.raises(ConflictError):
        second.archive(pid, theirs.version)
    assert not first.get(pid).archived
    fresh = second.get(pid)  # reloading shows the other change, and then the write goes through
    assert second.update(pid, fresh.version, {"name": "Von Herrn Schmitz"}).progress[2021] == 40


STALE_WRITER = r"""
import sys, time
from pathlib import Path
from sachstand.core import open_register
from sachstand.core.errors import ConflictError

path, pid, ready, go = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
repo = open_register(path)
p = repo.get(pid)
ready.touch()
while not go.exists():
    time.sleep(0.01)
try:
    repo.update(pid, p.version, {"name": "Veraltet geschrieben"})
except ConflictError as exc:
    print(exc.message)
    sys.exit(exc.exit_code)
"""


def test_stale_write_from_another_process_is_refused(sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    pid = repo.projects()[0].id
    ready, go = tmp_path / "ready", tmp_path / "go"
    proc = start(STALE_WRITER, str(sample_path), pid, str(ready), str(go))
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    p = repo.get(pid)
    repo.update(pid, p.version, {"name": "Zuerst gespeichert"})
    go.touch()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert f"Konflikt bei {pid}" in out and "Zuerst gespeichert" in out
    assert repo.get(pid).name == "Zuerst gespeichert"
    assert [a.new_value for a in repo.audit_for(pid) if a.field == "name"] == ["Zuerst gespeichert"]


HOLDER = r"""
import sys, time
from sachstand.core.db import Database
with Database(sys.argv[1]).write() as c:
    c.execute("UPDATE projects SET name = name WHERE false")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _list_of_new_projects(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_two_imports_of_one_list_never_create_its_projects_twice(cli, sample_path: Path, tmp_path: Path) -> None:
    """Both imports planned "Alpha" and "Beta" as new before either wrote (seen 3 of 3 times with
    two processes): each project was created twice. The write checks the plan's "not there yet"
    inside its transaction: the second import is refused whole, with one line, nothing written."""
    from sachstand.io.diff import apply_plan, plan_import
    from sachstand.io.reader import read_workbook

    book = _list_of_new_projects(tmp_path / "liste.xlsx", [["FB 11", "Alpha", 40], ["FB 11", "Beta", 70]])
    repo = open_register(sample_path)
    first, second = (plan_import(repo, [read_workbook(str(book))]) for _ in range(2))
    assert [r.kind for r in first.rows] == [r.kind for r in second.rows] == ["new", "new"]
    apply_plan(repo, first)
    before = sample_path.read_bytes()
    with pytest.raises(CreatedMeanwhile) as refused:
        apply_plan(repo, second)
    assert str(refused.value).startswith("Konflikt: das Projekt „Alpha“ im Bereich FB 11 hat jemand anderes "
                                         "inzwischen angelegt (FB11-")
    assert sample_path.read_bytes() == before
    assert sorted(p.name for p in repo.projects(department="FB 11") if p.name in ("Alpha", "Beta")) == ["Alpha", "Beta"]
    # two processes at once, as it was found: two of each never again
    race = _list_of_new_projects(tmp_path / "race.xlsx", [["FB 11", "Gamma", 10], ["FB 11", "Delta", 20]])
    runs = [subprocess.Popen([sys.executable, "-m", "sachstand", "--db", str(sample_path), "import", str(race),
                              "--apply"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runs]
    assert sorted(code for code, _ in results) in ([0, 1], [0, 0]), results
    names = [p.name for p in open_register(sample_path).projects(department="FB 11")]
    assert names.count("Gamma") == names.count("Delta") == 1
    assert all("Traceback" not in err for _, err in results)


def test_a_name_written_with_other_white_space_or_case_is_the_same_project(cli, sample_path: Path,
                                                                          tmp_path: Path) -> None:
    """"Elektronische\u00a0Personalakte" or "elektronische  personalakte" in a list without IDs
    looked like the stored project in the preview but became a new one beside it. They are the
    stored project (the spelling in the file is offered as a change of its name, as a change of
    case always was)."""
    repo = open_register(sample_path)
    stored = next(p for p in repo.projects(department="FB 11") if " " in p.name)
    variants = [stored.name.replace(" ", "\u00a0", 1), "  " + stored.name.lower().replace(" ", "  ")]
    for i, name in enumerate(variants):
        book = _list_of_new_projects(tmp_path / f"v{i}.xlsx", [["FB 11", name, 55]])
        data = json.loads(cli("--db", str(sample_path), "import", str(book), "--json").out)
        assert data["new"] == [] and {c["project"] for c in data["changed"]} == {stored.id}, data
        assert "progress:2020" in {c["field"] for c in data["changed"]}


def test_a_long_held_lock_gives_a_clear_refusal(cli, sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACHSTAND_LOCK_TIMEOUT", "1")
    holder = start(HOLDER, str(sample_path), "4")
    assert holder.stdout.readline().strip() == "holding"
    with pytest.raises(RegisterLocked) as exc:
        open_register(sample_path).projects()
    assert "nach 1 s Warten aufgegeben" in exc.value.message and exc.value.exit_code == 1
    r = cli("--db", str(sample_path), "summary", "--json")
    assert r.code == 1 and "wird gerade von einem anderen Prozess geschrieben" in r.err
    holder.wait(timeout=30)
    assert len(open_register(sample_path).projects()) == 58


READER_LOOP = r"""
import io, sys, time
from contextlib import redirect_stdout
from pathlib import Path
from sachstand.cli import main

path, stop = sys.argv[1], Path(sys.argv[2])
n = 0
while not stop.exists():
    with redirect_stdout(io.StringIO()):
        assert main(["--db", path, "summary", "--json"]) == 0
    n += 1
print(n)
"""


def test_a_writer_is_not_starved_by_readers(sample_path: Path, tmp_path: Path) -> None:
    """Three processes run ``summary`` without pause; a writer still gets its ten writes through,
    each within the normal lock timeout (DuckDB's lock alone let 2 writes through in 15 s)."""
    stop = tmp_path / "stop"
    readers = [start(READER_LOOP, str(sample_path), str(stop)) for _ in range(3)]
    try:
        time.sleep(1.5)
        repo = open_register(sample_path)
        pid = repo.projects()[0].id
        for i in range(10):
            p = repo.get(pid)
            repo.update(pid, p.version, {"name": f"Schreiben {i}"})
    finally:
        stop.touch()
    counts = [int(r.communicate(timeout=60)[0]) for r in readers]
    assert all(r.returncode == 0 for r in readers)
    assert all(n > 0 for n in counts)
    assert repo.get(pid).name == "Schreiben 9"


def test_lock_file_is_beside_the_register_and_harmless(sample_path: Path) -> None:
    repo = open_register(sample_path)
    repo.projects()
    lock = sample_path.parent / f".{sample_path.name}.lock"
    assert lock.exists() and lock.stat().st_size == 0
    lock.unlink()  # a missing lock file is simply made again
    p = repo.projects()[0]
    repo.update(p.id, p.version, {"name": "Trotzdem"})
    assert lock.exists()
