"""Text from users, files and arguments on the terminal (issue 9, points 8 and 10): control,
bidi and zero-width characters are shown escaped in printouts, errors, echoed arguments and file
names; JSON escapes them; paths that are not UTF-8 give one German line. Real processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.models import NewProject

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
OSC8 = "\x1b]8;;https://example.org\x07klick\x1b]8;;\x07"


def _run(*args: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sachstand", *args], capture_output=True, timeout=120,
                          env={**os.environ, "SACHSTAND_CONFIG": "", **env}, check=False)


def _clean(data: bytes) -> str:
    text = data.decode("utf-8")
    found = RAW.search(text.replace("\n", ""))
    assert found is None, repr(found)
    return text


@pytest.fixture
def legacy_path(sample_path: Path) -> Path:
    """Department codes stored before codes were checked on entry (written with SQL)."""
    repo = open_register(sample_path)
    with repo.db.write() as conn:
        for code in ("FB \x9b1", "FB \u202e2", "FB \x1b[2J3"):
            conn.execute("INSERT INTO departments VALUES (?, NULL)", [code])
    for code in ("FB \x9b1", "FB \u202e2", "FB \x1b[2J3"):
        repo.create(NewProject(department=code, name=f"Projekt\u200b {code}", progress={2020: 5, 2021: 5},
                               start_text="irgendwann"))
    return sample_path


def test_known_departments_in_an_error_are_escaped(legacy_path: Path) -> None:
    r = _run("--db", str(legacy_path), "summary", "--department", f"NOPE{OSC8}\x07")
    assert r.returncode == 2
    err = _clean(r.stderr)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "FB \\x9b1" in err and "FB \\u202e2" in err and "FB \\x1b[2J3" in err
    assert "NOPE\\x1b]8;;https://example.org\\x07klick" in err


def test_printouts_json_and_template_names_are_escaped(legacy_path: Path, tmp_path: Path) -> None:
    r = _run("--db", str(legacy_path), "summary")
    assert r.returncode == 0
    assert "FB \\x9b1" in _clean(r.stdout)
    r = _run("--db", str(legacy_path), "summary", "--json")
    text = _clean(r.stdout)
    assert "\\u009b" in text and "\\u202e" in text and "\\u001b" in text
    codes = {d["code"] for d in json.loads(text)["by_department"]}
    assert {"FB \x9b1", "FB \u202e2", "FB \x1b[2J3"} <= codes  # the exact values, escaped in JSON
    r = _run("--db", str(legacy_path), "check", "--json")
    assert "\\u200b" in _clean(r.stdout)
    r = _run("--db", str(legacy_path), "export", "templates", "--year", "2021", "-o", str(tmp_path / "t"))
    assert r.returncode == 0, r.stderr
    out = _clean(r.stdout)
    assert "FB1_2021.xlsx" in out and "FB2_2021.xlsx" in out and "FB2J3_2021.xlsx" in out


def test_echoed_arguments_and_file_names_are_escaped(sample_path: Path, tmp_path: Path) -> None:
    hostile = f"{tmp_path}/\x1b[31mrot{OSC8}\x07.xlsx"
    for args in (
        ["--db", str(sample_path), "import", hostile],
        ["--db", str(sample_path), "summary", "--year", "\x1b[2J2020"],
        ["--db", str(sample_path), "export", "register", "-o", f"{tmp_path}/fehlt/\u202exslx.exe"],
        ["--db", f"{tmp_path}/\x1b]0;titel\x07.duckdb", "summary"],
        ["--db", str(sample_path), "summary", "--bogus\x1b[5m"],
    ):
        r = _run(*args)
        assert r.returncode == 2, args
        err = _clean(r.stderr)
        assert "Traceback" not in err and ("\\x1b" in err or "\\u202e" in err), (args, err)


@pytest.mark.parametrize("command", [["summary"], ["tui"], ["backup"]])
def test_a_register_path_that_is_not_utf8_is_one_german_line(tmp_path: Path, command: list[str]) -> None:
    db = os.fsencode(tmp_path) + b"/\xff.duckdb"
    r = _run(b"--db", db, *command)
    assert r.returncode == 2
    err = _clean(r.stderr)
    assert err.count("\n") == 1 and "bad_cast" not in err and "Traceback" not in err
    assert "kein gültiges UTF-8" in err and "\\udcff" in err


def test_an_output_path_that_is_not_utf8_works(sample_path: Path, tmp_path: Path) -> None:
    out = os.fsencode(tmp_path) + b"/bericht-\xff.xlsx"
    r = _run("--db", str(sample_path), "export", "register", "-o", out)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(out)
    assert "bericht-\\udcff.xlsx" in _clean(r.stdout)


def test_undecodable_text_arguments_and_workbook_names(sample_path: Path, tmp_path: Path) -> None:
    r = _run("--db", str(sample_path), "summary", "--department", b"FB \xff")
    assert r.returncode == 2
    err = _clean(r.stderr)
    assert err == "Fehler: Die Angabe --department „FB \\udcff“ ist kein gültiges UTF-8.\n"
    book = os.fsencode(tmp_path) + b"/r\xfcckmeldung.xlsx"  # Latin-1 "ü": not UTF-8
    assert _run("--db", str(sample_path), "export", "register", "-o", book).returncode == 0
    wb = openpyxl.load_workbook(os.fsdecode(book))
    ws = wb["Projekte"]
    col = {c.value: c.column for c in ws[1]}["Kurzbeschreibung / Projektziel"]
    ws.cell(2, col, "neu beschrieben")
    wb.save(os.fsdecode(book))
    r = _run("--db", str(sample_path), "import", book, "--apply")
    assert r.returncode == 0, r.stderr
    assert "r\\udcfcckmeldung.xlsx" in _clean(r.stdout)
    conn = duckdb.connect(str(sample_path), read_only=True)
    files = {f for (f,) in conn.execute("SELECT DISTINCT source_file FROM audit WHERE source = 'import'").fetchall()}
    conn.close()
    assert files == {"r\\xfcckmeldung.xlsx"}  # the audit keeps the bytes, written visibly
