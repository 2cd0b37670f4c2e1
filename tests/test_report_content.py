"""The report content of a year on real registers: the sample's 2020 texts, examples and
publication; planned projects; membership of a year; published years that never change."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from sachstand.core import Repository, figures, open_register
from sachstand.core.access import Actor
from sachstand.core.errors import ConflictError, InvalidValue, PermissionDenied, SachstandError
from sachstand.core.findings import findings
from sachstand.core.models import NewProject
from sachstand.core.report_content import (
    TEXT_KEYS,
    TextSection,
    publish,
    published_changes,
    report_content,
    save_text,
    set_examples,
    texts,
)
from sachstand.core.types import parse_period


def _id(repo: Repository, name: str) -> str:
    return next(p.id for p in repo.projects() if p.name == name)


def test_sample_2020_texts_are_the_seeds(repo: Repository) -> None:
    content = report_content(repo, 2020)
    assert [t.key for t in content.texts] == list(TEXT_KEYS)
    assert [t.title for t in content.texts] == [
        "Einleitung", "IT-Projekte in der Corona-Situation", "Geplante Projekte und Ausblick"]
    intro, corona, outlook = (t.markdown for t in content.texts)
    assert intro.startswith("Erstmals im Jahr 2019 wurde in Zusammenarbeit des Informations- und "
                            "Kommunikationsmanagements (FB11/400)")
    assert intro.endswith("nur zwei der offensichtlichen Mehrwerte.")
    assert "über 100.000 registrierten Nutzer*innen" in intro
    assert len(intro.split("\n\n")) == 7
    assert corona.startswith("Die Corona-Situation war und ist für alle Teile der Gesellschaft")
    assert "Freibades Hangeweiher" in corona and len(corona.split("\n\n")) == 8
    assert outlook.startswith("Neben den über 50 laufenden Projekten im Bereich eGovernment")
    assert "### Einführung des Dokumentenmanagement-Systems (DMS)" in outlook
    for milestone in ("- Abschluss Pilotprojekte in Q2 / 2021", "- Stadtweiter Rollout bis 2024 vorgesehen",
                      "  - 5 Einführungsprojekte in 2021 geplant", "  - Insgesamt 29 Einführungsprojekte"):
        assert milestone in outlook.split("\n")


def test_sample_examples_are_the_slides_picks_and_the_rest_default_to_the_largest(repo: Repository) -> None:
    content = report_content(repo, 2020)
    names = {k: [p.name for p in v] for k, v in content.examples.items()}
    assert names["completed"] == ["ELearning bei der Stadtverwaltung", "Bewerbermanagement / SAP-Anpassungen",
                                  "Ferienspiele Online"]
    assert names["at_least_90"] == ["Terminsprechzeiten und Aufrufanlagen", "Modul zur Bearbeitung der BEM-Fälle",
                                    "Winowig – Erweiterung Module"]
    assert names["started"] == ["Umstellung CRM-System", "Personalratsmanagement", "Ablösung ProSport"]
    # stalled: not picked in the seed, so the three largest by planned cost of the eleven
    members = figures.figure_members(repo.db, 2020)["stalled"]
    costs = sorted((-(repo.get(i).planned_cost or Decimal(0)), repo.get(i).name) for i in members)  # ties: by name
    assert len(members) == 11
    assert names["stalled"] == [n for _c, n in costs[:3]] == ["SAP Konsolidierung", "Partnerportal",
                                                              "Datenkonformes Arbeiten SAP"]


def test_the_sample_2020_report_is_published(repo: Repository) -> None:
    content = report_content(repo, 2020)
    assert content.published is not None
    assert content.published.at == datetime(2020, 11, 24)
    assert content.city == "Stadt Aachen" and content.report.city is not None
    assert [f.value for f in content.report.figures][:5] == [57, 15, 7, 7, 11]
    assert content.report.funding.funding_city == Decimal("3787688.99")
    assert len(content.projects) == len(content.report.rows) == 57
    assert [p.id for p in content.projects] == [r.id for r in content.report.rows]
    assert published_changes(repo, 2020) == []
    assert not [f for f in findings(repo) if f.kind == "published"]


def test_texts_are_saved_with_versions_and_audited(repo: Repository) -> None:
    year = 2021
    first = texts(repo, year)[0]
    assert (first.title, first.markdown, first.version) == ("Einleitung", "", 0)
    before = repo.audit_count()
    with pytest.raises(InvalidValue, match=r"Zeile 3: der Text enthält das Steuerzeichen U[+]0007"):
        save_text(repo, year, replace(first, markdown="Ein Absatz.\r\n\r\n- Punkt\x07 eins  \n"))
    assert repo.audit_count() == before
    saved = save_text(repo, year, replace(first, markdown="Ein Absatz.\r\n\r\n- Punkt\teins  \n"))
    assert saved.markdown == "Ein Absatz.\n\n- Punkt\teins"
    assert saved.version == 1
    assert repo.audit_count() == before + 2  # title (new) and text
    # saving the same again writes nothing
    assert save_text(repo, year, saved).version == 1
    assert repo.audit_count() == before + 2
    other = save_text(repo, year, replace(saved, markdown="Von Kollegin."))
    assert other.version == 2
    with pytest.raises(ConflictError, match="den Text inzwischen geändert"):
        save_text(repo, year, replace(saved, markdown="Meins."))
    assert texts(repo, year)[0].markdown == "Von Kollegin."
    with pytest.raises(InvalidValue):
        save_text(repo, year, TextSection("vorwort", "Vorwort", "x"))
    with pytest.raises(InvalidValue, match="Überschrift"):
        save_text(repo, year, replace(texts(repo, year)[1], title="  "))


def test_viewers_may_not_change_texts_examples_or_publish(sample_path) -> None:
    viewer = open_register(sample_path, actor=Actor("leser", "viewer"))
    with pytest.raises(PermissionDenied):
        save_text(viewer, 2021, TextSection("einleitung", "Einleitung", "x"))
    with pytest.raises(PermissionDenied):
        viewer.set_figure_examples(2019, "completed", [])
    with pytest.raises(PermissionDenied):
        publish(viewer, 2019)


def test_examples_are_picked_among_the_figures_projects(repo: Repository) -> None:
    completed_2019 = figures.figure_members(repo.db, 2019)["completed"]
    assert [repo.get(i).name for i in completed_2019] == ["Ausbau Migewa"]
    with pytest.raises(InvalidValue, match="zählt 2019 nicht zu „Abgeschlossen“"):
        set_examples(repo, 2019, "completed", [_id(repo, "Softphone")])
    with pytest.raises(SachstandError, match="Projekt XX-001 gibt es nicht"):
        set_examples(repo, 2019, "completed", ["XX-001"])
    with pytest.raises(SachstandError, match=re.escape("2020 ist am 24.11.2020 veröffentlicht")):
        set_examples(repo, 2020, "completed", [])
    started = figures.figure_members(repo.db, 2019)["started"]
    pick = list(reversed(started))[:2]
    set_examples(repo, 2019, "started", pick)
    assert [p.id for p in report_content(repo, 2019).examples["started"]] == pick
    set_examples(repo, 2019, "started", [])  # back to the default
    default = report_content(repo, 2019).examples["started"]
    assert len(default) == min(3, len(started))


def test_planned_projects_count_nowhere_and_are_listed_by_priority(repo: Repository) -> None:
    counts = figures.counts(repo.db, 2021)
    a = repo.create(NewProject(department="FB 56", name="Informationsplattform Sozialhilfe", priority=2,
                               end=parse_period("Q 1 2020")))
    b = repo.create(NewProject(department="FB 11", name="Arbeitsmedizin", priority=1,
                               planned_cost=Decimal("10000")))
    assert figures.counts(repo.db, 2021) == counts
    assert a.id not in {r.id for r in figures.project_rows(repo.db, 2021)}
    listed = {r.id: r for r in figures.project_rows(repo.db, 2021, planned=True)}
    assert listed[a.id].planned and not listed[a.id].overdue and listed[b.id].priority == 1
    content = report_content(repo, 2021, live=True) if 2021 in repo.years() else None
    assert content is None  # no 2021 data yet; the planned list does not need it:
    assert [p.name for p in report_content(repo, 2019).planned] == ["Arbeitsmedizin",
                                                                    "Informationsplattform Sozialhilfe"]
    # starting it: clear the priority, record progress; from then on it counts
    started = repo.update(b.id, b.version, {"priority": None, "start": parse_period("01.02.2021"),
                                            "progress:2021": 10})
    assert not started.planned
    assert figures.counts(repo.db, 2021)["projects"] == counts["projects"] + 1
    with pytest.raises(InvalidValue, match="Priorität"):
        repo.update(a.id, a.version, {"priority": 0})


def test_a_project_starting_after_the_year_is_in_no_list_of_it(repo: Repository) -> None:
    new = repo.create(NewProject(department="FB 11", name="Neu 2021", start=parse_period("Q 1 2021"),
                                 progress={2021: 10}))
    for year in (2019, 2020):
        assert new.id not in {r.id for r in figures.project_rows(repo.db, year, open_only=False)}
        assert new.id not in {i for ids in figures.figure_members(repo.db, year).values() for i in ids}
    assert new.id not in {r.id for r in figures.report(repo, 2020, live=True).rows}
    assert new.id in {r.id for r in figures.project_rows(repo.db, 2021)}


def test_a_published_year_never_changes(repo: Repository) -> None:
    before = report_content(repo, 2020)
    fb11 = figures.report(repo, 2020, "FB 11")
    p = repo.get(_id(repo, "Elektronische Personalakte"))
    repo.update(p.id, p.version, {"planned_cost": Decimal("500000"), "progress:2020": 60, "progress:2021": 70})
    repo.create(NewProject(department="FB 11", name="Neu 2021", start=parse_period("01.02.2021"),
                           progress={2021: 5}))
    soft = repo.get(_id(repo, "Softphone"))
    repo.update(soft.id, soft.version, {"progress:2020": 100})
    t = texts(repo, 2020)[0]
    with pytest.raises(SachstandError, match=re.escape("am 24.11.2020 veröffentlicht; seine Texte bleiben")):
        save_text(repo, 2020, replace(t, markdown=t.markdown + "\n\nNachtrag."))
    assert report_content(repo, 2020) == before
    assert figures.report(repo, 2020) == before.report
    assert figures.report(repo, 2020, "FB 11") == fb11
    live = figures.report(repo, 2020, live=True)
    assert [d.planned_cost for d in live.by_department if d.code == "FB 11"] == [Decimal("1504300.00")]
    changes = published_changes(repo, 2020)
    assert any(c.startswith(f"{p.id} Elektronische Personalakte: Geplante Kosten „470.000,00 €“ → „500.000,00 €“")
               for c in changes)
    assert any("Umsetzungsstand 2020 (in %) „50“ → „60“" in c for c in changes)
    assert not any("Neu 2021" in c for c in changes)  # it starts in 2021: not part of 2020
    found = [f for f in findings(repo) if f.kind == "published"]
    assert len(found) == len(changes) and found[0].subject == "Bericht 2020 (veröffentlicht am 24.11.2020)"
    assert "Kennzahl „Abgeschlossen“: veröffentlicht 15, jetzt 16" in changes
    # the previous-year column of 2021 is the published 2020, not today's recount
    assert figures.report(repo, 2020, live=True).figure("completed").value == 16
    assert figures.report(repo, 2021).figure("completed").previous == 15


def test_publish_is_audited_once_and_the_snapshot_is_stored(repo: Repository, sample_path) -> None:
    with pytest.raises(SachstandError, match=re.escape("schon am 24.11.2020 veröffentlicht")):
        publish(repo, 2020)
    with pytest.raises(SachstandError, match="keine Umsetzungsstände"):
        publish(repo, 2023)
    info = publish(repo, 2019)
    assert info.by == repo.actor.user
    conn = duckdb.connect(str(sample_path), read_only=True)
    try:
        audit = conn.execute("SELECT entity_id, new_value FROM audit WHERE entity = 'report' ORDER BY id").fetchall()
        parts = {p for (p,) in conn.execute("SELECT part FROM published_parts WHERE year = 2019").fetchall()}
    finally:
        conn.close()
    assert [a[0] for a in audit] == ["2020", "2019"]
    assert audit[1][1].endswith(f"von {repo.actor.user}")
    assert {"content", "report", "report:FB 11", "figures", "figures:FB 11"} <= parts
    assert report_content(repo, 2019).published == info


def test_a_damaged_snapshot_is_one_german_line(repo: Repository, sample_path) -> None:
    from sachstand.core import codec

    with pytest.raises(SachstandError, match=r"gespeicherter Stand \(Report\) lässt sich nicht lesen"):
        codec.loads(figures.Report, '{"year": "zwanzig"}')
    conn = duckdb.connect(str(sample_path))
    try:
        conn.execute("UPDATE published_parts SET body = '{}' WHERE year = 2020 AND part = 'report'")
    finally:
        conn.close()
    with pytest.raises(SachstandError, match="lässt sich nicht lesen"):
        figures.report(repo, 2020)
