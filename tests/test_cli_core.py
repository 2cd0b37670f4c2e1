"""`sachstand init`, `summary` and `check` through the real command line, including bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sachstand.core import open_register


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_sample_and_empty(cli, tmp_path: Path) -> None:
    r = cli("--db", str(tmp_path / "a.duckdb"), "init")
    assert r.code == 0 and "58 Projekte" in r.out
    assert len(open_register(tmp_path / "a.duckdb").projects()) == 58
    r = cli("--db", str(tmp_path / "b.duckdb"), "init", "--empty")
    assert r.code == 0 and "leeres Register" in r.out
    assert open_register(tmp_path / "b.duckdb").projects() == []


def test_init_refuses_an_existing_file(cli, sample_path: Path) -> None:
    before = _digest(sample_path)
    r = cli("--db", str(sample_path), "init", "--empty")
    assert r.code == 2 and "wird nicht überschrieben" in r.err and "Traceback" not in r.err
    assert _digest(sample_path) == before


def test_summary_fits_80_columns_and_shows_every_part(cli, sample_path: Path) -> None:
    r = cli("--db", str(sample_path), "summary", "--year", "2020")
    assert r.code == 0
    lines = r.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    completed_row = next(line for line in lines if line.strip().startswith("Abgeschlossen ")).split()
    assert completed_row[1:5] == ["15", "57", "1", "+14"]
    assert "Abgeschlossen: 100 % im Berichtsjahr, Vorjahr unter 100 % oder ohne Wert" in r.out
    for part in ("Kennzahlen 2020", "Nach Bereich", "6.961.704,07 €",
                 "5.534.957,45 €", "3.787.688,99 €", "Projektfortschritte 2020", "█", "Überfällig am 31.12.2020",
                 "Stagniert", "Software für die Koordini", "Bürgerterminal"):
        assert part in r.out, part


def test_summary_json(cli, sample_path: Path) -> None:
    r = cli("--db", str(sample_path), "summary", "--json")
    data = json.loads(r.out)
    assert {k: data[k] for k in ("year", "projects", "completed", "at_least_90", "started", "stalled", "overdue")} == {
        "year": 2020, "projects": 57, "completed": 15, "at_least_90": 7, "started": 7, "stalled": 11, "overdue": 1,
    }
    assert data["funding"] == {**data["funding"], "total_cost": "6961704.07", "funding_total": "5534957.45",
                               "funding_city": "3787688.99"}
    fb11 = next(d for d in data["by_department"] if d["code"] == "FB 11")
    assert fb11 == {**fb11, "projects": 10, "planned_cost": "1474300.00", "mean_progress": "49.0"}


def test_summary_department_and_exports(cli, sample_path: Path, tmp_path: Path) -> None:
    svg, html = tmp_path / "s.svg", tmp_path / "s.html"
    r = cli("--db", str(sample_path), "summary", "--department", "FB 11", "--svg", str(svg), "--html", str(html))
    assert r.code == 0 and "Bereich FB 11" in r.out
    assert "egov multidigital" in r.out and "govchain" not in r.out  # only funding linked to FB 11
    assert "1.873.662,20 €" in r.out and "6.961.704,07 €" not in r.out
    shown = svg.read_text(encoding="utf-8")
    assert shown.startswith("<svg") and "Personalratsmanagement" in shown
    assert "Personalratsmanagement" in html.read_text(encoding="utf-8")


def test_check_lists_the_findings(cli, sample_path: Path) -> None:
    r = cli("--db", str(sample_path), "check", "--json")
    kinds = [f["kind"] for f in json.loads(r.out)]
    assert r.code == 0 and set(kinds) == {"date", "cost", "progress", "funding", "report"}
    r = cli("--db", str(sample_path), "check")
    assert "11.05.217" in r.out and "341.672,42 €" in r.out


def _newer_schema(path: Path) -> None:
    conn = duckdb.connect(str(path))
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()


def _foreign_duckdb(path: Path) -> None:
    path.unlink()
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.close()


@pytest.mark.parametrize(
    ("args", "prepare", "message"),
    [
        (["summary", "--department", "FB 99"], None, "Den Bereich „FB 99“ gibt es nicht"),
        (["summary", "--year", "2017"], None, "Für 2017 gibt es keine Umsetzungsstände"),
        (["summary", "--year", "zwanzig"], None, "„zwanzig“ ist kein Jahr"),
        (["check", "--year", "1999"], None, "Für 1999 gibt es keine Umsetzungsstände"),
        (["summary", "--json", "--svg", "x.svg"], None, "bitte ohne --json aufrufen"),
        (["summary"], _newer_schema, "Schema-Version 99"),
        (["summary"], _foreign_duckdb, "ist kein sachstand-Register"),
        (["summary"], lambda p: p.write_bytes(b"%PDF-1.4 not a database" * 100), "keine DuckDB-Datei"),
        (["check"], lambda p: p.write_bytes(b""), "keine DuckDB-Datei"),
    ],
)
def test_bad_input_gives_one_german_line_and_exit_2(cli, sample_path: Path, args, prepare, message) -> None:
    if prepare:
        prepare(sample_path)
    before = _digest(sample_path)
    r = cli("--db", str(sample_path), *args)
    assert r.code == 2
    assert message in r.err
    assert r.err.startswith("Fehler: ") and "Traceback" not in r.err
    assert _digest(sample_path) == before


def test_missing_register_is_not_created(cli, tmp_path: Path) -> None:
    path = tmp_path / "nope.duckdb"
    r = cli("--db", str(path), "summary")
    assert r.code == 2 and "Kein Register unter" in r.err and "init" in r.err
    assert not path.exists()


def test_default_path_creates_the_sample_and_says_so(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "sachstand", "summary", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["completed"] == 15
    assert "wurde eines mit dem Sachstandsbericht 2020" in done.stderr and "init --empty" in done.stderr
    assert (tmp_path / ".local/share/sachstand/register.duckdb").exists()


def test_env_variable_chooses_the_register(cli, sample_path: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = open_register(sample_path)
    open_project = next(p for p in repo.projects() if p.progress.get(2019, 100) < 100)
    repo.update(open_project.id, open_project.version, {"progress:2019": 100})  # only this file has 2
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SACHSTAND_DB", str(sample_path))
    r = cli("summary", "--json", "--year", "2019")  # 2020 is published and stays as it was
    assert r.code == 0, r.err
    assert json.loads(r.out)["completed"] == 2
    assert not (tmp_path / "home").exists()  # the default register was neither read nor created


def test_summary_imports_neither_textual_nor_openpyxl(sample_path: Path) -> None:
    code = (
        "import sys; from sachstand.cli import main; "
        f"main(['--db', {str(sample_path)!r}, 'summary', '--json']); "
        "print(sorted(m for m in ('textual', 'openpyxl', 'pandas', 'python_calamine') if m in sys.modules), "
        "file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr.strip().endswith("[]"), done.stderr


def test_a_folder_or_unreadable_path_is_not_called_damaged(cli, tmp_path: Path) -> None:
    r = cli("--db", str(tmp_path), "summary")
    assert r.code == 2 and "ist kein sachstand-Register (ein Ordner)" in r.err
    assert "beschädigt" not in r.err and "restore" not in r.err


def test_default_path_honours_xdg_data_home(tmp_path: Path) -> None:
    data = tmp_path / "daten"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(data)}
    done = subprocess.run([sys.executable, "-m", "sachstand", "summary", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (data / "sachstand/register.duckdb").exists()
    assert not (tmp_path / ".local/share/sachstand/register.duckdb").exists()


def test_an_import_runs_with_few_collector_passes_and_puts_them_back() -> None:
    """``few_collections`` raises the young generation's threshold inside the block only, also
    when the block ends by an error (a refused file)."""
    import gc

    from sachstand.cli.common import YOUNG_OBJECTS, few_collections

    before = gc.get_threshold()
    assert before[0] < YOUNG_OBJECTS
    with pytest.raises(RuntimeError), few_collections():
        assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
        raise RuntimeError
    assert gc.get_threshold() == before
