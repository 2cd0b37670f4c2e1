"""Another city's list: its own headers, a title block, fractions as percent and a totals row."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sachstand.io.headers import header_key

HEADER = ["Projekt", "Fachbereich", "Beschreibung", "Kosten (EUR)", "Start", "Ende", "Status 2021 %",
          "Status 2022 %", "Ansprechpartner"]
ROWS = [
    ["Digitale Bauakte", "Amt 63", "Bauanträge online", 120000.5, "01.03.2021", "Q 4 2023", 0.2, 0.45, "Frau A"],
    ["E-Rechnung", "Amt 20", "Eingang elektronischer Rechnungen", 80000, "2021", "30.06.2022", 0.5, 1, "Herr B"],
    ["Ratsinformationssystem", "Amt 10", "", 35000, "01.01.2022", "31.12.2022", None, 0.9, ""],
]


def other_city_list(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projektliste"
    ws["A1"] = "Projektliste eGovernment der Stadt Musterstadt"
    ws["A2"] = "Stand: 31.12.2022"
    for c, h in enumerate(HEADER, start=1):
        ws.cell(row=4, column=c, value=h)
    for r, row in enumerate(ROWS, start=5):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if c in (7, 8):
                cell.number_format = "0%"
            if c == 4:
                cell.number_format = '#,##0.00 "€"'
    total = 5 + len(ROWS)
    ws.cell(row=total, column=1, value="Summe")
    ws.cell(row=total, column=4, value=f"=SUM(D5:D{total - 1})")
    ws.cell(row=total, column=7, value=f"=AVERAGE(G5:G{total - 1})").number_format = "0%"
    ws.cell(row=total, column=8, value=f"=AVERAGE(H5:H{total - 1})").number_format = "0%"
    wb.save(path)
    return path


def _through_libreoffice(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "lo"
    subprocess.run(["soffice", f"-env:UserInstallation=file:///tmp/lo_excel_{tmp_path.name}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    return out / path.name


@pytest.mark.parametrize("header,key", [
    ("Projekt", "name"), ("Projektname", "name"), ("Maßnahme", "name"), ("Amt", "department"),
    ("Bereich", "department"), ("Organisationseinheit", "department"), ("OE", "department"),
    ("Fachbereich", "department"), ("Kosten", "planned_cost"), ("Budget", "planned_cost"),
    ("Kosten (EUR)", "planned_cost"), ("Gesamtkosten", "planned_cost"), ("Planansatz", "planned_cost"),
    ("Start", "start"), ("Beginn", "start"), ("Projektbeginn", "start"), ("Ende", "end"),
    ("Projektende", "end"), ("geplantes Ende", "end"), ("Status 2022 %", "progress:2022"),
    ("Fortschritt 2022", "progress:2022"), ("Umsetzungsgrad 2022", "progress:2022"), ("2022 (%)", "progress:2022"),
    ("Umsetzungsstand 2020 (in %)", "progress:2020"), ("Kosten 2022", None), ("Ansprechpartner", None),
    ("Ende 2022", None),
])
def test_header_variants(header: str, key: str | None) -> None:
    assert header_key(header) == key


@pytest.mark.parametrize("via_libreoffice", [False, True])
def test_other_citys_list_reads_costs_and_both_progress_years(cli, empty_path: Path, tmp_path: Path,
                                                             via_libreoffice: bool) -> None:
    path = other_city_list(tmp_path / "musterstadt.xlsx")
    if via_libreoffice:
        if not shutil.which("soffice"):
            pytest.skip("LibreOffice fehlt")
        path = _through_libreoffice(path, tmp_path)
    r = cli("--db", str(empty_path), "import", str(path), "--json")
    assert r.code == 0, r.out + r.err
    data = json.loads(r.out)
    assert data["problems"] == []
    new = {n["name"]: n for n in data["new"]}
    assert set(new) == {"Digitale Bauakte", "E-Rechnung", "Ratsinformationssystem"}
    bauakte = new["Digitale Bauakte"]
    assert bauakte["planned_cost"] == "120000.50"
    assert bauakte["progress"] == {"2021": 20, "2022": 45}
    assert bauakte["start"] == "01.03.2021" and bauakte["end"] == "Q 4 2023"
    assert new["E-Rechnung"]["progress"] == {"2021": 50, "2022": 100}
    f = data["files"][0]
    assert f["ignored_columns"] == ["Ansprechpartner (I)"]
    assert any("Zeile 8" in n and "Summe" in n for n in f["notes"])

    text = cli("--db", str(empty_path), "import", str(path)).out
    assert "nicht gelesen: Ansprechpartner (I)" in text
    assert "Zeile 8" in text and "übersprungen" in text

    r = cli("--db", str(empty_path), "import", str(path), "--apply")
    assert r.code == 0, r.out + r.err


def test_a_list_of_department_and_name_is_read_and_a_column_for_a_year_out_of_range_ignored(
        cli, empty_path: Path, tmp_path: Path) -> None:
    """"Umsetzungsstand 1000" beside Bereich and Name gave "keine Kopfzeile erkannt"."""
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 1000"])
    wb.active.append(["FB 11", "Akte", 30])
    path = tmp_path / "liste.xlsx"
    wb.save(path)
    data = json.loads(cli("--db", str(empty_path), "import", str(path), "--json").out)
    assert [n["name"] for n in data["new"]] == ["Akte"]
    assert data["files"][0]["ignored_columns"] == ["Umsetzungsstand 1000 (C)"]


def test_two_columns_for_one_year_are_named_both(cli, empty_path: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020", "2020 (%)"])
    wb.active.append(["FB 11", "Akte", 30, 40])
    path = tmp_path / "liste.xlsx"
    wb.save(path)
    r = cli("--db", str(empty_path), "import", str(path), "--json")
    assert r.code == 2
    assert r.err.strip() == ("Fehler: liste.xlsx: Blatt „Sheet“: Spalte „Umsetzungsstand 2020“ (C1) und „2020 (%)“ (D1) "
                             "kommt doppelt vor")


def test_explicit_column_mapping(cli, empty_path: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Vorhaben", "Zuständig", "Mittel", "Erledigt 2022"])
    ws.append(["Open Data Portal", "Amt 12", 5000, 30])
    path = tmp_path / "liste.xlsx"
    wb.save(path)
    r = cli("--db", str(empty_path), "import", str(path), "--json")
    assert r.code == 2 and "keine Kopfzeile" in r.err
    r = cli("--db", str(empty_path), "import", str(path), "--json", "--column", "Vorhaben=Name des Projektes",
            "--column", "Zuständig=Bereich", "--column", "Mittel=Geplante Kosten",
            "--column", "Erledigt 2022=Umsetzungsstand 2022")
    assert r.code == 0, r.err
    new = json.loads(r.out)["new"][0]
    assert (new["name"], new["department"], new["planned_cost"], new["progress"]) == (
        "Open Data Portal", "Amt 12", "5000.00", {"2022": 30})
    config = tmp_path / "sachstand.toml"
    config.write_text('default_role = "admin"\n[import.columns]\n"Vorhaben" = "Name des Projektes"\n'
                      '"Zuständig" = "Bereich"\n"Mittel" = "Kosten"\n', encoding="utf-8")
    r = cli("--db", str(empty_path), "--config", str(config), "import", str(path), "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["new"][0]["planned_cost"] == "5000.00"
    assert any("keine Spalte mit Umsetzungsstand" in n for n in data["files"][0]["notes"])
    r = cli("--db", str(empty_path), "import", str(path), "--column", "Vorhaben=Irgendwas")
    assert r.code == 2 and "kein bekanntes Feld" in r.err


def test_list_without_progress_column_says_so(cli, empty_path: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Maßnahme", "OE", "Budget"])
    ws.append(["Online-Terminvergabe", "Amt 33", 1000])
    path = tmp_path / "ohne.xlsx"
    wb.save(path)
    r = cli("--db", str(empty_path), "import", str(path))
    assert "keine Spalte mit Umsetzungsstand gefunden" in r.out
