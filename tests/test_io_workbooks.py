"""What the exported workbooks hold: templates, the report with its chart, safe text, markup."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.models import NewProject
from sachstand.io import cells
from sachstand.io.headers import header_key
from sachstand.io.limits import WorkbookRefused, check_workbook
from sachstand.io.reader import read_workbook
from sachstand.io.sheetxml import is_percent_format
from tests.test_io_roundtrip import P21, fill_template


def test_templates_one_per_department_locked_validated_with_hidden_metadata(cli, sample_path: Path,
                                                                             tmp_path: Path) -> None:
    r = cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(tmp_path))
    assert r.code == 0, r.err
    repo = open_register(sample_path)
    names = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert len(names) == len(repo.departments()) and "FB11_2021.xlsx" in names and "Dez.II_2021.xlsx" in names
    wb = openpyxl.load_workbook(tmp_path / "FB11_2021.xlsx")
    assert wb.sheetnames == ["Projekte", "Anleitung", "_sachstand"]
    ws = wb["Projekte"]
    assert ws.protection.sheet and not ws.protection.password
    heads = [c.value for c in ws[4]]
    assert heads == ["ID", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten",
                     "Kostenhinweis", "Beginn", "Geplantes Ende", "Umsetzungsstand 2020 (in %)", P21, "Bemerkungen"]
    ids = [ws.cell(row=r, column=1).value for r in range(5, ws.max_row + 1)]
    open_ids = [x for x in ids if x]
    # Projects completed before 2021 are left out: FB 11 has 10 projects, 2 reached 100 % by 2020.
    assert len(open_ids) == 8 and ids[len(open_ids):] == [None] * 20
    assert ws["A5"].protection.locked and ws["H5"].protection.locked
    assert not ws["I5"].protection.locked and not ws["C5"].protection.locked and not ws["B30"].protection.locked
    dv = ws.data_validations.dataValidation[0]
    assert (dv.type, dv.operator or "between", dv.formula1, dv.formula2) == ("whole", "between", "0", "100")
    assert str(dv.sqref) == "I5:I32" and "ganze Zahl von 0 bis 100" in dv.error
    meta = wb["_sachstand"]
    assert meta.sheet_state == "veryHidden"
    values = {meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value for r in range(1, meta.max_row + 1)}
    assert values["Art"] == "Vorlage" and values["Bereich"] == "FB 11" and values["Jahr"] == 2021
    assert values["Exportiert"] and all(values[i] == repo.get(i).version for i in open_ids)
    assert "Umsetzungsstand 2021" in wb["Anleitung"]["A3"].value


def test_report_workbook_has_figures_tables_and_native_bar_chart(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "bericht.xlsx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out)).code == 0
    summary = json.loads(cli("--db", str(sample_path), "summary", "--year", "2020", "--json").out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Kennzahlen", "Übersicht", "Förderprojekte", "Diagramm"]
    figures = {wb["Kennzahlen"].cell(row=r, column=1).value: (wb["Kennzahlen"].cell(row=r, column=2).value,
                                                            wb["Kennzahlen"].cell(row=r, column=6).value)
               for r in range(5, 11)}
    assert figures["Projekte im Bericht"][0] == summary["projects"] == 57
    assert figures["Abgeschlossen"] == (summary["completed"], summary["rules"]["completed"])
    assert wb["Übersicht"].max_row == 1 + 57
    last = [c.value for c in wb["Förderprojekte"][wb["Förderprojekte"].max_row]]
    assert last[0] == "Summe" and Decimal(str(last[5])) == Decimal(summary["funding"]["total_cost"])
    with zipfile.ZipFile(out) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "Diagramm!$A$2:$A$58" in chart and chart.count("<c:ser>") == 2


def test_export_writes_formula_like_text_as_quoted_text(cli, sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    risky = ["=HYPERLINK(\"http://evil\",\"x\")", "+49 241 1234", "-Minus", "@SUMME(A1)", "=1+2"]
    for i, text in enumerate(risky):
        repo.create(NewProject(department="AC", name=f"Riskant {i}", description=text))
    out = tmp_path / "register.xlsx"
    cli("--db", str(sample_path), "export", "register", "-o", str(out))
    ws = openpyxl.load_workbook(out)["Projekte"]
    rows = [r for r in ws.iter_rows(min_row=2) if str(r[2].value).startswith("Riskant")]
    assert len(rows) == len(risky)
    for row in rows:
        cell = row[3]
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    with zipfile.ZipFile(out) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    r = cli("--db", str(sample_path), "import", str(out), "--json")
    assert r.code == 0 and json.loads(r.out)["changed"] == []


def test_safe_text_quotes_tab_cr_and_lf(tmp_path: Path) -> None:
    from sachstand.io.safe import Formats, new_workbook

    path = tmp_path / "t.xlsx"
    wb = new_workbook(path)
    fmt = Formats(wb)
    ws = wb.add_worksheet("T")
    texts = ["\tTab", "\rCR", "\nLF", "=A1", "normal"]
    for r, text in enumerate(texts):
        fmt.text(ws, r, 0, text)
    wb.close()
    ws = openpyxl.load_workbook(path)["T"]
    assert [bool(ws.cell(row=r + 1, column=1).quotePrefix) for r in range(len(texts))] == [True] * 4 + [False]
    assert all(ws.cell(row=r + 1, column=1).data_type == "s" for r in range(len(texts)))


def test_markup_copy_highlights_and_comments_bad_cells(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    filled = tmp_path / "filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled,
                  {("FB11-007", P21): "neunzig", ("FB11-004", "Beginn"): "Q5 2020"})
    original = filled.read_bytes()
    marked = tmp_path / "FB11_2021_korrektur.xlsx"
    r = cli("--db", db, "import", str(filled), "--markup", str(marked))
    assert r.code == 1 and marked.exists()
    assert filled.read_bytes() == original
    wb = openpyxl.load_workbook(marked)
    assert wb.sheetnames[0] == "Korrekturen" and wb.active.title == "Korrekturen"
    ws = wb["Projekte"]
    assert ws["I5"].fill.start_color.rgb.endswith("FF5B5B")
    assert ws["I5"].comment.text == "„neunzig“ ist keine ganze Zahl von 0 bis 100"
    assert "Quartal 5 gibt es nicht" in ws["F6"].comment.text
    assert ws["I6"].comment is None
    assert ws["I6"].fill.start_color.rgb.endswith("F8CBAD")  # the year's input colour is back
    rows = [[c.value for c in row] for row in wb["Korrekturen"].iter_rows(min_row=5)]
    assert [(r[1], r[2], r[4]) for r in rows] == [("Problem", "F6", "Q5 2020"), ("Problem", "I5", "neunzig")] or \
        [(r[1], r[2], r[4]) for r in rows] == [("Problem", "I5", "neunzig"), ("Problem", "F6", "Q5 2020")]
    links = {c.value: c.hyperlink.location for c in wb["Korrekturen"]["C"][4:]}
    assert links == {"I5": "'Projekte'!I5", "F6": "'Projekte'!F6"}
    assert wb["_sachstand"].sheet_state in ("veryHidden", "hidden")
    again = cli("--db", db, "import", str(marked), "--json")  # the reply is a template again
    assert again.code == 1 and json.loads(again.out)["files"][0]["kind"] == "template"
    r = cli("--db", db, "import", str(filled), "--markup", str(filled))
    assert r.code == 2 and "eine der eingelesenen Dateien" in r.err


@pytest.mark.parametrize(("value", "share", "expected"), [
    (45.0, False, 45), ("45 %", False, 45), ("45\u00a0%", False, 45), (" 45 ", False, 45), (0.45, True, 45),
    (1.0, True, 100), (0.0, True, 0),
])
def test_progress_cells(value: object, share: bool, expected: int) -> None:
    assert cells.percent(value, share) == expected


def test_money_and_dates_as_text_or_numbers() -> None:
    assert cells.money("1.234,56 €").amount == Decimal("1234.56")
    assert cells.money("1.234,56\u00a0€ ").amount == Decimal("1234.56")
    assert cells.money(1234.56).amount == Decimal("1234.56")
    assert cells.money("Finanzierung über FB 30").note == "Finanzierung über FB 30"
    assert cells.period("01.06.2017").format() == "01.06.2017"
    assert cells.period("Q 4 2020").format() == "Q 4 2020"
    with pytest.raises(ValueError, match="mehr als zwei Nachkommastellen"):
        cells.money(1.234)


def test_headers_and_percent_formats() -> None:
    assert header_key("  Name des\nProjektes ") == "name"
    assert header_key("Kurzbeschreibung/Projektziel") == "description"
    assert header_key("Umsetzungsstand 2017 (in %)") == "progress:2017"
    assert header_key("Umsetzungsstand 2017") == "progress:2017"
    assert header_key("Sonstiges") is None
    assert is_percent_format("0%") and is_percent_format("0.00%") and is_percent_format("0 %")
    assert not is_percent_format('0" %"') and not is_percent_format("0\\%") and not is_percent_format("#,##0.00 €")


def test_refusal_judges_content_not_name(tmp_path: Path, sample_path: Path, cli) -> None:
    out = tmp_path / "register.xlsx"
    cli("--db", str(sample_path), "export", "register", "-o", str(out))
    renamed = tmp_path / "register.xls"
    renamed.write_bytes(out.read_bytes())
    assert read_workbook(renamed).rows
    with pytest.raises(WorkbookRefused, match="Datei nicht gefunden"):
        check_workbook(tmp_path / "missing.xlsx")


def test_formula_cached_value_is_used_never_evaluated(tmp_path: Path, sample_path: Path, cli) -> None:
    import xlsxwriter

    path = tmp_path / "cached.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    for c, h in enumerate(["ID", "Name des Projektes", "Umsetzungsstand 2020 (in %)"]):
        ws.write_string(0, c, h)
    ws.write_string(1, 0, "AC-002")
    ws.write_formula(1, 2, "=40+5+1", None, 46)  # cached 46, as Excel would have stored it
    wb.close()
    data = json.loads(cli("--db", str(sample_path), "import", str(path), "--json").out)
    assert [(c["project"], c["old"], c["new"]) for c in data["changed"]] == [("AC-002", "45", "46")]


def test_preview_shows_markup_and_bidi_text_literally(tmp_path: Path, sample_path: Path, cli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: the name is shown on one line
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020 (in %)"])
    ws.append(["AC", "[/] [link=http://evil.example]Klick[/link] \u202eabc", 10])
    path = tmp_path / "markup.xlsx"
    wb.save(path)
    r = cli("--db", str(sample_path), "import", str(path))
    assert r.code == 0, r.err
    assert "[/] [link=http://evil.example]Klick[/link] \\u202eabc" in r.out
    assert "\u202e" not in r.out and "\x1b" not in r.out


def test_several_files_apply_all_or_nothing_and_audit_names_them(tmp_path: Path, sample_path: Path, cli) -> None:
    def sheet(name: str, rows: list[list[object]]) -> Path:
        wb = openpyxl.Workbook()
        wb.active.append(["ID", "Name des Projektes", "Umsetzungsstand 2020 (in %)"])
        for row in rows:
            wb.active.append(row)
        wb.save(tmp_path / name)
        return tmp_path / name

    good = sheet("gut.xlsx", [["AC-002", None, 50]])
    bad = sheet("schlecht.xlsx", [["AC-008", None, "n/a"]])
    db = str(sample_path)
    audit = open_register(sample_path).audit_count()
    r = cli("--db", db, "import", str(good), str(bad), "--apply")
    assert r.code == 1 and open_register(sample_path).audit_count() == audit
    fixed = sheet("schlecht.xlsx", [["AC-008", None, 85]])
    r = cli("--db", db, "import", str(good), str(fixed), "--apply", "--json")
    assert r.code == 0 and json.loads(r.out)["applied"] is True
    repo = open_register(sample_path)
    assert repo.get("AC-002").progress[2020] == 50 and repo.get("AC-008").progress[2020] == 85
    entry = repo.audit_for("AC-008")[0]
    assert entry.source_file == "gut.xlsx, schlecht.xlsx"
