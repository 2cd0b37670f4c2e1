"""German number formats at 25,000 projects: the count line, the dashboard's figures and the
timeline's "… und N weitere"."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from tui_helpers import make_app, settle, started, static_text, sync

from benchmarks.generate import make_register
from sachstand.core import figures, open_register
from sachstand.tui.dashboard import DashboardScreen


@pytest.fixture(scope="module")
def big_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_register(tmp_path_factory.mktemp("big") / "register.duckdb", 25_000)


@sync
async def test_numbers_are_german_at_25000(big_register: Path) -> None:
    app = make_app(big_register, year=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        count = str(app.screen.query_one("#count").render())
        assert re.search(r"\b\d{1,2}\.\d{3} von \d{1,2}\.\d{3} Projekten", count), count
        assert not re.search(r"\d{4,}", count.replace(str(app.screen.year), "")), count
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        timeline = app.screen.query_one("#timeline").render().plain
        assert re.search(r"… und \d{1,2}\.\d{3} weitere Projekte", timeline), timeline[-200:]
        shown = static_text(app.screen.query_one("#figures"), width=100)
        assert re.search(r"\d\.\d{3} von \d{1,2}\.\d{3}", shown), shown
        assert not re.search(r"(?<![\d.])\d{4,}(?![\d.])", shown.replace(str(app.screen.year), "").replace(
            str(app.screen.year - 1), "")), shown


@sync
async def test_dashboard_denominators_are_the_sets_counted(sample_path: Path) -> None:
    repo = open_register(sample_path)
    for p in list(repo.projects())[:4]:
        repo.record_progress(p.id, 2021, 50, p.version)
    open_rows = len(figures.project_rows(repo.db, 2021, as_of=date(2021, 12, 31)))
    app = make_app(sample_path, year=2021, today=date(2022, 1, 10))
    async with app.run_test(size=(100, 40)) as pilot:
        await started(pilot)
        await pilot.press("d")
        await settle(pilot)
        shown = static_text(app.screen.query_one("#figures"), width=100)
        overdue = re.search(r"Überfällig.*?(\d+) von (\d+)", shown, re.S)
        assert overdue and int(overdue[1]) <= int(overdue[2]), shown
        assert int(overdue[2]) > 4 and int(overdue[2]) == open_rows, (shown, open_rows)
        assert re.search(r"Abgeschlossen.*?\d+ von 4\b", shown, re.S), shown
