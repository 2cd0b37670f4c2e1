"""The projects screen driven with real key presses through Pilot, on a real register file."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import TODAY, YEAR, make_app, next_choice, settle, started, static_text, sync, type_text

from sachstand.core import figures, open_register
from sachstand.core.figures import default_as_of
from sachstand.tui.dashboard import DashboardScreen
from sachstand.tui.dialogs import ProgressDialog
from sachstand.tui.projects import ProjectsScreen
from sachstand.tui.virtual_table import VirtualTable


def expected_rows(path: Path) -> list:
    repo = open_register(path)
    return figures.project_rows(repo.db, YEAR, as_of=default_as_of(YEAR, TODAY))


def count_text(app) -> str:
    return str(app.screen.query_one("#count").render())


@sync
async def test_search_as_you_type_changes_the_count(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert "57 von 57 Projekten" in count_text(app)
        await pilot.press("slash")
        await type_text(pilot, "post")
        await settle(pilot)
        rows = expected_rows(sample_path)
        wanted = [r.id for r in rows if "post" in f"{r.name} {r.description}".casefold()]
        assert 0 < len(wanted) < 57
        assert f"{len(wanted)} von 57 Projekten" in count_text(app)
        table = app.screen.query_one(VirtualTable)
        assert sorted(r.id for r in table.rows) == sorted(wanted)
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert "57 von 57 Projekten" in count_text(app)
        await type_text(pilot, "keinprojektheisstso")
        assert "0 von 57 Projekten" in count_text(app)


@sync
async def test_status_and_department_filters_use_the_flags_of_figures(sample_path: Path) -> None:
    rows = expected_rows(sample_path)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        expected = {
            "offen": sum(not r.completed for r in rows),
            "abgeschlossen": sum(r.completed for r in rows),
            "ab90": sum(r.at_least_90 for r in rows),
            "ueberfaellig": sum(r.overdue for r in rows),
            "stagniert": sum(r.stalled for r in rows),
        }
        assert expected["stagniert"] == 11 and expected["ab90"] == 7
        for status in ("offen", "abgeschlossen", "ab90", "ueberfaellig", "stagniert"):
            await next_choice(pilot, "s")
            assert screen.query_one("#status").value == status
            assert f"{expected[status]} von 57 Projekten" in count_text(app), status
        await next_choice(pilot, "s")  # the sample has no planned project
        assert screen.query_one("#status").value == "geplant" and "0 von 57 Projekten" in count_text(app)
        await next_choice(pilot, "s")
        assert screen.query_one("#status").value == "archiviert"
        await settle(pilot)
        assert "0 von 0 archivierten Projekten" in count_text(app)
        await next_choice(pilot, "s")
        assert "57 von 57 Projekten" in count_text(app)
        await next_choice(pilot, "b")
        dept = screen.query_one("#dept").value
        n = sum(r.department == dept for r in rows)
        assert f"{n} von 57 Projekten" in count_text(app)
        assert {r.department for r in screen.shown} == {dept}


@sync
async def test_sort_by_columns_and_reverse(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.query_one(VirtualTable)
        assert app.screen.sort_key == "department"
        await pilot.press("o")
        assert app.screen.sort_key == "name"
        names = [r.name.casefold() for r in table.rows]
        assert names == sorted(names)
        await pilot.press("o", "o")
        assert app.screen.sort_key == "current"
        values = [-1 if r.current is None else r.current for r in table.rows]
        assert values == sorted(values)
        await pilot.press("O")
        values = [-1 if r.current is None else r.current for r in table.rows]
        assert values == sorted(values, reverse=True) and values[0] == 100
        assert "↓" in table.header_marks["current"]


@sync
async def test_record_progress_from_the_table(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("slash")
        await type_text(pilot, "briefbutler")
        await pilot.press("enter")
        table = app.screen.query_one(VirtualTable)
        row = table.current
        assert row is not None and row.name == "Briefbutler" and row.current == 60
        await pilot.press("p")
        assert isinstance(app.screen, ProgressDialog)
        await type_text(pilot, "75")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert table.current.id == row.id and table.current.current == 75
    stored = open_register(sample_path).get(row.id)
    assert stored.progress[YEAR] == 75 and stored.version == row.version + 1
    audit = open_register(sample_path).audit_for(row.id)
    assert audit[0].field == f"progress:{YEAR}" and audit[0].new_value == "75"
    assert audit[0].source == "tui" and audit[0].os_user == "pruefer"


@sync
async def test_invalid_progress_is_refused_and_nothing_written(sample_path: Path) -> None:
    before = open_register(sample_path).audit_count()
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        first = app.screen.query_one(VirtualTable).current
        for bad in ("101", "45,5", "ca. 50"):
            await pilot.press("p")
            await pilot.press("ctrl+u")
            await type_text(pilot, bad)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ProgressDialog), bad
            message = str(app.screen.query_one("#dialog-error").render())
            assert "ganze Zahl von 0 bis 100" in message, message
            await pilot.press("escape")
    repo = open_register(sample_path)
    assert repo.audit_count() == before
    assert repo.get(first.id).progress.get(YEAR) == first.current


@sync
async def test_switch_reporting_year(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        await next_choice(pilot, "j")
        await settle(pilot)
        assert screen.year == 2021  # the next year, to record its values
        assert [c.label for c in screen.table.columns][3:5] == ["2020", "2021"]
        assert all(r.current is None for r in screen.all_rows)
        assert "42 von 42 Projekten" in count_text(app)  # the 15 completed in 2020 are not open any more
        await pilot.press("p", "ctrl+u")
        await type_text(pilot, "5")
        await pilot.press("enter")
        await settle(pilot)
        row = screen.table.current
        assert row.current == 5
        await next_choice(pilot, "j")
        await settle(pilot)
        assert screen.year == 2022  # 2021 has data now, so the year after it is offered
        await next_choice(pilot, "j")
        await settle(pilot)
        assert screen.year == 2019
        assert [c.label for c in screen.table.columns][3:5] == ["2018", "2019"]
        assert "Berichtsjahr 2019" in count_text(app)
        await next_choice(pilot, "j")
        await settle(pilot)
        assert screen.year == 2020
    assert open_register(sample_path).get(row.id).progress[2021] == 5


@sync
async def test_dashboard_shows_the_figures_and_follows_a_recorded_progress(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        report = app.screen.report
        assert report.figure("completed").value == 15 and report.figure("stalled").value == 11
        shown = static_text(app.screen.query_one("#figures"), width=160)
        completed = report.figure("completed")
        assert f"Kennzahlen {YEAR}" in shown
        assert completed.label in shown and f"{completed.value} von {completed.total}" in shown
        assert f"{report.figure('stalled').value} von {report.figure('stalled').total}" in shown
    # 2020 is published and stays as it was; an unpublished year follows what is recorded
    app = make_app(sample_path, year=2019)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("d")
        await settle(pilot)
        completed = app.screen.report.figure("completed")
        assert completed.value == 1
        await pilot.press("escape")
        await pilot.press("slash")
        await type_text(pilot, "briefbutler")
        await pilot.press("enter", "p")
        await pilot.press("ctrl+u")
        await type_text(pilot, "100")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.report.figure("completed").value == 2
        assert f"2 von {completed.total}" in static_text(app.screen.query_one("#figures"), width=160)


@sync
async def test_command_palette_offers_the_screen_actions(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Übersicht")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


@sync
async def test_read_only_hides_and_refuses_writing(sample_path: Path) -> None:
    before = open_register(sample_path).audit_count()
    app = make_app(sample_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.repo.actor.role == "viewer"
        footer_keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "progress" not in footer_keys and "new" not in footer_keys
        await pilot.press("p", "n")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        await pilot.press("enter")
        await settle(pilot)
        name = app.screen.query_one("#f-name")
        assert name.disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert open_register(sample_path).audit_count() == before


@sync
async def test_viewer_role_behaves_like_read_only(sample_path: Path) -> None:
    from tui_helpers import tui_repo

    app = make_app(sample_path, repo=tui_repo(sample_path, role="viewer"))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert not app.can_write
        assert "nur lesen" in str(app.screen.query_one("#title").render())
        await pilot.press("p")
        assert isinstance(app.screen, ProjectsScreen)


@sync
async def test_search_combined_with_filters_matches_a_full_scan(sample_path: Path) -> None:
    """Typing on narrows the previous result; every step must equal a scan of all rows."""
    rows = expected_rows(sample_path)
    tests = {"alle": lambda r: True, "offen": lambda r: not r.completed, "abgeschlossen": lambda r: r.completed}
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen

        def check() -> None:
            query = screen.query_one("#search").value.casefold()
            dept = screen.query_one("#dept").value
            status = screen.query_one("#status").value
            want = [r.id for r in rows if query in f"{r.id} {r.name} {r.description}".casefold()
                    and (dept == "__all__" or r.department == dept) and tests[status](r)]
            assert sorted(r.id for r in screen.shown) == sorted(want), (query, dept, status)

        await pilot.press("slash")
        for ch in "an":
            await pilot.press(ch)
            check()
        await pilot.press("escape")
        await next_choice(pilot, "s")
        check()
        await pilot.press("slash", "g")
        check()
        await pilot.press("escape")
        await next_choice(pilot, "b")
        await next_choice(pilot, "s")
        check()
        await pilot.press("slash", "backspace", "backspace")
        check()
        await pilot.press("escape", "o")
        await pilot.press("slash", "e")
        check()


@sync
async def test_editor_records_only_in_own_department(sample_path: Path) -> None:
    from tui_helpers import tui_repo

    before = open_register(sample_path).audit_count()
    app = make_app(sample_path, repo=tui_repo(sample_path, user="schmitz", role="editor",
                                              departments=frozenset({"FB 11"})))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.query_one(VirtualTable)
        assert table.current.department == "AC"
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)  # refused before any dialog
        assert open_register(sample_path).audit_count() == before
        while app.screen.query_one("#dept").value != "FB 11":
            await next_choice(pilot, "b")
        row = table.current
        assert row.department == "FB 11"
        await pilot.press("p", "ctrl+u")
        await type_text(pilot, "66")
        await pilot.press("enter")
        await settle(pilot)
    stored = open_register(sample_path).get(row.id)
    assert stored.progress[YEAR] == 66
    assert open_register(sample_path).audit_for(row.id)[0].os_user == "schmitz"


@sync
async def test_search_field_returns_to_the_table(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.query_one(VirtualTable)
        for back in ("escape", "down", "enter"):
            await pilot.press("slash")
            assert app.focused is app.screen.query_one("#search")
            assert "to_table" in {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
            await pilot.press(back)
            assert app.focused is table, back
        await pilot.press("down")
        assert table.cursor == 1


@sync
async def test_dashboard_of_a_year_without_values_says_so(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await next_choice(pilot, "j")
        await settle(pilot)
        assert app.screen.year == 2021
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "Für 2021 gibt es keine Umsetzungsstände" in str(app.screen.query_one("#head").render())
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.report.year == 2019
