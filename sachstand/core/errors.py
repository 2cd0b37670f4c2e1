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
    errno.EDQUOT: "das Speicherkontingent ist erschöpft",
    errno.EROFS: "nur lesbares Dateisystem",
    errno.EFBIG: "die Datei wird zu groß",
    errno.EIO: "Ein-/Ausgabefehler des Datenträgers",
    errno.EMFILE: "zu viele offene Dateien",
    errno.ENAMETOOLONG: "der Dateiname ist zu lang",
    errno.EILSEQ: "der Dateiname ist kein gültiges UTF-8",
    errno.ENOMEM: "nicht genug Arbeitsspeicher",
    errno.EBUSY: "die Datei ist belegt",
    errno.EXDEV: "Ziel auf einem anderen Dateisystem",
    errno.ELOOP: "zu viele symbolische Verweise",
}
# The same causes as DuckDB (and other libraries) word them in their English messages.
_TEXT_REASONS = (
    ("no space left on device", errno.ENOSPC),
    ("disk quota exceeded", errno.EDQUOT),
    ("read-only file system", errno.EROFS),
    ("permission denied", errno.EACCES),
    ("is a directory", errno.EISDIR),
    ("not a directory", errno.ENOTDIR),
    ("no such file or directory", errno.ENOENT),
    ("file too large", errno.EFBIG),
    ("input/output error", errno.EIO),
    ("too many open files", errno.EMFILE),
    ("file name too long", errno.ENAMETOOLONG),
    ("out of memory", errno.ENOMEM),
    ("bad_cast", errno.EILSEQ),
)


def os_reason(exc: BaseException) -> str:
    """The German cause of a failed file operation or database write: from the OS error number,
    else from the English wording of the message (DuckDB's "IO Error: … No space left on
    device"). The one place where these causes are translated."""
    code = getattr(exc, "errno", None)
    if code in _OS_REASONS:
        return _OS_REASONS[code]
    text = str(exc).casefold()
    for marker, number in _TEXT_REASONS:
        if marker in text:
            return _OS_REASONS[number]
    return "Fehler des Betriebssystems (Einzelheiten mit --verbose)"


def interrupted(exc: BaseException) -> bool:
    """ctrl+c that DuckDB caught inside a query and raised again as its own error
    (``InterruptException``, ``RuntimeError: Query interrupted``, or any of its errors whose
    text carries the ``KeyboardInterrupt`` of Python code it ran, such as an import)."""
    kind = type(exc)
    duck = kind.__module__.lstrip("_").startswith("duckdb")
    return (kind.__name__ == "InterruptException" and duck) or (
        kind is RuntimeError and str(exc).strip() == "Query interrupted") or (duck and "KeyboardInterrupt" in str(exc))


class SachstandError(Exception):
    """``message`` is the German line for the user; ``detail`` the original text of a library or
    the OS, shown only with ``--verbose``."""

    exit_code = 2
    detail = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WriteFailed(SachstandError):
    """A write the OS or DuckDB refused (disk full, no permission, read-only file system)."""

    def __init__(self, what: str, exc: BaseException) -> None:
        self.reason = os_reason(exc)
        super().__init__(f"{what}: {self.reason}.")
        self.detail = f"{type(exc).__name__}: {exc}"


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
            f"Das Register {path} ist neuer als dieses Programm (Schema-Version {found}, dieses Programm "
            f"kennt nur bis Version {supported}). Bitte sachstand aktualisieren."
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

    def __init__(self, field: str, message: str, key: str = "") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.key = key
        """The field key (``name``, ``progress:2020``) when the value is a project field's, else ""."""
        self.reason = message


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


class CreatedMeanwhile(SachstandError):
    """A new project planned as absent by department and name (an import's row without an ID)
    that another writer has created since the plan was made. Nothing was written."""

    exit_code = 1

    def __init__(self, project_id: str, department: str, name: str) -> None:
        self.project_id = project_id
        super().__init__(
            f"Konflikt: das Projekt „{name}“ im Bereich {department} hat jemand anderes inzwischen angelegt "
            f"({project_id}). Nichts wurde gespeichert; bitte die Vorschau neu erstellen."
        )


#: the reason an empty required text is refused: one wording for the core, the import and the TUI
EMPTY = "darf nicht leer sein"


def first_line(error: BaseException | str) -> str:
    """The first line of an error's text (libraries write several), else the error's type name."""
    text = str(error).strip()
    if text:
        return text.splitlines()[0]
    return type(error).__name__ if isinstance(error, BaseException) else "unbekannter Fehler"
