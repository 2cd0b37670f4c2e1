"""Paths beside the register and byte copies of files: no SQL, no locks.

Rules:
- Backups and kept WALs live in ``<register>.backups/``; a register's WAL is ``<register>.wal``.
- A copy is flushed to disk (``fsync``) before it is renamed into place; the folder is synced
  after the rename.
- A file the user names as input is read only when it is a regular file (``read_input``): a
  missing file, a folder, a device (``/dev/zero``) or a pipe each get their own reason, and no
  more than the allowed bytes are read (a file that grows while read cannot smuggle more in).
"""

from __future__ import annotations

import os
from pathlib import Path

_CHUNK = 1 << 20
MISSING = "die Datei gibt es nicht"


class InputRefused(Exception):
    """A named input file that is not read; ``reason`` is a German phrase ("das ist ein Ordner")."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


def input_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None for a regular file."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return MISSING
    except NotADirectoryError:
        return "ein Teil des Pfads ist kein Ordner"
    except PermissionError:
        return "keine Berechtigung"
    except OSError as exc:
        return exc.strerror or "die Datei kann nicht gelesen werden"
    if stat.S_ISDIR(mode):
        return "das ist ein Ordner, keine Datei"
    if not stat.S_ISREG(mode):
        return "das ist keine gewöhnliche Datei (sondern ein Gerät, eine Pipe oder ein Socket)"
    return None


def read_input(path: Path, limit: int) -> bytes:
    """A regular file's bytes; ``InputRefused`` when it is not one, or has more than ``limit``
    bytes (then ``size`` is its size). Opened without blocking, checked on the open descriptor."""
    import stat

    problem = input_problem(path)
    if problem:
        raise InputRefused(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputRefused(input_problem(path) or exc.strerror or "die Datei kann nicht gelesen werden") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused("das ist keine gewöhnliche Datei (sondern ein Gerät, eine Pipe oder ein Socket)")
        if info.st_size > limit:
            raise InputRefused("zu groß", info.st_size)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputRefused("zu groß", len(data))
    return data


def backup_dir_for(path: Path) -> Path:
    return path.parent / f"{path.name}.backups"


def wal_path(path: Path) -> Path:
    return Path(f"{path}.wal")


def register_stem(register: Path) -> str:
    """The register's name without ``.duckdb``: the start of its backups' names."""
    return register.name[: -len(".duckdb")] if register.name.endswith(".duckdb") else register.name


def copy_fd(fd: int, target: Path) -> None:
    """Copy the whole file behind ``fd`` to ``target`` and flush it to disk."""
    with open(target, "wb") as out:
        offset = 0
        while chunk := os.pread(fd, _CHUNK, offset):
            out.write(chunk)
            offset += len(chunk)
        out.flush()
        os.fsync(out.fileno())


def copy_path(source: Path, target: Path) -> None:
    fd = os.open(source, os.O_RDONLY)
    try:
        copy_fd(fd, target)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
