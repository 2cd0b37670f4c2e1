"""Department templates (``sachstand export templates``): one workbook per department.

Rules:
- File name: the department code reduced to letters, digits, ``.``, ``-`` and ``_``, plus the
  year, e.g. ``FB11_2021.xlsx``.
- Every file passes the output guard (``core.output``): never over the register or its files,
  never over a file that is not a workbook, existing ones only with ``force``; all are written
  together (``write_outputs``), so a full disk leaves none of them, never half a set.
- Rows: the department's projects open in Y (``figures.project_rows(..., open_only=True)``),
  then ``EMPTY_ROWS`` empty rows for new projects.
- The ID and the progress of Y−1 are locked; name, description, cost, dates, Y's progress and
  remarks are input cells. Y's progress column has a colour and frame of its own (``styles``).
- It prints on landscape pages one page wide, with the header row on every page and rows as
  tall as their wrapped text; the "Anleitung" explains every column. Y's progress has data
  validation (whole number 0..100) with a German message; the import re-checks every cell anyway,
  because pasted values bypass validation.
- The sheet is protected without a password: it guides, it does not secure.
- The hidden ``_sachstand`` sheet holds department, year, export time and each row's version,
  which the import uses to detect conflicts.
"""

from __future__ import annotations

import contextlib
import os
import re
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from ..core import figures
from ..core.changes import no_such_department, progress_key
from ..core.errors import SachstandError, WriteFailed
from ..core.output import XLSX, check_folder, check_output, write_outputs
from ..core.repository import Repository
from .export import write_cell, write_meta
from .layout import KIND_TEMPLATE, project_columns
from .safe import Formats, close_workbook, fit_widths, new_workbook
from .styles import HEADER, HEADER_HEIGHT, INPUT, LOCKED, YEAR_HEADER, YEAR_INPUT, paper, row_height

EMPTY_ROWS = 20
HEADER_ROW = 3

INSTRUCTIONS = (
    "So füllen Sie diese Vorlage aus",
    "",
    "1. Tragen Sie im Blatt „Projekte“ für jedes Projekt den Umsetzungsstand {year} ein: eine ganze Zahl "
    "von 0 bis 100 (ohne Nachkommastellen).",
    "2. Name, Kurzbeschreibung, geplante Kosten, Beginn und geplantes Ende können Sie korrigieren. "
    "Kosten als Betrag (z. B. 1.234,56), Daten als Datum (31.12.2021) oder als Quartal (Q 4 2021).",
    "3. Neue Projekte tragen Sie in die leeren Zeilen unten ein; die ID bleibt leer, sie wird vergeben.",
    "4. Eine leere Zelle ändert nichts: gespeicherte Werte werden dadurch nicht gelöscht.",
    "5. Die grauen Spalten (ID und Umsetzungsstand {previous}) sind gesperrt und dienen nur zur Orientierung.",
    "6. Hinweise für die IT schreiben Sie in die Spalte „Bemerkungen“.",
    "7. Bitte keine Zeilen oder Spalten löschen, keine Zellen verbinden und keine Formeln verwenden.",
    "",
    "Die Spalten",
    "",
    "ID – die Projekt-ID im Register (gesperrt). Bei neuen Projekten leer lassen.",
    "Name des Projektes – der Name, wie er im Bericht steht.",
    "Kurzbeschreibung / Projektziel – ein bis drei Sätze: was das Projekt erreichen soll.",
    "Geplante Kosten – der geplante Betrag in Euro, z. B. 150.000,00. Nur eine Zahl; Worte gehören in "
    "„Kostenhinweis“.",
    "Kostenhinweis – Worte zu den Kosten, wenn es keinen Betrag gibt oder der Betrag etwas anderes ist, z. B. "
    "„Finanzierung über FB 30“ oder „Fördersumme“ (dann steht in „Geplante Kosten“ die Fördersumme, nicht die "
    "geplanten Kosten). Sonst leer lassen.",
    "Beginn – der Projektbeginn: ein Datum (01.06.2021), ein Monat (06/2021), ein Quartal (Q 2 2021) oder ein Jahr.",
    "Geplantes Ende – das geplante Ende, in derselben Form wie der Beginn.",
    "Umsetzungsstand {previous} (in %) – der Stand des Vorjahres aus dem Register (grau, gesperrt), zum Vergleich.",
    "Umsetzungsstand {year} (in %) – HIER EINTRAGEN (orange Spalte): der Stand zum Ende {year}, eine ganze "
    "Zahl von 0 bis 100.",
    "Bemerkungen – Hinweise für die IT; sie werden gelesen, aber nicht ins Register übernommen.",
    "",
    "Die Vorlage gilt nur für den Bereich {department} und das Jahr {year}. Wurde ein Projekt "
    "inzwischen im Register geändert, meldet der Import einen Konflikt, statt etwas zu überschreiben.",
)


def template_filename(department: str, year: int) -> str:
    """Only letters (with umlauts), digits, ``.``, ``-`` and ``_``: whatever a code holds, the
    file name is printable and usable everywhere ("Dez. II" → ``Dez.II_2021.xlsx``)."""
    code = re.sub(r"[^0-9A-Za-zÄÖÜäöüß._-]+", "", department).lstrip(".-") or "Bereich"
    return f"{code}_{year}.xlsx"


def export_templates(repo: Repository, out_dir: str | Path, year: int,
                     department: str | None = None, force: bool = False) -> list[Path]:
    """Write one template per department (or only ``department``); returns the files written.

    Existing files are not overwritten without ``force`` (returned templates carry the same
    names), and two departments whose codes give the same file name are refused.
    """
    years = repo.years()
    if year not in years and (year - 1) not in years:
        have = ", ".join(map(str, years)) or "keine"
        raise SachstandError(f"Für {year} und {year - 1} gibt es keine Umsetzungsstände. Jahre mit Daten: {have}.")
    codes = [d.code for d in repo.departments()]
    if department is not None and department not in codes:
        raise no_such_department(department, codes)
    wanted = [department] if department else codes
    out = check_folder(out_dir, repo.db.path)
    names: dict[str, str] = {}
    for code in wanted:
        name = template_filename(code, year)
        if name in names:
            raise SachstandError(f"Die Bereiche „{names[name]}“ und „{code}“ ergäben beide die Datei {name}.")
        names[name] = code
    existing = [n for n in names if os.path.lexists(out / n)]
    if existing and not force:
        raise SachstandError(
            f"In {out} gibt es schon {', '.join(sorted(existing)[:3])}{' …' if len(existing) > 3 else ''}; "
            "nichts wurde überschrieben. Einen anderen Ordner wählen oder --force angeben."
        )
    targets = {n: check_output(out / n, XLSX, repo.db.path, force) for n in names} if out.is_dir() else {}
    projects = {p.id: p for p in repo.projects()}
    rows = figures.project_rows(repo.db, year, department, open_only=True)
    by_dept: dict[str, list[str]] = {}
    for r in rows:
        by_dept.setdefault(r.department, []).append(r.id)
    files = []
    for code in wanted:
        ids = by_dept.get(code, [])
        name = template_filename(code, year)
        buffer = BytesIO()
        _write_template(buffer, code, year, [projects[i] for i in ids if i in projects])
        files.append((targets.get(name, out / name), buffer.getvalue()))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(f"Der Ordner {out} lässt sich nicht anlegen", exc) from None
    try:
        write_outputs(files)  # all templates or none
    except BaseException:
        if created:  # nor the folder this run made for them
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    return [out / template_filename(code, year) for code in wanted]


def _write_template(path: Path | BinaryIO, department: str, year: int, projects: list) -> None:
    wb = new_workbook(path)
    fmt = Formats(wb)
    ws = wb.add_worksheet("Projekte")
    cols = [*project_columns(year, with_department=False), ("remarks", "Bemerkungen")]
    locked_keys = {"id", progress_key(year - 1)}
    fmt.text(ws, 0, 0, f"Sachstandsbericht {year}: Projekte des Bereichs {department}", bold=True, font_size=14)
    fmt.text(ws, 1, 0, f"Bitte den Umsetzungsstand {year} (orange Spalte) eintragen; die gelben Felder können "
             "Sie korrigieren. Hinweise im Blatt „Anleitung“.", italic=True)
    year_key = progress_key(year)
    widths = [float(len(h)) * 0.7 for _k, h in cols]
    for c, (k, h) in enumerate(cols):
        fmt.text(ws, HEADER_ROW, c, h, **(YEAR_HEADER if k == year_key else HEADER))
    ws.set_row(HEADER_ROW, HEADER_HEIGHT)
    first = HEADER_ROW + 1
    total = len(projects) + EMPTY_ROWS
    for i in range(total):
        p = projects[i] if i < len(projects) else None
        r = first + i
        for c, (key, _h) in enumerate(cols):
            props = dict(LOCKED if key in locked_keys else YEAR_INPUT if key == year_key else INPUT, valign="top")
            if key in ("name", "description", "remarks"):
                props["text_wrap"] = True
            if key == "remarks":
                fmt.text(ws, r, c, None, **props)
                continue
            w = write_cell(fmt, ws, r, c, key, p, **props)
            widths[c] = max(widths[c], w)
    col_of = {k: c for c, (k, _h) in enumerate(cols)}
    pc = col_of[year_key]
    ws.data_validation(first, pc, first + total - 1, pc, {
        "validate": "integer", "criteria": "between", "minimum": 0, "maximum": 100,
        "input_title": "Umsetzungsstand", "input_message": f"Ganze Zahl von 0 bis 100 (Stand {year})",
        "error_title": "Ungültiger Umsetzungsstand",
        "error_message": "Bitte eine ganze Zahl von 0 bis 100 eintragen, ohne Nachkommastellen.",
    })
    ws.freeze_panes(first, 2)
    widths[col_of["description"]] = min(widths[col_of["description"]], 50)
    widths[col_of["name"]] = min(widths[col_of["name"]], 34)
    fit_widths(ws, widths, maximum=52)
    ws.set_column(col_of["remarks"], col_of["remarks"], 30)
    wrapped = [(col_of[k], min(max(widths[col_of[k]] + 2, 8), 52)) for k in ("name", "description")]
    for i, p in enumerate(projects):
        height = row_height([(getattr(p, k), w) for k, (_c, w) in zip(("name", "description"), wrapped, strict=False)])
        if height:
            ws.set_row(first + i, height)
    paper(ws, HEADER_ROW, len(cols) - 1, f"Sachstandsbericht {year}: {department}")
    ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": False})
    guide = wb.add_worksheet("Anleitung")
    for r, line in enumerate(INSTRUCTIONS):
        text = line.format(year=year, previous=year - 1, department=department)
        fmt.text(guide, r, 0, text, text_wrap=True, valign="top", bold=r == 0 or line == "Die Spalten",
                 font_size=14 if r == 0 else 11)
        if height := row_height([(text, 110)]):
            guide.set_row(r, height)
    guide.set_column(0, 0, 110)
    guide.set_portrait()
    guide.fit_to_pages(1, 0)
    write_meta(wb, fmt, KIND_TEMPLATE, year, projects, department)
    ws.activate()
    close_workbook(wb)


