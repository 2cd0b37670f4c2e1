"""Real file systems for failure tests: a small tmpfs that can be filled, or made read-only.

Mounting needs root (or CAP_SYS_ADMIN); where it is not permitted the test is skipped with the
reason. The mount is removed afterwards, also when the test fails.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(base: Path, size: str = "16m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at a new folder under ``base``."""
    where = base / f"tmpfs-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"tmpfs lässt sich hier nicht einhängen (braucht root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def fill(where: Path, leave_kib: int = 32) -> Path:
    """Fill the file system of ``where`` until only ``leave_kib`` KiB are free."""
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize - leave_kib * 1024
    filler = where / "filler.bin"
    with open(filler, "wb") as f:
        if free > 0:
            os.posix_fallocate(f.fileno(), 0, free)
    return filler


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def listing(where: Path) -> list[str]:
    """Every name under ``where`` (hidden ones too), to show that no temporary file was left."""
    return sorted(str(p.relative_to(where)) for p in where.rglob("*"))
