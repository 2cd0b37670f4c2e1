"""core/changes: the one ``check`` of a change set and the typed field key."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sachstand.core.access import Actor
from sachstand.core.changes import (
    ChangeSet,
    FieldKey,
    Problem,
    ProjectUpdate,
    check,
    date_order_problem,
    parse_field_key,
    progress_key,
    progress_year,
)
from sachstand.core.models import NewProject, Project, field_label
from sachstand.core.types import parse_period


def test_field_key_round_trip() -> None:
    assert progress_key(2020) == "progress:2020"
    assert parse_field_key("progress:2020") == FieldKey("progress", 2020)
    assert str(parse_field_key("progress:2020")) == "progress:2020"
    assert parse_field_key("name") == FieldKey("name")
    assert progress_year("progress:20x0") is None
    assert progress_year("progressive") is None


def test_date_order_is_one_rule() -> None:
    assert date_order_problem(parse_period("Q 4 2020"), parse_period("01.10.2020")) is None
    assert date_order_problem(parse_period("2021"), parse_period("Q 4 2020")) == "Q 4 2020 liegt vor dem Beginn 2021"
    assert date_order_problem("2021", parse_period("2020")) is None


def test_check_lists_every_problem_with_its_field() -> None:
    editor = Actor("erika", "editor", frozenset({"FB11"}))
    changes = ChangeSet(new_projects=[
        NewProject(department="FB11", name="  "),
        NewProject(department="FB11", name="Portal", start=parse_period("2021"), end=parse_period("2020")),
        NewProject(department="FB99", name="Fremd"),
        NewProject(department="FB11", name="Gut", progress={2020: 101}),
    ])
    checked = check(changes, {}, editor, departments={"FB11", "FB99"})
    problems = checked.problems
    assert problems == [
        Problem("#1", field_label("name"), "darf nicht leer sein", "name"),
        Problem("#2", "Geplantes Ende", "2020 liegt vor dem Beginn 2021", "end"),
        Problem("#3", "", problems[2].reason),
        Problem("#4", "Umsetzungsstand 2020 (in %)", "„101“ ist keine ganze Zahl von 0 bis 100", "progress:2020"),
    ]
    assert problems[2].reason.startswith("Nicht erlaubt: Sie sind erika")
    assert [type(p.error).__name__ for p in problems] == ["InvalidValue", "InvalidValue", "PermissionDenied",
                                                          "InvalidValue"]
    assert check(ChangeSet(updates=[ProjectUpdate("FB11-001", 1, {"name": "x"})]), {}, editor).problems == [
        Problem("FB11-001", "", "Projekt FB11-001 gibt es nicht.")]


def test_check_gives_the_stored_form_of_what_passes() -> None:
    admin = Actor("root", "admin", frozenset())
    stored = Project(id="FB11-001", department="FB11", name="Portal", description="", planned_cost=None,
                     cost_note="", start=None, end=None, start_text="", end_text="", progress={2020: 40},
                     archived=False, version=3, created_at=datetime(2020, 1, 1), updated_at=datetime(2020, 1, 1))
    checked = check(ChangeSet(
        new_projects=[NewProject(department="FB11", name="  Neu  ", planned_cost=Decimal(10))],
        updates=[ProjectUpdate("FB11-001", 3, {"name": " Portal ", progress_key(2020): 50})],
    ), {"FB11-001": stored}, admin)
    assert checked.problems == []
    assert checked.new_projects[0].name == "Neu" and checked.new_projects[0].planned_cost == Decimal("10.00")
    assert checked.updates == [ProjectUpdate("FB11-001", 3, {progress_key(2020): 50})]
    checked.raise_first()  # nothing to raise


def test_a_period_given_directly_keeps_to_the_year_range(sample_path) -> None:
    """The year rule of typed-in dates (1900–2200) holds for a period handed to the core too."""
    from datetime import date

    import pytest

    from sachstand.core import open_register
    from sachstand.core.changes import ChangeSet, ProjectUpdate
    from sachstand.core.errors import InvalidValue
    from sachstand.core.types import Period

    repo = open_register(sample_path)
    p = repo.get("FB11-001")
    with pytest.raises(InvalidValue, match="1899 liegt außerhalb von 1900 bis 2200"):
        repo.apply(ChangeSet(updates=[ProjectUpdate(p.id, p.version, {"start": Period.day(date(1899, 6, 1))})]))
    assert repo.get(p.id).start == p.start


def test_a_new_project_with_an_empty_year_is_refused_before_the_write(sample_path) -> None:
    """A year listed in a new project's progress needs a value: None is refused at its field, by
    the check and by the write, and nothing is stored (the column is NOT NULL; before, the check
    let it through and DuckDB refused the INSERT)."""
    import pytest

    from sachstand.core import open_register
    from sachstand.core.errors import InvalidValue

    admin = Actor("root", "admin", frozenset())
    new = NewProject(department="FB 11", name="Leer", progress={2020: None})  # type: ignore[dict-item]
    assert check(ChangeSet(new_projects=[new]), {}, admin, departments={"FB 11"}).problems == [
        Problem("#1", "Umsetzungsstand 2020 (in %)", "darf nicht leer sein", "progress:2020")]
    repo = open_register(sample_path)
    before = len(repo.projects())
    with pytest.raises(InvalidValue, match="Umsetzungsstand 2020 \\(in %\\): darf nicht leer sein"):
        repo.apply(ChangeSet(new_projects=[new]))
    assert len(repo.projects()) == before


def test_check_of_shared_values_is_the_check_of_each_project() -> None:
    """``check`` runs a rule once per value it gave back unchanged (shared objects, repeated
    texts); each project still gets its own problems and its own stored form, as alone."""
    editor = Actor("erika", "editor", frozenset({"FB11"}))
    odd_cost, series, empty_year = Decimal("1.005"), {2020: 50}, {2020: None}
    news = [
        NewProject("FB11", "A", description="gleich", planned_cost=Decimal("1.50"), progress=series),
        NewProject("FB11", "B", description="gleich", planned_cost=odd_cost, progress=series),
        NewProject("FB11", "C", description=" gleich ", planned_cost=odd_cost, progress=series),
        NewProject("FB36", "D", description="gleich", progress=series),
        NewProject("FB36", "E", description="gleich", progress=empty_year),
        NewProject("FB11", "F", description="gleich", progress=empty_year),  # type: ignore[dict-item]
        NewProject("FB11", "G", description="x" * 40_000),
        NewProject("FB11", "H", description="x" * 40_000),
    ]
    together = check(ChangeSet(new_projects=news), {}, editor, {"FB11", "FB36"})
    alone = [check(ChangeSet(new_projects=[n]), {}, editor, {"FB11", "FB36"}) for n in news]
    assert [(p.field, p.reason, p.key) for p in together.problems] == \
           [(p.field, p.reason, p.key) for a in alone for p in a.problems]
    assert [p.project for p in together.problems] == ["#4", "#5", "#6", "#7", "#8"]
    assert together.new_projects == [n for a in alone for n in a.new_projects]
    assert together.new_projects[0] is news[0]  # already in its stored form: the project itself
    assert [n.planned_cost for n in together.new_projects[1:3]] == [Decimal("1.01")] * 2  # to the cent, each
    assert together.new_projects[2].description == "gleich"


def test_news_are_passed_a_field_at_a_time_only_when_each_would_pass_alone() -> None:
    """``news_as_they_are`` (the field-at-a-time pass of ``check``) accepts a list exactly when
    every project comes back from the per-project rules as itself; one project that any rule
    refuses or changes sends the whole list through the per-project pass, which names it."""
    from sachstand.core.changes import news_as_they_are

    editor = Actor("erika", "editor", frozenset({"FB11"}))
    known = {"FB11", "FB36"}
    good = [NewProject("FB11", f"P{i}", description="gleich", planned_cost=Decimal("1.50"), progress={2020: 5},
                       start=parse_period("Q 1 2020"), end=parse_period("2021")) for i in range(5)]
    assert news_as_they_are(good, known, editor)
    passed = check(ChangeSet(new_projects=good), {}, editor, known)
    assert passed.problems == [] and passed.new_projects == good and passed.news_checked is not None
    bad = [
        NewProject("FB36", "fremd"),  # may not create there
        NewProject("FB99", "unbekannt"),
        NewProject("FB11", " getrimmt "),  # changed by the rule: not as it is
        NewProject("FB11", "Kosten", planned_cost=Decimal("1.005")),
        NewProject("FB11", "Jahr", progress={2020: None}),  # type: ignore[dict-item]
        NewProject("FB11", "Ende", start=parse_period("2021"), end=parse_period("Q 4 2020")),
        NewProject("FB11", "Text", start=parse_period("2021"), start_text="2021"),
        NewProject("FB11", "Ende als Text", end_text=" bald "),  # trimmed: not as it is
        NewProject("FB11", "ID", id="kein Kennzeichen"),
        NewProject("FB11", "Priorität", priority=0),
    ]
    for n in bad:
        alone = check(ChangeSet(new_projects=[n]), {}, editor, known)
        assert alone.problems or alone.new_projects[0] is not n, n
        assert not news_as_they_are([*good, n], known, editor), n
        together = check(ChangeSet(new_projects=[*good, n]), {}, editor, known)
        assert [(p.field, p.reason) for p in together.problems] == [(p.field, p.reason) for p in alone.problems]
        assert together.news_checked is None


def test_a_cost_that_cannot_be_rounded_to_the_cent_is_refused_not_a_crash() -> None:
    """Not a number, infinity, a truth value and amounts beyond any rounding are refused by the
    cost rule with its own words, in whatever order the rules meet them."""
    admin = Actor("a", "admin")
    for value, reason in [(Decimal("NaN"), "genauer Eurobetrag"), (Decimal("Infinity"), "genauer Eurobetrag"),
                          (True, "genauer Eurobetrag"), (Decimal("1E+30"), "zu groß"), (10**30, "zu groß"),
                          (Decimal("-1E+30"), "negativ")]:
        found = check(ChangeSet(new_projects=[NewProject("FB11", "P", planned_cost=value)]), {}, admin, {"FB11"})
        assert [p.reason for p in found.problems if reason in p.reason], (value, found.problems)
        behind = NewProject("FB99", "P", planned_cost=value)  # an earlier refusal of its project comes first
        found = check(ChangeSet(new_projects=[behind]), {}, admin, {"FB11"})
        assert [p.reason for p in found.problems] == ["„FB99“ gibt es nicht im Register"]
