"""The report figures computed from the sample register equal the 2020 report's own table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sachstand.core import Repository, figures
from sachstand.core.errors import SachstandError
from sachstand.core.findings import findings


def test_counts_2020_match_the_report_table(repo: Repository) -> None:
    counts = figures.counts(repo.db, 2020)
    assert counts["projects"] == 57  # Ausbau Migewa finished in 2019
    assert counts["completed"] == 15
    assert counts["at_least_90"] == 7  # the slide says 8; the table gives 7
    assert counts["started"] == 7
    assert counts["stalled"] == 11


def test_report_names_the_completed_and_started_projects(repo: Repository) -> None:
    rows = {r.name: r for r in figures.project_rows(repo.db, 2020)}
    completed = {n for n, r in rows.items() if r.current == 100 and (r.previous or 0) < 100}
    assert {"ELearning bei der Stadtverwaltung", "Bewerbermanagement / SAP-Anpassungen",
            "Ferienspiele Online", "GroupWise-Update"} <= completed
    assert "Ausbau Migewa" not in rows  # completed before 2020: not open in 2020


def test_overdue_uses_the_last_day_of_the_planned_period(repo: Repository) -> None:
    end_2020 = figures.project_rows(repo.db, 2020, as_of=date(2020, 12, 31))
    assert [r.name for r in end_2020 if r.overdue] == ["Software für die Koordinierungsstelle"]
    # "Q 4 2020" ends on 31.12.2020: overdue only from 01.01.2021 on.
    next_day = figures.project_rows(repo.db, 2020, as_of=date(2021, 1, 1))
    overdue = {r.name for r in next_day if r.overdue}
    assert "Bezahlplattform" in overdue and "Migration Windows 10" in overdue
    assert "Umstellung auf ThinClients" not in overdue  # Q 4 2022


def test_report_previous_year_and_total(repo: Repository) -> None:
    report = figures.report(repo, 2020)
    completed = report.figure("completed")
    assert (completed.value, completed.total) == (15, 57)
    assert completed.previous == 1  # 2019: only Ausbau Migewa reached 100
    assert completed.change == 14
    assert all(f.rule for f in report.figures)


def test_by_department(repo: Repository) -> None:
    rows = {d.code: d for d in figures.report(repo, 2020).by_department}
    assert sum(d.projects for d in rows.values()) == 57
    fb11 = rows["FB 11"]
    assert fb11.projects == 10
    assert fb11.planned_cost == Decimal("1474300.00")
    assert fb11.mean_progress == Decimal("49.0")
    assert fb11.name == "Fachbereich Personal und Organisation"
    # "Finanzierung über FB 30" has no amount: it adds nothing to the sum.
    assert rows["FB 30"].planned_cost == Decimal("0.00")


def test_funding_sums_are_exact_to_the_cent(repo: Repository) -> None:
    funding = figures.report(repo, 2020).funding
    assert funding.total_cost == Decimal("6961704.07")
    assert funding.funding_total == Decimal("5534957.45")
    assert funding.funding_city == Decimal("3787688.99")
    assert all(isinstance(f.funding_city, Decimal) for f in funding.projects)
    assert len(funding.projects) == 9


def test_department_filter(repo: Repository) -> None:
    report = figures.report(repo, 2020, "FB 11")
    assert report.figure("projects").value == 10
    assert {r.department for r in report.rows} == {"FB 11"}


def test_unknown_department_and_year_without_data_are_refused(repo: Repository) -> None:
    with pytest.raises(SachstandError, match="Bereich „FB 99“ gibt es nicht"):
        figures.report(repo, 2020, "FB 99")
    with pytest.raises(SachstandError, match="Für 2018 gibt es keine Umsetzungsstände"):
        figures.report(repo, 2018)


def test_recording_progress_moves_the_figures(repo: Repository) -> None:
    p = next(p for p in repo.projects() if p.name == "Bezahlplattform")  # 80 → 80: stalled
    repo.record_progress(p.id, 2020, 100, p.version)
    counts = figures.counts(repo.db, 2020)
    assert counts["completed"] == 16 and counts["stalled"] == 10


def test_findings_name_the_seed_quirks(repo: Repository) -> None:
    found = findings(repo, 2020)
    text = "\n".join(f"{f.kind} {f.subject} {f.message}" for f in found)
    assert "11.05.217" in text
    assert "Finanzierung über FB 30" in text
    assert "Fördersumme" in text
    assert "341.672,42 €" in text and "341.672,41 €" in text
    assert "der Bericht nennt 8, die Tabelle ergibt 7" in text
    assert {f.kind for f in found} == {"date", "cost", "progress", "funding", "report"}


def test_each_denominator_is_the_set_the_figure_counts_over(repo: Repository) -> None:
    """2021 with four values so far: overdue counts over the projects open in 2021, not over the
    four in the report ("Überfällig 30 von 4" was wrong)."""
    for p in list(repo.projects())[:4]:
        repo.record_progress(p.id, 2021, 50, p.version)
    report = figures.report(repo, 2021, as_of=date(2021, 12, 31))
    in_report, open_in_year = len(report.in_report), len(report.rows)
    assert in_report == 4 and open_in_year > 4
    overdue = report.figure("overdue")
    assert overdue.total == open_in_year and overdue.value == len(report.overdue) > 4
    for f in report.figures:
        assert f.value <= f.total
        assert f.total == (open_in_year if f.key == "overdue" else in_report)


def test_project_rows_of_some_ids_equal_those_rows_of_all(repo: Repository) -> None:
    """The status query limited to a few IDs (the TUI's saved row) flags them exactly as the
    query over every project does, for every year and both project sets."""
    for year in repo.years():
        for open_only in (True, False):
            every = figures.project_rows(repo.db, year, open_only=open_only, planned=True)
            some = [r.id for r in every[::7]]
            assert figures.project_rows(repo.db, year, open_only=open_only, planned=True, ids=some) == \
                [r for r in every if r.id in some]
