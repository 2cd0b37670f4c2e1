"""The planner's per-cell helpers: "same as stored" checks (the fast path that needs no parsing),
progress columns by year, and the collector that turns a parser's ``ValueError`` into a problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from ..core.access import Actor
from ..core.changes import TEXT_MAX, check_department_code, progress_year
from ..core.errors import InvalidValue, PermissionDenied
from ..core.models import Project, match_key
from ..core.types import Precision, clean_text
from . import cells
from .reader import Cell, Problem


@lru_cache(maxsize=64)
def _progress_keys(columns: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((k, year) for k in columns if (year := progress_year(k)) is not None)


def _progress_years(columns: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The progress columns of a file with their years, worked out once per file."""
    return _progress_keys(tuple(columns))


T = TypeVar("T")

SKIP = object()
# Dates written as text repeat ("Q 4 2020"); a Period is immutable, so each text is parsed once.
# A refused text raises again on each call (exceptions are not cached).
_period_text = lru_cache(maxsize=4096)(cells.period)
_TEXT_KEYS = frozenset(("name", "description", "department", "cost_note"))
# Date cells repeat as well; ``cells.period`` of a ``date`` is a ``Period`` of that day.
_period_day = lru_cache(maxsize=16384)(cells.period)


def _plain_text(raw: object) -> str | object | None:
    """``cells.text(raw)`` for the common cell, plain text (printable, so no control character, no
    line break and no noncharacter; at most half of ``TEXT_MAX`` characters, so within it however
    Excel counts them): its trimmed text, or None when blank.
    Any other cell gives ``SKIP``: it goes through ``cells.text`` and its refusals."""
    if type(raw) is str and raw.isprintable() and len(raw) <= TEXT_MAX // 2:
        return clean_text(raw) or None
    return SKIP


def _at(where: tuple[str, int]) -> str:
    return f"{where[0]}, Zeile {where[1]}"


def _same_progress(key: str, value: object, shares: frozenset[str], project: Project) -> bool:
    return key not in shares and type(value) is float and value == project.value(key)


def _same_period(key: str, value: object, shares: frozenset[str], project: Project) -> bool:
    period = project.start if key == "start" else project.end
    if period is None:
        return type(value) is str and value == (project.start_text if key == "start" else project.end_text)
    if type(value) is str:
        return value == period.format()
    return period.precision is Precision.DAY and type(value) is date and value == period.first_day


def _same_cost(key: str, value: object, shares: frozenset[str], project: Project) -> bool:
    return type(value) is float and project.planned_cost is not None and value == float(project.planned_cost)


def _same_text(key: str, value: object, shares: frozenset[str], project: Project) -> bool:
    return type(value) is str and value == getattr(project, key)


# Each says whether a cell shows exactly the stored value, so it needs no parsing (the fast path);
# anything else goes through the full parser and its checks.
_SAME = {"start": _same_period, "end": _same_period, "planned_cost": _same_cost, "name": _same_text,
         "description": _same_text, "department": _same_text, "cost_note": _same_text}


def _denied(actor: Actor, department: str, action: str) -> str:
    try:
        actor.require_write(department, action)
    except PermissionDenied as exc:
        return exc.message.removeprefix("Nicht erlaubt: ")
    return ""


@lru_cache(maxsize=1024)
def _bad_code(code: str) -> str:
    """Why ``code`` cannot become a new department (the repository's rule), or ""."""
    try:
        check_department_code(code)
    except InvalidValue as exc:
        return exc.message.removeprefix(f"{exc.field}: ")
    return ""


def forget_cells() -> None:
    """Empty the planner's caches of parsed cells. A plan that is spent calls it before a large
    write: the few thousand cached values were made among 100,000 rows' objects and keep the
    memory pages those sat on (restoring a 100,000-project register, with the plan's rows and new
    projects gone: 139 MiB resident with the caches, 81 MiB without)."""
    for cached in (_period_text, _period_day, _bad_code, _progress_keys):
        cached.cache_clear()


class _Shared:
    """One object for each distinct value of an immutable kind across a plan: dates repeat (a
    quarter, a day), costs repeat, whole progress series repeat; 100,000 new projects then hold a
    few thousand ``Period``/``Decimal`` objects and series instead of a copy each (about 40 MB at
    100,000 rows). Only a ``Decimal`` in cents (the stored form) is shared, so 1.0 and 1.00,
    which compare equal, never stand for each other; at most ``LIMIT`` values are kept, after
    which values are used as they come."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self._seen: dict[object, object] = {}

    def __call__(self, value: T) -> T:
        if value is None:
            return value
        if isinstance(value, Decimal) and value.as_tuple().exponent != -2:
            return value  # only amounts in cents are shared: equal ones then have the same text
        key: object = value
        found = self._seen.get(key)
        if found is not None:
            return found  # type: ignore[return-value]  # stored under its own key: the same kind
        if len(self._seen) < self.LIMIT:
            self._seen[key] = value
        return value

    def series(self, progress: dict[int, int]) -> dict[int, int]:
        """A progress series (never changed after planning) shared with equal ones."""
        if not progress:
            return progress
        key = tuple(progress.items())
        found = self._seen.get(key)
        if found is not None:
            return found  # type: ignore[return-value]
        if len(self._seen) < self.LIMIT:
            self._seen[key] = progress
        return progress


class _FirstSeen:
    """Where each new project's ``match_key`` was first seen: one text and
    one number per key (a tuple of two casefolded texts and a tuple of file and row cost about
    twice as much, 35 MB at 100,000 new rows)."""

    def __init__(self) -> None:
        self._files: list[str] = []
        self._file_index: dict[str, int] = {}
        self._at: dict[str, int] = {}

    def first(self, department: str, name: str, file: str, row: int) -> tuple[str, int] | None:
        """Where the key was seen before (file, row), or None; the first sighting is kept."""
        return self.first_of(match_key(department, name), file, row)

    def first_of(self, matched: tuple[str, str], file: str, row: int) -> tuple[str, int] | None:
        """``first`` for a ``match_key`` already made."""
        d, n = matched
        key = f"{len(d)}:{d}{n}"  # the length keeps the two parts apart
        found = self._at.get(key)
        if found is not None:
            return self._files[found & 0xFFFFFFFF], found >> 32
        index = self._file_index.get(file)
        if index is None:
            index = self._file_index[file] = len(self._files)
            self._files.append(file)
        self._at[key] = (row << 32) | index
        return None


class _Collector:
    """Problems of one row; ``parse`` turns a parser's ``ValueError`` into a problem at its cell."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, ref: str, value: str, message: str) -> None:
        self.items.append(Problem(self.file, ref, value, message))

    def parse(self, cell: Cell | None, parser: Callable[[object], object]):
        if cell is None:
            return None
        try:
            return parser(cell.value)
        except ValueError as exc:
            self.add(cell.ref, cells.shown(cell.value), str(exc))
            return None


