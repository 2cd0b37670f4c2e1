"""A workbook re-saved by LibreOffice imports exactly like the original."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.test_io_roundtrip import DESC, P21, fill_template

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it"),
]


def resave(path: Path, out_dir: Path) -> Path:
    """``soffice --headless --convert-to xlsx``, with a private profile so runs never collide."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out_dir), str(path)],
        check=True, capture_output=True, timeout=240,
    )
    result = out_dir / path.name
    assert result.exists() and result.read_bytes() != path.read_bytes()
    return result


def _comparable(out: str) -> dict:
    data = json.loads(out)
    data.pop("files")
    for key in ("changed", "new", "problems", "conflicts"):
        for item in data[key]:
            item.pop("file", None)
    return data


def test_libreoffice_resave_imports_the_same(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    register = tmp_path / "register.xlsx"
    assert cli("--db", db, "export", "register", "-o", str(register)).code == 0
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    filled = tmp_path / "FB11_filled.xlsx"
    fill_template(tmp_path / "FB11_2021.xlsx", filled,
                  {("FB11-004", P21): 100, ("FB11-001", P21): "75 %", ("FB11-007", P21): "neunzig",
                   ("FB11-001", DESC): "Neue Beschreibung mit „Anführungszeichen“ und =Gleichheitszeichen"},
                  [{"Name des Projektes": "Digitale Zeiterfassung", "Geplante Kosten": 12500.5, "Beginn": "Q 2 2021",
                    P21: 10}])
    wb = openpyxl.load_workbook(filled)
    ws = wb["Projekte"]
    ws["I8"] = 0.3
    ws["I8"].number_format = "0%"
    wb.save(filled)

    for original in (register, filled):
        copy = resave(original, tmp_path / "lo")
        first = cli("--db", db, "import", str(original), "--json")
        second = cli("--db", db, "import", str(copy), "--json")
        assert first.code == second.code
        assert _comparable(first.out) == _comparable(second.out)
    data = _comparable(cli("--db", db, "import", str(filled), "--json").out)
    assert {(c["project"], c["new"]) for c in data["changed"] if c["field"] == "progress:2021"} == {
        ("FB11-004", "100"), ("FB11-001", "75"), (ws["A8"].value, "30")}
