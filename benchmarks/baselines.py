"""The baselines: the least work a step could do with the libraries it stands on.

Each baseline runs in its own process, like the step it is compared with, so interpreter start
and imports count on both sides:

- ``bare-imports``: ``python -c "import duckdb, rich.console, rich.table"`` (for ``summary``).
- ``openpyxl-read FILE``: openpyxl read-only mode reads every value of every sheet.
- ``calamine-read FILE``: python-calamine reads every value of every sheet.
- ``openpyxl-write REGISTER OUT YEAR``: fetches the export's values (ID, the six overview
  columns, progress of YEAR-1 and YEAR) from the register with one query and writes them with
  openpyxl's write-only mode, with no formats.

Run one by hand: ``python -m benchmarks.baselines openpyxl-read FILE``.
"""

from __future__ import annotations

import sys

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
    elif name == "openpyxl-write":
        openpyxl_write(args[0], args[1], int(args[2]))
    else:
        print(f"unknown baseline {name}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
