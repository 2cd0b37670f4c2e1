"""Quitting never loses an edit: ctrl+q, the palette's quit and SIGTERM ask; destructive dialogs
confirm only on j; SIGHUP leaves at once and keeps the edit as a draft the next start offers."""

from __future__ import annotations

import os
import pty
import signal
import sys
from pathlib import Path

import pytest
from test_tui_safety import _read_until, _reap, _wait_exit
from tui_helpers import make_app, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.tui.app import QUIT_QUESTION
from sachstand.tui.dialogs import ConfirmDialog
from sachstand.tui.project import ProjectScreen
from sachstand.tui.projects import ProjectsScreen
from sachstand.tui.report_texts import ReportTextsScreen
from sachstand.tui.state import draft_path, load_draft


async def open_first_and_edit(pilot, text: str = " geändert") -> ProjectScreen:
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProjectScreen) and screen.ready
    await pilot.press("end")
    await type_text(pilot, text)
    assert screen.dirty
    return screen


@sync
async def test_ctrl_q_without_edits_quits_at_once(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code == 0


@sync
async def test_ctrl_q_with_an_edit_asks_and_enter_does_not_confirm(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_first_and_edit(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question.plain == QUIT_QUESTION
        await pilot.press("enter")  # never confirms a destructive question
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and app.return_code is None
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.dirty and app.return_code is None
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
    assert app.return_code == 0


@sync
async def test_palette_quit_asks_too(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_first_and_edit(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Beenden")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog), app.screen
        assert app.screen.question.plain == QUIT_QUESTION
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.return_code is None


@sync
async def test_archive_dialog_ignores_enter(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        row = app.screen.table.current
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
    assert not open_register(sample_path).get(row.id).archived


def _start_on_pty(path: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - child
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = "80", "24"
        os.execvp(sys.executable, [sys.executable, "-m", "sachstand.cli", "--db", str(path), "tui"])
    return pid, fd


def _edit_first_project(fd: int) -> None:
    assert b"von 57 Projekten" in _read_until(fd, b"von 57 Projekten", 30)
    os.write(fd, b"\r")
    assert b"Keine ungespeicherten" in _read_until(fd, b"Keine ungespeicherten", 30)
    os.write(fd, b"\x1b[F")  # End
    for ch in b"ENTWURF":
        os.write(fd, bytes([ch]))
    edited = "1 ungespeicherte Änderung".encode()
    assert edited in _read_until(fd, edited, 30)


def test_sigterm_with_an_edit_asks_first(sample_path: Path) -> None:
    pid, fd = _start_on_pty(sample_path)
    try:
        _edit_first_project(fd)
        os.kill(pid, signal.SIGTERM)
        assert b"verwerfen und beenden" in _read_until(fd, b"verwerfen und beenden", 30)
        assert os.waitpid(pid, os.WNOHANG) == (0, 0), "the app must still run while it asks"
        os.write(fd, b"j")
        assert _wait_exit(pid, fd) == 0
    finally:
        _reap(pid, fd)


@sync
async def _restore_in_pilot(sample_path: Path, expected_name: str) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Entwurf" in app.screen.question.plain
        await pilot.press("j")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen)
        assert screen._input("name").value == expected_name
        assert screen.dirty
        assert not draft_path(sample_path).exists()  # restored: the draft is on screen now
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not screen.dirty
    assert open_register(sample_path).get(screen.project_id).name == expected_name


def test_sighup_keeps_the_edit_as_a_draft_that_the_next_start_restores(sample_path: Path) -> None:
    pid, fd = _start_on_pty(sample_path)
    try:
        _edit_first_project(fd)
        os.kill(pid, signal.SIGHUP)
        assert _wait_exit(pid, fd) == 129
    finally:
        _reap(pid, fd)
    draft = load_draft(sample_path)
    assert draft is not None and draft.texts["name"].endswith("ENTWURF")
    stored = open_register(sample_path).get(draft.project_id)
    assert stored.name != draft.texts["name"] and draft.version == stored.version
    _restore_in_pilot(sample_path, draft.texts["name"])


@pytest.mark.parametrize("answer", ["n"])
@sync
async def test_a_declined_draft_is_dropped(sample_path: Path, answer: str) -> None:
    from sachstand.tui.state import Draft, save_draft

    row = open_register(sample_path).projects()[0]
    save_draft(sample_path, Draft(str(sample_path.resolve()), row.id, 2020, row.version, {"name": "X"}))
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press(answer)
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
    assert load_draft(sample_path) is None
    assert open_register(sample_path).get(row.id).name == row.name


@sync
async def test_a_draft_on_a_project_changed_since_conflicts_instead_of_overwriting(sample_path: Path) -> None:
    from sachstand.tui.conflict import ConflictScreen
    from sachstand.tui.state import Draft, save_draft

    repo = open_register(sample_path)
    row = repo.projects()[0]
    save_draft(sample_path, Draft(str(sample_path.resolve()), row.id, 2020, row.version, {"name": "Mein Entwurf"}))
    repo.update(row.id, row.version, {"name": "Inzwischen geändert"})
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
    assert open_register(sample_path).get(row.id).name == "Inzwischen geändert"


async def open_texts_and_edit(pilot) -> ReportTextsScreen:
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReportTextsScreen) and screen.editable
    await type_text(pilot, "Neu")
    assert screen.dirty
    return screen


@pytest.mark.parametrize("how", ["ctrl+q", "palette", "sigterm"])
@sync
async def test_report_texts_are_guarded_like_a_project(sample_path: Path, how: str) -> None:
    app = make_app(sample_path, year=2021)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_texts_and_edit(pilot)
        if how == "ctrl+q":
            await pilot.press("ctrl+q")
        elif how == "palette":
            await pilot.press("ctrl+p")
            await settle(pilot)
            await type_text(pilot, "Beenden")
            await pilot.pause(0.3)
            await pilot.press("enter")
        else:
            app.terminate()  # the SIGTERM handler (the signal itself: test_sigterm_with_an_edit_asks_first)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog), app.screen
        assert app.screen.question.plain == QUIT_QUESTION
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.dirty and app.return_code is None
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
    assert app.return_code == 0
