"""What the TUI's screens read from the register, in one short read each (no SQL here).

Rules:
- A screen's data is loaded in one ``repo.db.read()``, so a load holds one connection, briefly.
- The reporting year is the given one, else the latest year with data, else today's.
- Another process's change is noticed by ``change_stamp`` (file and WAL ``stat``), polled by the
  screens every few seconds; only a changed stamp costs a read.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ..core import Repository, figures
from ..core.changes import ChangeSet, ProjectUpdate, progress_key
from ..core.models import ProjectRow

YearRows = tuple[int, list[int], list[str], list[ProjectRow]]


def load_year(repo: Repository, year: int | None, today: date) -> YearRows:
    """The reporting year (given, else the latest with data), all years, departments and rows
    (the planned projects too, which the projects screen lists only under "geplant")."""
    with repo.db.read():  # one short connection for the three reads, closed at the end
        years = repo.years()
        year = year or (years[-1] if years else today.year)
        departments = [d.code for d in repo.departments()]
        rows = figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), planned=True)
    return year, years, departments, rows


ChangeStamp = tuple[tuple[int, int] | None, tuple[int, int] | None]


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


def record_progress(repo: Repository, row_id: str, year: int, percent: int, version: int,
                    today: date) -> list[ProjectRow]:
    """Save one progress value and read the saved row back with its flags: one connection and
    one transaction for both (the read sees the write; a failed read saves nothing)."""
    with repo.db.write():
        repo.apply(ChangeSet(updates=[ProjectUpdate(row_id, version, {progress_key(year): percent})]))
        return figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), ids=[row_id])
