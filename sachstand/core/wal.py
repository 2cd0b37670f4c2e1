"""Keeping a WAL that a crashed writer left, before DuckDB replays it.

Rules:
- A WAL found on opening that no process is writing (a crash left it) is copied into the backups
  folder before DuckDB replays it: DuckDB drops a torn WAL tail and later overwrites the WAL, and
  those bytes must never be lost quietly.
- The copy is named by the WAL's hash, so a WAL seen again (read-only opens don't replay it) is
  copied once. Both files are written under temporary names and renamed (the WAL first, the
  register copy last, which marks the pair complete); a failed copy (a full disk) leaves neither.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from .errors import SachstandError, os_reason
from .files import backup_dir_for, copy_fd, fsync_dir, register_stem, wal_path


def preserve_leftover_wal(path: Path, strict: bool = True) -> Path | None:
    """Copy a WAL of the register at ``path`` that no process is writing into the backups folder.

    Called by ``Database`` before it connects, with its in-process lock held.
    Returns the copy, or None when there was nothing to keep or a writer holds the file.
    When the copy cannot be written, ``strict`` (a write is coming, which would replay and
    replace the WAL) refuses; otherwise the read goes on, as a read-only open leaves the WAL alone.
    """
    try:
        return _preserve(path)
    except OSError as exc:
        if not strict:
            return None
        raise SachstandError(
            f"Neben dem Register {path} liegt eine WAL-Datei von einem abgebrochenen Schreibvorgang; "
            f"sie lässt sich nicht nach {backup_dir_for(path)} sichern ({os_reason(exc)}), darum wird "
            "nicht geschrieben. Bitte den Administrator fragen."
        ) from None


def _preserve(path: Path) -> Path | None:
    wal = wal_path(path)
    if not wal.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return None
        try:
            data = wal.read_bytes()
        except FileNotFoundError:
            return None
        import hashlib  # only when a WAL is left over (after a crash)

        digest = hashlib.sha256(data).hexdigest()[:16]
        directory = backup_dir_for(path)
        directory.mkdir(parents=True, exist_ok=True)
        kept = directory / f"{register_stem(path)}-wal-{digest}.duckdb"
        if not kept.exists():
            tmp = directory / f".{kept.name}.tmp"
            tmp_wal = directory / f".{kept.name}.wal.tmp"
            try:
                copy_fd(fd, tmp)
                tmp_wal.write_bytes(data)
                os.replace(tmp_wal, wal_path(kept))
                os.replace(tmp, kept)
                fsync_dir(directory)
            except BaseException:  # a full disk: no half copy stays to fill it further
                for leftover in (tmp, tmp_wal):
                    with contextlib.suppress(OSError):
                        leftover.unlink(missing_ok=True)
                raise
        return kept
    finally:
        os.close(fd)
