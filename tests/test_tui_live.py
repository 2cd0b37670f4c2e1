"""Live lists and conflicts: another process's change shows up without a key press, the cursor
staying on its project; taking the stored values updates the list; the conflict table lists only
fields both sides changed; a quick-entry conflict's m reopens the entry instead of saving."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from test_tui_cursor import press_p_and_check
from tui_helpers import YEAR, make_app, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.tui import projects as projects_module
from sachstand.tui.conflict import ConflictScreen
from sachstand.tui.dialogs import ProgressDialog
from sachstand.tui.project import ProjectScreen
from sachstand.tui.projects import ProjectsScreen


def other_process(path: Path, code: str) -> None:
    """Run ``code`` with ``repo`` open on ``path`` in a separate Python process."""
    script = ("import sys; from sachstand.core import open_register; repo = open_register(sys.argv[1]); "
              + code)
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def wait_for(pilot, test, seconds: float = 12.0) -> None:
    for _ in range(int(seconds * 10)):
        if test():
            return
        await asyncio.sleep(0.1)
        await pilot.pause()
    assert test()


@sync
async def test_the_list_follows_another_process_without_a_key(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        await pilot.press("end", "up", "up")
        row = screen.table.current
        other_process(sample_path, f"p = repo.get({row.id!r}); repo.record_progress(p.id, {YEAR}, 13, p.version)")
        await wait_for(pilot, lambda: screen.table.current.id == row.id and screen.table.current.current == 13)
        assert screen.table.cursor_visible()
        assert await press_p_and_check(pilot) == row.id
        first_gone = screen.table.current
        other_process(sample_path, f"p = repo.get({first_gone.id!r}); repo.archive(p.id, p.version)")
        await wait_for(pilot, lambda: first_gone.id not in {r.id for r in screen.table.rows})
        assert screen.table.cursor == 0 and screen.table.cursor_visible()
        await press_p_and_check(pilot)


@sync
async def test_conflict_table_lists_only_fields_both_changed(sample_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projects_module, "POLL_SECONDS", 1000.0)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        list_screen = app.screen
        row = list_screen.table.current
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Mein Name")
        screen.query_one("#f-cost_note").value = "mein Hinweis"
        await pilot.pause()
        other_process(sample_path, f"p = repo.get({row.id!r}); repo.update(p.id, p.version, "
                                   "{'name': 'Ihr Name', 'description': 'ihre Beschreibung'})")
        await pilot.press("ctrl+s")
        await settle(pilot)
        conflict = app.screen
        assert isinstance(conflict, ConflictScreen)
        assert [c.field for c in conflict.both] == ["name"]
        assert [c.field for c in conflict.mine_only] == ["cost_note"]
        assert "wird übernommen" in str(conflict.query_one("#conflict-mine-only").render()).casefold()
        await pilot.press("t")  # take the stored values
        await settle(pilot)
        assert screen.query_one("#f-name").value == "Ihr Name"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert list_screen.table.current.id == row.id and list_screen.table.current.name == "Ihr Name"


@sync
async def test_quick_entry_conflict_m_reopens_the_entry_and_saves_only_on_enter(
        sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projects_module, "POLL_SECONDS", 1000.0)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        row = app.screen.table.current
        await pilot.press("p")
        await settle(pilot)
        other_process(sample_path, f"p = repo.get({row.id!r}); repo.record_progress(p.id, {YEAR}, 31, p.version)")
        await pilot.press("ctrl+u")
        await type_text(pilot, "42")
        await pilot.press("enter")
        await settle(pilot)
        conflict = app.screen
        assert isinstance(conflict, ConflictScreen) and [c.field for c in conflict.both] == [f"progress:{YEAR}"]
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ProgressDialog) and dialog.query_one("#percent").value == "42"
        assert open_register(sample_path).get(row.id).progress[YEAR] == 31  # not saved yet
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
    assert open_register(sample_path).get(row.id).progress[YEAR] == 42
