"""Reading a workbook's values: the overview layout and returned department templates.

Rules:
- ``limits.check_workbook`` runs first, then ``budget.check_budget`` (every XML part streamed:
  used range, shared strings, element and nesting budget); nothing else opens a file they refused,
  so no parser ever allocates a grid beyond the limits.
- Values come from python-calamine (fast); formulas, error cells and percent formats from
  ``sheetxml`` (only where the sheet has any).
- The header row is found anywhere in the first 30 rows of the first visible sheet that has one;
  columns may be in any order, with blank rows and columns and unknown columns between them.
  Any number of "Umsetzungsstand YYYY (in %)" columns are read.
- A template is recognised by its hidden sheet ``_sachstand`` (department, year, export time,
  each row's version). Of its progress columns only the template's year is read; the previous
  year is shown for reference only.
- Cell-level trouble found while reading (formulas without a cached value, DDE or HYPERLINK
  formulas, error values, merged cells over the data) becomes a ``Problem`` naming the cell;
  after ``MAX_PROBLEMS`` of them the rest of the sheet is not read (the import stops there).
"""

from __future__ import annotations

import io
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, overload

import python_calamine

from ..core.changes import is_progress_key, progress_key
from ..core.types import clean_text
from . import sheetxml
from .budget import check_budget
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
from .limits import HEADER_SEARCH_ROWS, CheckedFile, WorkbookRefused, check_workbook
from .ooxml import column_letter
from .sheetread import _grid, _merged, _open_sheet, sheet_rows

MAX_PROBLEMS = 1000

_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}
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

    Held compactly (the keys, shared by rows with the same filled columns, and a tuple of values);
    ``values`` is the dict, made on first use and kept with the row: a row planned once and
    released (``diff.plan_import(consume=True)``) never holds both for long."""

    __slots__ = ("_dict", "_keys", "_vals", "number", "shares", "where")

    def __init__(self, number: int, values: dict[str, object], where: dict[str, str],
                 shares: frozenset[str] = frozenset()) -> None:
        self.number = number
        self.where = where
        self.shares = shares
        keys = tuple(values)
        self._keys = _KEYS.get(keys) or (_KEYS.setdefault(keys, keys) if len(_KEYS) < 4096 else keys)
        self._vals = tuple(values.values())
        self._dict: dict[str, object] | None = None

    @property
    def values(self) -> dict[str, object]:
        if self._dict is None:
            self._dict = dict(zip(self._keys, self._vals, strict=True))
        return self._dict

    def ref(self, key: str) -> str:
        return f"{self.where[key]}{self.number}"

    def cell(self, key: str) -> Cell | None:
        if key not in self.values:
            return None
        return Cell(self.where[key], self.number, self.values[key], key in self.shares)

    @property
    def first(self) -> Cell:
        return self.cell(next(iter(self.values)))  # type: ignore[return-value]  # a key of values has a cell


_ABSENT = object()
"""A cell that gives the row no value (blank, or refused while reading)."""
ABSENT = _ABSENT


class PackedRows(Sequence[Row]):
    """A sheet's data rows, held as one flat list of values (one slot per read column and row)
    and the row numbers; each ``Row`` is made when it is asked for.

    100,000 rows as ``Row`` objects with a tuple each took about 25 MB in small blocks, which
    stayed scattered through the heap after the rows were planned and released (another 25 MB
    that the import's write could not use); the flat list is a single block, freed at once."""

    __slots__ = ("_flat", "_keys", "_numbers", "_shares", "_where", "_width")

    def __init__(self, keys: Sequence[str], where: dict[str, str]) -> None:
        self._keys = tuple(keys)
        self._width = len(self._keys)
        self._where = where
        self._flat: list[object] = []
        self._numbers = array("l")
        self._shares: dict[int, frozenset[str]] = {}

    def add(self, number: int, values: Sequence[object], shares: frozenset[str] = frozenset()) -> None:
        """One row: its number and one value per key, in key order (``_ABSENT`` for none)."""
        if shares:
            self._shares[len(self._numbers)] = shares
        self._numbers.append(number)
        self._flat.extend(values)

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
        start = index * self._width
        values = {k: v for k, v in zip(self._keys, self._flat[start:start + self._width], strict=True)
                  if v is not _ABSENT}
        return Row(self._numbers[index], values, self._where, self._shares.get(index, frozenset()))

    def __iter__(self) -> Iterator[Row]:
        return (self[i] for i in range(len(self)))

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
        width = self._width
        flat = self._flat
        return self._numbers[start:stop], [flat[start * width + c:stop * width:width] for c in range(width)]

    def has_shares(self, index: int) -> bool:
        """Whether row ``index`` has a cell formatted as a percentage."""
        return index in self._shares

    def clear(self) -> None:
        self._flat = []
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
                  columns: Mapping[str, str] | None = None) -> WorkbookData:
    """Check and read one workbook; raises ``WorkbookRefused`` when it cannot be used at all.

    ``extra`` reads further sheets while the workbook is open (``register_book.read_extras``);
    ``columns`` maps normalised headers to field keys (``headers.column_mapping``).
    """
    checked = check_workbook(path)
    check_budget(checked)
    name = checked.name
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
    except python_calamine.PasswordError:
        raise WorkbookRefused(
            name, "die Arbeitsmappe ist mit einem Kennwort geschützt; bitte ohne Kennwort speichern") from None
    except Exception:  # calamine raises several unrelated types for broken files
        raise WorkbookRefused(name, "die Arbeitsmappe ist beschädigt und kann nicht gelesen werden") from None
    try:
        data = _read(checked, wb, columns)
        if extra is not None:
            extra(checked, wb, data)
        return data
    finally:
        wb.close()


def _find_header(grid: list[list[object]], mapping: Mapping[str, str] | None = None,
                 ) -> tuple[int, dict[str, int], list[str]] | None:
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [header_key(v, mapping) for v in row]
        found = [k for k in keys if k]
        if "name" in found and len(found) >= 3:
            columns: dict[str, int] = {}
            duplicates = []
            for c, key in enumerate(keys):
                if key is None:
                    continue
                if key in columns:
                    duplicates.append(f"„{clean_text(str(row[c]))}“ "
                                      f"({column_letter(columns[key])}{r + 1} und {column_letter(c)}{r + 1})")
                else:
                    columns[key] = c
            return r, columns, duplicates
    return None


def _read(checked: CheckedFile, wb: python_calamine.CalamineWorkbook,
          mapping: Mapping[str, str] | None = None) -> WorkbookData:
    name = checked.name
    visible = [m.name for m in wb.sheets_metadata
               if m.visible == python_calamine.SheetVisibleEnum.Visible
               and m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    meta_sheet = META_SHEET if META_SHEET in wb.sheet_names else None
    meta = _read_meta(checked, wb) if meta_sheet else None
    candidates = ([s for s in visible if s == "Projekte"] or visible) if meta else visible
    any_data = False
    for sheet in candidates:
        ws = _open_sheet(checked, wb, sheet)
        rows = sheet_rows(checked, wb, sheet, ws)
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        found = _find_header(head, mapping)
        if found is None:
            any_data = any_data or any(v != "" for row in chain(head, rows) for v in row)
            continue
        header_row, columns, duplicates = found
        if duplicates:
            raise WorkbookRefused(name, f"Blatt „{sheet}“: Spalte {', '.join(duplicates)} kommt doppelt vor")
        data = _rows(checked, sheet, chain(head, rows), _merged(ws), header_row, columns, meta)
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


def _rows(checked: CheckedFile, sheet: str, grid: Iterable[list[object]],
          merged_ranges: list[tuple[tuple[int, int], tuple[int, int]]], header_row: int, columns: dict[str, int],
          meta: TemplateMeta | None) -> WorkbookData:
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
    for r, row in enumerate(grid):
        if r <= header_row:
            continue
        if len(data.problems) >= MAX_PROBLEMS:
            data.problems.append(too_many_problems(checked.name))
            break
        if (label := _totals_row(row, r, used_cols, facts.formulas)) is not None:
            kind = f"„{label}“" if label != "Formeln" else "nur Formeln über den Zeilen darüber"
            data.notes.append(f"Zeile {r + 1} ({kind}) ist eine Summenzeile und wurde übersprungen")
            continue
        if not checks:
            if len(row) < width:
                row = row + [""] * (width - len(row))
            packed = [_ABSENT if (v := row[c]) == "" else v for _key, c in col_items]
            if any(v is not _ABSENT for v in packed):
                rows.add(r + 1, packed)
            continue
        values = {}
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
            values[key] = value
            if pos in facts.percent:
                shares.add(key)
        if values:
            rows.add(r + 1, [values.get(key, _ABSENT) for key, _c in col_items], frozenset(shares))
    for (r0, c0), (r1, c1) in merged[:MAX_PROBLEMS]:
        data.problems.append(Problem(
            checked.name, f"{quoted}!{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}", "",
            "verbundene Zellen über den Daten; bitte die Verbindung aufheben und jeden Wert in seine Zelle schreiben",
        ))
    return data


def too_many_problems(file: str) -> Problem:
    return Problem(file, "", "", f"mehr als {MAX_PROBLEMS:,} Probleme; die übrigen Zeilen werden nicht geprüft"
                   .replace(",", "."))


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"
