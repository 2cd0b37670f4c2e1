"""The import's JSON (``import --json``): the fast writer gives exactly the text of the plain one,
and the shape scripts rely on stays put."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from sachstand.core import open_register
from sachstand.core.models import NewProject
from sachstand.core.text import _UNSAFE, json_escaped, json_text
from sachstand.core.types import parse_period
from sachstand.io.diff import plan_import
from sachstand.io.plan import RowResult
from sachstand.io.preview import JSON_BATCH, as_json, new_json, new_text, write_json
from sachstand.io.reader import read_workbook

TOP_KEYS = ["files", "refused", "changed", "new", "unchanged", "missing", "problems", "conflicts", "on_conflict",
            "remarks", "warnings", "applied"]
NEW_KEYS = ["file", "row", "department", "name", "new_department", "project", "description", "planned_cost",
            "cost_note", "start", "end", "progress"]


def test_every_character_json_text_escapes_is_one_isprintable_refuses() -> None:
    """``json_escaped`` skips its pattern for text that ``str.isprintable`` passes: that is safe
    only while no character of the pattern is printable (checked over all of Unicode)."""
    printable = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isprintable() and _UNSAFE.match(c)]
    assert printable == []
    assert json_escaped('"a\u202eb"') == '"a\\u202eb"' and json_escaped('"äö ü"') == '"äö ü"'
    assert json_escaped('"\x7f\u00a0"') == '"\\u007f\u00a0"'


def _row(n: NewProject | None, **kw: object) -> RowResult:
    base = {"file": "liste.xlsx", "row": 7, "kind": "new", "project_id": None, "department": "FB 11",
            "name": "Name", "new_project": n}
    base.update(kw)
    return RowResult(**base)  # type: ignore[arg-type]


_DAY = parse_period("31.12.2020")
_QUARTER = parse_period("Q 4 2021")
_ODD = "Müller & <Söhne> \"x\" \\ \u202e\u200b\x07\t\n\x7f\ud800 – €"
_CASES = [
    _row(NewProject("FB 11", "Name", "Beschreibung", Decimal("1234.50"), "", _DAY, _QUARTER,
                    progress={2020: 10, 2019: 0, 2021: 100})),
    _row(NewProject("FB 11", _ODD, _ODD, None, _ODD, None, None, "11.05.217", "irgendwann",
                    progress={}, id="FB11-007", archived=True), name=_ODD, file=_ODD, department=_ODD),
    _row(NewProject("FB 11", "", "", Decimal("0"), "", None, _DAY, "", "", progress={2020: 0})),
    _row(None),
    _row(NewProject("FB 11", "x", progress={2020: 5}), row=True),  # not an int: the plain path
    _row(NewProject("FB 11", "x", planned_cost=Decimal("1E+3"), progress={2020: 5}), department=None),
]


@pytest.mark.parametrize("row", _CASES, ids=range(len(_CASES)))
def test_new_text_is_the_json_of_new_json(row: RowResult) -> None:
    seen: dict[int, str] = {}
    expected = json.dumps(new_json(row, {"FB 11"}), ensure_ascii=False)
    assert new_text(row, {"FB 11"}, seen) == expected
    assert new_text(row, {"FB 11"}, seen) == expected  # again, from what was kept
    assert new_text(row, set(), {}) == json.dumps(new_json(row, set()), ensure_ascii=False)


def test_kept_dates_and_series_follow_the_row_not_the_first_one() -> None:
    """Rows sharing a period or a progress series share its text; rows that have none show their own."""
    progress = {2020: 50}
    first = NewProject("FB 11", "a", start=_DAY, end=_QUARTER, progress=progress)
    rows = [_row(first), _row(replace(first, start=None, start_text="bald", end=None, end_text="")),
            _row(replace(first, start=_QUARTER, end=_DAY, progress={2020: 60})), _row(first)]
    seen: dict[int, str] = {}
    assert [new_text(r, set(), seen) for r in rows] == [json.dumps(new_json(r, set()), ensure_ascii=False)
                                                        for r in rows]


def _big_overview(path: Path, count: int) -> Path:
    from benchmarks import generate

    items = generate.projects(count, seed=11)
    items[3] = replace(items[3], name=_ODD.replace("\ud800", "").replace("\x07", "").replace("\x7f", ""))
    return generate.write_overview(path, items)


def test_compact_json_of_a_large_import_is_json_text_of_the_plan(empty_path: Path, tmp_path: Path) -> None:
    """More than ``JSON_BATCH`` new projects written by ``write_json`` (compact, in batches, the
    new projects as text): the very text ``json_text`` makes of the whole plan, in the pinned shape."""
    book = read_workbook(_big_overview(tmp_path / "liste.xlsx", JSON_BATCH * 2 + 17))
    plan = plan_import(open_register(empty_path), [book], None)
    out = io.StringIO()
    write_json(as_json(plan, False, lazy=True), out, indent=None)
    whole = as_json(plan, False)
    assert out.getvalue() == json_text(whole, None) + "\n"
    data = json.loads(out.getvalue())
    assert list(data) == TOP_KEYS and len(data["new"]) == JSON_BATCH * 2 + 17
    assert [list(item) for item in data["new"][:3]] == [NEW_KEYS] * 3
    assert data["new"][3]["name"] == whole["new"][3]["name"] and "\\u202e" in out.getvalue()
    assert isinstance(data["new"][0]["progress"], dict) and data["new"][0]["row"] == 2


def test_the_cli_writes_the_same_json(cli, empty_path: Path, tmp_path: Path) -> None:
    """``import --json`` of a large list (compact) and of a small one (indented) parse to the plan's JSON."""
    path = _big_overview(tmp_path / "liste.xlsx", 2100)
    result = cli("--db", str(empty_path), "import", str(path), "--json")
    assert result.code == 0, result.err
    assert "\n" not in result.out.rstrip("\n")  # large: compact
    book = read_workbook(path)
    expected = json_text(as_json(plan_import(open_register(empty_path), [book], None), False), None)
    assert result.out == expected + "\n"
