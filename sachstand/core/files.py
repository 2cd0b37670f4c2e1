"""Paths beside the register and byte copies of files: no SQL, no locks.

Rules:
- Backups and kept WALs live in ``<register>.backups/``; a register's WAL is ``<register>.wal``.
- A copy is flushed to disk (``fsync``) before it is renamed into place; the folder is synced
  after the rename.
"""

from __future__ import annotations

import os
from pathlib import Path

_CHUNK = 1 << 20


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
