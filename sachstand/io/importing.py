"""``sachstand import``: read every file, plan, show the preview, apply all or nothing, mark up.

An import that applies is preceded by an automatic backup (``core.backup``, rotated); a dry run
or a refused import writes no backup.

Exit codes: 0 clean, 1 problems or conflicts, 2 a file that cannot be read (raised as
``WorkbookRefused`` before anything is compared or written).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..core.backup import backup_before_import
from ..core.errors import SachstandError
from ..core.repository import Repository
from .diff import apply_plan, plan_import
from .headers import column_mapping
from .reader import read_workbook
from .register_book import read_extras


def run_import(repo: Repository, files: Sequence[str], apply: bool = False, as_json: bool = False,
               year: int | None = None, markup: str | None = None,
               columns: Mapping[str, str] | None = None) -> int:
    """``columns``: explicit "header in the file" → field pairs (``--column`` over ``[import.columns]``)."""
    try:
        mapping = column_mapping(columns or {})
    except ValueError as exc:
        raise SachstandError(f"--column: {exc}") from None
    if markup and len(files) != 1:
        raise SachstandError("--markup geht nur mit genau einer Datei.")
    if markup and Path(markup).resolve() == Path(files[0]).resolve():
        raise SachstandError("--markup braucht eine neue Datei; die eingelesene wird nie überschrieben.")
    data = [read_workbook(f, read_extras, mapping) for f in files]
    plan = plan_import(repo, data, year)
    if markup:  # before anything is applied: a markup path that cannot be written stops here
        from .markup import write_markup

        write_markup(data[0].path, markup, plan)
    applied = False
    if apply and plan.clean and not plan.changeset.empty:
        backup_before_import(repo)  # only an import that will write is backed up first
        apply_plan(repo, plan)
        applied = True
    if as_json:
        from .preview import as_json as to_json

        data = to_json(plan, applied)
        big = len(data["changed"]) + len(data["new"]) + len(data["problems"]) > 2000
        # Indented JSON goes through the pure-Python encoder; large results are printed compactly.
        print(json.dumps(data, ensure_ascii=False, indent=None if big else 2))
    else:
        from ..printout import make_console
        from .preview import render

        make_console(width=100).print(render(plan, applied))
        if markup:
            print(f"Markierte Kopie: {markup}", file=sys.stderr)
    return 0 if plan.clean else 1
