"""Archive and restore from the TUI: a status filter "archiviert", F8 restores after asking, and
both are audited through the repository's write path."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import make_app, next_choice, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.tui.dialogs import ConfirmDialog
from sachstand.tui.project import ProjectScreen
from sachstand.tui.projects import ProjectsScreen


def count_text(app) -> str:
    return str(app.screen.query_one("#count").render())


async def choose_status(pilot, status: str) -> None:
    for _ in range(10):
        if pilot.app.screen.query_one("#status").value == status:
            break
        await next_choice(pilot, "s")
    assert pilot.app.screen.query_one("#status").value == status


@sync
async def test_archive_then_find_and_restore_from_the_list(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        await pilot.press("down", "down", "down")
        row = screen.table.current
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert "56 von 56 Projekten" in count_text(app)
        await choose_status(pilot, "archiviert")
        assert [r.id for r in screen.table.rows] == [row.id]
        assert "1 von 1 archivierten Projekt" in count_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "wiederherstellen" in app.screen.question.plain
        await pilot.press("j")
        await settle(pilot)
        assert screen.table.rows == [] and "0 von 0 archivierten Projekten" in count_text(app)
        await choose_status(pilot, "alle")
        assert "57 von 57 Projekten" in count_text(app)
        assert row.id in {r.id for r in screen.table.rows}
    repo = open_register(sample_path)
    assert not repo.get(row.id).archived
    audit = [a for a in repo.audit_for(row.id) if a.field == "archived"]
    assert [a.new_value for a in audit] == ["nein", "ja"], audit  # newest first: restored, archived
    assert all(a.source == "tui" and a.os_user == "pruefer" for a in audit)


@sync
async def test_the_archived_filter_searches_by_id_and_restores_in_the_project_screen(sample_path: Path) -> None:
    repo = open_register(sample_path)
    victims = repo.projects()[:2]
    for p in victims:
        repo.archive(p.id, p.version)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        await choose_status(pilot, "archiviert")
        assert {r.id for r in screen.table.rows} == {p.id for p in victims}
        await pilot.press("slash")
        await type_text(pilot, victims[1].id)
        await pilot.press("enter")
        await settle(pilot)
        assert [r.id for r in screen.table.rows] == [victims[1].id]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert "ARCHIVIERT" in str(app.screen.query_one("#info").render())
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # Enter alone never confirms
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen) and not app.screen.project.archived
        await pilot.press("escape")
        await settle(pilot)
        assert [r.id for r in screen.table.rows] == []  # the search still narrows the archived list
    assert not open_register(sample_path).get(victims[1].id).archived
    assert open_register(sample_path).get(victims[0].id).archived
