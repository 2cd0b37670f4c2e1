"""Generate the hostile and broken workbooks in tests/data/bad/ (run from the repository root).

    python tests/data/make_bad_corpus.py                  # every file
    python tests/data/make_bad_corpus.py budget           # only the budget, namespace and XML-part files
    python tests/data/make_bad_corpus.py texts            # only the report-text files (texts_*.md)
    python tests/data/make_bad_corpus.py --out DIR        # into another folder
    python tests/data/make_bad_corpus.py --no-external    # without LibreOffice and msoffcrypto-tool

The files are committed, so the tests need none of the tools used here. Most are built with
openpyxl or xlsxwriter and then patched at the XML level, as an attacker would. Three need more:
``xls_renamed.xlsx`` and ``ods_renamed.xlsx`` are converted by LibreOffice (``soffice``), and
``encrypted.xlsx`` is encrypted with msoffcrypto-tool (``pip install msoffcrypto-tool``); without
those tools (or with ``--no-external``) the committed files are kept. The expected message of
every file is in tests/test_io_bad_corpus.py. Project IDs refer to the 2020 sample register.

Reproducible: every zip is written with fixed member dates (``FIXED_DATE``) and fixed document
dates in ``docProps/core.xml``, so that a run gives the committed bytes again (except the three
files of the external tools: LibreOffice and encryption add dates and salt of their own).
tests/test_bad_corpus_generator.py runs the generator into a temporary folder and checks this.
"""

from __future__ import annotations

import argparse
import re
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
EXTERNAL = ("xls_renamed.xlsx", "ods_renamed.xlsx", "encrypted.xlsx")
FIXED_DATE = (2020, 12, 31, 0, 0, 0)
_CORE_DATE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
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


def replace(content: bytes, old: bytes, new: bytes, count: int = 1, where: str = "") -> bytes:
    """``content`` with ``old`` replaced; an empty element may be written ``<v />``, ``<v/>`` or
    ``<v></v>`` (openpyxl writes one or the other, depending on its XML library)."""
    for form in (old, old.replace(b" />", b"/>"), re.sub(rb"<(\w+) />", rb"<\1></\1>", old)):
        if form in content:
            return content.replace(form, new, count)
    raise SystemExit(f"{where}: {old!r} not found")


def patch(path: Path, member: str, old: bytes, new: bytes, count: int = 1) -> None:
    """Replace bytes inside one zip member, keeping every other member as it is."""
    members = members_of(path)
    if member not in members:
        raise SystemExit(f"{path.name}: no member {member}")
    members[member] = replace(members[member], old, new, count, f"{path.name}: {member}")
    raw_zip(path, members)


def raw_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip of exactly these members, with fixed dates (the same bytes on every run)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.external_attr = 0o600 << 16
            zf.writestr(info, content, zipfile.ZIP_DEFLATED, 9)


def settle(path: Path) -> None:
    """A zip written by a library (openpyxl, xlsxwriter) made reproducible: fixed member dates
    and fixed created/modified dates in ``docProps/core.xml``."""
    members = members_of(path)
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = _CORE_DATE.sub(rb"\g<1>2020-12-31T00:00:00Z\g<2>", members["docProps/core.xml"])
    raw_zip(path, members)


def template(register_dir: Path, department: str = "FB 11") -> Path:
    from sachstand.core import init_register
    from sachstand.io.templates import export_templates

    db = register_dir / "register.duckdb"
    if not db.exists():
        init_register(db, sample=True)
    from sachstand.core import open_register

    return export_templates(open_register(db), register_dir, 2021, department)[0]


def load_template(src: Path) -> openpyxl.Workbook:
    """An exported template, its export time fixed (so that the files are the same on every run)."""
    wb = openpyxl.load_workbook(src)
    meta = wb["_sachstand"]
    for r in range(1, meta.max_row + 1):
        if meta.cell(row=r, column=1).value == "Exportiert":
            meta.cell(row=r, column=2, value="2020-12-31T00:00:00+00:00")
    return wb


def build(tmp: Path, out: Path = OUT, external: bool = True) -> None:
    """The format, zip, sheet, ID, value and template files; with ``external`` also the three
    that need LibreOffice and msoffcrypto-tool."""
    out.mkdir(parents=True, exist_ok=True)
    p = out.joinpath

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
    settle(tmp / "base.xlsx")  # truncated.xlsx is half of it
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
    soffice = shutil.which("soffice") if external else None
    if soffice:
        for fmt, target in (("xls", "xls_renamed.xlsx"), ("ods", "ods_renamed.xlsx")):
            subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/lo_profile", "--headless", "--convert-to", fmt,
                            "--outdir", str(tmp), str(tmp / "base.xlsx")], check=True, capture_output=True, timeout=180)
            shutil.copy(tmp / f"base.{fmt}", p(target))
    try:
        if external:
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
    wb = load_template(src)
    wb["Projekte"]["A5"] = "FB12-001"
    wb["Projekte"]["I5"] = 50
    wb.save(p("template_other_department.xlsx"))
    wb = load_template(src)
    wb["_sachstand"]["B4"] = 2018
    wb.save(p("template_other_year.xlsx"))
    wb = load_template(src)
    meta = wb["_sachstand"]
    for r in range(1, meta.max_row + 1):
        if meta.cell(row=r, column=1).value == "FB11-004":
            meta.cell(row=r, column=2, value=0)
    ws = wb["Projekte"]
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == "FB11-004")
    ws.cell(row=row, column=3, value="Geändert, aber auf altem Stand")
    wb.save(p("template_stale.xlsx"))
    wb = load_template(src)
    wb["_sachstand"]["B1"] = "unbekannt"
    wb.save(p("template_damaged_metadata.xlsx"))


STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def with_sheet(path: Path, base: dict[str, bytes], old: bytes, new: bytes, member: str = SHEET) -> None:
    """``base`` with one replacement in ``member`` (which must contain ``old``)."""
    raw_zip(path, {**base, member: replace(base[member], old, new, 1, f"{path.name}: {member}")})


def strict(members: dict[str, bytes]) -> dict[str, bytes]:
    """The same package in the Strict OOXML namespaces (relationship types included)."""
    out = {}
    for name, content in members.items():
        for old, new in STRICT.items():
            content = content.replace(old, new)
        out[name] = content
    return out


def build_budget(tmp: Path, out: Path = OUT) -> None:
    """Workbooks that would make a parser allocate beyond the budget, Strict OOXML formulas, and
    parts that are not well-formed XML. Built from one small overview, patched at the XML level."""
    out.mkdir(parents=True, exist_ok=True)
    p = out.joinpath
    overview(tmp / "small.xlsx", one(value_e="Text"))
    base = members_of(tmp / "small.xlsx")
    end = b"</sheetData>"

    # --- used range: far-apart cells, Excel's last cell, rows without letters or beyond u32 -------
    with_sheet(p("far_apart_cells.xlsx"), base, end, b'<row r="90000"><c r="ZZ90000"><v>1</v></c></row>' + end)
    with_sheet(p("last_cell_xfd1048576.xlsx"), base, end, b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + end)
    with_sheet(p("many_grid_cells.xlsx"), base, end, b'<row r="10000"><c r="IV10000"><v>1</v></c></row>' + end)
    with_sheet(p("cell_without_ref_far_row.xlsx"), base, end, b'<row r="1048576"><c><v>1</v></c></row>' + end)
    with_sheet(p("row_number_beyond_u32.xlsx"), base, end, b'<row r="4294967297"><c><v>1</v></c></row>' + end)
    with_sheet(p("cell_ref_row_zero.xlsx"), base, end, b'<row r="3"><c r="A0"><v>1</v></c></row>' + end)
    with_sheet(p("cell_ref_negative.xlsx"), base, end, b'<row r="3"><c r="A-5"><v>1</v></c></row>' + end)
    with_sheet(p("cell_ref_without_letters.xlsx"), base, end, b'<row r="3"><c r="123"><v>1</v></c></row>' + end)
    with_sheet(p("cell_in_foreign_namespace.xlsx"), base, end,
               b'<row r="900"><x:c xmlns:x="urn:x" r="ZZ900"><x:v>1</x:v></x:c></row>' + end)
    with_sheet(p("dimension_whole_sheet.xlsx"), base, b'<dimension ref="A1:E2" />', b'<dimension ref="A1:XFD1048576" />')
    with_sheet(p("merged_whole_sheet.xlsx"), base, b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>')
    with_sheet(p("shared_formula_whole_sheet.xlsx"), base, end,
               b'<row r="3"><c r="F3"><f t="shared" ref="F3:XFD1048576" si="0">1+1</f><v>2</v></c></row>' + end)

    # --- formulas: a sheet holds at most 100,000 -------------------------------------------------
    with_sheet(p("many_formulas.xlsx"), base, end, b"".join(
        b'<row r="%d"><c r="F%d"><f>1</f><v>1</v></c><c r="G%d"><f>1</f><v>1</v></c></row>' % (r, r, r)
        for r in range(3, 50_004)) + end)

    # --- shared strings: claimed counts, copies, missing strings --------------------------------
    sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="COUNT" uniqueCount="UNIQUE"><si><t>AC-002</t></si><si><t>LONG</t></si></sst>')
    types = base["[Content_Types].xml"].replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    shared_base = {**base, "[Content_Types].xml": types}

    def with_sst(name: str, count: bytes, unique: bytes, long_text: bytes = b"x", cells: bytes = b"") -> None:
        part = sst.replace(b"COUNT", count).replace(b"UNIQUE", unique).replace(b"LONG", long_text)
        sheet = base[SHEET].replace(end, cells + end)
        raw_zip(p(name), {**shared_base, "xl/sharedStrings.xml": part, SHEET: sheet})

    with_sst("shared_strings_huge_unique_count.xlsx", b"2", b"2000000000")
    with_sst("shared_strings_huge_count.xlsx", b"99999999999", b"2")
    copies = b"".join(f'<row r="{r}"><c r="F{r}" t="s"><v>1</v></c></row>'.encode() for r in range(3, 3004))
    with_sst("shared_string_copies.xlsx", b"3001", b"2", b"y" * 32_000, copies)
    latin1 = (b'<?xml version="1.0" encoding="ISO-8859-1"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
              b'main" count="2" uniqueCount="2"><si><t>AC-002</t></si><si><t>Gr' + "üße".encode("latin-1") + b"</t></si></sst>")
    raw_zip(p("shared_strings_latin1.xlsx"), {**shared_base, "xl/sharedStrings.xml": latin1,
                                              SHEET: base[SHEET].replace(end, b'<row r="3"><c r="F3" t="s"><v>1</v></c></row>'
                                                                         + end)})
    with_sst("shared_string_missing.xlsx", b"1", b"2", cells=b'<row r="3"><c r="B3" t="s"><v>999</v></c></row>')

    # --- Strict OOXML: formulas are found in the other namespace family too ---------------------
    overview(tmp / "strict_dde.xlsx", one(value_c="=cmd|' /C calc'!A0"))
    dde = members_of(tmp / "strict_dde.xlsx")
    dde[SHEET] = replace(dde[SHEET], b"<v />", b"<v>45</v>", 1, "strict_dde_formula.xlsx")
    raw_zip(p("strict_dde_formula.xlsx"), strict(dde))
    overview(tmp / "strict_formula.xlsx", one(value_c="=40+5"))
    raw_zip(p("strict_formula_without_value.xlsx"), strict(members_of(tmp / "strict_formula.xlsx")))

    # --- parts that are not well-formed XML, and relationships that lead astray --------------
    raw_zip(p("styles_junk_after_root.xlsx"), {**base, "xl/styles.xml": base["xl/styles.xml"] + b"<junk/>"})
    rels = "xl/_rels/workbook.xml.rels"
    raw_zip(p("workbook_rels_junk_after_root.xlsx"), {**base, rels: base[rels] + b"<junk/>"})
    with_sheet(p("sheet_name_control_character.xlsx"), base, b'name="Projekte"', b'name="Projekte&#x1b;"', "xl/workbook.xml")
    nested = b"<a>" * 200 + b"</a>" * 200
    with_sheet(p("deep_nesting.xlsx"), base, b"</styleSheet>", b"<extLst>" + nested + b"</extLst></styleSheet>", "xl/styles.xml")
    with_sheet(p("sheet_target_outside_package.xlsx"), base, b'Target="/xl/worksheets/sheet1.xml"',
               b'Target="../../../etc/passwd"', rels)
    with_sheet(p("sheet_target_external.xlsx"), base, b'Target="/xl/worksheets/sheet1.xml"',
               b'Target="file:///etc/passwd" TargetMode="External"', rels)
    twice = base["xl/workbook.xml"].replace(b"</sheets>", b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                                          b'name="Kopie" sheetId="2" r:id="rId1"/></sheets>', 1)
    raw_zip(p("sheet_part_twice.xlsx"), {**base, "xl/workbook.xml": twice})
    r_ns = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    as_sheet = base["xl/workbook.xml"].replace(b"</sheets>", b'<sheet xmlns:r="' + r_ns + b'" name="Zwei" sheetId="2" '
                                               b'r:id="rId99"/></sheets>', 1)
    sst_rel = base[rels].replace(b"</Relationships>", b'<Relationship Id="rId99" Type="' + r_ns + b'/worksheet" '
                                 b'Target="/xl/sharedStrings.xml"/></Relationships>', 1)
    raw_zip(p("sheet_is_shared_strings.xlsx"), {**shared_base, "xl/workbook.xml": as_sheet, rels: sst_rel,
                                                "xl/sharedStrings.xml": sst.replace(b"COUNT", b"2").replace(
                                                    b"UNIQUE", b"2000000000").replace(b"LONG", b"x")})
    wb = openpyxl.Workbook()
    wb.active.title = "Projekte"
    wb.active.append(HEAD)
    for i in range(100):
        wb.create_sheet(f"Blatt {i + 2}")
    wb.save(p("many_sheets.xlsx"))


TEXTS_HEAD = "<!-- sachstand-texte jahr=2021 -->\n\n"


def build_texts(out: Path = OUT) -> None:
    """Report-text files for ``texts import`` (``texts_*.md``), each refused with one German line."""
    section = "## Einleitung <!-- abschnitt=einleitung version={v} -->\n\nText.\n"
    files = {
        "texts_version_5000_digits.md": TEXTS_HEAD + section.format(v="9" * 5000),  # int() refuses > 4300 digits
        "texts_version_beyond_integer.md": TEXTS_HEAD + section.format(v="99999999999"),
        "texts_title_5000_characters.md": TEXTS_HEAD + section.format(v="0").replace("Einleitung", "Ü" * 5000),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")


def build_maps(out: Path = OUT) -> None:
    """Department maps for ``rollup --department-map``: tomllib recursed 100,000 levels deep into a
    RecursionError; csv stopped at a field over its 131,072-character limit with ``csv.Error``."""
    (out / "map_nested_100000.toml").write_text("[topics]\nFB = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    (out / "map_field_200000_characters.csv").write_text(
        'city,department,topic\n*,FB 11,"' + "x" * 200_000 + '"\n', encoding="utf-8")


TEMPLATES = Path(__file__).resolve().parents[2] / "sachstand" / "io" / "report_templates"


def _template_variant(out: Path, base: str, name: str, edit: Callable[[dict[str, bytes]], object]) -> None:
    members = members_of(TEMPLATES / base)
    edit(members)
    raw_zip(out / name, members)


def build_templates(out: Path = OUT) -> None:
    """Report templates (``export report --template``) made from the shipped ones: junk after the
    root of a part was lxml's XMLSyntaxError, a missing main part python-docx's English KeyError,
    ``{% if %}`` 3,000 deep Jinja's RecursionError."""
    def junk(member: str) -> Callable[[dict[str, bytes]], None]:
        return lambda members: members.__setitem__(member, members[member] + b"<junk/>")

    def deep(members: dict[str, bytes]) -> None:
        doc = members["word/document.xml"].decode()
        at = doc.index("<w:body>") + len("<w:body>")
        nested = "{% if a %}" * 3000 + "x" + "{% endif %}" * 3000
        members["word/document.xml"] = (doc[:at] + f"<w:p><w:r><w:t>{nested}</w:t></w:r></w:p>" + doc[at:]).encode()

    _template_variant(out, "bericht.docx", "template_document_junk_after_root.docx", junk("word/document.xml"))
    _template_variant(out, "bericht.docx", "template_styles_junk_after_root.docx", junk("word/styles.xml"))
    _template_variant(out, "bericht.docx", "template_without_document.docx", lambda members: members.pop("word/document.xml"))
    _template_variant(out, "bericht.docx", "template_if_3000_deep.docx", deep)
    _template_variant(out, "praesentation.pptx", "template_presentation_junk_after_root.pptx", junk("ppt/presentation.xml"))
    _template_variant(out, "praesentation.pptx", "template_layout_junk_after_root.pptx",
                      junk("ppt/slideLayouts/slideLayout1.xml"))


GROUPS = ("budget", "texts", "maps", "templates")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the hostile and broken files of tests/data/bad/.")
    parser.add_argument("group", nargs="?", choices=GROUPS, help="only this group (default: every file)")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder to write (default: tests/data/bad)")
    parser.add_argument("--no-external", action="store_true", help="without LibreOffice and msoffcrypto-tool")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with tempfile.TemporaryDirectory() as tmp:
        if args.group in (None, "budget"):
            if args.group is None:
                build(Path(tmp), out, external=not args.no_external)
            build_budget(Path(tmp), out)
        if args.group in (None, "texts"):
            build_texts(out)
        if args.group in (None, "maps"):
            build_maps(out)
        if args.group in (None, "templates"):
            build_templates(out)
    for path in sorted(out.iterdir()):  # what openpyxl and xlsxwriter wrote, made reproducible
        changed = before.get(path.name) != path.stat().st_mtime_ns
        if changed and path.name not in EXTERNAL and zipfile.is_zipfile(path):
            settle(path)
    print(f"{len(list(out.glob('*.xlsx')))} workbooks and {len(list(out.glob('*.md')))} text files in {out}")


if __name__ == "__main__":
    main()
