"""An adversary's runs of the real CLI: forged registers, hostile text files, full disks during a
restore, a crash's WAL that cannot be kept, templates on a full disk, ctrl+c inside a query.

Each run is a real process on real files (the full-disk ones on a real, small tmpfs, skipped where
mounting is not permitted). The goals: no traceback, one German line with a non-zero exit code,
nothing half-written, and the register as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from fs_helpers import fill, listing, tmpfs
from test_crash import leave_wal

from sachstand.core import backup as bk
from sachstand.core import open_register
from sachstand.core.db import Database
from sachstand.core.schema import APP_MARKER, MIGRATIONS

BAD = Path(__file__).parent / "data" / "bad"
FULL = "kein Platz mehr auf dem Datenträger"


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sachstand", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "SACHSTAND_CONFIG": ""}, check=False)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("Hinweis:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("Fehler: ") and "Traceback" not in err, err
    return lines[0]


def _forged(path: Path, version: str, migrations: int = 1, extra: str = "") -> Path:
    """A DuckDB file that says it is a register of ``version`` but holds the tables of the first
    ``migrations`` migrations (and ``extra``)."""
    conn = duckdb.connect(str(path))
    for sql in MIGRATIONS[:migrations]:
        conn.execute(sql)
    if extra:
        conn.execute(extra)
    conn.execute("INSERT INTO meta VALUES ('app', ?), ('schema_version', ?)", [APP_MARKER, version])
    conn.close()
    return path


@pytest.mark.parametrize("version", ["0", "-1"])
def test_a_register_of_version_zero_or_below_is_no_register(tmp_path: Path, version: str) -> None:
    """Migrating from version 0 ran migration 1 again (and from -1 the last one): CatalogException."""
    register = _forged(tmp_path / "forged.duckdb", version)
    before = register.read_bytes()
    for args in (["summary"], ["settings", "--city", "Köln"]):
        r = _run("--db", str(register), *args)
        assert r.returncode == 2
        assert "ist kein sachstand-Register" in _one_line(r.stderr)
    assert register.read_bytes() == before
    target = shutil.copy(register, tmp_path / "target.duckdb")  # and no restore from such a "backup"
    r = _run("--db", str(tmp_path / "other.duckdb"), "restore", str(target), "--yes")
    assert r.returncode == 2 and "ist kein sachstand-Register" in _one_line(r.stderr)
    assert not (tmp_path / "other.duckdb").exists()


def test_a_register_whose_tables_do_not_match_its_version_is_refused(tmp_path: Path) -> None:
    """Version 2 claimed, but a table of migration 3 already there: the upgrade fails inside DuckDB."""
    register = _forged(tmp_path / "forged.duckdb", "2", migrations=2, extra="CREATE TABLE report_texts (x INTEGER)")
    before = register.read_bytes()
    r = _run("--db", str(register), "summary")
    assert r.returncode == 2
    assert "seine Tabellen passen nicht zu Schema-Version 2" in _one_line(r.stderr)
    assert register.read_bytes() == before


def test_an_unexpected_error_is_one_german_line_and_verbose_names_it(tmp_path: Path) -> None:
    """Version 2 claimed with the tables of version 1: a save fails in DuckDB's binder. No traceback;
    --verbose adds the original text and the place, still on one line."""
    register = _forged(tmp_path / "forged.duckdb", "2")
    r = _run("--db", str(register), "settings", "--city", "Köln")
    assert r.returncode == 1
    line = _one_line(r.stderr)
    assert "Unerwarteter Fehler (BinderException)" in line and "Binder Error" not in line
    r = _run("--verbose", "--db", str(register), "settings", "--city", "Köln")
    line = _one_line(r.stderr)
    assert "Binder Error" in line and re.search(r"\(bei /\S+/sachstand/\S+\.py:[0-9]+\)", line), line


@pytest.mark.parametrize(("name", "expected"), [
    ("texts_version_5000_digits.md", "Zeile 3: die Version „99999999999999999999…“ des Abschnitts „einleitung“ ist zu groß"),
    ("texts_version_beyond_integer.md", "Zeile 3: die Version „99999999999“ des Abschnitts „einleitung“ ist zu groß"),
    ("texts_title_5000_characters.md", "Zeile 3: die Überschrift ist 5.000 Zeichen lang; erlaubt sind höchstens 200"),
])
def test_hostile_texts_files_are_refused_naming_the_line(sample_path: Path, name: str, expected: str) -> None:
    """A version of 5,000 digits was a ValueError traceback; a 900,000-character heading was stored."""
    before = sample_path.read_bytes()
    r = _run("--db", str(sample_path), "texts", "import", str(BAD / name))
    assert r.returncode == 2
    assert expected in _one_line(r.stderr)
    assert sample_path.read_bytes() == before


def test_a_crash_wal_that_cannot_be_kept_leaves_no_half_copy(sample_path: Path, tmp_path: Path) -> None:
    """The WAL is copied to the backups folder before DuckDB replays it; on a full disk that copy
    fails, the write is refused, and no temporary file stays to fill the disk further."""
    with tmpfs(tmp_path, "24m") as where:
        register = where / "register.duckdb"
        shutil.copy(sample_path, register)
        leave_wal(register, ["UPDATE projects SET name = 'aus dem WAL' WHERE id = 'AC-002'"])
        fill(where, leave_kib=64)
        r = _run("--db", str(register), "settings", "--city", "Köln")
        assert r.returncode == 2 and FULL in _one_line(r.stderr)
        assert [n for n in listing(where) if ".tmp" in n] == []
        assert Path(f"{register}.wal").exists()
        (where / "filler.bin").unlink()
        r = _run("--db", str(register), "settings", "--city", "Köln")
        assert r.returncode == 0, r.stderr
        assert open_register(register).get("AC-002").name == "aus dem WAL"


def test_restore_on_a_full_disk_keeps_the_register_and_its_wal(sample_path: Path, tmp_path: Path) -> None:
    """The disk fills while the restored copy is fenced: the register and its crash WAL stay as they
    were (the WAL was moved away before the fencing), and no temporary file is left."""
    source = bk.backup(Database(sample_path), tmp_path / "saved").path
    with tmpfs(tmp_path, "40m") as where:
        register = where / "register.duckdb"
        shutil.copy(sample_path, register)
        leave_wal(register, ["UPDATE projects SET name = 'aus dem WAL' WHERE id = 'AC-002'"])
        wal = Path(f"{register}.wal").read_bytes()
        before = register.read_bytes()
        # room for the incoming copy and the kept copy (with its WAL), not for the fencing
        room = (register.stat().st_size + source.stat().st_size + len(wal)) // 1024
        fill(where, leave_kib=room + 4)
        r = _run("--db", str(register), "restore", str(source), "--yes")
        assert r.returncode == 2, r.stderr
        assert FULL in _one_line(r.stderr) and "das Register ist unverändert" in r.stderr
        assert register.read_bytes() == before
        assert Path(f"{register}.wal").read_bytes() == wal
        assert [n for n in listing(where) if n.endswith(".tmp") or ".tmp." in n] == []
        (where / "filler.bin").unlink()
        assert open_register(register).get("AC-002").name == "aus dem WAL"


def test_templates_on_a_full_disk_are_all_or_none(sample_path: Path, tmp_path: Path) -> None:
    """Fifteen templates, room for about twelve: none is left (never half a set), nor the folder."""
    with tmpfs(tmp_path, "2m") as where:
        fill(where, leave_kib=150)
        out = where / "vorlagen"
        r = _run("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out))
        assert r.returncode == 2
        assert "Keine der 15 Dateien wurde geschrieben" in _one_line(r.stderr) and FULL in r.stderr
        assert listing(where) == ["filler.bin"]
        (where / "filler.bin").unlink()
        r = _run("--db", str(sample_path), "export", "templates", "--year", "2021", "-o", str(out))
        assert r.returncode == 0 and len(list(out.glob("*.xlsx"))) == 15


def test_a_failed_backup_leaves_no_folder_it_made(sample_path: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path, "4m") as where:
        fill(where, leave_kib=64)
        r = _run("--db", str(sample_path), "backup", "-o", str(where / "sicherungen"))
        assert r.returncode == 2 and FULL in _one_line(r.stderr)
        assert listing(where) == ["filler.bin"]


def test_a_ctrl_c_while_the_engine_loads_waits_until_it_is_loaded() -> None:
    """A Ctrl-C while DuckDB's native types were being made ended in "Critical nanobind error" and a
    traceback (seen in CI, backup interrupted at start). Sent while the engine module is being
    found, it must arrive only once the engine is whole, as a plain ``KeyboardInterrupt``."""
    probe = (
        "import os, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == '_duckdb':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "try:\n"
        "    import sachstand.core.engine\n"
        "except KeyboardInterrupt:\n"
        "    engine = sys.modules.get('_duckdb')\n"
        "    print('interrupted', engine is not None and hasattr(engine, 'connect'))\n"
        "else:\n"
        "    print('not interrupted')\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "interrupted True", "")


STOP_AT = r"""
import os, signal, sys
from sachstand.core import db as core_db
from sachstand.core.repository import Repository
stop, where = getattr(signal, sys.argv[1]), sys.argv[2]
apply, execute = Repository.apply, core_db.duckdb.DuckDBPyConnection.execute
def stopped_after(self, *a, **k):
    result = apply(self, *a, **k)
    os.kill(os.getpid(), stop)  # the commit is done; apply has not returned yet
    return result
class Conn:  # a connection whose COMMIT is hit by the signal while it runs
    def __init__(self, conn): self._conn = conn
    def __getattr__(self, name): return getattr(self._conn, name)
    def execute(self, sql, *a, **k):
        if sql == "COMMIT":
            os.kill(os.getpid(), stop)
        return self._conn.execute(sql, *a, **k)
if where == "after":
    Repository.apply = stopped_after
elif where == "report":  # while the report of what was saved is written
    import sachstand.io.importing as importing
    copy = importing.copyfileobj
    def copying(source, target):
        os.kill(os.getpid(), stop)
        return copy(source, target)
    importing.copyfileobj = copying
elif where == "end":  # the command has returned; its output is flushed
    import sachstand.cli as cli
    flush = cli._flush_output
    def flushing():
        os.kill(os.getpid(), stop)
        return flush()
    cli._flush_output = flushing
else:
    connect = core_db.Database._connect
    core_db.Database._connect = lambda self, *a, **k: Conn(connect(self, *a, **k))
from sachstand.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["commit", "after", "report"])
def test_a_stop_once_the_import_is_saved_reports_it_saved(sample_path: Path, tmp_path: Path, stop: str,
                                                          where: str) -> None:
    """A ctrl+c between the COMMIT and the report said "abgebrochen" (exit 130) of 5,000 projects
    that were saved. A stop during the COMMIT or after it: the report of what was saved, a note
    that it was stopped only then, exit 0."""
    import openpyxl

    book = tmp_path / "neu.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020"])
    wb.active.append(["FB 11", "Nach dem Speichern", 10])
    wb.save(book)
    r = subprocess.run([sys.executable, "-c", STOP_AT, stop, where, "--db", str(sample_path), "import", str(book),
                        "--apply"], capture_output=True, text=True, timeout=120, env={**os.environ, "SACHSTAND_CONFIG": ""})
    assert r.returncode == 0, r.stderr
    assert "Gespeichert: 0 Projekte geändert (0 Felder), 1 neu" in r.stdout
    assert r.stderr.strip() == "Hinweis: abgebrochen, aber erst nach dem Speichern; die Änderungen sind gespeichert."
    assert "Nach dem Speichern" in {p.name for p in open_register(sample_path).projects(department="FB 11")}


@pytest.mark.parametrize(("stop", "line"), [("SIGINT", "Fehler: abgebrochen"),
                                            ("SIGTERM", "Fehler: abgebrochen (SIGTERM)")])
def test_a_stop_during_any_commands_commit_says_what_is_saved(sample_path: Path, stop: str, line: str) -> None:
    """A stop during a COMMIT is acted on once it is done: a command other than the import
    (which reports what it saved) says "abgebrochen" and that what was saved stays, not only
    "abgebrochen" of a change that is in the register (``settings --city`` was saved and seemed
    lost)."""
    r = subprocess.run([sys.executable, "-c", STOP_AT, stop, "commit", "--db", str(sample_path), "settings",
                        "--city", "Neustadt"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "SACHSTAND_CONFIG": ""})
    assert r.returncode == 128 + getattr(signal, stop)
    assert r.stderr.splitlines()[-2:] == [line, "Hinweis: Was vor dem Abbruch gespeichert wurde, bleibt im Register."]
    assert "Traceback" not in r.stderr
    assert open_register(sample_path).city().name == "Neustadt"


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_once_the_command_has_ended_is_too_late(sample_path: Path, tmp_path: Path, stop: str) -> None:
    """A stop while the last of the output is written, once the command has returned, does not
    turn a saved import into "abgebrochen": its report and its own exit code stand."""
    import openpyxl

    book = tmp_path / "neu.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes", "Umsetzungsstand 2020"])
    wb.active.append(["FB 11", "Am Ende", 10])
    wb.save(book)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    r = subprocess.run([sys.executable, "-c", STOP_AT, stop, "end", "--db", str(sample_path), "import", str(book),
                        "--apply"], capture_output=True, text=True, timeout=120, env={**env, "SACHSTAND_CONFIG": ""})
    assert (r.returncode, r.stderr) == (0, "")
    assert "Gespeichert: 0 Projekte geändert (0 Felder), 1 neu" in r.stdout


@pytest.mark.parametrize("at", [1, 2, 3, 4])
def test_a_stop_while_the_handlers_are_set_or_put_back_is_no_traceback(
        sample_path: Path, at: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A signal that comes while ``main`` sets its SIGTERM and SIGHUP handlers (calls 1, 2) is
    "abgebrochen", exit 130; one while it puts them back (3, 4), once the command has ended, is
    too late to stop it: the command's own exit code. (Seen once in a run of the test above: a
    traceback from the line that set the handlers.)"""
    import sachstand.cli as cli

    real, calls = signal.signal, []

    def arriving(signum: int, handler: object) -> object:
        calls.append(signum)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(signum, handler)  # type: ignore[arg-type]

    monkeypatch.setattr(cli.signal, "signal", arriving)
    code = cli.main(["--db", str(sample_path), "summary", "--json"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    if at <= 2:
        assert code == 130 and err.strip() == "Fehler: abgebrochen"
    else:
        assert code == 0 and err == ""
    assert cli._stop not in (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP))


@pytest.mark.parametrize(("signum", "line", "code"), [(signal.SIGTERM, "Fehler: abgebrochen (SIGTERM)", 143),
                                                     (signal.SIGINT, "Fehler: abgebrochen", 130)])
def test_a_stop_where_python_cannot_raise_it_still_stops_the_command(
        sample_path: Path, signum: signal.Signals, line: str, code: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A stop that arrives inside a ``__del__`` (or a weakref callback, the garbage collector) is
    raised where Python only prints "Exception ignored" and goes on: seen once, a SIGTERM during
    an export that then ran to its end with exit 0. It is delivered again and stops the command."""
    import time

    import sachstand.cli as cli
    import sachstand.cli.report as report

    class Dropped:
        def __del__(self) -> None:
            if signum == signal.SIGTERM:
                cli._stop(signum, None)
            raise KeyboardInterrupt

    ran: list[str] = []

    def summary(_args: object) -> int:
        Dropped()  # freed at once: the stop arrives in its __del__
        ran.append("after")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the command goes on, and is stopped here
            time.sleep(0.01)
        ran.append("ended")
        return 0

    monkeypatch.setattr(report, "cmd_summary", summary)
    result = cli.main(["--db", str(sample_path), "summary"])
    captured = capsys.readouterr()
    assert (result, captured.err.strip()) == (code, line)
    assert ran == ["after"] and "Exception ignored" not in captured.err


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "line"), [(signal.SIGINT, "Fehler: abgebrochen"),
                                            (signal.SIGTERM, "Fehler: abgebrochen (SIGTERM)")])
def test_ctrl_c_at_any_moment_of_a_backup_is_abgebrochen_never_a_traceback(
        sample_path: Path, stop: signal.Signals, line: str) -> None:
    """SIGINT inside a DuckDB query came back as ``RuntimeError: Query interrupted``, and while the
    modules loaded as a traceback; SIGTERM ended the command without a word and left the backup's
    temporary file. Sent at growing delays: every run ends with "abgebrochen" (128 + the signal),
    finishes, or (before Python handles signals at all) dies of the signal without a word; never
    a traceback, and no temporary file stays."""
    seen = set()
    for step in range(30):
        child = subprocess.Popen([sys.executable, "-m", "sachstand", "--db", str(sample_path), "backup"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "SACHSTAND_CONFIG": ""})
        time.sleep(0.1 + step * 0.04)
        child.send_signal(stop)
        _out, err = child.communicate(timeout=120)
        if "Traceback" in err and "sachstand" not in err:
            continue  # still in Python's own start-up (runpy looking for the module): not ours
        assert "Traceback" not in err and "Error" not in err, err
        if child.returncode == 128 + stop:
            assert _one_line(err) == line
        else:
            assert child.returncode in (0, -stop), err
        seen.add(child.returncode)
    assert 128 + stop in seen
    assert not list((sample_path.parent / "register.duckdb.backups").glob(".*"))


@pytest.mark.parametrize("target", ["source", "wal", "lock", "foreign"])
def test_rollup_html_passes_the_output_guard(sample_path: Path, tmp_path: Path, target: str) -> None:
    """``rollup --html`` saved the page wherever it was pointed: over the source register, or as
    its WAL, which the next open would replay. Now it is guarded like every other output."""
    source = shutil.copy(sample_path, tmp_path / "quelle.duckdb")
    foreign = tmp_path / "notizen.txt"
    foreign.write_text("nicht überschreiben", encoding="utf-8")
    out = {"source": source, "wal": Path(f"{source}.wal"), "lock": tmp_path / ".quelle.duckdb.lock",
           "foreign": foreign}[target]
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    r = _run("rollup", str(source), "--html", str(out))
    assert r.returncode == 2 and "ein anderes Ziel wählen" in _one_line(r.stderr)
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert not Path(f"{source}.wal").exists()


def test_rollup_html_needs_force_to_overwrite(sample_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "seite.html"
    assert _run("rollup", str(sample_path), "--html", str(page)).returncode == 0
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    r = _run("rollup", str(sample_path), "--html", str(page))
    assert r.returncode == 2 and "--force" in _one_line(r.stderr)
    assert _run("rollup", str(sample_path), "--html", str(page), "--force").returncode == 0


def test_a_backup_folder_that_is_not_utf8_is_named_not_the_register_called_damaged(
        sample_path: Path, tmp_path: Path) -> None:
    """``backup -o`` into a folder whose name is not UTF-8 called the register "beschädigt" (the
    copy there could not be opened to be checked). Now the folder is named, and nothing is made."""
    folder = os.path.join(os.fsencode(tmp_path), b"sich\xff")
    r = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), "backup", "-o", folder],
                       capture_output=True, text=True, env={**os.environ, "SACHSTAND_CONFIG": ""}, check=False)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert "Der Sicherungsordner" in line and "\\udcff" in line and "beschädigt" not in line
    assert not os.path.exists(folder)


@pytest.mark.parametrize("args", [["rollup", b"quelle\xff"], ["texts", "import", b"texte\xff.md"],
                                  ["export", "report", "-o", "b.docx", "--template", b"vorlage\xff.docx"]])
def test_a_file_argument_that_is_not_utf8_is_named_as_a_path(sample_path: Path, tmp_path: Path, args: list) -> None:
    r = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), *args], cwd=tmp_path,
                       capture_output=True, text=True, env={**os.environ, "SACHSTAND_CONFIG": ""}, check=False)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert line.startswith("Fehler: Der Pfad „") and "\\udcff" in line and "bitte die Datei umbenennen" in line
    assert not (tmp_path / "b.docx").exists()


def test_the_lock_file_is_never_followed_through_a_symlink(sample_path: Path, tmp_path: Path) -> None:
    """A link planted as ``.<register>.lock`` made every opener create (as root: anywhere) the file
    it points to. Now the link is left alone, and reads and writes still work."""
    victim = tmp_path / "elsewhere" / "created_by_the_lock"
    victim.parent.mkdir()
    lock = sample_path.parent / f".{sample_path.name}.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    assert _run("--db", str(sample_path), "summary").returncode == 0
    r = _run("--db", str(sample_path), "settings", "--city", "Köln")
    assert r.returncode == 0, r.stderr
    assert not victim.exists() and lock.is_symlink()
    assert open_register(sample_path).city().name == "Köln"


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "abc", ""])
def test_a_lock_timeout_that_is_no_finite_number_of_seconds_is_the_default(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """``SACHSTAND_LOCK_TIMEOUT=nan`` made every wait for a lock endless (no deadline compares)."""
    from sachstand.core.db import default_lock_timeout

    monkeypatch.setenv("SACHSTAND_LOCK_TIMEOUT", value)
    assert default_lock_timeout() == 15.0
    monkeypatch.setenv("SACHSTAND_LOCK_TIMEOUT", "2.5")
    assert default_lock_timeout() == 2.5


@pytest.mark.slow
def test_init_killed_at_any_moment_leaves_no_register_or_a_whole_one(tmp_path: Path) -> None:
    """``init`` killed half-way left an empty DuckDB file ("kein sachstand-Register") or a register
    without the sample, which ``init`` then refused to replace. Now it is built under a temporary
    name and linked into place when complete: no file, or the whole sample."""
    register = tmp_path / "neu.duckdb"
    outcomes = set()
    for pause in (0.0, 0.05, 0.15, 0.3, 0.6, 1.0):
        register.unlink(missing_ok=True)
        child = subprocess.Popen([sys.executable, "-m", "sachstand", "--db", str(register), "init", "--sample"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "SACHSTAND_CONFIG": ""})
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".neu.duckdb.init-*.tmp")) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # the build has begun
        time.sleep(pause)
        child.send_signal(signal.SIGKILL)
        child.communicate()
        if register.exists():
            outcomes.add("whole")
            assert len(open_register(register).projects()) == 58
        else:
            outcomes.add("none")
            r = _run("--db", str(register), "init", "--empty")
            assert r.returncode == 0, r.stderr
    assert "none" in outcomes


def test_first_runs_at_the_same_moment_all_see_the_whole_sample(tmp_path: Path) -> None:
    """Three first runs at the default path: two of them saw the register being built and said
    "Das Register enthält noch keine Umsetzungsstände" (exit 2). Now each sees it whole."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "SACHSTAND_CONFIG": ""}
    env.pop("SACHSTAND_DB", None)
    procs = [subprocess.Popen([sys.executable, "-m", "sachstand", "summary", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert '"projects": 57' in out
    assert sorted(os.listdir(tmp_path / "data" / "sachstand")) == [".register.duckdb.lock", "register.duckdb"]


@pytest.mark.parametrize(("given", "reason"), [
    ("AC-2147483648", "hat eine zu große Nummer (höchstens 2.147.483.647)"),
    ("AC-\u202e001", "ist keine Projekt-ID"),
    ("-5", "ist keine Projekt-ID"),
])
def test_a_given_project_id_outside_the_id_rule_is_refused_naming_the_cell(
        sample_path: Path, tmp_path: Path, given: str, reason: str) -> None:
    """A register's own workbook recreated on an empty register: ``AC-2147483648`` overflowed the
    32-bit ID counter (DuckDB ConversionException); a bidi override and ``-5`` were taken as IDs."""
    import openpyxl

    book = tmp_path / "reg.xlsx"
    assert _run("--db", str(sample_path), "export", "register", "-o", str(book)).returncode == 0
    wb = openpyxl.load_workbook(book)
    assert wb["Projekte"]["A1"].value == "ID"
    wb["Projekte"]["A2"] = given
    wb.save(book)
    empty = tmp_path / "leer.duckdb"
    assert _run("--db", str(empty), "init", "--empty", "--city", "Stadt Aachen").returncode == 0
    r = _run("--db", str(empty), "import", str(book), "--apply")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "Unerwarteter" not in r.stderr, r.stderr
    flat = " ".join(r.stdout.split())
    assert "reg.xlsx Projekte!A2:" in flat and reason in flat and "Nichts wurde gespeichert: 1 Problem" in flat
    assert not open_register(empty).projects()


@pytest.mark.parametrize(("name", "expected"), [
    ("map_nested_100000.toml", "ist tiefer als 32 Ebenen verschachtelt"),
    ("map_field_200000_characters.csv", ", Zeile 2: ein Feld ist länger als 131.072 Zeichen."),
])
def test_hostile_department_maps_are_refused_naming_the_file(sample_path: Path, name: str, expected: str) -> None:
    """100,000 nested arrays were a RecursionError in tomllib, a 200,000-character field a csv.Error."""
    r = _run("--db", str(sample_path), "rollup", str(sample_path), "--department-map", str(BAD / name))
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert f"Die Bereichszuordnung {BAD / name}" in line and expected in line


def test_a_fifo_is_neither_department_map_nor_rollup_source_and_never_waited_for(
        sample_path: Path, tmp_path: Path) -> None:
    """A map that is a symlink to a FIFO blocked for ever in ``read_text``; a FIFO as a source was
    called „ein Ordner“."""
    fifo = tmp_path / "zuordnung"
    os.mkfifo(fifo)
    (tmp_path / "map.toml").symlink_to(fifo)
    r = _run("--db", str(sample_path), "rollup", str(sample_path), "--department-map", str(tmp_path / "map.toml"),
             timeout=60)
    assert r.returncode == 2
    assert "lässt sich nicht lesen: das ist keine gewöhnliche Datei" in _one_line(r.stderr)
    r = _run("--db", str(sample_path), "rollup", str(fifo), timeout=60)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert "ist weder Register noch Open-Data-Ordner: das ist keine gewöhnliche Datei" in line and "Ordner“" not in line
    export = tmp_path / "offen"  # an open-data folder whose metadata.jsonld is a FIFO: read_text blocked
    assert _run("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(export)).returncode == 0
    metadata = next(export.glob("city=*/year=2020/metadata.jsonld"))
    metadata.unlink()
    os.mkfifo(metadata)
    r = _run("rollup", str(export), timeout=60)
    assert r.returncode == 2
    assert "sind unlesbar (das ist keine gewöhnliche Datei" in _one_line(r.stderr)


@pytest.mark.parametrize(("name", "expected"), [
    ("template_document_junk_after_root.docx", "der Teil „word/document.xml“ ist kein gültiges XML (Zeile 2"),
    ("template_styles_junk_after_root.docx", "der Teil „word/styles.xml“ ist kein gültiges XML (Zeile 2"),
    ("template_without_document.docx", "der Teil „word/document.xml“ fehlt (verwiesen aus „_rels/.rels“)"),
    ("template_if_3000_deep.docx", "Blöcke sind tiefer als 50 Ebenen verschachtelt"),
    ("template_presentation_junk_after_root.pptx", "der Teil „ppt/presentation.xml“ ist kein gültiges XML"),
    ("template_layout_junk_after_root.pptx", "der Teil „ppt/slideLayouts/slideLayout1.xml“ ist kein gültiges XML"),
])
def test_hostile_report_templates_are_refused_naming_the_part(
        sample_path: Path, tmp_path: Path, name: str, expected: str) -> None:
    """Junk after a part's root was lxml's XMLSyntaxError, a missing main part an English
    KeyError, ``{% if %}`` 3,000 deep a RecursionError: each the catch-all's line with exit 1."""
    target = tmp_path / f"bericht{Path(name).suffix}"
    r = _run("--db", str(sample_path), "export", "report", "-o", str(target), "--template", str(BAD / name))
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert expected in line and "Unerwarteter" not in line and "KeyError" not in line, line
    assert not target.exists() and not list(tmp_path.glob("bericht*"))


def test_open_data_on_a_full_disk_says_so_in_german_and_leaves_nothing(sample_path: Path, tmp_path: Path) -> None:
    """DuckDB's English "IO Error: … No space left on device" was put into the German line."""
    with tmpfs(tmp_path, "1m") as where:
        fill(where, leave_kib=24)
        r = _run("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(where / "offen"))
        assert r.returncode == 2
        line = _one_line(r.stderr)
        assert line.startswith("Fehler: Die offenen Daten lassen sich nicht nach ") and line.endswith(f"{FULL}.")
        assert "IO Error" not in line and "space" not in line
        assert listing(where) == ["filler.bin"]


def test_open_data_into_a_folder_that_is_not_utf8_is_named_as_such(sample_path: Path, tmp_path: Path) -> None:
    """DuckDB refused the path with its English text inside the German line."""
    r = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), "export", "opendata", "--year",
                        "2020", "-o", b"offen\xff/daten"], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "SACHSTAND_CONFIG": ""}, check=False)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert line.startswith("Fehler: Der Zielordner offen\\udcff/daten ist kein gültiges UTF-8"), line
    assert not [p for p in os.listdir(tmp_path) if p.startswith("offen")]


def test_an_unknown_field_in_the_config_columns_names_the_file_and_key(sample_path: Path, tmp_path: Path) -> None:
    """Reported as „--column: …“ with the known fields case-mangled („Geplante kosten“)."""
    config = tmp_path / "sachstand.toml"
    config.write_text('[import.columns]\n"Mittel" = "Geplante Kostn"\n', encoding="utf-8")
    book = tmp_path / "liste.xlsx"
    assert _run("--db", str(sample_path), "export", "register", "-o", str(book)).returncode == 0
    r = _run("--db", str(sample_path), "--config", str(config), "import", str(book))
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert line.startswith(f"Fehler: {config} [import.columns] „Mittel“: „Geplante Kostn“ ist kein bekanntes Feld")
    assert "--column" not in line and "„Geplante Kosten“" in line and "Geplante kosten" not in line


def test_markup_of_a_file_whose_name_is_not_utf8_shows_the_name_escaped(sample_path: Path, tmp_path: Path) -> None:
    """A file name with bytes that are not UTF-8 (and an ``&``, and 240 more characters) goes
    into the marked-up copy's heading and page headers escaped and cut to Excel's header limit:
    the copy is written, and nothing crashes on encoding it."""
    import openpyxl

    out = tmp_path / "t"
    assert _run("--db", str(sample_path), "export", "templates", "--year", "2020", "--department", "FB 11",
                "-o", str(out)).returncode == 0
    odd = os.fsencode(tmp_path) + b"/n\xff&" + b"x" * 240 + b".xlsx"
    shutil.copyfile(next(out.glob("*.xlsx")), odd)
    marked = tmp_path / "m.xlsx"
    r = _run("--db", str(sample_path), "import", os.fsdecode(odd), "--markup", str(marked))
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr
    wb = openpyxl.load_workbook(marked)
    assert wb["Korrekturen"]["A1"].value.startswith("Korrekturen für n\\udcff&xxx")
    headers = [ws.oddHeader.left.text or "" for ws in wb.worksheets]
    assert any(h.startswith("n\\udcff&&xxx") and h.endswith("…") for h in headers)
    assert all(len(h) < 255 for h in headers)


def test_a_stopped_init_claims_nothing_saved(tmp_path: Path) -> None:
    """``init --sample`` stopped after the sample is loaded into the hidden register being built,
    before it is linked into place: "abgebrochen", no register, and no note that something was
    saved (its commits went to a file that is then removed)."""
    script = (
        "import os, signal, sys\n"
        "from sachstand.core import sample\n"
        "load = sample.load\n"
        "def loading(*a, **k):\n"
        "    result = load(*a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return result\n"
        "sample.load = loading\n"
        "from sachstand.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    target = tmp_path / "neu.duckdb"
    r = subprocess.run([sys.executable, "-c", script, "--db", str(target), "init", "--sample"], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "SACHSTAND_CONFIG": ""})
    assert (r.returncode, r.stderr.splitlines()[-1:]) == (130, ["Fehler: abgebrochen"])
    assert "gespeichert" not in r.stderr and list(tmp_path.iterdir()) == []
