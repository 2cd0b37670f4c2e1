"""The register workbook written a column at a time: the bytes xlsxwriter writes cell by cell,
and every hostile value read back exactly as the register holds it."""

from __future__ import annotations

import re
import zipfile
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from sachstand.core import Repository, init_register
from sachstand.core.changes import ChangeSet
from sachstand.core.models import Department, NewProject, Project, progress_label
from sachstand.core.types import Period, Precision
from sachstand.io.export import export_register
from sachstand.io.layout import META_SHEET, project_columns
from sachstand.io.reader import read_workbook
from sachstand.io.register_book import ARCHIVE, PROGRESS, REGISTER, read_extras
from sachstand.io.safe import DATE, DEFLATE_LEVEL, MONEY, PERCENT, Formats, day_serial, needs_quote, new_workbook
from sachstand.io.sheetrows import Column, RowStream

HOSTILE = [
    "=1+2", "=HYPERLINK(\"http://x\")", "+49 241", "-5", "@SUM(A1)", "\tTab vorne", "\nZeile vorne",
    "Steuerzeichen \x01\x07\x1b\x1f", "_x0041_ wörtlich", "<r><t>kein Rich Text</t></r>", "<r>", "a & b < c > d",
    "Umlaute äöüß €", "Emoji \U0001F600", "Zeile\nUmbruch\n", "x" * 32767, "Q 4 2020", "2020", "45 %", "#N/A",
    "[/] [link=x]", "11.05.217",
]
DAYS = [Period.day(date(2020, 5, 14)), Period.day(date(1900, 3, 1)), Period.day(date(1900, 2, 28)),
        Period.quarter(2021, 4), Period.month(2022, 6), Period.year(2023), None]
ENDS = [Period.quarter(2024, 4), None, Period.day(date(2024, 12, 31)), Period.month(2025, 1), Period.year(2026)]
COSTS = [Decimal("10500.00"), None, Decimal("0.01"), Decimal("999999999999.99"), Decimal("1234567.89"),
         Decimal("0.00"), Decimal("341672.42")]
YEARS = [2016, 2018, 2019, 2020]


def _hostile_register(path: Path) -> Repository:
    repo = init_register(path, sample=False)
    with repo.db.write() as conn:  # "=FB" predates the check of codes on entry: a legacy code
        conn.execute("INSERT INTO departments SELECT unnest($d), NULL", {"d": ["FB 11", "=FB", "Dez. Ü"]})
    new = []
    for i, text in enumerate(HOSTILE):
        progress = {y: (i * 7 + n * 13) % 101 for n, y in enumerate(YEARS) if (i + n) % 3}
        new.append(NewProject(
            department=("FB 11", "=FB", "Dez. Ü")[i % 3], name=text, description=HOSTILE[-1 - i] if i % 4 else "",
            planned_cost=COSTS[i % len(COSTS)], cost_note=HOSTILE[(i * 5) % len(HOSTILE)] if i % 2 else "",
            start=DAYS[i % len(DAYS)], end=ENDS[i % len(ENDS)],
            start_text="11.05.217" if DAYS[i % len(DAYS)] is None else "",
            progress=progress, priority=i if i % 5 == 0 and not progress else None,
        ))
    new.append(NewProject(department="FB 11", name="Geplant", priority=1))
    repo.apply(ChangeSet(new_projects=new))
    for p in repo.projects()[::4]:
        repo.archive(p.id, p.version)
    return repo


def _text(value: str) -> str:
    """A stored text as a workbook holds it: XML turns CR into LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _expected(p: Project, key: str) -> object:
    """What a cell of field ``key`` must read back as (calamine's value; None: no cell)."""
    value = p.value(key)
    if key == "planned_cost":
        return None if value is None else float(value)
    if key in ("start", "end"):
        if value is None:
            return getattr(p, f"{key}_text") or None
        assert isinstance(value, Period)
        if value.precision is Precision.DAY and day_serial(value.first_day) is not None:
            return value.first_day
        return value.format()
    if isinstance(value, str):
        return _text(value) or None
    return value


def _check_table(ws_x, grid: list[list[object]], projects: list[Project], cols: list[tuple[str, str]]) -> None:
    """``ws_x`` (openpyxl) and ``grid`` (calamine) of an overview sheet hold ``projects`` exactly."""
    assert [c.value for c in ws_x[1]] == [h for _k, h in cols]
    assert [row[0] for row in grid[1:]] == [p.id for p in projects]
    for r, p in enumerate(projects, start=2):
        for c, (key, _h) in enumerate(cols, start=1):
            cell, expected = ws_x.cell(r, c), _expected(p, key)
            got = grid[r - 1][c - 1]
            if expected is None:
                assert cell.value is None and got == "", (p.id, key, cell.value)
            elif isinstance(expected, date):
                assert cell.is_date and cell.number_format == DATE and cell.value.date() == expected
                assert got == expected
            elif isinstance(expected, str):
                assert cell.data_type == "s" and got == expected, (p.id, key, got[:30], expected[:30])
                assert cell.quotePrefix == needs_quote(expected), (p.id, key)
            else:
                assert got == expected and cell.value == expected, (p.id, key)
                assert cell.number_format == (MONEY if key == "planned_cost" else PERCENT)
        if p.planned_cost is not None:  # money exactly: the number is the Decimal to the cent
            assert Decimal(repr(ws_x.cell(r, 5).value)).quantize(Decimal("0.01")) == p.planned_cost


def test_the_register_workbook_reads_back_exactly_for_hostile_values(tmp_path: Path) -> None:
    repo = _hostile_register(tmp_path / "r.duckdb")
    out = tmp_path / "register.xlsx"
    year = 2020
    assert export_register(repo, out, year) == len(repo.projects())
    everything = repo.projects(include_archived=True)
    active = [p for p in everything if not p.archived]
    archived = [p for p in everything if p.archived]
    assert active and archived
    cols = project_columns(year)
    wb_x = openpyxl.load_workbook(out)
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    _check_table(wb_x["Projekte"], book.get_sheet_by_name("Projekte").to_python(), active, cols)
    _check_table(wb_x[ARCHIVE], book.get_sheet_by_name(ARCHIVE).to_python(), archived, cols)

    other = [y for y in YEARS if y not in (year - 1, year)]
    grid = book.get_sheet_by_name(PROGRESS).to_python()
    assert grid[0] == ["ID", *(progress_label(y) for y in other)]
    having = [p for p in everything if any(y in p.progress for y in other)]
    assert [row[0] for row in grid[1:]] == [p.id for p in having]
    for row, p in zip(grid[1:], having, strict=True):
        assert row[1:] == [p.progress.get(y, "") for y in other]

    meta = book.get_sheet_by_name(META_SHEET).to_python()
    start = meta.index(["ID", "Version"]) + 1
    assert [(r[0], r[1]) for r in meta[start:]] == [(p.id, p.version) for p in everything]
    register = book.get_sheet_by_name(REGISTER).to_python()
    assert [(r[0], r[1]) for r in register[5:]] == [(p.id, p.priority) for p in everything if p.priority is not None]

    # the import's own reader finds every row and its cells as written; only the control characters,
    # which the import refuses, are problems (named at their cells)
    data = read_workbook(out, extra=read_extras)
    assert [row.values["id"] for row in data.rows] == [p.id for p in active]
    assert data.extras is not None and data.extras.archive is not None
    assert [row.values["id"] for row in data.extras.archive.rows] == [p.id for p in archived]
    assert {p.value for p in data.problems} <= {_text(t) for t in HOSTILE if re.search("[\x00-\x08\x0b-\x1f]", t)}


def _table_workbook(path: Path, streamed: bool) -> None:
    """A table of hostile texts, whole numbers, floats and a column shared by dates and texts."""
    wb = new_workbook(path, constant_memory=True)
    fmt = Formats(wb)
    ws = wb.add_worksheet("Blatt")
    ws.write_string(0, 0, "Kopf", fmt.get(bold=True))
    plain, quoted = fmt.get(valign="top", text_wrap=True), fmt.get(valign="top", text_wrap=True, quote_prefix=True)
    day, money, pct = fmt.get(num_format=DATE), fmt.get(num_format=MONEY), fmt.get(num_format=PERCENT)
    n = len(HOSTILE) + 3
    texts = [*HOSTILE, "", None, "zuletzt"]
    wholes = [None if i % 4 == 0 else i * 3 for i in range(n)]
    floats = [None if i % 5 == 1 else i * 1234.56 + 0.01 for i in range(n)]
    serials = [day_serial(date(2020, 1, 1 + i)) if i % 2 else None for i in range(n)]
    shown = [None if i % 2 else f"Q {i % 4 + 1} 2020" for i in range(n)]
    late = [None] * (n - 1) + ["=spät"]  # a format first used in the last row
    columns = [Column(0, "text", texts, plain, quoted), Column(1, "whole", wholes, pct),
               Column(3, "number", floats, money), Column(4, "whole", serials, day),
               Column(4, "text", shown, None, fmt.get(quote_prefix=True)),
               Column(5, "text", late, None, fmt.get(bold=True, quote_prefix=True))]
    if streamed:
        stream = RowStream(ws, 2)
        stream.table(2, columns, n)
        stream.close()
    else:
        for i in range(n):
            for column in columns:
                value = column.values[i]
                if column.kind == "text" and value:
                    ws.write_string(2 + i, column.col, value, column.quoted if needs_quote(value) else column.fmt)
                elif column.kind != "text" and value is not None:
                    ws.write_number(2 + i, column.col, value, column.fmt)
    ws.write_string(n + 3, 0, "darunter")
    ws.freeze_panes(1, 0)
    wb.close()


def test_a_table_streamed_by_columns_is_the_bytes_xlsxwriter_writes(tmp_path: Path) -> None:
    _table_workbook(tmp_path / "cells.xlsx", streamed=False)
    _table_workbook(tmp_path / "stream.xlsx", streamed=True)
    with zipfile.ZipFile(tmp_path / "cells.xlsx") as a, zipfile.ZipFile(tmp_path / "stream.xlsx") as b:
        sheet_a, sheet_b = a.read("xl/worksheets/sheet1.xml"), b.read("xl/worksheets/sheet1.xml")
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")  # style numbers in first-use order
    # xlsxwriter's own path writes "<r>…</r>" text as one escaped run (``safe``), the stream as
    # plain escaped text; both read back as the text
    for run in (b"<t>&lt;r&gt;&lt;t&gt;kein Rich Text&lt;/t&gt;&lt;/r&gt;</t>",):
        assert run in sheet_b
        sheet_b = sheet_b.replace(run, b"<r>" + run + b"</r>")
    assert sheet_a == sheet_b
    assert b'<dimension ref="A1:F' in sheet_b


@pytest.mark.parametrize("ids", [None, ["FB11-003", "nicht-da-1", "FB11-001"]])
def test_the_export_of_chosen_rows_keeps_their_order(tmp_path: Path, ids: list[str] | None) -> None:
    repo = init_register(tmp_path / "r.duckdb", sample=False)
    repo.apply(ChangeSet(new_departments=[Department("FB 11", None)],
                         new_projects=[NewProject(department="FB 11", name=n, progress={2020: 5}) for n in ("b", "A", "c")]))
    out = tmp_path / "register.xlsx"
    export_register(repo, out, 2020, ids)
    grid = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Projekte").to_python()
    expected = ["FB11-002", "FB11-001", "FB11-003"] if ids is None else ["FB11-003", "FB11-001"]
    assert [r[0] for r in grid[1:]] == expected


def test_parts_are_packed_at_the_chosen_level_and_xlsxwriter_is_left_as_it_was(tmp_path: Path) -> None:
    import xlsxwriter.workbook

    repo = _hostile_register(tmp_path / "r.duckdb")
    out = tmp_path / "register.xlsx"
    export_register(repo, out, 2020)
    with zipfile.ZipFile(out) as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
        assert sheet.compress_size == len(packer.compress(z.read(sheet)) + packer.flush())
        assert z.testzip() is None
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile


def test_a_stopped_export_leaves_no_temporary_file(cli, sample_path: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+c while the register workbook is written (its rows already in xlsxwriter's temporary
    files): "abgebrochen", no workbook, and nothing left in the temporary folder; a finished
    export leaves nothing there either."""
    import gc
    import tempfile

    import sachstand.io.export as export

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    assert out.exists() and list(scratch.iterdir()) == []
    seen: list[list[Path]] = []

    def stop(wb: object) -> None:
        seen.append([p for p in scratch.rglob("*") if p.is_file()])
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "close_workbook", stop)
    again = tmp_path / "again.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(again)).code == 130
    gc.collect()
    assert seen[0]  # xlsxwriter's row files existed when it was stopped
    assert not again.exists() and list(scratch.iterdir()) == []
