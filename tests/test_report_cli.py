"""The report's commands on real registers: texts as Markdown, examples, publish, and the 2021
round that leaves the published 2020 report unchanged while ``check`` names what changed."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from sachstand.core import open_register
from sachstand.core.report_content import texts
from sachstand.io.texts_md import parse_markdown, to_markdown
from tests.test_io_roundtrip import fill_template
from tests.tui_helpers import make_app, settle, started, static_text, sync

P21 = "Umsetzungsstand 2021 (in %)"


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def test_texts_round_trip_is_lossless(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    out = tmp_path / "texte_2020.md"
    r = cli("--db", db, "texts", "export", "--year", "2020", "-o", str(out))
    assert r.code == 0, r.err
    stored = texts(open_register(sample_path), 2020)
    parsed = parse_markdown(out.read_text(encoding="utf-8"))
    assert parsed.year == 2020 and parsed.sections == stored
    assert out.read_text(encoding="utf-8") == to_markdown(2020, parsed.sections)
    # importing the unchanged file into the published year changes nothing and is fine
    r = cli("--db", db, "texts", "import", str(out))
    assert r.code == 0 and "Keine Änderung" in r.out
    assert cli("--db", db, "texts", "export", "--year", "2020", "-o", str(out)).code == 2  # exists
    # a text with a "## " line of its own, nested lists and sub-headings survives the round trip
    text = "Absatz eins.\n\n## keine Abschnittsgrenze\n\n### Unterpunkt\n\n- a\n  - b\n\nEnde."
    md = to_markdown(2021, [texts(open_register(sample_path), 2021)[0].__class__("einleitung", "Vorwort", text)])
    assert parse_markdown(md).sections[0].markdown == text


def test_texts_import_stores_a_new_year_and_refuses_stale_and_bad_files(
        cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    out = tmp_path / "t.md"
    assert cli("--db", db, "texts", "export", "--year", "2021", "-o", str(out)).code == 0
    content = out.read_text(encoding="utf-8")
    assert content.count("version=0") == 3
    edited = content.replace("## Sonderthema", "## Digitalisierung in der Pandemie").replace(
        "<!-- abschnitt=einleitung version=0 -->", "<!-- abschnitt=einleitung version=0 -->\n\nIm Jahr 2021 …")
    out.write_text(edited, encoding="utf-8")
    before = open_register(sample_path).audit_count()
    r = cli("--db", db, "texts", "import", str(out))
    assert r.code == 0, r.err
    assert "2 von 3 Abschnitten für 2021 gespeichert" in r.out
    stored = texts(open_register(sample_path), 2021)
    assert (stored[0].markdown, stored[0].version) == ("Im Jahr 2021 …", 1)
    assert stored[1].title == "Digitalisierung in der Pandemie"
    assert open_register(sample_path).audit_count() == before + 4  # title and text of two new sections
    # the same file again, after a colleague changed the Einleitung: a conflict, nothing stored
    other = tmp_path / "other.md"
    cli("--db", db, "texts", "export", "--year", "2021", "-o", str(other))
    other.write_text(other.read_text(encoding="utf-8").replace("Im Jahr 2021 …", "Kollegin"), encoding="utf-8")
    assert cli("--db", db, "texts", "import", str(other)).code == 0
    out.write_text(edited.replace("Im Jahr 2021 …", "Meine Fassung"), encoding="utf-8")
    r = cli("--db", db, "texts", "import", str(out))
    assert r.code == 1
    assert r.err.startswith("Fehler: Konflikt bei Bericht 2021 „Einleitung“: jemand anderes hat den Text")
    assert texts(open_register(sample_path), 2021)[0].markdown == "Kollegin"
    bad = {
        "ohne Marke": ("## Einleitung\n\nText", "die erste Zeile muss"),
        "unbekannt": ("<!-- sachstand-texte jahr=2021 -->\n## X <!-- abschnitt=vorwort -->\n",
                      "Zeile 2: den Abschnitt „vorwort“"),
        "doppelt": ("<!-- sachstand-texte jahr=2021 -->\n## A <!-- abschnitt=ausblick -->\n"
                    "## B <!-- abschnitt=ausblick -->",
                    "Zeile 3: der Abschnitt „ausblick“ kommt zweimal vor"),
        "leer": ("<!-- sachstand-texte jahr=2021 -->\n\n", "keine Abschnitte gefunden"),
        "davor": ("<!-- sachstand-texte jahr=2021 -->\nLose Zeile\n## A <!-- abschnitt=ausblick -->",
                  "Zeile 2: Text vor"),
    }
    for name, (text, message) in bad.items():
        f = tmp_path / f"{name}.md"
        f.write_text(text, encoding="utf-8")
        r = cli("--db", db, "texts", "import", str(f))
        assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) == 1, (name, r.err)
    latin1 = "<!-- sachstand-texte jahr=2021 -->\n## Ä <!-- abschnitt=ausblick -->".encode("latin-1")
    (tmp_path / "latin1.md").write_bytes(latin1)
    r = cli("--db", db, "texts", "import", str(tmp_path / "latin1.md"))
    assert r.code == 2 and "kein UTF-8-Text" in r.err
    r = cli("--db", db, "texts", "import", str(tmp_path / "fehlt.md"))
    assert r.code == 2 and "gibt es nicht" in r.err
    assert texts(open_register(sample_path), 2021)[0].markdown == "Kollegin"


def test_examples_command(cli, sample_path: Path) -> None:
    db = str(sample_path)
    r = cli("--db", db, "examples", "--year", "2020", "--figure", "completed")
    assert r.code == 0
    assert "ELearning bei der Stadtverwaltung" in r.out and "Ferienspiele Online" in r.out
    r = cli("--db", db, "examples", "--year", "2020", "--figure", "completed", "AC-003")
    assert r.code == 1 and "veröffentlicht" in r.err
    repo = open_register(sample_path)
    migewa = next(p.id for p in repo.projects() if p.name == "Ausbau Migewa")
    r = cli("--db", db, "examples", "--year", "2019", "--figure", "completed", migewa)
    assert r.code == 0, r.err
    assert repo.figure_examples(2019) == {"completed": [migewa]}
    r = cli("--db", db, "examples", "--year", "2019", "--figure", "completed", "FB11-001")
    assert r.code == 2 and "zählt 2019 nicht zu „Abgeschlossen“" in r.err
    r = cli("--db", db, "examples", "--year", "2019", "--figure", "fertig")
    assert r.code == 2 and "Kennzahl „fertig“ gibt es nicht" in r.err
    assert cli("--db", db, "examples", "--year", "2019", "--figure", "completed", "--default").code == 0
    assert repo.figure_examples(2019) == {}


def test_publish_command(cli, sample_path: Path) -> None:
    db = str(sample_path)
    r = cli("--db", db, "publish", "--year", "2019")
    assert r.code == 0, r.err
    assert "Bericht 2019 veröffentlicht am" in r.out
    r = cli("--db", db, "publish", "--year", "2019")
    assert r.code == 1 and "schon am" in r.err
    r = cli("--db", db, "publish", "--year", "2030")
    assert r.code == 2 and "keine Umsetzungsstände" in r.err


@pytest.mark.slow
def test_2021_round_leaves_the_published_2020_report_unchanged(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    summary_before = cli("--db", db, "summary", "--year", "2020").out
    json_before = json.loads(cli("--db", db, "summary", "--year", "2020", "--json").out)
    dept_before = cli("--db", db, "summary", "--year", "2020", "--department", "FB 11", "--json").out
    assert cli("--db", db, "export", "report", "--year", "2020", "-o", str(tmp_path / "before.xlsx")).code == 0
    dashboard_before = _dashboard(sample_path)
    assert "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020 · 57 Projekte im Bericht" in summary_before
    assert "Gezeigt wie am 24.11.2020 von Herr Dödtmann (FB 11) veröffentlicht" in summary_before
    assert json_before["published"] == {"at": "2020-11-24T00:00:00", "by": "Herr Dödtmann (FB 11)"}
    assert (json_before["projects"], json_before["completed"], json_before["started"]) == (57, 15, 7)

    # the 2021 round: templates out, returns with changed costs, progress and a new 2021 project
    assert cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path / "out")).code == 0
    filled = tmp_path / "FB11_2021_back.xlsx"
    fill_template(tmp_path / "out" / "FB11_2021.xlsx", filled,
                  {("FB11-001", "Geplante Kosten"): "500.000,00 €", ("FB11-001", P21): 70,
                   ("FB11-004", P21): 100},
                  [{"Name des Projektes": "Digitale Zeiterfassung", "Kurzbeschreibung / Projektziel": "Im Portal",
                    "Geplante Kosten": "12.500,00 €", "Beginn": "Q 1 2021", P21: 10}])
    r = cli("--db", db, "import", str(filled), "--apply")
    assert r.code == 0, r.out + r.err
    repo = open_register(sample_path)
    assert repo.get("FB11-001").planned_cost == 500000
    new = next(p for p in repo.projects() if p.name == "Digitale Zeiterfassung")

    assert cli("--db", db, "summary", "--year", "2020").out == summary_before
    assert json.loads(cli("--db", db, "summary", "--year", "2020", "--json").out) == json_before
    assert cli("--db", db, "summary", "--year", "2020", "--department", "FB 11", "--json").out == dept_before
    assert cli("--db", db, "export", "report", "--year", "2020", "-o", str(tmp_path / "after.xlsx")).code == 0
    before, after = _cells(tmp_path / "before.xlsx"), _cells(tmp_path / "after.xlsx")
    assert after == before
    assert len(after["Übersicht"]) == 1 + 57
    assert "Projekte im Bericht" in dashboard_before[1] and "1.474.300,00 €" in dashboard_before[2]
    assert _dashboard(sample_path) == dashboard_before
    # the live state did change, and 2021 has the new project
    s21 = json.loads(cli("--db", db, "summary", "--year", "2021", "--json").out)
    assert s21["projects"] == 3 and s21["previous"]["projects"] == 57
    live_fb11 = next(d for d in json.loads(cli("--db", db, "summary", "--year", "2021", "--json").out)["by_department"]
                     if d["code"] == "FB 11")
    assert live_fb11["projects"] == 3

    # membership: the 2021 project is in no template of 2020, and in those of 2021
    for y in (2020, 2021):
        assert cli("--db", db, "export", "templates", "--year", str(y), "--department", "FB 11",
                   "-o", str(tmp_path / f"t{y}")).code == 0
        names = {v for row in _cells(tmp_path / f"t{y}" / f"FB11_{y}.xlsx")["Projekte"] for v in row}
        assert ("Digitale Zeiterfassung" in names) == (y == 2021), y
        assert "Elektronische Personalakte" in names

    r = cli("--db", db, "check", "--json")
    found = [f for f in json.loads(r.out) if f["kind"] == "published"]
    messages = [f["message"] for f in found]
    assert any(m.startswith("nach der Veröffentlichung geändert: FB11-001 Elektronische Personalakte: "
                            "Geplante Kosten „470.000,00 €“ → „500.000,00 €“ (geändert am ") for m in messages)
    assert not any(new.id in m for m in messages)  # starts in 2021: not a change of 2020
    assert all(f["subject"] == "Bericht 2020 (veröffentlicht am 24.11.2020)" for f in found)
    text = cli("--db", db, "check").out
    assert "Elektronische Personalakte" in text and "veröffentlicht" in text


def _dashboard(path: Path) -> list[str]:
    """The dashboard of 2020 as the user sees it: the text of its widgets."""
    out: list[str] = []

    @sync
    async def run() -> None:
        app = make_app(path)
        async with app.run_test(size=(100, 60)) as pilot:
            await started(pilot)
            await pilot.press("d")
            await settle(pilot)
            screen = app.screen
            for selector in ("#head", "#figures", "#departments"):
                out.append(static_text(screen.query_one(selector), width=100))
            timeline = screen.query_one("#timeline")
            out.append(repr(timeline.rows))  # type: ignore[attr-defined]
            out.append(str(timeline.render()))

    run()
    return out


def test_planned_command(cli, sample_path: Path) -> None:
    db = str(sample_path)
    repo = open_register(sample_path)
    from sachstand.core.models import NewProject

    new = repo.create(NewProject(department="FB 56", name="Informationsplattform Sozialhilfe"))
    assert cli("--db", db, "planned").out.strip() == "Keine geplanten Projekte."
    r = cli("--db", db, "planned", new.id, "--priority", "2")
    assert r.code == 0 and "geplant mit Priorität 2" in r.out
    assert cli("--db", db, "planned").out.split() == ["2", new.id, "Informationsplattform", "Sozialhilfe", "(FB", "56)"]
    r = cli("--db", db, "planned", new.id, "--started")
    assert r.code == 0 and not open_register(sample_path).get(new.id).planned
    audit = [e for e in open_register(sample_path).audit_for(new.id) if e.field == "priority"]
    assert [(e.old_value, e.new_value) for e in audit] == [("2", None), (None, "2")]
    r = cli("--db", db, "planned", "XX-001", "--priority", "1")
    assert r.code == 2 and "XX-001 gibt es nicht" in r.err


@pytest.mark.parametrize(("year", "message"), [
    ("0000", "y.md Zeile 1: „0000“ ist kein Jahr."),
    ("9999", "y.md Zeile 1: „9999“ ist kein Jahr."),
    ("1999", "Für 1999 gibt es weder Texte noch Daten. Jahre mit Daten: 2019, 2020."),
])
def test_texts_import_refuses_a_year_that_does_not_exist(year: str, message: str, cli, sample_path: Path, tmp_path: Path) -> None:
    """Found by a tester: ``jahr=0000`` was stored. The year follows the CLI's rule
    (``core.types.parse_year``) and the export's (data, the year after data, or texts)."""
    db = str(sample_path)
    assert cli("--db", db, "texts", "export", "--year", "2019", "-o", str(tmp_path / "t.md")).code == 0
    text = (tmp_path / "t.md").read_text(encoding="utf-8").replace("jahr=2019", f"jahr={year}", 1)
    (tmp_path / "y.md").write_text(text, encoding="utf-8")
    r = cli("--db", db, "texts", "import", str(tmp_path / "y.md"))
    assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {message.replace('y.md', str(tmp_path / 'y.md'))}")
    assert open_register(sample_path).report_texts(int(year)) == {}


def test_published_year_is_named_before_conflicts_and_members(cli, sample_path: Path, tmp_path: Path) -> None:
    """Found by a tester: a file with stale versions for the published 2020 said "Konflikt", and
    examples not counted in 2020 said "zählt 2020 nicht zu …"; the cause is that 2020 is published."""
    db = str(sample_path)
    assert cli("--db", db, "texts", "export", "--year", "2020", "-o", str(tmp_path / "t.md")).code == 0
    text = (tmp_path / "t.md").read_text(encoding="utf-8")
    stale = text.replace("## Einleitung", "## Einleitung neu", 1)
    import re

    (tmp_path / "stale.md").write_text(re.sub(r"version=[0-9]+", "version=0", stale), encoding="utf-8")
    r = cli("--db", db, "texts", "import", str(tmp_path / "stale.md"))
    assert r.code == 1 and "ist am 24.11.2020 veröffentlicht; seine Texte bleiben" in r.err and "Konflikt" not in r.err
    r = cli("--db", db, "examples", "--year", "2020", "--figure", "completed", "AC-002")
    assert r.code == 1 and "veröffentlicht; seine Beispielprojekte bleiben" in r.err and "zählt" not in r.err


def test_an_input_that_is_not_a_regular_file_says_so(cli, sample_path: Path, tmp_path: Path) -> None:
    """Found by a tester: ``texts import /dev/zero`` or a FIFO said the file did not exist. Every
    command that reads a named file uses ``core.files.read_input``/``input_problem``."""
    import os

    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    db = str(sample_path)
    not_regular = "das ist keine gewöhnliche Datei (sondern ein Gerät, eine Pipe oder ein Socket)"
    for path, name in (("/dev/zero", "/dev/zero"), (str(fifo), str(fifo))):
        r = cli("--db", db, "texts", "import", path)
        assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {name}: {not_regular}.")
        r = cli("--db", db, "import", path)
        assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {Path(path).name}: {not_regular}")
        r = cli("--db", db, "--config", path, "summary")
        assert r.code == 2 and not_regular in r.err
    r = cli("--db", db, "texts", "import", str(tmp_path))
    assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {tmp_path}: das ist ein Ordner, keine Datei.")
    r = cli("--db", db, "texts", "import", str(tmp_path / "fehlt.md"))
    assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {tmp_path / 'fehlt.md'}: die Datei gibt es nicht.")


def test_only_ascii_digits_are_digits(cli, sample_path: Path) -> None:
    """Found by a tester: ``settings --ags '١٢٣٤٥٦٧٨'`` was accepted (``\\d`` and ``isdigit`` take
    Arabic-Indic digits). The same for years, percentages, dates and amounts."""
    from sachstand.core.types import parse_money, parse_percent, parse_period, parse_year

    db = str(sample_path)
    r = cli("--db", db, "settings", "--ags", "١٢٣٤٥٦٧٨")
    assert r.code == 2 and "hat nicht 8 Ziffern" in r.err
    r = cli("--db", db, "summary", "--year", "٢٠٢٠")
    assert r.code == 2 and "ist kein Jahr" in r.err
    assert parse_year("٢٠٢٠") is None and parse_year("2020") == 2020
    for bad in ("٤٥", "٤٥ %"):
        with pytest.raises(ValueError):
            parse_percent(bad)
    for bad in ("٠١.٠١.٢٠٢٠", "Q ٤ ٢٠٢٠", "٢٠٢٠"):
        with pytest.raises(ValueError):
            parse_period(bad)
    with pytest.raises(ValueError):
        parse_money("١٢٣ €")


@pytest.mark.parametrize(("line", "message"), [
    ("## Einl\x1b]0;PWNED\x07eitung <!-- abschnitt=einleitung version=0 -->",
     "Zeile 3: die Überschrift enthält das Steuerzeichen U+001B; erlaubt ist eine Zeile ohne Steuerzeichen."),
    ("## Einleitung \u202e <!-- abschnitt=einleitung version=0 -->",
     "Zeile 3: die Überschrift enthält die Richtungsumkehr U+202E; erlaubt ist eine Zeile ohne Steuerzeichen."),
    ("## Einleitung <!-- abschnitt=einleitung version=0 -->\n\nText \x9b mit C1",
     "Zeile 5: der Text enthält das Steuerzeichen U+009B; erlaubt sind nur Zeilenumbruch und Tabulator."),
])
def test_control_characters_in_an_imported_file_are_refused_by_line(line: str, message: str, cli, sample_path: Path,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "c.md"
    path.write_text(f"<!-- sachstand-texte jahr=2021 -->\n\n{line}\n", encoding="utf-8")
    r = cli("--db", str(sample_path), "texts", "import", str(path))
    assert (r.code, r.err.splitlines()[-1]) == (2, f"Fehler: {path} {message}")
    assert open_register(sample_path).report_texts(2021) == {}


def test_whatever_is_stored_exports_and_imports_again(cli, sample_path: Path, tmp_path: Path) -> None:
    """Texts with a marker-like line are refused by the repository for every caller, so a stored
    text always re-imports; text that merely mentions a marker stays text."""
    from sachstand.core.errors import InvalidValue

    repo = open_register(sample_path)
    with pytest.raises(InvalidValue, match="Zeile 2: die Zeile sieht aus wie ein Abschnittsanfang"):
        repo.save_report_text(2021, "einleitung", "Einleitung", "Vorwort\n## Neu <!-- abschnitt=ausblick -->", 0)
    body = "Vorwort\n## Neu\n`<!-- abschnitt=ausblick -->` im Fließtext\n\tEingerückt"
    repo.save_report_text(2021, "einleitung", "Einleitung <!-- abschnitt=ausblick -->", body, 0)
    out = tmp_path / "t.md"
    assert cli("--db", str(sample_path), "texts", "export", "--year", "2021", "-o", str(out)).code == 0
    assert parse_markdown(out.read_text(encoding="utf-8")).sections[0].markdown == body
    r = cli("--db", str(sample_path), "texts", "import", str(out))
    assert r.code == 0 and "Keine Änderung" in r.out, r.err
