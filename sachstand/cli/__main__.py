"""``python -m sachstand.cli`` runs the command line."""

from . import run

run()
