"""``export register|templates|report`` and ``import``: the Excel round trip and the report documents
(see ``sachstand.io``; ``export report`` takes its format from the file name: .xlsx, .docx, .pptx, .pdf).
``export opendata`` joins the same ``export`` command from ``cli.opendata``.

Rules:
- Every file written passes the output guard (``core.output``): never the register, its WAL,
  lock file or backups, never a file of another kind; an existing workbook only with ``--force``.
  Workbooks are built in memory and written atomically.
- ``import`` is a dry run unless ``--apply``; then all files are saved or none.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING

from ..core.text import safe_text
from .common import FORCE_HELP, Parser, Subparsers, default_year, few_collections, open_repo, year

if TYPE_CHECKING:
    from ..core import Repository


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("export", help="Excel-Arbeitsmappen oder offene Daten schreiben")
    ex = s.add_subparsers(dest="export_command", metavar="ART", parser_class=Parser, required=True)
    e = ex.add_parser("register", help="das ganze Register in der gewohnten Übersicht")
    e.add_argument("-o", "--output", required=True, metavar="DATEI", help="Zieldatei (.xlsx)")
    e.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    e.add_argument("--force", action="store_true", help=FORCE_HELP)
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
    e.add_argument("--force", action="store_true", help=FORCE_HELP)
    e.set_defaults(func=cmd_export_report)
    from .opendata import add_export_parser

    add_export_parser(ex)

    s = sub.add_parser("import", help="Excel-Dateien einlesen (Probelauf; speichern mit --apply)")
    s.add_argument("files", nargs="+", metavar="DATEI", help="Übersicht oder ausgefüllte Vorlage (.xlsx)")
    s.add_argument("--apply", action="store_true", help="Änderungen speichern (alle Dateien oder keine)")
    s.add_argument("--json", action="store_true", help="Ergebnis als JSON für Skripte")
    s.add_argument("--year", type=year, metavar="JAHR", help="Jahr, für das Vorlagen gelten müssen")
    s.add_argument("--markup", metavar="DATEI", help="Kopie mit markierten Fehlerzellen schreiben (eine Datei)")
    s.add_argument("--column", action="append", default=[], metavar="SPALTE=FELD",
                   help="Spalte der Datei einem Feld zuordnen, z. B. „Kosten (EUR)=Geplante Kosten“ (mehrfach)")
    s.add_argument("--on-conflict", choices=("file", "register"), metavar="file|register",
                   help="alle Konflikte für die Datei oder für das Register entscheiden (mit --apply speichern)")
    s.add_argument("--all", action="store_true", help="in großen Vorschauen jede Zeile zeigen")
    s.add_argument("--force", action="store_true", help="eine vorhandene Arbeitsmappe bei --markup überschreiben")
    s.set_defaults(func=cmd_import)


def _write_workbook(repo: Repository, output: str, force: bool, build: Callable[[BytesIO], object]) -> object:
    """Guard ``output``, build the workbook in memory with ``build``, write it atomically."""
    from ..core.output import XLSX, check_output, write_output

    target = check_output(output, XLSX, repo.db.path, force)
    buffer = BytesIO()
    result = build(buffer)
    write_output(target, buffer.getvalue())
    return result


def cmd_export_register(args: argparse.Namespace) -> int:
    from ..io.export import export_register

    repo = open_repo(args)
    chosen = default_year(repo, args.year)
    count = _write_workbook(repo, args.output, args.force, lambda out: export_register(repo, out, chosen))
    print(f"{count} Projekte geschrieben: {safe_text(args.output)}")
    return 0


def cmd_export_templates(args: argparse.Namespace) -> int:
    from ..io.templates import export_templates

    paths = export_templates(open_repo(args), args.output, args.year, args.department, force=args.force)
    print(f"{len(paths)} Vorlagen geschrieben in {safe_text(args.output)}: "
          + ", ".join(safe_text(p.name) for p in paths))
    return 0


def cmd_export_report(args: argparse.Namespace) -> int:
    from ..io.report_documents import export_document

    repo = open_repo(args)
    export_document(repo, args.output, default_year(repo, args.year), args.template, force=args.force)
    print(f"Bericht geschrieben: {safe_text(args.output)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with few_collections():
        return _import(args)


def _import(args: argparse.Namespace) -> int:
    from ..io.opening import open_ahead

    # the first file is checked and opened before the rest of the import's code is loaded and the
    # register opened: calamine parses its sheet meanwhile, in a thread (a marked-up copy's output
    # is checked before any file is read, in run_import)
    early = {args.files[0]: open_ahead(args.files[0])} if args.files and not args.markup else None

    from ..core.access import find_config, import_columns
    from ..core.errors import SachstandError
    from ..core.text import safe_text
    from ..io.headers import column_mapping, parse_column_option
    from ..io.importing import run_import

    repo = open_repo(args, source="import")
    columns = import_columns(repo.db.path, args.config)  # [import.columns] of sachstand.toml, then --column
    # where each pair was given, so a wrong field names the config file and key, or --column
    where = {source: f"{safe_text(str(find_config(repo.db.path, args.config)))} [import.columns] „{source}“"
             for source in columns}
    for text in args.column:
        try:
            source, target = parse_column_option(text)
        except ValueError as exc:
            raise SachstandError(f"--column: {exc}") from None
        columns[source] = target
        where[source] = "--column"
    for source, target in columns.items():
        try:
            column_mapping({source: target})
        except ValueError as exc:
            raise SachstandError(f"{where[source]}: {exc}") from None
    return run_import(repo, args.files, apply=args.apply, as_json=args.json, year=args.year, markup=args.markup,
                      columns=columns, on_conflict=args.on_conflict, show_all=args.all, force=args.force,
                      early=early)
