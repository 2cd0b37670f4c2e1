"""Each project's progress values as one short text on its ``projects`` row, kept current on write.

``projects.history_from`` is the project's first year with a value; ``projects.history`` holds
its values from that year on, four characters a year: a comma, then the percent as three digits,
or ``---`` for a year without a value (``",000,015,---,100"``: 0 % in the first year, 15 % in the
second, none in the third, 100 % in the fourth). Both are NULL for a project without values.
``figures.status_sql`` reads p(Y), p(Y-1) and the values before Y from it by position, so the
report's figures need neither a pass over ``progress`` grouped by the text project ID nor a join
on it (at 100,000 projects × 10 years: about 15 ms instead of 70 ms).

Rules:
- ``progress`` stays the truth; the text is derived from it only here (``refresh_sql``, and
  ``history_of_lists`` for new projects, from the same SQL fragments).
- Every write of ``progress`` calls ``keep_history`` in its transaction with the projects whose
  values it changed (the write engine does, once per apply); new projects get theirs in their
  INSERT from the same lists of years and percents their ``progress`` rows are written from
  (``history_of_lists``: reading each batch's rows back out of ``progress`` scanned the whole
  table per batch); migration 4 fills every project.
- It is text, not a list: DuckDB updates a text column in place, while an UPDATE of a list column
  on a table with a primary key took 10 s for 100,000 rows (a DELETE and INSERT of the rows took
  1 s, and 5 s more to commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import duckdb


WIDTH = 4
"""Characters per year in ``history``."""


def _values_of(yrs: str, pcts: str) -> str:
    """The values from the first year with one to the last, one a year (NULL for a year without
    one), from a project's years ``yrs`` and percents ``pcts`` as two lists in year order."""
    return f"list_transform(range({yrs}[1], {yrs}[-1] + 1), lambda y: {pcts}[list_position({yrs}, y)])"


def _text_of(vals: str) -> str:
    """``history`` from the list ``vals`` (``_values_of``): four characters a year."""
    return f"array_to_string(list_transform({vals}, lambda v: ',' || coalesce(lpad(v::VARCHAR, 3, '0'), '---')), '')"


def values_sql(progress: str = "progress", only: str = "") -> str:
    """A SELECT of ``project_id``, ``first`` (the first year with a value) and ``vals`` (the values
    from that year on, one a year, NULL for a year without one) from a relation of ``progress``
    rows (``only``: a condition on them)."""
    where = f"WHERE {only}" if only else ""
    return f"""
SELECT project_id, yrs[1] AS first, {_values_of("yrs", "pcts")} AS vals
FROM (
    SELECT project_id, list(percent ORDER BY year) AS pcts, list(year ORDER BY year) AS yrs
    FROM {progress} {where} GROUP BY project_id
)"""


def history_of_lists(yrs: str, pcts: str) -> tuple[str, str]:
    """SQL expressions of ``history_from`` and ``history`` for a new project whose progress is
    given as two lists in year order (``yrs``, ``pcts``; NULL or empty: no values): the same text
    as ``history_sql`` derives from its ``progress`` rows, without reading them back."""
    has = f"len(coalesce({yrs}, [])) > 0"
    return (f"CASE WHEN {has} THEN {yrs}[1] END",
            f"CASE WHEN {has} THEN {_text_of(_values_of(yrs, pcts))} END")


def history_sql(targets: str, only: str = "") -> str:
    """A SELECT of ``id``, ``first`` and ``text`` (``history_from`` and ``history``) for each ``id``
    of the relation ``targets``, from its ``progress`` rows (``only``: a condition on them)."""
    return f"""
    SELECT t.id, g.first,
           {_text_of("g.vals")} AS text
    FROM {targets} t LEFT JOIN ({values_sql(only=only)}) g ON g.project_id = t.id"""


def refresh_sql(ids: bool = True) -> str:
    """The UPDATE that sets ``history_from`` and ``history`` from ``progress``: for the projects
    in ``$ids``, or (``ids=False``) for every project."""
    targets = "(SELECT DISTINCT unnest($ids::VARCHAR[]) AS id)" if ids else "(SELECT id FROM projects)"
    only = "project_id IN (SELECT unnest($ids::VARCHAR[]))" if ids else ""
    return f"""
UPDATE projects SET history_from = h.first, history = h.text
FROM ({history_sql(targets, only)}
) h
WHERE projects.id = h.id"""


_REFRESH_IDS = refresh_sql()


def keep_history(conn: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Bring the history of these projects up to date with their ``progress`` rows (inside the
    caller's write transaction)."""
    if ids:
        conn.execute(_REFRESH_IDS, {"ids": list(ids)})


HISTORY_COLUMNS = """
ALTER TABLE projects ADD COLUMN history_from INTEGER;
ALTER TABLE projects ADD COLUMN history VARCHAR;
"""
"""Schema 4's new columns (``schema.MIGRATIONS``), filled by ``refresh_sql(ids=False)``."""
