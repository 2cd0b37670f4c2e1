"""60×20 (issue 12, 9): the projects table keeps its flags column and shortens the names first;
the dashboard's department codes stay on one line. The real app under Pilot on a real register."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import YEAR, make_app, screen_lines, settle, started, sync

from sachstand.core import open_register
from sachstand.core.figures import report
from sachstand.tui.dashboard import DashboardScreen

SIZE = (60, 20)


def static_lines(widget) -> list[str]:
    """A Static's lines as drawn at its own width."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


@sync
async def test_60x20_keeps_the_flags_and_shortens_names_first(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.table
        widths = dict(zip((c.key for c in table.columns), table._widths(table.scrollable_content_region.width), strict=False))
        assert widths["flags"] == 2 and widths["id"] == max(len(r.id) for r in app.screen.shown)
        assert widths["name"] < max(len(r.name) for r in app.screen.shown)
        lines = screen_lines(app)
        header = next(line for line in lines if "ÜS" in line)
        assert header.rstrip().endswith("ÜS") and len(header) <= SIZE[0], header
        rows = [line for line in lines if line.startswith(("AC-", " AC-"))]
        assert rows and any("…" in line for line in rows), lines
        overdue = next(r for r in app.screen.shown if r.overdue)
        app.screen.table.move_to(app.screen.shown.index(overdue))
        await settle(pilot)
        line = next(line for line in screen_lines(app) if overdue.id in line)
        assert line.rstrip().endswith(("Ü", "ÜS")), line


@sync
async def test_60x20_dashboard_keeps_department_codes_whole(sample_path: Path) -> None:
    codes = [d.code for d in report(open_register(sample_path), YEAR).by_department]
    assert any(" " in c for c in codes)  # "FB 11": the code that wrapped
    app = make_app(sample_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        text = static_lines(app.screen.query_one("#departments"))
        for code in codes:
            assert any(line.lstrip().startswith(code + " ") for line in text), (code, text)
