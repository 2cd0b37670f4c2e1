"""The terminal UI meets the repository's entry rules (issue 9, points 8 and 12): a text longer
than an Excel cell is refused with the same message as the import, and hostile department codes
are shown escaped. The real app under Pilot, a real register file."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea
from tui_helpers import YEAR, make_app, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.core.changes import TEXT_MAX
from sachstand.core.models import NewProject
from sachstand.tui.project import ProjectScreen
from sachstand.tui.virtual_table import VirtualTable


@sync
async def test_a_pasted_text_longer_than_a_cell_is_refused_with_the_repository_message(sample_path: Path) -> None:
    before = open_register(sample_path).get("AC-015")
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "briefbutler")
        await pilot.press("enter", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen)
        field = screen.query_one("#f-description", TextArea)
        field.load_text("x" * (TEXT_MAX + 1))  # as pasted
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("ist 32.768 Zeichen lang; erlaubt sind höchstens 32.767 (so viel fasst eine Excel-Zelle)" in m
                   for m in messages), messages
    after = open_register(sample_path).get("AC-015")
    assert after.version == before.version and after.description == before.description


@sync
async def test_hostile_department_codes_are_shown_escaped(sample_path: Path) -> None:
    repo = open_register(sample_path)
    with repo.db.write() as conn:  # stored before codes were checked on entry
        conn.execute("INSERT INTO departments VALUES ('FB \x9b\u202e7', NULL)")
    repo.create(NewProject(department="FB \x9b\u202e7", name="Geisterprojekt", progress={YEAR: 5}))
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "geister")
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        line = "".join(segment.text for segment in table.render_line(1))
        assert "FB \\x9b\\" in line, line  # the narrow column cuts the rest
        assert "\x9b" not in line and "\u202e" not in line
