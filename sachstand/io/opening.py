"""A workbook opened for reading: checked (``limits.check_workbook``), through the budget
(``budget.check_budget``), and open in python-calamine, with its first sheet perhaps parsed
ahead in a thread (``open_ahead``).

Rules:
- Nothing opens a file in calamine before the limits and the budget have accepted it (calamine
  allocates from what the file claims; see ``budget``).
- This module loads only what the opening needs (not the reader's rules, not the register's
  model), so that ``import`` starts calamine's parse of its first file as early as it can and
  loads the rest meanwhile.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Set
from pathlib import Path

import python_calamine

from .budget import check_budget
from .limits import CheckedFile, WorkbookRefused, check_workbook
from .ooxml import other_encoding
from .sheetnames import META_SHEET, PROJECTS
from .sheetread import _open_sheet


class Opened:
    """A workbook through ``check_workbook`` and the budget, and open in calamine.

    ``ahead()`` parses the sheet the reader will most likely read first (as ``candidates``
    orders them) in a thread: calamine parses without the GIL, so the caller's own work (the
    import's other modules, the register) is done meanwhile. Nothing else touches the workbook
    until ``sheet`` has waited for that thread; a sheet the thread could not parse is parsed
    again where it is read, so its refusal comes at the same place as without it."""

    def __init__(self, checked: CheckedFile, clean: Set[str], wb: python_calamine.CalamineWorkbook) -> None:
        self.checked, self.clean, self.wb = checked, clean, wb
        self._name: str | None = None
        self._sheet: python_calamine.CalamineSheet | None = None
        self._thread: threading.Thread | None = None
        self._parsed = threading.Event()  # set once the thread is done with the workbook

    def ahead(self) -> None:
        found = candidates(self.wb)
        if not found:
            return
        self._name = found[0]
        # a daemon: a stop (ctrl+c) or an error of the caller ends the process without waiting for it
        self._thread = threading.Thread(target=self._parse, name="sachstand-sheet", daemon=True)
        self._thread.start()

    def _parse(self) -> None:
        try:
            with contextlib.suppress(Exception):  # parsed again where it is read, which refuses it with its line
                self._sheet = self.wb.get_sheet_by_name(self._name)  # type: ignore[arg-type]  # set by ahead
        finally:
            self._parsed.set()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        """Close the workbook; not while the thread still parses it (only after a stop while it
        was waited for: calamine refuses that with "Already borrowed", and the process ends).
        Its own event says so: ``Thread.is_alive`` is False once a ``join`` was interrupted
        (Python 3.11), while the thread still runs."""
        if self._thread is None or self._parsed.is_set():
            self.wb.close()

    def sheet(self, name: str) -> python_calamine.CalamineSheet:
        """The sheet ``name``: the one parsed ahead, once (it is not kept), or parsed now."""
        self.wait()
        if name == self._name and self._sheet is not None:
            sheet, self._sheet, self._name = self._sheet, None, None
            return sheet
        return _open_sheet(self.checked, self.wb, name)


def open_workbook(path: str | Path) -> Opened:
    """``check_workbook``, the budget, and calamine's open; raises ``WorkbookRefused``."""
    checked = check_workbook(path, unpack=True)
    try:
        clean = check_budget(checked).clean
    finally:
        checked.unpacked.clear()  # what the budget did not take
    name = checked.name
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
    except python_calamine.PasswordError:
        raise WorkbookRefused(
            name, "die Arbeitsmappe ist mit einem Kennwort geschützt; bitte ohne Kennwort speichern") from None
    except Exception:  # calamine raises several unrelated types for broken files
        if (found := other_encoding(checked)) is not None:
            raise WorkbookRefused(name, f"der Teil „{found[0]}“ ist nicht in UTF-8 gespeichert ({found[1]}); bitte "
                                        "in Excel oder LibreOffice neu speichern") from None
        raise WorkbookRefused(name, "die Arbeitsmappe ist beschädigt und kann nicht gelesen werden") from None
    return Opened(checked, clean, wb)


def open_ahead(path: str | Path) -> Opened | WorkbookRefused:
    """``open_workbook(path)`` with its first sheet parsed ahead (``Opened.ahead``), or the
    refusal, which the caller raises where it reads the file, so that it is reported there."""
    try:
        opened = open_workbook(path)
    except WorkbookRefused as exc:
        return exc
    opened.ahead()
    return opened


def candidates(wb: python_calamine.CalamineWorkbook) -> list[str]:
    """The sheets that may hold the list, in the order they are tried: the visible worksheets;
    of sachstand's own workbooks (with the hidden meta sheet), „Projekte“ alone when visible."""
    visible = [m.name for m in wb.sheets_metadata
               if m.visible == python_calamine.SheetVisibleEnum.Visible
               and m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if META_SHEET in wb.sheet_names:
        return [s for s in visible if s == PROJECTS] or visible
    return visible
