"""The project form names what is missing and shows what the register found odd (issue 12, 9):
required fields named at ctrl+s and marked at the field; a finding about a stored value (the
seed's start "11.05.217") shown under its field. The real app under Pilot on a real register."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static
from tui_helpers import make_app, settle, started, static_text, sync, type_text

from sachstand.core import open_register
from sachstand.core.findings import findings
from sachstand.core.models import field_label
from sachstand.tui.project import ProjectScreen

NAME_MISSING = f"{field_label('name')} fehlt"  # "Name des Projektes fehlt"


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


@sync
async def test_empty_new_project_names_the_missing_name_at_ctrl_s(sample_path: Path) -> None:
    before = len(open_register(sample_path).projects())
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen) and screen.ready and screen.project is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(NAME_MISSING in m for m in toasts(app)), toasts(app)
        assert not any("Keine Änderungen" in m for m in toasts(app))
        name = screen.query_one("#f-name", Input)
        assert name.has_class("invalid") and name.has_focus
        error = screen.query_one("#e-name", Static)
        assert error.display and NAME_MISSING in static_text(error)
        assert "fehlerhaft" in str(screen.query_one("#form-status").render())
        await type_text(pilot, "Neues Projekt")
        await settle(pilot)
        assert not name.has_class("invalid") and not error.display
    assert len(open_register(sample_path).projects()) == before


@sync
async def test_a_blank_bereich_is_marked_at_the_field(sample_path: Path) -> None:
    before = len(open_register(sample_path).projects())
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        await type_text(pilot, "Ohne Bereich")
        screen.query_one("#f-department", Select).clear()
        await settle(pilot)
        dept = screen.query_one("#f-department", Select)
        error = screen.query_one("#e-department", Static)
        assert dept.has_class("invalid") and error.display and "Bereich fehlt" in static_text(error)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Nicht gespeichert: Bereich fehlt" in m for m in toasts(app)), toasts(app)
    assert len(open_register(sample_path).projects()) == before


@sync
async def test_the_malformed_start_shows_its_finding_in_the_form(sample_path: Path) -> None:
    repo = open_register(sample_path)
    p = next(p for p in repo.projects() if p.name == "Briefbutler")
    expected = next(f.message for f in findings(repo) if f.kind == "date" and f.subject.startswith(p.id))
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "briefbutler")
        await pilot.press("enter", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen) and screen.project.id == p.id
        start = screen.query_one("#f-start", Input)
        assert start.value == "11.05.217"
        hint = screen.query_one("#e-start", Static)
        assert hint.display and expected in static_text(hint, width=200).replace("\n", " "), static_text(hint, 200)
        assert not start.has_class("invalid") and not screen.errors
        start.focus()
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "11.05.2017")
        await settle(pilot)
        assert not hint.display


@sync
async def test_an_escaped_display_is_never_stored_as_text(sample_path: Path) -> None:
    """A description holding U+2066 is shown as ``\\u2066``; appending "X" and ctrl+s stored the
    literal backslash text. Now the edit is refused at the field; deleting the escape saves the
    text without the character."""
    from textual.widgets import TextArea

    repo = open_register(sample_path)
    p = next(p for p in repo.projects() if p.name == "Briefbutler")
    repo.update(p.id, p.version, {"description": "Post\u2066digital"})
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "briefbutler")
        await pilot.press("enter", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen) and screen.project.id == p.id
        area = screen.query_one("#f-description", TextArea)
        assert area.text == "Post\\u2066digital"
        area.focus()
        await pilot.press("ctrl+end")
        await type_text(pilot, "X")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "\\u2066" in screen.errors.get("description", ""), screen.errors
        assert any("Nicht gespeichert" in m for m in toasts(app)), toasts(app)
        assert open_register(sample_path).get(p.id).description == "Post\u2066digital"
        area.text = "PostdigitalX"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
    stored = open_register(sample_path).get(p.id).description
    assert stored == "PostdigitalX" and "\\" not in stored
