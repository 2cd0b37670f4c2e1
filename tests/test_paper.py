"""Templates and marked-up replies on paper: rendered by LibreOffice to PDF and PNG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sachstand.io.styles import CONFLICT, INPUT, PROBLEM, YEAR_INPUT
from tests.test_io_roundtrip import P21, fill_template

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None or shutil.which("pdftoppm") is None,
                       reason="LibreOffice and poppler-utils are needed; .ci/run installs them"),
]


def _pdf(path: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{out / 'profile'}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=240)
    pdf = out / f"{path.stem}.pdf"
    assert pdf.exists()
    return pdf


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def _page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    return float(size[2]), float(size[4])


def _pngs(pdf: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(pdf.with_suffix(""))], check=True, timeout=120)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_mark_colours_are_far_from_the_input_colour() -> None:
    for mark in (PROBLEM, CONFLICT):
        for other in (INPUT, YEAR_INPUT):
            pairs = zip(_rgb(mark["bg_color"]), _rgb(other["bg_color"]), strict=False)
            distance = sum((a - b) ** 2 for a, b in pairs) ** 0.5
            assert distance > 90, (mark, other)
    pairs = zip(_rgb(PROBLEM["bg_color"]), _rgb(CONFLICT["bg_color"]), strict=False)
    assert sum((a - b) ** 2 for a, b in pairs) ** 0.5 > 90


def test_template_and_markup_print_landscape_one_page_wide(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path), "--department", "FB 11")
    template = tmp_path / "FB11_2021.xlsx"
    ws = openpyxl.load_workbook(template)["Projekte"]
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws.row_dimensions[6].height and ws.row_dimensions[6].height >= 30  # FB11-004's wrapped description
    guide = [c.value for c in openpyxl.load_workbook(template)["Anleitung"]["A"] if c.value]
    assert any(line.startswith("Kostenhinweis – ") for line in guide)
    for label in ("ID", "Name des Projektes", "Kurzbeschreibung", "Geplante Kosten", "Beginn", "Geplantes Ende",
                  "Umsetzungsstand 2020", "Umsetzungsstand 2021", "Bemerkungen"):
        assert any(line.startswith(label) for line in guide), label

    pdf = _pdf(template, tmp_path / "pdf")
    width, height = _page_size(pdf)
    assert width > height  # landscape
    first = _page_text(pdf, 1)
    for header in ("Name des Projektes", "Kostenhinwe", "Bemerkungen"):
        assert header in first  # every column on the first page: one page wide
    assert "DMS FB 11" in first and "Aktenführung" in first  # the wrapped description is printed whole
    assert _pngs(pdf)

    filled = tmp_path / "filled.xlsx"
    fill_template(template, filled, {("FB11-007", P21): "neunzig", ("FB11-004", "Beginn"): "Q5 2020"})
    marked = tmp_path / "FB11_2021_korrektur.xlsx"
    assert cli("--db", db, "import", str(filled), "--markup", str(marked)).code == 1
    pdf = _pdf(marked, tmp_path / "pdf_markup")
    first = _page_text(pdf, 1)
    assert "Korrekturen für filled.xlsx" in first
    assert "„neunzig“ ist keine ganze Zahl von 0 bis 100" in first  # what the cell notes say is printed
    assert "Quartal 5 gibt es nicht" in first
    assert "neunzig" in _page_text(pdf, 2)
    assert _pngs(pdf)
