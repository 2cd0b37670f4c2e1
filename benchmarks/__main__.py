"""``python -m benchmarks``: every step next to its baseline, measured in the same run.

    python -m benchmarks [--tiers 1000,25000,100000] [--repeat 3] [--repeat-large 1]
                         [--steps summary,tui] [--json FILE] [--markdown FILE] [--workdir DIR]

For each tier it generates a register and an overview workbook (``generate``), then runs each
step and each baseline ``--repeat`` times, interleaved (step, baseline, step, baseline, ...), so
a noisy neighbour slows both sides alike. The heavy steps of tiers of 100,000 and more run
``--repeat-large`` times, and the openpyxl baselines, which take half a minute there and have no
goal at that tier, are left out, so the whole suite stays under ten minutes on two cores.
The exit code is 0 when every run worked (goals missed or not), 1 when a step failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from . import steps
from .measure import Run, StepFailed
from .report import Row, as_json, build_row, machine, markdown, table

LARGE_TIER = 100_000


def _tiers(text: str) -> list[int]:
    try:
        tiers = [int(t.replace(".", "").replace("_", "")) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of row counts: {text!r}") from None
    if not tiers or any(t < 10 for t in tiers):
        raise argparse.ArgumentTypeError("each tier needs at least 10 projects")
    return tiers


def _steps(text: str) -> set[str]:
    wanted = {t.strip() for t in text.split(",") if t.strip()}
    known = {c.metric.split(".")[0] for c in steps.COMPARISONS}
    if not wanted or wanted - known:
        raise argparse.ArgumentTypeError(f"unknown steps {sorted(wanted - known)}; known: {', '.join(sorted(known))}")
    return wanted


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--tiers", type=_tiers, default=[1_000, 25_000, 100_000],
                   help="project counts (default 1000,25000,100000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per step and baseline; the median counts (default 3)")
    p.add_argument("--repeat-large", type=int, default=1,
                   help=f"runs of heavy steps at {LARGE_TIER:,}+ projects (default 1)")
    p.add_argument("--steps", type=_steps, default=None,
                   help="only these steps (metric names such as summary, tui, import_preview, export) with their "
                        "baselines; default: all")
    p.add_argument("--json", metavar="FILE", help="write the table as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the table as a Markdown table")
    p.add_argument("--workdir", metavar="DIR", help="keep the generated files here (default: a temporary folder)")
    p.add_argument("--reuse", action="store_true",
                   help="with --workdir: use the files generated there by an earlier run")
    return p


def comparisons(only: set[str] | None) -> tuple[steps.Comparison, ...]:
    """The comparisons to run: all, or those of the steps named in ``only``."""
    return tuple(c for c in steps.COMPARISONS if only is None or c.metric.split(".")[0] in only)


def plan(tier: int, commands: set[str], tui: bool, only: set[str] | None = None) -> list[steps.Measure]:
    """The measures a tier needs, in the order they run within one round."""
    keys: list[str] = []
    for c in comparisons(only):
        for key in (c.metric.split(".")[0],):
            if key not in keys:
                keys.append(key)
        if c.baseline_metric and (c.baseline_tiers is None or tier in c.baseline_tiers):
            key = c.baseline_metric.split(".")[0]
            if key not in keys:
                keys.append(key)
    return [steps.MEASURES[k] for k in keys if steps.MEASURES[k].ready(commands, tui)]


def run_tier(tier: int, root: Path, repeat: int, repeat_large: int, console: Console,
             only: set[str] | None = None, reuse: bool = False) -> list[Row]:
    started = time.perf_counter()
    ws = steps.prepare(tier, root / f"tier-{tier}", reuse=reuse)
    console.log(f"{tier:,} projects: register and workbook generated in {time.perf_counter() - started:.1f} s")
    commands, tui = steps.available_commands(), steps.tui_available()
    measures = plan(tier, commands, tui, only)
    counts = {m.key: (repeat_large if m.heavy and tier >= LARGE_TIER else repeat) for m in measures}
    runs: dict[str, list[Run]] = {m.key: [] for m in measures}
    errors: dict[str, str] = {}
    for round_ in range(max(counts.values(), default=0)):
        for m in measures:
            if round_ >= counts[m.key] or m.key in errors:
                continue
            try:
                run = m.run(ws)
            except (StepFailed, TimeoutError) as exc:
                errors[m.key] = str(exc)
                console.log(f"[red]{m.key} failed at {tier:,}: {exc}[/]")
                continue
            runs[m.key].append(run)
            console.log(f"{tier:,} {m.key} {round_ + 1}/{counts[m.key]}: {run.seconds:.3f} s, "
                        f"{run.peak_rss / 2**20:.0f} MiB")
    shutil.rmtree(ws.root / "scratch", ignore_errors=True)
    return [build_row(c, tier, runs, errors) for c in comparisons(only)]


def compile_package() -> None:
    """Bytecode for every module of ``sachstand`` and ``benchmarks``, written now, as an install
    writes it: a step then loads its modules as an installed program does. Otherwise a module
    changed since its ``.pyc`` was written is compiled again in every run when
    ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it): about 75 ms of the import preview."""
    import compileall

    import sachstand

    for package in (Path(sachstand.__file__).parent, Path(__file__).parent):
        compileall.compile_dir(str(package), quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    compile_package()
    console = Console(stderr=True)
    out = Console(width=max(Console().width, 160))
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="sachstand-bench-"))
    load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    rows: list[Row] = []
    try:
        for tier in args.tiers:
            rows.extend(run_tier(tier, root, args.repeat, args.repeat_large, console, args.steps,
                                 reuse=bool(args.reuse and args.workdir)))
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - started
    info = machine()
    info["elapsed_seconds"] = round(elapsed, 1)
    info["load_average_1m_before"] = load_before
    info["command"] = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
    title = (f"sachstand benchmarks · {info['cpus']} CPUs {info['cpu']} · Python {info['python']} · "
             f"{elapsed:.0f} s · load average {load_before} before, {info['load_average_1m']} after")
    out.print(table(rows, title))
    if args.json:
        Path(args.json).write_text(json.dumps(as_json(rows, info), indent=2, ensure_ascii=False), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(rows) + "\n", encoding="utf-8")
    failed = any(r.error and r.status != "skip" for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
