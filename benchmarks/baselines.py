"""The baselines: the least work a step could do with the libraries it stands on.

Each baseline runs in its own process, like the step it is compared with, so interpreter start
and imports count on both sides:

- ``bare-imports``: ``python -c "import duckdb, rich.console, rich.table"`` (for ``summary``).
- ``openpyxl-read FILE``: openpyxl read-only mode reads every value of every sheet.
- ``calamine-read FILE``: python-calamine reads every value of every sheet.
- ``import-floor FILE``: the least an import of FILE can do: the file through the checks every
  reader must pass before calamine may see it (``io.opening.open_workbook``: the zip's limits and
  the workbook budget, which keep a hostile file from aborting the process), calamine's parse of
  the first sheet, and its rows written to stdout as one compact JSON list. No rule, no
  register, no plan: what ``import --json`` does on top of it is the import's own cost.
- ``import-floor FILE REGISTER``: the same, then every row written into an empty REGISTER in
  one transaction: the project (ID, department, name, description, cost, dates as given) and
  its ten progress values, handed to DuckDB as one text per table that SQL splits (the import's
  own way), with no check, no audit and no backup: the floor of ``import --apply``.
- ``openpyxl-write REGISTER OUT YEAR``: fetches the export's values (ID, the six overview
  columns, progress of YEAR-1 and YEAR) from the register with one query and writes them with
  openpyxl's write-only mode, with no formats.

Run one by hand: ``python -m benchmarks.baselines openpyxl-read FILE``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

BARE_IMPORTS = "import duckdb, rich.console, rich.table"


def openpyxl_read(path: str) -> int:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            count += sum(1 for v in row if v is not None)
    workbook.close()
    return count


def calamine_read(path: str) -> int:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(path)
    count = 0
    for name in workbook.sheet_names:
        for row in workbook.get_sheet_by_name(name).to_python():
            count += sum(1 for v in row if v not in (None, ""))
    return count


def import_floor(path: str, register: str | None = None) -> int:
    import json

    from sachstand.io.opening import open_workbook

    opened = open_workbook(path)
    rows = opened.wb.get_sheet_by_name(opened.wb.sheet_names[0]).to_python()
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str))
    if register is not None:
        _write_floor(register, rows)
    return len(rows)


_FLOOR_PROJECTS = """
INSERT INTO projects (id, department, name, description, planned_cost, start_first, start_last, end_text,
                      created_at, updated_at)
SELECT f[1], f[2], f[3], f[4], TRY_CAST(f[5] AS DECIMAL(14,2)), TRY_CAST(f[6] AS DATE), TRY_CAST(f[6] AS DATE), f[7],
       now()::TIMESTAMP, now()::TIMESTAMP
FROM (SELECT string_split(unnest(string_split($t, '\x1e')), '\x1f') AS f)
"""
_FLOOR_PROGRESS = """
INSERT INTO progress SELECT f[1], f[2]::INTEGER, f[3]::INTEGER
FROM (SELECT string_split(unnest(string_split($t, '\x1e')), '\x1f') AS f)
"""


def _write_floor(register: str, rows: Sequence[Sequence[Any]]) -> None:
    """The rows of an overview (Bereich, Name, Beschreibung, Kosten, Beginn, Ende, then one
    percentage a year) into ``register``'s projects and progress, in one transaction."""
    import duckdb

    years = [int(str(h).split()[1]) for h in rows[0][6:]]
    projects, progress = [], []
    for n, row in enumerate(rows[1:], 1):
        pid = f"P-{n}"
        projects.append("\x1f".join((pid, *(str(v) for v in row[:6]))))
        progress += ["\x1f".join((pid, str(y), str(int(v)))) for y, v in zip(years, row[6:], strict=True)
                     if v != ""]
    conn = duckdb.connect(register)
    conn.execute("BEGIN")
    conn.execute(_FLOOR_PROJECTS, {"t": "\x1e".join(projects)})
    conn.execute(_FLOOR_PROGRESS, {"t": "\x1e".join(progress)})
    conn.execute("COMMIT")
    conn.close()


_EXPORT_SQL = """
SELECT p.id, p.department, p.name, p.description, p.planned_cost, p.start_first, p.end_first,
       prev.percent, cur.percent
FROM projects p
LEFT JOIN progress prev ON prev.project_id = p.id AND prev.year = $year - 1
LEFT JOIN progress cur ON cur.project_id = p.id AND cur.year = $year
WHERE NOT p.archived
ORDER BY p.department, p.name
"""


def openpyxl_write(register: str, out: str, year: int) -> int:
    import duckdb
    import openpyxl

    conn = duckdb.connect(register, read_only=True)
    rows = conn.execute(_EXPORT_SQL, {"year": year}).fetchall()
    conn.close()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Projekte")
    sheet.append(["ID", "Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten",
                  "Beginn", "Geplantes Ende", f"Umsetzungsstand {year - 1} (in %)",
                  f"Umsetzungsstand {year} (in %)"])
    for row in rows:
        sheet.append(row)
    workbook.save(out)
    return len(rows)


def main(argv: list[str]) -> int:
    name, args = argv[0], argv[1:]
    if name == "openpyxl-read":
        openpyxl_read(args[0])
    elif name == "calamine-read":
        calamine_read(args[0])
    elif name == "import-floor":
        import_floor(args[0], args[1] if len(args) > 1 else None)
    elif name == "openpyxl-write":
        openpyxl_write(args[0], args[1], int(args[2]))
    else:
        print(f"unknown baseline {name}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
