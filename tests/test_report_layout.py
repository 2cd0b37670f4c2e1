"""The report documents as a reader sees them: Abbildung 1's year labels apart, table columns wide
enough for their header words, user text with control and bidi characters shown escaped, the
report's Stand and Stichtag in one wording, and the city's name checked at entry."""

from __future__ import annotations

import io
import re
import zipfile
from itertools import pairwise
from pathlib import Path

import docx
import pptx
import pytest
from PIL import Image

from sachstand.core import open_register
from sachstand.core.models import NewProject, report_dates
from sachstand.core.report_content import report_content
from sachstand.io import report_chart
from sachstand.io.docx_layout import CELL_MARGIN_CM, MARGIN_GROWTH_CM, fit_columns, word_em
from sachstand.io.report_pptx import first_sentence, fitting_size

HOSTILE = "Böse\u202eTeil\x1b[31m\u200bEnde"  # a right-to-left override, ESC and a zero-width space
RAW = ("\u202e", "\x1b", "\u200b")


def _label_runs(png: bytes, top: int, bottom: int, left: int, right: int) -> list[tuple[int, int]]:
    """The horizontal runs of dark pixels in a band of the picture (a gap under 6 px joins them)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    dark = [x for x in range(left, right)
            if any(image.getpixel((x, y)) < 128 for y in range(top, bottom))]
    runs: list[tuple[int, int]] = []
    for x in dark:
        if runs and x - runs[-1][1] < 6:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return runs


def test_abbildung_1_year_labels_stand_apart_at_the_printed_size(sample_path: Path) -> None:
    repo = open_register(sample_path)
    report = report_content(repo, 2020).report
    chart = report_chart.progress_chart(report.rows, 2020, report.as_of)
    pages = report_chart.render(chart)
    assert len(pages) == 2
    for png in pages:
        image = Image.open(io.BytesIO(png))
        width, height = image.size
        assert width == round(16.5 / 2.54 * 220)  # 16.5 cm at 220 dpi: the printed size
        assert image.convert("RGB").getpixel((2, 2)) == (255, 255, 255)
        # the band under the time axis, where the years are written (see report_chart._page)
        bottom = height - round(36 / 72 * 220)
        runs = _label_runs(png, bottom + 8, bottom + 32, round(0.62 * width), round(0.985 * width))
        labels = [y for y in range(chart.axis_start.year, chart.axis_end.year) if y % 2 == 0]
        assert len(runs) == len(labels) == 5  # 2016 … 2024: every second year at this width
        gaps = [b[0] - a[1] for a, b in pairwise(runs)]
        assert min(gaps) >= (runs[0][1] - runs[0][0]) / 2  # at least half a label apart


def test_year_step_keeps_labels_apart() -> None:
    assert report_chart.year_step(100, 40) == 1
    assert report_chart.year_step(53, 40) == 2
    assert report_chart.year_step(20, 40) == 5
    assert report_chart.year_step(5, 40) == 20


def test_fit_columns_never_splits_a_header_word() -> None:
    headers = ["Projekttitel", "Zuwendungsempfänger", "Projektstart", "Projektdauer (Monate)",
               "Gesamtkosten (alle Antragsteller)"]
    rows = [["egov", "Stadt Aachen", "13.12.2019", "36", "1.873.662,20\u00a0€"]] * 3
    widths, font = fit_columns(headers, rows, (1, 1, 1, 0.5, 1), 10.0, 8.0)
    assert sum(widths) <= 10.0 + 2 * MARGIN_GROWTH_CM + 1e-6
    for header, width in zip(headers, widths, strict=True):
        longest = max(word_em(w, bold=True) for w in header.split())
        assert width >= longest * font / 72 * 2.54 + 2 * CELL_MARGIN_CM
    assert font < 8.0  # made smaller to fit, never a word split
    wide, size = fit_columns(headers, rows, (1, 1, 1, 0.5, 1), 30.0, 8.0)
    assert size == 8.0 and sum(wide) == pytest.approx(30.0)


def test_report_dates_wording() -> None:
    from datetime import date, datetime

    assert report_dates(date(2020, 12, 31), datetime(2020, 11, 24)) == "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020"
    assert report_dates(date(2021, 12, 31), None) == "Entwurf, noch nicht veröffentlicht · Werte zum Stichtag 31.12.2021"
    assert report_dates(date(2021, 12, 31), None, draft=None) == "Werte zum Stichtag 31.12.2021"


def test_first_sentence_skips_abbreviations() -> None:
    text = "Die Abläufe inkl. der Technik, bspw. am 1. Januar, z.B. im Portal. Zweiter Satz."
    assert first_sentence(text) == "Die Abläufe inkl. der Technik, bspw. am 1. Januar, z.B. im Portal."


def test_fitting_size_makes_long_text_smaller() -> None:
    short = [("Gesamt: 15", 0, True)]
    assert fitting_size(short, 12, 4.95, 24) is None
    long = [("x" * 300, 0, False)] * 8
    assert fitting_size(long, 12, 4.95, 24) == 12
    some = [("Ein Satz mit etwa hundert Zeichen, wie er auf einer Folie steht, und noch ein paar Wörter mehr.", 0, False)] * 9
    size = fitting_size(some, 12, 4.95, 24)
    assert size is not None and 12 < size < 24


def _parts(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".xml") or n.endswith(".rels"))


def test_documents_show_control_and_bidi_characters_escaped(cli, sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    repo.create(NewProject(department="FB 11", name=HOSTILE, description=f"Ziel {HOSTILE}", progress={2019: 10}))
    for suffix in ("docx", "pptx"):
        out = tmp_path / f"b.{suffix}"
        r = cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(out))
        assert r.code == 0, r.err
        xml = _parts(out)
        assert not any(c in xml for c in RAW)
        if suffix == "docx":
            text = " ".join(c.text for t in docx.Document(out).tables for row in t.rows for c in row.cells)
            assert "Böse\\u202eTeil\\x1b[31m\\u200bEnde" in text
    hostile = next(p.id for p in repo.projects() if p.name == HOSTILE)
    examples = cli("--db", str(sample_path), "examples", "--year", "2019", "--figure", "projects", hostile)
    assert examples.code == 0, examples.err
    deck = tmp_path / "f.pptx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(deck)).code == 0
    slides = [sh.text_frame.text for s in pptx.Presentation(str(deck)).slides for sh in s.shapes if sh.has_text_frame]
    assert any("Böse\\u202eTeil" in t for t in slides)
    assert not any(c in _parts(deck) for c in RAW)
    report = report_content(repo, 2019).report
    chart = report_chart.progress_chart(report.rows, 2019, report.as_of)
    assert any(c.label.startswith("Böse\\u202eTeil\\x1b[31m\\u200bEnde") for c in chart.rows)


@pytest.mark.parametrize("name", ["Stadt \u202eAachen", "Stadt\u200bAachen", "Stadt \x1b[2JAachen", "Stadt \u2066Aachen"])
def test_a_city_name_with_control_or_bidi_characters_is_refused(cli, sample_path: Path, tmp_path: Path, name: str) -> None:
    r = cli("--db", str(sample_path), "settings", "--city", name)
    assert r.code == 2 and "Name der Stadt" in r.err and "Traceback" not in r.err
    assert not any(c in r.err for c in "\u202e\u200b\x1b\u2066")  # the message shows them escaped
    assert open_register(sample_path).city().name == "Stadt Aachen"
    new = tmp_path / "neu.duckdb"
    r = cli("--db", str(new), "init", "--empty", "--city", name)
    assert r.code == 2 and "Name der Stadt" in r.err and not new.exists()


def test_summary_and_documents_state_stand_and_stichtag_alike(cli, sample_path: Path, tmp_path: Path) -> None:
    wording = "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020"
    assert wording in cli("--db", str(sample_path), "summary", "--year", "2020").out
    out = tmp_path / "b.docx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out)).code == 0
    assert wording in [p.text for p in docx.Document(out).paragraphs[:12]]
    deck = tmp_path / "f.pptx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(deck)).code == 0
    first = pptx.Presentation(str(deck)).slides[0]
    assert wording in [p.text for sh in first.shapes if sh.has_text_frame for p in sh.text_frame.paragraphs]
    assert not re.search("Veröffentlicht am", _parts(out) + _parts(deck))
    book = tmp_path / "b.xlsx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(book)).code == 0
    from python_calamine import CalamineWorkbook

    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Kennzahlen").to_python()[1][0] == wording


def test_a_city_name_stored_before_the_refusal_still_opens_and_shows_escaped(cli, sample_path: Path, tmp_path: Path) -> None:
    """A register written by an earlier version may hold such a name: every command still works,
    shows it escaped, and ``settings --city`` repairs it without losing the AGS."""
    import duckdb

    con = duckdb.connect(str(sample_path))
    con.execute("UPDATE meta SET value = 'Stadt \u202eAachen' WHERE key = 'city_name'")
    con.close()
    r = cli("--db", str(sample_path), "summary", "--year", "2019")  # 2020 is published: its snapshot keeps the city it had
    assert r.code == 0, r.err
    assert "Stadt \\u202eAachen" in r.out and "\u202e" not in r.out
    out = tmp_path / "b.docx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(out)).code == 0
    assert "\u202e" not in _parts(out) and "Stadt \\u202eAachen" in _parts(out)
    ags = open_register(sample_path).city().ags
    assert cli("--db", str(sample_path), "settings", "--city", "Stadt Aachen").code == 0
    city = open_register(sample_path).city()
    assert (city.name, city.ags) == ("Stadt Aachen", ags)
