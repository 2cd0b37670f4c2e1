"""The ``sachstand`` command. Thin: it parses arguments and calls core, io and tui.

Rules:
- The register is ``--db PATH``, else ``$SACHSTAND_DB``, else
  ``~/.local/share/sachstand/register.duckdb``. Only at that default path is a missing register
  created (from the 2020 sample), and the command says so.
- Expected errors print one German line on stderr, with no traceback: exit 2 for input that
  cannot be used, 1 for refusals, conflicts and locks.
- Heavy libraries are imported by the commands that need them: ``summary`` loads neither
  textual nor openpyxl.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__

_ARGPARSE_DE = {
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "unrecognized arguments: %s": "unbekannte Angaben: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "argument %(argument_name)s: %(message)s": "Angabe %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "ungültiger Wert: %(value)r",
    "expected one argument": "erwartet einen Wert",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
}
argparse._ = lambda text: _ARGPARSE_DE.get(text, text)  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"Fehler: {message}\nHilfe: {self.prog} --help\n")


def _year(text: str) -> int:
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Jahr")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sachstand", description="Register und Sachstandsbericht der eGovernment-Projekte.")
    p.add_argument("--db", metavar="PFAD", help="Registerdatei (sonst $SACHSTAND_DB oder die Standarddatei)")
    p.add_argument("--config", metavar="DATEI", help="Rollen-Konfiguration (sonst $SACHSTAND_CONFIG oder sachstand.toml neben dem Register)")
    p.add_argument("--version", action="version", version=f"sachstand {__version__}",
                   help="Versionsnummer zeigen und beenden")
    sub = p.add_subparsers(dest="command", metavar="BEFEHL", parser_class=_Parser)

    s = sub.add_parser("init", help="neues Register anlegen")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--sample", action="store_true", help="mit dem Sachstandsbericht 2020 der Stadt Aachen (Standard)")
    g.add_argument("--empty", action="store_true", help="leer")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("summary", help="Kennzahlen als Übersicht im Terminal")
    s.add_argument("--year", type=_year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte Jahr mit Daten)")
    s.add_argument("--department", metavar="CODE", help="nur dieser Bereich, z. B. „FB 11“")
    s.add_argument("--json", action="store_true", help="Kennzahlen als JSON für Skripte")
    s.add_argument("--svg", metavar="DATEI", help="Ausgabe zusätzlich als SVG speichern")
    s.add_argument("--html", metavar="DATEI", help="Ausgabe zusätzlich als HTML speichern")
    s.set_defaults(func=cmd_summary)

    s = sub.add_parser("check", help="Datenqualität prüfen")
    s.add_argument("--year", type=_year, metavar="JAHR", help="Berichtsjahr der Prüfungen (Standard: das letzte)")
    s.add_argument("--json", action="store_true", help="Befunde als JSON für Skripte")
    s.set_defaults(func=cmd_check)

    _add_excel_parsers(sub)

    s = sub.add_parser("tui", help="die Terminal-Oberfläche öffnen (Standard ohne Befehl)")
    s.add_argument("--read-only", action="store_true", help="nur ansehen, nichts ändern")
    s.set_defaults(func=cmd_tui)

    from .cli_backup import add_parsers as add_backup_parsers

    add_backup_parsers(sub)

    from .cli_report import add_parsers as add_report_parsers

    add_report_parsers(sub, _Parser, _year)

    return p


def _fail(message: str, code: int = 2) -> int:
    print(f"Fehler: {message}", file=sys.stderr)
    return code


def _db_path(args: argparse.Namespace) -> Path:
    from .core import default_db_path

    return default_db_path(args.db)


def open_repo(args: argparse.Namespace, source: str = "cli"):  # -> Repository
    """The register for this command; creates the sample register at the default path only."""
    import os

    from .core import init_register, open_register

    path = _db_path(args)
    if not path.exists() and not args.db and not os.environ.get("SACHSTAND_DB"):
        init_register(path, sample=True, config=args.config, source=source)
        print(
            f"Hinweis: Kein Register gefunden; unter {path} wurde eines mit dem Sachstandsbericht 2020 der "
            "Stadt Aachen angelegt. Ein leeres Register: „sachstand --db PFAD init --empty“.",
            file=sys.stderr,
        )
    return open_register(path, source=source, config=args.config)


_notice_shown = False


def show_notice(repo) -> None:  # noqa: ANN001
    """Say once per process that no role config exists (see ``core.access``)."""
    global _notice_shown
    if repo.actor.notice and not _notice_shown:
        print(repo.actor.notice, file=sys.stderr)
        _notice_shown = True


def cmd_init(args: argparse.Namespace) -> int:
    from .core import init_register

    path = _db_path(args)
    repo = init_register(path, sample=not args.empty, config=args.config)
    show_notice(repo)
    what = "leeres Register" if args.empty else "Register mit dem Sachstandsbericht 2020 (58 Projekte)"
    print(f"{what} angelegt: {path}")
    return 0


def _default_year(repo, requested: int | None) -> int:  # noqa: ANN001
    from .core.errors import SachstandError

    if requested is not None:
        return requested
    years = repo.years()
    if not years:
        raise SachstandError("Das Register enthält noch keine Umsetzungsstände.")
    return years[-1]


def cmd_summary(args: argparse.Namespace) -> int:
    from .core import figures

    if args.json and (args.svg or args.html):
        from .core.errors import SachstandError

        raise SachstandError("--svg und --html speichern die Übersicht, nicht das JSON; bitte ohne --json aufrufen.")
    repo = open_repo(args)
    year = _default_year(repo, args.year)
    report = figures.report(repo, year, args.department, rows=not args.json)
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
        return 0
    from . import printout

    console = printout.make_console(record=bool(args.svg or args.html), width=80)
    console.print(printout.summary(report))
    if args.svg:
        console.save_svg(args.svg, title=f"Sachstandsbericht {year}", clear=False)
    if args.html:
        console.save_html(args.html, clear=False)
    return 0


def report_json(report) -> dict:  # noqa: ANN001
    """The figures of ``summary --json``: counts, per department, funding; money as strings."""
    out: dict = {"year": report.year, "department": report.department, "as_of": report.as_of.isoformat()}
    for f in report.figures:
        out[f.key] = f.value
    out["previous"] = {f.key: f.previous for f in report.figures}
    out["rules"] = {f.key: f.rule for f in report.figures}
    out["by_department"] = [
        {"code": d.code, "name": d.name, "projects": d.projects, "planned_cost": str(d.planned_cost),
         "mean_progress": None if d.mean_progress is None else str(d.mean_progress), "completed": d.completed}
        for d in report.by_department
    ]
    fund = report.funding
    out["funding"] = {
        "total_cost": str(fund.total_cost), "funding_total": str(fund.funding_total),
        "funding_city": str(fund.funding_city),
        "projects": [
            {"title": p.title_in_table, "total_cost": _s(p.total_cost), "funding_total": _s(p.funding_total),
             "funding_city": _s(p.funding_city)}
            for p in fund.projects
        ],
    }
    out["overdue_projects"] = list(report.overdue_ids)
    out["stalled_projects"] = list(report.stalled_ids)
    return out


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def cmd_check(args: argparse.Namespace) -> int:
    from .core.findings import findings

    repo = open_repo(args)
    if args.year is not None:
        from .core.figures import check_year

        check_year(repo, args.year)
    items = findings(repo, args.year)
    if args.json:
        print(json.dumps([f.__dict__ for f in items], ensure_ascii=False, indent=2))
        return 0
    from . import printout

    printout.make_console(width=80).print(printout.findings_table(items))
    return 0


def _add_excel_parsers(sub) -> None:  # noqa: ANN001
    """``export register|templates|report`` and ``import`` (see ``sachstand.io``)."""
    s = sub.add_parser("export", help="Excel-Arbeitsmappen schreiben")
    ex = s.add_subparsers(dest="export_command", metavar="ART", parser_class=_Parser, required=True)
    e = ex.add_parser("register", help="das ganze Register in der gewohnten Übersicht")
    e.add_argument("-o", "--output", required=True, metavar="DATEI", help="Zieldatei (.xlsx)")
    e.add_argument("--year", type=_year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    e.set_defaults(func=cmd_export_register)
    e = ex.add_parser("templates", help="eine Vorlage je Bereich zum Ausfüllen")
    e.add_argument("--year", type=_year, required=True, metavar="JAHR", help="Jahr, dessen Stand erfragt wird")
    e.add_argument("-o", "--output", required=True, metavar="ORDNER", help="Zielordner")
    e.add_argument("--department", metavar="CODE", help="nur dieser Bereich, z. B. „FB 11“")
    e.add_argument("--force", action="store_true", help="vorhandene Vorlagen im Zielordner überschreiben")
    e.set_defaults(func=cmd_export_templates)
    e = ex.add_parser("report", help="der Sachstandsbericht: Arbeitsmappe, Word, PowerPoint oder PDF")
    e.add_argument("--year", type=_year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    e.add_argument("-o", "--output", required=True, metavar="DATEI",
                   help="Zieldatei; das Format folgt der Endung: .xlsx, .docx, .pptx oder .pdf")
    e.add_argument("--template", metavar="DATEI",
                   help="eigene Vorlage im Corporate Design (.docx für .docx/.pdf, .pptx für .pptx)")
    e.set_defaults(func=cmd_export_report)

    s = sub.add_parser("import", help="Excel-Dateien einlesen (Probelauf; speichern mit --apply)")
    s.add_argument("files", nargs="+", metavar="DATEI", help="Übersicht oder ausgefüllte Vorlage (.xlsx)")
    s.add_argument("--apply", action="store_true", help="Änderungen speichern (alle Dateien oder keine)")
    s.add_argument("--json", action="store_true", help="Ergebnis als JSON für Skripte")
    s.add_argument("--year", type=_year, metavar="JAHR", help="Jahr, für das Vorlagen gelten müssen")
    s.add_argument("--markup", metavar="DATEI", help="Kopie mit markierten Fehlerzellen schreiben (eine Datei)")
    s.set_defaults(func=cmd_import)


def _check_output(repo, output: str) -> None:  # noqa: ANN001
    """An export never writes over the register file (or its WAL)."""
    from .core.errors import SachstandError

    target = Path(output).expanduser().absolute()
    if target in (repo.db.path, Path(f"{repo.db.path}.wal")):
        raise SachstandError(f"{output} ist die Registerdatei selbst; bitte eine andere Zieldatei wählen.")


def cmd_export_register(args: argparse.Namespace) -> int:
    from .io.export import export_register

    repo = open_repo(args)
    _check_output(repo, args.output)
    count = export_register(repo, args.output, _default_year(repo, args.year))
    print(f"{count} Projekte geschrieben: {args.output}")
    return 0


def cmd_export_templates(args: argparse.Namespace) -> int:
    from .io.templates import export_templates

    paths = export_templates(open_repo(args), args.output, args.year, args.department, force=args.force)
    print(f"{len(paths)} Vorlagen geschrieben in {args.output}: " + ", ".join(p.name for p in paths))
    return 0


def cmd_export_report(args: argparse.Namespace) -> int:
    from .io.report_documents import export_document, report_format

    report_format(args.output)  # an unknown suffix is refused before the register is opened
    repo = open_repo(args)
    _check_output(repo, args.output)
    export_document(repo, args.output, _default_year(repo, args.year), args.template)
    print(f"Bericht geschrieben: {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .io.importing import run_import

    repo = open_repo(args, source="import")
    return run_import(repo, args.files, apply=args.apply, as_json=args.json, year=args.year, markup=args.markup)


def cmd_tui(args: argparse.Namespace) -> int:
    from .tui.app import run_app

    return run_app(args, open_repo)


def main(argv: Sequence[str] | None = None) -> int:
    from .core.errors import SachstandError

    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", cmd_tui)
    if not hasattr(args, "read_only"):
        args.read_only = False
    try:
        return func(args)
    except SachstandError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("abgebrochen", 130)
    except OSError as exc:  # an output path that cannot be written, a folder given as a file, …
        from .core.errors import os_reason

        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{os_reason(exc)}", 2)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
