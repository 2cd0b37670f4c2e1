"""Timing one run of a step in its own process, with that process's peak RSS.

Rules:
- Every run is a fresh child process, so interpreter start and imports count, and one step's
  memory never shows up in another's figure.
- The time is the wall time from start to exit of the child, unless the child reports a time of
  its own on stdout (a JSON object with "seconds"), as the TUI probes do for "start until rows
  show".
- Peak RSS is the child's ``VmHWM`` (high-water mark of its resident set), read from
  ``/proc/PID/status`` every 2 ms while it runs. Not ``ru_maxrss``: on Linux a child's
  ``ru_maxrss`` starts at the parent's peak (it is carried over fork and exec), so every step would
  show the runner's memory. A rise in the last 2 ms before exit can be missed.
- A run that exits with an unexpected code is an error, shown in the table instead of a time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class StepFailed(Exception):
    """A measured command did not do its job; the message says what it printed."""


@dataclass
class Run:
    seconds: float
    peak_rss: int
    output: str
    extra: dict = field(default_factory=dict)


def run_process(argv: Sequence[str], ok_codes: Sequence[int] = (0,), env: dict[str, str] | None = None,
                timeout: float = 600.0) -> Run:
    """Run ``argv``, wait for it, and return its wall time, peak RSS (bytes) and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env if env is not None else child_env(), cwd=ROOT)
        deadline = start + timeout
        peak = 0
        while True:
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _high_water_mark(proc.pid))
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise StepFailed(f"no result within {timeout:.0f} s")
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode not in ok_codes:
        tail = (stderr.strip() or stdout.strip()).splitlines()[-3:]
        raise StepFailed(f"exit {proc.returncode}: {' | '.join(tail)[:300]}")
    return Run(seconds, peak, stdout)


def _high_water_mark(pid: int) -> int:
    """The process's peak resident set so far (``VmHWM``), in bytes; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_python(args: Sequence[str], **kwargs: object) -> Run:
    return run_process([sys.executable, *args], **kwargs)  # type: ignore[arg-type]


def run_reported(args: Sequence[str], **kwargs: object) -> Run:
    """Run a Python child that prints one JSON object with "seconds" (and more) as its last line."""
    run = run_python(args, **kwargs)
    lines = [line for line in run.output.splitlines() if line.startswith("{")]
    if not lines:
        raise StepFailed(f"no result printed: {run.output.strip()[-300:]}")
    data = json.loads(lines[-1])
    run.seconds = float(data["seconds"])
    run.extra = data
    return run


def child_env() -> dict[str, str]:
    """The environment of measured children: no register or role config from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SACHSTAND_")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "120"})
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
