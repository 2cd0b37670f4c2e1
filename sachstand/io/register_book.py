"""The register workbook's extra sheets: what it takes to recreate a register from its export
(written by ``register_write``, read here; their names are in ``layout``).

Sheets after the familiar "Projekte" (``export.export_register`` writes the workbook):
- "Förderprojekte": the funded projects with their sums (the report's table) and, after the
  report's columns, their number, full title and goals;
- "Förderpartner" (Nr | Partner | Rolle) and "Förderverknüpfungen" (Nr | Projekt-ID | Name);
- "Umsetzungsstände": progress of the reporting years that "Projekte" does not show (it shows
  the export's year and the one before);
- "Archiv": archived projects in the layout of "Projekte";
- "Bereiche": department codes and names;
- "Berichtete Kennzahlen": the figures a published report stated (``check`` compares them);
- "Register": the city's name and AGS, and the planning priority of projects not yet started.

Rules:
- These sheets are read only from a workbook whose hidden sheet says "Register"; they are used
  in full only when the target register is empty (a restore: the given IDs are kept). Into a
  register that has projects, only "Projekte" is compared, as for any overview.
- Every value is parsed with the import's own cell parsers; a bad cell is a ``Problem`` naming
  it, and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from ..core import figures
from ..core.errors import SachstandError
from ..core.models import City, NewFundedProject, Partner
from ..core.types import Money, is_digits
from . import cells
from .layout import ARCHIVE, DEPARTMENTS, FUNDED, LINKS, PARTNERS, PROGRESS, REGISTER, REPORTED
from .limits import HEADER_SEARCH_ROWS
from .ooxml import column_letter
from .reader import Problem, WorkbookData, _find_header, _rows
from .sheetread import SheetValues, sheet_rows


@dataclass
class RegisterExtras:
    """What the extra sheets hold; ``archive`` is the "Archiv" sheet read like "Projekte"."""

    departments: dict[str, str | None] = field(default_factory=dict)
    progress: dict[str, dict[int, int]] = field(default_factory=dict)
    funded: list[NewFundedProject] = field(default_factory=list)
    reported: dict[int, dict[str, int]] = field(default_factory=dict)
    archive: WorkbookData | None = None
    city: City | None = None
    priority: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


# ---- reading ---------------------------------------------------------------------------------

class _Sheet:
    """One extra sheet: its header row, and its other non-empty rows as (row number, values),
    streamed once (``rows``); absent sheets are empty."""

    def __init__(self, checked, wb, name: str, extras: RegisterExtras) -> None:
        self.name = name
        self.extras = extras
        self.file = checked.name
        self.heads: list[object] = []
        self._rows: Iterator[list[object]] = iter(())
        if name in wb.sheet_names:
            self._rows = sheet_rows(checked, wb, name)
            self.heads = next(self._rows, [])
        self.quoted = "'" + name.replace("'", "''") + "'"

    @property
    def rows(self) -> Iterator[tuple[int, list[object]]]:
        return ((r, row) for r, row in enumerate(self._rows, start=2) if any(v != "" for v in row))

    def get(self, number: int, row: list[object], col: int, parser, **kw):
        value = row[col] if col < len(row) else ""
        if cells.is_empty(value):
            return None
        try:
            return parser(value, **kw) if kw else parser(value)
        except ValueError as exc:
            ref = f"{self.quoted}!{column_letter(col)}{number}"
            self.extras.problems.append(Problem(self.file, ref, cells.shown(value), str(exc)))
            return None


def _whole(value: object) -> int:
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is int:
        return value
    raise ValueError(f"„{cells.shown(value)}“ ist keine ganze Zahl")


def _amount(value: object) -> Money | None:
    cost = cells.money(value)
    if cost is None:
        return None
    if cost.note:
        raise ValueError(f"„{cells.shown(value)}“ ist kein Eurobetrag")
    return cost.amount


def _day(value: object) -> date | None:
    period = cells.period(value)
    return None if period is None else period.first_day


def read_extras(checked, wb, data: WorkbookData) -> None:
    """Attach the extra sheets of a register workbook to ``data.extras`` (a reader hook)."""
    if data.meta is None or data.meta.kind != "Register":
        return
    extras = RegisterExtras()
    sheet = _Sheet(checked, wb, DEPARTMENTS, extras)
    for n, row in sheet.rows:
        code = sheet.get(n, row, 0, cells.text)
        if code:
            extras.departments[code] = sheet.get(n, row, 1, cells.text)

    sheet = _Sheet(checked, wb, PROGRESS, extras)
    if sheet.name in wb.sheet_names:
        years = {c: int(h[16:20]) for c, h in enumerate(sheet.heads)
                 if isinstance(h, str) and h.startswith("Umsetzungsstand ") and is_digits(h[16:20])}
        for n, row in sheet.rows:
            pid = sheet.get(n, row, 0, cells.ident)
            if not pid:
                continue
            values = {y: v for c, y in years.items() if (v := sheet.get(n, row, c, cells.percent)) is not None}
            extras.progress[pid] = values

    sheet = _Sheet(checked, wb, FUNDED, extras)
    funded: dict[int, dict] = {}
    for n, row in sheet.rows:
        if row and row[0] == "Summe":
            continue
        nr = sheet.get(n, row, 8, _whole)
        if nr is None:
            continue
        title_in_table = sheet.get(n, row, 1, cells.text) or ""
        funded[nr] = dict(
            programme=sheet.get(n, row, 0, cells.text) or "", title_in_table=title_in_table,
            title=sheet.get(n, row, 9, cells.text) or title_in_table,
            recipients=sheet.get(n, row, 2, cells.text) or "", start=sheet.get(n, row, 3, _day),
            duration_months=sheet.get(n, row, 4, _whole), total_cost=sheet.get(n, row, 5, _amount),
            funding_total=sheet.get(n, row, 6, _amount), funding_city=sheet.get(n, row, 7, _amount),
            goals=sheet.get(n, row, 10, cells.text) or "", partners=[], linked_projects=[],
        )
    for name, parse in ((PARTNERS, None), (LINKS, cells.ident)):
        sheet = _Sheet(checked, wb, name, extras)
        for n, row in sheet.rows:
            nr = sheet.get(n, row, 0, _whole)
            if nr not in funded:
                continue
            if parse is None:
                funded[nr]["partners"].append(Partner(sheet.get(n, row, 1, cells.text) or "",
                                                      sheet.get(n, row, 2, cells.text) or ""))
            elif pid := sheet.get(n, row, 1, parse):
                funded[nr]["linked_projects"].append(pid)
    extras.funded = [
        NewFundedProject(**{**f, "partners": tuple(f["partners"]), "linked_projects": tuple(f["linked_projects"])})
        for _nr, f in sorted(funded.items())
    ]

    sheet = _Sheet(checked, wb, REPORTED, extras)
    keys = {d.key for d in figures.FIGURES}
    for n, row in sheet.rows:
        year, key, value = sheet.get(n, row, 0, _whole), sheet.get(n, row, 1, cells.text), sheet.get(n, row, 3, _whole)
        if year is not None and key in keys and value is not None:
            extras.reported.setdefault(year, {})[key] = value

    sheet = _Sheet(checked, wb, REGISTER, extras)
    register_rows = list(sheet.rows)
    for n, row in register_rows:
        label = row[0] if row else ""
        if label == "Stadt" and (name := sheet.get(n, row, 1, cells.text)):
            ags = next((sheet.get(m, r2, 1, cells.text) for m, r2 in register_rows if r2 and r2[0] == "Gemeindeschlüssel"),
                       None)
            try:
                extras.city = City(name, ags)
            except SachstandError as exc:
                extras.problems.append(Problem(checked.name, f"{REGISTER}!B{n}", name, exc.message))
        elif (
            n > 5
            and (pid := sheet.get(n, row, 0, cells.ident))
            and (priority := sheet.get(n, row, 1, _whole)) is not None
        ):
            extras.priority[pid] = priority

    if ARCHIVE in wb.sheet_names:
        archive = SheetValues(checked, wb, ARCHIVE)
        rows = archive.rows()
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        found = _find_header(head)
        if found is not None:
            extras.archive = _rows(checked, ARCHIVE, head, rows, archive, [], found[0], found[1], data.meta)
            extras.problems.extend(extras.archive.problems)
    data.extras = extras
    data.problems.extend(extras.problems)
