"""What the app keeps between runs, per user, in the XDG state directory (platformdirs): drafts
of unsaved edits, and the projects list's view (year, filters, sort, last project).

Rules:
- Nothing here is register data: the register file stays the only record. A file here is a
  convenience; a missing, unreadable or foreign file is ignored, never an error.
- Files are keyed by the register's resolved path, so two registers never share state.
- A draft is the unsaved edit of one project, written when the terminal hangs up (SIGHUP ends
  the app at once). It holds the typed texts and the project version they were typed on, so a
  save after restoring is checked against that version like any other save: never a lost update.
- Files are written under a temporary name and renamed, so a crash leaves the old file or the new.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "sachstand"


def state_dir() -> Path:
    """The user's state directory for sachstand (``$XDG_STATE_HOME/sachstand`` on Linux)."""
    return platformdirs.user_state_path(APP_NAME)


def _key(register: Path) -> str:
    return hashlib.sha256(str(register.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> bool:
    """Write ``data`` atomically; False if the state directory cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Draft:
    """Unsaved texts of one project (``project_id`` None: a new project not yet saved)."""

    register: str
    project_id: str | None
    year: int
    version: int | None
    texts: dict[str, str]
    saved_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))

    @property
    def saved_display(self) -> str:
        try:
            return datetime.fromisoformat(self.saved_at).strftime("%d.%m.%Y %H:%M")
        except ValueError:
            return "?"


def draft_path(register: Path) -> Path:
    return state_dir() / "drafts" / f"{_key(register)}.json"


def save_draft(register: Path, draft: Draft) -> bool:
    return _write_json(draft_path(register), asdict(draft))


def load_draft(register: Path) -> Draft | None:
    """The draft kept for ``register``, if there is a readable one for exactly this register."""
    data = _read_json(draft_path(register))
    if data is None or data.get("register") != str(register.resolve()):
        return None
    texts = data.get("texts")
    if not isinstance(texts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
        return None
    pid, year, version = data.get("project_id"), data.get("year"), data.get("version")
    if not (pid is None or isinstance(pid, str)) or not isinstance(year, int) \
            or not (version is None or isinstance(version, int)):
        return None
    return Draft(str(register.resolve()), pid, year, version, dict(texts), str(data.get("saved_at", "")))


def drop_draft(register: Path) -> None:
    with contextlib.suppress(OSError):
        draft_path(register).unlink()


# ---- the remembered view of the projects list ---------------------------------------------------

VIEW_KEYS = {"year": int, "dept": str, "status": str, "sort_key": str, "sort_reverse": bool, "project": str}


def view_path(register: Path) -> Path:
    return state_dir() / "views" / f"{_key(register)}.json"


def load_view(register: Path) -> dict[str, Any]:
    """Year, filters, sort and last project as last left for ``register``; unknown or mistyped
    entries are dropped (the screen checks the values against what the register holds)."""
    data = _read_json(view_path(register)) or {}
    if data.get("register") != str(register.resolve()):
        return {}
    out = {k: v for k, v in data.items() if k in VIEW_KEYS and type(v) is VIEW_KEYS[k]}
    year = out.get("year")
    if isinstance(year, int) and not 1900 <= year <= 2200:
        del out["year"]
    return out


def save_view(register: Path, view: dict[str, Any]) -> bool:
    return _write_json(view_path(register), {"register": str(register.resolve()), **view})
