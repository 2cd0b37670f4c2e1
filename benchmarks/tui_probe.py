"""One TUI session, run in its own process: first paint, filter keystrokes, and (for the real app)
recording progress and saving. Prints one JSON object with the times.

    python -m benchmarks.tui_probe tui|bare REGISTER YEAR QUERY

Rules:
- The app runs headless under ``App.run_test`` (Pilot's harness). Keys are sent the way Pilot
  sends them, but the probe does not use ``Pilot.press``: that waits for the process to be idle in
  steps of 20 ms, which would add 40 ms to every keystroke and measure Pilot, not the app.
- "First paint": from the start of this module (before textual, the app and its libraries are
  imported, so import time counts for both apps) until the app's ``rows_shown`` event is set and
  the screen has been painted (the compositor renders every visible line, as for a terminal).
- "Keystroke": from sending one character to the search input until the table holds the new
  rows and the screen has been painted. Each character of QUERY is one keystroke.
- "Record": from pressing ``p`` on the first row until the value typed is saved in the file and
  the reloaded table shows it. Only the real app has it; it runs before the keystrokes.
- "Year switch": from Enter in the year picker (``j``, the year typed) until the table holds the
  chosen year's rows and the screen has been painted; once to the year before, once back.
- "Dashboard": from ``d`` until the dashboard shows the year's figures, painted; then Esc.
  Both only for the real app, after "Record" and before the keystrokes (which run in the year
  the session started with).
- Between the timed parts the probe waits, untimed, until the app has no register read running
  (the rest of the rows after a first page, a timeline after the dashboard's figures), as a
  user's next key comes later than that; each part is measured on its own, not under the last
  one's leftovers.
- After the timed parts, the probe checks (untimed) that project IDs are on the screen and that
  the saved value is in the register, so a blank screen is never measured as fast.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import asyncio
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from textual import events
from textual.app import App

TIMEOUT = 120.0
POLL = 0.0005
SIZE = (120, 40)
_ID_RE = re.compile(r"\b[A-Z0-9]+-\d{3,}\b")
_CHARS = {"enter": "\r", "escape": "\x1b", "slash": "/"}


def _send(app: App, key: str) -> None:
    char = _CHARS.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def _until(test: Any, what: str) -> None:
    """Poll ``test`` every 0.5 ms. Not ``sleep(0)``: a busy loop would hold the GIL and starve
    the app's worker threads (loading rows, saving), which a real, idle event loop does not."""
    deadline = time.perf_counter() + TIMEOUT
    while not test():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL)


async def _paint(app: App) -> None:
    """Let pending messages run, then paint the screen now (what the update timer would do)."""
    for _ in range(3):
        await asyncio.sleep(0)
    app.screen._on_timer_update()


def screen_text(app: App) -> str:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      force_terminal=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def _table(app: App) -> Any:
    for widget in app.screen.query("*"):
        if isinstance(getattr(widget, "rows", None), list) and hasattr(widget, "set_rows"):
            return widget
    raise LookupError("no table with rows on the screen")


def _make_app(kind: str, path: Path, year: int) -> App:
    if kind == "bare":
        from .bare_app import BareApp

        return BareApp(path, year)
    from sachstand.tui.app import SachstandApp

    return SachstandApp.for_path(path, year=year)


async def session(kind: str, path: Path, year: int, query: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    start = _T0
    app = _make_app(kind, path, year)
    async with app.run_test(size=SIZE):
        await _until(app.rows_shown.is_set, "rows")  # type: ignore[attr-defined]
        await _paint(app)
        result["first_paint"] = time.perf_counter() - start
        ids = set(_ID_RE.findall(screen_text(app)))
        if len(ids) < 5:
            raise AssertionError(f"first paint shows {len(ids)} project IDs")
        table = _table(app)
        await _idle(app)
        result["rows"] = len(table.rows)

        if kind == "tui":
            result["record"] = await _record(app, table)
            await _idle(app)
            result["dashboard"] = await _dashboard(app)
            await _idle(app)
            result["year_switch"] = []
            for to in (year - 1, year):
                result["year_switch"].append(await _year_switch(app, table, to))
                await _idle(app)
            _send(app, "slash")
            await _until(lambda: type(app.focused).__name__ == "Input", "search focus")
        else:
            app.query_one("Input").focus()
            await _paint(app)
        keystrokes = []
        for char in query:
            before = table.rows
            t0 = time.perf_counter()
            _send(app, char)
            await _until(lambda before=before: table.rows is not before, f"filter after {char!r}")
            await _paint(app)
            keystrokes.append(time.perf_counter() - t0)
        result["keystrokes"] = keystrokes
        result["shown_after_query"] = len(table.rows)
    result["seconds"] = result["first_paint"]
    return result


async def _idle(app: App) -> None:
    """Until no worker of the app (a register read or write) is running."""
    await _until(lambda: all(w.is_finished for w in app.workers), "the app to be idle")


async def _record(app: App, table: Any) -> float:
    await _until(lambda: app.focused is table, "table focus")
    row = table.current
    value = 55 if row.current != 55 else 56
    base_screen = app.screen
    t0 = time.perf_counter()
    _send(app, "p")
    await _until(lambda: app.screen is not base_screen, "progress dialog")
    await _paint(app)
    for key in (*str(value), "enter"):
        _send(app, key)
        await asyncio.sleep(0)

    def saved() -> bool:
        # The cursor stays on the saved row. Not a scan of every row: polled every 0.5 ms, a scan
        # of 100,000 rows held the GIL for half a second and slowed the app it measured.
        shown = table.current
        return shown is not None and shown.id == row.id and shown.current == value and app.screen is base_screen

    await _until(saved, "saved value in the table")
    await _paint(app)
    seconds = time.perf_counter() - t0

    from sachstand.core import open_register

    stored = open_register(app.repo.db.path).get(row.id).progress.get(app.screen.year)  # type: ignore[attr-defined]
    if stored != value:
        raise AssertionError(f"register holds {stored}, expected {value}")
    return seconds


async def _year_switch(app: App, table: Any, to: int) -> float:
    base_screen = app.screen
    _send(app, "j")
    await _until(lambda: app.screen is not base_screen, "year picker")
    for char in str(to):
        _send(app, char)
    await _paint(app)
    before = table.rows
    t0 = time.perf_counter()
    _send(app, "enter")
    await _until(lambda: app.screen is base_screen and table.rows is not before
                 and getattr(base_screen, "year", None) == to, f"rows of {to}")
    await _paint(app)
    return time.perf_counter() - t0


async def _dashboard(app: App) -> float:
    base_screen = app.screen
    t0 = time.perf_counter()
    _send(app, "d")

    def shown() -> bool:  # the figures are read and laid out (a Static gets its height at the next layout)
        screen = app.screen
        if screen is base_screen or getattr(screen, "report", None) is None:
            return False
        figures = screen.query("#figures")
        return not figures or figures.first().region.height > 0

    await _until(shown, "dashboard figures")
    await _paint(app)
    deadline = time.perf_counter() + TIMEOUT
    while "Überfällig" not in screen_text(app):  # laid out, but not yet painted with the figures (under load)
        if time.perf_counter() > deadline:
            raise AssertionError("the dashboard shows no figures")
        await asyncio.sleep(0.005)  # rendering the screen is costly: not every 0.5 ms
        await _paint(app)
    seconds = time.perf_counter() - t0
    await _idle(app)
    _send(app, "escape")
    await _until(lambda: app.screen is base_screen, "back from the dashboard")
    await _paint(app)
    return seconds


def main(argv: list[str]) -> int:
    kind, path, year, query = argv[0], Path(argv[1]), int(argv[2]), argv[3]
    result = asyncio.run(session(kind, path, year, query))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
