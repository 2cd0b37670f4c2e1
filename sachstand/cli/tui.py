"""``tui``: the terminal interface (also what ``sachstand`` without a command runs).

Textual is imported only when this command runs.
"""

from __future__ import annotations

import argparse

from .common import Subparsers, db_path, open_repo


def add_parsers(sub: Subparsers) -> None:
    s = sub.add_parser("tui", help="die Terminal-Oberfläche öffnen (Standard ohne Befehl)")
    s.add_argument("--read-only", action="store_true", help="nur ansehen, nichts ändern")
    s.set_defaults(func=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    """A register path that no program could open (not UTF-8) is one German line and exit 2,
    before the screen is taken over; other start-up errors are shown inside the app."""
    from ..core.identity import check_utf8
    from ..io.export import export_register
    from ..tui.app import run_app

    check_utf8(db_path(args), "Der Registerpfad")
    return run_app(args, open_repo, export_register)
