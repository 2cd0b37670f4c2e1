"""x writes the rows shown (filter, search, sort) to an .xlsx through the writer of ``export
register`` and the output guard (issue 12, 11). The real app under Pilot, read back with openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from textual.widgets import Input
from tui_helpers import make_app, pick, settle, started, sync, type_text

from sachstand.tui.dialogs import ConfirmDialog, FileNameDialog
from sachstand.tui.projects import ProjectsScreen


def ids_in(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb["Projekte"]
    rows = [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r and r[0]]
    wb.close()
    return rows


async def export_to(pilot, name: str) -> None:
    await pilot.press("x")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, FileNameDialog)
    field = dialog.query_one("#file-name", Input)
    assert field.value.endswith(".xlsx") and str(pilot.app.screen_stack[-2].year) in field.value
    field.value = name
    await pilot.press("enter")
    await settle(pilot)


@sync
async def test_x_exports_the_rows_shown_in_their_order(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "auswahl.xlsx"
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        await pick(pilot, "b", "11")  # FB 11
        await pilot.press("o", "O")  # another sort, reversed
        await settle(pilot)
        shown = [r.id for r in screen.shown]
        assert 1 < len(shown) < 57 and {r.department for r in screen.shown} == {"FB 11"}
        await export_to(pilot, str(out))
        assert isinstance(app.screen, ProjectsScreen)
        assert ids_in(out) == shown
        # again: the file exists, so it asks; n keeps it, j overwrites with the new selection
        await pilot.press("slash")
        await type_text(pilot, shown[0])
        await pilot.press("enter")
        await settle(pilot)
        assert [r.id for r in screen.shown] == [shown[0]]
        await export_to(pilot, str(out))
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert ids_in(out) == shown
        await export_to(pilot, str(out))
        await pilot.press("j")
        await settle(pilot)
        assert ids_in(out) == [shown[0]]


@sync
async def test_x_never_writes_over_the_register(sample_path: Path) -> None:
    before = sample_path.read_bytes()
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await export_to(pilot, str(sample_path))
        await settle(pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("Register" in m for m in messages), messages
    assert sample_path.read_bytes() == before


@sync
async def test_x_and_g_wait_until_every_row_is_read(sample_path: Path, monkeypatch) -> None:
    """While only the first page of a year is shown, x would export that page alone and g would
    miss the rest: both say the list is still loading; once it is read, x offers every row."""
    import threading

    from sachstand.tui import projects

    gate = threading.Event()
    real = projects.load_year

    def slow(repo, year, today, first=None):  # type: ignore[no-untyped-def]
        n, call = first

        def hand_over(rows):  # type: ignore[no-untyped-def]
            call(rows)
            gate.wait(20)  # the rest is "still being read" until the test lets it go

        return real(repo, year, today, first=(n, hand_over))

    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        monkeypatch.setattr(projects, "FIRST_PAGE", 5)
        monkeypatch.setattr(projects, "load_year", slow)
        await pilot.press("j")
        for _ in range(5):
            await pilot.pause()
        await pilot.press(*"2019", "enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if screen._partial:
                break
        assert screen._partial and len(screen.shown) == 5
        before = len(app._notifications)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert app.screen is screen  # neither the file dialog nor the jump dialog opened
        messages = [str(n.message) for n in list(app._notifications)[before:]]
        assert len(messages) == 2 and all("noch geladen" in m for m in messages)
        gate.set()
        await settle(pilot)
        assert not screen._partial and screen.year == 2019 and len(screen.shown) > 5
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FileNameDialog)
        assert f"{len(screen.shown)} gezeigte Projekte" in app.screen.title_text.plain
