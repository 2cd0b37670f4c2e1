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

import contextlib
import os
import pwd
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from .errors import PermissionDenied, SachstandError, os_reason
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
        """The same person acting through ``source``; a file name whose bytes are not UTF-8 is
        kept in the audit with those bytes written as ``\\xff`` (the register holds only UTF-8)."""
        source_file = source_file.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
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
    import grp  # only with a role config: a read without one should not pay for it

    names: set[str] = set()
    gids = [*os.getgroups(), os.getgid()] if user == current_user() else []
    with contextlib.suppress(KeyError):
        gids.append(pwd.getpwnam(user).pw_gid)
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


def import_columns(register_path: Path, config: str | None = None) -> dict[str, str]:
    """The ``[import.columns]`` table of the config: header in other cities' lists = field.

    Example::

        [import.columns]
        "Kosten (EUR)" = "Geplante Kosten"
        "Vorhaben" = "Name des Projektes"
    """
    path = find_config(register_path, config)
    if path is None:
        return {}
    import tomllib  # only with a config file: not on every command's start

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SachstandError(f"Die Konfiguration {path} ist kein gültiges TOML: {exc}") from None
    section = data.get("import", {})
    columns = section.get("columns", {}) if isinstance(section, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise SachstandError(f'{path}: [import.columns] enthält Zeilen der Form "Spalte" = "Feld".')
    return dict(columns)


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
CONFIG_MAX_BYTES = 1 << 20
CONFIG_MAX_DEPTH = 32
_TOML_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'')
_TOML_COMMENT = re.compile(r"#[^\n]*")
_TOML_POSITION = re.compile(r"\(at line ([0-9]+), column ([0-9]+)\)")


def toml_too_deep(text: str) -> bool:
    """Nesting beyond ``CONFIG_MAX_DEPTH`` (brackets, braces, or dots of a key), outside strings
    and comments. tomllib recurses on brackets and needs quadratic memory for a long dotted key
    (10,000 levels took 400 MB), so such a file is refused before it is parsed. Shared by every
    TOML file sachstand reads (the role config, a department map)."""
    bare = _TOML_COMMENT.sub("", _TOML_STRINGS.sub('""', text))
    depth = 0
    for ch in bare:
        if ch in "[{":
            depth += 1
            if depth > CONFIG_MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return any(line.count(".") > CONFIG_MAX_DEPTH for line in bare.splitlines())


def _parse_config(path: Path) -> dict[str, Any]:
    """The TOML of ``path``; every way it can be unusable is one German ``SachstandError``."""
    import tomllib  # only with a config file: not on every command's start

    from .text import safe_text

    shown = safe_text(str(path))
    try:
        raw = path.read_bytes() if path.stat().st_size <= CONFIG_MAX_BYTES else None
    except OSError as exc:
        raise SachstandError(f"Die Rollen-Konfiguration {shown} lässt sich nicht lesen ({os_reason(exc)}).") from None
    if raw is None:
        raise SachstandError(
            f"Die Rollen-Konfiguration {shown} ist größer als 1 MB; das ist keine Rollen-Konfiguration.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SachstandError(
            f"Die Rollen-Konfiguration {shown} ist nicht in UTF-8 gespeichert (Byte {exc.start + 1}); "
            "bitte als UTF-8 speichern."
        ) from None
    if toml_too_deep(text):
        raise SachstandError(
            f"Die Rollen-Konfiguration {shown} ist tiefer als {CONFIG_MAX_DEPTH} Ebenen verschachtelt; "
            "so sieht keine Rollen-Konfiguration aus."
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_POSITION.search(str(exc))
        at = f" (Zeile {where.group(1)}, Spalte {where.group(2)})" if where else ""
        raise SachstandError(f"Die Rollen-Konfiguration {shown} ist kein gültiges TOML{at}.") from None
    except RecursionError:
        raise SachstandError(
            f"Die Rollen-Konfiguration {shown} ist zu tief verschachtelt; so sieht keine Rollen-Konfiguration aus."
        ) from None


class _Rule(TypedDict):
    """One ``[[rule]]`` of the role config, checked."""

    users: list[str]
    groups: list[str]
    role: str
    departments: list[str]


def _load_config(path: Path) -> tuple[list[_Rule], str]:
    """Read and check the config. A file others may write is refused: anyone could make
    themselves admin with it. Unknown keys are refused too, since a typo ("user") would
    otherwise quietly drop a rule."""
    if path.stat().st_mode & 0o002:
        raise SachstandError(
            f"Die Rollen-Konfiguration {path} darf jeder ändern und wird darum nicht benutzt; "
            f"bitte „chmod o-w {path}“."
        )
    data = _parse_config(path)
    unknown_top = sorted(set(data) - {"default_role", "rule", "import"})
    if unknown_top:
        raise SachstandError(
            f"{path}: unbekannte Angaben {', '.join(unknown_top)} (erlaubt: default_role, [[rule]], [import.columns])."
        )
    default_role = data.get("default_role", "viewer")
    if not isinstance(default_role, str) or default_role not in ROLES:
        raise SachstandError(f"{path}: default_role „{default_role}“ ist keine Rolle ({', '.join(ROLES)}).")
    if not isinstance(data.get("rule", []), list):
        raise SachstandError(f"{path}: Regeln werden als [[rule]] geschrieben (mit doppelten Klammern).")
    rules: list[_Rule] = []
    for i, raw in enumerate(data.get("rule", []), start=1):
        if not isinstance(raw, dict):
            raise SachstandError(f"{path}: Regel {i} ist keine Tabelle; Regeln werden als [[rule]] mit "
                                 "users, groups, role und departments geschrieben.")
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise SachstandError(
                f"{path}: Regel {i} enthält unbekannte Angaben ({', '.join(unknown)}); "
                f"erlaubt sind {', '.join(sorted(_RULE_KEYS))}."
            )
        role = raw.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise SachstandError(f"{path}: Regel {i} hat keine gültige Rolle ({', '.join(ROLES)}).")
        users, groups, depts = raw.get("users", []), raw.get("groups", []), raw.get("departments", [])
        if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in (users, groups, depts)):
            raise SachstandError(f"{path}: Regel {i}: users, groups und departments müssen Listen von Texten sein.")
        if role == "editor" and not depts:
            raise SachstandError(f"{path}: Regel {i}: ein Bearbeiter braucht eine Liste departments.")
        rules.append({"users": users, "groups": groups, "role": role, "departments": depts})
    return rules, default_role
