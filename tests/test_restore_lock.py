"""Restore under the register's write lock, through symlinks, and argument checks before anything
is created (issue 9, points 6 and 11). Real processes, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sachstand.core import backup as bk
from sachstand.core import open_register
from sachstand.core.db import Database

ROUNDS = 6


def _backup_named(register: Path, name: str) -> Path:
    """A backup whose data says which one it is: project AC-002 is called ``name``."""
    repo = open_register(register)
    p = repo.get("AC-002")
    repo.update(p.id, p.version, {"name": name})
    return bk.backup(Database(register)).path


def _sachstand(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sachstand", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "SACHSTAND_LOCK_TIMEOUT": "60"})


def _last_restore(register: Path) -> str:
    conn = duckdb.connect(str(register), read_only=True)
    try:
        return conn.execute(
            "SELECT new_value FROM audit WHERE source = 'restore' ORDER BY changed_at DESC, rowid DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_concurrent_restores_run_one_after_the_other_and_the_audit_names_the_data(sample_path: Path) -> None:
    a = _backup_named(sample_path, "Stand A")
    b = _backup_named(sample_path, "Stand B")
    backup_of = {"Stand A": a.name, "Stand B": b.name}
    for _round in range(ROUNDS):
        procs = [_sachstand("--db", str(sample_path), "restore", str(path), "--yes") for path in (a, b)]
        results = [(p.wait(120), *p.communicate()) for p in procs]
        for code, out, err in results:
            assert code == 0, err
            assert "Traceback" not in err and out.startswith("Wiederhergestellt aus")
        held = open_register(sample_path).get("AC-002").name
        assert _last_restore(sample_path) == backup_of[held]
    kept = bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE)
    assert len(kept) == 2 * ROUNDS
    assert not list(sample_path.parent.glob(".*restore*"))


def test_a_symlinked_register_is_restored_at_its_target(cli, sample_path: Path, tmp_path: Path) -> None:
    saved = _backup_named(sample_path, "Gesichert")
    repo = open_register(sample_path)
    p = repo.get("AC-002")
    repo.update(p.id, p.version, {"name": "Danach"})
    elsewhere = tmp_path / "links"
    elsewhere.mkdir()
    link = elsewhere / "register.duckdb"
    link.symlink_to(sample_path)
    r = cli("--db", str(link), "restore", str(saved), "--yes")
    assert r.code == 0, r.err
    assert link.is_symlink() and link.resolve() == sample_path
    assert open_register(sample_path).get("AC-002").name == "Gesichert"
    assert [k.parent for k in bk.list_backups(sample_path, kind=bk.BEFORE_RESTORE)] == [
        sample_path.parent / f"{sample_path.name}.backups"]
    assert not (elsewhere / f"{link.name}.backups").exists()


def _foreign_files(tmp_path: Path, sample_path: Path) -> dict[str, tuple[Path, str]]:
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
    damaged = tmp_path / "kaputt.duckdb"
    data = bytearray(bk.backup(Database(sample_path)).path.read_bytes())
    data[3 * 4096 + 100: 3 * 4096 + 164] = os.urandom(64)
    damaged.write_bytes(bytes(data))
    return {
        "text": (text, "ist kein sachstand-Register"),
        "foreign": (foreign, "ist kein sachstand-Register"),
        "newer": (newer, "ist neuer als dieses Programm"),
        "damaged": (damaged, "ist beschädigt"),
        "device": (Path("/dev/null"), "ist kein sachstand-Register"),
    }


def test_restore_names_what_a_backup_is(cli, sample_path: Path, tmp_path: Path) -> None:
    before = sample_path.read_bytes()
    for key, (path, message) in _foreign_files(tmp_path, sample_path).items():
        r = cli("--db", str(sample_path), "restore", str(path), "--yes")
        assert r.code == 2 and message in r.err, (key, r.err)
        if key != "damaged":
            assert "beschädigt" not in r.err, key
        assert "Traceback" not in r.err and "Error" not in r.err
    assert sample_path.read_bytes() == before


@pytest.mark.parametrize("key", ["text", "foreign", "newer", "device"])
def test_backup_and_restore_check_the_register_before_creating_anything(cli, sample_path: Path, tmp_path: Path,
                                                                        key: str) -> None:
    saved = bk.backup(Database(sample_path)).path
    path, message = _foreign_files(tmp_path, sample_path)[key]
    before = sorted(os.listdir(path.parent))
    for args in (["backup"], ["backup", "-o", str(tmp_path / "neu")], ["restore", str(saved), "--yes"]):
        r = cli("--db", str(path), *args)
        assert r.code == 2 and message in r.err, (args, r.err)
        assert "beschädigt" not in r.err and "Traceback" not in r.err
    assert sorted(os.listdir(path.parent)) == before  # no <path>.backups/, no lock file, no copy
    assert not Path("/dev/null.backups").exists()
