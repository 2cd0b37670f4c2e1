"""``export register|templates|report`` and ``import``: the Excel round trip and the report documents
(see ``sachstand.io``; ``export report`` takes its format from the file name: .xlsx, .docx, .pptx, .pdf).

Rules:
- An export never writes over the register file (or its WAL).
- ``import`` is a dry run unless ``--apply``; then all files are saved or none.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .common import Parser, Subparsers, default_year, open_repo, year

if TYPE_CHECKING:
    from ..core import Repository


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("export", help="Excel-Arbeitsmappen schreiben")
    ex = s.add_subparsers(dest="export_command", metavar="ART", parser_class=Parser, required=True)
    e = ex.add_parser("register", help="das ganze Register in der gewohnten Übersicht")
    e.add_argument("-o", "--output", required=True, metavar="DATEI", help="Zieldatei (.xlsx)")
    e.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    e.set_defaults(func=cmd_export_register)
    e = ex.add_parser("templates", help="eine Vorlage je Bereich zum Ausfüllen")
    e.add_argument("--year", type=year, required=True, metavar="JAHR", help="Jahr, dessen Stand erfragt wird")
    e.add_argument("-o", "--output", required=True, metavar="ORDNER", help="Zielordner")
    e.add_argument("--department", metavar="CODE", help="nur dieser Bereich, z. B. „FB 11“")
    e.add_argument("--force", action="store_true", help="vorhandene Vorlagen im Zielordner überschreiben")
    e.set_defaults(func=cmd_export_templates)
    e = ex.add_parser("report", help="der Sachstandsbericht: Arbeitsmappe, Word, PowerPoint oder PDF")
    e.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    e.add_argument("-o", "--output", required=True, metavar="DATEI",
                   help="Zieldatei; das Format folgt der Endung: .xlsx, .docx, .pptx oder .pdf")
    e.add_argument("--template", metavar="DATEI",
                   help="eigene Vorlage im Corporate Design (.docx für .docx/.pdf, .pptx für .pptx)")
    e.set_defaults(func=cmd_export_report)

    s = sub.add_parser("import", help="Excel-Dateien einlesen (Probelauf; speichern mit --apply)")
    s.add_argument("files", nargs="+", metavar="DATEI", help="Übersicht oder ausgefüllte Vorlage (.xlsx)")
    s.add_argument("--apply", action="store_true", help="Änderungen speichern (alle Dateien oder keine)")
    s.add_argument("--json", action="store_true", help="Ergebnis als JSON für Skripte")
    s.add_argument("--year", type=year, metavar="JAHR", help="Jahr, für das Vorlagen gelten müssen")
    s.add_argument("--markup", metavar="DATEI", help="Kopie mit markierten Fehlerzellen schreiben (eine Datei)")
    s.set_defaults(func=cmd_import)


def _check_output(repo: Repository, output: str) -> None:
    """An export never writes over the register file (or its WAL)."""
    from ..core.errors import SachstandError

    target = Path(output).expanduser().absolute()
    if target in (repo.db.path, Path(f"{repo.db.path}.wal")):
        raise SachstandError(f"{output} ist die Registerdatei selbst; bitte eine andere Zieldatei wählen.")


def cmd_export_register(args: argparse.Namespace) -> int:
    from ..io.export import export_register

    repo = open_repo(args)
    _check_output(repo, args.output)
    count = export_register(repo, args.output, default_year(repo, args.year))
    print(f"{count} Projekte geschrieben: {args.output}")
    return 0


def cmd_export_templates(args: argparse.Namespace) -> int:
    from ..io.templates import export_templates

    paths = export_templates(open_repo(args), args.output, args.year, args.department, force=args.force)
    print(f"{len(paths)} Vorlagen geschrieben in {args.output}: " + ", ".join(p.name for p in paths))
    return 0


def cmd_export_report(args: argparse.Namespace) -> int:
    from ..io.report_documents import export_document, report_format

    report_format(args.output)  # an unknown suffix is refused before the register is opened
    repo = open_repo(args)
    _check_output(repo, args.output)
    export_document(repo, args.output, default_year(repo, args.year), args.template)
    print(f"Bericht geschrieben: {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..io.importing import run_import

    repo = open_repo(args, source="import")
    return run_import(repo, args.files, apply=args.apply, as_json=args.json, year=args.year, markup=args.markup)
