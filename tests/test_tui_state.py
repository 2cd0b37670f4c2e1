"""Remembered state: year, filters, sort and last project are kept per user in the XDG state
directory and restored at the next start; a project gone meanwhile is never restored onto."""

from __future__ import annotations

from pathlib import Path

from test_tui_cursor import press_p_and_check
from tui_helpers import make_app, pick, settle, started, sync

from sachstand.core import open_register
from sachstand.tui.state import load_view, state_dir, view_path


async def leave_with_a_view(path: Path) -> str:
    """Year 2019, department FB 61, status "offen", sorted by name descending, cursor on a row."""
    app = make_app(path, year=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pick(pilot, "j", "2019")
        await pick(pilot, "b", "61")
        await pick(pilot, "s", "offen")
        screen = app.screen
        while screen.sort_key != "name":
            await pilot.press("o")
        await pilot.press("O", "end")
        await settle(pilot)
        chosen = screen.table.current.id
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code == 0
    return chosen


@sync
async def test_the_view_is_kept_across_a_restart(sample_path: Path, _private_state_dir: Path) -> None:
    chosen = await leave_with_a_view(sample_path)
    assert view_path(sample_path).is_relative_to(_private_state_dir)
    assert state_dir().is_relative_to(_private_state_dir)
    assert load_view(sample_path)["project"] == chosen
    app = make_app(sample_path, year=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert screen.year == 2019
        assert screen.query_one("#dept").value == "FB 61" and screen.query_one("#status").value == "offen"
        assert (screen.sort_key, screen.sort_reverse) == ("name", True)
        assert screen.table.current.id == chosen and screen.table.cursor_visible()
        assert await press_p_and_check(pilot) == chosen


@sync
async def test_a_project_gone_meanwhile_is_not_restored_onto(sample_path: Path) -> None:
    chosen = await leave_with_a_view(sample_path)
    repo = open_register(sample_path)
    repo.archive(chosen, repo.get(chosen).version)
    app = make_app(sample_path, year=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.table
        assert chosen not in {r.id for r in table.rows}
        assert table.cursor == 0 and table.cursor_visible()
        await press_p_and_check(pilot)


def test_a_broken_state_file_is_ignored(sample_path: Path) -> None:
    path = view_path(sample_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"register": 1, "year": "x"', encoding="utf-8")
    assert load_view(sample_path) == {}
    path.write_text(f'{{"register": "{sample_path.resolve()}", "year": "2019", "dept": 7, "sort_key": "name"}}',
                    encoding="utf-8")
    assert load_view(sample_path) == {"sort_key": "name"}
