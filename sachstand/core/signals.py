"""Stop signals held back while a step must not be cut short.

Rules:
- The stop signals are ctrl+c (SIGINT), SIGTERM and SIGHUP. ``held_stops`` notes one that comes
  while its block runs, instead of acting on it; as the block ends, the handlers are put back and
  the noted signal is acted on there, as it would have been (``KeyboardInterrupt``, the command
  line's ``Stopped``, or the default action).
- It works at Python's level, not with a signal mask: the kernel hands a process's signal to any
  of its threads, and DuckDB's threads do not block it, while Python runs every handler in the
  main thread. In another thread it does nothing (only the main thread can set handlers).
- A write that is committed counts itself (``note_saved``); a command stopped after one can say
  so (``saved_count``), for the stop is acted on only after the COMMIT it came in.
- Held: loading DuckDB's engine (a ctrl+c inside its native type setup ended the process with
  "Critical nanobind error"), a write's COMMIT and CHECKPOINT (so "abgebrochen" is never said
  of a change that was saved), and the report of what a committed import saved.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def held_stops() -> Iterator[None]:
    """Hold the stop signals back while the block runs (see the module's rules)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, _frame: Any) -> None:
        noted.append(signum)

    before: dict[int, Any] = {}
    try:
        for s in STOPS:
            before[s] = signal.signal(s, note)
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if noted:
            _deliver(noted[0], before.get(noted[0]))


def _deliver(signum: int, handler: Any) -> None:
    """Act on a noted signal as its handler would have."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)


_saved = [0]


def note_saved() -> None:
    """One more write of this process is committed."""
    _saved[0] += 1


def saved_count() -> int:
    """The writes this process has committed so far, through any register."""
    return _saved[0]
