"""Generate the hostile and broken workbooks in tests/data/bad/ (run from the repository root).

    python tests/data/make_bad_corpus.py

The files are committed, so the tests need none of the tools used here. Most are built with
openpyxl or xlsxwriter and then patched at the XML level, as an attacker would. Three need more:
``xls_renamed.xlsx`` and ``ods_renamed.xlsx`` are converted by LibreOffice (``soffice``), and
``encrypted.xlsx`` is encrypted with msoffcrypto-tool (``pip install msoffcrypto-tool``); without
those tools the committed files are kept. The expected message of every file is in
tests/test_io_bad_corpus.py. Project IDs refer to the 2020 sample register.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import xlsxwriter

OUT = Path(__file__).resolve().parent / "bad"
NAME = "Austausch der aktiven Netzwerkkomponenten"  # AC-002, department AC, 45 % in 2020
SHEET = "xl/worksheets/sheet1.xml"
HEAD = ["ID", "Name des Projektes", "Umsetzungsstand 2020 (in %)", "Beginn", "Kurzbeschreibung / Projektziel"]


def overview(path: Path, rows: list[list[object]], edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None] | None = None) -> None:
    """A small overview sheet "Projekte": header in row 1, then ``rows`` (A..E as ``HEAD``)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws.append(HEAD)
    for row in rows:
        ws.append(row)
    if edit:
        edit(ws)
    wb.save(path)


def one(value_c: object = 45, value_d: object = None, value_e: object = None) -> list[list[object]]:
    return [["AC-002", NAME, value_c, value_d, value_e]]


def patch(path: Path, member: str, old: bytes, new: bytes, count: int = 1) -> None:
    """Replace bytes inside one zip member, keeping every other member as it is."""
    data = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(data) as zin:
        if member not in zin.namelist():
            raise SystemExit(f"{path.name}: no member {member}")
    with zipfile.ZipFile(data) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == member:
                if old not in content:
                    raise SystemExit(f"{path.name}: {old!r} not in {member}")
                content = content.replace(old, new, count)
            zout.writestr(info.filename, content)


def raw_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, content in members.items():
            zf.writestr(name, content)


def template(register_dir: Path, department: str = "FB 11") -> Path:
    from sachstand.core import init_register
    from sachstand.io.templates import export_templates

    db = register_dir / "register.duckdb"
    if not db.exists():
        init_register(db, sample=True)
    from sachstand.core import open_register

    return export_templates(open_register(db), register_dir, 2021, department)[0]


def build(tmp: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    p = OUT.joinpath

    # --- XML attacks (the DTD is refused before any parser runs) ---------------------------
    overview(p("billion_laughs.xlsx"), one(value_e="PLACEHOLDER"))
    lol = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
           + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10))
           + b"]>")
    patch(p("billion_laughs.xlsx"), SHEET, b"PLACEHOLDER", b"&lol9;")
    patch(p("billion_laughs.xlsx"), SHEET, b"<worksheet", lol + b"<worksheet")
    overview(p("xxe.xlsx"), one(value_e="PLACEHOLDER"))
    patch(p("xxe.xlsx"), SHEET, b"PLACEHOLDER", b"&xxe;")
    patch(p("xxe.xlsx"), SHEET, b"<worksheet",
          b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet')

    # --- zip bombs: refused from the zip directory alone ------------------------------------
    overview(tmp / "base.xlsx", one())
    with zipfile.ZipFile(tmp / "base.xlsx") as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    big = members["xl/worksheets/sheet1.xml"].replace(b"</sheetData>", row * 80_000 + b"</sheetData>")
    raw_zip(p("zip_bomb.xlsx"), {**members, "xl/worksheets/sheet1.xml": big})
    raw_zip(p("ratio_bomb.xlsx"), {**members, "xl/media/padding.bin": b"\0" * (30 * 1024 * 1024)})
    del big

    # --- not an xlsx ----------------------------------------------------------------------
    p("empty.xlsx").write_bytes(b"")
    good = (tmp / "base.xlsx").read_bytes()
    p("truncated.xlsx").write_bytes(good[: len(good) // 2])
    p("csv_renamed.xlsx").write_text("Bereich;Name des Projektes;Umsetzungsstand 2020 (in %)\nAC;Test;50\n", encoding="utf-8")
    p("pdf_renamed.xlsx").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    raw_zip(p("docx_renamed.xlsx"), {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
    })
    raw_zip(p("plain_zip.xlsx"), {"notes.txt": b"kein Excel"})
    soffice = shutil.which("soffice")
    if soffice:
        for fmt, target in (("xls", "xls_renamed.xlsx"), ("ods", "ods_renamed.xlsx")):
            subprocess.run([soffice, "--headless", "--convert-to", fmt, "--outdir", str(tmp), str(tmp / "base.xlsx")],
                           check=True, capture_output=True, timeout=180)
            shutil.copy(tmp / f"base.{fmt}", p(target))
    try:
        import msoffcrypto.format.ooxml as ooxml

        with open(tmp / "base.xlsx", "rb") as src, open(p("encrypted.xlsx"), "wb") as dst:
            ooxml.OOXMLFile(src).encrypt("geheim", dst)
    except ImportError:
        print("msoffcrypto-tool missing: keeping encrypted.xlsx", file=sys.stderr)

    # --- workbooks without usable content --------------------------------------------------
    openpyxl.Workbook().save(p("empty_workbook.xlsx"))
    wb = openpyxl.Workbook()
    wb.active.append(["Liste", "Zahl"])
    wb.active.append(["a", 1])
    wb.save(p("no_header.xlsx"))
    overview(p("duplicate_column.xlsx"), one(), lambda ws: ws.cell(row=1, column=6, value="Name des Projektes"))
    wb = xlsxwriter.Workbook(str(p("too_many_rows.xlsx")), {"constant_memory": True})
    ws = wb.add_worksheet("Projekte")
    for r in range(100_100):
        ws.write_number(r, 0, r)
    wb.close()

    # --- sheet tricks -----------------------------------------------------------------------
    overview(p("forged_dimension.xlsx"), [["AC-002", NAME, 45], ["AC-008", "Bezahlplattform", 80], ["AC-015", "Briefbutler", 101]])
    patch(p("forged_dimension.xlsx"), SHEET, b'<dimension ref="A1:E4" />', b'<dimension ref="A1" />')
    overview(p("merged_cells.xlsx"), one(value_d="01.01.2018"), lambda ws: ws.merge_cells("D2:E2"))
    overview(p("hyperlink_formula.xlsx"), one(value_e='=HYPERLINK("http://evil.example","klick")'))
    patch(p("hyperlink_formula.xlsx"), SHEET, b'<c r="E2"><f>', b'<c r="E2" t="str"><f>')
    patch(p("hyperlink_formula.xlsx"), SHEET, b"<v />", b"<v>klick</v>")
    overview(p("dde_formula.xlsx"), one(value_c="=cmd|' /C calc'!A0"))
    overview(p("formula_without_value.xlsx"), one(value_c="=40+5"))
    overview(p("error_value.xlsx"), one(value_c="#N/A"))
    overview(p("control_characters.xlsx"), one(value_e="PLACEHOLDER"))
    patch(p("control_characters.xlsx"), SHEET, b"PLACEHOLDER", b"Netz_x0001_werk_x001B_[2J")
    overview(p("overlong_text.xlsx"), one(value_e="PLACEHOLDER"))
    patch(p("overlong_text.xlsx"), SHEET, b"PLACEHOLDER", b"x" * 40_000)

    # --- IDs ------------------------------------------------------------------------------
    overview(p("duplicate_ids.xlsx"), [["AC-002", NAME, 45], ["AC-002", NAME, 50]])
    overview(p("unknown_id.xlsx"), [["XY-999", "Gibt es nicht", 10]])

    # --- values ----------------------------------------------------------------------------
    for name, value in (("progress_minus_5", -5), ("progress_101", 101), ("progress_45_5", 45.5),
                        ("progress_ca_50", "ca. 50"), ("progress_n_a", "n/a")):
        overview(p(f"{name}.xlsx"), one(value_c=value))
    for name, value in (("date_31_02_2021", "31.02.2021"), ("date_q5_2020", "Q5 2020"), ("date_11_05_217", "11.05.217")):
        overview(p(f"{name}.xlsx"), one(value_d=value))

    # --- templates ------------------------------------------------------------------------
    src = template(tmp)
    wb = openpyxl.load_workbook(src)
    wb["Projekte"]["A5"] = "FB12-001"
    wb["Projekte"]["I5"] = 50
    wb.save(p("template_other_department.xlsx"))
    wb = openpyxl.load_workbook(src)
    wb["_sachstand"]["B4"] = 2018
    wb.save(p("template_other_year.xlsx"))
    wb = openpyxl.load_workbook(src)
    meta = wb["_sachstand"]
    for r in range(1, meta.max_row + 1):
        if meta.cell(row=r, column=1).value == "FB11-004":
            meta.cell(row=r, column=2, value=0)
    ws = wb["Projekte"]
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == "FB11-004")
    ws.cell(row=row, column=3, value="Geändert, aber auf altem Stand")
    wb.save(p("template_stale.xlsx"))
    wb = openpyxl.load_workbook(src)
    wb["_sachstand"]["B1"] = "unbekannt"
    wb.save(p("template_damaged_metadata.xlsx"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
    print(f"{len(list(OUT.glob('*.xlsx')))} files in {OUT}")


if __name__ == "__main__":
    main()
