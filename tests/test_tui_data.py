"""The TUI's reads on a real register: the first page before the rest, the rows kept per year and
when they stop being valid, the save that shows at commit, and the dashboard's publication line."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from tui_helpers import TODAY, YEAR, make_app, settle, started, static_text, sync

from sachstand.core import open_register
from sachstand.tui.dashboard import DashboardScreen
from sachstand.tui.data import FREEZER, FREEZES_PER_COLLECTION, RowCache, YearRows, change_stamp, load_year, record_progress


def test_the_first_page_comes_before_the_rest_and_is_its_top(sample_path: Path) -> None:
    repo = open_register(sample_path)
    parts: list[YearRows] = []
    whole = load_year(repo, YEAR, TODAY, first=(5, parts.append))
    assert len(parts) == 1 and not parts[0].complete and whole.complete
    assert [r.id for r in parts[0].rows] == [r.id for r in whole.rows[:5]]
    assert len(whole.rows) > 5 and (parts[0].year, parts[0].years) == (whole.year, whole.years)
    assert [r.id for r in load_year(repo, YEAR, TODAY).rows] == [r.id for r in whole.rows]
    cache = RowCache()
    cache.put(parts[0])
    assert cache.get(YEAR, parts[0].stamp) is None  # a first page is never kept


def test_kept_rows_are_valid_until_anyone_else_writes(sample_path: Path) -> None:
    repo = open_register(sample_path)
    cache = RowCache()
    loaded = load_year(repo, 2019, TODAY)
    cache.put(loaded)
    cache.put(load_year(repo, YEAR, TODAY))
    assert cache.get(2019, change_stamp(sample_path)) is loaded
    row = next(r for r in cache.years[YEAR].rows if not r.planned)
    # our own save: the kept year takes the saved row and the new stamp; other years go
    saved = record_progress(repo, row.id, YEAR, 41 if row.current != 41 else 42, row.version, TODAY)
    assert saved.before != saved.after == change_stamp(sample_path)
    cache.saved(YEAR, saved)
    kept = cache.get(YEAR, change_stamp(sample_path))
    assert kept is not None and cache.get(2019, change_stamp(sample_path)) is None
    fresh = next(r for r in kept.rows if r.id == row.id)
    assert fresh.current == saved.rows[0].current and fresh.version == row.version + 1
    # what showing the rows needs moves on with them: the saved row among the year's, the same widths
    assert kept.parts is not None and fresh in kept.parts[0] and row not in kept.parts[0]
    assert kept.haystack is not None and set(kept.haystack) == {r.id for r in kept.rows}
    assert kept.columns == load_year(repo, YEAR, TODAY).columns
    assert [r.id for r in kept.rows] == [r.id for r in load_year(repo, YEAR, TODAY).rows]
    # someone else's save (another connection): the stamp moves and nothing kept is used
    other = open_register(sample_path)
    project = other.get(row.id)
    other.record_progress(row.id, YEAR, 7, project.version)
    assert cache.get(YEAR, change_stamp(sample_path)) is None


class _Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_kept_rows_are_left_out_of_collections_and_frozen_garbage_is_collected_in_time(sample_path: Path) -> None:
    repo = open_register(sample_path)
    cache = RowCache()
    gc.unfreeze()
    FREEZER.count = 0
    try:
        node = _Node()
        alive = weakref.ref(node)
        loaded = load_year(repo, YEAR, TODAY)
        cache.put(loaded)
        assert gc.get_freeze_count() > len(loaded.rows) and FREEZER.count == 1
        cache.put(loaded)  # the kept rows shown again: no new freeze
        assert FREEZER.count == 1
        del node
        gc.collect()
        assert alive() is not None  # frozen cyclic garbage outlives a collection ...
        for _ in range(FREEZES_PER_COLLECTION - 2):
            cache.put(load_year(repo, YEAR, TODAY))
        assert alive() is not None
        cache.put(load_year(repo, YEAR, TODAY))  # ... until every FREEZES_PER_COLLECTION-th read
        assert FREEZER.count == FREEZES_PER_COLLECTION and alive() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_save_shows_its_row_at_commit_before_the_file_is_closed(sample_path: Path) -> None:
    repo = open_register(sample_path)
    row = next(r for r in load_year(repo, YEAR, TODAY).rows if not r.planned)
    seen: list[tuple[int | None, bool]] = []

    def committed(rows: list) -> None:
        # durable already: another connection of this process would wait, so look at the WAL
        seen.append((rows[0].current, Path(f"{sample_path}.wal").exists()))

    saved = record_progress(repo, row.id, YEAR, 63, row.version, TODAY, committed)
    assert seen == [(63, True)] and saved.rows[0].current == 63
    assert not Path(f"{sample_path}.wal").exists()  # checkpointed and closed afterwards
    assert open_register(sample_path).get(row.id).progress[YEAR] == 63


@sync
async def test_the_dashboard_says_whether_the_year_is_published(sample_path: Path) -> None:
    for year, expected in ((YEAR, "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020 · 57 Projekte im Bericht"),
                           (2019, "Entwurf, noch nicht veröffentlicht · Werte zum Stichtag 31.12.2019 ·")):
        app = make_app(sample_path, year=year)
        async with app.run_test(size=(120, 40)) as pilot:
            await started(pilot)
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            assert expected in static_text(app.screen.query_one("#head"), width=120)
