"""Errors the register raises, each with a German message meant for the user.

Every error here is an expected situation (bad input, a lock, a stale write), so the CLI and the
TUI show ``message`` and never a traceback. ``exit_code`` follows the CLI's rule: 2 for input
that cannot be used, 1 for a refused or conflicting change.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

_OS_REASONS = {
    errno.ENOENT: "Datei oder Ordner gibt es nicht",
    errno.EISDIR: "das ist ein Ordner",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Ordner",
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EEXIST: "gibt es schon",
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EROFS: "nur lesbares Dateisystem",
}


def os_reason(exc: BaseException) -> str:
    """A German reason for a failed file operation."""
    code = getattr(exc, "errno", None)
    return _OS_REASONS.get(code, getattr(exc, "strerror", None) or str(exc))  # type: ignore[arg-type]


class SachstandError(Exception):
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RegisterMissing(SachstandError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"Kein Register unter {path}. Mit „sachstand --db {path} init“ legen Sie eines an."
        )


class NotARegister(SachstandError):
    def __init__(self, path: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{path} ist kein sachstand-Register{extra}.")


class RegisterDamaged(SachstandError):
    def __init__(self, path: str, detail: str, backup_dir: str) -> None:
        super().__init__(
            f"Das Register {path} ist beschädigt und wird nicht geöffnet ({detail}). "
            f"Nichts wurde gelöscht. Sicherungen liegen in {backup_dir}; "
            f"wiederherstellen mit „sachstand --db {path} restore SICHERUNG“."
        )


class SchemaTooNew(SachstandError):
    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"Das Register {path} hat Schema-Version {found}, dieses Programm kennt nur bis "
            f"Version {supported}. Bitte sachstand aktualisieren."
        )


class RegisterLocked(SachstandError):
    exit_code = 1

    def __init__(self, path: str, seconds: float) -> None:
        super().__init__(
            f"Das Register wird gerade von einem anderen Prozess geschrieben ({path}); "
            f"nach {seconds:.0f} s Warten aufgegeben. Bitte gleich noch einmal versuchen."
        )


class NotFound(SachstandError):
    pass


class InvalidValue(SachstandError):
    """A value that breaks a rule; ``field`` names the field in the user's words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class PermissionDenied(SachstandError):
    exit_code = 1


class PublishedYear(SachstandError):
    """A change to a published year's report (its texts, its examples, publishing it again)."""

    exit_code = 1


@dataclass(frozen=True)
class FieldConflict:
    field: str
    label: str
    mine: str
    theirs: str


class ConflictError(SachstandError):
    """A write based on a stale row version. Nothing was written."""

    exit_code = 1

    def __init__(self, project_id: str, conflicts: list[FieldConflict], version: int,
                 what: str = "das Projekt") -> None:
        self.project_id = project_id
        self.conflicts = conflicts
        self.current_version = version
        self.what = what
        if conflicts:
            detail = "; ".join(f"{c.label}: Ihr Wert „{c.mine}“, inzwischen „{c.theirs}“" for c in conflicts)
        else:
            detail = "der Datensatz wurde inzwischen geändert"
        super().__init__(
            f"Konflikt bei {project_id}: jemand anderes hat {what} inzwischen geändert "
            f"({detail}). Nichts wurde gespeichert; bitte neu laden."
        )
