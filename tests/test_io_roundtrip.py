"""Excel round trip through the CLI: export, fill in, preview, apply, re-import."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest

from sachstand.core import open_register


def _json(result) -> dict:
    assert result.out, result.err
    return json.loads(result.out)


def test_register_export_then_import_reports_no_changes(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.xlsx"
    r = cli("--db", str(sample_path), "export", "register", "-o", str(out))
    assert r.code == 0, r.err
    r = cli("--db", str(sample_path), "import", str(out), "--json")
    data = _json(r)
    assert r.code == 0
    assert (data["changed"], data["new"], data["problems"], data["conflicts"]) == ([], [], [], [])
    assert data["unchanged"] == 58
    r = cli("--db", str(sample_path), "import", str(out))
    assert "Keine Änderungen: 58 Zeilen stimmen mit dem Register überein." in flat(r.out)


ESCAPE_LIKE = ["Code _x0041_x0042_ und _x005F_x000D_", "_x0041__x0042_", "__x0041_", "_x004", "_X0041_"]


def test_texts_that_look_like_excel_escapes_come_back_as_they_were(cli, sample_path: Path, tmp_path: Path) -> None:
    """"_x0041_x0042_" came back as "_x0041B": two sequences sharing an underscore were escaped
    as one (in our streamed sheets and in xlsxwriter's). Through the register workbook and a
    template, read by calamine (as Excel and LibreOffice read them; openpyxl does not decode
    inline strings) and by the import: every text as it was, and no change."""
    from python_calamine import CalamineWorkbook

    repo = open_register(sample_path)
    templates = tmp_path / "vorlagen"
    export_templates = ("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(templates))
    assert cli(*export_templates).code == 0
    [template] = templates.glob("FB11_*.xlsx")
    listed = {c for row in CalamineWorkbook.from_path(str(template)).get_sheet_by_index(0).to_python() for c in row}
    projects = [p for p in repo.projects(department="FB 11") if p.id in listed][: len(ESCAPE_LIKE)]
    for p, text in zip(projects, ESCAPE_LIKE, strict=True):
        repo.update(p.id, p.version, {"description": text, "cost_note": text})
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    assert cli(*export_templates, "--force").code == 0
    for book in (out, template):
        rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
        cells = {c for row in rows for c in row if isinstance(c, str)}
        assert set(ESCAPE_LIKE) <= cells, (book.name, set(ESCAPE_LIKE) - cells)
        data = _json(cli("--db", str(sample_path), "import", str(book), "--json"))
        assert (data["changed"], data["new"], data["problems"]) == ([], [], []), book.name


def test_register_export_layout(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.xlsx"
    cli("--db", str(sample_path), "export", "register", "-o", str(out), "--year", "2020")
    wb = openpyxl.load_workbook(out)
    ws = wb["Projekte"]
    heads = [c.value for c in ws[1]]
    assert heads[1:4] == ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel"]
    assert heads[-2:] == ["Umsetzungsstand 2019 (in %)", "Umsetzungsstand 2020 (in %)"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    departments = [ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)]
    assert departments == sorted(departments)
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "AC-002")
    assert row[4].number_format == '#,##0.00 "€"' and row[4].value == 150000
    assert row[6].is_date and row[6].number_format == "DD.MM.YYYY"
    assert row[7].value == "Q 1 2021"
    assert row[9].value == 45 and row[9].number_format == '0" %"'
    funded = wb["Förderprojekte"]
    last = [c.value for c in funded[funded.max_row]]
    assert last[0] == "Summe" and last[5:8] == [6961704.07, 5534957.45, 3787688.99]
    assert "Regel" in [c.value for c in wb["Regeln"][1]]
    assert wb["_sachstand"].sheet_state == "veryHidden"


def fill_template(path: Path, out: Path, edits: dict[tuple[str, str], object],
                  new_rows: list[dict[str, object]] = ()) -> None:  # type: ignore[assignment]
    """Edit a template like a person in Excel would (openpyxl stands in for Excel here)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Projekte"]
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value == "ID")
    col = {ws.cell(row=header_row, column=c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(row=r, column=1).value: r for r in range(header_row + 1, ws.max_row + 1)}
    for (pid, header), value in edits.items():
        ws.cell(row=rows[pid], column=col[header], value=value)
    free = [r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(row=r, column=1).value is None]
    for values, r in zip(new_rows, free, strict=False):
        for header, value in values.items():
            ws.cell(row=r, column=col[header], value=value)
    wb.save(out)


P21 = "Umsetzungsstand 2021 (in %)"


def flat(text: str) -> str:
    """Printed text with its line breaks (the preview wraps at the terminal's width) joined."""
    return " ".join(text.split())
DESC = "Kurzbeschreibung / Projektziel"


def test_filled_template_preview_fix_apply_and_reimport(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    assert cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path / "out")).code == 0
    template = tmp_path / "out" / "FB11_2021.xlsx"
    assert template.exists()
    filled = tmp_path / "FB11_2021_filled.xlsx"
    edits = {("FB11-004", P21): 100, ("FB11-001", P21): "75 %", ("FB11-007", P21): "neunzig",
             ("FB11-001", DESC): "Elektronische Personalakte für alle Beschäftigten",
             ("FB11-004", "Bemerkungen"): "Abnahme im März 2021"}
    new = [{"Name des Projektes": "Digitale Zeiterfassung", DESC: "Zeiterfassung im Portal",
            "Geplante Kosten": "12.500,00 €", "Beginn": "Q 2 2021", P21: 10}]
    fill_template(template, filled, edits, new)
    before_audit = open_register(sample_path).audit_count()

    r = cli("--db", db, "import", str(filled), "--json")
    data = _json(r)
    assert r.code == 1
    assert data["problems"] == [{
        "file": filled.name, "cell": "Projekte!I5", "value": "neunzig",
        "message": "„neunzig“ ist keine ganze Zahl von 0 bis 100",
    }]
    changed = {(c["project"], c["label"]): (c["old"], c["new"]) for c in data["changed"]}
    assert changed == {
        ("FB11-004", P21): ("", "100"),
        ("FB11-001", P21): ("", "75"),
        ("FB11-001", DESC): ("Einführung der elektronischen Aktenführung im Personalbereich",
                             "Elektronische Personalakte für alle Beschäftigten"),
    }
    assert [(n["department"], n["name"]) for n in data["new"]] == [("FB 11", "Digitale Zeiterfassung")]
    assert data["applied"] is False
    # The department's note for IT is shown, not stored.
    assert [(m["project"], m["text"], m["cell"].startswith("Projekte!J")) for m in data["remarks"]] == [
        ("FB11-004", "Abnahme im März 2021", True)]

    r = cli("--db", db, "import", str(filled), "--apply")
    assert r.code == 1
    out = flat(r.out)
    assert "Projekte!I5: „neunzig“ ist keine ganze Zahl von 0 bis 100" in out
    assert "Nichts wurde gespeichert: 1 Problem." in out
    assert out.startswith("Nichts wird gespeichert, solange etwas offen ist: 1 Problem.")
    assert "Bemerkungen der Bereiche" in out and "Abnahme im März 2021" in out
    assert open_register(sample_path).audit_count() == before_audit

    fixed = tmp_path / "FB11_2021_fixed.xlsx"
    fill_template(filled, fixed, {("FB11-007", P21): 90})
    r = cli("--db", db, "import", str(fixed), "--apply", "--json")
    data = _json(r)
    assert r.code == 0 and data["applied"] is True and not data["problems"]

    repo = open_register(sample_path)
    assert repo.get("FB11-004").progress[2021] == 100
    assert repo.get("FB11-007").progress[2021] == 90
    new_project = next(p for p in repo.projects(department="FB 11") if p.name == "Digitale Zeiterfassung")
    assert str(new_project.planned_cost) == "12500.00" and new_project.start.format() == "Q 2 2021"
    entries = repo.audit_for("FB11-004")
    assert entries[0].source == "import" and entries[0].source_file == fixed.name
    with duckdb.connect(str(sample_path), read_only=True) as conn:
        hashes = conn.execute(
            "SELECT DISTINCT source_file, source_sha256 FROM audit WHERE source = 'import'").fetchall()
    assert hashes == [(fixed.name, hashlib.sha256(fixed.read_bytes()).hexdigest())]

    summary = _json(cli("--db", db, "summary", "--year", "2021", "--json"))
    assert summary["projects"] == 4 and summary["completed"] == 1

    r = cli("--db", db, "import", str(fixed), "--json")
    data = _json(r)
    # The versions in the file are stale now, but equal values are no conflict: all unchanged,
    # and the new project is found again by its name.
    assert r.code == 0
    assert (data["conflicts"], data["changed"], data["new"], data["unchanged"]) == ([], [], [], 9)


def test_second_import_of_same_file_changes_nothing(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 12")
    filled = tmp_path / "filled.xlsx"
    rows = openpyxl.load_workbook(tmp_path / "FB12_2021.xlsx")["Projekte"]
    first_id = rows["A5"].value
    fill_template(tmp_path / "FB12_2021.xlsx", filled, {(first_id, P21): 55})
    assert cli("--db", db, "import", str(filled), "--apply").code == 0
    audit = open_register(sample_path).audit_count()
    r = cli("--db", db, "import", str(filled), "--apply", "--json")
    data = _json(r)
    assert r.code == 0 and data["changed"] == [] and data["new"] == [] and data["applied"] is False
    assert open_register(sample_path).audit_count() == audit


def test_template_touching_another_department_is_refused(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    wb = openpyxl.load_workbook(tmp_path / "FB11_2021.xlsx")
    ws = wb["Projekte"]
    ws["A5"] = "FB12-001"
    ws["I5"] = 50
    bad = tmp_path / "cross.xlsx"
    wb.save(bad)
    audit = open_register(sample_path).audit_count()
    r = cli("--db", db, "import", str(bad), "--apply", "--json")
    data = _json(r)
    assert r.code == 1 and data["applied"] is False
    assert data["problems"][0]["cell"] == "Projekte!A5"
    assert data["problems"][0]["message"] == ("das Projekt FB12-001 gehört zum Bereich FB 12; "
                                              "diese Vorlage ist für FB 11")
    assert open_register(sample_path).audit_count() == audit


def test_stale_template_row_is_a_conflict_with_both_values(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    repo = open_register(sample_path)
    p = repo.get("FB11-004")
    repo.update("FB11-004", p.version, {"description": "Im Register geändert"})
    filled = tmp_path / "filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled, {("FB11-004", DESC): "In der Vorlage geändert",
                                                        ("FB11-001", P21): 60})
    r = cli("--db", db, "import", str(filled), "--apply", "--json")
    data = _json(r)
    assert r.code == 1 and data["applied"] is False
    assert data["conflicts"] == [{
        "file": filled.name, "cell": "Projekte!C6", "project": "FB11-004", "field": "description",
        "label": DESC, "file_value": "In der Vorlage geändert", "register_value": "Im Register geändert",
        "settled": None, "other_changes": [],
    }]
    assert open_register(sample_path).get("FB11-001").progress.get(2021) is None


def test_a_field_changed_only_in_the_register_is_kept_and_the_departments_change_applies(
        cli, sample_path: Path, tmp_path: Path) -> None:
    """Three-way: IT changed the description after the export, the department entered progress."""
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    repo = open_register(sample_path)
    p = repo.get("FB11-007")
    repo.update("FB11-007", p.version, {"description": "Von der IT geändert"})
    filled = tmp_path / "filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled, {("FB11-007", P21): 55})
    data = _json(cli("--db", db, "import", str(filled), "--json"))
    assert data["conflicts"] == []
    assert [(c["project"], c["field"], c["new"]) for c in data["changed"]] == [("FB11-007", "progress:2021", "55")]
    assert cli("--db", db, "import", str(filled), "--apply").code == 0
    stored = open_register(sample_path).get("FB11-007")
    assert (stored.description, stored.progress[2021]) == ("Von der IT geändert", 55)


def test_overview_rows_without_id_match_by_department_and_name(cli, sample_path: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tabelle1"
    ws["B3"] = "Sachstand (von Hand gepflegt)"
    heads = ["Umsetzungsstand 2020 (in %)", "Name des Projektes", None, "Bereich",
             "Geplante Kosten", "Beginn", "Umsetzungsstand 2019 (in %)"]
    for c, h in enumerate(heads, start=2):
        ws.cell(row=5, column=c, value=h)
    ws.append([])
    ws.append([None, 0.5, "Briefbutler\u00a0", None, "AC ", "9.000 €", "11.05.217", 50])
    ws["B7"].number_format = "0%"
    ws.append([None, "45 %", "Neues Portal", None, "FB 99", 1234.5, "01.06.2017", None])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    data = _json(cli("--db", str(sample_path), "import", str(path), "--json"))
    assert data["problems"] == []
    assert [(c["project"], c["label"], c["old"], c["new"]) for c in data["changed"]] == [
        ("AC-015", "Umsetzungsstand 2020 (in %)", "60", "50")]
    assert data["new"] == [{"file": "hand.xlsx", "row": 8, "department": "FB 99", "name": "Neues Portal",
                            "new_department": True, "project": None, "description": "",
                            "planned_cost": "1234.50", "cost_note": "", "start": "01.06.2017", "end": None,
                            "progress": {"2020": 45}}]
    r = cli("--db", str(sample_path), "import", str(path), "--apply")
    assert r.code == 0, r.out + r.err
    repo = open_register(sample_path)
    assert "FB 99" in [d.code for d in repo.departments()]
    assert repo.get("AC-015").progress[2020] == 50


@pytest.mark.parametrize("header_at", [1, 12])
def test_header_row_found_anywhere_with_formulas_cached(header_at: int, tmp_path: Path, sample_path: Path) -> None:
    from sachstand.io.diff import plan_import
    from sachstand.io.reader import read_workbook

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.cell(row=header_at, column=1, value="ID")
    ws.cell(row=header_at, column=2, value="Name des Projektes")
    ws.cell(row=header_at, column=3, value="Umsetzungsstand\n2020 (in %)")
    ws.cell(row=header_at + 1, column=1, value="AC-002")
    ws.cell(row=header_at + 1, column=3, value="=40+5")
    path = tmp_path / "f.xlsx"
    wb.save(path)
    plan = plan_import(open_register(sample_path), [read_workbook(path)])
    # openpyxl stores no cached value, so the formula is a problem, never evaluated.
    assert [p.line() for p in plan.problems] == [
        f"Sheet!C{header_at + 1}: die Formel „=40+5“ hat keinen gespeicherten Wert; bitte den Wert eintragen "
        "oder die Datei in Excel neu berechnen und speichern"]
