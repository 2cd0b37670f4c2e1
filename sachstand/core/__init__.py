"""The register: domain types, schema, repository, figures and findings. Imports neither io nor tui."""

from __future__ import annotations

import os
from pathlib import Path

from .access import Actor, resolve_actor
from .db import Database
from .errors import SachstandError, WriteFailed
from .models import City
from .repository import Repository


def default_register() -> Path:
    """The per-user default register: ``$XDG_DATA_HOME/sachstand/register.duckdb`` (platformdirs;
    ``~/.local/share/…`` when XDG_DATA_HOME is unset)."""
    import platformdirs

    return platformdirs.user_data_path("sachstand") / "register.duckdb"


def default_db_path(explicit: str | None = None) -> Path:
    """``--db``, else ``$SACHSTAND_DB``, else the per-user default (``default_register``)."""
    return Path(explicit or os.environ.get("SACHSTAND_DB") or default_register()).expanduser()


def open_register(path: str | os.PathLike[str], source: str = "cli", config: str | None = None,
                  actor: Actor | None = None) -> Repository:
    db = Database(path)
    return Repository(db, actor or resolve_actor(db.path, config, source))


def init_register(path: str | os.PathLike[str], sample: bool = True, config: str | None = None,
                  source: str = "cli", city: City | None = None) -> Repository:
    """Create a new register (empty, or with the 2020 sample). Refuses an existing file.

    ``city`` names the register's city; the sample is Stadt Aachen unless ``city`` says otherwise.
    """
    db = Database(path)
    if db.path.exists():
        raise SachstandError(
            f"Unter {db.path} gibt es schon eine Datei; sie wird nicht überschrieben. "
            "Bitte einen anderen Pfad mit --db wählen oder die Datei selbst entfernen."
        )
    db.create()
    repo = Repository(db, resolve_actor(db.path, config, source))
    if sample or city is not None:
        from .sample import load, sample_source  # the sample's text and figures: only when creating one

        try:
            if sample:
                load(repo, sample_source(), city)
            elif city is not None:
                repo.set_city(city)
        except BaseException as exc:
            for suffix in ("", ".wal"):
                Path(str(db.path) + suffix).unlink(missing_ok=True)
            if isinstance(exc, WriteFailed):
                failed = SachstandError(f"Das Register {db.path} wurde nicht angelegt: {exc.reason}.")
                failed.detail = exc.detail
                raise failed from None
            raise
    return repo


__all__ = ["Actor", "City", "Database", "Repository", "SachstandError", "default_db_path", "init_register",
           "open_register"]
