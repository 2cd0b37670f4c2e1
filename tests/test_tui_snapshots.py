"""Snapshots of the main screens at 80x24 and 120x40, the list and the dashboard at 60x20 too
(pytest-textual-snapshot).

Deterministic: a copy of the 2020 sample register, user "pruefer", reporting year 2020 and
"today" fixed at 01.03.2021 (the timeline's mark). Update with ``--snapshot-update`` and look
at the SVGs before committing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import make_app, settle, started

SIZES = [(80, 24), (120, 40)]
WITH_NARROW = [(60, 20), *SIZES]


@pytest.fixture
def sample_path(sample_path: Path) -> Path:
    """The sample register with fixed timestamps and user, so the project screen is stable."""
    conn = duckdb.connect(str(sample_path))
    conn.execute("UPDATE projects SET created_at = TIMESTAMP '2021-01-15 09:30:00', "
                 "updated_at = TIMESTAMP '2021-01-15 09:30:00'")
    conn.execute("UPDATE audit SET changed_at = TIMESTAMP '2021-01-15 09:30:00', os_user = 'pruefer'")
    conn.close()
    return sample_path


def _steady_cursor(pilot: Pilot) -> None:
    """A blinking input cursor would make the picture depend on timing: keep it shown."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def _ready(pilot: Pilot) -> None:
    await started(pilot)
    _steady_cursor(pilot)


def _then(*keys: str):
    async def run(pilot: Pilot) -> None:
        await started(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        _steady_cursor(pilot)
        await pilot.pause()
    return run


@pytest.mark.parametrize("size", WITH_NARROW, ids=lambda s: f"{s[0]}x{s[1]}")
def test_projects_screen(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_projects_filtered(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_then("s", "s", "s", "s", "s"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_project_screen(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size,
                        run_before=_then("slash", *"briefbutler", "enter", "enter"))


@pytest.mark.parametrize("size", WITH_NARROW, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_screen(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_then("d"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_timeline(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_then("d", "end"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_then("f1"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_progress_dialog(snap_compare, sample_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_path), terminal_size=size, run_before=_then("p", "ctrl+u", "1", "0", "1"))
