"""Roles from a real TOML config: who may write what, how a refusal reads, and the audit's user.

Tests run as root, so other users and groups are given to ``resolve_actor`` as ``user=`` and
``groups=``; the config lookup (``--config``, ``$SACHSTAND_CONFIG``, ``sachstand.toml``) and the
CLI run for the real OS user.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from sachstand.core import open_register
from sachstand.core.access import current_user, resolve_actor
from sachstand.core.changes import ChangeSet, ProjectUpdate
from sachstand.core.errors import PermissionDenied, SachstandError
from sachstand.core.models import NewProject

CONFIG = """
default_role = "viewer"

[[rule]]
users = ["mueller"]
role = "admin"

[[rule]]
users = ["schmitz"]
groups = ["fb11-team"]
role = "editor"
departments = ["FB 11"]

[[rule]]
users = ["{me}"]
role = "{my_role}"
departments = ["FB 11"]
"""


def write_config(path: Path, my_role: str = "viewer") -> Path:
    path.write_text(CONFIG.format(me=current_user(), my_role=my_role), encoding="utf-8")
    path.chmod(0o644)
    return path


def as_user(register: Path, config: Path, user: str, groups: set[str] | None = None):
    actor = resolve_actor(register, str(config), user=user, groups=groups if groups is not None else set())
    return open_register(register, actor=actor)


def fb(repo, dept: str):
    return next(p for p in repo.projects() if p.department == dept)


def test_editor_writes_own_department_only(sample_path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "roles.toml")
    repo = as_user(sample_path, config, "schmitz")
    assert repo.actor.role == "editor" and repo.actor.departments == {"FB 11"}
    own = fb(repo, "FB 11")
    assert repo.record_progress(own.id, 2021, 70, own.version).progress[2021] == 70

    other = fb(repo, "FB 36")
    audit_before = repo.audit_count()
    with pytest.raises(PermissionDenied) as exc:
        repo.record_progress(other.id, 2021, 70, other.version)
    msg = exc.value.message
    assert "schmitz" in msg and "Bearbeiter für FB 11" in msg
    assert "FB 36" in msg and "Administrator oder Bearbeiter für FB 36" in msg
    assert repo.get(other.id) == other
    assert repo.audit_count() == audit_before

    with pytest.raises(PermissionDenied, match="Projekte anlegen"):
        repo.create(NewProject(department="FB 36", name="Fremd"))
    with pytest.raises(PermissionDenied, match="verschieben"):
        repo.update(own.id, repo.get(own.id).version, {"department": "FB 36"})
    with pytest.raises(PermissionDenied, match="Administrator"):
        repo.add_department("FB 99")
    assert repo.audit_count() == audit_before


def test_editor_change_set_with_one_foreign_project_writes_nothing(sample_path: Path, tmp_path: Path) -> None:
    """An import is one change set: one project of another department refuses all of it."""
    config = write_config(tmp_path / "roles.toml")
    repo = as_user(sample_path, config, "schmitz")
    own, other = fb(repo, "FB 11"), fb(repo, "FB 36")
    before = {p.id: p for p in repo.projects()}
    with pytest.raises(PermissionDenied):
        repo.apply(ChangeSet(
            new_projects=[NewProject(department="FB 11", name="Neu im FB 11")],
            updates=[ProjectUpdate(own.id, own.version, {"progress:2021": 50}),
                     ProjectUpdate(other.id, other.version, {"progress:2021": 50})],
        ))
    assert {p.id: p for p in repo.projects()} == before


def test_group_membership_gives_the_role(sample_path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "roles.toml")
    actor = resolve_actor(sample_path, str(config), user="neumann", groups={"fb11-team"})
    assert (actor.role, actor.departments) == ("editor", {"FB 11"})
    nobody = resolve_actor(sample_path, str(config), user="neumann", groups={"andere"})
    assert (nobody.role, nobody.departments) == ("viewer", frozenset())


def test_viewer_reads_but_cannot_write(sample_path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "roles.toml")
    repo = as_user(sample_path, config, "gast")
    assert len(repo.projects()) == 58
    p = fb(repo, "FB 11")
    with pytest.raises(PermissionDenied) as exc:
        repo.update(p.id, p.version, {"name": "Umbenannt"})
    assert "Sie sind gast (Leser)" in exc.value.message
    assert "braucht die Rolle Administrator oder Bearbeiter für FB 11" in exc.value.message
    assert repo.get(p.id).name == p.name


def test_admin_writes_everything_and_audit_records_the_user(sample_path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "roles.toml")
    repo = as_user(sample_path, config, "mueller")
    p = fb(repo, "FB 36")
    repo.update(p.id, p.version, {"planned_cost": Decimal("1234.56")})
    entry = repo.audit_for(p.id)[0]
    assert (entry.os_user, entry.field, entry.new_value) == ("mueller", "planned_cost", "1234.56")


def test_audit_records_the_real_os_user(sample_path: Path) -> None:
    repo = open_register(sample_path)
    p = repo.projects()[0]
    repo.record_progress(p.id, 2021, 99, p.version)
    assert repo.audit_for(p.id)[0].os_user == current_user()


def test_config_found_by_flag_env_and_beside_register(cli, sample_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The real OS user is admin in one config and viewer in the others: the CLI's backup shows which one won."""
    admin_cfg = write_config(tmp_path / "admin.toml", my_role="admin")
    viewer_cfg = write_config(tmp_path / "viewer.toml", my_role="viewer")
    db = str(sample_path)

    beside = write_config(sample_path.parent / "sachstand.toml", my_role="viewer")
    r = cli("--db", db, "backup")
    assert r.code == 1
    assert (f"Fehler: Nicht erlaubt: Sie sind {current_user()} (Leser); "
            "„Sicherung anlegen“ braucht die Rolle Administrator.") in r.err
    assert "Traceback" not in r.err

    monkeypatch.setenv("SACHSTAND_CONFIG", str(admin_cfg))
    assert cli("--db", db, "backup").code == 0  # env wins over the file beside the register
    r = cli("--db", db, "--config", str(viewer_cfg), "backup")  # the flag wins over env
    assert r.code == 1 and "(Leser)" in r.err
    monkeypatch.delenv("SACHSTAND_CONFIG")
    beside.unlink()
    r = cli("--db", db, "--config", str(tmp_path / "fehlt.toml"), "backup")
    assert r.code == 2 and "fehlt.toml gibt es nicht" in r.err


def test_editor_role_through_the_cli_is_refused_admin_commands(cli, sample_path: Path, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "roles.toml", my_role="editor")
    r = cli("--db", str(sample_path), "--config", str(cfg), "restore", str(sample_path), "--yes")
    assert r.code == 1
    assert f"Sie sind {current_user()} (Bearbeiter für FB 11)" in r.err
    assert "„Register wiederherstellen“ braucht die Rolle Administrator" in r.err


def test_without_config_owner_is_admin_and_is_told_once(cli, sample_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sachstand.cli.common

    monkeypatch.setattr(sachstand.cli.common, "_notice_shown", False)  # a fresh process
    actor = resolve_actor(sample_path)
    assert actor.role == "admin"
    assert "keine Rollen-Konfiguration" in actor.notice and "Administrator" in actor.notice
    r = cli("--db", str(sample_path), "backup")
    assert r.code == 0
    assert r.err.count("keine Rollen-Konfiguration") == 1
    r = cli("--db", str(sample_path), "backup")  # the same process does not say it again
    assert r.code == 0 and "keine Rollen-Konfiguration" not in r.err


def test_without_config_others_only_read(sample_path: Path) -> None:
    actor = resolve_actor(sample_path, user="fremd", groups=set())
    assert actor.role == "viewer"
    assert f"nur der Eigentümer {current_user()} darf ändern" in actor.notice
    repo = open_register(sample_path, actor=actor)
    p = repo.projects()[0]
    with pytest.raises(PermissionDenied, match="Sie sind fremd"):
        repo.record_progress(p.id, 2021, 10, p.version)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nuser = ["x"]\nrole = "admin"\n', "Regel 1 enthält unbekannte Angaben (user)"),
        ('[[rule]]\nusers = ["x"]\nrole = "chef"\n', "Regel 1 hat keine gültige Rolle"),
        ('[[rule]]\nusers = ["x"]\nrole = "editor"\n', "ein Bearbeiter braucht eine Liste departments"),
        ('[[rule]]\nusers = "x"\nrole = "admin"\n', "müssen Listen von Texten sein"),
        ('[rule]\nusers = ["x"]\nrole = "admin"\n', "[[rule]]"),
        ('default_role = "admin\n', "kein gültiges TOML"),
        ('default_role = "root"\n', "default_role „root“ ist keine Rolle"),
        ('defaultrole = "admin"\n', "unbekannte Angaben defaultrole"),
        # structural errors (issue 9): wrong types, deep nesting, bad encodings
        ("rule = [1]\n", "Regel 1 ist keine Tabelle"),
        ('rule = ["admin"]\n', "Regel 1 ist keine Tabelle"),
        ("default_role = [1]\n", "default_role „[1]“ ist keine Rolle"),
        ('[[rule]]\nusers = ["x"]\nrole = ["admin"]\n', "Regel 1 hat keine gültige Rolle"),
        ('[[rule]]\nusers = [["x"]]\nrole = "admin"\n', "müssen Listen von Texten sein"),
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "tiefer als 32 Ebenen verschachtelt"),
        ("x = " + "{a=" * 100_000 + "1" + "}" * 100_000 + "\n", "tiefer als 32 Ebenen verschachtelt"),
        ("a" + ".a" * 100_000 + " = 1\n", "tiefer als 32 Ebenen verschachtelt"),
        ('default_role = "\udcff"\n', "nicht in UTF-8 gespeichert (Byte 17)"),
        ('default_role = "viewer"\x00\n', "kein gültiges TOML (Zeile 1, Spalte 24)"),
    ],
)
def test_bad_config_is_refused_with_a_message(cli, sample_path: Path, tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "roles.toml"
    cfg.write_bytes(text.encode("utf-8", "surrogateescape"))
    cfg.chmod(0o644)
    with pytest.raises(SachstandError, match=_re(message)):
        resolve_actor(sample_path, str(cfg), user="x", groups=set())
    r = cli("--db", str(sample_path), "--config", str(cfg), "summary", "--json")
    assert r.code == 2 and message in r.err and r.out == ""


def test_world_writable_config_is_refused(sample_path: Path, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "roles.toml", my_role="admin")
    os.chmod(cfg, 0o666)
    with pytest.raises(SachstandError, match="darf jeder ändern"):
        resolve_actor(sample_path, str(cfg))


def test_groups_of_another_user_are_not_the_process_groups(sample_path: Path, tmp_path: Path) -> None:
    """Resolving for another user must not hand them root's groups."""
    cfg = tmp_path / "roles.toml"
    cfg.write_text('[[rule]]\ngroups = ["root"]\nrole = "admin"\n', encoding="utf-8")
    cfg.chmod(0o644)
    assert resolve_actor(sample_path, str(cfg), user="nobody").role == "viewer"
    assert resolve_actor(sample_path, str(cfg)).role == "admin"  # root is in group root


def _re(text: str) -> str:
    import re

    return re.escape(text)


def filled_template(cli, db: Path, department: str, folder: Path, percent: int) -> Path:
    """Export the department's 2021 template and fill in every project's 2021 progress."""
    import openpyxl

    r = cli("--db", str(db), "export", "templates", "--year", "2021", "-o", str(folder), "--department", department)
    assert r.code == 0, r.err
    [path] = folder.glob("*.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Projekte"]
    for row in range(5, ws.max_row + 1):
        if ws.cell(row, 1).value:
            ws.cell(row, 9).value = percent
    filled = folder / f"ausgefuellt_{path.name}"
    wb.save(filled)
    return filled


def test_import_by_editor_of_another_department_writes_nothing(cli, sample_path: Path, tmp_path: Path) -> None:
    template = filled_template(cli, sample_path, "FB 11", tmp_path / "vorlagen", 55)
    cfg = write_config(tmp_path / "roles.toml", my_role="editor")
    own_cfg = tmp_path / "fb36.toml"
    own_cfg.write_text(f'[[rule]]\nusers = ["{current_user()}"]\nrole = "editor"\ndepartments = ["FB 36"]\n')
    own_cfg.chmod(0o644)
    repo = open_register(sample_path)
    before, audit = {p.id: p for p in repo.projects()}, repo.audit_count()
    r = cli("--db", str(sample_path), "--config", str(own_cfg), "import", str(template), "--apply")
    assert r.code != 0
    assert f"Sie sind {current_user()} (Bearbeiter für FB 36)" in r.out + r.err
    assert {p.id: p for p in repo.projects()} == before and repo.audit_count() == audit

    r = cli("--db", str(sample_path), "--config", str(cfg), "import", str(template), "--apply")
    assert r.code == 0, r.out + r.err  # an editor for FB 11 may import the FB 11 template
    changed = [p for p in open_register(sample_path).projects(department="FB 11") if p.progress.get(2021) == 55]
    assert changed and all(e.os_user == current_user() and e.source == "import"
                           for p in changed for e in open_register(sample_path).audit_for(p.id)[:1])
