"""DuckDB, as the register's modules import it: the engine module itself.

``import duckdb`` loads the package around the engine first: its relational and expression API,
type helpers and a version lookup through ``importlib.metadata`` (with ``email`` and ``zipfile``),
about 70 ms of a short command's start, none of which the register uses. ``_duckdb`` is the
compiled engine that the package re-exports name for name (``duckdb.connect is
_duckdb.connect``, the same exception classes), so a connection, a result or an error is the
same object whichever way it was imported, and a module that imports ``duckdb`` itself works
together with these.

Rules:
- Modules on the path of a short command (``summary``, ``check``) import DuckDB as
  ``from .engine import duckdb``, or only for type hints (``TYPE_CHECKING``).
- Only names the package re-exports from the engine are used through it (``connect``, the
  exceptions, ``DuckDBPyConnection``); duckdb 2.x (``pyproject.toml``) ships the engine as
  ``_duckdb``, and the package itself is the fallback.
- Every module imports DuckDB through here, never ``import duckdb`` itself: the engine is loaded
  with SIGINT held back. A Ctrl-C while its native types were being made (nanobind's
  ``enum_create``) ended the process with "Critical nanobind error" and a traceback; held back, it
  arrives once the engine is loaded, as the ``KeyboardInterrupt`` every command answers with
  "abgebrochen".
"""

from __future__ import annotations

import signal
import threading

_HOLD = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
_before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if _HOLD else set()
try:
    try:
        import _duckdb as duckdb
    except ImportError:  # pragma: no cover - a duckdb without the separate engine module
        import duckdb  # type: ignore[no-redef]
finally:
    if _HOLD:
        signal.pthread_sigmask(signal.SIG_SETMASK, _before)

__all__ = ["duckdb"]
