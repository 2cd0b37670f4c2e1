"""Helpers for the TUI tests: the real app on a real register file, with a fixed user and date."""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from rich.console import Console
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from sachstand.core import Actor, Repository, open_register
from sachstand.io.export import export_register
from sachstand.tui.app import SachstandApp

TODAY = date(2021, 3, 1)
YEAR = 2020


def sync(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async Pilot test with ``asyncio.run`` (no asyncio plugin is installed)."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def tui_repo(path: Path, user: str = "pruefer", role: str = "admin",
             departments: frozenset[str] = frozenset()) -> Repository:
    return open_register(path, source="tui", actor=Actor(user, role, departments, source="tui"))


def make_app(path: Path, **kwargs: object) -> SachstandApp:
    """The app on ``path`` as user "pruefer" (admin), reporting year 2020, today 01.03.2021."""
    repo = kwargs.pop("repo", None) or tui_repo(path)
    kwargs.setdefault("year", YEAR)
    kwargs.setdefault("export_rows", export_register)  # as the CLI hands it over
    kwargs.setdefault("today", TODAY)
    return SachstandApp(repo, **kwargs)  # type: ignore[arg-type]


async def settle(pilot: Pilot) -> None:
    """Wait until no register call is running and the screen has caught up."""
    for _ in range(20):
        await pilot.pause()
        workers = [w for w in pilot.app.workers if not w.is_finished]
        if not workers:
            await pilot.pause()
            if not [w for w in pilot.app.workers if not w.is_finished]:
                return
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def started(pilot: Pilot) -> None:
    await asyncio.wait_for(pilot.app.rows_shown.wait(), 20)  # type: ignore[attr-defined]
    await settle(pilot)


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*text)


def inside_screen(widget: Widget, size: tuple[int, int] = (80, 24)) -> bool:
    """The widget is shown and lies wholly inside the terminal."""
    region = widget.region
    return bool(region.area) and Region(0, 0, *size).contains_region(region)


def static_text(widget: Widget, width: int = 80) -> str:
    """What a ``Static`` shows, rendered to plain text with control codes kept (to check none are there)."""
    console = Console(width=width, file=io.StringIO(), record=True, markup=False, color_system=None)
    console.print(widget.content)  # type: ignore[attr-defined]
    return console.export_text(styles=False)


PICKED = {"b": "#dept", "s": "#status", "j": "#year"}


async def next_choice(pilot: Pilot, key: str) -> None:
    """b, s or j, then the next choice in the picker (wrapping), Enter: one step through the list."""
    from sachstand.tui.picker import Picker

    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, Picker), pilot.app.screen
    await pilot.press("down", "enter")
    await settle(pilot)


async def pick(pilot: Pilot, key: str, text: str) -> None:
    """b, s or j, type ``text`` to narrow the picker, Enter takes the first match."""
    from sachstand.tui.picker import Picker

    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, Picker), pilot.app.screen
    await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


def screen_lines(app: object) -> list[str]:
    """The terminal's lines as the user sees them (the screen's composed strips)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]  # type: ignore[attr-defined]
