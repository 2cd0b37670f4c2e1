"""The hostile and broken workbooks of tests/data/bad/, each with the exact message it must give.

Every file is imported with ``--apply``: it must be refused (exit 2, one line on stderr) or read
with its problems named by cell (exit 1), never with a traceback, and the register must stay
exactly as it was. The files are made by tests/data/make_bad_corpus.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sachstand.core import open_register

BAD = Path(__file__).parent / "data" / "bad"
FORMULA_HINT = "bitte den Wert selbst eintragen"
NOT_INT = "ist keine ganze Zahl von 0 bis 100"
NO_DATE = "ist kein Datum (erwartet z. B. „31.12.2020“, „Q 4 2020“ oder „2020“)"
NOT_READ = "die Arbeitsmappe wird nicht gelesen"
LIMIT_ROWS = "das Blatt „Projekte“ hat mehr als 100.000 Zeilen"
LIMIT_COLUMNS = "das Blatt „Projekte“ hat mehr als 256 Spalten"
IN_SHEET = "der Teil „xl/worksheets/sheet1.xml“ (Blatt „Projekte“)"
DTD = "die Arbeitsmappe enthält eine XML-Dokumenttypdefinition (DTD); solche Dateien werden aus Sicherheitsgründen nicht gelesen"

REFUSED: dict[str, str] = {
    "billion_laughs.xlsx": DTD,
    "xxe.xlsx": DTD,
    # 80 MB unpacked is within MAX_UNCOMPRESSED (our own 100,000-project export is 104 MB): the ratio catches it
    "zip_bomb.xlsx": "verdächtig stark komprimiert (xl/worksheets/sheet1.xml: 441:1); die Arbeitsmappe wird nicht gelesen",
    "ratio_bomb.xlsx": "verdächtig stark komprimiert (xl/media/padding.bin: 1.028:1); die Arbeitsmappe wird nicht gelesen",
    "encrypted.xlsx": "die Arbeitsmappe ist mit einem Kennwort geschützt; bitte ohne Kennwort speichern",
    "truncated.xlsx": "die Datei ist beschädigt oder unvollständig (kein lesbares ZIP)",
    "empty.xlsx": "die Datei ist leer (0 Byte)",
    "docx_renamed.xlsx": "das ist ein Word-Dokument, keine Excel-Arbeitsmappe (.xlsx)",
    "xls_renamed.xlsx": "das ist eine alte Excel-Datei (.xls); bitte als .xlsx speichern",
    "csv_renamed.xlsx": "das ist eine Textdatei (z. B. CSV); erwartet wird eine Excel-Arbeitsmappe (.xlsx)",
    "ods_renamed.xlsx": "das ist eine OpenDocument-Datei (.ods); bitte als .xlsx speichern",
    "pdf_renamed.xlsx": "das ist eine PDF-Datei, keine Excel-Arbeitsmappe (.xlsx)",
    "plain_zip.xlsx": "das ist keine Excel-Arbeitsmappe (.xlsx)",
    "empty_workbook.xlsx": "die Arbeitsmappe ist leer",
    "no_header.xlsx": "keine Kopfzeile erkannt (erwartet z. B. „Name des Projektes“, „Bereich“ und "
                      "„Umsetzungsstand 2020 (in %)“ in einer der ersten 30 Zeilen)",
    "duplicate_column.xlsx": "Blatt „Projekte“: Spalte „Name des Projektes“ (B1 und F1) kommt doppelt vor",
    "too_many_rows.xlsx": "das Blatt „Projekte“ hat mehr als 100.000 Zeilen (Zelle A100031 ist belegt); "
                          "erlaubt sind höchstens 100.000",
    "template_other_year.xlsx": "die Vorlage gilt für 2018, erwartet wird eine Vorlage für 2020 oder 2021",
    "template_damaged_metadata.xlsx": "die versteckten Angaben der Vorlage (Blatt _sachstand) sind beschädigt",
    # the workbook budget (sachstand/io/budget.py and its modules): refused before any parser builds a grid
    "far_apart_cells.xlsx": f"{LIMIT_COLUMNS} (Zelle ZZ90000 ist belegt); erlaubt sind höchstens 256",
    "cell_in_foreign_namespace.xlsx": f"{LIMIT_COLUMNS} (Zelle ZZ900 ist belegt); erlaubt sind höchstens 256",
    "last_cell_xfd1048576.xlsx": f"{LIMIT_ROWS} (Zelle XFD1048576 ist belegt); erlaubt sind höchstens 100.000",
    "cell_without_ref_far_row.xlsx": f"{LIMIT_ROWS} (Zelle A1048576 ist belegt); erlaubt sind höchstens 100.000",
    "dimension_whole_sheet.xlsx": f"{LIMIT_ROWS} (angegebener Bereich „A1:XFD1048576“); erlaubt sind höchstens 100.000",
    "merged_whole_sheet.xlsx": f"{LIMIT_ROWS} (verbundener Bereich „A3:XFD1048576“); erlaubt sind höchstens 100.000",
    "shared_formula_whole_sheet.xlsx": f"{LIMIT_ROWS} (Formelbereich „F3:XFD1048576“); erlaubt sind höchstens 100.000",
    "many_grid_cells.xlsx": "das Blatt „Projekte“ hat 10.000 Zeilen × 256 Spalten = 2.560.000 Zellen (Zelle IV10000 ist "
                            "belegt); erlaubt sind höchstens 2.000.000 Zellen",
    "row_number_beyond_u32.xlsx": f"{IN_SHEET} enthält die ungültige Zeilennummer „4294967297“; {NOT_READ}",
    "cell_ref_row_zero.xlsx": f"{IN_SHEET} enthält den ungültigen Zellbezug „A0“; {NOT_READ}",
    "cell_ref_negative.xlsx": f"{IN_SHEET} enthält den ungültigen Zellbezug „A-5“; {NOT_READ}",
    "cell_ref_without_letters.xlsx": f"{IN_SHEET} enthält den ungültigen Zellbezug „123“; {NOT_READ}",
    "shared_string_missing.xlsx": f"{IN_SHEET} verweist auf den gemeinsamen Text Nr. „999“, den es nicht gibt; {NOT_READ}",
    "shared_string_copies.xlsx": "die Texte in den Zellen der Arbeitsmappe brauchen zusammen mehr als 125 MB Arbeitsspeicher; "
                                 "sie wird nicht gelesen",
    "shared_strings_huge_unique_count.xlsx": "der Teil „xl/sharedStrings.xml“ gibt uniqueCount=„2000000000“ an, aber er "
                                             f"enthält nur 2 Texte; {NOT_READ}",
    "shared_strings_huge_count.xlsx": "der Teil „xl/sharedStrings.xml“ gibt count=„99999999999“ an, aber die Blätter "
                                      f"können höchstens 100 Texte verwenden; {NOT_READ}",
    "many_sheets.xlsx": "die Arbeitsmappe hat 101 Blätter; erlaubt sind höchstens 100",
    "deep_nesting.xlsx": f"der Teil „xl/styles.xml“ ist tiefer als 100 Ebenen verschachtelt; {NOT_READ}",
    # parts that are not well-formed XML, and relationships that lead astray
    "styles_junk_after_root.xlsx": f"der Teil „xl/styles.xml“ ist kein gültiges XML (Zeile 1, Spalte 2550); {NOT_READ}",
    "workbook_rels_junk_after_root.xlsx": "der Teil „xl/_rels/workbook.xml.rels“ ist kein gültiges XML "
                                          f"(Zeile 1, Spalte 504); {NOT_READ}",
    "sheet_name_control_character.xlsx": f"der Teil „xl/workbook.xml“ ist kein gültiges XML (Zeile 1, Spalte 427); {NOT_READ}",
    "shared_strings_latin1.xlsx": "der Teil „xl/sharedStrings.xml“ ist nicht in UTF-8 gespeichert (ISO-8859-1); bitte "
                                  "in Excel oder LibreOffice neu speichern",
    "many_formulas.xlsx": "das Blatt „Projekte“ hat 100.002 Formeln; erlaubt sind höchstens 100.000 (bitte die Formeln "
                          "durch ihre Werte ersetzen)",
    "sheet_is_shared_strings.xlsx": f"das Blatt „Zwei“ verweist auf „xl/sharedStrings.xml“, kein Tabellenblatt; {NOT_READ}",
    "sheet_part_twice.xlsx": "die Blätter „Projekte“ und „Kopie“ verweisen auf denselben Teil "
                             f"„xl/worksheets/sheet1.xml“; {NOT_READ}",
    "sheet_target_outside_package.xlsx": "das Blatt „Projekte“ verweist auf keinen Teil der Arbeitsmappe "
                                         f"(„../../../etc/passwd“); {NOT_READ}",
    "sheet_target_external.xlsx": "das Blatt „Projekte“ verweist auf keinen Teil der Arbeitsmappe "
                                  f"(„file:///etc/passwd“); {NOT_READ}",
}

PROBLEMS: dict[str, list[str]] = {
    "forged_dimension.xlsx": [f"Projekte!C4: „101“ {NOT_INT}"],
    "merged_cells.xlsx": ["Projekte!D2:E2: verbundene Zellen über den Daten; bitte die Verbindung aufheben und "
                          "jeden Wert in seine Zelle schreiben"],
    "hyperlink_formula.xlsx": ["Projekte!E2: die Formel „=HYPERLINK(\"http://evil.example\",\"klick\")“ wird aus "
                               f"Sicherheitsgründen nicht übernommen; {FORMULA_HINT}"],
    "dde_formula.xlsx": [f"Projekte!C2: die Formel „=cmd|' /C calc'!A0“ wird aus Sicherheitsgründen nicht übernommen; {FORMULA_HINT}"],
    "formula_without_value.xlsx": ["Projekte!C2: die Formel „=40+5“ hat keinen gespeicherten Wert; bitte den Wert "
                                   "eintragen oder die Datei in Excel neu berechnen und speichern"],
    "error_value.xlsx": ["Projekte!C2: „#N/A“ ist ein Fehlerwert; bitte einen gültigen Wert eintragen"],
    "control_characters.xlsx": ["Projekte!E2: Text enthält das Steuerzeichen U+0001; bitte entfernen"],
    "overlong_text.xlsx": ["Projekte!E2: ist 40.000 Zeichen lang; erlaubt sind höchstens 32.767 (so viel fasst eine Excel-Zelle)"],
    "duplicate_ids.xlsx": ["Projekte!A3: die Projekt-ID „AC-002“ kommt mehrfach vor (auch duplicate_ids.xlsx, Zeile 2)"],
    "unknown_id.xlsx": ["Projekte!A2: die Projekt-ID „XY-999“ gibt es nicht im Register"],
    "template_other_department.xlsx": ["Projekte!A5: das Projekt FB12-001 gehört zum Bereich FB 12; diese Vorlage ist für FB 11"],
    "progress_minus_5.xlsx": [f"Projekte!C2: „-5“ {NOT_INT}"],
    "progress_101.xlsx": [f"Projekte!C2: „101“ {NOT_INT}"],
    "progress_45_5.xlsx": [f"Projekte!C2: „45,5“ {NOT_INT}"],
    "progress_ca_50.xlsx": [f"Projekte!C2: „ca. 50“ {NOT_INT}"],
    "progress_n_a.xlsx": [f"Projekte!C2: „n/a“ {NOT_INT}"],
    "date_31_02_2021.xlsx": ["Projekte!D2: „31.02.2021“ ist kein gültiges Datum (diesen Tag gibt es nicht)"],
    "date_q5_2020.xlsx": ["Projekte!D2: „Q5 2020“: Quartal 5 gibt es nicht (erlaubt: Q 1 bis Q 4)"],
    "date_11_05_217.xlsx": [f"Projekte!D2: „11.05.217“ {NO_DATE}"],
    # Strict OOXML: the formula scan knows both namespace families
    "strict_dde_formula.xlsx": [f"Projekte!C2: die Formel „=cmd|' /C calc'!A0“ wird aus Sicherheitsgründen nicht "
                                f"übernommen; {FORMULA_HINT}"],
    "strict_formula_without_value.xlsx": ["Projekte!C2: die Formel „=40+5“ hat keinen gespeicherten Wert; bitte den "
                                          "Wert eintragen oder die Datei in Excel neu berechnen und speichern"],
}

CONFLICTS: dict[str, list[str]] = {
    "template_stale.xlsx": [
        "Projekte!C6: Konflikt bei FB11-004, Kurzbeschreibung / Projektziel: in der Datei „Geändert, aber auf "
        "altem Stand“, inzwischen im Register „Einführung eines Dokumentenmanagementsystems im Fachbereich "
        "Personal und Organisation zur digitalen Aktenführung“"],
}


def _state(path: Path) -> tuple:
    repo = open_register(path)
    return repo.audit_count(), repr(repo.projects(include_archived=True)), repr(repo.departments())


def test_corpus_is_complete() -> None:
    files = {p.name for p in BAD.glob("*.xlsx")}
    assert len(files) >= 30
    assert files == set(REFUSED) | set(PROBLEMS) | set(CONFLICTS)


def test_a_workbook_larger_unpacked_than_the_limit_is_refused_by_its_directory(cli, sample_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from sachstand.io import limits

    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED", 64 * 1024 * 1024)
    r = cli("--db", str(sample_path), "import", str(BAD / "zip_bomb.xlsx"), "--json")
    assert (r.code, r.out, r.err) == (2, "", "Fehler: zip_bomb.xlsx: entpackt wäre die Arbeitsmappe 80 MB groß "
                                              "(erlaubt: 64 MB); sie wird nicht gelesen\n")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_one_line_and_nothing_written(name: str, cli, sample_path: Path) -> None:
    before = _state(sample_path)
    r = cli("--db", str(sample_path), "import", str(BAD / name), "--apply", "--json")
    assert (r.code, r.out, r.err) == (2, "", f"Fehler: {name}: {REFUSED[name]}\n")
    assert _state(sample_path) == before


@pytest.mark.parametrize("name", sorted(PROBLEMS) + sorted(CONFLICTS))
def test_read_with_cell_problems_and_nothing_written(name: str, cli, sample_path: Path) -> None:
    before = _state(sample_path)
    r = cli("--db", str(sample_path), "import", str(BAD / name), "--apply", "--json")
    assert r.code == 1 and "Traceback" not in r.err
    data = json.loads(r.out)
    assert [f"{p['cell']}: {p['message']}" for p in data["problems"]] == PROBLEMS.get(name, [])
    conflicts = [f"{c['cell']}: Konflikt bei {c['project']}, {c['label']}: in der Datei „{c['file_value']}“, "
                 f"inzwischen im Register „{c['register_value']}“" for c in data["conflicts"]]
    assert conflicts == CONFLICTS.get(name, [])
    assert data["applied"] is False
    assert _state(sample_path) == before
    text = cli("--db", str(sample_path), "import", str(BAD / name))
    assert text.code == 1 and "Nichts wurde gespeichert" in text.out


def test_whole_corpus_stays_under_200_mb(sample_path: Path) -> None:
    """One process imports every file; its peak resident memory must stay below 200 MB.

    The peak is the process's own ``VmHWM``: a child's ``ru_maxrss`` starts at its parent's peak.
    """
    script = (
        "import sys, contextlib, io\n"
        "from sachstand.cli import main\n"
        "for f in sys.argv[2:]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "        code = main(['--db', sys.argv[1], 'import', f, '--apply'])\n"
        "    assert code in (1, 2), (f, code)\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
    )
    files = [str(p) for p in sorted(BAD.glob("*.xlsx"))]
    done = subprocess.run([sys.executable, "-c", script, str(sample_path), *files],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.strip()) / 1024
    assert peak_mb < 200, f"peak {peak_mb:.0f} MB"
