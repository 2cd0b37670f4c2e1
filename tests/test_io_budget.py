"""The workbook budget: hostile files never reach a Rust abort, and reading stays within memory.

- Every refused file of tests/data/bad/ is imported in its own process under ``RLIMIT_AS`` of
  1 GB: one German line, exit 2, no traceback, never exit 134 (a Rust allocation abort).
- The largest workbook the limits allow (every row, as many columns as fit, every cell a shared
  string and the whole text budget used, in UCS-4 so that Python's copies are as large as they
  get, every column read into the rows, and a problem in every cell) is imported by the real CLI
  in a subprocess; its peak resident memory (VmHWM) stays under 300 MB. The text budget counts
  memory, not characters: 740,000 distinct 40-character texts with an emoji were accepted at
  443 MB while the budget counted characters.
- The budget's fast path (byte searches) and the streamed path agree on real workbooks.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sachstand.io import budget, sheetgrid, textcost, xmlscan
from sachstand.io.limits import WorkbookRefused, check_workbook
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


def largest_allowed(path: Path, repeated: bool = False) -> tuple[int, int]:
    """A workbook at the limits in one of its two most expensive shapes (measured), 19 columns
    wide (20 for repeated texts), every cell a shared string. Distinct: short texts, each with an astral character, so
    that Python stores 4 bytes a character and every cell is its own object, as many as
    ``MAX_TEXT`` allows. Repeated (``repeated``): 1,000 short texts used over and over up to
    ``MAX_GRID_CELLS``, which the text budget allows since the reader keeps each text once, while
    calamine still copies it into every cell. Header: a name column and progress years, so that
    every column is read into the rows."""
    cols, length = 19, 12
    per_cell = (4 + length - 1) + 4 * length + textcost.STRING_COST + textcost.INTERN_COST + textcost.USE_COST
    data_cells = (textcost.MAX_TEXT - 100_000) // per_cell
    if repeated:
        cols = 20  # 100,000 rows
        data_cells = sheetgrid.MAX_GRID_CELLS - cols
    rows = data_cells // cols + 1
    data_cells = (rows - 1) * cols
    strings = [("\U0001F600" + f"{i:011d}")[:length] for i in range(data_cells)]
    if repeated:
        strings = [f"{i:04d}" for i in range(1_000)]
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
        parts.append(f'<row r="{r}">' + "".join(f'<c r="{letters[c]}{r}" t="s"><v>{((r - 2) * cols + c) % len(strings)}</v></c>'
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
@pytest.mark.parametrize("repeated", [False, True], ids=["distinct", "repeated"])
def test_largest_allowed_workbook_is_imported_under_300_mb(repeated: bool, tmp_path: Path, sample_path: Path) -> None:
    path = tmp_path / "largest.xlsx"
    rows, cols = largest_allowed(path, repeated)
    checked = check_workbook(path)  # within the zip limits too
    found = budget.check_budget(checked)
    assert found.grids["xl/worksheets/sheet1.xml"] == (rows, cols)
    if repeated:
        assert rows * cols > sheetgrid.MAX_GRID_CELLS - cols
    else:
        assert found.text_chars > textcost.MAX_TEXT * 0.95
        assert rows * cols > 400_000
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

    edge = f"{_column(sheetgrid.MAX_COLUMNS - 1)}{sheetgrid.MAX_GRID_CELLS // sheetgrid.MAX_COLUMNS}"
    for ref, ok in ((edge, True), (f"{_column(sheetgrid.MAX_COLUMNS)}1", False), (f"A{sheetgrid.MAX_GRID_ROWS + 1}", False)):
        path = tmp_path / f"{ref}.xlsx"
        overview(path, [["AC-002", "x", 45]], lambda ws, ref=ref: ws.__setitem__(ref, 1))
        checked = check_workbook(path)
        if ok:
            assert budget.check_budget(checked).grids
        else:
            with pytest.raises(WorkbookRefused):
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


def _one_sheet(path: Path, sheet: bytes, workbook_extra: bytes = b"") -> None:
    """A minimal real workbook (one sheet) around the given sheet XML, as a raw zip."""
    from tests.data.make_bad_corpus import members_of, overview, raw_zip

    base = path.with_suffix(".base.xlsx")
    overview(base, [["AC-002", "x", 45]])
    members = members_of(base)
    members["xl/worksheets/sheet1.xml"] = sheet
    if workbook_extra:
        members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b"<workbook ", b"<workbook " + workbook_extra + b" ", 1)
    raw_zip(path, members)


_TIMED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({gb}, {gb}))
from sachstand.cli import main
start = time.monotonic()
code = main(sys.argv[1:])
print(round(time.monotonic() - start, 2), open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
sys.exit(code)
"""


def _import_timed(sample_path: Path, path: Path) -> tuple[int, str, float, int]:
    done = subprocess.run([sys.executable, "-c", _TIMED.format(gb=GB), "--db", str(sample_path), "import", str(path)],
                          check=False, capture_output=True, text=True, timeout=300)
    seconds, peak_kb = done.stdout.split()[-2:]
    return done.returncode, done.stderr, float(seconds), int(peak_kb) // 1024


def _attributes(n: int) -> bytes:
    return b" ".join(b'a%x=""' % i for i in range(n))


HEAD_ROW = (b'<row r="1"><c r="A1" t="inlineStr"%s><is><t>Name des Projektes</t></is></c></row>')
SHEET_XML = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<sheetData>%s</sheetData></worksheet>")


@pytest.mark.parametrize("where", ["workbook", "cell"])
def test_an_element_with_millions_of_attributes_is_refused_in_seconds(where: str, tmp_path: Path, sample_path: Path) -> None:
    """Found by a tester: 6 million attributes on one element took 2:42 min and 3.3 GB (the
    budget counted elements only); the byte scan refuses it before expat sees the tag."""
    attributes = _attributes(3_000_000)
    path = tmp_path / f"attributes_{where}.xlsx"
    cell = b" " + attributes if where == "cell" else b""
    _one_sheet(path, SHEET_XML % (HEAD_ROW % cell), attributes if where == "workbook" else b"")
    code, err, seconds, peak_mb = _import_timed(sample_path, path)
    part = "xl/workbook.xml" if where == "workbook" else "xl/worksheets/sheet1.xml"
    assert (code, err) == (2, (f"Fehler: {path.name}: der Teil „{part}“ enthält ein XML-Element oder einen Text von "
                               "mehr als 1.048.576 Byte am Stück; die Arbeitsmappe wird nicht gelesen\n"))
    assert seconds < 10 and peak_mb < 300, (seconds, peak_mb)


def test_attribute_and_name_limits_within_a_short_tag(tmp_path: Path) -> None:
    """Below the byte limit, more than ``MAX_ATTRIBUTES`` attributes on one element, or more than
    ``MAX_NAMES`` distinct names in a part (expat keeps each), refuse the file; a part in UTF-16
    (whose tags the byte scan would not see) too."""
    many = tmp_path / "many_attributes.xlsx"
    _one_sheet(many, SHEET_XML % (HEAD_ROW % (b" " + _attributes(xmlscan.MAX_ATTRIBUTES + 1))))
    with pytest.raises(WorkbookRefused, match="hat 259 Attribute; erlaubt sind höchstens 256"):
        budget.check_budget(check_workbook(many))
    names = tmp_path / "many_names.xlsx"
    rows = b"".join(b'<row r="%d"><c r="A%d" x%d="1"><v>1</v></c></row>' % (r, r, r) for r in range(2, 12_002))
    _one_sheet(names, SHEET_XML % ((HEAD_ROW % b"") + rows))
    with pytest.raises(WorkbookRefused, match=r"mehr als 10\.000 verschiedene Element- und Attributnamen"):
        budget.check_budget(check_workbook(names))
    utf16 = tmp_path / "utf16.xlsx"
    _one_sheet(utf16, (SHEET_XML % (HEAD_ROW % b"")).decode().replace("UTF-8", "UTF-16").encode("utf-16"))
    with pytest.raises(WorkbookRefused, match="nicht in UTF-8 gespeichert"):
        budget.check_budget(check_workbook(utf16))


def test_the_quick_part_check_is_certain_or_hands_over(tmp_path: Path) -> None:
    """The check without a Python call per element says "within the limits" only when the exact
    one would: 300 attribute names spread over elements pass both; one element with 257, 10,001
    names, a DTD or junk after the root hand over to the exact check, which refuses by name."""
    from sachstand.io.xmlscan import _quick_well_formed

    spread = b"<a><b " + b" ".join(b'p%d="1"' % i for i in range(150)) + b"/><c " + b" ".join(
        b'q%d="1"' % i for i in range(150)) + b"/></a>"
    wide = b"<a>" + b"".join(b'<b n%d="1" m%d="2"/>' % (i, i) for i in range(150)) + b"</a>"
    assert _quick_well_formed(spread) and _quick_well_formed(wide)
    assert not _quick_well_formed(b"<a " + _attributes(xmlscan.MAX_ATTRIBUTES + 1) + b"/>")
    assert not _quick_well_formed(b"<a>" + b"".join(b"<x%d/>" % i for i in range(10_001)) + b"</a>")
    assert not _quick_well_formed(b'<!DOCTYPE a [<!ENTITY e "x">]><a/>')
    assert not _quick_well_formed(b"<a/>junk")
    wide_sheet = tmp_path / "wide.xlsx"
    cells = b"".join(b'<c r="A%d" n%d="1" m%d="2"><v>1</v></c>' % (i + 2, i, i) for i in range(150))
    _one_sheet(wide_sheet, SHEET_XML % ((HEAD_ROW % b"") + b'<row r="2">' + cells + b"</row>"))
    assert budget.check_budget(check_workbook(wide_sheet)).grids


def test_too_many_elements_in_cells_without_references_is_refused_in_seconds(tmp_path: Path, sample_path: Path) -> None:
    """Found by a tester: two sheets of 80,000 rows × 20 numbers without ``r`` were streamed cell
    by cell for 35 s before the element budget refused them; the bytes give the count up front."""
    import random

    from tests.data.make_bad_corpus import members_of, overview, raw_zip

    base = tmp_path / "base.xlsx"
    overview(base, [["AC-002", "x", 45]])
    members = members_of(base)
    rnd = random.Random(1)
    rows = b"".join(b"<row>" + b"".join(b"<c><v>%d</v></c>" % rnd.randint(10000, 99999) for _ in range(20)) + b"</row>"
                    for _ in range(80_000))
    members["xl/worksheets/sheet1.xml"] = SHEET_XML % rows
    members["xl/worksheets/sheet2.xml"] = SHEET_XML % rows
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b"</sheets>", b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        b'name="Zwei" sheetId="9" r:id="rIdZwei"/></sheets>', 1)
    rels = "xl/_rels/workbook.xml.rels"
    members[rels] = members[rels].replace(b"</Relationships>", b'<Relationship Id="rIdZwei" Type="http://schemas.openxmlformats.org/'
                                          b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>')
    path = tmp_path / "numbers.xlsx"
    raw_zip(path, members)
    code, err, seconds, peak_mb = _import_timed(sample_path, path)
    assert (code, err) == (2, f"Fehler: {path.name}: die Arbeitsmappe hat mehr als 6.000.000 XML-Elemente; sie wird nicht gelesen\n")
    assert seconds < 10 and peak_mb < 300, (seconds, peak_mb)


def test_distinct_emoji_texts_are_budgeted_by_their_memory(tmp_path: Path) -> None:
    """Found by a tester: 740,000 distinct 40-character texts with an emoji (3.9 MB) were within
    32 million characters but took 443 MB; their memory cost is over the budget."""
    path = tmp_path / "emoji.xlsx"
    strings = "".join(f"<si><t>\U0001F600{i:039d}</t></si>" for i in range(740_000))
    cells = "".join("<row>" + "".join(f'<c t="s"><v>{r * 10 + c}</v></c>' for c in range(10)) + "</row>" for r in range(74_000))
    from tests.data.make_bad_corpus import members_of, overview, raw_zip

    base = tmp_path / "base.xlsx"
    overview(base, [["AC-002", "x", 45]])
    members = members_of(base)
    members["xl/sharedStrings.xml"] = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                                       f'spreadsheetml/2006/main">{strings}</sst>').encode()
    members["xl/worksheets/sheet1.xml"] = SHEET_XML % ((HEAD_ROW % b"") + cells.encode())
    raw_zip(path, members)
    with pytest.raises(WorkbookRefused, match=f"brauchen zusammen mehr als {textcost.MAX_TEXT // 1_000_000} MB Arbeitsspeicher"):
        budget.check_budget(check_workbook(path))
