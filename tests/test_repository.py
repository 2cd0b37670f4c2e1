"""Repository writes on a real register file: versions, conflicts, audit, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sachstand.core import Repository, open_register
from sachstand.core.changes import ChangeSet, ProjectUpdate
from sachstand.core.errors import ConflictError, InvalidValue, NotFound
from sachstand.core.models import Department, NewProject
from sachstand.core.types import parse_period


def _by_name(repo: Repository, name: str):
    return next(p for p in repo.projects() if p.name == name)


def test_sample_keeps_odd_values_as_text(repo: Repository) -> None:
    briefbutler = _by_name(repo, "Briefbutler")
    assert briefbutler.start is None and briefbutler.start_text == "11.05.217"
    groupwise = _by_name(repo, "GroupWise-Update")
    assert groupwise.start == parse_period("Q 3 2019") and groupwise.start_display == "Q 3 2019"
    assert groupwise.progress == {2020: 100}
    korruption = _by_name(repo, "Korruptionsprävention")
    assert (korruption.planned_cost, korruption.cost_note) == (None, "Finanzierung über FB 30")
    schule = _by_name(repo, "Gute Schule 2020")
    assert (schule.planned_cost, schule.cost_note) == (Decimal("4000000.00"), "Fördersumme")
    assert schule.end == parse_period("Q 4 2024")
    assert _by_name(repo, "Ausbau Migewa").progress == {2019: 100}
    assert len(repo.projects()) == 58


def test_ids_are_stable_and_per_department(repo: Repository) -> None:
    ids = [p.id for p in repo.projects(department="FB 11")]
    assert sorted(ids) == [f"FB11-{n:03d}" for n in range(1, 11)]
    assert _by_name(repo, "Umstellung auf ThinClients").id == "AC-001"


def test_update_bumps_version_and_writes_audit(repo: Repository) -> None:
    p = _by_name(repo, "Softphone")
    before = repo.audit_count()
    updated = repo.update(p.id, p.version, {"description": "Neu", "planned_cost": Decimal("1234.56")})
    assert updated.version == p.version + 1
    assert (updated.description, updated.planned_cost) == ("Neu", Decimal("1234.56"))
    audit = repo.audit_for(p.id)
    assert {(a.field, a.old_value, a.new_value) for a in audit[:2]} == {
        ("description", p.description, "Neu"), ("planned_cost", "50000.00", "1234.56"),
    }
    assert audit[0].os_user == repo.actor.user and audit[0].source == "cli"
    assert repo.audit_count() == before + 2


def test_unchanged_values_write_nothing(repo: Repository) -> None:
    p = _by_name(repo, "Softphone")
    before = repo.audit_count()
    same = repo.update(p.id, p.version, {"name": p.name, "progress:2020": 10})
    assert same.version == p.version
    assert repo.audit_count() == before


def test_stale_write_is_refused_naming_field_and_both_values(sample_path: Path) -> None:
    alice, bob = open_register(sample_path), open_register(sample_path)
    seen_by_alice = alice.get("AC-006")
    seen_by_bob = bob.get("AC-006")
    bob.record_progress("AC-006", 2020, 30, seen_by_bob.version)
    with pytest.raises(ConflictError) as err:
        alice.record_progress("AC-006", 2020, 25, seen_by_alice.version)
    conflict = err.value.conflicts[0]
    assert (conflict.field, conflict.mine, conflict.theirs) == ("progress:2020", "25", "30")
    assert "Umsetzungsstand 2020" in err.value.message and "nichts wurde gespeichert" in err.value.message.lower()
    # Bob's update is not lost; Alice can reload and save on top of it.
    fresh = alice.get("AC-006")
    assert fresh.progress[2020] == 30
    assert alice.record_progress("AC-006", 2020, 35, fresh.version).progress[2020] == 35


def test_interleaved_edits_of_different_fields_lose_nothing(sample_path: Path) -> None:
    a, b = open_register(sample_path), open_register(sample_path)
    base = a.get("FB11-001")
    b.update("FB11-001", base.version, {"name": "Elektronische Personalakte (E-Akte)"})
    with pytest.raises(ConflictError):
        a.update("FB11-001", base.version, {"description": "von A"})
    a.update("FB11-001", a.get("FB11-001").version, {"description": "von A"})
    final = a.get("FB11-001")
    assert (final.name, final.description) == ("Elektronische Personalakte (E-Akte)", "von A")


def test_change_set_is_all_or_nothing(repo: Repository) -> None:
    p = _by_name(repo, "Softphone")
    before = (len(repo.projects()), repo.audit_count())
    bad = ChangeSet(
        new_projects=[NewProject(department="FB 11", name="Neu A")],
        updates=[ProjectUpdate(p.id, p.version, {"progress:2020": 55}),
                 ProjectUpdate("AC-002", 999, {"progress:2020": 101})],
    )
    with pytest.raises(InvalidValue, match="keine ganze Zahl von 0 bis 100"):
        repo.apply(bad)
    assert (len(repo.projects()), repo.audit_count()) == before
    assert repo.get(p.id).progress[2020] == 10


def test_create_assigns_ids_that_are_never_reused(repo: Repository) -> None:
    first = repo.create(NewProject(department="FB 14", name="Signaturportal", progress={2021: 10}))
    assert first.id == "FB14-002" and first.progress == {2021: 10}
    repo.archive(first.id, first.version)
    second = repo.create(NewProject(department="FB 14", name="Noch eins"))
    assert second.id == "FB14-003"
    assert repo.get(first.id).archived is True
    assert first.id not in {p.id for p in repo.projects()}


def test_new_department_and_bulk_create(repo: Repository) -> None:
    news = [NewProject(department="FB 99", name=f"Projekt {i}", planned_cost=Decimal(i)) for i in range(500)]
    result = repo.apply(ChangeSet(new_departments=[Department("FB 99", None)], new_projects=news))
    assert len(result.created) == 500 and result.created[-1] == "FB99-500"
    assert len(repo.projects(department="FB 99")) == 500


def test_refusals_name_the_rule(repo: Repository) -> None:
    p = _by_name(repo, "Softphone")
    with pytest.raises(InvalidValue, match="Name des Projektes: darf nicht leer sein"):
        repo.update(p.id, p.version, {"name": "  "})
    with pytest.raises(InvalidValue, match="liegt vor dem Beginn"):
        repo.update(p.id, p.version, {"end": parse_period("Q 1 2010")})
    with pytest.raises(InvalidValue, match="„FB 77“ gibt es nicht"):
        repo.create(NewProject(department="FB 77", name="x"))
    with pytest.raises(NotFound):
        repo.get("XX-001")
    assert repo.get(p.id).version == p.version


def test_money_columns_are_decimal_in_the_file(sample_path: Path) -> None:
    conn = duckdb.connect(str(sample_path), read_only=True)
    try:
        types = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN ('projects', 'funded_projects')"
        ).fetchall())
    finally:
        conn.close()
    assert types["planned_cost"] == "DECIMAL(14,2)"
    assert types["funding_city"] == "DECIMAL(14,2)"


def test_an_old_register_is_upgraded_and_its_history_stays_conservative(tmp_path: Path) -> None:
    """A schema-1 register (no versions in its audit) is migrated on open; changed_since then
    cannot account for the old changes, so it reports nothing for that project."""
    from sachstand.core.schema import LATEST, MIGRATIONS

    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute(MIGRATIONS[0])
    conn.execute("INSERT INTO meta VALUES ('app', 'sachstand-register'), ('schema_version', '1')")
    conn.execute("INSERT INTO departments VALUES ('FB 11', NULL)")
    conn.execute("INSERT INTO projects (id, department, name, version, created_at, updated_at) "
                 "VALUES ('FB11-001', 'FB 11', 'Alt', 2, now()::TIMESTAMP, now()::TIMESTAMP)")
    conn.execute("INSERT INTO audit (changed_at, os_user, source, entity, entity_id, field, old_value, new_value) "
                 "VALUES (now()::TIMESTAMP, 'x', 'cli', 'project', 'FB11-001', 'name', 'Uralt', 'Alt')")
    conn.close()
    repo = open_register(path)
    assert repo.get("FB11-001").name == "Alt"
    conn = duckdb.connect(str(path), read_only=True)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(LATEST)
    conn.close()
    assert repo.changed_since({"FB11-001": 1}) == {}
    repo.update("FB11-001", 2, {"name": "Neu"})
    assert repo.changed_since({"FB11-001": 2}) == {"FB11-001": {"name": "Alt"}}


def test_a_write_nested_in_a_write_joins_its_transaction(repo: Repository, sample_path: Path) -> None:
    """The TUI's save and the read of the saved row share one connection: a write nested in a
    write is the same transaction, so a failure after the inner write saves nothing."""
    project = _by_name(repo, "Briefbutler")
    audit_before = repo.audit_count()
    with pytest.raises(RuntimeError, match="after the save"), repo.db.write():
        saved = repo.record_progress(project.id, 2020, 42, project.version)
        assert saved.progress[2020] == 42 and saved.version == project.version + 1  # read inside
        raise RuntimeError("after the save")
    assert repo.get(project.id) == project and repo.audit_count() == audit_before
    assert not Path(f"{sample_path}.wal").exists()
    with repo.db.write():
        repo.record_progress(project.id, 2020, 42, project.version)
    assert repo.get(project.id).progress[2020] == 42
    assert not Path(f"{sample_path}.wal").exists()  # committed and checkpointed once, at the end
    with pytest.raises(RuntimeError, match="nested in a read"), repo.db.read():
        repo.record_progress(project.id, 2020, 43, project.version + 1)
