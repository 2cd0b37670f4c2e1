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


def test_no_header_word_is_split_in_the_pdf(cli, sample_path: Path, tmp_path: Path) -> None:
    """Each header word of every table ("Projektdauer", "Zuwendungsempfänger", "Umsetzungsstand", …)
    is found whole in LibreOffice's PDF, at least as often as the tables hold it: a column too narrow
    for it would show it broken ("Projek" / "tdauer")."""
    import docx

    out = tmp_path / "bericht.docx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out)).code == 0
    run = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(out)], check=False, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    text = _text(tmp_path / "bericht.pdf", 1, 999)
    words: dict[str, int] = {}
    for table in docx.Document(out).tables:
        heads = {c.text for row in table.rows[:2] for c in row.cells if row._tr.trPr is not None
                 and row._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None}
        for w in {w for h in heads for w in re.findall(r"\w{8,}", h)}:
            words[w] = words.get(w, 0) + 1
    assert {"Projektdauer", "Zuwendungsempfänger", "Umsetzungsstand", "Kurzbeschreibung"} <= set(words)
    for word, tables in words.items():
        assert len(re.findall(rf"\b{word}\b", text)) >= tables, word


def test_slides_with_long_text_stay_on_the_slide(cli, sample_path: Path, tmp_path: Path) -> None:
    """Long example names would run off the slide at the template's size; set smaller, every word
    of the slide lies inside it in LibreOffice's PDF."""
    from sachstand.core import open_register
    from sachstand.core.models import NewProject

    repo = open_register(sample_path)
    ids = [repo.create(NewProject(department="FB 11", name=f"Projekt {i} " + "mit einem sehr langen Namen " * 6,
                                  progress={2019: 100})).id for i in range(3)]
    assert cli("--db", str(sample_path), "examples", "--year", "2019", "--figure", "projects", *ids).code == 0
    deck = tmp_path / "folien.pptx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(deck)).code == 0
    run = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(deck)], check=False, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    box = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "folien.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', box, re.S)
    slide = next(body for _, _, body in pages if ">Projekt</word>" in body and ">langen</word>" in body)
    height = float(pages[0][1])
    bottoms = [float(y) for y in re.findall(r'yMax="([\d.]+)"', slide)]
    assert bottoms and max(bottoms) <= height
    # all three examples are on the slide, the last one's end included (at the template's size it ran off)
    assert slide.count(">Projekt</word>") == 3 and slide.count(">11)</word>") == 3


def _office_of(folder: Path) -> list[str]:
    """The command lines of running processes that name ``folder`` (LibreOffice's profile in it)."""
    found = subprocess.run(["pgrep", "-af", str(folder)], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "soffice" in line]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stopped_pdf_export_leaves_no_libreoffice_and_no_file(sample_path: Path, tmp_path: Path, stop: str) -> None:
    """Stopped while LibreOffice converts: "abgebrochen", no LibreOffice process left running, and
    nothing left in the temporary folder (LibreOffice's own files included) or beside the target."""
    import os
    import signal
    import sys
    import time

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out" / "bericht.pdf"
    out.parent.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "sachstand", "--db", str(sample_path), "export", "report",
                             "--year", "2020", "-o", str(out)], stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not any("soffice.bin" in line for line in _office_of(scratch)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the export ended before LibreOffice ran"
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, stop)
    assert err.strip() == ("Fehler: abgebrochen (SIGTERM)" if stop == "SIGTERM" else "Fehler: abgebrochen")
    time.sleep(0.2)
    assert _office_of(scratch) == []
    assert list(scratch.iterdir()) == [] and list(out.parent.iterdir()) == []
