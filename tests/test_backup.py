"""``sachstand backup`` and ``restore``: consistent copies, rotation, confirmation, kept copies."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sachstand.core import backup as bk
from sachstand.core import open_register
from sachstand.core.access import current_user
from sachstand.core.db import Database
from sachstand.core.errors import ConflictError
from sachstand.core.models import NewProject

NAME = r"register-\d{8}-\d{6}-\d{6}-manual\.duckdb"


def leave_wal(path: Path, sql: str) -> None:
    """A writer that commits ``sql`` and dies before any checkpoint, leaving a WAL behind."""
    code = (
        "import duckdb, os, sys\n"
        "c = duckdb.connect(sys.argv[1])\n"
        "c.execute(\"SET checkpoint_threshold = '1GB'\")\n"
        "c.execute(sys.argv[2])\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), sql], check=True)
    assert Path(f"{path}.wal").exists()


def names(path: Path) -> dict[str, str]:
    return {p.id: p.name for p in open_register(path).projects()}


def test_backup_is_a_checked_copy_in_the_backups_folder(cli, sample_path: Path) -> None:
    before = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "backup")
    assert r.code == 0, r.err
    folder = sample_path.parent / "register.duckdb.backups"
    [copy] = list(folder.iterdir())
    import re

    assert re.fullmatch(NAME, copy.name)
    assert f"Sicherung angelegt: {copy} (58 Projekte" in r.out
    assert names(copy) == names(sample_path)
    assert open_register(copy).audit_count() == open_register(sample_path).audit_count()
    assert sample_path.read_bytes() == before


def test_backup_to_a_folder_and_keep(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sicherungen"
    for _ in range(4):
        assert cli("--db", str(sample_path), "backup", "-o", str(out)).code == 0
    assert len(list(out.iterdir())) == 4
    r = cli("--db", str(sample_path), "backup", "-o", str(out), "--keep", "2")
    assert r.code == 0 and "3 ältere Sicherung(en) entfernt" in r.out
    assert len(bk.list_backups(sample_path, out)) == 2
    r = cli("--db", str(sample_path), "backup", "--keep", "0")
    assert r.code == 2 and "„0“ ist keine Anzahl ab 1" in r.err


def test_automatic_backups_rotate_and_leave_manual_ones(sample_path: Path) -> None:
    repo = open_register(sample_path)
    manual = bk.backup(repo.db).path
    made = [bk.backup_before_import(repo, keep=3).path for _ in range(5)]
    autos = bk.list_backups(sample_path, kind=bk.AUTO_IMPORT)
    assert autos == made[-3:]
    assert manual.exists()
    assert bk.backup_before_import(repo.db, keep=3).path.exists()  # a Database works as well


def test_an_imports_backup_checks_its_copy_on_one_thread_and_the_register_not_again(
        sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import has opened and read the register: its backup opens only the copy, to check it,
    with one DuckDB thread (it runs beside the import's output). A register not opened yet by
    this ``Database`` is checked first, as a manual backup is."""
    opened: list[tuple[str, int | None]] = []
    real = bk.connect_file
    monkeypatch.setattr(bk, "connect_file", lambda path, read_only=False, threads=None: (
        opened.append((Path(path).name, threads)) or real(path, read_only, threads)))
    repo = open_register(sample_path)
    repo.projects()
    info = bk.backup_before_import(repo)
    assert opened == [(f".{info.path.name}.tmp", 1)]
    assert info.projects == len(repo.projects())
    opened.clear()
    bk.backup_before_import(Database(sample_path))
    assert len(opened) == 2 and opened[0][0] == sample_path.name


def test_backup_waits_for_a_writer_and_copies_after_its_commit(sample_path: Path) -> None:
    """A writer holds the file mid-transaction; the backup waits for the lock, then copies."""
    pid = open_register(sample_path).projects()[0].id
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from sachstand.core.db import Database\n"
         "db = Database(sys.argv[1])\n"
         "with db.write() as c:\n"
         "    c.execute(\"UPDATE projects SET name = 'Während der Sicherung' WHERE id = ?\", [sys.argv[2]])\n"
         "    print('mitten', flush=True)\n"
         "    time.sleep(1.5)\n",
         str(sample_path), pid],
        stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline().strip() == "mitten"
    started = time.monotonic()
    info = bk.backup(Database(sample_path))
    assert time.monotonic() - started > 0.5
    assert writer.wait() == 0
    assert names(info.path)[pid] == "Während der Sicherung"


def test_backup_folds_a_crash_wal_into_one_file(sample_path: Path) -> None:
    pid = open_register(sample_path).projects()[0].id
    leave_wal(sample_path, f"UPDATE projects SET name = 'Nach dem Absturz' WHERE id = '{pid}'")
    info = bk.backup(Database(sample_path))
    assert not Path(f"{info.path}.wal").exists()
    assert names(info.path)[pid] == "Nach dem Absturz"


def test_restore_with_yes_keeps_the_current_file(cli, sample_path: Path) -> None:
    saved = bk.backup(Database(sample_path)).path
    repo = open_register(sample_path)
    p = repo.projects()[0]
    repo.update(p.id, p.version, {"name": "Geändert nach der Sicherung"})
    changed_audit = repo.audit_count()

    r = cli("--db", str(sample_path), "restore", str(saved), "--yes")
    assert r.code == 0, r.err
    assert f"Wiederhergestellt aus {saved}" in r.out
    assert names(sample_path)[p.id] == p.name
    kept = bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE)
    assert len(kept) == 1 and f"Die vorige Datei liegt in {kept[0]}" in r.out
    assert names(kept[0])[p.id] == "Geändert nach der Sicherung"
    assert open_register(kept[0]).audit_count() == changed_audit
    restored = open_register(sample_path)
    assert restored.audit_count() == open_register(saved).audit_count() + 1
    with restored.db.read() as conn:
        row = conn.execute(
            "SELECT os_user, source, entity, field, new_value FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert row == (current_user(), "restore", "register", "restore", saved.name)
    # the restored register is writable again at once
    q = restored.get(p.id)
    assert restored.update(q.id, q.version, {"name": "Weiter"}).name == "Weiter"


def test_a_window_open_before_the_restore_meets_a_conflict(cli, sample_path: Path) -> None:
    """Versions are raised above the replaced file's, so a save based on the old state is stale."""
    saved = bk.backup(Database(sample_path)).path
    repo = open_register(sample_path)
    p = repo.projects()[0]
    once = repo.update(p.id, p.version, {"name": "Nach der Sicherung"})  # version p.version + 1
    assert cli("--db", str(sample_path), "restore", str(saved), "--yes").code == 0
    restored = open_register(sample_path).get(p.id)
    assert restored.name == p.name and restored.version > once.version
    with pytest.raises(ConflictError):  # the window still shows version once.version
        open_register(sample_path).update(p.id, once.version, {"planned_cost": Decimal("1.00")})
    assert open_register(sample_path).get(p.id).planned_cost == p.planned_cost


def test_an_id_handed_out_after_the_backup_is_not_handed_out_again(cli, sample_path: Path) -> None:
    saved = bk.backup(Database(sample_path)).path
    created = open_register(sample_path).create(NewProject(department="AC", name="Nach der Sicherung"))
    assert cli("--db", str(sample_path), "restore", str(saved), "--yes").code == 0
    again = open_register(sample_path).create(NewProject(department="AC", name="Nach der Wiederherstellung"))
    assert created.id == "AC-021" and again.id == "AC-022"


def test_restore_without_terminal_and_without_yes_is_refused(cli, sample_path: Path) -> None:
    saved = bk.backup(Database(sample_path)).path
    before = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "restore", str(saved))
    assert r.code == 2
    assert "Fehler: Wiederherstellen ohne Terminal braucht --yes; nichts wurde geändert." in r.err
    assert sample_path.read_bytes() == before
    assert bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE) == []


def _restore_in_terminal(register: Path, saved: Path, answer: str) -> tuple[int, str]:
    """Run ``sachstand restore`` on a real pseudo-terminal and type ``answer`` at the prompt."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("SACHSTAND_CONFIG", "SACHSTAND_DB")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sachstand.cli", "--db", str(register), "restore", str(saved)],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 30
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"[ja/nein]" in seen:
            os.write(main, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    os.close(main)
    return proc.wait(timeout=10), seen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "code", "restored"), [("nein", 1, False), ("", 1, False), ("ja", 0, True)])
def test_restore_asks_in_a_terminal(sample_path: Path, answer: str, code: int, restored: bool) -> None:
    saved = bk.backup(Database(sample_path)).path
    repo = open_register(sample_path)
    p = repo.projects()[0]
    repo.update(p.id, p.version, {"name": "Zwischenstand"})
    rc, screen = _restore_in_terminal(sample_path, saved, answer)
    assert "wird durch die Sicherung" in screen and "Wiederherstellen? [ja/nein]" in screen
    assert rc == code, screen
    assert names(sample_path)[p.id] == (p.name if restored else "Zwischenstand")
    if not restored:
        assert "Abgebrochen; nichts wurde geändert." in screen


def test_restore_refuses_what_is_no_register(cli, sample_path: Path, tmp_path: Path) -> None:
    before = sample_path.read_bytes()
    text = tmp_path / "notiz.duckdb"
    text.write_text("keine Datenbank")
    foreign = tmp_path / "fremd.duckdb"
    conn = duckdb.connect(str(foreign))
    conn.execute("CREATE TABLE t (x INT)")
    conn.close()
    newer = tmp_path / "neuer.duckdb"
    newer.write_bytes(bk.backup(Database(sample_path)).path.read_bytes())
    conn = duckdb.connect(str(newer))
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    cases = [
        (text, "ist kein sachstand-Register (keine DuckDB-Datei)"),
        (foreign, "ist kein sachstand-Register (die Datenbank enthält kein sachstand-Register)"),
        (newer, "ist neuer als dieses Programm (Schema-Version 999"),
        (tmp_path / "fehlt.duckdb", "gibt es nicht"),
        (sample_path, "ist die Registerdatei selbst"),
    ]
    for path, message in cases:
        r = cli("--db", str(sample_path), "restore", str(path), "--yes")
        assert r.code == 2, (path, r.err)
        assert message in r.err and "Traceback" not in r.err
    assert sample_path.read_bytes() == before


def test_restore_repairs_a_damaged_register_and_keeps_it(cli, sample_path: Path) -> None:
    saved = bk.backup(Database(sample_path)).path
    with open(sample_path, "r+b") as f:
        f.seek(4096)
        f.write(os.urandom(64))
    damaged = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "summary", "--json")
    assert r.code == 2 and "ist beschädigt" in r.err and "restore" in r.err
    r = cli("--db", str(sample_path), "restore", str(saved), "--yes")
    assert r.code == 0, r.err
    assert len(names(sample_path)) == 58
    [kept] = bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE)
    assert kept.read_bytes() == damaged


def test_restore_moves_a_leftover_wal_beside_the_kept_copy(cli, sample_path: Path) -> None:
    saved = bk.backup(Database(sample_path)).path
    pid = open_register(sample_path).projects()[0].id
    leave_wal(sample_path, f"UPDATE projects SET name = 'Nur im WAL' WHERE id = '{pid}'")
    wal_bytes = Path(f"{sample_path}.wal").read_bytes()
    r = cli("--db", str(sample_path), "restore", str(saved), "--yes")
    assert r.code == 0, r.err
    assert not Path(f"{sample_path}.wal").exists()
    [kept] = bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE)
    assert Path(f"{kept}.wal").read_bytes() == wal_bytes
    assert names(sample_path)[pid] != "Nur im WAL"
    assert names(kept)[pid] == "Nur im WAL"  # the kept copy with its WAL is the state before


def test_import_apply_backs_up_first_and_rotates(cli, sample_path: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from test_roles import filled_template

    monkeypatch.setenv("SACHSTAND_BACKUP_KEEP", "2")
    before = names(sample_path)
    for i, percent in enumerate((10, 20, 30)):
        template = filled_template(cli, sample_path, "FB 11", tmp_path / f"v{i}", percent)
        had = bk.list_backups(sample_path, kind=bk.AUTO_IMPORT)
        r = cli("--db", str(sample_path), "import", str(template))
        assert r.code == 0, r.out + r.err
        assert bk.list_backups(sample_path, kind=bk.AUTO_IMPORT) == had  # a dry run backs up nothing
        r = cli("--db", str(sample_path), "import", str(template), "--apply")
        assert r.code == 0, r.out + r.err
    autos = bk.list_backups(sample_path, kind=bk.AUTO_IMPORT)
    assert len(autos) == 2
    unchanged = cli("--db", str(sample_path), "import", str(template), "--apply")
    assert unchanged.code == 0 and bk.list_backups(sample_path, kind=bk.AUTO_IMPORT) == autos  # nothing to write
    # the newest automatic backup holds the state just before the last import: 20 %, not 30 %
    fb11 = [p for p in open_register(autos[-1]).projects(department="FB 11") if 2021 in p.progress]
    assert fb11 and {p.progress[2021] for p in fb11} == {20}
    assert names(autos[-1]) == before


def test_a_killed_backups_leftover_is_removed_later(sample_path: Path) -> None:
    folder = sample_path.parent / "register.duckdb.backups"
    folder.mkdir()
    old = folder / ".register-20200101-000000-000000-auto-import.duckdb.tmp"
    fresh = folder / ".register-20200101-000001-000000-auto-import.duckdb.tmp"
    old.write_bytes(b"halb")
    fresh.write_bytes(b"halb")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    info = bk.backup(Database(sample_path))
    assert not old.exists() and fresh.exists()  # a fresh one may belong to a backup running now
    assert bk.list_backups(sample_path) == [info.path]
