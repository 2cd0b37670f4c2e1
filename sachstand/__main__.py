"""``python -m sachstand`` runs the command line."""

import sys

from .cli import aborted, main

try:
    code = main()
except KeyboardInterrupt:  # in the instant before ``main`` handles it: the same line, no traceback
    code = aborted()
sys.exit(code)
