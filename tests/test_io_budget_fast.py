"""The budget's fast path (``io/plainparts.py``) is certain or hands over.

- On workbooks as spreadsheet programs write them (xlsxwriter, openpyxl; shared strings with
  umlauts, emoji and entities, numbers, dates, booleans, formulas, inline text), the fast path is
  taken and finds what the exact, element by element path finds: the same grid, elements and
  text cost (the text cost never less).
- Every hostile or unusual variant of such a sheet or sharedStrings part (malformed XML in the
  large region or around it, a region hidden in a comment or instruction, duplicate attributes,
  cells beyond ``<dimension>``, character references, ``]]>``, control characters, bad UTF-8,
  another encoding, too many names, a missing shared string, ranges beyond the limits, rich
  text) gives exactly the outcome of the exact path: the same refusal message or the same figures.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from sachstand.io import budget, plainparts, sheetgrid
from sachstand.io.limits import WorkbookRefused, check_workbook
from tests.data.make_bad_corpus import members_of, raw_zip

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
TEXTS = ["Austausch der aktiven Netzwerkkomponenten", "Bürgerservice – Terminvergabe", "Digitale Akte 😀",
         "Ärger über „Anführungszeichen“", "  führende Leerzeichen", "x" * 300]
ESCAPED = "A & B <intern>"  # written with entities: its bytes count, a little more than its characters


def _workbook(path: Path, rows: int = 40) -> None:
    """A real workbook as xlsxwriter writes it: shared strings, numbers, dates, booleans, formulas."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    date = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, ["ID", "Name des Projektes", "Umsetzungsstand 2020 (in %)", "Beginn", "Aktiv", "Doppelt"])
    for r in range(1, rows + 1):
        ws.write_string(r, 0, f"AC-{r:03d}")
        ws.write_string(r, 1, TEXTS[r % len(TEXTS)])
        ws.write_number(r, 2, r % 101)
        ws.write_datetime(r, 3, datetime.datetime(2020, 1, 1) + datetime.timedelta(days=r), date)
        ws.write_boolean(r, 4, r % 2 == 0)
        ws.write_formula(r, 5, f"=C{r + 1}*2", None, (r % 101) * 2)
    wb.close()


def _outcome(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """What the budget says of the file, with ``plainparts`` or without it (then as before it:
    ``sheetgrid.plain_sheet``'s byte searches, else the part streamed element by element)."""
    with monkeypatch.context() as patched:
        if not fast:
            for name in ("plain_sheet", "plain_strings"):
                patched.setattr(plainparts, name, lambda *args, **kwargs: None)
        try:
            found = budget.check_budget(check_workbook(path))
        except WorkbookRefused as exc:
            return ("refused", exc.reason)
        return ("read", found.grids, found.elements, found.text_chars)


def _taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts the fast path took, filled in as the budget runs."""
    taken: list[str] = []
    for name in ("plain_sheet", "plain_strings"):
        original = getattr(plainparts, name)

        def spy(*args: object, _original: Callable[..., object] = original, **kwargs: object) -> object:
            found = _original(*args, **kwargs)
            if found is not None:
                taken.append(str(args[1]))
            return found

        monkeypatch.setattr(plainparts, name, spy)
    return taken


def test_written_workbooks_take_the_fast_path_and_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "written.xlsx"
    _workbook(path, rows=3000)  # sharedStrings above plainparts' threshold (budget.PLAIN_FROM)
    exact = _outcome(path, False, monkeypatch)
    taken = _taken(monkeypatch)
    fast = _outcome(path, True, monkeypatch)
    assert sorted(taken) == [STRINGS, SHEET]
    assert fast == exact and exact[0] == "read"



def test_formula_text_counts_in_the_fast_paths_as_in_the_streamed_one(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast paths left formula text out of the text cost: 195 formulas of 1 MB each passed a
    budget the streamed path refuses (peak 469 MB). They count it now, at least as the streamed
    path does (each formula as held on its own)."""
    path = tmp_path / "formulas.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    ws.write_row(0, 0, ["ID", "Name des Projektes", "Umsetzungsstand 2020"])
    for r in range(1, 3000):
        ws.write_row(r, 0, [f"AC-{r:03d}", TEXTS[r % len(TEXTS)]])
        ws.write_formula(r, 2, "=" + "+".join(["1"] * (200 + r % 7)), None, 1)
    wb.close()
    taken = _taken(monkeypatch)
    fast = _outcome(path, True, monkeypatch)
    monkeypatch.undo()
    monkeypatch.setattr(sheetgrid, "plain_sheet", lambda *args, **kwargs: None)
    streamed = _outcome(path, False, monkeypatch)
    assert SHEET in taken and fast[:3] == streamed[:3] and fast[0] == "read"
    assert fast[3] >= streamed[3] >= 2999 * 399 * 2  # every formula's text: its bytes, and its characters


def test_text_costs_equal_the_streamed_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet of text only (shared strings with umlauts and emoji, inline ASCII text): the fast
    path's text cost is the streamed path's exactly; inline text beyond ASCII costs at least it."""
    path = tmp_path / "texts.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    ws.write_row(0, 0, ["ID", "Name des Projektes", "Kurzbeschreibung / Projektziel"])
    for r in range(1, 200):
        ws.write_row(r, 0, [f"AC-{r:03d}", TEXTS[r % len(TEXTS)], TEXTS[(r * 7) % len(TEXTS)]])
    wb.close()
    members = members_of(path)
    for name, text in (("ascii", b"plain inline text"), ("umlauts", "Grüße und mehr".encode())):
        inline = tmp_path / f"inline_{name}.xlsx"
        sheet = re.sub(rb'<c r="C([2-9])" t="s"><v>[0-9]+</v></c>', rb'<c r="C\1" t="inlineStr"><is><t>' + text + rb"</t></is></c>",
                       members[SHEET])
        raw_zip(inline, {**members, SHEET: sheet})
        taken = _taken(monkeypatch)
        fast = _outcome(inline, True, monkeypatch)
        monkeypatch.undo()
        monkeypatch.setattr(sheetgrid, "plain_sheet", lambda *args, **kwargs: None)
        streamed = _outcome(inline, False, monkeypatch)
        monkeypatch.undo()
        assert SHEET in taken and fast[:3] == streamed[:3] and streamed[0] == "read"
        if name == "ascii":
            assert fast[3] == streamed[3]
        else:
            assert fast[3] > streamed[3]


def test_large_shared_strings_take_the_fast_path_and_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "strings.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Projekte")
    ws.write_row(0, 0, ["ID", "Name des Projektes", "Umsetzungsstand 2020 (in %)"])
    for r in range(1, 4000):
        ws.write_row(r, 0, [f"AC-{r:04d}", f"{[*TEXTS, ESCAPED][r % (len(TEXTS) + 1)]} {r}", r % 101])
    wb.close()
    exact = _outcome(path, False, monkeypatch)
    taken = _taken(monkeypatch)
    fast = _outcome(path, True, monkeypatch)
    assert sorted(taken) == [STRINGS, SHEET]
    assert fast[:3] == exact[:3] and exact[0] == "read"
    assert exact[3] < fast[3] <= exact[3] * 1.01  # ESCAPED


def _variants() -> dict[str, tuple[str, bytes, bytes]]:
    """Name → (part, bytes to replace, replacement) in the written workbook."""
    end = b"</sheetData>"
    return {
        "mismatched_end_tag": (SHEET, b"</row>", b"</rov>"),
        "region_in_a_comment": (SHEET, b"<sheetData>", b"<!--<sheetData>"),
        "region_in_an_instruction": (SHEET, b"<sheetData>", b"<?x <sheetData>"),
        "duplicate_row_attribute": (SHEET, b'<row r="2" spans="1:6">', b'<row r="2" spans="1:6" spans="1:6">'),
        "cell_beyond_dimension": (SHEET, b'<dimension ref="A1:F41"/>', b'<dimension ref="A1:C41"/>'),
        "row_beyond_dimension": (SHEET, b'<dimension ref="A1:F41"/>', b'<dimension ref="A1:F40"/>'),
        "forged_small_dimension": (SHEET, b'<dimension ref="A1:F41"/>', b'<dimension ref="A1"/>'),
        "far_cell": (SHEET, end, b'<row r="90000"><c r="ZZ90000"><v>1</v></c></row>' + end),
        "shared_with_formula": (SHEET, b'<c r="A2" t="s"><v>', b'<c r="A2" t="s"><f>1</f><v>'),
        "character_reference": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="inlineStr"><is><t>x&#x1F600;</t></is></c>'),
        "cdata_end_in_text": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="inlineStr"><is><t>a]]>b</t></is></c>'),
        "control_character": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="inlineStr"><is><t>a\x01b</t></is></c>'),
        "invalid_utf8": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="inlineStr"><is><t>a\xffb</t></is></c>'),
        "undefined_entity": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="inlineStr"><is><t>a&nbsp;b</t></is></c>'),
        "latin1_declared": (SHEET, b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
        "many_names_around": (SHEET, b"<pageMargins ", b"".join(b"<y%d/>" % i for i in range(10_001)) + b"<pageMargins "),
        "many_attributes_around": (SHEET, b"<pageMargins ", b"<pageMargins " + b" ".join(b'n%d="1"' % i for i in range(300)) + b" "),
        "missing_shared_string": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="s"><v>99999</v></c>'),
        "shared_index_with_zeros": (SHEET, b'<c r="A2" t="s"><v>6</v></c>', b'<c r="A2" t="s"><v>0006</v></c>'),
        "sheet_data_nested": (SHEET, b'<row r="2" spans="1:6">', b'<row r="2" spans="1:6"><sheetData/>'),
        "lower_case_reference": (SHEET, b'<c r="A2" t="s">', b'<c r="a2" t="s">'),
        "cell_row_not_its_row": (SHEET, b'<c r="A2" t="s">', b'<c r="A99999" t="s">'),
        "junk_after_root": (SHEET, b"</worksheet>", b"</worksheet><junk/>"),
        "merged_whole_sheet": (SHEET, end, end + b'<mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>'),
        "text_run_over_1_mb": (SHEET, b'<c r="A2" t="s"><v>6</v></c>',
                               b'<c r="A2" t="inlineStr"><is><t>' + b"x" * (1 << 20) + b"</t></is></c>"),
        "strings_rich_text": (STRINGS, b"<si><t>ID</t></si>", b"<si><r><t>I</t></r><r><t>D</t></r></si>"),
        "strings_character_reference": (STRINGS, b"<si><t>ID</t></si>", b"<si><t>ID&#x1F600;</t></si>"),
        "strings_nested": (STRINGS, b"<si><t>ID</t></si>", b"<si><si><t>ID</t></si></si>"),
        "strings_malformed": (STRINGS, b"<si><t>ID</t></si>", b"<si><t>ID</si></t>"),
        "strings_unique_count": (STRINGS, b'uniqueCount="', b'uniqueCount="9'),
        "strings_junk_after_root": (STRINGS, b"</sst>", b"</sst><junk/>"),
    }


# plain parts that the fast path may take: the claimed count is checked after either path, and
# an index with leading zeros names the same string
_FAST_AND_REFUSED = {"strings_unique_count", "shared_index_with_zeros"}


@pytest.mark.parametrize("name", sorted(_variants()))
def test_hostile_variants_get_the_exact_paths_outcome(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "base.xlsx"
    _workbook(base)
    members = members_of(base)
    if len(members[STRINGS]) < budget.PLAIN_FROM:  # let the strings part take the fast path too
        monkeypatch.setattr(budget, "PLAIN_FROM", 0)
    part, old, new = _variants()[name]
    assert old in members[part], old
    path = tmp_path / f"{name}.xlsx"
    raw_zip(path, {**members, part: members[part].replace(old, new, 1)})
    exact = _outcome(path, False, monkeypatch)
    taken = _taken(monkeypatch)
    fast = _outcome(path, True, monkeypatch)
    if name not in _FAST_AND_REFUSED:
        assert part not in taken
    assert fast == exact


@pytest.mark.parametrize("offset", [-9, -2, -1, 0, 1])
def test_a_dtd_is_found_in_any_case_and_across_the_pieces_of_a_part(offset: int, tmp_path: Path) -> None:
    """``limits`` looks for a DTD only where a fast search finds a "!" (in the piece or the end of
    the piece before): ``<!doctype`` in lower case and cut by the 1 MB pieces is still refused."""
    import random

    rnd = random.Random(offset)
    padding = bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range((1 << 20) + offset))
    base = tmp_path / "base.xlsx"
    _workbook(base)
    path = tmp_path / "dtd.xlsx"
    raw_zip(path, {**members_of(base), "xl/padding.xml": padding + b'<!doctype x [<!entity e "e">]>'})
    with pytest.raises(WorkbookRefused, match="Dokumenttypdefinition"):
        check_workbook(path)


def test_string_costs_from_bytes_equal_the_streamed_figure() -> None:
    """Without entities, a string's cost from its UTF-8 bytes (width from the lead bytes) is
    exactly what ``TextCost`` finds from its characters: 3,000 random strings of ASCII, Latin-1,
    the BMP and emoji."""
    import random

    from sachstand.io.textcost import STRING_COST, TextCost

    rnd = random.Random(3)
    texts = ["".join(rnd.choice("aä€😀z ßΩ\u0100") for _ in range(rnd.randint(0, 30))) for _ in range(3000)]

    def exact(text: str) -> int:
        cost = TextCost()
        cost.add(text)
        return cost.cost() + STRING_COST

    assert list(plainparts._string_costs([t.encode() for t in texts], True)) == list(map(exact, texts))
    narrow = [t for t in texts if "😀" not in t]
    assert list(plainparts._string_costs([t.encode() for t in narrow], False)) == list(map(exact, narrow))
