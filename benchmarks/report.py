"""Turning the runs of a tier into table rows, and the rows into a rich table or JSON."""

from __future__ import annotations

import platform
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata

from rich.table import Table

from .measure import Run, median
from .steps import RSS_LIMIT, Comparison


@dataclass
class Row:
    step: str
    tier: int
    median: float | None
    runs: int
    baseline: str | None
    baseline_median: float | None
    ratio: float | None
    goal: str
    status: str
    peak_rss: int | None
    error: str = ""


def samples(runs: list[Run], metric: str) -> list[float]:
    """The values of ``metric`` ("summary", or "tui.keystrokes" for a field a probe reported)."""
    if "." not in metric:
        return [r.seconds for r in runs]
    field = metric.split(".", 1)[1]
    out: list[float] = []
    for run in runs:
        value = run.extra.get(field)
        if isinstance(value, list):
            out.extend(float(v) for v in value)
        elif value is not None:
            out.append(float(value))
    return out


def build_row(c: Comparison, tier: int, runs: dict[str, list[Run]], errors: dict[str, str]) -> Row:
    key = c.metric.split(".")[0]
    values = samples(runs.get(key, []), c.metric)
    step_median = median(values) if values else None
    rss = max((r.peak_rss for r in runs.get(key, [])), default=None)
    base_key = c.baseline_metric.split(".")[0] if c.baseline_metric else None
    base_values = samples(runs.get(base_key, []), c.baseline_metric) if base_key and c.baseline_metric else []
    base_median = median(base_values) if base_values else None
    ratio = step_median / base_median if step_median is not None and base_median else None

    goals, verdicts = [], []
    for goal in c.goals:
        if goal.tier != tier:
            continue
        goals.append(goal.text)
        if goal.ratio is not None and ratio is not None:
            verdicts.append(ratio <= goal.ratio)
        elif goal.seconds is not None and step_median is not None:
            verdicts.append(step_median <= goal.seconds)
        else:
            verdicts.append(False)
    if c.rss_limit_tier == tier:
        goals.append("RSS < 1 GB" if c.rss_limit == RSS_LIMIT else f"RSS ≤ {c.rss_limit // 1024**2} MB")
        verdicts.append(rss is not None and (rss < RSS_LIMIT if c.rss_limit == RSS_LIMIT else rss <= c.rss_limit))
    error = errors.get(key, "") or (errors.get(base_key, "") if base_key else "")
    status = "–" if not goals else "PASS" if verdicts and all(verdicts) and step_median is not None else "MISS"
    if step_median is None and not error:
        status, error = "skip", "not in this checkout"
    return Row(c.step, tier, step_median, len(values), c.baseline, base_median, ratio, "; ".join(goals),
               status, rss, error)


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _tier(value: int) -> str:
    return f"{value:,}"


def _mib(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.0f} MiB"


def table(rows: list[Row], title: str) -> Table:
    t = Table(title=title, show_lines=False)
    for name, justify in (("step", "left"), ("tier", "right"), ("median", "right"), ("n", "right"),
                          ("baseline", "left"), ("baseline median", "right"), ("ratio", "right"),
                          ("goal", "left"), ("result", "center"), ("peak RSS", "right")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    styles = {"PASS": "green", "MISS": "bold red", "skip": "yellow"}
    for r in rows:
        status = r.status if not r.error else f"{r.status}: {r.error[:90]}"
        t.add_row(
            r.step, _tier(r.tier), _seconds(r.median), str(r.runs), r.baseline or "–",
            _seconds(r.baseline_median), "–" if r.ratio is None else f"{r.ratio:.2f}×", r.goal or "–",
            f"[{styles.get(r.status, '')}]{status}[/]" if r.status in styles else status, _mib(r.peak_rss),
        )
    return t


def markdown(rows: list[Row]) -> str:
    lines = ["| step | tier | median | n | baseline | baseline median | ratio | goal | result | peak RSS |",
             "|---|--:|--:|--:|---|--:|--:|---|---|--:|"]
    for r in rows:
        status = r.status if not r.error else f"{r.status} ({r.error})"
        lines.append(
            f"| {r.step} | {_tier(r.tier)} | {_seconds(r.median)} | {r.runs} | {r.baseline or '–'} | "
            f"{_seconds(r.baseline_median)} | {'–' if r.ratio is None else f'{r.ratio:.2f}×'} | "
            f"{r.goal or '–'} | {status} | {_mib(r.peak_rss)} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = ""
    import os

    versions = {}
    for dist in ("duckdb", "textual", "rich", "openpyxl", "python-calamine", "xlsxwriter"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit, "versions": versions,
            "load_average_1m": round(os.getloadavg()[0], 2)}


def as_json(rows: list[Row], info: dict[str, object]) -> dict[str, object]:
    return {"machine": info, "rows": [asdict(r) for r in rows]}
