"""``init``, ``settings``, ``summary`` and ``check``: create a register, name its city, print its
figures, check its data.

Rules:
- ``summary`` loads neither textual nor openpyxl; rich is loaded only for printed output.
- ``summary --json`` gives money as strings, so no figure passes through a float.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..core.text import json_text, safe_text
from .common import (
    FORCE_HELP,
    Subparsers,
    db_path,
    default_year,
    open_repo,
    show_notice,
    year,
)

if TYPE_CHECKING:
    from ..core.db import Database


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("init", help="neues Register anlegen")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--sample", action="store_true", help="mit dem Sachstandsbericht 2020 der Stadt Aachen (Standard)")
    g.add_argument("--empty", action="store_true", help="leer")
    s.add_argument("--city", metavar="NAME", help="Name der Stadt, z. B. „Stadt Aachen“ (Beispiel: Stadt Aachen)")
    s.add_argument("--ags", metavar="AGS", help="Amtlicher Gemeindeschlüssel, 8 Ziffern (braucht --city)")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("settings", help="Stadt und Gemeindeschlüssel zeigen oder festlegen (Administrator)")
    s.add_argument("--city", metavar="NAME", help="Name der Stadt")
    s.add_argument("--ags", metavar="AGS", help="Amtlicher Gemeindeschlüssel, 8 Ziffern (\"\" entfernt ihn)")
    s.set_defaults(func=cmd_settings)

    s = sub.add_parser("summary", help="Kennzahlen als Übersicht im Terminal")
    s.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte Jahr mit Daten)")
    s.add_argument("--department", metavar="CODE", help="nur dieser Bereich, z. B. „FB 11“")
    s.add_argument("--json", action="store_true", help="Kennzahlen als JSON für Skripte")
    s.add_argument("--svg", metavar="DATEI", help="Ausgabe zusätzlich als SVG speichern")
    s.add_argument("--html", metavar="DATEI", help="Ausgabe zusätzlich als HTML speichern")
    s.add_argument("--force", action="store_true", help=FORCE_HELP)
    s.set_defaults(func=cmd_summary)

    s = sub.add_parser("check", help="Datenqualität prüfen")
    s.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr der Prüfungen (Standard: das letzte)")
    s.add_argument("--json", action="store_true", help="Befunde als JSON für Skripte")
    s.set_defaults(func=cmd_check)


def cmd_init(args: argparse.Namespace) -> int:
    from ..core import City, init_register
    from ..core.errors import SachstandError

    if args.ags is not None and args.city is None:
        raise SachstandError("--ags braucht auch --city (den Namen der Stadt).")
    city = City(args.city, args.ags) if args.city is not None else None
    path = db_path(args)
    repo = init_register(path, sample=not args.empty, config=args.config, city=city)
    show_notice(repo)
    what = "leeres Register" if args.empty else "Register mit dem Sachstandsbericht 2020 (58 Projekte)"
    city = repo.city()
    print(f"{what} angelegt: {safe_text(str(path))}" + (f" – {safe_text(city.display)}" if city else ""))
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """Without flags, show the city; with ``--city``/``--ags``, set them (kept where not given)."""
    from ..core import City
    from ..core.errors import InvalidValue, SachstandError

    repo = open_repo(args)
    try:
        city = repo.city()
    except InvalidValue:  # a name stored before entry was checked: replaceable with --city
        if args.city is None:
            raise
        city = None
    if args.city is not None or args.ags is not None:
        if args.city is None and city is None:
            raise SachstandError("Es ist noch keine Stadt festgelegt; bitte zuerst --city angeben.")
        name = args.city if args.city is not None else city.name  # type: ignore[union-attr]  # city set: checked above
        ags = args.ags if args.ags is not None else (city.ags if city else None)
        show_notice(repo)
        repo.set_city(City(name, ags or None))
        city = repo.city()
        print("Gespeichert.")
    print(f"Stadt: {safe_text(city.name) if city else '(nicht festgelegt; „sachstand settings --city NAME“)'}")
    print(f"Amtlicher Gemeindeschlüssel: {safe_text(city.ags) if city and city.ags else '–'}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    if args.json and (args.svg or args.html):
        from ..core.errors import SachstandError

        raise SachstandError("--svg und --html speichern die Übersicht, nicht das JSON; bitte ohne --json aufrufen.")
    with _reading_ahead(args) as db:  # the register opens while the modules below are imported
        from ..core import figures

        repo = open_repo(args, db=db)
        svg = html = None
        if args.svg or args.html:  # checked before any query, so a bad path costs no report
            from ..core.output import HTML, SVG, check_output

            svg = check_output(args.svg, SVG, repo.db.path, args.force) if args.svg else None
            html = check_output(args.html, HTML, repo.db.path, args.force) if args.html else None
        shown: bool | int = False  # the JSON has no per-project rows; the printout shows the first of each table
        if not args.json:
            from ..printout import SHOWN_ROWS

            shown = SHOWN_ROWS
        with repo.db.read():  # one connection for the year, the report and its publication
            chosen = default_year(repo, args.year)
            report = figures.report(repo, chosen, args.department, rows=shown)
            published = repo.publication(chosen)  # a published year is shown as published (core.figures)
    if args.json:
        out = report_json(report)
        out["published"] = {"at": published.at.isoformat(), "by": published.by} if published else None
        print(json_text(out))
        return 0
    from rich.text import Text

    from .. import printout

    console = printout.make_console(record=bool(svg or html), width=80)
    console.print(printout.summary(report, published.at if published else None))
    if published:
        console.print(Text(f"Gezeigt wie am {published.at:%d.%m.%Y} von {safe_text(published.by)} veröffentlicht; "
                           "spätere Änderungen: sachstand check.", style="dim"))
    if svg or html:
        from ..core.output import write_output

        if svg:
            write_output(svg, console.export_svg(title=f"Sachstandsbericht {chosen}", clear=False).encode("utf-8"))
        if html:
            write_output(html, console.export_html(clear=False).encode("utf-8"))
    return 0


@contextmanager
def _reading_ahead(args: argparse.Namespace) -> Iterator[Database | None]:
    """The register's ``Database``, its read connection opening on a helper thread while the
    command goes on (``Database.read_ahead``) and closed on leaving; None, without reading ahead,
    for a register that does not exist (``open_repo`` says why, or creates the sample one)."""
    path = db_path(args)
    if not path.exists():
        yield None
        return
    from ..core.db import Database

    db = Database(path)
    with db.read_ahead():
        yield db


def report_json(report: Any) -> dict[str, Any]:
    """The figures of ``summary --json``: counts, per department, funding; money as strings."""
    out: dict[str, Any] = {"city": report.city.name if report.city else None,
                           "ags": report.city.ags if report.city else None,
                           "year": report.year, "department": report.department, "as_of": report.as_of.isoformat()}
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
    from ..core.findings import findings

    repo = open_repo(args)
    if args.year is not None:
        from ..core.figures import check_year

        check_year(repo, args.year)
    items = findings(repo, args.year)
    if args.json:
        print(json_text([f.__dict__ for f in items]))
        return 0
    from .. import printout

    printout.make_console(width=80).print(printout.findings_table(items))
    return 0
