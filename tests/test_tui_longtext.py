"""Long text: the description is a multi-line TextArea that keeps line breaks, wraps, and can be
read to its end in read-only mode."""

from __future__ import annotations

from pathlib import Path

from test_tui_german import visible_text
from textual.widgets import TextArea
from tui_helpers import make_app, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.tui.project import ProjectScreen

LONG = ("Erste Zeile der Beschreibung.\n"
        + " ".join(f"Wort{i}" for i in range(120))
        + "\nLetzte Zeile mit dem Schlusswort ENDE-DER-BESCHREIBUNG")


async def open_row(pilot, project_id: str) -> ProjectScreen:
    await pilot.press("g")
    await type_text(pilot, project_id)
    await pilot.press("enter", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProjectScreen) and screen.project.id == project_id
    return screen


@sync
async def test_a_long_description_can_be_read_to_its_end_read_only(sample_path: Path) -> None:
    repo = open_register(sample_path)
    p = repo.projects()[5]
    repo.update(p.id, p.version, {"description": LONG})
    app = make_app(sample_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_row(pilot, p.id)
        area = screen.query_one("#f-description", TextArea)
        assert area.read_only and not area.disabled and area.text == LONG
        await pilot.pause(0.1)
        shown = visible_text(app)
        assert "Wort0 Wort1" in shown and "ENDE-DER-BESCHREIBUNG" not in shown  # too long for the box
        area.focus()
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "ENDE-DER-BESCHREIBUNG" in visible_text(app)
        assert area.wrapped_document.height > LONG.count("\n") + 1  # wrapped, not cut


@sync
async def test_line_breaks_are_kept_when_editing(sample_path: Path) -> None:
    repo = open_register(sample_path)
    p = repo.projects()[5]
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_row(pilot, p.id)
        area = screen.query_one("#f-description", TextArea)
        area.focus()
        await pilot.press(*(["pagedown"] * 5), "end", "enter")
        await type_text(pilot, "Zweiter Absatz")
        assert screen.dirty
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not screen.dirty
        assert screen.query_one("#f-description", TextArea).text.endswith("\nZweiter Absatz")
    stored = open_register(sample_path).get(p.id).description
    assert stored == f"{p.description}\nZweiter Absatz"
