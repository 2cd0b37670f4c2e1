"""The report's own commands of ``sachstand``: ``texts``, ``examples`` and ``publish``.

Rules:
- ``texts export`` writes the year's sections as one Markdown file (``io.texts_md``), ``texts
  import`` stores them back all together, each based on the version it was exported at.
- ``examples`` shows or picks the projects a figure names ("Unter anderem folgende Projekte").
- ``planned`` lists the planned projects by priority, plans one (``--priority N``) or marks it
  started (``--started``); a planned project counts in no figure until then.
- ``publish`` records a year's report as published (Administrator); from then on the report of
  that year is shown as published, and ``check`` lists what changed since.
- Texts, examples and publishing need the role Administrator; the check is in core.
"""

from __future__ import annotations

import argparse

from ..core.text import safe_text
from ..core.types import is_digits
from .common import Parser, Subparsers, default_year, open_repo, show_notice
from .common import year as year_type


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("texts", help="Berichtstexte als Markdown aus- und einlesen")
    tx = s.add_subparsers(dest="texts_command", metavar="AKTION", parser_class=Parser, required=True)
    e = tx.add_parser("export", help="die Texte eines Jahres in eine Markdown-Datei schreiben")
    e.add_argument("--year", type=year_type, required=True, metavar="JAHR", help="Berichtsjahr")
    e.add_argument("-o", "--output", required=True, metavar="DATEI", help="Zieldatei (.md)")
    e.add_argument("--force", action="store_true", help="eine vorhandene Datei überschreiben")
    e.set_defaults(func=cmd_texts_export)
    i = tx.add_parser("import", help="die Texte aus einer Markdown-Datei speichern (Administrator)")
    i.add_argument("file", metavar="DATEI", help="mit „texts export“ erzeugte und bearbeitete Datei (.md)")
    i.set_defaults(func=cmd_texts_import)

    s = sub.add_parser("examples", help="Beispielprojekte je Kennzahl zeigen oder festlegen")
    s.add_argument("--year", type=year_type, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    s.add_argument("--figure", metavar="KENNZAHL", help="Kennzahl, z. B. completed (ohne: alle zeigen)")
    s.add_argument("ids", nargs="*", metavar="ID", help="Projekt-IDs in der gewünschten Reihenfolge (Administrator)")
    s.add_argument("--default", action="store_true", help="wieder die drei größten nach geplanten Kosten")
    s.set_defaults(func=cmd_examples)

    s = sub.add_parser("planned", help="geplante Projekte zeigen, eines planen oder als begonnen markieren")
    s.add_argument("id", nargs="?", metavar="ID", help="Projekt-ID (ohne: die geplanten Projekte zeigen)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--priority", type=_priority, metavar="N", help="als geplant mit Priorität N (1 zuerst)")
    g.add_argument("--started", action="store_true", help="nicht mehr geplant: das Projekt hat begonnen")
    s.set_defaults(func=cmd_planned)

    s = sub.add_parser("publish", help="den Bericht eines Jahres als veröffentlicht festhalten (Administrator)")
    s.add_argument("--year", type=year_type, required=True, metavar="JAHR", help="Berichtsjahr")
    s.set_defaults(func=cmd_publish)


def _priority(text: str) -> int:
    if not is_digits(text) or not 1 <= int(text) <= 9999:
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine Priorität (ganze Zahl ab 1)")
    return int(text)


def cmd_planned(args: argparse.Namespace) -> int:
    from ..core.errors import SachstandError
    from ..core.report_content import planned_projects

    repo = open_repo(args)
    if args.id is None:
        if args.priority is not None or args.started:
            raise SachstandError("Bitte die Projekt-ID angeben, z. B. „sachstand planned FB11-012 --priority 1“.")
    else:
        project = repo.get(args.id)
        if args.priority is None and not args.started:
            state = f"geplant, Priorität {project.priority}" if project.planned else "nicht geplant"
            print(f"{project.id} {safe_text(project.name)}: {state}")
            return 0
        show_notice(repo)
        saved = repo.update(project.id, project.version, {"priority": None if args.started else args.priority})
        state = f"geplant mit Priorität {saved.priority}" if saved.planned else "begonnen (nicht mehr geplant)"
        print(f"{saved.id} {safe_text(saved.name)}: {state}.")
        return 0
    planned = planned_projects(repo)
    if not planned:
        print("Keine geplanten Projekte.")
    for p in planned:
        print(f"{p.priority:>4}  {p.id}  {safe_text(p.name)} ({safe_text(p.department)})")
    return 0


def cmd_texts_export(args: argparse.Namespace) -> int:
    from ..core.output import TEXTS, check_output, write_output
    from ..core.report_content import check_text_year, report_content
    from ..io.texts_md import to_markdown

    repo = open_repo(args)
    target = check_output(args.output, TEXTS, repo.db.path, args.force)
    check_text_year(repo, args.year)
    if repo.publication(args.year) is not None:
        sections = report_content(repo, args.year).texts
    else:
        from ..core.report_content import texts

        sections = texts(repo, args.year)
    write_output(target, to_markdown(args.year, sections).encode("utf-8"))
    filled = sum(1 for s in sections if s.markdown)
    print(f"{len(sections)} Abschnitte ({filled} mit Text) für {args.year} geschrieben: {safe_text(args.output)}")
    return 0


def cmd_texts_import(args: argparse.Namespace) -> int:
    from ..core.report_content import save_texts
    from ..io.texts_md import read_markdown

    parsed = read_markdown(args.file)
    repo = open_repo(args)
    show_notice(repo)
    changed = save_texts(repo, parsed.year, parsed.sections)
    if changed:
        print(f"{changed} von {len(parsed.sections)} Abschnitten für {parsed.year} gespeichert.")
    else:
        print(f"Keine Änderung: die {len(parsed.sections)} Abschnitte für {parsed.year} sind schon so gespeichert.")
    return 0


def cmd_examples(args: argparse.Namespace) -> int:
    from ..core import figures
    from ..core.errors import SachstandError
    from ..core.report_content import report_content, set_examples

    repo = open_repo(args)
    year = default_year(repo, args.year)
    if args.ids or args.default:
        if not args.figure:
            raise SachstandError("Zum Festlegen bitte die Kennzahl mit --figure angeben, z. B. --figure completed.")
        if args.ids and args.default:
            raise SachstandError("Entweder Projekt-IDs oder --default, nicht beides.")
        show_notice(repo)
        set_examples(repo, year, args.figure, [] if args.default else args.ids)
    elif args.figure and args.figure not in figures.FIGURE_KEYS:
        raise SachstandError(f"Die Kennzahl „{args.figure}“ gibt es nicht (möglich: {', '.join(figures.FIGURE_KEYS)}).")
    figures.check_year(repo, year)
    content = report_content(repo, year)
    picked = repo.figure_examples(year) if content.published is None else {}
    for f in figures.FIGURES:
        if args.figure and f.key != args.figure:
            continue
        how = ("wie veröffentlicht" if content.published else
               "festgelegt" if picked.get(f.key) else "Standard: die größten nach Kosten")
        print(f"{f.label} ({f.key}), {year}: {how}")
        for p in content.examples.get(f.key, ()):
            print(f"  {p.id}  {safe_text(p.name)} ({safe_text(p.department)})")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from ..core.report_content import publish

    repo = open_repo(args)
    show_notice(repo)
    info = publish(repo, args.year)
    print(f"Bericht {args.year} veröffentlicht am {info.at:%d.%m.%Y um %H:%M} von {safe_text(info.by)}. "
          "Er bleibt von nun an, wie er ist; „sachstand check“ zeigt spätere Änderungen.")
    return 0
