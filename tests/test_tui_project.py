"""The project screen: edit and save into the file, refuse bad input, conflicts between two apps."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tui_helpers import YEAR, make_app, settle, started, sync, type_text

from sachstand.core import open_register
from sachstand.core.types import Period
from sachstand.tui.conflict import ConflictScreen
from sachstand.tui.dialogs import ConfirmDialog, ProgressDialog
from sachstand.tui.project import ProjectScreen
from sachstand.tui.projects import ProjectsScreen


async def open_project(pilot, name: str) -> ProjectScreen:
    await pilot.press("slash")
    await type_text(pilot, name)
    await pilot.press("enter", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProjectScreen)
    return screen


async def replace(pilot, screen: ProjectScreen, field: str, text: str) -> None:
    screen.query_one(f"#f-{field}").focus()
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


@sync
async def test_edit_and_save_writes_the_file(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "briefbutler")
        pid, version = screen.project.id, screen.project.version
        await replace(pilot, screen, "planned_cost", "12.345,67")
        await replace(pilot, screen, "end", "Q 2 2021")
        await replace(pilot, screen, f"progress-{YEAR}", "80")
        assert not screen.errors
        assert "3 ungespeicherte" in str(screen.query_one("#form-status").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.project.version == version + 1
        assert "Keine ungespeicherten" in str(screen.query_one("#form-status").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert app.screen.table.current.id == pid and app.screen.table.current.current == 80
    stored = open_register(sample_path).get(pid)
    assert stored.planned_cost == Decimal("12345.67")
    assert stored.end == Period.quarter(2021, 2)
    assert stored.progress[YEAR] == 80
    assert stored.start_text == "11.05.217"  # untouched odd text stays as it was
    fields = {a.field for a in open_register(sample_path).audit_for(pid)}
    assert {"planned_cost", "end", f"progress:{YEAR}"} <= fields


@sync
async def test_invalid_input_is_shown_as_you_type_and_nothing_is_written(sample_path: Path) -> None:
    before = open_register(sample_path).audit_count()
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "briefbutler")
        cases = {
            "planned_cost": ("12,345", "Eurobetrag"),
            "end": ("31.02.2021", "gültiges Datum"),
            "start": ("Q5 2020", "Quartal 5"),
            f"progress-{YEAR}": ("101", "ganze Zahl von 0 bis 100"),
            "name": ("", "fehlt"),
        }
        for field, (text, message) in cases.items():
            await replace(pilot, screen, field, text)
            shown = str(screen.query_one(f"#e-{field}").render())
            assert message in shown, (field, shown)
            assert screen.query_one(f"#f-{field}").has_class("invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        assert "fehlerhaft" in str(screen.query_one("#form-status").render())
        await replace(pilot, screen, f"progress-{YEAR}", "70")
        assert not screen.query_one(f"#f-progress-{YEAR}").has_class("invalid")
    assert open_register(sample_path).audit_count() == before


@sync
async def test_leaving_with_unsaved_changes_asks_first(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "briefbutler")
        await replace(pilot, screen, "name", "Briefbutler neu")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert app.screen is screen
        assert screen.query_one("#f-name").value == "Briefbutler neu"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
    assert open_register(sample_path).get(screen.project.id).name == "Briefbutler"


@sync
async def test_new_project_and_archive(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectScreen) and screen.project is None
        await replace(pilot, screen, "name", "Digitale Akte")
        await replace(pilot, screen, "planned_cost", "50.000")
        await replace(pilot, screen, "start", "Q 1 2020")
        await replace(pilot, screen, f"progress-{YEAR}", "10")
        await pilot.press("f2")
        await settle(pilot)
        created = screen.project
        assert created is not None and created.name == "Digitale Akte"
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert created.id not in {r.id for r in app.screen.all_rows}
    stored = open_register(sample_path).get(created.id)
    assert stored.archived and stored.planned_cost == Decimal("50000.00")
    assert stored.start == Period.quarter(2020, 1) and stored.progress == {YEAR: 10}


@sync
async def test_two_apps_one_file_conflict_loses_nothing(sample_path: Path) -> None:
    """Two users open the same project; the second save meets the first one's change."""
    first = make_app(sample_path)
    second = make_app(sample_path)
    async with first.run_test(size=(80, 24)) as p1, second.run_test(size=(80, 24)) as p2:
        await started(p1)
        await started(p2)
        s1 = await open_project(p1, "briefbutler")
        s2 = await open_project(p2, "briefbutler")
        pid = s1.project.id
        await replace(p1, s1, "name", "Briefbutler (Team A)")
        await p1.press("ctrl+s")
        await settle(p1)
        assert s1.project.name == "Briefbutler (Team A)"
        await replace(p2, s2, "name", "Briefbutler (Team B)")
        await replace(p2, s2, "planned_cost", "10.000")
        await p2.press("ctrl+s")
        await settle(p2)
        conflict = second.screen
        assert isinstance(conflict, ConflictScreen)
        fields = {c.field: c for c in conflict.error.conflicts}
        assert fields["name"].theirs == "Briefbutler (Team A)" and fields["name"].mine == "Briefbutler (Team B)"
        assert "planned_cost" in fields
        stored = open_register(sample_path).get(pid)
        assert stored.name == "Briefbutler (Team A)" and stored.planned_cost == Decimal("9000.00")
        await p2.press("m")
        await settle(p2)
        assert second.screen is s2
        assert s2.project.name == "Briefbutler (Team A)"
        assert s2.query_one("#f-name").value == "Briefbutler (Team B)"
        assert s2.query_one("#f-planned_cost").value == "10.000"
        await p2.press("ctrl+s")
        await settle(p2)
        assert second.screen is s2 and not s2.dirty
    stored = open_register(sample_path).get(pid)
    assert stored.name == "Briefbutler (Team B)" and stored.planned_cost == Decimal("10000.00")
    audit = open_register(sample_path).audit_for(pid)
    names = [(a.old_value, a.new_value) for a in audit if a.field == "name"]
    assert ("Briefbutler (Team A)", "Briefbutler (Team B)") in names
    assert ("Briefbutler", "Briefbutler (Team A)") in names


@sync
async def test_progress_conflict_from_the_table(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        row = app.screen.table.current
        other = open_register(sample_path)
        other.update(row.id, row.version, {"name": "Umbenannt von nebenan"})
        await pilot.press("p", "ctrl+u")
        await type_text(pilot, "55")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        assert app.screen.error.conflicts[0].mine == "55"
        assert app.screen.both == [] and [c.mine for c in app.screen.mine_only] == ["55"]  # only I changed it
        await pilot.press("m")  # as the screen says: reload, my value stays, then save again
        await settle(pilot)
        assert isinstance(app.screen, ProgressDialog) and app.screen.query_one("#percent").value == "55"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
    stored = open_register(sample_path).get(row.id)
    assert stored.name == "Umbenannt von nebenan" and stored.progress[YEAR] == 55


@sync
async def test_project_screen_shows_history_funding_and_audit(sample_path: Path) -> None:
    from tui_helpers import static_text

    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "elektronischer posteingang")
        assert screen.project.id == "AC-003"
        funded = screen.query_one("#funded")
        assert funded.display
        text = static_text(funded, width=120)
        assert "egov multidigital" in text and "Koordinator und Projektleiter" in text
        history = static_text(screen.query_one("#history"))
        assert "2019" in history and "30 %" in history and "100 %" in history
        assert "angelegt" in static_text(screen.query_one("#audit"), width=120)
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_project(pilot, "briefbutler")
        assert not screen.query_one("#funded").display


def test_audit_values_read_like_the_form() -> None:
    from sachstand.tui.fields import audit_value

    assert audit_value("planned_cost", "150000.00") == "150.000,00 €"
    assert audit_value("planned_cost", None) == "–"
    assert audit_value("name", "[/] Name") == "[/] Name"


@sync
async def test_conflict_keeps_my_department_too(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "briefbutler")
        pid, version = screen.project.id, screen.project.version
        open_register(sample_path).update(pid, version, {"description": "von nebenan"})
        screen.query_one("#f-department").value = "FB 11"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("m")
        await settle(pilot)
        assert app.screen is screen and screen.query_one("#f-department").value == "FB 11"
        await pilot.press("ctrl+s")
        await settle(pilot)
    stored = open_register(sample_path).get(pid)
    assert stored.department == "FB 11" and stored.description == "von nebenan"


@sync
async def test_an_end_before_the_start_is_marked_at_the_end_field_by_the_cores_check(sample_path: Path) -> None:
    """The date order is ``changes.check``'s rule: the form runs it at ctrl+s and puts the core's
    message under "Geplantes Ende"; nothing is written, and a later start lets the save through."""
    from sachstand.core.changes import date_order_problem
    from sachstand.core.types import parse_period

    before = open_register(sample_path).audit_count()
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = await open_project(pilot, "briefbutler")
        await replace(pilot, screen, "start", "Q 2 2021")
        await replace(pilot, screen, "end", "31.12.2020")
        await settle(pilot)
        assert not screen.errors  # each field on its own is fine
        await pilot.press("ctrl+s")
        await settle(pilot)
        reason = date_order_problem(parse_period("Q 2 2021"), parse_period("31.12.2020"))
        assert reason is not None and reason in str(screen.query_one("#e-end").render())
        assert screen.query_one("#f-end").has_class("invalid")
        assert open_register(sample_path).audit_count() == before
        await replace(pilot, screen, "start", "Q 2 2020")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not screen.errors
    assert open_register(sample_path).audit_count() > before
