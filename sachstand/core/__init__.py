"""The register: domain types, schema, repository, figures and findings. Imports neither io nor tui.

Importing ``sachstand.core`` (which every ``sachstand.core.x`` import does first) loads nothing
else: the names below are loaded when first used (``__getattr__``), so a command imports only the
modules it needs (``summary --json`` neither the write engine nor the entry rules).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .access import Actor
    from .db import Database
    from .errors import SachstandError
    from .models import City
    from .repository import Repository

_LAZY = {"Actor": "access", "Database": "db", "SachstandError": "errors", "WriteFailed": "errors",
         "City": "models", "Repository": "repository"}


def __getattr__(name: str) -> Any:
    """``Actor``, ``City``, ``Database``, ``Repository``, ``SachstandError``, ``WriteFailed`` on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_register() -> Path:
    """The per-user default register: ``$XDG_DATA_HOME/sachstand/register.duckdb`` (platformdirs;
    ``~/.local/share/…`` when XDG_DATA_HOME is unset)."""
    import platformdirs

    return platformdirs.user_data_path("sachstand") / "register.duckdb"


def default_db_path(explicit: str | None = None) -> Path:
    """``--db``, else ``$SACHSTAND_DB``, else the per-user default (``default_register``)."""
    return Path(explicit or os.environ.get("SACHSTAND_DB") or default_register()).expanduser()


def open_register(path: str | os.PathLike[str], source: str = "cli", config: str | None = None,
                  actor: Actor | None = None, db: Database | None = None) -> Repository:
    """The register at ``path`` for the actor of ``config`` (``access.resolve_actor``); ``db`` is
    its ``Database`` when the caller made it already (to read ahead: ``Database.read_ahead``)."""
    from .access import resolve_actor
    from .db import Database
    from .repository import Repository

    db = db or Database(path)
    return Repository(db, actor or resolve_actor(db.path, config, source))


def init_register(path: str | os.PathLike[str], sample: bool = True, config: str | None = None,
                  source: str = "cli", city: City | None = None) -> Repository:
    """Create a new register (empty, or with the 2020 sample). Refuses an existing file.

    ``city`` names the register's city; the sample is Stadt Aachen unless ``city`` says otherwise.
    The register is built under a hidden temporary name beside the target and linked into place
    only when complete, so a run killed half-way (or a full disk) never leaves a half register
    that "init" would then refuse to replace, and no other process sees one being built.
    """
    import contextlib
    import errno
    import secrets

    from .access import resolve_actor
    from .db import Database
    from .errors import SachstandError, WriteFailed
    from .repository import Repository
    from .signals import note_saved

    db = Database(path)
    if db.path.exists():
        raise _exists(db.path)
    building = Database(db.path.parent / f".{db.path.name}.init-{secrets.token_hex(4)}.tmp")
    building.counts_as_saved = False  # nothing is saved until it is linked into place
    leftovers = [building.path, Path(f"{building.path}.wal"), building.path.parent / f".{building.path.name}.lock"]
    try:
        building.create()
        repo = Repository(building, resolve_actor(db.path, config, source))
        if sample:
            from .sample import load, sample_source  # the sample's text and figures: only when creating one

            load(repo, sample_source(), city)
        elif city is not None:
            repo.set_city(city)
        try:
            os.link(building.path, db.path)  # never over a file that appeared meanwhile
        except FileExistsError:
            raise _exists(db.path) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                raise WriteFailed(f"Das Register {db.path} wurde nicht angelegt", exc) from None
            if db.path.exists():  # a file system without hard links
                raise _exists(db.path) from None
            os.rename(building.path, db.path)
        note_saved()  # the register is in place
    except WriteFailed as exc:
        failed = SachstandError(f"Das Register {db.path} wurde nicht angelegt: {exc.reason}.")
        failed.detail = exc.detail
        raise failed from None
    finally:
        for leftover in leftovers:
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    return Repository(db, resolve_actor(db.path, config, source))


def _exists(path: Path) -> SachstandError:
    from .errors import SachstandError

    return SachstandError(
        f"Unter {path} gibt es schon eine Datei; sie wird nicht überschrieben. "
        "Bitte einen anderen Pfad mit --db wählen oder die Datei selbst entfernen."
    )


__all__ = ["Actor", "City", "Database", "Repository", "SachstandError", "default_db_path", "init_register",
           "open_register"]
