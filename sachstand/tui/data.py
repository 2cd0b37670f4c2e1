"""What the TUI's screens read from the register, in one short read each (no SQL here).

Rules:
- A screen's data is loaded in one ``repo.db.read()``, so a load holds one connection, briefly.
- The reporting year is the given one, else the latest year with data, else today's.
- Another process's change is noticed by ``change_stamp`` (file and WAL ``stat``), polled by the
  screens every few seconds; only a changed stamp costs a read.
- Each year's rows are kept (``RowCache``) with the stamp they were read under and used again
  only while the register's stamp is the same, so switching back to a year costs no read.
- This app's own save moves the stamp on without a reload: the stamp is taken before the save
  and after it inside the same write (no other process can write in between), so the kept rows
  stay valid with the saved row put in, and a change by anyone else still shows as a new stamp.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core import Repository, figures
from ..core.changes import ChangeSet, ProjectUpdate, progress_key
from ..core.models import ProjectRow
from .project_table import columns_for, haystack_of
from .virtual_table import Column

ChangeStamp = tuple[tuple[int, int] | None, tuple[int, int] | None]

FIRST_PAGE = 100
"""Rows read and shown before the rest: more than a screen holds."""


@dataclass
class YearRows:
    """One year's rows as read, with the register's years and departments and the stamp the
    read started under (a change after it shows as a newer stamp)."""

    year: int
    years: list[int]
    departments: list[str]
    rows: list[ProjectRow]
    stamp: ChangeStamp
    haystack: dict[str, str] | None = None
    """What the search looks in, by ID (``project_table.haystack_of``), made when first shown."""
    complete: bool = True
    """False for the first page of rows handed over before the rest is read."""
    parts: tuple[list[ProjectRow], list[ProjectRow]] | None = None
    """The year's rows and the planned ones (by priority), made when first shown."""
    columns: list[Column] | None = None
    """The table's columns sized for these rows, made when first shown."""


@dataclass(frozen=True)
class Prefetch:
    """The start-up read (``load_year`` with ``first``): its first page, then all rows.

    After handing over the first page the read waits (at most ``PAINT_WAIT_SECONDS``) until the
    screen has painted it (``painted``): making the rest of the rows is Python work that would
    otherwise share the one interpreter lock with the first paint and slow it down."""

    head: Future[YearRows]
    full: Future[YearRows]
    painted: threading.Event = field(default_factory=threading.Event)


PAINT_WAIT_SECONDS = 1.0
"""How long the start-up read waits for the first paint before it goes on anyway."""


@dataclass(frozen=True)
class Saved:
    """A saved progress value: the row read back, and the register's stamp before and after."""

    rows: list[ProjectRow]
    before: ChangeStamp
    after: ChangeStamp


def change_stamp(register: Path) -> ChangeStamp:
    """A cheap sign that the register changed: modification time and size of the file and of its
    WAL. Taken with ``stat`` only, so it never opens, locks or holds the file."""

    def stat(path: Path) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    return stat(register), stat(Path(f"{register}.wal"))


def load_year(repo: Repository, year: int | None, today: date,
              first: tuple[int, Callable[[YearRows], None]] | None = None) -> YearRows:
    """The reporting year (given, else the latest with data), all years, departments and rows
    (the planned projects too, which the projects screen lists only under "geplant").

    ``first`` = (n, call): ``call`` gets the same with only the first n rows (``complete`` false)
    as soon as they are read, so a screen can paint its first page while the rest is read."""
    stamp = change_stamp(repo.db.path)  # before the read: a change during it shows as a newer stamp
    with repo.db.read():  # one short connection for the three reads, closed at the end
        years = repo.years()
        year = year or (years[-1] if years else today.year)
        departments = [d.code for d in repo.departments()]
        head = None
        if first is not None:
            call = first[1]
            head = (first[0], lambda rows: call(YearRows(year, years, departments, rows, stamp, complete=False)))
        rows = figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), planned=True,
                                    first=head)
    return prepare(YearRows(year, years, departments, rows, stamp))


def split_planned(rows: list[ProjectRow]) -> tuple[list[ProjectRow], list[ProjectRow]]:
    """The year's rows (in their order) and the planned ones, by priority, then name."""
    planned = sorted((r for r in rows if r.priority is not None), key=lambda r: (r.priority, r.name.casefold()))
    return [r for r in rows if r.priority is None], planned


def prepare(loaded: YearRows) -> YearRows:
    """What showing the rows needs besides the rows (search texts, the planned ones apart, the
    columns' widths), made in the reading thread: at 25,000 rows about 40 ms the screen would
    otherwise spend on it while keys wait."""
    rows = loaded.rows
    loaded.haystack = {r.id: haystack_of(r) for r in rows}
    loaded.parts = split_planned(rows)
    loaded.columns = columns_for(rows, loaded.year)
    return loaded


def record_progress(repo: Repository, row_id: str, year: int, percent: int, version: int,
                    today: date, committed: Callable[[list[ProjectRow]], None] | None = None) -> Saved:
    """Save one progress value and read the saved row back with its flags: one connection and
    one transaction for both (the read sees the write; a failed read saves nothing).

    ``committed`` gets the saved row as soon as the transaction is committed (durable in the
    WAL), while the file is still being checkpointed and closed."""
    path = repo.db.path
    after: list[ChangeStamp] = []
    rows: list[ProjectRow] = []
    with repo.db.write(on_closed=lambda: after.append(change_stamp(path)),
                       on_committed=(lambda: committed(rows)) if committed is not None else None):
        before = change_stamp(path)  # the file is ours now: nobody else writes until it is closed
        repo.apply(ChangeSet(updates=[ProjectUpdate(row_id, version, {progress_key(year): percent})]))
        rows.extend(figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), ids=[row_id]))
    return Saved(rows, before, after[0])


FREEZES_PER_COLLECTION = 20
"""Every so many full reads, one full garbage collection before the freeze (see ``RowCache.put``)."""


@dataclass
class Freezer:
    """Keeps what exists now out of the garbage collector's passes (``gc.freeze``), and every
    ``FREEZES_PER_COLLECTION``-th time first unfreezes and collects everything once. One per
    process (``FREEZER``), as the freeze is: several apps in one process (tests) count together."""

    count: int = 0

    def freeze(self) -> None:
        self.count += 1
        if self.count % FREEZES_PER_COLLECTION == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


FREEZER = Freezer()


@dataclass
class RowCache:
    """The years' rows read in this session, each valid while the register's stamp is its own.

    Rows put here are kept out of the garbage collector's passes (``gc.freeze``): a full pass over
    25,000 rows took 50-140 ms at any moment, a save's or a year switch's too. Rows, search texts
    and the lists holding them have no reference cycles, so they are still freed as soon as
    they are dropped. What a freeze can keep for good is cyclic garbage that happens to exist at
    that moment (a closed dialog not yet collected); so every ``FREEZES_PER_COLLECTION``-th full
    read first unfreezes and collects everything, once (``Freezer``)."""

    years: dict[int, YearRows] = field(default_factory=dict)

    def get(self, year: int, stamp: ChangeStamp) -> YearRows | None:
        kept = self.years.get(year)
        return kept if kept is not None and kept.stamp == stamp else None

    def put(self, loaded: YearRows) -> None:
        if not loaded.complete:
            return
        again = self.years.get(loaded.year) is loaded  # kept rows shown again: nothing new to freeze
        # rows of another stamp are out of date once a newer read is in
        self.years = {y: r for y, r in self.years.items() if r.stamp == loaded.stamp}
        self.years[loaded.year] = loaded
        if not again:
            FREEZER.freeze()

    def saved(self, year: int, saved: Saved) -> None:
        """Our own save of one row of ``year``: that year's rows, if read at the stamp before the
        save, take the saved row and the stamp after it. Other years are dropped (a value of Y
        changes the flags of Y+1)."""
        kept = self.years.get(year)
        self.years = {}
        if kept is None or kept.stamp != saved.before or not saved.rows or year not in kept.years:
            return
        fresh = saved.rows[0]

        def swap(rows: list[ProjectRow]) -> list[ProjectRow]:
            return [fresh if r.id == fresh.id else r for r in rows]

        haystack = None
        if kept.haystack is not None:
            haystack = {**kept.haystack, fresh.id: haystack_of(fresh)}
        # a progress value changes neither a row's place among the planned ones (by priority) nor
        # the columns' widths (ID, department): both are kept, with the fresh row put in
        parts = (swap(kept.parts[0]), swap(kept.parts[1])) if kept.parts is not None else None
        self.years[year] = YearRows(year, kept.years, kept.departments, swap(kept.rows), saved.after, haystack,
                                    parts=parts, columns=kept.columns)
