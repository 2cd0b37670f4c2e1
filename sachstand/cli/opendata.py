"""The ``export opendata`` and ``rollup`` commands of ``sachstand`` (parsers and handlers).

Rules:
- ``export opendata`` writes ``DIR/city=<AGS or name>/year=<Y>/`` (see ``core.opendata``).
- ``rollup`` reads registers and open-data folders read-only and prints the report's counts per
  city and in total (see ``core.rollup``); ``--json`` for scripts, ``--html`` to keep the printout.
- A missing or damaged source is one German line and exit 2; nothing is written then.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.text import json_text, safe_text
from .common import FORCE_HELP, Subparsers, open_repo, year


def add_export_parser(ex: Subparsers) -> None:
    """``export opendata``, added to the ``export`` command of ``cli.excel``."""
    from ..core.licenses import DEFAULT_LICENSE, LICENSES

    e = ex.add_parser("opendata", help="das Register als offene Daten (Parquet, CSV, DCAT-AP.de-Metadaten)")
    e.add_argument("--year", type=year, required=True, metavar="JAHR", help="Berichtsjahr")
    e.add_argument("-o", "--output", required=True, metavar="ORDNER",
                   help="Zielordner; geschrieben wird in city=<AGS oder Name>/year=<JAHR>/")
    e.add_argument("--license", default=DEFAULT_LICENSE, metavar="LIZENZ",
                   help=f"Lizenz (Standard {DEFAULT_LICENSE}; bekannt: {', '.join(LICENSES)}; oder eine URI)")
    e.add_argument("--force", action="store_true", help="einen schon exportierten Ordner desselben Jahres ersetzen")
    e.set_defaults(func=cmd_export_opendata)


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("rollup", help="Kennzahlen mehrerer Städte (Register oder Open-Data-Ordner) zusammen")
    s.add_argument("sources", nargs="+", metavar="QUELLE",
                   help="Registerdatei oder Open-Data-Ordner (auch ein Ordner mit vielen Städten)")
    s.add_argument("--year", type=year, metavar="JAHR", help="Berichtsjahr (Standard: das letzte mit Daten)")
    s.add_argument("--json", action="store_true", help="Kennzahlen als JSON für Skripte")
    s.add_argument("--html", metavar="DATEI", help="Ausgabe zusätzlich als HTML speichern")
    s.add_argument("--force", action="store_true", help=FORCE_HELP)
    s.add_argument("--department-map", metavar="DATEI",
                   help="Zuordnung der Bereiche zu gemeinsamen Themen (.toml oder .csv), "
                        "für einen Vergleich nach Thema")
    s.set_defaults(func=cmd_rollup)


def cmd_export_opendata(args: argparse.Namespace) -> int:
    from ..core.opendata import export_opendata

    repo = open_repo(args)
    result = export_opendata(repo, args.year, args.output, args.license, force=args.force)
    city = repo.city()
    print(safe_text(f"Offene Daten {city.name if city else ''} {args.year} geschrieben: {result.folder} "
                    f"({result.projects} Projekte, {len(result.files)} Dateien)"))
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    from ..core.department_map import load_department_map
    from ..core.errors import SachstandError
    from ..core.rollup import rollup

    if args.json and args.html:
        raise SachstandError("--html speichert die Übersicht, nicht das JSON; bitte ohne --json aufrufen.")
    mapping = load_department_map(args.department_map) if args.department_map else None
    html = None
    if args.html:
        from ..core.output import HTML, check_output

        html = check_output(args.html, HTML, None, args.force, others=args.sources)
    result = rollup(args.sources, args.year, mapping)
    if args.json:
        print(json_text(rollup_json(result)))
        return 0
    from .. import printout

    console = printout.make_console(record=bool(html), width=80)
    console.print(printout.rollup(result))
    if html:
        from ..core.output import write_output

        write_output(html, console.export_html(clear=False).encode("utf-8"))
    return 0


def rollup_json(result: Any) -> dict[str, Any]:
    """``year``, ``total`` (the count keys of ``summary --json``) and ``cities``; ``topics`` with a map."""
    from ..core.figures import FIGURE_KEYS

    out: dict[str, Any] = {
        "year": result.year,
        "as_of": result.as_of.isoformat(),
        "total": {k: result.total[k] for k in FIGURE_KEYS},
        "cities": [
            {"city": c.city, "ags": c.ags, "key": c.key, "source": c.source, **{k: c.counts[k] for k in FIGURE_KEYS}}
            for c in result.cities
        ],
    }
    if result.topics is not None:
        out["topics"] = [
            {"topic": t.topic, "total": {k: t.total[k] for k in FIGURE_KEYS},
             "cities": [{"city": name, **{k: counts[k] for k in FIGURE_KEYS}} for name, counts in t.cities]}
            for t in result.topics
        ]
    return out
