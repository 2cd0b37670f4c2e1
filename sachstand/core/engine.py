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
  with the stop signals held back (``signals.held_stops``). A Ctrl-C while its native types were being made (nanobind's
  ``enum_create``) ended the process with "Critical nanobind error" and a traceback; held back, it
  arrives once the engine is loaded, as the ``KeyboardInterrupt`` every command answers with
  "abgebrochen". ``uuid``, which the engine imports itself while it converts a
  result, is loaded here too: a Ctrl-C inside that import came back from the query as
  "InvalidInputException" (any such error whose text carries the ``KeyboardInterrupt`` is
  "abgebrochen" too: ``errors.interrupted``; ``zoneinfo``, for times with a zone, is left to
  that, as ``summary`` never needs it).
"""

from __future__ import annotations

from .signals import held_stops

with held_stops():
    try:
        import _duckdb as duckdb
    except ImportError:  # pragma: no cover - a duckdb without the separate engine module
        import duckdb  # type: ignore[no-redef]
    import uuid  # noqa: F401

__all__ = ["duckdb"]
