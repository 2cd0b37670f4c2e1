"""The planner's whole-column path: a block of rows is parsed column by column, each distinct
value of a column once, with the planner's own per-cell parser.

Rules:
- A column's value is parsed by the same function a single row uses (``_Planner._cell``); this
  module only remembers the result per column and per exact type of the raw value (``1.0``,
  ``1`` and ``True`` compare equal in Python but are different cells).
- A cell the parser refuses becomes ``FAIL``: its row then goes through the per-row path, which
  reports the problem with its cell and message exactly as before.
- ``-0.0`` equals ``0.0`` but shows as "-0": a zero float outside a progress column is parsed
  on its own, never looked up.
- A column's memory of values is bounded (``LIMIT`` per type); past it, it starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.changes import progress_year
from ..core.models import Project
from .plan_cells import _TEXT_KEYS, SKIP, _plain_text
from .reader import ABSENT

FAIL = object()
"""A cell the parser refuses: its row goes through the per-row path."""
_MISSING = object()


class ColumnParser:
    """Parsed columns of the rows of one file; ``parse(key, raw)`` gives a cell's value, None for
    no value, or ``FAIL``."""

    LIMIT = 20_000

    def __init__(self, parse: Callable[[str, object], object]) -> None:
        self._parse = parse
        self._memos: dict[str, dict[type, dict[object, object]]] = {}

    def _memo(self, key: str, kind: type) -> dict[object, object]:
        memos = self._memos.setdefault(key, {})
        memo = memos.get(kind)
        if memo is None or len(memo) > self.LIMIT:
            memo = memos[kind] = {}
        return memo

    def column(self, key: str, values: Sequence[object]) -> list[Any]:
        """The parsed values of one column (``ABSENT`` cells give None)."""
        kinds = set(map(type, values))
        kinds.discard(type(ABSENT))
        if not kinds:
            return [None] * len(values)
        distinct = set(values) if len(kinds) == 1 else None
        if kinds == {str} and key in _TEXT_KEYS and len(distinct) * 2 > len(values):  # type: ignore[arg-type]
            # texts that rarely repeat (names): plain text needs no parser call and no memory
            # (``_plain_text`` is the parser's own first step)
            out: list[Any] = list(map(_plain_text, values))
            for i in [i for i, p in enumerate(out) if p is SKIP]:
                v = values[i]
                out[i] = None if v is ABSENT else self._parse(key, v)
            return out
        zero_matters = progress_year(key) is None
        if distinct is not None:
            kind = next(iter(kinds))
            memo = self._memo(key, kind)
            if not (zero_matters and kind is float and 0.0 in distinct):
                for v in distinct:
                    if v is not ABSENT and v not in memo:
                        memo[v] = self._parse(key, v)
                memo[ABSENT] = None
                return list(map(memo.__getitem__, values))
        memos = {kind: self._memo(key, kind) for kind in kinds}
        parse = self._parse
        out = []
        append = out.append
        for v in values:
            if v is ABSENT:
                append(None)
                continue
            kind = type(v)
            if zero_matters and kind is float and v == 0.0:
                append(parse(key, v))
                continue
            memo = memos[kind]
            p = memo.get(v, _MISSING)
            if p is _MISSING:
                p = memo[v] = parse(key, v)
            append(p)
        return out


def unchanged(project: Project, j: int, parsed: list[list[Any]], compare: list[tuple[int, str, int | None]],
              note_given: bool) -> bool:
    """Whether row ``j`` of parsed columns shows ``project`` as stored: every given value equals
    the stored one (``_update`` then finds no change), a cost's words included."""
    for c, key, year in compare:
        value = parsed[c][j]
        if value is None:
            continue
        if year is not None:
            if value != project.progress.get(year):
                return False
        elif key == "planned_cost":
            amount, note = value  # a cost column holds (amount, note)
            if (amount is not None and amount != project.planned_cost) or (
                    note and not note_given and note != project.cost_note):
                return False
        elif value != getattr(project, key):
            return False
    return True
