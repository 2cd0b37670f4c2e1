"""The first file of ``import`` is opened ahead (``opening.open_ahead``): its first sheet is parsed
in a thread while the rest of the import is loaded; what is read is what a plain read gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest

from sachstand.io import opening, reader
from sachstand.io.limits import WorkbookRefused


def _list(path: Path, rows: int, sheets: tuple[str, ...] = ("Projekte",)) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title in sheets:
        ws = wb.create_sheet(title)
        if title != "Projekte":
            ws.append(["Notizen"])
            continue
        ws.append(["Bereich", "Name des Projektes", "Geplante Kosten", "Umsetzungsstand 2020 (in %)"])
        for i in range(rows):
            ws.append([f"FB {10 + i % 3}", f"Projekt {i}", 1000.5 + i, i % 101])
    wb.save(path)
    return path


def _rows(data: reader.WorkbookData) -> list[tuple[int, dict[str, object]]]:
    return [(r.number, dict(r.values)) for r in data.rows]


@pytest.mark.parametrize("sheets", [("Projekte",), ("Notizen", "Projekte")])
def test_a_sheet_parsed_ahead_reads_as_a_plain_read(tmp_path: Path, sheets: tuple[str, ...],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first visible sheet is parsed in the thread, and not again; a later one (the list on
    the second sheet) is parsed where it is read."""
    path = _list(tmp_path / "liste.xlsx", 500, sheets)
    plain = reader.read_workbook(path)
    parsed: list[str] = []
    real = opening._open_sheet
    monkeypatch.setattr(opening, "_open_sheet", lambda c, wb, name: parsed.append(name) or real(c, wb, name))
    opened = opening.open_ahead(path)
    assert isinstance(opened, opening.Opened)
    ahead = reader.read_workbook(path, opened=opened)
    assert _rows(ahead) == _rows(plain) and ahead.columns == plain.columns and ahead.sheet == plain.sheet
    assert parsed == list(sheets[1:])


def test_a_refused_file_is_refused_ahead_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "kaputt.xlsx"
    bad.write_bytes(b"PK\x03\x04 kein Zip")
    refused = opening.open_ahead(bad)
    assert isinstance(refused, WorkbookRefused)
    with pytest.raises(WorkbookRefused) as plain:
        reader.read_workbook(bad)
    assert refused.reason == plain.value.reason


def test_a_file_given_twice_is_read_twice(cli, empty_path: Path, tmp_path: Path) -> None:
    """The file opened ahead is used once; the second mention reads it again, so its rows are
    found twice, as without the early open."""
    path = _list(tmp_path / "liste.xlsx", 3)
    r = cli("--db", str(empty_path), "import", str(path), str(path), "--json")
    data = json.loads(r.out)
    assert r.code == 1
    assert [n["name"] for n in data["new"]] == ["Projekt 0", "Projekt 1", "Projekt 2"]
    assert len(data["problems"]) == 3 and all("kommt mehrfach vor" in p["message"] for p in data["problems"])


def test_a_stop_while_the_sheet_is_parsed_ahead_is_the_stop(tmp_path: Path) -> None:
    """ctrl+c while the reader waits for the thread: the KeyboardInterrupt comes out (the command
    line's "abgebrochen"), not calamine's "Already borrowed" from closing a workbook in use. The
    signal really interrupts the ``join``: on Python 3.11 that marks the thread as stopped while
    it still runs (``is_alive`` is False), so its own event must say when it is done."""
    path = _list(tmp_path / "liste.xlsx", 40_000)
    stopped = 0
    for _ in range(5):
        opened = opening.open_ahead(path)
        assert isinstance(opened, opening.Opened)
        threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            reader.read_workbook(path, opened=opened)
        except KeyboardInterrupt:
            stopped += 1
        else:  # the signal came too late; the read is whole
            continue
        finally:
            opened._parsed.wait()
        opened.close()  # now it can be closed
    assert stopped


def test_the_opening_loads_no_rules_and_no_database() -> None:
    """``import`` opens its first file before loading the rest: the opening's own modules hold
    neither the register's rules and model nor DuckDB, which load while calamine parses."""
    code = ("import sys, sachstand.io.opening; "
            "print(sorted(m for m in sys.modules if m in ('duckdb', 'sachstand.core.changes', "
            "'sachstand.core.models', 'sachstand.io.reader', 'sachstand.io.layout')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
