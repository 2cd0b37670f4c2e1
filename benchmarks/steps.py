"""The measured steps and their baselines, each one function that does one run in a child process.

A *measure* is a function ``(Workspace) -> Run``. A *comparison* names a metric of a step, the
metric of its baseline (or none) and its goal. The TUI session is one measure that yields three
metrics (first paint, keystroke, record), so one app start serves all three.

Rules:
- CLI steps run ``python -m sachstand.cli`` as a real process: imports count.
- A step whose command is not in this checkout (``import``, ``export``, the TUI) is skipped and
  shown as such, so the suite runs on any commit.
- Steps that write get a fresh copy of their register for every run; the copy is not timed.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import baselines, cities, generate
from .measure import Run, StepFailed, run_process, run_python, run_reported

REPORT_YEAR = generate.YEARS[-1]
FILTER_QUERY = "digital"
GB = 1024**3


@dataclass
class Workspace:
    """The files of one tier: a register, an empty register, an overview workbook, and the
    open-data exports of ``cities.cities_for_tier(tier)`` cities (1,000 projects each)."""

    tier: int
    root: Path
    register: Path
    empty: Path
    overview: Path
    cities: Path | None = None
    runs: int = 0

    def scratch(self, name: str) -> Path:
        self.runs += 1
        path = self.root / "scratch" / f"{self.runs:04d}-{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def copy_of(self, source: Path) -> Path:
        target = self.scratch(source.name)
        shutil.copy(source, target)
        return target


def prepare(tier: int, root: Path, seed: int = 2020, reuse: bool = False) -> Workspace:
    """Generate the tier's files (once per run of the suite); with ``reuse``, files generated
    earlier in ``root`` for the same tier and seed are used as they are."""
    root.mkdir(parents=True, exist_ok=True)
    register, empty, overview = root / "register.duckdb", root / "empty.duckdb", root / "overview.xlsx"
    stamp = root / "generated.txt"
    if reuse and stamp.exists() and stamp.read_text() == f"{tier} {seed}":
        return Workspace(tier, root, register, empty, overview, root / "cities")
    stamp.unlink(missing_ok=True)
    for path in (register, empty):
        path.unlink(missing_ok=True)
    items = generate.projects(tier, seed)
    generate.make_register(register, tier, seed)
    from sachstand.core import init_register

    init_register(empty, sample=False)
    generate.write_overview(overview, items)
    city_root = root / "cities"
    shutil.rmtree(city_root, ignore_errors=True)
    cities.write_cities(city_root, cities.cities_for_tier(tier), seed=seed)
    stamp.write_text(f"{tier} {seed}")
    return Workspace(tier, root, register, empty, overview, city_root)


def _cli(*args: str | Path) -> list[str]:
    return ["-m", "sachstand.cli", *map(str, args)]


def available_commands() -> set[str]:
    from sachstand.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        if getattr(action, "choices", None):
            return set(action.choices)
    return set()


def tui_available() -> bool:
    try:
        from sachstand.tui.app import SachstandApp
    except ImportError:
        return False
    return hasattr(SachstandApp, "for_path")


# ---- steps ---------------------------------------------------------------------------------------

def summary_json(ws: Workspace) -> Run:
    return run_python(_cli("--db", ws.register, "summary", "--json"))


def import_preview(ws: Workspace) -> Run:
    return run_python(_cli("--db", ws.copy_of(ws.empty), "import", ws.overview, "--json"))


def import_text(ws: Workspace) -> Run:
    """The preview as the terminal shows it (no ``--json``), of every row new: the summary form
    of a large preview, not one table row per project."""
    run = run_python(_cli("--db", ws.copy_of(ws.empty), "import", ws.overview))
    if f"{ws.tier:,}".replace(",", ".") not in run.output:
        raise StepFailed("the text preview does not name the number of new projects")
    return run


def import_reimport(ws: Workspace) -> Run:
    """The preview of the same workbook against the register that already holds its projects."""
    run = run_python(_cli("--db", ws.copy_of(ws.register), "import", ws.overview, "--json"))
    found = json.loads(run.output)
    if found["unchanged"] != ws.tier or found["changed"] or found["new"]:
        raise StepFailed(f"re-import should find {ws.tier} unchanged rows: {found['unchanged']} unchanged, "
                         f"{len(found['changed'])} changed, {len(found['new'])} new")
    return run


def import_apply(ws: Workspace) -> Run:
    return run_python(_cli("--db", ws.copy_of(ws.empty), "import", ws.overview, "--apply", "--json"))


def export_register(ws: Workspace) -> Run:
    out = ws.scratch("export.xlsx")
    run = run_python(_cli("--db", ws.register, "export", "register", "-o", out))
    if not out.exists():
        raise StepFailed("export wrote no file")
    out.unlink()
    return run


def import_markup(ws: Workspace) -> Run:
    """``import F --markup OUT`` of the tier's overview into an empty register (every row new)."""
    out = ws.scratch("markup.xlsx")
    run = run_python(_cli("--db", ws.copy_of(ws.empty), "import", ws.overview, "--markup", out), ok_codes=(0, 1))
    if not out.exists():
        raise StepFailed("--markup wrote no file")
    out.unlink()
    return run


def rollup(ws: Workspace) -> Run:
    """``rollup DIR --json`` over the tier's folder of many cities' open-data exports."""
    run = run_python(_cli("rollup", ws.cities, "--json"))
    found = json.loads(run.output)
    expected = cities.cities_for_tier(ws.tier)
    if len(found["cities"]) != expected or found["total"]["projects"] != expected * cities.PROJECTS_PER_CITY:
        raise StepFailed(f"rollup should count {expected} cities of {cities.PROJECTS_PER_CITY} projects: "
                         f"{len(found['cities'])} cities, {found['total']['projects']} projects")
    return run


def _sample(ws: Workspace) -> Path:
    """The 2020 sample register (58 projects) for the report documents; made once, not timed."""
    path = ws.root / "sample.duckdb"
    if not path.exists():
        from sachstand.core import init_register

        init_register(path, sample=True)
    return path


def _report(ws: Workspace, suffix: str) -> Run:
    out = ws.scratch(f"bericht.{suffix}")
    run = run_python(_cli("--db", _sample(ws), "export", "report", "--year", "2020", "-o", out))
    if not out.exists():
        raise StepFailed(f"export report wrote no .{suffix}")
    out.unlink()
    return run


def report_docx(ws: Workspace) -> Run:
    """``export report -o F.docx`` of the 2020 sample, the whole process (Abbildung 1 included)."""
    return _report(ws, "docx")


def report_pptx(ws: Workspace) -> Run:
    return _report(ws, "pptx")


def tui_session(ws: Workspace) -> Run:
    return run_reported(["-m", "benchmarks.tui_probe", "tui", str(ws.copy_of(ws.register)),
                         str(REPORT_YEAR), FILTER_QUERY])


# ---- baselines -----------------------------------------------------------------------------------

def bare_imports(ws: Workspace) -> Run:
    return run_process([sys.executable, "-c", baselines.BARE_IMPORTS])


def openpyxl_read(ws: Workspace) -> Run:
    return run_python(["-m", "benchmarks.baselines", "openpyxl-read", str(ws.overview)])


def calamine_read(ws: Workspace) -> Run:
    return run_python(["-m", "benchmarks.baselines", "calamine-read", str(ws.overview)])


def import_floor(ws: Workspace) -> Run:
    return run_python(["-m", "benchmarks.baselines", "import-floor", str(ws.overview)])


def write_floor(ws: Workspace) -> Run:
    return run_python(["-m", "benchmarks.baselines", "import-floor", str(ws.overview), str(ws.copy_of(ws.empty))])


def openpyxl_write(ws: Workspace) -> Run:
    out = ws.scratch("baseline.xlsx")
    run = run_python(["-m", "benchmarks.baselines", "openpyxl-write", str(ws.register), str(out),
                      str(REPORT_YEAR)])
    out.unlink()
    return run


def bare_session(ws: Workspace) -> Run:
    return run_reported(["-m", "benchmarks.tui_probe", "bare", str(ws.register), str(REPORT_YEAR), FILTER_QUERY])


@dataclass(frozen=True)
class Measure:
    key: str
    run: Callable[[Workspace], Run]
    heavy: bool = False
    needs: str = ""

    def ready(self, commands: set[str], tui: bool) -> bool:
        if self.needs == "tui":
            return tui
        return not self.needs or self.needs in commands


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("summary", summary_json),
    Measure("import_preview", import_preview, heavy=True, needs="import"),
    Measure("import_text", import_text, heavy=True, needs="import"),
    Measure("import_reimport", import_reimport, heavy=True, needs="import"),
    Measure("import_apply", import_apply, heavy=True, needs="import"),
    Measure("export", export_register, heavy=True, needs="export"),
    Measure("markup", import_markup, heavy=True, needs="import"),
    Measure("tui", tui_session, heavy=True, needs="tui"),
    Measure("rollup", rollup, needs="rollup"),
    Measure("report_docx", report_docx, needs="export"),
    Measure("report_pptx", report_pptx, needs="export"),
    Measure("bare_imports", bare_imports),
    Measure("openpyxl_read", openpyxl_read, heavy=True),
    Measure("calamine_read", calamine_read, heavy=True),
    Measure("import_floor", import_floor, heavy=True, needs="import"),
    Measure("write_floor", write_floor, heavy=True, needs="import"),
    Measure("openpyxl_write", openpyxl_write, heavy=True),
    Measure("bare", bare_session),
)}


@dataclass(frozen=True)
class Goal:
    """``ratio``: step ≤ ratio × baseline; ``seconds``: step ≤ seconds; checked at ``tier`` only."""

    tier: int
    ratio: float | None = None
    seconds: float | None = None

    @property
    def text(self) -> str:
        if self.ratio is not None:
            return f"≤ {self.ratio:g}× at {self.tier:,}"
        return f"≤ {self.seconds * 1000:g} ms at {self.tier:,}"  # type: ignore[operator]


@dataclass(frozen=True)
class Comparison:
    step: str
    metric: str
    baseline: str | None = None
    baseline_metric: str | None = None
    goals: tuple[Goal, ...] = ()
    rss_limit_tier: int | None = None
    baseline_tiers: tuple[int, ...] | None = None
    rss_limit: int = GB


# The goals of issue 14 (same-run ratios; the save is absolute). Peak RSS below 1 GB is checked
# for every step at 100,000 projects.
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("import preview", "import_preview", "openpyxl read-only", "openpyxl_read",
               (Goal(25_000, ratio=0.4),), rss_limit_tier=100_000, baseline_tiers=(1_000, 25_000)),
    Comparison("import preview", "import_preview", "calamine read", "calamine_read", (Goal(25_000, ratio=2.5),)),
    Comparison("import floor: checks, calamine, rows as JSON", "import_floor", "calamine read", "calamine_read"),
    Comparison("import preview", "import_preview", "import floor", "import_floor"),
    Comparison("import preview, text", "import_text", "import preview --json", "import_preview",
               (Goal(25_000, ratio=1.5),), rss_limit_tier=100_000),
    Comparison("import preview, re-import", "import_reimport", "calamine read", "calamine_read",
               rss_limit_tier=100_000),
    Comparison("import --apply", "import_apply", "openpyxl read-only", "openpyxl_read",
               rss_limit_tier=100_000, baseline_tiers=(1_000, 25_000)),
    Comparison("import --apply", "import_apply", "calamine read", "calamine_read", (Goal(25_000, ratio=4.0),)),
    Comparison("import floor, written: the same and one INSERT per table", "write_floor", "calamine read",
               "calamine_read"),
    Comparison("import --apply", "import_apply", "import floor, written", "write_floor"),
    Comparison("export register", "export", "openpyxl write-only", "openpyxl_write",
               (Goal(25_000, ratio=0.6),), rss_limit_tier=100_000, baseline_tiers=(1_000, 25_000)),
    Comparison("import --markup, every row new", "markup", goals=(Goal(100_000, seconds=30.0),),
               rss_limit_tier=100_000, rss_limit=500 * 1024**2),
    Comparison("summary --json", "summary", "import duckdb, rich", "bare_imports", (Goal(100_000, ratio=1.3),),
               rss_limit_tier=100_000),
    Comparison("TUI first paint", "tui.first_paint", "bare app first paint", "bare.first_paint",
               (Goal(25_000, ratio=1.5),), rss_limit_tier=100_000),
    Comparison("TUI filter keystroke", "tui.keystrokes", "bare app keystroke", "bare.keystrokes",
               (Goal(25_000, seconds=0.050),)),
    Comparison("TUI record progress + save", "tui.record",
               goals=(Goal(25_000, seconds=0.150), Goal(100_000, seconds=0.250))),
    Comparison("TUI year switch", "tui.year_switch", goals=(Goal(25_000, seconds=0.200),)),
    Comparison("TUI dashboard", "tui.dashboard", goals=(Goal(25_000, seconds=0.400),)),
    Comparison("export report .docx, the 2020 sample", "report_docx", goals=(Goal(1_000, seconds=2.0),)),
    Comparison("export report .pptx, the 2020 sample", "report_pptx", goals=(Goal(1_000, seconds=1.0),)),
    Comparison("rollup --json, tier/250 cities' open data", "rollup", "import duckdb, rich", "bare_imports",
               (Goal(100_000, seconds=2.0),), rss_limit_tier=100_000),
)
RSS_LIMIT = GB
