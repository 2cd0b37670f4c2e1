"""Odd numbers and broken parts in returned workbooks: one German line, never a traceback."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl

from sachstand.core import open_register

HEADERS = ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten", "Beginn",
           "Geplantes Ende", "Umsetzungsstand 2020 (in %)"]


def _overview(path: Path, row: list[object]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projekte"
    ws.append(HEADERS)
    ws.append(row)
    wb.save(path)
    return path


def test_huge_and_non_finite_numbers_are_cell_problems(cli, sample_path: Path, tmp_path: Path) -> None:
    path = _overview(tmp_path / "big.xlsx", ["FB 11", "Neu", "x", 1e30, 1e30, "Q 4 2021", 1e30])
    r = cli("--db", str(sample_path), "import", str(path), "--json")
    assert r.code == 1 and "Traceback" not in r.err
    problems = {p["cell"]: p["message"] for p in json.loads(r.out)["problems"]}
    assert problems["Projekte!D2"].endswith("ist keine gültige Zahl")
    assert problems["Projekte!E2"].endswith("ist keine gültige Zahl")
    assert problems["Projekte!G2"].endswith("ist keine gültige Zahl")


def test_a_broken_styles_part_refuses_the_file(cli, sample_path: Path, tmp_path: Path) -> None:
    source = _overview(tmp_path / "ok.xlsx", ["FB 11", "Neu", "x", 10, "01.01.2021", "Q 4 2021", 10])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/styles.xml":
                data = re.sub(rb'numFmtId="\d+"', b'numFmtId="x"', data)
            zout.writestr(info, data)
    before = open_register(sample_path).audit_count()
    r = cli("--db", str(sample_path), "import", str(broken), "--apply")
    assert r.code == 2 and r.err.startswith("Fehler: broken.xlsx: die Arbeitsmappe ist fehlerhaft aufgebaut")
    assert open_register(sample_path).audit_count() == before


def test_unwritable_outputs_are_one_german_line(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cases = [
        (["export", "register", "-o", str(tmp_path / "nope" / "x.xlsx")], "nope für"),  # "Den Ordner … gibt es nicht"
        (["export", "report", "-o", str(tmp_path)], "ist ein Ordner"),
        (["export", "register", "-o", db], "ist die Registerdatei selbst"),
        (["summary", "--svg", str(tmp_path / "nope" / "x.svg")], "gibt es nicht"),
    ]
    for args, message in cases:
        r = cli("--db", db, *args)
        assert (r.code, "Traceback" in r.err) == (2, False) and message in r.err, (args, r.err)
    assert open_register(sample_path).projects()  # the register is still a register


def test_templates_do_not_overwrite_returned_files(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "vorlagen"
    assert cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out)).code == 0
    returned = out / "FB11_2021.xlsx"
    returned.write_bytes(b"returned by the department")
    r = cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out))
    assert r.code == 2 and "nichts wurde überschrieben" in r.err
    assert returned.read_bytes() == b"returned by the department"
    r = cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out), "--force")
    assert r.code == 2 and "ist keine Excel-Arbeitsmappe" in r.err  # not a workbook: kept even with --force
    assert returned.read_bytes() == b"returned by the department"
    openpyxl.Workbook().save(returned)
    assert cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out), "--force").code == 0


def test_a_markup_path_that_cannot_be_written_stops_before_applying(cli, sample_path: Path, tmp_path: Path) -> None:
    path = _overview(tmp_path / "one.xlsx", ["FB 11", "Ganz neu", "x", 10, "01.01.2020", "Q 4 2021", 10])
    before = open_register(sample_path).audit_count()
    r = cli("--db", str(sample_path), "import", str(path), "--apply", "--markup", str(tmp_path / "nope" / "m.xlsx"))
    assert r.code == 2 and "Traceback" not in r.err
    assert open_register(sample_path).audit_count() == before


def test_a_file_without_versions_is_flagged_in_the_preview(cli, sample_path: Path, tmp_path: Path) -> None:
    exported = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(exported)).code == 0
    wb = openpyxl.load_workbook(exported)
    ws = wb["Projekte"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("Kurzbeschreibung / Projektziel") + 1, value="geändert")
    wb.save(tmp_path / "with.xlsx")
    del wb["_sachstand"]
    wb.save(tmp_path / "without.xlsx")
    with_versions = json.loads(cli("--db", str(sample_path), "import", str(tmp_path / "with.xlsx"), "--json").out)
    without = cli("--db", str(sample_path), "import", str(tmp_path / "without.xlsx"))
    assert with_versions["warnings"] == [] and len(with_versions["changed"]) == 1
    assert "Achtung: without.xlsx: ohne Versionsangaben" in " ".join(without.out.split())
