"""Opening the register file: one short connection per unit of work, with retries on a lock.

Rules:
- DuckDB lets one process at a time hold a file read-write, and a read-only opener fails while a
  writer holds it. So no connection is long-lived: each read or write opens, works and closes.
- While another process holds the file, opening is retried with growing pauses for
  ``lock_timeout`` seconds (env ``SACHSTAND_LOCK_TIMEOUT``, default 15), then ``RegisterLocked``.
- A write is one transaction, followed by a CHECKPOINT so the WAL stays short.
- Inside one process, connections are serialised by a lock, because DuckDB refuses a second
  connection to the same file with other settings.
- External file access from SQL is switched off on every connection. A connection that must
  read or write other files (open data, a roll-up over many registers) is an in-memory one from
  ``file_connection``, allowed exactly the files and folders it names; registers are attached to
  it read-only (``Database.attach_read_only``), never opened for writing.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from .errors import NotARegister, RegisterDamaged, RegisterLocked, RegisterMissing, SachstandError, SchemaTooNew
from .schema import APP_MARKER, LATEST, MIGRATIONS

_T = TypeVar("_T")

_process_locks: dict[str, threading.RLock] = {}
_process_locks_guard = threading.Lock()


def _lock_for(path: str) -> threading.RLock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.RLock())


def default_lock_timeout() -> float:
    try:
        return float(os.environ.get("SACHSTAND_LOCK_TIMEOUT", "15"))
    except ValueError:
        return 15.0


def backup_dir_for(path: Path) -> Path:
    return path.parent / f"{path.name}.backups"


class Database:
    """The register file and how to open it; cheap to create, holds no connection."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float | None = None) -> None:
        self.path = Path(path).expanduser().absolute()
        self.lock_timeout = default_lock_timeout() if lock_timeout is None else lock_timeout
        self._checked = False
        self._local = threading.local()

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; reuses the thread's open connection when nested."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._open(write=False) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: committed on success, else rolled back."""
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("nested write connection")
        with self._open(write=True) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.execute("CHECKPOINT")

    @contextmanager
    def _open(self, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with _lock_for(str(self.path)):
            if not self.path.exists():
                raise RegisterMissing(str(self.path))
            if os.path.exists(f"{self.path}.wal"):
                from .backup import preserve_leftover_wal  # a crash's WAL is kept before DuckDB replays it

                preserve_leftover_wal(self, strict=write)
            with self._turnstile(hold=write):
                conn = self._connect(read_only=not write)
                try:
                    if not self._checked:
                        conn = self._check_schema(conn, write)
                    self._local.conn = conn
                    yield conn
                finally:
                    self._local.conn = None
                    conn.close()

    @contextmanager
    def _turnstile(self, hold: bool) -> Iterator[None]:
        """Queue writers ahead of new readers, so a stream of readers cannot starve a write.

        DuckDB's file lock favours nobody: with a few readers always holding the file, a writer
        rarely finds a gap. So every opener first takes an exclusive ``flock`` on a small lock
        file beside the register: a reader lets go at once, a writer keeps it until its write is
        done; readers arriving meanwhile wait for it. Without the rights to open that file, the
        turnstile is skipped.
        """
        fd = _open_lock_file(self.path.parent / f".{self.path.name}.lock")
        if fd is None:
            yield
            return
        try:
            deadline = time.monotonic() + self.lock_timeout
            pause = 0.005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise RegisterLocked(str(self.path), self.lock_timeout) from None
                    time.sleep(pause * (0.5 + random.random()))
                    pause = min(pause * 1.6, 0.1)
            if not hold:
                fcntl.flock(fd, fcntl.LOCK_UN)
            yield
        finally:
            os.close(fd)

    def _connect(self, read_only: bool, create: bool = False) -> duckdb.DuckDBPyConnection:
        return self._retry(lambda: duckdb.connect(
            str(self.path), read_only=read_only, config={"enable_external_access": False}), create)

    def _retry(self, opener: Callable[[], _T], create: bool = False) -> _T:
        """Run ``opener`` (a connect or an ATTACH), retrying on a lock; German errors otherwise."""
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.01
        while True:
            try:
                return opener()
            except duckdb.IOException as exc:
                text = str(exc)
                if "Could not set lock" in text or "Conflicting lock" in text:
                    if time.monotonic() >= deadline:
                        raise RegisterLocked(str(self.path), self.lock_timeout) from None
                    time.sleep(pause * (0.5 + random.random()))
                    pause = min(pause * 1.6, 0.25)
                    continue
                if "not a valid DuckDB database" in text:
                    if _damaged_duckdb_file(self.path):
                        raise RegisterDamaged(str(self.path), "Dateikopf unlesbar", str(backup_dir_for(self.path))) from None
                    raise NotARegister(str(self.path), "keine DuckDB-Datei") from None
                if "database does not exist" in text and not create:
                    raise RegisterMissing(str(self.path)) from None
                for marker, reason in _OPEN_FAILURES:
                    if marker in text:  # the file system said no: nothing about the file's content
                        raise SachstandError(f"Das Register {self.path} lässt sich nicht öffnen ({reason}).") from None
                raise RegisterDamaged(str(self.path), _first_line(text), str(backup_dir_for(self.path))) from None
            except duckdb.Error as exc:
                raise RegisterDamaged(str(self.path), _first_line(str(exc)), str(backup_dir_for(self.path))) from None

    def attach_read_only(self, conn: duckdb.DuckDBPyConnection, alias: str) -> int:
        """Attach the register to ``conn`` (from ``file_connection``, allowed this file and its
        WAL) as ``alias``, read-only, after the writers' turnstile; retried on a lock like a read.

        Nothing is migrated: a register of an older schema is read as it is. Returns its schema
        version; a file that is not a register, or one of a newer schema, is refused.
        """
        if not self.path.is_file():
            if self.path.exists():
                raise SachstandError(f"Das Register {self.path} lässt sich nicht öffnen (das ist ein Ordner).")
            raise RegisterMissing(str(self.path))
        with _lock_for(str(self.path)), self._turnstile(hold=False):
            self._retry(lambda: conn.execute(f"ATTACH {sql_string(str(self.path))} AS {alias} (READ_ONLY)"))
        try:
            version = schema_version(conn, alias)
        except duckdb.Error as exc:
            raise RegisterDamaged(str(self.path), _first_line(str(exc)), str(backup_dir_for(self.path))) from None
        if version is None:
            raise NotARegister(str(self.path), "die Datenbank enthält kein sachstand-Register")
        if version > LATEST:
            raise SchemaTooNew(str(self.path), version, LATEST)
        return version

    def _check_schema(self, conn: duckdb.DuckDBPyConnection, write: bool) -> duckdb.DuckDBPyConnection:
        """Refuse foreign or newer files; upgrade an older register (that needs a write).

        Returns the connection to go on with: the same one, or a fresh read-only one after an
        upgrade done through a read-write connection.
        """
        try:
            version = schema_version(conn)
        except duckdb.Error as exc:
            conn.close()
            raise RegisterDamaged(str(self.path), _first_line(str(exc)), str(backup_dir_for(self.path))) from None
        if version is None:
            conn.close()
            raise NotARegister(str(self.path), "die Datenbank enthält kein sachstand-Register")
        if version > LATEST:
            conn.close()
            raise SchemaTooNew(str(self.path), version, LATEST)
        if version < LATEST:
            if write:
                migrate(conn)
            else:
                conn.close()
                upgrade = self._connect(read_only=False)
                try:
                    migrate(upgrade)
                    upgrade.execute("CHECKPOINT")
                finally:
                    upgrade.close()
                conn = self._connect(read_only=True)
        self._checked = True
        return conn

    def create(self) -> None:
        """Create a new, empty register at the latest schema. The file must not exist."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock_for(str(self.path)):
            conn = self._connect(read_only=False, create=True)
            try:
                migrate(conn)
                conn.execute("CHECKPOINT")
            finally:
                conn.close()
        self._checked = True


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal (for the file names ATTACH and COPY cannot take as parameters)."""
    return "'" + text.replace("'", "''") + "'"


def file_connection(paths: list[Path] | tuple[Path, ...] = (), directories: list[Path] | tuple[Path, ...] = ()
                    ) -> duckdb.DuckDBPyConnection:
    """An in-memory connection that may read and write only ``paths`` (each with its WAL) and
    the files under ``directories``; every other file stays out of reach of its SQL."""
    conn = duckdb.connect(":memory:")
    try:
        allowed = [str(p) for p in paths] + [f"{p}.wal" for p in paths]
        conn.execute("SET allowed_paths = $p", {"p": allowed})
        conn.execute("SET allowed_directories = $d", {"d": [str(d).rstrip("/") + "/" for d in directories]})
        conn.execute("SET enable_external_access = false")
    except BaseException:
        conn.close()
        raise
    return conn


def _open_lock_file(path: Path) -> int | None:
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags, 0o666)
        except OSError:
            continue
    return None


_OPEN_FAILURES = (
    ("Is a directory", "das ist ein Ordner"),
    ("Permission denied", "keine Berechtigung"),
    ("No such file or directory", "der Ordner fehlt"),
    ("Read-only file system", "nur lesbares Dateisystem"),
)


def _damaged_duckdb_file(path: Path) -> bool:
    """A file DuckDB cannot read that still looks like one of its files (three 4 KiB headers,
    then whole blocks), or that has a WAL or backups beside it: damaged rather than foreign."""
    size = path.stat().st_size
    looks_like = size >= 3 * 4096 and size % 4096 == 0
    return looks_like or backup_dir_for(path).is_dir() or os.path.exists(f"{path}.wal")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unbekannter Fehler"


def schema_version(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int | None:
    """The register's schema version (of the attached ``catalog``, else the connection's own
    database), or None for a database that is not a register."""
    has_meta = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main' "
        "AND ($cat IS NULL OR table_catalog = $cat)", {"cat": catalog}
    ).fetchone()
    if not has_meta or has_meta[0] == 0:
        return None
    rows = dict(conn.execute(f"SELECT key, value FROM {catalog + '.' if catalog else ''}meta").fetchall())
    if rows.get("app") != APP_MARKER:
        return None
    try:
        return int(rows.get("schema_version", "0"))
    except ValueError:
        return None


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply the missing migrations, each in its own transaction; returns the new version."""
    current = schema_version(conn) or 0
    for number in range(current + 1, LATEST + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(MIGRATIONS[number - 1])
            if number == 1:
                conn.execute("INSERT INTO meta VALUES ('app', ?)", [APP_MARKER])
                conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            else:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(number)])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return LATEST
