"""Rules checked where values enter the register (issue 9, points 8 and 12): department codes
are printable, short and usable in a file name; texts fit one Excel cell, so an export never cuts.
The repository checks them; the import reports the same message at the cell; real files."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.changes import TEXT_MAX
from sachstand.core.errors import InvalidValue
from sachstand.core.models import NewProject

BAD_CODES = ["FB\x1b[31m", "FB \x9b2", "FB \u202e99", "FB/12", "../x", ".FB", "FB\u200b1", "F" * 21, "FB\n1"]


def _departments(path: Path) -> list[str]:
    return [d.code for d in open_register(path).departments()]


@pytest.mark.parametrize("code", BAD_CODES)
def test_department_code_refused_on_entry(sample_path: Path, code: str) -> None:
    repo = open_register(sample_path)
    before = _departments(sample_path)
    with pytest.raises(InvalidValue, match="ist kein brauchbares Kürzel: erlaubt sind bis zu 20 Buchstaben"):
        repo.add_department(code)
    assert _departments(sample_path) == before


@pytest.mark.parametrize("code", ["FB 99", "Dez. IV", "FB_12-3", "Bürgeramt", "A&O (alt)"])
def test_ordinary_department_codes_enter(sample_path: Path, code: str) -> None:
    open_register(sample_path).add_department(code)
    assert code in _departments(sample_path)


def _overview_with(cli, sample_path: Path, tmp_path: Path, row: dict[str, object]) -> Path:
    """The register's own overview with one row changed or added, as a person would in Excel."""
    out = tmp_path / "overview.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Projekte"]
    col = {c.value: c.column for c in ws[1]}
    target = next((r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == row.get("ID")), ws.max_row + 1)
    for header, value in row.items():
        ws.cell(target, col[header], value)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    return edited


def _replace_in_zip(path: Path, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    assert any(old in data for data in parts.values())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data.replace(old, new))


def test_import_refuses_a_bad_new_department_code_at_its_cell(cli, sample_path: Path, tmp_path: Path) -> None:
    path = _overview_with(cli, sample_path, tmp_path, {"Bereich": "FB \u202e99", "Name des Projektes": "Neu"})
    before = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "import", str(path), "--apply", "--json")
    data = json.loads(r.out)
    assert r.code == 1
    [problem] = data["problems"]
    assert problem["cell"].startswith("Projekte!B") and "ist kein brauchbares Kürzel" in problem["message"]
    assert "\u202e" not in r.out  # JSON escapes it
    assert sample_path.read_bytes() == before


def test_text_longer_than_a_cell_is_refused_by_repository_and_import(cli, sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    with pytest.raises(InvalidValue) as refused:
        repo.create(NewProject(department="FB 11", name="x" * (TEXT_MAX + 1)))
    assert refused.value.message == (
        "Name des Projektes: ist 32.768 Zeichen lang; erlaubt sind höchstens 32.767 (so viel fasst eine Excel-Zelle)"
    )
    p = repo.projects(department="FB 11")[0]
    with pytest.raises(InvalidValue, match=re.escape("ist 100.000 Zeichen lang")):
        repo.update(p.id, p.version, {"description": "y" * 100_000})
    # the import: Excel and openpyxl cut at 32,767, but a generated file can hold more
    path = _overview_with(cli, sample_path, tmp_path, {"ID": p.id, "Kurzbeschreibung / Projektziel": "LANGER_TEXT"})
    _replace_in_zip(path, b"LANGER_TEXT", b"z" * 40_000)
    r = cli("--db", str(sample_path), "import", str(path), "--json")
    [problem] = json.loads(r.out)["problems"]
    assert problem["message"] == ("ist 40.000 Zeichen lang; erlaubt sind höchstens 32.767 "
                                  "(so viel fasst eine Excel-Zelle)")


def test_a_text_at_the_limit_is_exported_whole_and_reimports_unchanged(cli, sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    name = "N" + "ä" * (TEXT_MAX - 2) + "E"
    created = repo.create(NewProject(department="FB 11", name=name, description="d" * TEXT_MAX))
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    ws = openpyxl.load_workbook(out, read_only=True)["Projekte"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == created.id)
    assert row[2] == name and len(row[3]) == TEXT_MAX
    r = cli("--db", str(sample_path), "import", str(out), "--json")
    data = json.loads(r.out)
    assert r.code == 0 and data["changed"] == [] and data["problems"] == []


@pytest.mark.parametrize("code", ["FB11", "fb 11", "FB-11", "F.B. 11"])
def test_a_new_department_that_reads_like_a_known_one_is_refused(sample_path: Path, code: str) -> None:
    """A list's "FB11", "fb 11" and "FB-11" became three more departments beside "FB 11" (and
    then two templates wanted the same file name)."""
    from sachstand.core.changes import ChangeSet
    from sachstand.core.models import Department

    repo = open_register(sample_path)
    before = sample_path.read_bytes()
    with pytest.raises(InvalidValue) as refused:
        repo.apply(ChangeSet(new_departments=[Department(code, None)],
                             new_projects=[NewProject(department=code, name="Neu", progress={2020: 5})]))
    assert refused.value.message == (f"Bereich: „{code}“ sieht aus wie der Bereich „FB 11“; bitte „FB 11“ "
                                     "schreiben (ein neuer Bereich braucht ein Kürzel, das sich davon unterscheidet)")
    assert sample_path.read_bytes() == before


def test_a_list_with_look_alike_codes_is_refused_at_their_cells(cli, sample_path: Path, tmp_path: Path) -> None:
    """"FB11", "fb 11" and "FB-11" in a list beside the known "FB 11", and "XY 1" then "XY-1",
    both new: each look-alike at its cell, nothing written."""
    book = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020"])
    for i, code in enumerate(["FB11", "fb 11", "FB-11", "XY 1", "XY-1"]):
        wb.active.append([code, f"Neues Projekt {i}", 10])
    wb.save(book)
    before = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "import", str(book), "--apply", "--json")
    found = {p["cell"]: p["message"] for p in json.loads(r.out)["problems"]}
    assert r.code == 1 and sorted(found) == ["Sheet!A2", "Sheet!A3", "Sheet!A4", "Sheet!A6"], found
    assert found["Sheet!A3"].startswith("„fb 11“ sieht aus wie der Bereich „FB 11“; bitte „FB 11“ schreiben")
    assert found["Sheet!A6"].startswith("„XY-1“ sieht aus wie der Bereich „XY 1“")
    assert sample_path.read_bytes() == before


def test_emoji_count_twice_as_excel_counts_them(cli, sample_path: Path, tmp_path: Path) -> None:
    """20,000 emoji are 40,000 UTF-16 units: the export cut them to 16,383 characters, and a
    re-import showed the cut as a change. Refused at entry, by the repository and at the cell;
    16,383 emoji and one more letter (32,767 units) are stored, exported whole and read back equal."""
    repo = open_register(sample_path)
    p = repo.projects(department="FB 11")[0]
    with pytest.raises(InvalidValue) as refused:
        repo.update(p.id, p.version, {"description": "\U0001F600" * 20_000})
    assert refused.value.message.endswith(
        "ist 40.000 Zeichen lang (wie Excel zählt: Emoji und andere Zeichen über U+FFFF doppelt); "
        "erlaubt sind höchstens 32.767 (so viel fasst eine Excel-Zelle)")
    path = _overview_with(cli, sample_path, tmp_path, {"ID": p.id, "Kurzbeschreibung / Projektziel": "LANGER_TEXT"})
    _replace_in_zip(path, b"LANGER_TEXT", "\U0001F600".encode() * 20_000)
    r = cli("--db", str(sample_path), "import", str(path), "--json")
    [problem] = json.loads(r.out)["problems"]
    assert r.code == 1 and problem["message"].startswith("ist 40.000 Zeichen lang (wie Excel zählt")
    fits = "\U0001F600" * (TEXT_MAX // 2) + "x"
    stored = repo.update(p.id, p.version, {"description": fits})
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    ws = openpyxl.load_workbook(out, read_only=True)["Projekte"]
    assert next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == p.id)[3] == fits
    r = cli("--db", str(sample_path), "import", str(out), "--json")
    assert r.code == 0 and json.loads(r.out)["changed"] == [] and stored.description == fits


def test_template_file_names_hold_only_safe_characters(cli, sample_path: Path, tmp_path: Path) -> None:
    """Codes stored before the check (written here with SQL) still give safe file names."""
    repo = open_register(sample_path)
    hostile = ["../\x1b]8;;x\x07E\u202egpj.exe", "FB\x9b7"]
    with repo.db.write() as conn:
        for code in hostile:
            conn.execute("INSERT INTO departments VALUES (?, NULL)", [code])
    for code in hostile:
        repo.create(NewProject(department=code, name=f"Projekt {len(code)}", progress={2020: 10}))
    out = tmp_path / "out"
    r = cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out))
    assert r.code == 0, r.err
    names = sorted(p.name for p in out.iterdir())
    assert "8xEgpj.exe_2021.xlsx" in names and "FB7_2021.xlsx" in names
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ÄÖÜäöüß._-") for n in names)
    assert not any(c in r.out for c in "\x1b\x07\x9b\u202e")
