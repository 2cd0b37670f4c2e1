"""A short soak: four processes (repository writer, Pilot-driven TUI, summary reader, importer)
on one register file; every write a worker saw succeed must be in the register and the audit log.

The full run is ``python -m benchmarks.soak --seconds 60 --workers 8``; its counts are in the
README. Marked slow, and still run in CI.
"""

from __future__ import annotations

import pytest

from benchmarks import soak

pytestmark = pytest.mark.slow


def test_four_processes_lose_no_update() -> None:
    result = soak.run(seconds=8, workers=4)
    report = soak.table(result)
    tallies = {t["kind"]: t for t in result["tallies"]}
    assert set(tallies) == {"writer", "tui", "reader", "import"}, report
    assert all(not t["errors"] for t in result["tallies"]), report
    assert result["lost_updates"] == 0, report
    assert result["unclaimed_audit_rows"] == 0, report
    assert result["chains_broken"] == 0 and result["final_value_mismatch"] == 0, report
    assert result["figures_consistent"], report
    for kind in ("writer", "tui", "import"):
        t = tallies[kind]
        assert t["attempted"] >= 1 and t["attempted"] == t["succeeded"] + t["conflicts"], report
    assert tallies["writer"]["succeeded"] > 0 and tallies["reader"]["reads"] > 0, report
    assert result["audit_rows"] == sum(len(t["writes"]) for t in result["tallies"]) + sum(
        n for t in result["tallies"] for _sha, n in t["imports"]), report
    assert soak.ok(result), report


def test_check_notices_a_lost_update(tmp_path) -> None:
    """The check is not blind: a write a worker claims but the register lacks is counted as lost."""
    from sachstand.core import init_register

    db = str(tmp_path / "register.duckdb")
    repo = init_register(db)
    p = repo.projects()[0]
    start = repo.audit_count()
    with repo.db.read() as conn:
        start_id = conn.execute("SELECT max(id) FROM audit").fetchone()[0]
    repo.update(p.id, p.version, {"name": "Echt gespeichert"})
    real = soak.Tally("writer", 0, attempted=2, succeeded=2,
                      writes=[[p.id, "name", p.name, "Echt gespeichert"],
                              [p.id, "name", "Echt gespeichert", "Verloren"]])
    result = soak.check(db, start_id, [real])
    assert repo.audit_count() == start + 1
    assert result["lost_updates"] == 1 and result["unclaimed_audit_rows"] == 0
    stale = soak.Tally("writer", 0, attempted=1, succeeded=1, writes=[[p.id, "name", "Veraltet", "Echt gespeichert"]])
    result = soak.check(db, start_id, [stale])
    assert result["lost_updates"] == 1 and result["unclaimed_audit_rows"] == 1
