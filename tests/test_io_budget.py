"""The workbook budget: hostile files never reach a Rust abort, and reading stays within memory.

- Every refused file of tests/data/bad/ is imported in its own process under ``RLIMIT_AS`` of
  1 GB: one German line, exit 2, no traceback, never exit 134 (a Rust allocation abort).
- The largest workbook the limits allow (every row, as many columns as fit, every cell a shared
  string and the whole text budget used, in UCS-4 so that Python's copies are as large as they
  get, every column read into the rows, and a problem in every cell) is imported by the real CLI
  in a subprocess; its peak resident memory (VmHWM) stays under 300 MB (measured: about 200 MB;
  before equal texts were shared and problems capped, 3.4 GB).
- The budget's fast path (byte searches) and the streamed path agree on real workbooks.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sachstand.io import budget
from sachstand.io.limits import MAX_UNCOMPRESSED, check_workbook
from tests.test_io_bad_corpus import BAD, REFUSED

GB = 1 << 30
PEAK_MB = 300

_UNDER_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({gb}, {gb}))
from sachstand.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_under_1_gb_address_space(name: str, sample_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_LIMIT.format(gb=GB), "--db", str(sample_path), "import", str(BAD / name), "--apply"],
        check=False, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode != 134, done.stderr[-300:]
    assert "Traceback" not in done.stderr and "memory allocation" not in done.stderr
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"Fehler: {name}: {REFUSED[name]}\n")


def _column(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def largest_allowed(path: Path) -> tuple[int, int]:
    """A workbook at the limits: ``MAX_GRID_ROWS`` rows, the widest grid that still fits, each data
    cell a shared string; the strings hold an astral character (4 bytes a character in Python) and
    are long enough that the cells use up ``MAX_TEXT``. Header: a name column and progress years,
    so that every column is read into the rows."""
    rows = budget.MAX_GRID_ROWS
    cell_bytes = len(f'<c r="AA{rows}" t="s"><v>0</v></c>')
    cols = min(budget.MAX_GRID_CELLS // rows, budget.MAX_COLUMNS, (MAX_UNCOMPRESSED - (4 << 20)) // (rows * cell_bytes))
    data_cells = (rows - 1) * cols
    length = (budget.MAX_TEXT - 10_000) // data_cells
    strings = [("\U0001F600" + f"{i}" + "x" * length)[:length] for i in range(10)]
    header = ["Name des Projektes"] + [f"Umsetzungsstand {2000 + c} (in %)" for c in range(1, cols)]
    sst = ['<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{data_cells}" uniqueCount="{len(strings) + cols}">']
    sst += [f"<si><t>{s}</t></si>" for s in strings + header]
    sst.append("</sst>")
    letters = [_column(c) for c in range(cols)]
    parts = ['<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{letters[-1]}{rows}"/><sheetData>']
    parts.append('<row r="1">' + "".join(f'<c r="{letters[c]}1" t="s"><v>{len(strings) + c}</v></c>' for c in range(cols)) + "</row>")
    for r in range(2, rows + 1):
        parts.append(f'<row r="{r}">' + "".join(f'<c r="{letters[c]}{r}" t="s"><v>{(r * cols + c) % len(strings)}</v></c>'
                                                for c in range(cols)) + "</row>")
    parts.append("</sheetData></worksheet>")
    ns = "http://schemas.openxmlformats.org"
    members = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
                               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                               '<Default Extension="xml" ContentType="application/xml"/>'
                               '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                               '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                               '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                               "</Types>",
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
                       f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                       "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
                           f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
                           '<sheet name="Projekte" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
                                      f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                                      f'<Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                      "</Relationships>",
        "xl/sharedStrings.xml": "".join(sst),
        "xl/worksheets/sheet1.xml": "".join(parts),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text.encode("utf-8"))
    return rows, cols


_IMPORT_PEAK = """
import sys, contextlib, io, json
from sachstand.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["--db", sys.argv[1], "import", sys.argv[2], "--json"])
data = json.loads(out.getvalue())
print(code, len(data["problems"]), open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


@pytest.mark.slow
def test_largest_allowed_workbook_is_imported_under_300_mb(tmp_path: Path, sample_path: Path) -> None:
    path = tmp_path / "largest.xlsx"
    rows, cols = largest_allowed(path)
    checked = check_workbook(path)  # within the zip limits too
    found = budget.check_budget(checked)
    assert found.grids["xl/worksheets/sheet1.xml"] == (rows, cols)
    assert found.text_chars > budget.MAX_TEXT * 0.95
    done = subprocess.run([sys.executable, "-c", _IMPORT_PEAK, str(sample_path), str(path)], check=False,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    code, problems, peak_kb = map(int, done.stdout.split())
    assert code == 1 and problems > 1000  # refused cell by cell, nothing applied
    print(f"largest allowed workbook ({rows} x {cols}): peak {peak_kb / 1024:.0f} MB")
    assert peak_kb / 1024 < PEAK_MB, f"peak {peak_kb / 1024:.0f} MB"


def test_one_cell_past_the_limits_is_refused(tmp_path: Path) -> None:
    """The streamed path and the fast path give the same verdict at the edge of the grid."""
    from tests.data.make_bad_corpus import HEAD, overview

    edge = f"{_column(budget.MAX_COLUMNS - 1)}{budget.MAX_GRID_CELLS // budget.MAX_COLUMNS}"
    for ref, ok in ((edge, True), (f"{_column(budget.MAX_COLUMNS)}1", False), (f"A{budget.MAX_GRID_ROWS + 1}", False)):
        path = tmp_path / f"{ref}.xlsx"
        overview(path, [["AC-002", "x", 45]], lambda ws, ref=ref: ws.__setitem__(ref, 1))
        checked = check_workbook(path)
        if ok:
            assert budget.check_budget(checked).grids
        else:
            with pytest.raises(budget.WorkbookRefused):
                budget.check_budget(checked)
    assert HEAD


def test_fast_and_streamed_paths_agree(tmp_path: Path) -> None:
    """A sheet whose cells carry no ``r`` (allowed; calamine counts them on) takes the streamed
    path; its grid and the rows read from it equal those of the same sheet with references."""
    import re

    from sachstand.io.reader import read_workbook
    from tests.data.make_bad_corpus import members_of, overview, raw_zip

    with_refs = tmp_path / "with_refs.xlsx"
    overview(with_refs, [["AC-002", "Netz", 45, "Q 4 2020", "Text"], ["AC-008", "Bezahlplattform", 80, "01.06.2017", "x"]])
    members = members_of(with_refs)
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", members[sheet])
    assert b'<c r="' not in members[sheet]
    without_refs = tmp_path / "without_refs.xlsx"
    raw_zip(without_refs, members)
    grids = [budget.check_budget(check_workbook(p)).grids[sheet] for p in (with_refs, without_refs)]
    assert grids[0] == grids[1] == (3, 5)
    rows = [[(r.number, r.values) for r in read_workbook(p).rows] for p in (with_refs, without_refs)]
    assert rows[0] == rows[1] and len(rows[0]) == 2
