"""Soak test: several processes use one register file at once, then every write is accounted for.

    python -m benchmarks.soak --seconds 60 --workers 8

Worker kinds, each a function run in its own process (``multiprocessing`` spawn):
- ``writer``: ``Repository`` read-modify-write with the version it read, on a hot set of twelve
  projects, with a short pause between writes: sets the planned cost, or records a progress
  value; on ``ConflictError`` it reloads.
- ``tui``: the real Textual app driven by Pilot: opens one hot project (each TUI worker its own,
  in turn), types a new cost in the form, saves with Ctrl+S; on the conflict screen it takes the
  stored values ("t") and goes on.
- ``import``: exports the hot department's template, puts new costs into it with openpyxl, and
  runs ``sachstand import --apply`` (a stale template is refused as a whole).
- ``reader``: ``sachstand summary --json``.

Each worker works for the given seconds from the moment it is ready (the TUI after its app has
started and opened its project), so a slow start does not shorten its share.

Every cost written is unique to its worker and attempt (the cents are the worker's number), so
no write can coincide with another one's value. Each worker reports what it attempted, what
succeeded (with the old value it had read and the new one), what was refused as a conflict, and
anything else that went wrong. Afterwards the check proves:
- no lost update: every change a worker saw succeed is in the audit log with exactly the old
  value that worker had read (a write based on a stale read would show another old value), and
  the audit log holds no change no worker made; per project and field the audit rows form one
  unbroken chain (each old value is the previous new one) ending in the stored value;
- the figures are consistent: ``figures.counts`` equals a recount from ``repo.projects()``.

A progress value can coincide with the stored one (0..100); the repository then writes nothing
(``ApplyResult.changed_fields == 0``), which the writer counts as "already stored".
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

HOT_DEPARTMENT = "FB 36"
TUI_SEARCH = ("Reitabgaben", "Netzwerkkomponenten")  # one hot project per TUI worker, in turn
HOT_OTHERS = 10
THINK = (0.05, 0.3)
YEAR = 2021
KINDS = ("writer", "tui", "reader", "import")


@dataclass
class Tally:
    kind: str
    worker: int
    attempted: int = 0
    succeeded: int = 0
    conflicts: int = 0
    already: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    writes: list[list[str | None]] = field(default_factory=list)  # [project, field, old, new] as audited
    imports: list[list[object]] = field(default_factory=list)  # [sha256, number of changed fields]


def mix(workers: int) -> list[str]:
    """Which kind each worker is: writers, TUIs, readers and an importer, in turn."""
    order = ["writer", "tui", "reader", "import", "writer", "tui", "reader", "writer"]
    return [order[i % len(order)] for i in range(workers)]


# ---- workers -----------------------------------------------------------------------------------


def _hot_ids(repo) -> list[str]:
    """The imported department's projects and ten more: what the writers pick from."""
    costed = [p for p in repo.projects() if p.planned_cost is not None]
    own = [p.id for p in costed if p.department == HOT_DEPARTMENT]
    return own + [p.id for p in costed if p.department != HOT_DEPARTMENT][:HOT_OTHERS]


def writer(tally: Tally, db: str, seconds: float, slot: int) -> None:
    from sachstand.core import open_register
    from sachstand.core.changes import ChangeSet, ProjectUpdate
    from sachstand.core.errors import ConflictError, SachstandError

    repo = open_register(db)
    rng = random.Random(tally.worker)
    hot = _hot_ids(repo)
    seq = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(*THINK))
        p = repo.get(rng.choice(hot))
        seq += 1
        if rng.random() < 0.7:
            name, old, new = "planned_cost", p.planned_cost, unique_cost(1, seq, tally.worker)
            audited = (str(old), str(new))
        else:
            name = f"progress:{YEAR}"
            old = p.progress.get(YEAR)
            new = rng.choice([v for v in range(0, 100) if v != old])
            audited = (None if old is None else str(old), str(new))
        tally.attempted += 1
        try:
            result = repo.apply(ChangeSet(updates=[ProjectUpdate(p.id, p.version, {name: new})]))
        except ConflictError:
            tally.conflicts += 1
            continue
        except SachstandError as exc:
            tally.errors.append(exc.message)
            continue
        tally.succeeded += 1
        if result.changed_fields:
            tally.writes.append([p.id, name, *audited])
        else:
            tally.already += 1


def unique_cost(kind: int, seq: int, worker: int) -> Decimal:
    """A cost no other worker or attempt writes: kind millions, the attempt in euros, the worker in cents."""
    return Decimal(f"{kind * 1_000_000 + seq}.{worker:02d}")


def reader(tally: Tally, db: str, seconds: float, slot: int) -> None:
    from sachstand.cli import main

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--db", db, "summary", "--json"])
        if code == 0 and "projects" in json.loads(out.getvalue()):
            tally.reads += 1
        else:
            tally.errors.append(err.getvalue().strip() or f"summary exit {code}")


def importer(tally: Tally, db: str, seconds: float, slot: int) -> None:
    import openpyxl

    from sachstand.cli import main

    work = Path(tempfile.mkdtemp(prefix=f"soak-import-{tally.worker}-"))
    round_ = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        round_ += 1
        folder = work / str(round_)
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
            code = main(["--db", db, "export", "templates", "--year", str(YEAR), "-o", str(folder),
                         "--department", HOT_DEPARTMENT])
        if code != 0:
            tally.errors.append(f"export: {err.getvalue().strip()}")
            continue
        [template] = folder.glob("*.xlsx")
        wb = openpyxl.load_workbook(template)
        ws = wb["Projekte"]
        for row in range(5, ws.max_row + 1):
            if ws.cell(row, 1).value:
                ws.cell(row, 4).value = float(unique_cost(3, round_, tally.worker))
        filled = folder / "ausgefuellt.xlsx"
        wb.save(filled)
        out = io.StringIO()
        tally.attempted += 1
        with redirect_stdout(out), redirect_stderr(io.StringIO()) as err:
            code = main(["--db", db, "import", str(filled), "--apply", "--json"])
        try:
            result = json.loads(out.getvalue())
        except json.JSONDecodeError:
            if "Konflikt" in err.getvalue():  # stale between the preview and the write
                tally.conflicts += 1
            else:
                tally.errors.append(f"import exit {code}: {err.getvalue().strip()}")
            continue
        if result.get("applied"):
            tally.succeeded += 1
            tally.imports.append([result["files"][0]["sha256"], len(result["changed"])])
        elif result.get("conflicts"):
            tally.conflicts += 1
        else:
            tally.errors.append(f"import exit {code}: nothing applied, no conflict")


def tui(tally: Tally, db: str, seconds: float, slot: int) -> None:
    asyncio.run(_tui(tally, db, seconds, TUI_SEARCH[slot % len(TUI_SEARCH)]))


async def _settle(pilot) -> None:
    for _ in range(50):
        await pilot.pause()
        if all(w.is_finished for w in pilot.app.workers):
            await pilot.pause()
            if all(w.is_finished for w in pilot.app.workers):
                return
        await pilot.app.workers.wait_for_complete()


async def _tui(tally: Tally, db: str, seconds: float, search: str) -> None:
    from sachstand.core import open_register
    from sachstand.tui.app import SachstandApp
    from sachstand.tui.conflict import ConflictScreen
    from sachstand.tui.project import ProjectScreen

    app = SachstandApp(open_register(db, source="tui"), year=YEAR, today=date(2022, 3, 1))
    async with app.run_test(size=(100, 30)) as pilot:
        await asyncio.wait_for(app.rows_shown.wait(), 60)
        await _settle(pilot)
        await pilot.press("slash", *search, "enter", "enter")
        await _settle(pilot)
        screen = app.screen
        if not isinstance(screen, ProjectScreen):
            tally.errors.append(f"TUI: project screen not opened ({type(screen).__name__})")
            return
        seq = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            p = screen.project
            seq += 1
            new = unique_cost(2, seq, tally.worker)
            field = screen.query_one("#f-planned_cost")
            field.focus()
            field.value = f"{new:.2f}".replace(".", ",")  # as pasted: one event, not 13 key presses
            await pilot.pause()
            tally.attempted += 1
            await pilot.press("ctrl+s")
            await _settle(pilot)
            if isinstance(app.screen, ConflictScreen):
                tally.conflicts += 1
                await pilot.press("t")
                await _settle(pilot)
            elif app.screen is screen and not screen.dirty:
                tally.succeeded += 1
                tally.writes.append([p.id, "planned_cost", str(p.planned_cost), str(new)])
            else:
                tally.errors.append(f"TUI: after saving the screen is {type(app.screen).__name__}")
                await pilot.press("escape")
                await _settle(pilot)
                if app.screen is not screen:
                    return


WORKERS = {"writer": writer, "reader": reader, "import": importer, "tui": tui}


def _run_worker(kind: str, number: int, slot: int, db: str, seconds: float, out: str) -> None:
    tally = Tally(kind, number)
    try:
        WORKERS[kind](tally, db, seconds, slot)
    except BaseException as exc:  # the report must say why a worker stopped
        tally.errors.append(f"{type(exc).__name__}: {exc}")
    Path(out).write_text(json.dumps(asdict(tally)), encoding="utf-8")


# ---- the check afterwards ----------------------------------------------------------------------


def recount(projects, year: int, as_of: date) -> dict[str, int]:
    """The six figures counted in Python from ``repo.projects()``, as ``core.figures`` defines them."""
    c: Counter[str] = Counter()
    for p in projects:
        cur, prev = p.progress.get(year), p.progress.get(year - 1)
        earlier = {y: v for y, v in p.progress.items() if y < year}
        best = max(earlier.values(), default=0)
        latest = cur if cur is not None else (earlier[max(earlier)] if earlier else None)
        c["projects"] += cur is not None
        c["completed"] += cur == 100 and (prev is None or prev < 100)
        c["at_least_90"] += cur is not None and 90 <= cur < 100
        in_year = p.start is not None and p.start.first_day.year <= year <= p.start.last_day.year
        c["started"] += cur is not None and cur > 0 and (prev == 0 or (prev is None and in_year))
        c["stalled"] += cur is not None and prev == cur and cur < 100
        open_in_year = cur is not None or best < 100
        c["overdue"] += bool(open_in_year and p.end is not None and p.end.last_day < as_of and (latest or 0) < 100)
    return {k: c[k] for k in ("projects", "completed", "at_least_90", "started", "stalled", "overdue")}


def _as_audited(value: object) -> str | None:
    """A stored value as the audit log writes it (see ``audit.audit_text``)."""
    from sachstand.core.models import display_value

    if value is None:
        return None
    return str(value) if isinstance(value, Decimal) else display_value(value)


def check(db: str, start_audit_id: int, tallies: list[Tally]) -> dict:
    """Compare what the workers saw succeed with the register and its audit log."""
    from sachstand.core import figures, open_register

    repo = open_register(db)
    with repo.db.read() as conn:
        rows = conn.execute(
            "SELECT id, entity_id, field, old_value, new_value, source, source_sha256 FROM audit "
            "WHERE id > ? AND entity = 'project' ORDER BY id", [start_audit_id]).fetchall()
    audit = Counter((r[1], r[2], r[3], r[4]) for r in rows)
    claimed: Counter[tuple] = Counter()
    for t in tallies:
        claimed.update(tuple(w) for w in t.writes)
    direct = Counter((r[1], r[2], r[3], r[4]) for r in rows if r[5] != "import")
    lost = sum((claimed - direct).values())
    by_sha = Counter(r[6] for r in rows if r[5] == "import")
    import_claims = [(sha, n) for t in tallies for sha, n in t.imports]
    lost_imports = sum(1 for sha, n in import_claims if by_sha.get(sha, 0) != n)
    unclaimed = sum((direct - claimed).values()) + (
        sum(by_sha.values()) - sum(n for sha, n in import_claims if by_sha.get(sha, 0) == n))

    chains_broken = 0
    last: dict[tuple[str, str], str | None] = {}
    for _id, pid, name, old, new, _src, _sha in rows:
        key = (pid, name)
        if key in last and last[key] != old:
            chains_broken += 1
        last[key] = new
    stored = {p.id: p for p in repo.projects(include_archived=True)}
    final_mismatch = 0
    for (pid, name), new in last.items():
        final_mismatch += _as_audited(stored[pid].value(name)) != new

    projects = repo.projects()
    figures_ok = all(
        figures.counts(repo.db, y) == recount(projects, y, figures.default_as_of(y)) for y in (2020, YEAR)
    )
    return {
        "audit_rows": len(rows), "lost_updates": lost + lost_imports, "unclaimed_audit_rows": unclaimed,
        "chains_broken": chains_broken, "final_value_mismatch": final_mismatch,
        "figures_consistent": figures_ok,
        "audit_rows_total_vs_claimed": (sum(audit.values()), sum(claimed.values()) + sum(n for _s, n in import_claims)),
    }


# ---- running it --------------------------------------------------------------------------------


def run(seconds: float, workers: int, db: str | None = None, kinds: list[str] | None = None) -> dict:
    """Run the soak on ``db`` (default: a fresh copy of the 2020 sample) and check it."""
    from sachstand.core import init_register, open_register

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    if db is None:
        db = str(work / "register.duckdb")
        init_register(db, sample=True)
    repo = open_register(db)
    start_audit_id = 0
    with repo.db.read() as conn:
        start_audit_id = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
    kinds = kinds or mix(workers)
    ctx = multiprocessing.get_context("spawn")
    procs = []
    started = time.monotonic()
    for i, kind in enumerate(kinds):
        out = work / f"worker-{i}.json"
        proc = ctx.Process(target=_run_worker, args=(kind, i, kinds[:i].count(kind), db, seconds, str(out)))
        proc.start()
        procs.append((proc, out, kind, i))
    tallies = []
    for proc, out, kind, i in procs:
        proc.join(timeout=seconds + 300)
        if proc.is_alive():
            proc.kill()
        if out.exists():
            tallies.append(Tally(**json.loads(out.read_text(encoding="utf-8"))))
        else:
            tallies.append(Tally(kind, i, errors=[f"worker ended with exit code {proc.exitcode} and no report"]))
    elapsed = time.monotonic() - started
    result = check(db, start_audit_id, tallies)
    result.update(seconds=round(elapsed, 1), workers=len(kinds), tallies=[asdict(t) for t in tallies])
    return result


def table(result: dict) -> str:
    lines = [f"Soak: {result['workers']} processes, {result['seconds']} s, one register file", "",
             f"{'kind':<8} {'workers':>7} {'attempted':>9} {'succeeded':>9} {'conflicts':>9} {'already':>7} "
             f"{'reads':>7} {'errors':>6}"]
    by_kind: dict[str, Counter] = {}
    for t in result["tallies"]:
        c = by_kind.setdefault(t["kind"], Counter())
        c["workers"] += 1
        for k in ("attempted", "succeeded", "conflicts", "already", "reads"):
            c[k] += t[k]
        c["errors"] += len(t["errors"])
    total: Counter = Counter()
    for kind in KINDS:
        if kind in by_kind:
            c = by_kind[kind]
            total.update(c)
            lines.append(f"{kind:<8} {c['workers']:>7} {c['attempted']:>9} {c['succeeded']:>9} {c['conflicts']:>9} "
                         f"{c['already']:>7} {c['reads']:>7} {c['errors']:>6}")
    lines.append(f"{'total':<8} {total['workers']:>7} {total['attempted']:>9} {total['succeeded']:>9} "
                 f"{total['conflicts']:>9} {total['already']:>7} {total['reads']:>7} {total['errors']:>6}")
    lines += ["",
              f"audit rows written: {result['audit_rows']}",
              f"lost updates: {result['lost_updates']}",
              f"audit rows no worker claimed: {result['unclaimed_audit_rows']}",
              f"broken old/new chains: {result['chains_broken']}",
              f"stored value differs from last audit row: {result['final_value_mismatch']}",
              f"figures equal a recount from repo.projects(): {'yes' if result['figures_consistent'] else 'NO'}"]
    errors = [e for t in result["tallies"] for e in t["errors"]]
    if errors:
        lines += ["", "errors:"] + [f"  {e}" for e in sorted(set(errors))[:20]]
    return "\n".join(lines)


def ok(result: dict) -> bool:
    return (result["lost_updates"] == 0 and result["unclaimed_audit_rows"] == 0 and result["chains_broken"] == 0
            and result["final_value_mismatch"] == 0 and result["figures_consistent"]
            and not any(t["errors"] for t in result["tallies"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--db", help="an existing register to soak (default: a fresh sample copy)")
    parser.add_argument("--kinds", help=f"comma-separated kinds, one per worker ({', '.join(KINDS)})")
    parser.add_argument("--json", metavar="FILE", help="also write the full result as JSON")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",") if args.kinds else None
    result = run(args.seconds, args.workers, args.db, kinds)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0 if ok(result) else 1


if __name__ == "__main__":
    sys.exit(main())
