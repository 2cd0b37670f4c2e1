"""``sachstand import``: read every file, plan, show the preview, apply all or nothing, mark up.

An import that applies is preceded by an automatic backup (``core.backup``, rotated); a dry run
or a refused import writes no backup.

Exit codes: 0 clean, 1 problems or conflicts, 2 a file that cannot be read (raised as
``WorkbookRefused`` before anything is compared or written).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from io import BytesIO

from ..core.backup import backup_before_import
from ..core.errors import SachstandError
from ..core.output import XLSX, check_output, write_output
from ..core.repository import Repository
from ..core.text import json_text, safe_text
from .diff import apply_plan, plan_import
from .reader import read_workbook


def run_import(repo: Repository, files: Sequence[str], apply: bool = False, as_json: bool = False,
               year: int | None = None, markup: str | None = None, force: bool = False) -> int:
    """The marked-up copy passes the output guard before any file is read (never the register,
    its files, an input, or a file that is not a workbook; an existing workbook only with
    ``force``), and is written atomically before anything is applied."""
    if markup and len(files) != 1:
        raise SachstandError("--markup geht nur mit genau einer Datei.")
    target = check_output(markup, XLSX, repo.db.path, force, others=files) if markup else None
    data = [read_workbook(f) for f in files]
    plan = plan_import(repo, data, year)
    if target is not None:  # before anything is applied: a markup that cannot be written stops here
        from .markup import write_markup

        buffer = BytesIO()
        write_markup(data[0].path, buffer, plan)
        write_output(target, buffer.getvalue())
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
        print(json_text(data, indent=None if big else 2))
    else:
        from ..printout import make_console
        from .preview import render

        make_console(width=100).print(render(plan, applied))
        if markup:
            print(f"Markierte Kopie: {safe_text(markup)}", file=sys.stderr)
    return 0 if plan.clean else 1
