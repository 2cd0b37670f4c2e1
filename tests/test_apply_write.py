"""core/apply: the bulk write of new projects (one text per batch) and the proof of ``check`` that
lets an import's rules run once (``NewsChecked``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sachstand.core import apply
from sachstand.core.access import Actor
from sachstand.core.changes import ChangeSet, check
from sachstand.core.db import Database
from sachstand.core.errors import InvalidValue, PermissionDenied
from sachstand.core.history import history_sql
from sachstand.core.models import Department, NewProject
from sachstand.core.repository import Repository
from sachstand.core.types import parse_period

ADMIN = Actor("tester", "admin")


def _repo(path: Path, actor: Actor = ADMIN) -> Repository:
    return Repository(Database(path), actor)


def _odd_projects() -> list[NewProject]:
    """New projects with every field that may be NULL or empty set both ways, and texts holding
    the separators of a batch's text."""
    return [
        NewProject(department="FB11", name="Alles gesetzt", description="Ein\nzweizeiliger Text; mit, Kommas",
                   planned_cost=Decimal("1234567.89"), cost_note="aus Mitteln FB 30",
                   start=parse_period("Q 3 2019"), end=parse_period("31.12.2024"),
                   progress={2019: 0, 2021: 15, 2022: 100}, priority=2, archived=True),
        NewProject(department="FB11", name="Nichts gesetzt"),
        NewProject(department="FB11", name="Nur Texte", start_text="irgendwann", end_text="offen",
                   planned_cost=Decimal("0.00"), priority=9999, progress={2020: 7}),
        NewProject(department="FB12", name="Trenner \x1e und \x1f im Namen", description="a\x1fb\x1ec",
                   cost_note="x\x1ey", progress={2018: 5, 2019: 5}),
    ]


def _stored(path: Path) -> dict[str, tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "SELECT id, department, name, description, planned_cost, cost_note, start_first, start_last, "
            "start_precision, start_text, end_first, end_last, end_precision, end_text, archived, version, "
            "priority, history_from, history FROM projects").fetchall()
        progress = conn.execute("SELECT project_id, year, percent FROM progress ORDER BY year").fetchall()
        derived = dict((r[0], (r[1], r[2])) for r in conn.execute(history_sql("(SELECT id FROM projects)")).fetchall())
    out: dict[str, tuple[object, ...]] = {r[0]: r[1:] for r in rows}
    for pid, first, text in ((p, *derived[p]) for p in out):
        assert out[pid][-2:] == (first, text), pid  # the inserted history is the one progress gives
    by_id: dict[str, dict[int, int]] = {}
    for pid, year, percent in progress:
        by_id.setdefault(pid, {})[year] = percent
    out = {pid: (*row, by_id.get(pid, {})) for pid, row in out.items()}
    return out


def test_every_field_is_stored_as_given_including_nulls_and_separators(empty_path: Path) -> None:
    repo = _repo(empty_path)
    news = _odd_projects()
    result = repo.apply(ChangeSet(new_departments=[Department("FB11", None), Department("FB12", None)], new_projects=news))
    stored = _stored(empty_path)
    assert result.created == ["FB11-001", "FB11-002", "FB11-003", "FB12-001"]
    full, empty, texts, odd = (stored[pid] for pid in result.created)
    assert full == ("FB11", "Alles gesetzt", "Ein\nzweizeiliger Text; mit, Kommas", Decimal("1234567.89"),
                    "aus Mitteln FB 30", date(2019, 7, 1), date(2019, 9, 30), "quarter", "", date(2024, 12, 31),
                    date(2024, 12, 31), "day", "", True, 1, 2, 2019, ",000,---,015,100",
                    {2019: 0, 2021: 15, 2022: 100})
    assert empty == ("FB11", "Nichts gesetzt", "", None, "", None, None, None, "", None, None, None, "", False, 1,
                     None, None, None, {})
    assert texts[3] == Decimal("0.00") and texts[8:15] == ("irgendwann", None, None, None, "offen", False, 1)
    assert texts[15:] == (9999, 2020, ",007", {2020: 7})
    assert odd[1:5] == ("Trenner \x1e und \x1f im Namen", "a\x1fb\x1ec", None, "x\x1ey")
    assert odd[-3:] == (2018, ",005,005", {2018: 5, 2019: 5})
    with duckdb.connect(str(empty_path), read_only=True) as conn:
        audit = conn.execute("SELECT entity_id, new_value, project_version FROM audit WHERE entity = 'project' "
                             "ORDER BY id").fetchall()
    assert audit == [(pid, n.name, 1) for pid, n in zip(result.created, news, strict=True)]


def test_many_batches_share_series_and_periods_and_read_back_the_same(
        empty_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More projects than a batch and more distinct series and periods than one write keeps
    (``REMEMBERED``): every project still gets its own values and history."""
    monkeypatch.setattr(apply, "INSERT_BATCH", 500)
    monkeypatch.setattr(apply, "REMEMBERED", 200)
    count = 1_307
    years = list(range(2001, 2031))
    news = []
    for i in range(count):
        series = {y: (i * 7 + y) % 101 for y in years[i % 5: i % 5 + 1 + i % 20] if (i + y) % 3}
        news.append(NewProject(department=f"FB{i % 3}", name=f"Projekt {i}", planned_cost=Decimal(i) / 100,
                               start=parse_period(f"{date(2000, 1, 1) + timedelta(days=i):%d.%m.%Y}"),
                               progress=series, priority=i % 4 or None))
    assert len({n.start for n in news}) > 2 * apply.REMEMBERED and len({id(n.progress) for n in news}) == count
    repo = _repo(empty_path)
    created = repo.apply(ChangeSet(new_departments=[Department(f"FB{i}", None) for i in range(3)],
                               new_projects=list(news)), release=True).created
    stored = _stored(empty_path)
    for pid, n in zip(created, news, strict=True):
        row = stored[pid]
        assert (row[1], row[3], row[5], row[15], row[-1]) == (n.name, n.planned_cost, n.start.first_day,
                                                            n.priority, n.progress), pid


def _plan(news: list[NewProject], actor: Actor = ADMIN, departments: set[str] | None = None) -> ChangeSet:
    """A change set as an import plans it: its new projects checked, with ``check``'s proof."""
    checked = check(ChangeSet(new_projects=news), {}, actor, departments or {n.department for n in news})
    assert not checked.problems and checked.news_checked is not None
    return ChangeSet(new_projects=news, news_checked=checked.news_checked)


def test_check_proves_only_projects_it_passed_as_they_are() -> None:
    news = [NewProject(department="FB11", name="A"), NewProject(department="FB11", name="B")]
    proof = check(ChangeSet(new_projects=news), {}, ADMIN, {"FB11"}).news_checked
    assert proof is not None and proof.covers(news) and proof.departments == {"FB11"}
    assert not proof.covers(list(reversed(news))) and not proof.covers(news[:1])
    assert not proof.covers([news[0], replace(news[1])])  # equal, but not the project checked
    untrimmed = [NewProject(department="FB11", name=" A ")]  # normalised: not passed as it is
    assert check(ChangeSet(new_projects=untrimmed), {}, ADMIN, {"FB11"}).news_checked is None
    refused = [NewProject(department="FB11", name="A", progress={2020: 101})]
    assert check(ChangeSet(new_projects=refused), {}, ADMIN, {"FB11"}).news_checked is None


def test_a_proven_plan_is_written_without_a_second_check(empty_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(empty_path)
    repo.add_department("FB11")
    cs = _plan([NewProject(department="FB11", name="A", progress={2020: 5})])
    import sachstand.core.changes as changes

    ran: list[int] = []
    rule = changes.normalise_new
    monkeypatch.setattr(changes, "normalise_new", lambda *a, **k: ran.append(1) or rule(*a, **k))
    assert repo.apply(cs).created == ["FB11-001"]
    assert ran == []  # the rules of the new project ran once, in the plan


def test_a_proof_does_not_outlive_the_state_it_rested_on(empty_path: Path) -> None:
    """What the rules depend on is asked again in the write: the department must be known there,
    the writer must be allowed there, and a progress dict changed since the check is checked."""
    repo = _repo(empty_path)
    repo.add_department("FB11")
    unknown = _plan([NewProject(department="FB99", name="A")])  # planned against another register
    with pytest.raises(InvalidValue, match="FB99"):
        repo.apply(unknown)
    editor = Actor("erika", "editor", frozenset({"FB12"}))
    with pytest.raises(PermissionDenied):
        _repo(empty_path, editor).apply(_plan([NewProject(department="FB11", name="A")]))
    series = {2020: 5}
    changed = _plan([NewProject(department="FB11", name="A", progress=series)])
    series[2021] = 150
    with pytest.raises(InvalidValue, match="150"):
        repo.apply(changed)
    swapped = _plan([NewProject(department="FB11", name="A")])
    swapped.new_projects[0] = NewProject(department="FB11", name="")
    with pytest.raises(InvalidValue, match="leer"):
        repo.apply(swapped)
    assert _stored(empty_path) == {}


def test_an_import_checks_its_new_projects_once(cli, empty_path: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's check hands its proof to the write (``ChangeSet.news_checked``): the rules of
    each new project run once per ``import --apply``, and every row is still written."""
    import openpyxl

    import sachstand.core.changes as changes

    path = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Geplante Kosten", "Umsetzungsstand 2020 (in %)"])
    for i in range(30):
        wb.active.append([f"FB {10 + i % 3}", f"Projekt {i}", 1000.25 + i, i])
    wb.save(path)
    ran: list[object] = []
    rule = changes.check_value
    monkeypatch.setattr(changes, "check_value",
                        lambda key, value: (key == "name" and ran.append(value)) or rule(key, value))
    r = cli("--db", str(empty_path), "import", str(path), "--apply")
    assert r.code == 0, r.err
    assert sorted(ran) == sorted(f"Projekt {i}" for i in range(30))
    assert len(_stored(empty_path)) == 30
