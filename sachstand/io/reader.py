"""Reading a workbook's values: the overview layout and returned department templates.

Rules:
- ``limits.check_workbook`` runs first, then ``budget.check_budget`` (every XML part streamed:
  used range, shared strings, element and nesting budget); nothing else opens a file they refused,
  so no parser ever allocates a grid beyond the limits.
- Values come from python-calamine (fast); formulas, error cells and percent formats from
  ``sheetxml`` (only where the sheet has any: the budget, which has the sheet's bytes in hand,
  says which sheets have none). The rows of a sheet without any are taken a block at a time, a
  column at a time (``sheetread.SheetValues.blocks``); only rows whose name could be a totals
  word, or is missing, are looked at one by one.
- The header row is found anywhere in the first 30 rows of the first visible sheet that has one:
  the first row naming the project's name and either its department or two other known fields.
  Columns may be in any order, with blank rows and columns and unknown columns between them.
  Two columns for one field are refused, naming both headers and cells.
  Any number of "Umsetzungsstand YYYY (in %)" columns are read.
- A template is recognised by its hidden sheet ``_sachstand`` (department, year, export time,
  each row's version). Of its progress columns only the template's year is read; the previous
  year is shown for reference only.
- Cell-level trouble found while reading (formulas without a cached value, DDE or HYPERLINK
  formulas, error values, merged cells over the data) becomes a ``Problem`` naming the cell;
  after ``MAX_PROBLEMS`` of them the rest of the sheet is not read (the import stops there).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import chain, compress, islice
from pathlib import Path
from typing import Any, overload

import python_calamine

from ..core.changes import is_progress_key, progress_key
from ..core.types import clean_text
from . import sheetxml
from .headers import header_key, is_range_formula, total_label
from .layout import (
    KEY_DEPARTMENT,
    KEY_EXPORTED,
    KEY_FORMAT,
    KEY_KIND,
    KEY_YEAR,
    KIND_REGISTER,
    KIND_TEMPLATE,
    META_FORMAT,
    META_SHEET,
    VERSIONS_HEADER,
)
from .limits import HEADER_SEARCH_ROWS, CheckedFile, WorkbookRefused
from .ooxml import column_letter
from .opening import Opened, candidates, open_workbook
from .sheetread import SheetValues, _grid, _merged

MAX_PROBLEMS = 1000

_UNSAFE_FORMULA = re.compile(r"\||\b(HYPERLINK|WEBSERVICE|CALL|REGISTER|EXEC|FILTERXML|RTD|DDE)\s*\(", re.I)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    cell: str
    value: str
    message: str

    def line(self) -> str:
        return f"{self.cell}: {self.message}" if self.cell else self.message


@dataclass(frozen=True, slots=True)
class Cell:
    """A non-empty cell: where it is ("Projekte!H12"), its value, and whether it shows a percentage."""

    where: str
    row: int
    value: object
    share: bool = False

    @property
    def ref(self) -> str:
        return f"{self.where}{self.row}"


class Row:
    """A data row's non-empty values by field key; cells are made on demand (most never are).

    A row exists only while it is planned: ``PackedRows`` holds the sheet's values and makes each
    row when it is asked for (``diff`` takes them one at a time and lets them go)."""

    __slots__ = ("number", "shares", "values", "where")

    def __init__(self, number: int, values: dict[str, object], where: dict[str, str],
                 shares: frozenset[str] = frozenset()) -> None:
        self.number = number
        self.values = values
        self.where = where
        self.shares = shares

    def ref(self, key: str) -> str:
        return f"{self.where[key]}{self.number}"

    def cell(self, key: str) -> Cell | None:
        if key not in self.values:
            return None
        return Cell(self.where[key], self.number, self.values[key], key in self.shares)

    @property
    def first(self) -> Cell:
        return self.cell(next(iter(self.values)))  # type: ignore[return-value]  # a key of values has a cell


ABSENT = object()
"""In ``PackedRows.columns``: a cell that gives the row no value (blank, or refused while reading)."""


class PackedRows(Sequence[Row]):
    """A sheet's data rows, held as one list of values per read column (``""`` for none) and the
    row numbers; each ``Row`` is made when it is asked for.

    100,000 rows as ``Row`` objects with a tuple each took about 25 MB in small blocks, which
    stayed scattered through the heap after the rows were planned and released (another 25 MB
    that the import's write could not use); a list per column is a few large blocks, freed at once."""

    __slots__ = ("_columns", "_keys", "_numbers", "_shares", "_where")

    def __init__(self, keys: Sequence[str], where: dict[str, str]) -> None:
        self._keys = tuple(keys)
        self._where = where
        self._columns: list[list[object]] = [[] for _ in self._keys]
        self._numbers = array("l")
        self._shares: dict[int, frozenset[str]] = {}

    def add(self, number: int, values: Sequence[object], shares: frozenset[str] = frozenset()) -> None:
        """One row: its number and one value per key, in key order (``""`` for none)."""
        if shares:
            self._shares[len(self._numbers)] = shares
        self._numbers.append(number)
        for column, value in zip(self._columns, values, strict=True):
            column.append(value)

    def extend(self, numbers: Iterable[int], columns: Sequence[Sequence[object]]) -> None:
        """Rows a column at a time: their numbers, and each key's values in these rows."""
        self._numbers.extend(numbers)
        for column, values in zip(self._columns, columns, strict=True):
            column.extend(values)

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index, [column[index] for column in self._columns])

    def _row(self, index: int, values: Iterable[object]) -> Row:
        return Row(self._numbers[index], {k: v for k, v in zip(self._keys, values, strict=True) if v != ""},
                   self._where, self._shares.get(index, frozenset()))

    def __iter__(self) -> Iterator[Row]:
        make = self._row
        return (make(i, values) for i, values in enumerate(zip(*self._columns, strict=True)))

    @property
    def where(self) -> dict[str, str]:
        """Each key's column prefix ("Projekte!H"), as every ``Row`` of these rows has it."""
        return self._where

    @property
    def keys(self) -> tuple[str, ...]:
        """The field keys of the read columns, in the order ``columns`` gives them."""
        return self._keys

    def columns(self, start: int, stop: int) -> tuple[Sequence[int], list[list[object]]]:
        """Rows ``start`` to ``stop`` (exclusive) column by column, for a planner that works on
        whole columns: their row numbers and, per key of ``keys``, the values (``ABSENT`` where
        the row has none)."""
        stop = min(stop, len(self))
        return self._numbers[start:stop], [[ABSENT if v == "" else v for v in column[start:stop]]
                                           for column in self._columns]

    def has_shares(self, index: int) -> bool:
        """Whether row ``index`` has a cell formatted as a percentage."""
        return index in self._shares

    def clear(self) -> None:
        self._columns = [[] for _ in self._keys]
        self._numbers = array("l")
        self._shares = {}


@dataclass
class TemplateMeta:
    department: str
    year: int
    exported_at: str
    versions: dict[str, int]
    kind: str


@dataclass
class WorkbookData:
    path: Path
    name: str
    sha256: str
    sheet: str
    header_row: int
    columns: dict[str, int]
    rows: PackedRows
    meta: TemplateMeta | None
    problems: list[Problem] = field(default_factory=list)
    #: header cells of columns that were not read ("Beschreibung (C)")
    ignored: list[str] = field(default_factory=list)
    #: the header row's cells as read
    header_cells: list[object] = field(default_factory=list)
    #: what the reader did without asking: skipped totals rows, no progress column
    notes: list[str] = field(default_factory=list)
    #: what a register workbook's extra sheets hold (``register_book.RegisterExtras``)
    extras: Any = None

    @property
    def is_template(self) -> bool:
        return self.meta is not None and self.meta.kind == KIND_TEMPLATE


ExtraReader = Callable[[CheckedFile, "python_calamine.CalamineWorkbook", "WorkbookData"], None]


def read_workbook(path: str | Path, extra: ExtraReader | None = None,
                  columns: Mapping[str, str] | None = None, opened: Opened | None = None) -> WorkbookData:
    """Check and read one workbook; raises ``WorkbookRefused`` when it cannot be used at all.

    ``extra`` reads further sheets while the workbook is open (``register_book.read_extras``);
    ``columns`` maps normalised headers to field keys (``headers.column_mapping``); ``opened``:
    the file as ``open_workbook(path)`` gave it (perhaps with its first sheet parsed ahead).
    """
    opened = open_workbook(path) if opened is None else opened
    wb = opened.wb
    try:
        opened.wait()
        data = _read(opened, columns)
        if extra is not None:
            extra(opened.checked, wb, data)
        return data
    finally:
        opened.close()


def _find_header(grid: list[list[object]], mapping: Mapping[str, str] | None = None,
                 ) -> tuple[int, dict[str, int], list[str]] | None:
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [header_key(v, mapping) for v in row]
        found = [k for k in keys if k]
        if "name" in found and (len(found) >= 3 or "department" in found):
            columns: dict[str, int] = {}
            duplicates = []
            for c, key in enumerate(keys):
                if key is None:
                    continue
                if key in columns:
                    first, second = clean_text(str(row[columns[key]])), clean_text(str(row[c]))
                    a, b = f"{column_letter(columns[key])}{r + 1}", f"{column_letter(c)}{r + 1}"
                    duplicates.append(f"„{second}“ ({a} und {b})" if first == second
                                      else f"„{first}“ ({a}) und „{second}“ ({b})")
                else:
                    columns[key] = c
            return r, columns, duplicates
    return None


def _read(opened: Opened, mapping: Mapping[str, str] | None = None) -> WorkbookData:
    checked, wb, clean = opened.checked, opened.wb, opened.clean
    name = checked.name
    meta = _read_meta(checked, wb) if META_SHEET in wb.sheet_names else None
    any_data = False
    for sheet in candidates(wb):
        ws = opened.sheet(sheet)
        values = SheetValues(checked, wb, sheet, ws)
        rows = values.rows()
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        found = _find_header(head, mapping)
        if found is None:
            any_data = any_data or any(v != "" for row in chain(head, rows) for v in row)
            continue
        header_row, columns, duplicates = found
        if duplicates:
            raise WorkbookRefused(name, f"Blatt „{sheet}“: Spalte {', '.join(duplicates)} kommt doppelt vor")
        data = _rows(checked, sheet, head, rows, values, _merged(ws), header_row, columns, meta, clean)
        _describe_columns(data, head[header_row], columns)
        return data
    if not any_data:
        raise WorkbookRefused(name, "die Arbeitsmappe ist leer")
    raise WorkbookRefused(
        name,
        "keine Kopfzeile erkannt (erwartet z. B. „Name des Projektes“, „Bereich“ und "
        "„Umsetzungsstand 2020 (in %)“ in einer der ersten 30 Zeilen)",
    )


def _describe_columns(data: WorkbookData, header: list[object], columns: dict[str, int]) -> None:
    """Name the header cells that were not read, and say when no progress column was found."""
    data.header_cells = list(header)
    used = set(columns.values())
    if data.meta is not None and data.meta.kind == KIND_TEMPLATE:
        used |= {c for c, v in enumerate(header) if (k := header_key(v)) and is_progress_key(k)}
    data.ignored = [f"{clean_text(v)} ({column_letter(c)})" for c, v in enumerate(header)
                    if c not in used and isinstance(v, str) and clean_text(v)]
    if not any(is_progress_key(k) for k in columns):
        data.notes.append(
            "keine Spalte mit Umsetzungsstand gefunden (erwartet z. B. „Umsetzungsstand 2022 (in %)“, "
            "„Status 2022 %“ oder „2022 (%)“); es werden keine Umsetzungsstände übernommen")


def _totals_row(row: list[object], r: int, used: list[int], formulas: dict) -> str | None:
    """The totals word of a totals row ("Summe"), "Formeln" for a formulas-only row, else None."""
    text = None
    present = []
    for c in used:
        v = row[c] if c < len(row) else ""
        if type(v) is str and v:
            if text is not None:
                return None  # two texts: a project row
            text = v
        if v != "" or (r, c) in formulas:
            present.append(c)
    if text is not None:
        return text.strip() if total_label([text]) else None
    if present and formulas and all((r, c) in formulas and is_range_formula(formulas[(r, c)][0]) for c in present):
        return "Formeln"
    return None


def _read_meta(checked: CheckedFile, wb: python_calamine.CalamineWorkbook) -> TemplateMeta:
    grid = _grid(checked, wb, META_SHEET)
    values: dict[str, object] = {}
    versions: dict[str, int] = {}
    in_versions = False
    for row in grid:
        if len(row) < 2:
            continue
        key, value = row[0], row[1]
        if in_versions and isinstance(key, str) and key:
            if isinstance(value, float) and value == int(value):
                versions[clean_text(key)] = int(value)
        elif (key, value) == VERSIONS_HEADER:
            in_versions = True
        elif isinstance(key, str):
            values[key] = value
    bad = WorkbookRefused(checked.name, "die versteckten Angaben der Vorlage (Blatt _sachstand) sind beschädigt")
    if values.get(KEY_FORMAT) != META_FORMAT:
        raise bad
    kind = str(values.get(KEY_KIND, ""))
    year = values.get(KEY_YEAR)
    if kind not in (KIND_TEMPLATE, KIND_REGISTER) or not isinstance(year, float) or year != int(year):
        raise bad
    department = clean_text(str(values.get(KEY_DEPARTMENT, "")))
    if kind == KIND_TEMPLATE and not department:
        raise bad
    return TemplateMeta(department, int(year), str(values.get(KEY_EXPORTED, "")), versions, kind)


def _rows(checked: CheckedFile, sheet: str, head: list[list[object]], rest: Iterator[list[object]],
          values: SheetValues, merged_ranges: list[tuple[tuple[int, int], tuple[int, int]]], header_row: int,
          columns: dict[str, int], meta: TemplateMeta | None, clean: Set[str] = frozenset()) -> WorkbookData:
    """The data rows below the header: ``head`` (the rows read so far), then the rest of the
    sheet, from ``rest`` a row at a time where cells need the XML's facts, else in blocks.
    ``clean``: sheet parts the budget found nothing in for ``sheetxml.scan``."""
    if meta is not None and meta.kind == KIND_TEMPLATE:
        keep = progress_key(meta.year)
        columns = {k: c for k, c in columns.items() if not is_progress_key(k) or k == keep}
    col_items = sorted(columns.items(), key=lambda kv: kv[1])
    quoted = sheet if re.fullmatch(r"\w+", sheet) else "'" + sheet.replace("'", "''") + "'"
    prefix = {c: f"{quoted}!{column_letter(c)}" for _k, c in col_items}
    where = {k: prefix[c] for k, c in col_items}
    rows = PackedRows([k for k, _c in col_items], where)
    data = WorkbookData(checked.path, checked.name, checked.sha256, sheet, header_row, columns, rows, meta)
    facts = sheetxml.SheetFacts()
    members = sheetxml.sheet_members(checked)
    if sheet not in members:  # calamine found a sheet the package structure does not name
        raise WorkbookRefused(checked.name, f"das Blatt „{sheet}“ ist in der Arbeitsmappe nicht richtig verzeichnet")
    try:
        if members[sheet] not in clean:
            facts = sheetxml.scan(checked, members[sheet], sheetxml.percent_styles(checked))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        # a styles or sheet part that does not follow the format (a crafted or broken file)
        raise WorkbookRefused(
            checked.name, f"die Arbeitsmappe ist fehlerhaft aufgebaut ({type(exc).__name__})") from None
    used = set(columns.values())
    merged = [(a, b) for a, b in merged_ranges if b[0] > header_row and any(a[1] <= c <= b[1] for c in used)]
    checks = bool(facts.formulas or facts.errors or facts.percent)
    width = max(columns.values(), default=0) + 1
    used_cols = sorted(used)
    if not checks:
        for r, row in enumerate(head):
            if r > header_row:
                _plain_row(data, row, r, width, col_items, used_cols)
        for first, cells in values.blocks([c for _key, c in col_items]):
            _plain_block(data, first, cells, width, col_items, used_cols)
        return _merged_problems(data, quoted, merged)
    for r, row in enumerate(chain(head, rest)):
        if r <= header_row:
            continue
        if len(data.problems) >= MAX_PROBLEMS:
            data.problems.append(too_many_problems(checked.name))
            break
        if (label := _totals_row(row, r, used_cols, facts.formulas)) is not None:
            _skipped_totals(data, r, label)
            continue
        found: dict[str, object] = {}
        shares = set()
        for key, c in col_items:
            value = row[c] if c < len(row) else ""
            pos = (r, c)
            ref = f"{prefix[c]}{r + 1}"
            if pos in facts.formulas:
                formula, has_value = facts.formulas[pos]
                shown_formula = "=" + formula if formula else "Formel"
                if _UNSAFE_FORMULA.search(formula):
                    data.problems.append(Problem(checked.name, ref, shown_formula,
                                                 f"die Formel „{_short(shown_formula)}“ wird aus Sicherheitsgründen "
                                                 "nicht übernommen; bitte den Wert selbst eintragen"))
                    continue
                if not has_value:
                    data.problems.append(Problem(
                        checked.name, ref, shown_formula,
                        f"die Formel „{_short(shown_formula)}“ hat keinen gespeicherten Wert; "
                        "bitte den Wert eintragen oder die Datei in Excel neu berechnen und speichern"))
                    continue
            if pos in facts.errors:
                data.problems.append(Problem(
                    checked.name, ref, facts.errors[pos],
                    f"„{facts.errors[pos]}“ ist ein Fehlerwert; bitte einen gültigen Wert eintragen"))
                continue
            if value == "" or value is None:
                continue
            found[key] = value
            if pos in facts.percent:
                shares.add(key)
        if found:
            rows.add(r + 1, [found.get(key, "") for key, _c in col_items], frozenset(shares))
    return _merged_problems(data, quoted, merged)


def _merged_problems(data: WorkbookData, quoted: str,
                     merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> WorkbookData:
    for (r0, c0), (r1, c1) in merged[:MAX_PROBLEMS]:
        data.problems.append(Problem(
            data.name, f"{quoted}!{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}", "",
            "verbundene Zellen über den Daten; bitte die Verbindung aufheben und jeden Wert in seine Zelle schreiben",
        ))
    return data


def _skipped_totals(data: WorkbookData, r: int, label: str) -> None:
    kind = f"„{label}“" if label != "Formeln" else "nur Formeln über den Zeilen darüber"
    data.notes.append(f"Zeile {r + 1} ({kind}) ist eine Summenzeile und wurde übersprungen")


def _plain_row(data: WorkbookData, row: list[object], r: int, width: int, col_items: list[tuple[str, int]],
               used_cols: list[int]) -> bool:
    """A row of a sheet without formulas, error cells or percentages: skipped as a totals row, left
    out when empty, else added. False when it is no data row."""
    if (label := _totals_row(row, r, used_cols, {})) is not None:
        _skipped_totals(data, r, label)
        return False
    if len(row) < width:
        row = row + [""] * (width - len(row))
    packed = [row[c] for _key, c in col_items]
    if all(v == "" for v in packed):
        return False
    data.rows.add(r + 1, packed)
    return True


def _plain_block(data: WorkbookData, first: int, cells: list[Sequence[object]], width: int,
                 col_items: list[tuple[str, int]], used_cols: list[int]) -> None:
    """A block of rows (``SheetValues.blocks``; first row ``first``, 0-based) of a sheet without
    formulas, error cells or percentages, as ``_plain_row`` takes each: a row whose name is a text
    that cannot be a totals word is a data row (a totals row has one text, the totals word), so only
    the other rows are looked at one by one."""
    names = cells[[key for key, _c in col_items].index("name")]
    odd = [i for i, v in enumerate(names)
           if type(v) is not str or not v or "summe" in (f := v.casefold()) or "gesamt" in f or "total" in f]
    numbers: Iterable[int] = range(first + 1, first + len(names) + 1)
    if odd:
        dropped = set()
        for i in odd:
            row: list[object] = [""] * width
            for (_key, c), column in zip(col_items, cells, strict=True):
                row[c] = column[i]
            label = _totals_row(row, first + i, used_cols, {})
            if label is not None:
                _skipped_totals(data, first + i, label)
                dropped.add(i)
            elif all(column[i] == "" for column in cells):
                dropped.add(i)
        if dropped:
            kept = [i not in dropped for i in range(len(names))]
            cells = [list(compress(column, kept)) for column in cells]
            numbers = compress(numbers, kept)
    data.rows.extend(numbers, cells)


def too_many_problems(file: str) -> Problem:
    return Problem(file, "", "", f"mehr als {MAX_PROBLEMS:,} Probleme; die übrigen Zeilen werden nicht geprüft"
                   .replace(",", "."))


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"
