"""The 2020 report regenerated from the sample as .docx and .pptx and read back (issue 11).

The expected values are the seed's (Vorlage FB 11/0011/WP18): 57 projects, 15 completed, 7 at
least 90 %, 7 started, 11 stalled; the funding sums to the cent; the table's columns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx
import pptx
import pytest

from sachstand.core import open_register
from sachstand.core.report_content import report_content
from sachstand.io import report_chart, report_markdown
from sachstand.io.report_templates import DOCX_TEMPLATE, PPTX_TEMPLATE, build

SAMPLE = Path(__file__).parent.parent / "sample_data" / "aachen_2020.json"
SEED_COLUMNS = ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten", "Beginn",
                "Geplantes Ende", "Umsetzungsstand 2019 (in %)", "Umsetzungsstand 2020 (in %)"]
SEED_FIGURES = {"projects": 57, "completed": 15, "at_least_90": 7, "started": 7, "stalled": 11}
SUMS = ("6.961.704,07 €", "5.534.957,45 €", "3.787.688,99 €")
MD = ("**Ein fetter Einstieg.** Und weiter.\n\nZweiter Absatz über\nzwei Zeilen.\n\n"
      "### Einführung des DMS\n\n- Abschluss Pilotprojekte in Q2 / 2021\n- Stadtweiter Rollout bis 2024\n"
      "  - 5 Einführungsprojekte in 2021\n  - Insgesamt 29 Einführungsprojekte\n")


def cells(table) -> list[list[str]]:
    return [[c.text.replace("\u00ad", "").replace("\u00a0", " ") for c in row.cells] for row in table.rows]


def find_table(doc, first_header: str):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == first_header)


def overview(doc) -> list[list[str]]:
    """The projects table with its two header rows read as one: "Umsetzungsstand (in %)" over
    "2019" and "2020" gives the seed's "Umsetzungsstand 2019 (in %)"."""
    over, under, *rows = cells(find_table(doc, "Bereich"))
    head = [u if o == u else o.replace("(", f"{u} (") for o, u in zip(over, under, strict=True)]
    return [head, *rows]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample register (2020 published on 24.11.2020), exported once as .docx and .pptx by the CLI."""
    from sachstand.cli import main
    from sachstand.core import init_register

    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "register.duckdb"
    init_register(db, sample=True)
    out = {"db": db}
    for suffix in ("docx", "pptx"):
        out[suffix] = tmp / f"bericht.{suffix}"
        assert main(["--db", str(db), "export", "report", "--year", "2020", "-o", str(out[suffix])]) == 0
    return out


@pytest.fixture(scope="module")
def content(exported: dict[str, Path]):
    return report_content(open_register(exported["db"]), 2020)


def test_docx_figures_and_examples(exported: dict[str, Path], content) -> None:
    table = cells(find_table(docx.Document(exported["docx"]), "Kennzahl"))
    assert table[0] == ["Kennzahl", "2020", "2019", "Unter anderem folgende Projekte"]
    by_label = {row[0]: row for row in table[1:]}
    for f in content.report.figures:
        assert by_label[f.label][1] == str(f.value)
        names = [f"{p.name} ({p.department})" for p in content.examples[f.key]]
        assert by_label[f.label][3] == "; ".join(names)
    shown = {f.key: int(by_label[f.label][1]) for f in content.report.figures}
    assert {k: shown[k] for k in SEED_FIGURES} == SEED_FIGURES


def test_docx_funding_table_and_partners(exported: dict[str, Path]) -> None:
    doc = docx.Document(exported["docx"])
    table = cells(find_table(doc, "Projekttitel"))
    assert table[0][-1] == "Förderung (Stadt Aachen)"
    assert table[-1][0] == "Summe" and tuple(table[-1][4:]) == SUMS
    seed = json.loads(SAMPLE.read_text(encoding="utf-8"))["funded_projects"]
    assert [r[0] for r in table[1:-1]] == [f["title_in_table"] for f in seed]
    assert table[1][2:5] == ["13.12.2019", "36", "1.873.662,20 €"]
    smartphone = next(r for r in table if r[0] == "SmartPhone BürgerID")
    assert smartphone[4:] == ["", "", "74.120,00 €"]

    body = list(doc.element.body.iterchildren())
    headings = [p for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert [h.text for h in headings] == [f["title"] for f in seed]
    partner_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Partner"]
    assert len(partner_tables) == len(seed)
    for f, t in zip(seed, partner_tables, strict=False):
        assert cells(t)[1:] == [[p["partner"], p["role"]] for p in f["partners"]]
    # each partner table follows its project's heading
    for h, t in zip(headings, partner_tables, strict=False):
        assert body.index(h._p) < body.index(t._tbl)
    texts = [p.text for p in doc.paragraphs]
    assert texts.count("Motivation und Ziele") == len(seed)
    govchain = next(f for f in seed if f["title"] == "govchain")
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert govchain["goals"].split("\n- ")[1].split("\n")[0] in bullets


def test_docx_projects_table_in_the_seed_columns(exported: dict[str, Path]) -> None:
    doc = docx.Document(exported["docx"])
    table = overview(doc)
    assert table[0] == SEED_COLUMNS
    rows = {r[1]: r for r in table[1:]}
    assert len(table) - 1 == len(rows) == 57
    assert "Ausbau Migewa" not in rows  # 100 % in 2019, no 2020 value
    assert rows["Gute Schule 2020"] == ["FB 45", "Gute Schule 2020", rows["Gute Schule 2020"][2],
                                        "4.000.000,00 € (Fördersumme)", "01.01.2017", "Q 4 2024", "10", "80"]
    assert rows["Korruptionsprävention"][3] == "Finanzierung über FB 30"
    assert rows["Briefbutler"][4] == "11.05.217"
    assert rows["GroupWise-Update"][4:] == ["Q 3 2019", "Q 4 2020", "", "100"]
    assert rows["Umstellung auf ThinClients"][3] == "225.000,00 €"


def test_docx_texts_are_word_paragraphs_lists_and_headings(exported: dict[str, Path]) -> None:
    doc = docx.Document(exported["docx"])
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    heads = [t for style, t in paras if style == "Heading 1"]
    assert heads == ["01 Einleitung", "02 Digitale Modellregion", "03 IT-Projekte in der Corona-Situation",
                     "04 Übersicht der einzelnen Projekte", "05 Geplante Projekte und Ausblick"]
    start = paras.index(("Heading 3", "Einführung des Dokumentenmanagement-Systems (DMS)"))
    assert paras[start + 1:start + 6] == [
        ("List Bullet", "Abschluss Pilotprojekte in Q2 / 2021"),
        ("List Bullet", "Erarbeitung von Rahmenkonzepten und Blaupausen"),
        ("List Bullet", "Stadtweiter Rollout bis 2024 vorgesehen"),
        ("List Bullet 2", "5 Einführungsprojekte in 2021 geplant"),
        ("List Bullet 2", "Insgesamt 29 Einführungsprojekte"),
    ]
    for head in heads[:1] + heads[2:3]:  # the lead paragraph of a text section is bold, as in the seed
        lead = doc.paragraphs[paras.index(("Heading 1", head)) + 1]
        assert lead.runs and all(r.bold for r in lead.runs)
    assert "Bürger*innen" in " ".join(t for _, t in paras)
    toc = [p.text for p in doc.paragraphs if "\t" in p.text]
    assert [t.split("\t")[0] for t in toc] == heads
    xml = zipfile.ZipFile(exported["docx"]).read("word/document.xml").decode()
    assert xml.count("PAGEREF _Toc_sachstand_") == len(toc)
    assert "{{" not in xml and "{%" not in xml
    title_page = [p.text for p in doc.paragraphs[:12]]
    # the report's Stand (published 24.11.2020) and the Stichtag of its values, in one wording everywhere
    assert {"Stadt Aachen", "Sachstandsbericht 2020", "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020"} <= set(title_page)


def test_planned_projects_by_priority(repo, tmp_path: Path) -> None:
    """Section 05 lists the planned projects by priority (live state; 2020's snapshot has none)."""
    from sachstand.core.models import NewProject
    from sachstand.core.types import Period
    from sachstand.io import report_docx

    repo.create(NewProject("FB 56", "Wissensplattform Sozialhilfe", "Zentrale Rechtsinformationen", priority=2,
                           start=Period.quarter(2021, 2)))
    repo.create(NewProject("FB 11", "Arbeitsmedizin digital", "Untersuchungen automatisch nachhalten",
                           planned_cost=Decimal("48000.50"), priority=1))
    content = report_content(repo, 2020, live=True)
    tpl = report_docx.build(content, None, [])
    tpl.save(tmp_path / "b.docx")
    doc = docx.Document(tmp_path / "b.docx")
    table = cells(find_table(doc, "Priorität"))
    assert table == [
        ["Priorität", "Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten"],
        ["1", "FB 11", "Arbeitsmedizin digital", "Untersuchungen automatisch nachhalten", "48.000,50 €"],
        ["2", "FB 56", "Wissensplattform Sozialhilfe", "Zentrale Rechtsinformationen", ""]]
    assert "Wissensplattform Sozialhilfe" not in [r[1] for r in overview(doc)]


def test_docx_texts_of_the_sample_year(exported: dict[str, Path], content) -> None:
    """Every stored 2020 text shows up block by block, in the section its title names."""
    doc = docx.Document(exported["docx"])
    texts = [p.text for p in doc.paragraphs]
    heads = [t for t in texts if t[:2].isdigit()]
    assert [s.key for s in content.texts if s.markdown.strip()] == ["einleitung", "sonderthema", "ausblick"]
    for section in content.texts:
        assert any(h.endswith(" " + section.title) for h in heads), section.title
        for block in report_markdown.parse(section.markdown):
            assert report_markdown.plain(block.text) in texts


def test_abbildung_1_one_bar_and_one_arrow_per_project(exported: dict[str, Path], content) -> None:
    report = content.report
    chart = report_chart.progress_chart(report.rows, 2020, report.as_of)
    in_report = [r for r in report.rows if r.current is not None]
    assert len(chart.rows) == len(in_report) == 57
    assert [c.project_id for c in chart.rows] == [r.id for r in in_report]
    assert sum(len(p) for p in chart.pages) == 57 and all(len(p) <= report_chart.PER_PAGE for p in chart.pages)
    for c, r in zip(chart.rows, in_report, strict=False):
        assert c.bar.percent == r.current
        assert c.arrow.end == (r.end.last_day if r.end else None)
        assert c.arrow.start == (r.start.first_day if r.start else None)
    gute = next(c for c in chart.rows if c.label.startswith("Gute Schule 2020"))
    assert (gute.bar.percent, str(gute.arrow.start), str(gute.arrow.end)) == (80, "2017-01-01", "2024-12-31")
    brief = next(c for c in chart.rows if c.label.startswith("Briefbutler"))
    assert brief.arrow.start is None and str(brief.arrow.end) == "2020-12-31"  # "11.05.217" is no date
    assert chart.axis_start.year == 2015 and chart.axis_end.year == 2025

    doc = docx.Document(exported["docx"])
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == [f"Abbildung 1 (Teil {i} von {len(chart.pages)}): {report_chart.CAPTION}"
                        for i in range(1, len(chart.pages) + 1)]
    assert len(doc.inline_shapes) == len(chart.pages) == 2
    for shape in doc.inline_shapes:
        assert shape.width.cm == pytest.approx(16.5, abs=0.05)  # A4 text width


def test_pptx_slides(exported: dict[str, Path], content) -> None:
    prs = pptx.Presentation(str(exported["pptx"]))
    slides = [[p.text for sh in s.shapes if sh.has_text_frame for p in sh.text_frame.paragraphs] for s in prs.slides]
    assert slides[0][0] == "Digitalisierung in Aachen"
    assert "Sachstandsbericht 2020 über die eGovernment-Projekte" in slides[0]
    assert "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020" in slides[0]
    figure_slides = {s[1]: s for s in slides if "eGovernment IT-Projekte" in s[:1]}
    expected = {
        "IT-Projekte im Sachstandsbericht 2020": 57,
        "Davon in 2020 abgeschlossene IT-Projekte (Umsetzungsstand 100 %)": 15,
        "Davon IT-Projekte mit Status ≥ 90 %": 7,
        "Davon in 2020 gestartete IT-Projekte": 7,
        "Davon IT-Projekte ohne Fortschritt seit 2019": 11,
    }
    keys = ["projects", "completed", "at_least_90", "started", "stalled"]
    for (head, value), key in zip(expected.items(), keys, strict=False):
        s = figure_slides[head]
        assert s[2] == f"Gesamt: {value}"
        lead = s.index("Unter anderem folgende Projekte:")
        assert s[lead + 1:] == [f"{p.name} ({p.department})" for p in content.examples[key]]
        assert len(s[lead + 1:]) == 3
    assert figure_slides["Davon in 2020 abgeschlossene IT-Projekte (Umsetzungsstand 100 %)"][-3:] == [
        "ELearning bei der Stadtverwaltung (AC)", "Bewerbermanagement / SAP-Anpassungen (FB 11)",
        "Ferienspiele Online (FB 45)"]  # the seed's picks
    funding = next(s for s in slides if any("Gesamtkosten (alle Antragsteller)" in t for t in s))
    assert [t.split(": ")[-1] for t in funding[2:5]] == list(SUMS)
    outlook = next(s for s in slides if s[0] == "Ausblick")
    assert outlook[1:] == ["Einführung des Dokumentenmanagement-Systems (DMS)", "Abschluss Pilotprojekte in Q2 / 2021",
                           "Erarbeitung von Rahmenkonzepten und Blaupausen", "Stadtweiter Rollout bis 2024 vorgesehen",
                           "5 Einführungsprojekte in 2021 geplant", "Insgesamt 29 Einführungsprojekte"]
    status = next(s for s in slides if s[0] == "Status für das Jahr 2020")
    assert status[1].startswith("Erstmals im Jahr 2019 wurde") and len(status) > 3


def test_city_templates(cli, sample_path: Path, tmp_path: Path) -> None:
    """A city's own Word and PowerPoint templates: their text and layouts are used, their sample
    slides dropped; a Word template without ``{{p body }}`` is refused with nothing written."""
    word = docx.Document()
    word.add_paragraph("Musterstadt – Corporate Design – {{ title }}")
    word.add_paragraph("{{p body }}")
    word.sections[0].footer.paragraphs[0].text = "Fußzeile {{ year }}"
    tpl = tmp_path / "cd.docx"
    word.save(tpl)
    out = tmp_path / "cd_bericht.docx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out),
               "--template", str(tpl)).code == 0
    doc = docx.Document(out)
    assert doc.paragraphs[0].text == "Musterstadt – Corporate Design – Sachstandsbericht 2020"
    assert doc.sections[0].footer.paragraphs[0].text == "Fußzeile 2020"
    assert len(overview(doc)) == 58

    bad = docx.Document()
    bad.add_paragraph("{{ city }} ohne Berichtstext")
    bad.save(tmp_path / "bad.docx")
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "x.docx"),
              "--template", str(tmp_path / "bad.docx"))
    assert res.code == 2 and "{{p body }}" in res.err and "Traceback" not in res.err
    assert not (tmp_path / "x.docx").exists()
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "x.pptx"),
              "--template", str(tpl))
    assert res.code == 2 and ".pptx-Vorlage" in res.err and not (tmp_path / "x.pptx").exists()

    (tmp_path / "kaputt.docx").write_text("keine Word-Datei", encoding="utf-8")
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "x.docx"),
              "--template", str(tmp_path / "kaputt.docx"))
    assert res.code == 2 and "keine lesbare Word-Datei" in res.err and not (tmp_path / "x.docx").exists()
    sneaky = docx.Document()
    sneaky.add_paragraph("{{ city.__class__.__mro__ }}")
    sneaky.add_paragraph("{{p body }}")
    sneaky.save(tmp_path / "sneaky.docx")
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "x.docx"),
              "--template", str(tmp_path / "sneaky.docx"))
    assert res.code == 2 and "Platzhalter" in res.err and not (tmp_path / "x.docx").exists()

    deck = pptx.Presentation()  # PowerPoint's 4:3 default, with a sample slide of its own
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "Beispielfolie der Stadt"
    deck.save(tmp_path / "cd.pptx")
    out = tmp_path / "cd_folien.pptx"
    assert cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out),
               "--template", str(tmp_path / "cd.pptx")).code == 0
    prs = pptx.Presentation(str(out))
    titles = [s.shapes.title.text for s in prs.slides]
    assert "Beispielfolie der Stadt" not in titles and titles.count("eGovernment IT-Projekte") == 6
    assert prs.slide_width == deck.slide_width


def test_refusals(cli, sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "b.odt"))
    assert res.code == 2 and "„.odt“" in res.err
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "b.xlsx"),
              "--template", str(DOCX_TEMPLATE))
    assert res.code == 2 and "--template gilt nur" in res.err and not (tmp_path / "b.xlsx").exists()
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "b.docx"),
              "--template", str(tmp_path / "fehlt.docx"))
    assert res.code == 2 and "gibt es nicht" in res.err and not (tmp_path / "b.docx").exists()
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "b.pdf"))
    assert res.code == 2 and "libreoffice-writer-nogui" in res.err and res.err.count("\n") == 1
    assert not (tmp_path / "b.pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_default_templates_are_what_build_py_makes(tmp_path: Path) -> None:
    build.build_docx(tmp_path / "b.docx")
    build.build_pptx(tmp_path / "p.pptx")
    for shipped, fresh in ((DOCX_TEMPLATE, tmp_path / "b.docx"), (PPTX_TEMPLATE, tmp_path / "p.pptx")):
        a, b = zipfile.ZipFile(shipped), zipfile.ZipFile(fresh)
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "docProps/core.xml":  # its empty elements are written <x/> or <x></x> by chance
                assert a.read(name) == b.read(name), name


def test_markdown_blocks() -> None:
    blocks = report_markdown.parse(MD)
    assert [(b.kind, b.level) for b in blocks] == [("paragraph", 1), ("paragraph", 1), ("heading", 3),
                                                   ("bullet", 1), ("bullet", 1), ("bullet", 2), ("bullet", 2)]
    assert report_markdown.runs("Nutzer\\*innen **fett** und *Stern") == [
        ("Nutzer*innen ", False), ("fett", True), (" und *Stern", False)]


def test_summary_imports_no_document_library(sample_path: Path) -> None:
    code = ("import sys; from sachstand.cli import main; main(['--db', sys.argv[1], 'summary']); "
            "print(sorted(m for m in ('matplotlib', 'docx', 'docxtpl', 'pptx') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code, str(sample_path)], check=False, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


def _docx_text(path: Path) -> list[str]:
    doc = docx.Document(path)
    return [p.text for p in doc.paragraphs] + [c for t in doc.tables for row in cells(t) for c in row]


def _pptx_text(path: Path) -> list[str]:
    return [p.text for s in pptx.Presentation(str(path)).slides for sh in s.shapes if sh.has_text_frame
            for p in sh.text_frame.paragraphs]


def test_published_2020_documents_stay_as_published(cli, sample_path: Path, tmp_path: Path) -> None:
    """After later edits (a changed cost and 2020 value, a project starting in 2021) the 2020
    report and slides are the published ones, word for word, Abbildung 1 included."""
    from sachstand.core.models import NewProject
    from sachstand.core.types import Period

    db = str(sample_path)
    before = {s: tmp_path / f"vorher.{s}" for s in ("docx", "pptx")}
    for path in before.values():
        assert cli("--db", db, "export", "report", "--year", "2020", "-o", str(path)).code == 0
    repo = open_register(sample_path)
    thin = next(p for p in repo.projects() if p.name == "Umstellung auf ThinClients")
    thin = repo.update(thin.id, thin.version, {"planned_cost": Decimal("999999.99")})
    repo.record_progress(thin.id, 2020, 55, thin.version)
    repo.create(NewProject("FB 11", "Digitale Zeiterfassung", "neu 2021", start=Period.day(date(2021, 3, 1)),
                           progress={2021: 10}))
    live = report_content(repo, 2020, live=True)
    assert report_docx_cost(live, thin.id) == "999.999,99\u00a0€"  # the register did change
    assert next(r for r in live.report.rows if r.id == thin.id).current == 55
    after = {s: tmp_path / f"nachher.{s}" for s in ("docx", "pptx")}
    for path in after.values():
        assert cli("--db", db, "export", "report", "--year", "2020", "-o", str(path)).code == 0
    assert _docx_text(after["docx"]) == _docx_text(before["docx"])
    assert _pptx_text(after["pptx"]) == _pptx_text(before["pptx"])
    assert "Digitale Zeiterfassung" not in " ".join(_docx_text(after["docx"]))
    pictures = [zipfile.ZipFile(p).read(n) for p in (before["docx"], after["docx"])
                for n in sorted(zipfile.ZipFile(p).namelist()) if n.startswith("word/media/")]
    assert pictures[:len(pictures) // 2] == pictures[len(pictures) // 2:]


def report_docx_cost(content, project_id: str) -> str:
    from sachstand.io.report_docx import planned_cost_text

    return planned_cost_text(next(p for p in content.projects if p.id == project_id))


def test_existing_documents_need_force(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.pptx"
    args = ("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out))
    assert cli(*args).code == 0
    first = out.read_bytes()
    res = cli(*args)
    assert res.code != 0 and "--force" in res.err and out.read_bytes() == first
    assert cli(*args, "--force").code == 0
    (tmp_path / "notiz.docx").write_text("meine Notizen", encoding="utf-8")
    res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(tmp_path / "notiz.docx"),
              "--force")
    assert res.code != 0 and "keine Word-Datei" in res.err
    assert (tmp_path / "notiz.docx").read_text(encoding="utf-8") == "meine Notizen"


@pytest.mark.parametrize("jinja", [
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{{ 'a' * 10000000000 }}",
    "{{ city|center(1000000000) }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as x %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
])
def test_hostile_template_jinja_is_refused_at_once(sample_path: Path, tmp_path: Path, jinja: str) -> None:
    """A template's Jinja may only name placeholders: no loop without end, no memory filled, no
    file read; a real process (memory capped, 90 s at most) answers with one German line, exit 2."""
    import resource

    word = docx.Document(str(DOCX_TEMPLATE))
    word.add_paragraph(jinja)
    word.save(tmp_path / "feind.docx")
    out = tmp_path / "x.docx"

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    env = {k: v for k, v in os.environ.items() if k not in ("SACHSTAND_DB", "SACHSTAND_CONFIG")}
    run = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), "export", "report",
                          "--year", "2020", "-o", str(out), "--template", str(tmp_path / "feind.docx")],
                         capture_output=True, text=True, timeout=90, preexec_fn=cap, env=env)
    assert run.returncode == 2, run.stderr
    assert "nicht erlaubt" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0
    assert not out.exists()


def test_zip_bomb_template_is_refused_before_parsing(cli, sample_path: Path, tmp_path: Path) -> None:
    """A template whose document.xml unpacks to 2 GiB (2 MB on disk) ended in a MemoryError
    traceback; the zip directory alone refuses it now, in German, with nothing written."""
    with zipfile.ZipFile(DOCX_TEMPLATE) as src, zipfile.ZipFile(tmp_path / "bombe.docx", "w",
                                                                zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "word/document.xml":
                dst.writestr(info, data)
                continue
            head, tail = data.split(b"</w:body>")
            with dst.open("word/document.xml", "w", force_zip64=True) as fh:
                fh.write(head)
                for _ in range(128):
                    fh.write(b" " * 2**24)
                fh.write(b"</w:body>" + tail)
    for out in (tmp_path / "x.docx", tmp_path / "x.pdf"):
        res = cli("--db", str(sample_path), "export", "report", "--year", "2020", "-o", str(out),
                  "--template", str(tmp_path / "bombe.docx"))
        assert res.code == 2 and "2049 MB" in res.err and "Traceback" not in res.err, res.err
        assert not out.exists()


def test_hostile_project_names_reach_the_document_as_text(cli, sample_path: Path, tmp_path: Path) -> None:
    """A name with a control character (BEL, ESC) ended the .docx export in a ValueError traceback
    (XML cannot hold it); it is shown escaped now, as on the terminal. Jinja in a name or text
    stays literal text: it is never rendered."""
    from sachstand.core.models import NewProject

    repo = open_register(sample_path)
    names = ["Glocke\x07\x1b[31mrot", "{{ city }}{% for i in range(9) %}X{% endfor %}"]
    for name in names:
        repo.create(NewProject(department="FB 11", name=name, description="{{ year }} \x01",
                               progress={2019: 10}))
    out = tmp_path / "b.docx"
    res = cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(out))
    assert res.code == 0, res.err
    rows = overview(docx.Document(out))
    found = {r[1]: r[2] for r in rows}
    assert found["Glocke\\x07\\x1b[31mrot"] == "{{ year }} \\x01"
    assert found["{{ city }}{% for i in range(9) %}X{% endfor %}"] == "{{ year }} \\x01"


def test_abbildung_1_takes_dollar_signs_and_control_characters_as_text(cli, sample_path: Path,
                                                                       tmp_path: Path) -> None:
    r"""A name like "Kosten $\frac{$ Teil" made matplotlib parse a formula and end the export in a
    ParseSyntaxException traceback; the label shows the name as written (control characters escaped)."""
    from sachstand.core.models import NewProject

    repo = open_register(sample_path)
    for name in (r"Kosten $\frac{$ Teil", "Glocke\x07"):
        repo.create(NewProject(department="FB 11", name=name, progress={2019: 10}))
    out = tmp_path / "b.docx"
    res = cli("--db", str(sample_path), "export", "report", "--year", "2019", "-o", str(out))
    assert res.code == 0 and "Traceback" not in res.err, res.err
    chart = report_chart.progress_chart(report_content(repo, 2019).report.rows, 2019, date(2019, 12, 31))
    labels = [c.label for c in chart.rows]
    assert r"Kosten $\frac{$ Teil (FB 11)" in labels and "Glocke\\x07 (FB 11)" in labels
