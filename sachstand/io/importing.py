"""``sachstand import``: read every file, plan, show the preview, apply all or nothing, mark up.

An import that applies is preceded by an automatic backup (``core.backup``, rotated); a dry run
or a refused import writes no backup.

Every file is read, even after one that cannot be: each unreadable file is reported with its
reason, the readable ones are still previewed, and nothing is applied (exit 2).

Exit codes: 0 clean, 1 problems or conflicts, 2 a file that cannot be read.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from io import BytesIO
from pathlib import Path
from shutil import copyfileobj
from tempfile import TemporaryFile
from typing import TYPE_CHECKING, TextIO

from ..core.backup import backup_before_import
from ..core.errors import SachstandError
from ..core.output import XLSX, check_output, write_output
from ..core.repository import Repository
from ..core.signals import held_stops
from ..core.text import safe_text
from .diff import apply_plan, check_template_year, plan_import, register_state
from .headers import column_mapping
from .layout import KIND_REGISTER
from .limits import CheckedFile, WorkbookRefused
from .opening import Opened
from .plan import ImportPlan
from .reader import WorkbookData, read_workbook

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

ON_CONFLICT = ("file", "register")
_STOPPED_SAVED = "Hinweis: abgebrochen, aber erst nach dem Speichern; die Änderungen sind gespeichert."
"""What a stop once an import is saved says (during its COMMIT, after it, or during its report)."""


def _read_extras(checked: CheckedFile, wb: CalamineWorkbook, data: WorkbookData) -> None:
    """``register_book.read_extras`` for a register workbook; the module (with xlsxwriter, about
    10 MB) is imported only when a file is one, so a large import does not carry it."""
    if data.meta is not None and data.meta.kind == KIND_REGISTER:
        from .register_book import read_extras

        read_extras(checked, wb, data)


def run_import(repo: Repository, files: Sequence[str], apply: bool = False, as_json: bool = False,
               year: int | None = None, markup: str | None = None,
               columns: Mapping[str, str] | None = None, on_conflict: str | None = None,
               show_all: bool = False, force: bool = False,
               early: Mapping[str, Opened | WorkbookRefused] | None = None) -> int:
    """The marked-up copy passes the output guard before any file is read (never the register,
    its files, an input, or a file that is not a workbook; an existing workbook only with
    ``force``), and is written atomically before anything is applied.

    ``columns``: explicit "header in the file" → field pairs (``--column`` over ``[import.columns]``);
    ``on_conflict``: settle every conflict for the "file" or the "register"; ``early``: files
    already opened (``opening.open_ahead``), by the path given, read from there."""
    try:
        mapping = column_mapping(columns or {})
    except ValueError as exc:
        raise SachstandError(f"--column: {exc}") from None
    if on_conflict not in (None, *ON_CONFLICT):
        raise SachstandError(f"--on-conflict: „{on_conflict}“; möglich sind file und register.")
    if markup and len(files) != 1:
        raise SachstandError("--markup geht nur mit genau einer Datei.")
    target = check_output(markup, XLSX, repo.db.path, force, others=files) if markup else None
    data: list[WorkbookData] = []
    refused: list[tuple[str, str]] = []
    pending = dict(early or {})
    # the register as the plan will compare against it, read while calamine parses the first file
    state = register_state(repo)
    for f in files:
        try:
            opened = pending.pop(f, None)  # a file given twice is read twice
            if isinstance(opened, WorkbookRefused):
                raise opened
            book = read_workbook(f, _read_extras, mapping, opened)
            check_template_year(book, state.years, year)
        except WorkbookRefused as exc:
            refused.append((Path(f).name, exc.reason))
            continue
        data.append(book)
    if refused and not data:
        for name, reason in refused:
            print(f"Fehler: {safe_text(name)}: {safe_text(reason)}", file=sys.stderr)
        return 2
    shares = None
    if markup and data:
        from .markup import share_cells

        shares = share_cells(data[0])
    # the plan holds all the preview and the apply need: each read row goes once it is planned
    plan = plan_import(repo, data, year, on_conflict, consume=True, state=state)
    if target is not None and data:
        from .markup import write_markup

        buffer = BytesIO()  # before anything is applied: a markup that cannot be written stops here
        write_markup(data[0], buffer, plan, shares)
        write_output(target, buffer.getvalue())
    clean = plan.clean
    if apply and clean and not refused and not plan.changeset.empty:
        # The output is made first, as it will read once applied, and the plan's rows go before
        # the write: DuckDB holds the uncommitted rows while the plan's memory is free again.
        with TemporaryFile("w+", encoding="utf-8") as ahead:
            # only an import that will write is backed up first. Not beside the output: each of
            # the backup's DuckDB calls waits for Python's interpreter lock while the output holds
            # it (about 40 ms a call), so the two took 0.2 s side by side, 0.17 s one after the other
            backup_before_import(repo)
            _show(plan, True, as_json, show_all, refused, markup, ahead)
            commits = repo.db.commits
            try:
                apply_plan(repo, plan, release=True)
            except KeyboardInterrupt:
                if repo.db.commits == commits:
                    raise  # stopped before the COMMIT: nothing was saved
                stopped = True  # stopped once it was saved: what was saved is still reported
            else:
                stopped = False
            try:
                with held_stops():
                    ahead.seek(0)
                    copyfileobj(ahead, sys.stdout)
            except KeyboardInterrupt:  # held while the report was written, and acted on after it
                stopped = True
            if stopped:
                print(_STOPPED_SAVED, file=sys.stderr)
    else:
        _show(plan, False, as_json, show_all, refused, markup, sys.stdout)
    for name, reason in refused:
        print(f"Fehler: {safe_text(name)}: {safe_text(reason)}", file=sys.stderr)
    if refused:
        return 2
    return 0 if clean else 1


def _show(plan: ImportPlan, applied: bool, as_json: bool, show_all: bool,
          refused: Sequence[tuple[str, str]], markup: str | None, out: TextIO) -> None:
    """The preview (or, with ``applied``, the report of what was written) into ``out``: JSON, or
    the printout as the terminal would show it."""
    if as_json:
        from .preview import as_json as to_json
        from .preview import write_json

        result = to_json(plan, applied, refused, lazy=True)
        big = sum(len(r.changes) if r.kind == "update" or (r.settled and r.changes) else r.kind == "new"
                  for r in plan.rows) + len(plan.problems) > 2000
        # Indented JSON goes through the pure-Python encoder; large results are written compactly, in batches.
        write_json(result, out, indent=None if big else 2)
    else:
        from ..printout import make_console
        from .preview import render

        console = make_console()
        with console.capture() as captured:
            console.print(render(plan, applied, show_all, refused))
        out.write(captured.get())
        if markup:
            print(f"Markierte Kopie: {safe_text(markup)}", file=sys.stderr)
