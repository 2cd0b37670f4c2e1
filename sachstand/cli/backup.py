"""The ``backup`` and ``restore`` commands of ``sachstand`` (parsers and handlers).

Rules:
- Both need the role Administrator; the check is ``Actor.require_admin`` in core.
- ``restore`` asks in a terminal (German "ja"/"nein") and needs ``--yes`` when no terminal is
  attached; without either it refuses with exit code 2 and changes nothing.
- ``restore`` never opens the current register as a database, so it also works when that file is
  damaged: only the backup is checked, and the current file is kept as a copy first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.text import safe_text
from ..core.types import is_digits
from .common import Subparsers, db_path, fail, open_repo, show_notice


def _count(text: str) -> int:
    if not is_digits(text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine Anzahl ab 1")
    return int(text)


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("backup", help="Sicherung des Registers anlegen (Administrator)")
    s.add_argument("-o", "--output", metavar="ORDNER", help="Zielordner (Standard: <Register>.backups neben der Datei)")
    s.add_argument("--keep", type=_count, metavar="N",
                   help="danach nur die letzten N manuellen Sicherungen im Ordner behalten")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="Register aus einer Sicherung wiederherstellen (Administrator)")
    s.add_argument("backup", metavar="SICHERUNG", help="die Sicherungsdatei")
    s.add_argument("--yes", action="store_true", help="ohne Rückfrage (für Skripte)")
    s.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    from ..core import backup

    repo = open_repo(args)
    show_notice(repo)
    repo.actor.require_admin("Sicherung anlegen")
    directory = Path(args.output) if args.output else None
    info = backup.backup(repo.db, directory)
    removed = backup.rotate(repo.db.path, args.keep, info.path.parent, backup.MANUAL) if args.keep else []
    print(f"Sicherung angelegt: {safe_text(str(info.path))} ({info.describe()})")
    if removed:
        print(f"{len(removed)} ältere Sicherung(en) entfernt; es bleiben die letzten {args.keep}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..core import backup
    from ..core.access import resolve_actor
    from ..core.db import Database
    from ..core.files import backup_dir_for

    db = Database(db_path(args))
    actor = resolve_actor(db.path, args.config)
    if actor.notice:
        print(actor.notice, file=sys.stderr)
    actor.require_admin("Register wiederherstellen")
    backup.check_target(db.path)
    info = backup.verify(Path(args.backup))
    if not args.yes:
        if not sys.stdin.isatty():
            return fail("Wiederherstellen ohne Terminal braucht --yes; nichts wurde geändert.", 2)
        print(f"Das Register {safe_text(str(db.path))} wird durch die Sicherung {safe_text(str(info.path))} "
              f"ersetzt ({info.describe()}).")
        if db.path.exists():
            print(f"Die jetzige Datei wird vorher nach {safe_text(str(backup_dir_for(db.path)))} kopiert.")
        try:
            answer = input("Wiederherstellen? [ja/nein] ").strip().casefold()
        except EOFError:
            answer = ""
        if answer not in ("ja", "j"):
            print("Abgebrochen; nichts wurde geändert.")
            return 1
    info, kept = backup.restore(db, info.path, actor)
    print(f"Wiederhergestellt aus {safe_text(str(info.path))} ({info.describe()}).")
    if kept:
        print(f"Die vorige Datei liegt in {safe_text(str(kept))}.")
    return 0
