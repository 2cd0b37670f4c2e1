"""The register's city: name and AGS in ``meta``, set at ``init`` or with ``settings``, shown in printouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sachstand.core import City, open_register
from sachstand.core.access import current_user
from sachstand.core.errors import InvalidValue, PermissionDenied


def test_sample_is_stadt_aachen(cli, sample_path: Path) -> None:
    assert open_register(sample_path).city() == City("Stadt Aachen", "05334002")
    r = cli("--db", str(sample_path), "settings")
    assert r.code == 0 and "Stadt: Stadt Aachen" in r.out and "05334002" in r.out


def test_init_sample_with_another_city_and_empty_with_a_city(cli, tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    r = cli("--db", str(demo), "init", "--sample", "--city", "Musterstadt", "--ags", "05315000")
    assert r.code == 0 and "Musterstadt (AGS 05315000)" in r.out
    assert open_register(demo).city() == City("Musterstadt", "05315000")
    assert len(open_register(demo).projects()) == 58
    empty = tmp_path / "empty.duckdb"
    assert cli("--db", str(empty), "init", "--empty", "--city", "  Stadt Düren ").code == 0
    assert open_register(empty).city() == City("Stadt Düren")
    none = tmp_path / "none.duckdb"
    assert cli("--db", str(none), "init", "--empty").code == 0
    r = cli("--db", str(none), "settings")
    assert open_register(none).city() is None and "nicht festgelegt" in r.out


@pytest.mark.parametrize("args, message", [
    (("--city", "X", "--ags", "123"), "8 Ziffern"),
    (("--city", "X", "--ags", "1234567a"), "8 Ziffern"),
    (("--city", "X", "--ags", "17000000"), "Land von 01 bis 16"),
    (("--city", "   ",), "Name der Stadt: darf nicht leer sein"),
    (("--ags", "05334002",), "--ags braucht auch --city"),
])
def test_init_refuses_a_bad_city_and_writes_nothing(cli, tmp_path: Path, args, message) -> None:
    path = tmp_path / "new.duckdb"
    r = cli("--db", str(path), "init", *args)
    assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) <= 2
    assert "Traceback" not in r.err and not path.exists()


def test_settings_change_is_audited_and_keeps_what_is_not_given(cli, sample_path: Path) -> None:
    repo = open_register(sample_path)
    before = repo.audit_count()
    assert cli("--db", str(sample_path), "settings", "--city", "Aachen").code == 0
    assert repo.city() == City("Aachen", "05334002")
    assert cli("--db", str(sample_path), "settings", "--ags", "").code == 0
    assert repo.city() == City("Aachen")
    assert repo.audit_count() == before + 2
    with repo.db.read() as conn:
        rows = conn.execute(
            "SELECT entity, field, old_value, new_value FROM audit WHERE entity = 'register' ORDER BY id"
        ).fetchall()
    assert rows[-2:] == [("register", "city_name", "Stadt Aachen", "Aachen"),
                         ("register", "city_ags", "05334002", None)]
    assert cli("--db", str(sample_path), "settings", "--city", "Aachen").code == 0
    assert repo.audit_count() == before + 2  # no change, no audit row
    r = cli("--db", str(sample_path), "settings", "--ags", "99")
    assert r.code == 2 and "8 Ziffern" in r.err and repo.city() == City("Aachen")


def test_setting_the_city_is_admin_only(sample_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "roles.toml"
    config.write_text(f'default_role = "viewer"\n[[rule]]\nusers = ["{current_user()}"]\nrole = "editor"\n'
                      'departments = ["FB 11"]\n', encoding="utf-8")
    repo = open_register(sample_path, config=str(config))
    with pytest.raises(PermissionDenied):
        repo.set_city(City("Woanders"))
    assert repo.city() == City("Stadt Aachen", "05334002")


def test_city_dataclass_validates() -> None:
    assert City(" Stadt Aachen\u00a0", " 05334002 ") == City("Stadt Aachen", "05334002")
    assert City("Aachen", "").ags is None
    for bad in ("0533400", "053340021", "00334002", "AB334002"):
        with pytest.raises(InvalidValue):
            City("Aachen", bad)
    with pytest.raises(InvalidValue):
        City("Zeile\nzwei")


def test_summary_shows_the_city(cli, sample_path: Path) -> None:
    r = cli("--db", str(sample_path), "summary")
    assert r.out.splitlines()[0].strip() == "Stadt Aachen (AGS 05334002)"
    data = json.loads(cli("--db", str(sample_path), "summary", "--json").out)
    assert (data["city"], data["ags"]) == ("Stadt Aachen", "05334002")
