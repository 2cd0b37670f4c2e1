"""LibreOffice converts the report and the slides without error; a page renders to PNG (issue 11)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None or shutil.which("pdftoppm") is None,
                       reason="LibreOffice and poppler-utils are not installed; .ci/run installs them"),
]


def _text(pdf: Path, first: int, last: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(first), "-l", str(last), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_pdf_export_and_a_page_as_png(cli, sample_path: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "bericht.pdf"
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(pdf))
    assert res.code == 0, res.err
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _text(pdf, 1, 999)
    for needle in ("Übersicht der einzelnen Projekte", "6.961.704,07 €", "Abbildung 1 (Teil 2 von 2)",
                   "Gute Schule 2020"):
        assert needle in text
    toc = _text(pdf, 2, 2)  # the PAGEREF fields are computed: the overview is not on page "–"
    line = next(x for x in toc.splitlines() if "Übersicht der einzelnen Projekte" in x)
    page = int(re.search(r"(\d+)\s*$", line).group(1))
    assert "Übersicht der einzelnen Projekte" in _text(pdf, page, page)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    png = tmp_path / "page-01.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


def test_libreoffice_converts_the_slides(cli, sample_path: Path, tmp_path: Path) -> None:
    deck = tmp_path / "folien.pptx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(deck)).code == 0
    run = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(deck)], check=False, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    pdf = tmp_path / "folien.pdf"
    text = _text(pdf, 1, 999)
    assert "Gesamt: 57" in text and "Gesamt: 15" in text
    from pptx import Presentation

    assert text.count("\f") == len(Presentation(str(deck)).slides)
