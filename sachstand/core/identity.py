"""What a file at a register's place is, judged from its bytes without creating anything.

Rules:
- A path that is not valid UTF-8 cannot be handed to DuckDB (it fails with ``std::bad_cast``):
  refused with one German line, before any file is touched.
- A path that is not a regular file (a folder, ``/dev/null``, a pipe) is not a register.
- A regular file is a DuckDB file when its header carries DuckDB's magic bytes (``DUCK`` at
  offset 8). A file without them is foreign, unless it still looks like a DuckDB file whose header
  was damaged (three 4 KiB headers, then whole blocks) or has a WAL or backups beside it.
- Only real damage is called "beschädigt"; a foreign file is "kein sachstand-Register", a newer
  register "neuer als dieses Programm" (``SchemaTooNew``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import NotARegister, SachstandError

_MAGIC = b"DUCK"
_BLOCK = 4096


def check_utf8(path: str | os.PathLike[str], what: str = "Der Pfad") -> None:
    """Refuse a path whose bytes are not UTF-8 (it came from a file system in another encoding)."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        from .text import safe_text

        raise SachstandError(
            f"{what} {safe_text(text)} ist kein gültiges UTF-8 und lässt sich nicht öffnen; "
            "bitte die Datei umbenennen oder einen anderen Pfad wählen."
        ) from None


def looks_damaged(path: Path, size: int) -> bool:
    """A file DuckDB cannot read that still looks like one of its files, or that has a WAL or
    backups beside it: damaged rather than foreign."""
    looks_like = size >= 3 * _BLOCK and size % _BLOCK == 0
    return looks_like or Path(f"{path}.backups").is_dir() or os.path.exists(f"{path}.wal")


def refuse_foreign(path: Path) -> None:
    """Raise ``NotARegister`` for an existing path that cannot be a register (see the rules);
    a missing path passes (the caller decides what missing means)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        detail = "ein Ordner" if stat.S_ISDIR(st.st_mode) else "keine gewöhnliche Datei"
        raise NotARegister(str(path), detail)
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return  # unreadable: DuckDB's own open names the cause
    if head[8:12] == _MAGIC or looks_damaged(path, st.st_size):
        return
    raise NotARegister(str(path), "keine DuckDB-Datei")
