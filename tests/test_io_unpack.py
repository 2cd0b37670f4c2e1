"""The check that unpacks a workbook's large parts once for the budget (``check_workbook(unpack=True)``)
refuses what the streamed check refuses and hands out the very bytes ``read_member`` reads."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from sachstand.io.limits import UNPACK_FROM, WorkbookRefused, check_workbook, read_member
from sachstand.io.reader import read_workbook


def _workbook(path: Path, rows: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws.append(["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Umsetzungsstand 2020 (in %)"])
    for i in range(rows):
        ws.append([f"FB {i % 7}", f"Projekt {i}", "Beschreibung " * 5, i % 101])
    wb.save(path)
    return path


def _rewritten(source: Path, target: Path, member: str, change) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, change(data) if info.filename == member else data)
    return target


def test_unpacked_parts_are_the_bytes_read_member_reads(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", 3000)
    plain, unpacked = check_workbook(path), check_workbook(path, unpack=True)
    sheet = "xl/worksheets/sheet1.xml"
    assert plain.unpacked == {} and sheet in unpacked.unpacked and plain.members[sheet] >= UNPACK_FROM
    assert all(size >= UNPACK_FROM for size in map(len, unpacked.unpacked.values()))
    assert read_member(unpacked, sheet) == read_member(plain, sheet)
    assert sheet not in unpacked.unpacked  # handed out once
    assert read_member(unpacked, sheet) == read_member(plain, sheet)  # then read again as usual
    assert len(read_workbook(path).rows) == 3000


@pytest.mark.parametrize("at", [0, (1 << 20) - 4, (1 << 20) - 1, 1 << 20, (1 << 20) + 3])
def test_a_dtd_in_a_large_part_is_refused_wherever_it_sits(tmp_path: Path, at: int) -> None:
    """Also across the boundary of two pieces of the unpacking."""
    path = _workbook(tmp_path / "a.xlsx", 12000)

    def with_dtd(data: bytes) -> bytes:
        assert len(data) > at + 100
        return data[:at] + b"<!DOCTYPE x>" + data[at:]

    bad = _rewritten(path, tmp_path / "bad.xlsx", "xl/worksheets/sheet1.xml", with_dtd)
    for unpack in (False, True):
        with pytest.raises(WorkbookRefused, match="Dokumenttypdefinition"):
            check_workbook(bad, unpack=unpack)
    with pytest.raises(WorkbookRefused, match="Dokumenttypdefinition"):
        read_workbook(bad)


def test_a_formula_in_a_plain_sheet_is_still_found(tmp_path: Path) -> None:
    """A sheet the budget's quick grammar takes (xlsxwriter's cells, a formula with its value) is
    scanned for formulas all the same: the budget marks it as needing the scan."""
    import xlsxwriter

    from sachstand.io.budget import check_budget

    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    ws.write_row(0, 0, ["Bereich", "Name des Projektes", "Geplante Kosten", "Umsetzungsstand 2020 (in %)"])
    for r in range(1, 3000):
        ws.write_row(r, 0, [f"FB {r % 7}", f"Projekt {r}", 100.5, r % 101])
    ws.write_formula(5, 2, '=HYPERLINK("http://example.org",5)', None, 5)
    ws.write_formula(6, 2, "=SUM(C2:C5)", None, 402)
    wb.close()
    checked = check_workbook(path, unpack=True)
    budget = check_budget(checked)
    assert "xl/worksheets/sheet1.xml" in budget.plain and not budget.clean
    data = read_workbook(path)
    assert [p.cell for p in data.problems] == ["Projekte!C6"]
    assert "HYPERLINK" in data.problems[0].message
    clean = tmp_path / "clean.xlsx"
    wb = xlsxwriter.Workbook(str(clean))
    ws = wb.add_worksheet("Projekte")
    ws.write_row(0, 0, ["Bereich", "Name des Projektes", "Umsetzungsstand 2020 (in %)"])
    for r in range(1, 3000):
        ws.write_row(r, 0, [f"FB {r % 7}", f"Projekt {r}", r % 101])
    wb.close()
    budget = check_budget(check_workbook(clean, unpack=True))
    assert budget.clean == {"xl/worksheets/sheet1.xml"} == set(budget.plain)
