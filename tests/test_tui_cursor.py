"""The row a key acts on is always visible and highlighted (issue 9, point 1).

Every change of the rows shown (search, filter, sort, year, reload, another process's change) is
followed by ``p``; the dialog's project must be a row drawn on screen, and the highlighted one.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from tui_helpers import make_app, next_choice, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.tui.dialogs import ConfirmDialog, ProgressDialog
from sachstand.tui.projects import ProjectsScreen
from sachstand.tui.virtual_table import VirtualTable


def drawn_lines(table: VirtualTable) -> list[str]:
    """The table's body lines as drawn (the header line left out)."""
    return [table.render_line(y).text for y in range(1, table.size.height)]


def highlighted_line(table: VirtualTable) -> str | None:
    """The drawn body line with the cursor style, if any."""
    cursor_style = table.get_component_rich_style("virtual-table--cursor")
    for y in range(1, table.size.height):
        strip = table.render_line(y)
        first = next(iter(strip), None)  # the ID cell: plain text in the row's style
        style = first.style if first is not None else None
        if strip.text.strip() and style is not None and style.bgcolor == cursor_style.bgcolor \
                and bool(style.reverse) == bool(cursor_style.reverse) and bool(style.bold) == bool(cursor_style.bold):
            return strip.text
    return None


async def press_p_and_check(pilot: Pilot) -> str:
    """Press p: the dialog names a project that is drawn on screen, on the highlighted line."""
    screen = pilot.app.screen
    assert isinstance(screen, ProjectsScreen)
    table = screen.table
    await settle(pilot)
    lines = drawn_lines(table)
    highlighted = highlighted_line(table)
    await pilot.press("p")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ProgressDialog)
    title = dialog.title_text.plain
    project_id = title.split(" für ", 1)[1].split("\n", 1)[0]
    assert any(line.startswith(project_id + " ") for line in lines), (project_id, lines)
    assert highlighted is not None and highlighted.startswith(project_id + " "), (project_id, highlighted)
    await pilot.press("escape")
    await settle(pilot)
    return project_id


@sync
async def test_search_cleared_keeps_the_found_project_in_view(sample_path: Path) -> None:
    """The finding of issue 9: search, ctrl+u, Esc, p acted on a project off screen."""
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "Bürgerterm")
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        found = table.current.id
        assert len(table.rows) < 10
        await pilot.press("ctrl+u", "escape")
        await settle(pilot)
        assert len(table.rows) == 57
        assert table.rows.index(table.current) > table.size.height  # only visible if scrolled to
        assert await press_p_and_check(pilot) == found


@sync
async def test_cycling_departments_and_statuses_keeps_the_cursor_in_view(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        options = len(screen.query_one("#dept")._options)
        for _ in range(options):  # every department, then back to "alle Bereiche"
            await next_choice(pilot, "b")
            await press_p_and_check(pilot)
        assert screen.query_one("#dept").value == "__all__"
        for _ in range(8):  # every status, back to "alle"; "geplant" and "archiviert" are empty here
            await next_choice(pilot, "s")
            if screen.table.rows:
                await press_p_and_check(pilot)
            else:
                assert screen.query_one("#status").value in ("geplant", "archiviert")
                assert screen.table.current is None
        assert screen.query_one("#status").value == "alle"


@sync
async def test_sorting_follows_the_project(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("end")
        table = app.screen.query_one(VirtualTable)
        kept = table.current.id
        for key in ("o", "o", "O", "o", "o", "o", "o"):
            await pilot.press(key)
            assert table.current.id == kept
            assert await press_p_and_check(pilot) == kept


@sync
async def test_year_switch_and_reload_keep_the_cursor_in_view(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("end")
        table = app.screen.query_one(VirtualTable)
        kept = table.current.id
        for _ in range(3):
            await next_choice(pilot, "j")
            await press_p_and_check(pilot)
        await pilot.press("r")
        await settle(pilot)
        await press_p_and_check(pilot)
        assert table.current is not None and table.current.id in {r.id for r in table.rows}
        del kept


@sync
async def test_another_process_archiving_the_current_row_moves_the_cursor_to_the_first(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("end")
        table = app.screen.query_one(VirtualTable)
        gone = table.current
        other = open_register(sample_path)
        other.archive(gone.id, other.get(gone.id).version)
        await pilot.press("r")
        await settle(pilot)
        assert gone.id not in {r.id for r in table.rows}
        assert table.cursor == 0 and table.cursor_visible()
        assert await press_p_and_check(pilot) == table.rows[0].id


@sync
async def test_an_empty_table_has_no_cursor_and_says_nothing_is_selected(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "keinprojektheisstso")
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert table.current is None and highlighted_line(table) is None
        for key in ("p", "enter", "f8"):
            before = len(app._notifications)
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ProjectsScreen), key
            notes = list(app._notifications)[before:]
            assert any("Kein Projekt ausgewählt" in n.message for n in notes), key
        await pilot.press("slash", "ctrl+u", "escape")
        await settle(pilot)
        assert table.cursor == 0 and table.cursor_visible()


@sync
async def test_f8_on_the_list_archives_the_highlighted_project_after_asking(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("down", "down")
        table = app.screen.query_one(VirtualTable)
        row = table.current
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert row.id in app.screen.question.plain
        await pilot.press("j")
        await settle(pilot)
        assert row.id not in {r.id for r in table.rows}
        assert table.current is not None and table.cursor_visible()
    assert open_register(sample_path).get(row.id).archived
