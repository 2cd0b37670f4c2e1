"""Registers that cannot be opened, hostile user text, layout at 80x24, and SIGHUP."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from tui_helpers import TODAY, YEAR, inside_screen, make_app, settle, started, static_text, sync, type_text

from sachstand.core import open_register
from sachstand.core.models import NewProject
from sachstand.tui.app import SachstandApp
from sachstand.tui.conflict import ConflictScreen
from sachstand.tui.dashboard import DashboardScreen
from sachstand.tui.help import HelpScreen
from sachstand.tui.message import MessageScreen
from sachstand.tui.project import ProjectScreen
from sachstand.tui.virtual_table import VirtualTable

HOSTILE = "Böse [/] [link=https://example.org]Klick[/link] [bold]x \x1b[2J\x1b]0;title\x07 \u202egnalnie\u202c"


def message_of(app: SachstandApp) -> str:
    assert isinstance(app.screen, MessageScreen)
    return str(app.screen.query_one("#message-text").render())


async def run_message_case(path: Path) -> str:
    app = SachstandApp.for_path(path, year=YEAR, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = message_of(app)
        assert inside_screen(app.screen.query_one("#message-text"))
        await pilot.press("r")
        await settle(pilot)
        assert message_of(app) == text and len(app.screen_stack) == 2
        await pilot.press("q")
    assert app.return_code in (1, 2)
    return text


@sync
async def test_missing_register_shows_a_message(tmp_path: Path) -> None:
    text = await run_message_case(tmp_path / "fehlt.duckdb")
    assert "Kein Register unter" in text and "init" in text


@sync
async def test_corrupt_file_shows_a_message(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.duckdb"
    path.write_bytes(b"das ist keine Datenbank" * 100)
    text = await run_message_case(path)
    assert text == f"{path} ist kein sachstand-Register (keine DuckDB-Datei)."


@sync
async def test_damaged_register_shows_a_message_naming_the_backups(sample_path: Path) -> None:
    data = bytearray(sample_path.read_bytes())
    data[:4096] = b"\xff" * 4096  # the main header gone: still the size and shape of a DuckDB file
    sample_path.write_bytes(bytes(data))
    text = await run_message_case(sample_path)
    assert "beschädigt" in text and f"{sample_path}.backups" in text
    assert "kein sachstand-Register" not in text


@sync
async def test_newer_schema_shows_a_message(sample_path: Path) -> None:
    conn = duckdb.connect(str(sample_path))
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    text = await run_message_case(sample_path)
    assert "Schema-Version 99" in text


@sync
async def test_locked_register_shows_a_message(sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACHSTAND_LOCK_TIMEOUT", "0.3")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(sample_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        text = await run_message_case(sample_path)
    finally:
        holder.kill()
        holder.wait()
    assert "gerade von einem anderen Prozess" in text


@sync
async def test_hostile_user_text_is_shown_literally(sample_path: Path) -> None:
    repo = open_register(sample_path)
    project = repo.create(NewProject(department="AC", name=HOSTILE, description="[red]rot[/red] \x1b[31m",
                                     progress={YEAR - 1: 5}))
    repo.update(project.id, project.version, {"cost_note": "[/link] \u202e kosten"})
    app = make_app(sample_path, year=YEAR - 1)  # 2020 is published: its dashboard stays as it was
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "böse")
        await pilot.press("enter")
        table = app.screen.query_one(VirtualTable)
        assert [r.id for r in table.rows] == [project.id]
        line = "".join(segment.text for segment in table.render_line(1))
        assert "Böse [/] [link=https" in line
        assert "\x1b" not in line and "\u202e" not in line and "\x07" not in line
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen)
        shown_name = screen.query_one("#f-name").value
        assert shown_name.startswith("Böse [/] [link=https://example.org]Klick[/link] [bold]x ")
        assert "\x1b" not in shown_name and "\u202e" not in shown_name and "\x07" not in shown_name
        assert "\\x1b[2J\\x1b]0;title\\x07 \\u202egnalnie\\u202c" in shown_name  # visibly escaped
        audit = static_text(screen.query_one("#audit"), width=200)
        title = static_text(screen.query_one("#title"), width=200)
        assert "[link=https://example.org]Klick[/link]" in title and "\x1b" not in title
        assert "[/link]" in audit and "\u202e" not in audit and "\x1b" not in audit
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        timeline = app.screen.query_one("#timeline").render().plain
        assert "Böse [/]" in timeline and "\x1b" not in timeline and "\u202e" not in timeline


@sync
async def test_every_screen_fits_80x24(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        for selector in ("#title", "#search", "#dept", "#status", "#year", "#count", "Footer"):
            assert inside_screen(screen.query_one(selector)), selector
        table = screen.query_one(VirtualTable)
        assert inside_screen(table) and table.region.height >= 15
        await pilot.press("end")
        assert table.region.contains_region(table.region_of_cursor())
        await pilot.press("home", "enter")
        await settle(pilot)
        project = app.screen
        assert isinstance(project, ProjectScreen)
        for selector in ("#title", "#f-department", "#f-name", "#f-end", "#form-status", "Footer"):
            assert inside_screen(project.query_one(selector)), selector
        project.query_one(f"#f-progress-{YEAR}").focus()
        await pilot.pause()
        assert inside_screen(project.query_one(f"#f-progress-{YEAR}"))
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and inside_screen(app.screen.query_one("#help-box"))
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        for selector in ("#title", "#head", "Footer"):
            assert inside_screen(dashboard.query_one(selector)), selector
        assert dashboard.query_one("#figures").region.height > 5
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert inside_screen(app.screen.query_one("#percent"))
        assert inside_screen(app.screen.query_one("#dialog-error"))


@sync
async def test_conflict_screen_fits_80x24(sample_path: Path) -> None:
    from sachstand.core.errors import ConflictError, FieldConflict

    error = ConflictError("AC-001", [FieldConflict("name", "Name des Projektes", "Mein Name [/]", "Ihr Name"),
                                     FieldConflict("end", "Geplantes Ende", "Q 1 2022", "31.12.2021")], 3)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.push_screen(ConflictScreen(error))
        await settle(pilot)
        assert inside_screen(app.screen.query_one("#conflict-table"))
        assert "Mein Name [/]" in static_text(app.screen.query_one("#conflict-table"))


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and needle not in seen:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _wait_exit(pid: int, fd: int, timeout: float = 10) -> int | None:
    """The child's exit code once it has ended (reading its output meanwhile), else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _read_until(fd, b"\x00never", 0.2)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
    return None


def _reap(pid: int, fd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    os.close(fd)


def test_sighup_ends_the_app_and_releases_the_file(sample_path: Path) -> None:
    """A real process on a real pseudo-terminal; closing the terminal side sends SIGHUP."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - child
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = "80", "24"
        os.execvp(sys.executable, [sys.executable, "-m", "sachstand.cli", "--db", str(sample_path), "tui"])
    try:
        shown = _read_until(fd, b"von 57 Projekten", 30)
        assert b"von 57 Projekten" in shown
        os.kill(pid, signal.SIGHUP)
        code = _wait_exit(pid, fd)
        assert code is not None, "the app did not exit after SIGHUP"
        assert code == 129  # left through the app's own hang-up path
    finally:
        _reap(pid, fd)
    conn = duckdb.connect(str(sample_path))  # read-write: fails if anybody still holds the file
    assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 58
    conn.close()


@sync
async def test_an_open_app_locks_nobody_out(sample_path: Path) -> None:
    """While the app shows its table (and after a save), another process can write the file."""
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("p", "ctrl+u")
        await type_text(pilot, "42")
        await pilot.press("enter")
        await settle(pilot)
        writer = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
             "c.execute(\"UPDATE meta SET value = value WHERE key = 'app'\"); c.close(); print('ok')",
             str(sample_path)],
            capture_output=True, text=True, timeout=60,
        )
        assert writer.returncode == 0 and writer.stdout.strip() == "ok", writer.stderr


def test_sachstand_tui_read_only_in_a_terminal(sample_path: Path) -> None:
    """``sachstand --db X tui --read-only`` on a real pty: a viewer, and q ends it with 0."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - child
        os.environ["TERM"] = "xterm-256color"
        os.execvp(sys.executable, [sys.executable, "-m", "sachstand.cli", "--db", str(sample_path), "tui",
                                   "--read-only"])
    try:
        shown = _read_until(fd, b"nur lesen", 30)
        assert b"nur lesen" in shown
        _read_until(fd, b"von 57 Projekten", 30)
        os.write(fd, b"q")
        assert _wait_exit(pid, fd) == 0
    finally:
        _reap(pid, fd)


@sync
async def test_an_unforeseen_error_in_a_register_call_is_one_message_and_the_app_goes_on(sample_path: Path) -> None:
    """A worker's failure that is no ``SachstandError`` (a bug, a library's own error) reaches the
    app's one handler: a German message, the callback is not run, and the app keeps running."""
    app = SachstandApp.for_path(sample_path, year=YEAR, today=TODAY)
    ran: list[object] = []

    def broken() -> int:
        raise KeyError("intern")

    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        before = len(app._notifications)
        app.call_db(broken, ran.append)
        await settle(pilot)
        messages = [str(n.message) for n in list(app._notifications)[before:]]
        assert len(messages) == 1 and messages[0].startswith("Unerwarteter Fehler (KeyError)")
        assert ran == [] and app.return_code is None and app.screen is screen
        await pilot.press("down")  # still answering keys
        await settle(pilot)
        assert app.screen is screen
