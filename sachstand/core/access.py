"""Who may do what: roles from a TOML config, checked here and nowhere else.

Roles:
- ``admin``: everything, including backups, restore and funded projects.
- ``editor``: changes projects of the departments listed for the rule, and imports only their
  templates; creating a project in another department is refused too.
- ``viewer``: reads only.

The config is found at ``--config``, else ``$SACHSTAND_CONFIG``, else ``sachstand.toml`` beside
the register file. Its rules are tried in file order; the first whose ``users`` holds the OS user
or whose ``groups`` holds one of the user's groups decides. Nobody matched gets ``default_role``
(default ``viewer``). Without any config the owner of the register file is admin and everybody
else a viewer, and ``notice`` says so.

Example::

    default_role = "viewer"

    [[rule]]
    users = ["mueller"]
    groups = ["fb11-400"]
    role = "admin"

    [[rule]]
    users = ["schmitz"]
    role = "editor"
    departments = ["FB 11", "FB 36"]
"""

from __future__ import annotations

import grp
import os
import pwd
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PermissionDenied, SachstandError
from .files import MISSING, input_problem

ROLES = ("admin", "editor", "viewer")
ROLE_NAMES = {"admin": "Administrator", "editor": "Bearbeiter", "viewer": "Leser"}
CONFIG_NAME = "sachstand.toml"


@dataclass(frozen=True)
class Actor:
    """The person behind a change: OS user, role, and where the change comes from."""

    user: str
    role: str
    departments: frozenset[str] = field(default_factory=frozenset)
    source: str = "cli"
    source_file: str = ""
    source_sha256: str = ""
    notice: str = ""

    def with_source(self, source: str, source_file: str = "", source_sha256: str = "") -> Actor:
        return Actor(self.user, self.role, self.departments, source, source_file, source_sha256, self.notice)

    @property
    def describe(self) -> str:
        if self.role == "editor":
            depts = ", ".join(sorted(self.departments)) or "keine Bereiche"
            return f"{self.user} ({ROLE_NAMES[self.role]} für {depts})"
        return f"{self.user} ({ROLE_NAMES[self.role]})"

    def can_write(self, department: str) -> bool:
        return self.role == "admin" or (self.role == "editor" and department in self.departments)

    @property
    def can_write_any(self) -> bool:
        return self.role == "admin" or (self.role == "editor" and bool(self.departments))

    def require_write(self, department: str, action: str = "Projekte ändern") -> None:
        if not self.can_write(department):
            raise PermissionDenied(
                f"Nicht erlaubt: Sie sind {self.describe}; „{action}“ im Bereich {department} "
                f"braucht die Rolle Administrator oder Bearbeiter für {department}."
            )

    def require_admin(self, action: str) -> None:
        if self.role != "admin":
            raise PermissionDenied(
                f"Nicht erlaubt: Sie sind {self.describe}; „{action}“ braucht die Rolle Administrator."
            )


def current_user() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ.get("USER") or str(os.getuid())


def _user_groups(user: str) -> set[str]:
    """The groups of ``user``: the process's own groups only when ``user`` is this process's user."""
    names: set[str] = set()
    gids = os.getgroups() + [os.getgid()] if user == current_user() else []
    try:
        gids.append(pwd.getpwnam(user).pw_gid)
    except KeyError:
        pass
    for gid in gids:
        try:
            names.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    for g in grp.getgrall():
        if user in g.gr_mem:
            names.add(g.gr_name)
    return names


def find_config(register_path: Path, explicit: str | None = None) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if problem := input_problem(path):
            raise SachstandError(f"Die Rollen-Konfiguration {path} gibt es nicht." if problem == MISSING
                                 else f"Die Rollen-Konfiguration {path}: {problem}.")
        return path
    env = os.environ.get("SACHSTAND_CONFIG")
    if env:
        path = Path(env).expanduser()
        if problem := input_problem(path):
            raise SachstandError(f"Die Rollen-Konfiguration {path} (SACHSTAND_CONFIG) gibt es nicht." if problem == MISSING
                                 else f"Die Rollen-Konfiguration {path} (SACHSTAND_CONFIG): {problem}.")
        return path
    beside = register_path.parent / CONFIG_NAME
    return beside if beside.is_file() else None


def resolve_actor(
    register_path: Path,
    config: str | None = None,
    source: str = "cli",
    user: str | None = None,
    groups: set[str] | None = None,
) -> Actor:
    """Decide the role of ``user`` (default: the OS user) for the register at ``register_path``."""
    user = user or current_user()
    path = find_config(register_path, config)
    if path is None:
        owner = _file_owner(register_path)
        if owner is None or owner == user:
            return Actor(
                user, "admin", source=source,
                notice=f"Hinweis: keine Rollen-Konfiguration ({CONFIG_NAME}) gefunden; "
                f"{user} arbeitet als Eigentümer der Registerdatei mit der Rolle Administrator.",
            )
        return Actor(
            user, "viewer", source=source,
            notice=f"Hinweis: keine Rollen-Konfiguration gefunden; nur der Eigentümer {owner} "
            f"darf ändern, {user} kann nur lesen.",
        )
    rules, default_role = _load_config(path)
    member_of = _user_groups(user) if groups is None else groups
    for rule in rules:
        if user in rule["users"] or member_of & set(rule["groups"]):
            return Actor(user, rule["role"], frozenset(rule["departments"]), source)
    return Actor(user, default_role, frozenset(), source)


def _file_owner(path: Path) -> str | None:
    try:
        uid = path.stat().st_uid
    except FileNotFoundError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


_RULE_KEYS = {"users", "groups", "role", "departments"}


def _load_config(path: Path) -> tuple[list[dict[str, list[str] | str]], str]:
    """Read and check the config. A file others may write is refused: anyone could make
    themselves admin with it. Unknown keys are refused too, since a typo ("user") would
    otherwise quietly drop a rule."""
    if path.stat().st_mode & 0o002:
        raise SachstandError(
            f"Die Rollen-Konfiguration {path} darf jeder ändern und wird darum nicht benutzt; "
            f"bitte „chmod o-w {path}“."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SachstandError(f"Die Rollen-Konfiguration {path} ist kein gültiges TOML: {exc}") from None
    unknown_top = sorted(set(data) - {"default_role", "rule"})
    if unknown_top:
        raise SachstandError(f"{path}: unbekannte Angaben {', '.join(unknown_top)} (erlaubt: default_role, [[rule]]).")
    default_role = data.get("default_role", "viewer")
    if default_role not in ROLES:
        raise SachstandError(f"{path}: default_role „{default_role}“ ist keine Rolle ({', '.join(ROLES)}).")
    if not isinstance(data.get("rule", []), list):
        raise SachstandError(f"{path}: Regeln werden als [[rule]] geschrieben (mit doppelten Klammern).")
    rules = []
    for i, raw in enumerate(data.get("rule", []), start=1):
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise SachstandError(
                f"{path}: Regel {i} enthält unbekannte Angaben ({', '.join(unknown)}); "
                f"erlaubt sind {', '.join(sorted(_RULE_KEYS))}."
            )
        role = raw.get("role")
        if role not in ROLES:
            raise SachstandError(f"{path}: Regel {i} hat keine gültige Rolle ({', '.join(ROLES)}).")
        users, groups, depts = raw.get("users", []), raw.get("groups", []), raw.get("departments", [])
        if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in (users, groups, depts)):
            raise SachstandError(f"{path}: Regel {i}: users, groups und departments müssen Listen von Texten sein.")
        if role == "editor" and not depts:
            raise SachstandError(f"{path}: Regel {i}: ein Bearbeiter braucht eine Liste departments.")
        rules.append({"users": users, "groups": groups, "role": role, "departments": depts})
    return rules, default_role
