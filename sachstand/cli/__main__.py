"""``python -m sachstand.cli`` runs the command line."""

import sys

from . import aborted, main

try:
    code = main()
except KeyboardInterrupt:  # in the instant before ``main`` handles it: the same line, no traceback
    code = aborted()
sys.exit(code)
