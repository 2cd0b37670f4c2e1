"""Finding: the search matches IDs, g jumps to an ID as you type, b/s/j open a picker that narrows
as you type (Enter chooses), and Esc returns to the table from any picker or dropdown."""

from __future__ import annotations

from pathlib import Path

from test_tui_cursor import press_p_and_check
from tui_helpers import make_app, pick, settle, started, sync, type_text

from sachstand.tui.picker import JumpDialog, Picker
from sachstand.tui.projects import ProjectsScreen
from sachstand.tui.virtual_table import VirtualTable


@sync
async def test_search_finds_an_id(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "fb12-003")
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert [r.id for r in table.rows] == ["FB12-003"]
        assert await press_p_and_check(pilot) == "FB12-003"


@sync
async def test_g_jumps_to_an_id_as_you_type(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.query_one(VirtualTable)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, JumpDialog)
        await type_text(pilot, "fb61")
        await settle(pilot)
        assert table.current.id.startswith("FB61") and table.cursor_visible()
        await type_text(pilot, "-00")
        await pilot.press("2")
        await settle(pilot)
        assert table.current.id == "FB61-002"
        await type_text(pilot, "9")
        await settle(pilot)
        assert "Keine ID" in str(app.screen.query_one("#jump-hint").render())
        assert table.current.id == "FB61-002"  # a miss leaves the cursor where it was
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen) and app.focused is table
        assert await press_p_and_check(pilot) == "FB61-002"
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, JumpDialog)
        await type_text(pilot, "AC-001")
        await pilot.press("escape")
        await settle(pilot)
        assert table.current.id == "AC-001" and app.focused is table


@sync
async def test_pickers_narrow_as_you_type_and_enter_chooses(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        await pilot.press("b")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, Picker)
        everything = len(picker.shown)
        await type_text(pilot, "61")
        await settle(pilot)
        assert picker.shown == ["FB 61"] and everything > 5
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#dept").value == "FB 61"
        assert {r.department for r in screen.table.rows} == {"FB 61"}
        assert app.focused is screen.table
        await press_p_and_check(pilot)
        await pick(pilot, "s", "stag")
        assert screen.query_one("#status").value == "stagniert"
        await pick(pilot, "j", "2019")
        assert screen.year == 2019
        await pilot.press("b")
        await settle(pilot)
        await type_text(pilot, "alle")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#dept").value == "__all__"
        for key in ("b", "s", "j"):  # Esc returns to the table, nothing changed
            before = (screen.query_one("#dept").value, screen.query_one("#status").value, screen.year)
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("down", "escape")
            await settle(pilot)
            assert isinstance(app.screen, ProjectsScreen) and app.focused is screen.table
            assert (screen.query_one("#dept").value, screen.query_one("#status").value, screen.year) == before


@sync
async def test_esc_leads_back_to_the_table_from_a_dropdown(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        await pilot.press("slash", "tab")  # the department dropdown
        dept = screen.query_one("#dept")
        assert app.focused is dept
        await pilot.press("enter")
        await settle(pilot)
        assert dept.expanded
        await pilot.press("escape")
        await settle(pilot)
        assert not dept.expanded
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is screen.table
