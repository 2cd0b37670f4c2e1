"""OS errors on writes (issue 9, point 7): a full disk, a read-only file system. Each gives one
German line naming the cause, the register is unchanged, and no WAL or partial file is left; the
original text only with ``--verbose``. Real processes on a real, small tmpfs (skipped where
mounting is not permitted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from fs_helpers import fill, listing, remount_read_only, tmpfs

FULL = "kein Platz mehr auf dem Datenträger"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sachstand", *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "SACHSTAND_CONFIG": ""}, check=False)


def _one_german_line(err: str, cause: str) -> None:
    lines = [line for line in err.splitlines() if not line.startswith("Hinweis:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("Fehler: ") and cause in lines[0]
    for english in ("Traceback", "Exception ignored", "No space", "IO Error", "Read-only", "Error:"):
        assert english not in lines[0].removeprefix("Fehler: "), err


def _big_overview(sample_path: Path, tmp_path: Path) -> Path:
    """The register's overview with every description made long: a write of several MB."""
    out = tmp_path / "overview.xlsx"
    assert _run("--db", str(sample_path), "export", "register", "-o", str(out)).returncode == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Projekte"]
    col = {c.value: c.column for c in ws[1]}["Kurzbeschreibung / Projektziel"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col, "neu " * 2000 + str(r))
    big = tmp_path / "big.xlsx"
    wb.save(big)
    return big


@pytest.mark.slow
def test_disk_full_during_import_apply_leaves_the_register_and_no_wal(sample_path: Path, tmp_path: Path) -> None:
    big = _big_overview(sample_path, tmp_path)
    with tmpfs(tmp_path, "16m") as where:
        register = where / "register.duckdb"
        shutil.copy(sample_path, register)
        backups = tmp_path / "backups"  # the automatic backup goes elsewhere, so the write itself fails
        backups.mkdir()
        (where / "register.duckdb.backups").symlink_to(backups)
        before = register.read_bytes()
        fill(where, leave_kib=64)
        r = _run("--db", str(register), "import", str(big), "--apply")
        assert r.returncode == 2
        _one_german_line(r.stderr, FULL)
        assert "Das Register wurde nicht geändert" in r.stderr
        assert register.read_bytes() == before
        assert not Path(f"{register}.wal").exists()
        assert [n for n in listing(where) if "register.duckdb" in n and not n.startswith(".register")] == [
            "register.duckdb", "register.duckdb.backups"]
        r = _run("--verbose", "--db", str(register), "import", str(big), "--apply")
        assert r.returncode == 2 and "No space left on device" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("kind", ["register", "report", "markup", "svg", "templates", "backup"])
def test_disk_full_on_an_output_is_one_line_and_no_file(sample_path: Path, tmp_path: Path, kind: str) -> None:
    db = str(sample_path)
    book = tmp_path / "book.xlsx"
    assert _run("--db", db, "export", "register", "-o", str(book)).returncode == 0
    with tmpfs(tmp_path, "1m") as where:
        fill(where, leave_kib=8)
        args = {
            "register": ["export", "register", "-o", str(where / "r.xlsx")],
            "report": ["export", "report", "-o", str(where / "b.xlsx")],
            "markup": ["import", str(book), "--markup", str(where / "m.xlsx")],
            "svg": ["summary", "--svg", str(where / "s.svg")],
            "templates": ["export", "templates", "--year", "2021", "-o", str(where / "t")],
            "backup": ["backup", "-o", str(where / "b")],
        }[kind]
        r = _run("--db", db, *args)
        assert r.returncode == 2, r.stderr
        _one_german_line(r.stderr, FULL)
        left = [n for n in listing(where) if n != "filler.bin" and n not in ("t", "b")]
        assert left == [], left


def test_read_only_file_system(sample_path: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path, "16m") as where:
        register = where / "register.duckdb"
        shutil.copy(sample_path, register)
        remount_read_only(where)
        r = _run("--db", str(register), "summary", "--svg", str(where / "s.svg"))
        assert r.returncode == 2
        _one_german_line(r.stderr, "nur lesbares Dateisystem")
        p = _run("--db", str(register), "import", str(tmp_path / "fehlt.xlsx"))
        assert p.returncode == 2 and "Traceback" not in p.stderr


def test_init_on_a_full_disk_leaves_no_half_register(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "4m") as where:
        r = _run("--db", str(where / "r.duckdb"), "init")
        assert r.returncode == 2
        _one_german_line(r.stderr, FULL)
        assert "wurde nicht angelegt" in r.stderr
        assert not (where / "r.duckdb").exists() and not (where / "r.duckdb.wal").exists()
