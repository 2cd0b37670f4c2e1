"""The "Bericht" screen and the "geplant" filter, in the real app under Pilot on a real register."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from textual.widgets import Input, Static, TabbedContent, TextArea
from tui_helpers import inside_screen, make_app, pick, settle, started, static_text, sync, tui_repo, type_text

from sachstand.core import open_register
from sachstand.core.models import NewProject
from sachstand.core.report_content import TextSection, save_text, texts
from sachstand.tui.conflict import ConflictScreen
from sachstand.tui.help import HelpScreen
from sachstand.tui.projects import ProjectsScreen
from sachstand.tui.report_texts import ReportTextsScreen


@sync
async def test_the_published_2020_texts_are_shown_and_cannot_be_changed(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportTextsScreen)
        intro = screen.query_one("#text-einleitung", TextArea)
        assert intro.text.startswith("Erstmals im Jahr 2019 wurde in Zusammenarbeit")
        assert intro.read_only
        state = static_text(screen.query_one("#state"))
        assert "Veröffentlicht am 24.11.2020 von Herr Dödtmann (FB 11) – nur lesen" in state
        assert screen.query_one("#title-sonderthema", Input).value == "IT-Projekte in der Corona-Situation"
        assert inside_screen(intro) and intro.region.height >= 10
        before = open_register(sample_path).audit_count()
        await pilot.press("x", "ctrl+s")
        await settle(pilot)
        assert open_register(sample_path).audit_count() == before
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)


@sync
async def test_edit_save_and_a_conflict_like_a_project(sample_path: Path) -> None:
    app = make_app(sample_path, year=2021)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportTextsScreen) and screen.year == 2021
        area = screen.query_one("#text-einleitung", TextArea)
        assert area.has_focus and not area.read_only
        await type_text(pilot, "Erster Absatz.")
        await pilot.press("enter", "enter")
        await type_text(pilot, "- Punkt")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = texts(open_register(sample_path), 2021)[0]
        assert (stored.markdown, stored.version) == ("Erster Absatz.\n\n- Punkt", 1)
        entries = [e for e in open_register(sample_path).changes_since(datetime(2000, 1, 1))
                   if e.entity == "report_text" and e.entity_id.startswith("2021")]
        assert {(e.entity_id, e.field, e.os_user, e.source) for e in entries} == {
            ("2021:einleitung", "title", "pruefer", "tui"), ("2021:einleitung", "markdown", "pruefer", "tui")}

        # a colleague saves the same section meanwhile
        save_text(tui_repo(sample_path, user="kollegin"), 2021,
                  TextSection("einleitung", "Einleitung", "Von der Kollegin.", 1))
        area.focus()
        area.move_cursor(area.document.end)
        await type_text(pilot, " und mehr")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        assert "Von der Kollegin." in static_text(app.screen.query_one("#conflict-table"), width=120)
        said = " ".join(static_text(w) for w in app.screen.query(Static))
        assert "Jemand anderes hat den Text inzwischen geändert." in said and "Projekt" not in said
        await pilot.press("m")  # keep mine on top of the fresh version
        await settle(pilot)
        assert app.screen is screen
        assert area.text == "Erster Absatz.\n\n- Punkt und mehr"
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = texts(open_register(sample_path), 2021)[0]
        assert (stored.markdown, stored.version) == ("Erster Absatz.\n\n- Punkt und mehr", 3)

        # another tab: the free section's heading
        await pilot.press("f4")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "tab-sonderthema"
        title = screen.query_one("#title-sonderthema", Input)
        title.focus()
        await pilot.press("ctrl+u")
        await type_text(pilot, "Digitalisierung in der Pandemie")
        await pilot.press("escape")  # unsaved: asks first
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert texts(open_register(sample_path), 2021)[1].title == "Digitalisierung in der Pandemie"


@sync
async def test_viewers_see_the_texts_read_only(sample_path: Path) -> None:
    app = make_app(sample_path, year=2021, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportTextsScreen)
        assert screen.query_one("#text-einleitung", TextArea).read_only
        assert "Nur lesen" in static_text(screen.query_one("#state"))


@sync
async def test_planned_projects_only_under_the_status_geplant_by_priority(sample_path: Path) -> None:
    repo = open_register(sample_path)
    second = repo.create(NewProject(department="FB 56", name="Informationsplattform Sozialhilfe", priority=2))
    first = repo.create(NewProject(department="FB 11", name="Arbeitsmedizin", priority=1,
                                   planned_cost=Decimal("10000")))
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert len(screen.shown) == len(screen.all_rows) == 57
        assert first.id not in {r.id for r in screen.shown}
        await pick(pilot, "s", "geplant")  # the status picker, narrowed by typing
        assert screen.query_one("#status").value == "geplant"
        assert [r.id for r in screen.shown] == [first.id, second.id]
        assert "1" in "".join(seg.text for seg in screen.table.render_line(1))  # the priority in the flags column
        screen.query_one("#dept").value = "FB 56"  # a department narrows the planned list too
        await settle(pilot)
        assert [r.id for r in screen.shown] == [second.id]
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert any("Bericht" in static_text(s, width=100) for s in app.screen.query("Static"))


@sync
async def test_a_marker_line_or_a_control_character_is_refused_at_entry(sample_path: Path, tmp_path: Path) -> None:
    """Found by a tester: the line ``## Neu <!-- abschnitt=ausblick -->`` typed into a text was
    stored, and the exported file then failed to import; ``Einl\\x1b]0;PWNED\\x07eitung`` was stored
    raw. Both are refused on saving (``core.text_rules``), named by line, and nothing is written;
    the status line fits 80 columns."""
    app = make_app(sample_path, year=2021)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportTextsScreen)
        state = static_text(screen.query_one("#state"), width=78).rstrip("\n")
        assert "\n" not in state and "0/3 gespeichert" in state
        before = open_register(sample_path).audit_count()
        await type_text(pilot, "Vorwort")
        await pilot.press("enter")
        await type_text(pilot, "## Neu <!-- abschnitt=ausblick -->")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("Zeile 2: die Zeile sieht aus wie ein Abschnittsanfang" in m for m in shown), shown
        title = screen.query_one("#title-einleitung", Input)
        title.value = "Einl\x1b]0;PWNED\x07eitung"
        screen.query_one("#text-einleitung", TextArea).load_text("Text")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("die Überschrift enthält das Steuerzeichen U+001B" in m for m in shown), shown
        assert open_register(sample_path).audit_count() == before
        assert open_register(sample_path).report_texts(2021) == {}
