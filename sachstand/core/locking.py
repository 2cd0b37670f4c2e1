"""Locks on the register file: the in-process lock, the turnstile, DuckDB's own file lock, retries.

Rules:
- Inside one process, openers of one file are serialised by a re-entrant lock per path
  (``lock_for``), because DuckDB refuses a second connection to the same file with other settings.
- Across processes, every opener first passes the turnstile (an ``flock`` on a small lock file
  beside the register), so a stream of readers cannot starve a writer. The lock file is never
  opened through a symlink.
- ``file_lock`` holds the same POSIX lock DuckDB takes (shared or exclusive), for byte copies.
- Every wait for a lock is one loop (``retry``): growing, jittered pauses until the timeout,
  then ``RegisterLocked``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .errors import RegisterLocked

T = TypeVar("T")

_process_locks: dict[str, threading.RLock] = {}
_process_locks_guard = threading.Lock()


class Busy(Exception):
    """Raised by an attempt passed to ``retry``: the lock is held elsewhere, try again."""


def lock_for(path: str | os.PathLike[str]) -> threading.RLock:
    """The in-process lock of one register file."""
    with _process_locks_guard:
        return _process_locks.setdefault(str(path), threading.RLock())


def retry(attempt: Callable[[], T], path: str | os.PathLike[str], timeout: float,
          first_pause: float = 0.01, max_pause: float = 0.25) -> T:
    """Call ``attempt`` until it does not raise ``Busy``; pauses grow by 1.6 up to ``max_pause``,
    with jitter. After ``timeout`` seconds, ``RegisterLocked`` names ``path``."""
    deadline = time.monotonic() + timeout
    pause = first_pause
    while True:
        try:
            return attempt()
        except Busy:
            if time.monotonic() >= deadline:
                raise RegisterLocked(str(path), timeout) from None
            import random  # only while another process holds the file

            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.6, max_pause)


@contextmanager
def turnstile(path: Path, timeout: float, hold: bool) -> Iterator[None]:
    """Queue writers ahead of new readers, so a stream of readers cannot starve a write.

    DuckDB's file lock favours nobody: with a few readers always holding the file, a writer
    rarely finds a gap. So every opener first takes an exclusive ``flock`` on a small lock
    file beside the register: a reader lets go at once, a writer keeps it until its write is
    done; readers arriving meanwhile wait for it. Without the rights to open that file, the
    turnstile is skipped.
    """
    fd = _open_lock_file(path.parent / f".{path.name}.lock")
    if fd is None:
        yield
        return

    def take() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy from None

    try:
        retry(take, path, timeout, first_pause=0.005, max_pause=0.1)
        if not hold:
            fcntl.flock(fd, fcntl.LOCK_UN)
        yield
    finally:
        os.close(fd)


@contextmanager
def file_lock(path: Path, timeout: float, exclusive: bool) -> Iterator[int | None]:
    """Hold DuckDB's own lock on the register (shared or exclusive), after the in-process lock
    and the turnstile. Yields the locked descriptor, or None when the file does not exist.

    POSIX locks belong to the process and are released when *any* descriptor of the file is
    closed, so while it is held the file is read only through the yielded descriptor.
    """
    with lock_for(path), turnstile(path, timeout, hold=exclusive):
        try:
            fd = os.open(path, os.O_RDWR if exclusive else os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return

        def take() -> None:
            try:
                fcntl.lockf(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except OSError:
                raise Busy from None

        try:
            retry(take, path, timeout)
            yield fd
        finally:
            os.close(fd)


def _open_lock_file(path: Path) -> int | None:
    """The turnstile's lock file, never through a symlink: planted in a shared folder, a link would
    make every opener create or lock a file elsewhere (as root, anywhere). Then the turnstile is
    skipped, as without the rights to open the file."""
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError:
            continue
    return None
