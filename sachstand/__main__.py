"""``python -m sachstand`` runs the command line."""

import sys

try:
    from .cli import run
except KeyboardInterrupt:  # while the command line loads: the same line as later, no traceback
    print("Fehler: abgebrochen", file=sys.stderr)
    raise SystemExit(130) from None

run()
