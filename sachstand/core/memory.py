"""Giving memory back to the system between the large phases of one process.

Python returns freed objects to its allocator, and glibc keeps the freed heap pages mapped: a
process that has planned 100,000 rows and let them go still counts them in its resident size
while DuckDB grows beside it. ``release_memory`` collects cyclic garbage and asks glibc to hand
free pages back (``malloc_trim``); elsewhere (another C library) it only collects.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def _trim() -> Callable[[int], Any] | None:
    """glibc's ``malloc_trim`` among the process's own symbols, or None."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None


def give_back() -> None:
    """Hand free heap pages back to the system (``malloc_trim``) without a garbage collection:
    cheap enough to call between the batches of a large write."""
    trim = _trim()
    if trim is not None:
        trim(0)


def release_memory() -> None:
    """Collect garbage and return free heap pages to the system where the C library can."""
    gc.collect()
    trim = _trim()
    if trim is not None:
        trim(0)
