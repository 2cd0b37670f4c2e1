"""The register workbook recreates a register: sample → workbook → empty register, compared."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.models import NewProject


def _state(path: Path) -> dict:
    repo = open_register(path)
    projects = repo.projects(include_archived=True)
    return {
        "projects": {p.id: (p.department, p.name, p.description, p.planned_cost, p.cost_note,
                            p.start, p.end, p.start_text, p.end_text, p.progress, p.archived, p.priority)
                     for p in projects},
        "city": repo.city(),
        "departments": repo.departments(),
        "funded": [(f.programme, f.title, f.title_in_table, f.recipients, f.start, f.duration_months, f.total_cost,
                    f.funding_total, f.funding_city, f.goals, f.partners, sorted(f.linked_projects))
                   for f in repo.funded_projects()],
        "reported": {y: repo.reported_figures(y) for y in (2019, 2020)},
        "years": repo.years(),
    }


@pytest.mark.parametrize("year", ["2020", "2019"])
def test_register_workbook_recreates_the_register(cli, sample_path: Path, empty_path: Path, tmp_path: Path,
                                                  year: str) -> None:
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out), "--year", year).code == 0
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[0] == "Projekte"
    assert {"Förderpartner", "Förderverknüpfungen", "Umsetzungsstände", "Archiv", "Bereiche",
            "Berichtete Kennzahlen"} <= set(wb.sheetnames)
    wb.close()

    r = cli("--db", str(empty_path), "import", str(out), "--apply")
    assert r.code == 0, r.out + r.err
    assert "Gespeichert" in r.out
    assert _state(empty_path) == _state(sample_path)
    for year in ("2019", "2020"):
        a = json.loads(cli("--db", str(sample_path), "summary", "--json", "--year", year).out)
        b = json.loads(cli("--db", str(empty_path), "summary", "--json", "--year", year).out)
        # A published report is a frozen document (``backup`` keeps it), not register data: the
        # recreated register computes the same figures live.
        assert b.pop("published") is None
        a.pop("published")
        assert a == b
    assert b["funding"]["funding_city"] == "3787688.99"
    check_a = json.loads(cli("--db", str(sample_path), "check", "--json").out)
    check_b = json.loads(cli("--db", str(empty_path), "check", "--json").out)
    assert check_a == check_b
    assert any("11.05.217" in str(f) or "217" in f["message"] for f in check_b if f["kind"] == "date")

    again = cli("--db", str(empty_path), "import", str(out))
    assert "Keine Änderungen" in again.out  # the workbook now matches the recreated register


def test_archive_priorities_and_id_counters_travel(cli, sample_path: Path, empty_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    gone = repo.get("FB11-002")
    repo.archive(gone.id, gone.version)
    planned = repo.create(NewProject(department="FB 36", name="Geplant", priority=2))
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    r = cli("--db", str(empty_path), "import", str(out), "--apply")
    assert r.code == 0, r.out + r.err
    assert _state(empty_path) == _state(sample_path)
    restored = open_register(empty_path)
    assert restored.get("FB11-002").archived and restored.get(planned.id).priority == 2
    created = restored.create(NewProject(department="FB 11", name="Nach der Wiederherstellung"))
    numbers = [int(p.id.split("-")[1]) for p in restored.projects(include_archived=True, department="FB 11")
               if p.id != created.id]
    assert created.id == f"FB11-{max(numbers) + 1:03d}"  # the ID counter follows the restored IDs


def test_what_a_register_holds_it_restores_even_where_a_list_could_not_add_it(cli, sample_path: Path,
                                                                              empty_path: Path, tmp_path: Path) -> None:
    """An archived and an active project of one name, and department codes that read alike (from
    an older register): rows with their IDs. The register's own workbook stopped at
    "das neue Projekt … kommt mehrfach vor" in an empty register; now it recreates it."""
    repo = open_register(sample_path)
    gone = repo.get("FB11-001")
    repo.archive(gone.id, gone.version)
    again = repo.create(NewProject(department="FB 11", name=gone.name, progress={2020: 5}))
    with repo.db.write() as conn:
        conn.execute("INSERT INTO departments VALUES ('FB11', 'älter')")
    repo.create(NewProject(department="FB11", name="Aus einem älteren Register"))
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    r = cli("--db", str(empty_path), "import", str(out), "--apply")
    assert r.code == 0, r.out + r.err
    assert _state(empty_path) == _state(sample_path)
    assert open_register(empty_path).get(again.id).name == gone.name


def test_a_list_row_naming_an_archived_project_is_refused_not_made_a_second(cli, sample_path: Path,
                                                                           tmp_path: Path) -> None:
    """A row without an ID that names an archived project became a new project of that name."""
    repo = open_register(sample_path)
    gone = repo.get("FB11-001")
    repo.archive(gone.id, gone.version)
    book = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2021"])
    wb.active.append(["FB 11", gone.name.upper(), 80])
    wb.save(book)
    before = sample_path.read_bytes()
    r = cli("--db", str(sample_path), "import", str(book), "--apply", "--json")
    [problem] = json.loads(r.out)["problems"]
    assert r.code == 1 and problem["cell"] == "Sheet!B2"
    assert problem["message"] == (f"das Projekt „{gone.name}“ (FB11-001) ist archiviert und wird nicht geändert; "
                                  "ein neues Projekt braucht einen anderen Namen")
    assert sample_path.read_bytes() == before


def test_register_workbook_into_a_filled_register_does_not_restore(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.xlsx"
    cli("--db", str(sample_path), "export", "register", "-o", str(out))
    data = json.loads(cli("--db", str(sample_path), "import", str(out), "--json").out)
    assert data["new"] == [] and data["unchanged"] == 58


MARKUP_TEXTS = ("<r>Bürger & <b>Amt</b></r>", "a < b && c > d", "<r><t>x</t></r>")


def test_text_that_looks_like_xml_round_trips_through_export_import_and_markup(
        cli, sample_path: Path, empty_path: Path, tmp_path: Path) -> None:
    """xlsxwriter's ``constant_memory`` mode writes text starting with ``<r>`` raw, as rich-text
    XML: every exported and marked-up text cell must come back exactly as it was."""
    from sachstand.core.changes import ChangeSet, ProjectUpdate
    from sachstand.core.models import Department

    repo = open_register(sample_path)
    projects = sorted(repo.projects(), key=lambda p: p.id)[:3]
    repo.apply(ChangeSet(
        new_departments=[Department("XML", MARKUP_TEXTS[0])],
        updates=[ProjectUpdate(p.id, p.version, {"name": text, "description": text})
                 for p, text in zip(projects, MARKUP_TEXTS, strict=True)]))
    out = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(out)).code == 0
    r = cli("--db", str(empty_path), "import", str(out), "--apply")
    assert r.code == 0, r.out + r.err
    assert _state(empty_path) == _state(sample_path)
    restored = open_register(empty_path)
    assert {p.name for p in restored.projects()} >= set(MARKUP_TEXTS)
    assert {d.code: d.name for d in restored.departments()}["XML"] == MARKUP_TEXTS[0]

    marked = tmp_path / "marked.xlsx"
    r = cli("--db", str(sample_path), "import", str(out), "--markup", str(marked))
    assert r.code in (0, 1), r.err
    wb = openpyxl.load_workbook(marked, read_only=True)
    texts = {c for row in wb["Projekte"].iter_rows(values_only=True) for c in row if isinstance(c, str)}
    wb.close()
    assert set(MARKUP_TEXTS) <= texts


def test_every_workbook_writes_day_dates_by_one_rule(cli, sample_path: Path, empty_path: Path, tmp_path: Path) -> None:
    """A day from 1 March 1900 on is a date cell, an earlier one its German text: the same in the
    register workbook (row stream) and in a department's template (cell writer), and both come
    back as the same day."""
    from datetime import date, datetime

    from sachstand.core.changes import ChangeSet, ProjectUpdate
    from sachstand.core.types import Period

    repo = open_register(sample_path)
    old, new = sorted((p for p in repo.projects() if p.department == "FB 11"), key=lambda p: p.id)[:2]
    repo.apply(ChangeSet(updates=[
        ProjectUpdate(old.id, old.version, {"start": Period.day(date(1900, 1, 15))}),
        ProjectUpdate(new.id, new.version, {"start": Period.day(date(2019, 6, 1))})]))
    book = tmp_path / "register.xlsx"
    assert cli("--db", str(sample_path), "export", "register", "-o", str(book)).code == 0
    assert cli("--db", str(sample_path), "export", "templates", "--year", "2020", "--department", "FB 11",
               "-o", str(tmp_path / "t")).code == 0
    template = next((tmp_path / "t").glob("*.xlsx"))
    for path in (book, template):
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        header = next(r for r in ws.iter_rows(values_only=True) if r and "ID" in r)
        id_col, start_col = header.index("ID"), header.index("Beginn")
        starts = {r[id_col]: r[start_col] for r in ws.iter_rows(values_only=True) if r and r[id_col] in (old.id, new.id)}
        assert starts[old.id] == "15.01.1900", path.name
        assert starts[new.id] == datetime(2019, 6, 1), path.name
    assert cli("--db", str(empty_path), "import", str(book), "--apply").code == 0
    again = open_register(empty_path)
    assert again.get(old.id).start == Period.day(date(1900, 1, 15))
    assert again.get(new.id).start == Period.day(date(2019, 6, 1))
