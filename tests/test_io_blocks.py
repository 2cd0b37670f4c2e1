"""The reader takes a clean sheet's rows a block at a time (``SheetValues.blocks``,
``reader._plain_block``); what it keeps, skips and notes is what the row-at-a-time path keeps,
skips and notes for every row (``reader._plain_row`` over ``sheet_rows``)."""

from __future__ import annotations

import io
from datetime import datetime
from itertools import islice
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from sachstand.io import reader
from sachstand.io.limits import HEADER_SEARCH_ROWS, check_workbook
from sachstand.io.reader import PackedRows, WorkbookData, _find_header, _plain_row, read_workbook
from sachstand.io.sheetread import sheet_rows

HEADER = ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten", "Beginn",
          "Umsetzungsstand 2020 (in %)", "Umsetzungsstand 2021 (in %)"]


def _odd_row(i: int) -> list[object] | None:
    """Rows of every kind the block path looks at alone, among plain project rows."""
    kinds: dict[int, list[object] | None] = {
        3: [None, "Insgesamt", None, 5.0, None, None, None],
        5: [None, " TOTAL*", None, None, None, 1, 2],
        7: None,  # blank
        11: [None, "Summe", None, 1234.5, None, 300, 400],  # the totals word in the name column
        13: ["  Gesamt: ", None, None, 99.0, None, None, None],  # … in another column, spaced
        17: ["FB 1", "Total", "zwei Texte: ein Projekt", None, None, 5, 6],
        19: ["FB 1", 4711, "ein Name als Zahl", None, None, 0, 100],
        23: ["FB 1", None, "ohne Namen", 10.0, None, None, None],
        29: [None, None, None, None, None, True, False],  # booleans only
        31: ["FB 2", "   ", "Name aus Leerzeichen", None, None, None, None],
        37: [None, "GESAMTSUMME", None, None, None, None, None],
        41: ["FB 2", "Projekt mit Kostentext", "x", "Fördermittel beantragt", "Q 3 2021", 45, 50],
        43: [None, "ſumme", None, None, None, 10, None],  # casefolds to "summe"
        47: ["FB 3", "ſumme", None, None, None, None, None],  # two texts: a project
    }
    return kinds.get(i % 50, [f"FB {i % 5}", f"Projekt {i}", f"Beschreibung {i % 9}", float(i % 3 * 1000) or None,
                              datetime(2020, 1 + i % 12, 1), float(i % 101), float((i * 7) % 101)])


def _workbook(path: Path, rows: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws["C1"] = "Übersicht"
    for c, text in enumerate(HEADER):
        ws.cell(3, c + 3, text)
    for i in range(rows):
        row = _odd_row(i)
        for c, value in enumerate(row or []):
            if value is not None:
                ws.cell(4 + i, c + 3, value)
    wb.save(path)
    return path


def _row_by_row(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """The rows and notes as the row-at-a-time path makes them, for every row."""
    checked = check_workbook(path)
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
    rows = sheet_rows(checked, wb, "Projekte")
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    found = _find_header(head)
    assert found is not None
    header_row, columns, _duplicates = found
    col_items = sorted(columns.items(), key=lambda kv: kv[1])
    data = WorkbookData(path, path.name, "", "Projekte", header_row, columns,
                        PackedRows([k for k, _c in col_items], {k: "x" for k, _c in col_items}), None)
    width = max(columns.values()) + 1
    used = sorted(columns.values())
    for r, row in enumerate([*head, *rows]):
        if r > header_row:
            _plain_row(data, row, r, width, col_items, used)
    return [(row.number, row.values) for row in data.rows], data.notes


@pytest.mark.parametrize("block_cells", [2048, 7, 1])
def test_blocks_keep_skip_and_note_what_rows_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                block_cells: int) -> None:
    monkeypatch.setattr("sachstand.io.sheetread.BLOCK_CELLS", block_cells)
    path = _workbook(tmp_path / "liste.xlsx", 1500)
    data = read_workbook(path)
    expected_rows, expected_notes = _row_by_row(path)
    assert [(row.number, row.values) for row in data.rows] == expected_rows
    assert data.notes == expected_notes
    assert len(expected_notes) == 6 * 30 and len(expected_rows) == 1500 - 30 * 7
    assert data.problems == []
    by_number = {n: values for n, values in expected_rows}
    assert by_number[4 + 19]["name"] == 4711.0 and by_number[4 + 29] == {"progress:2020": True, "progress:2021": False}
    assert by_number[4 + 41]["planned_cost"] == "Fördermittel beantragt"
    assert data.rows[-1].ref("name") == f"Projekte!D{4 + 1499}"


def test_rows_from_blocks_share_equal_texts_and_whole_numbers(tmp_path: Path) -> None:
    data = read_workbook(_workbook(tmp_path / "liste.xlsx", 600))
    rows = [row.values for row in data.rows]
    departments = {id(v["department"]) for v in rows if v.get("department") == "FB 1"}
    fifties = {id(v[k]) for v in rows for k in ("progress:2020", "progress:2021") if v.get(k) == 50.0}
    assert len(departments) == 1 and len(fifties) == 1
    assert reader.PackedRows is type(data.rows)
