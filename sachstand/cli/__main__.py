"""``python -m sachstand.cli`` runs the command line."""

import sys

try:
    from . import aborted, main
except KeyboardInterrupt:  # while the command line loads: the same line as later, no traceback
    print("Fehler: abgebrochen", file=sys.stderr)
    raise SystemExit(130) from None

try:
    code = main()
except KeyboardInterrupt:  # in the instant before ``main`` handles it: the same line, no traceback
    code = aborted()
sys.exit(code)
