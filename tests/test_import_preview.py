"""Previews that tell the whole story: conflicts with their rows' other changes, --on-conflict,
deleted template rows, several bad files at once, the terminal's width, large previews."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import open_register
from tests.test_io_roundtrip import DESC, P21, fill_template, flat


@pytest.fixture
def stale_template(cli, sample_path: Path, tmp_path: Path) -> Path:
    """FB 11's 2021 template, returned with a description both sides changed and a progress value."""
    cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    repo = open_register(sample_path)
    p = repo.get("FB11-004")
    repo.update("FB11-004", p.version, {"description": "Im Register geändert"})
    filled = tmp_path / "filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled, {("FB11-004", DESC): "In der Vorlage geändert",
                                                        ("FB11-004", P21): 80, ("FB11-001", P21): 60})
    return filled


def test_conflict_lists_the_rows_other_changes(cli, sample_path: Path, stale_template: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    r = cli("--db", str(sample_path), "import", str(stale_template), "--json")
    assert r.code == 1
    data = json.loads(r.out)
    (conflict,) = data["conflicts"]
    assert conflict["settled"] is None
    assert [(c["label"], c["old"], c["new"], c["applied"]) for c in conflict["other_changes"]] == [
        (P21, "", "80", False)]
    monkeypatch.setenv("COLUMNS", "80")
    text = cli("--db", str(sample_path), "import", str(stale_template)).out
    out = flat(text)
    assert out.startswith("Nichts wird gespeichert, solange etwas offen ist: 1 Konflikt.")
    assert f"weitere Änderung Projekte!I6 {P21}: – → 80 (nicht übernommen, solange der Konflikt besteht)" in out
    assert "--on-conflict file|register" in out
    assert max(map(len, text.splitlines())) <= 80
    assert open_register(sample_path).get("FB11-004").progress.get(2021) is None


@pytest.mark.parametrize("choice,description", [("file", "In der Vorlage geändert"),
                                                ("register", "Im Register geändert")])
def test_on_conflict_settles_every_conflict_and_the_audit_says_how(cli, sample_path: Path, stale_template: Path,
                                                                   choice: str, description: str) -> None:
    r = cli("--db", str(sample_path), "import", str(stale_template), "--on-conflict", choice, "--json")
    assert r.code == 0, r.out
    data = json.loads(r.out)
    assert data["conflicts"][0]["settled"] == choice and data["applied"] is False
    r = cli("--db", str(sample_path), "import", str(stale_template), "--on-conflict", choice, "--apply")
    assert r.code == 0, r.out + r.err
    assert f"Konflikte entschieden für {'die Datei' if choice == 'file' else 'das Register'}" in flat(r.out)
    repo = open_register(sample_path)
    project = repo.get("FB11-004")
    assert project.description == description
    assert project.progress[2021] == 80 and repo.get("FB11-001").progress[2021] == 60
    sources = {a.source for a in repo.audit_for("FB11-004") if a.field == f"progress:{2021}"}
    assert sources == {f"import --on-conflict {choice}"}


def test_deleted_template_rows_are_listed_as_not_returned(cli, sample_path: Path, tmp_path: Path) -> None:
    cli("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    wb = openpyxl.load_workbook(tmp_path / "FB11_2021.xlsx")
    ws = wb["Projekte"]
    gone = ws.cell(row=5, column=1).value
    name = ws.cell(row=5, column=2).value
    ws.delete_rows(5)
    returned = tmp_path / "returned.xlsx"
    wb.save(returned)
    data = json.loads(cli("--db", str(sample_path), "import", str(returned), "--json").out)
    assert data["missing"] == [{"file": "returned.xlsx", "project": gone, "department": "FB 11", "name": name}]
    out = flat(cli("--db", str(sample_path), "import", str(returned)).out)
    assert "Nicht zurückgemeldet (1)" in out and f"{gone} {name}" in out


def test_several_bad_files_are_all_reported_and_the_good_one_previewed(cli, sample_path: Path,
                                                                       tmp_path: Path) -> None:
    good = tmp_path / "d.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020 (in %)"])
    wb.active.append(["FB 11", "Ganz neues Projekt", 10])
    wb.save(good)
    (tmp_path / "a.ods").write_bytes(b"kein Tabellendokument")
    (tmp_path / "b.xls").write_bytes(b"\xd0\xcf\x11\xe0 kaputt")
    (tmp_path / "c.csv").write_text("Bereich;Name\nFB 11;x\n", encoding="utf-8")
    before = open_register(sample_path).audit_count()
    files = [str(tmp_path / n) for n in ("a.ods", "b.xls", "c.csv", "d.xlsx")]
    r = cli("--db", str(sample_path), "import", *files, "--apply")
    assert r.code == 2
    errors = [line for line in r.err.splitlines() if line.startswith("Fehler: ")]
    assert [e.split(":")[1].strip() for e in errors] == ["a.ods", "b.xls", "c.csv"]
    out = flat(r.out)
    assert "Ganz neues Projekt" in out and "Nichts wird gespeichert" in out and "3 Dateien nicht lesbar" in out
    assert open_register(sample_path).audit_count() == before
    data = json.loads(cli("--db", str(sample_path), "import", *files, "--json").out)
    assert [f["file"] for f in data["refused"]] == ["a.ods", "b.xls", "c.csv"]
    assert [n["name"] for n in data["new"]] == ["Ganz neues Projekt"]


def _many_new(path: Path, count: int) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Projekte")
    ws.append(["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten",
               "Umsetzungsstand 2020 (in %)"])
    for i in range(count):
        ws.append([f"FB {10 + i % 3}", f"Projekt Nummer {i} mit einem recht langen Namen, der umbrechen muss",
                   "Eine Beschreibung " * 5, 1000 + i, i % 101])
    wb.save(path)
    return path


def test_large_preview_shows_counts_and_first_rows(cli, empty_path: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    path = _many_new(tmp_path / "viele.xlsx", 250)
    text = cli("--db", str(empty_path), "import", str(path)).out
    out = flat(text)
    assert "250 neue Projekte, je Bereich: FB 10: 84, FB 11: 83, FB 12: 83" in out
    assert "Projekt Nummer 19 " in out and "Projekt Nummer 20 " not in out
    assert "… und 230 weitere (alle mit --all, vollständig mit --json)" in out
    assert max(map(len, text.splitlines())) <= 80
    every = flat(cli("--db", str(empty_path), "import", str(path), "--all").out)
    assert "Projekt Nummer 249 " in every and "weitere" not in every
    data = json.loads(cli("--db", str(empty_path), "import", str(path), "--json").out)
    assert len(data["new"]) == 250
    assert data["new"][3]["planned_cost"] == "1003.00" and data["new"][3]["progress"] == {"2020": 3}


def test_an_update_whose_end_falls_before_its_start_is_refused_at_the_cell(cli, sample_path: Path,
                                                                           tmp_path: Path) -> None:
    """The import's update rows go through ``changes.check``, the check ``apply`` runs: the date
    order problem names the end cell with the core's reason, and nothing is written."""
    from sachstand.core.changes import date_order_problem
    from sachstand.core.types import parse_period

    db = str(sample_path)
    assert cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11").code == 0
    before = open_register(sample_path).audit_count()
    start = open_register(sample_path).get("FB11-004").start
    filled = tmp_path / "filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled, {("FB11-004", "Beginn"): "Q 3 2030",
                                                        ("FB11-004", "Geplantes Ende"): "31.12.2029"})
    r = cli("--db", db, "import", str(filled), "--json")
    assert r.code != 0
    (problem,) = json.loads(r.out)["problems"]
    reason = date_order_problem(parse_period("Q 3 2030"), parse_period("31.12.2029"))
    assert reason is not None and reason in problem["message"], problem
    assert problem["cell"].startswith("Projekte!"), problem
    assert cli("--db", db, "import", str(filled), "--apply").code != 0
    assert open_register(sample_path).audit_count() == before
    assert open_register(sample_path).get("FB11-004").start == start


def test_new_rows_go_through_the_check_apply_runs(cli, empty_path: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview runs ``changes.check`` over its new projects, as the apply does: a rule of the
    check (here one added to it for the test, which the per-cell pass does not know) refuses the
    row at its cell, and nothing is saved."""
    from sachstand.core import changes
    from sachstand.core.errors import InvalidValue

    real = changes.check_value

    def stricter(name: str, value: object) -> object:
        if name == "name" and str(value).startswith("Projekt Nummer 7 "):
            raise InvalidValue("Name des Projektes", "ist für diesen Test verboten", key="name")
        return real(name, value)

    monkeypatch.setattr(changes, "check_value", stricter)
    path = _many_new(tmp_path / "viele.xlsx", 12)
    r = cli("--db", str(empty_path), "import", str(path), "--json")
    assert r.code == 1, r.out
    data = json.loads(r.out)
    (problem,) = data["problems"]
    assert problem["message"].endswith("ist für diesen Test verboten")
    assert problem["value"].startswith("Projekt Nummer 7 ") and problem["cell"].endswith("9")  # row 9 (header in row 1)
    assert len(data["new"]) == 11
    r = cli("--db", str(empty_path), "import", str(path), "--apply")
    assert r.code == 1 and open_register(empty_path).projects() == []
