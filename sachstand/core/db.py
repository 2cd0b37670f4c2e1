"""Opening the register file: one short connection per unit of work, with retries on a lock.

Rules:
- DuckDB lets one process at a time hold a file read-write, and a read-only opener fails while a
  writer holds it. So no connection is long-lived: each read or write opens, works and closes.
- While another process holds the file, opening is retried with growing pauses for
  ``lock_timeout`` seconds (env ``SACHSTAND_LOCK_TIMEOUT``, default 15), then ``RegisterLocked``.
- A write is one transaction, followed by a CHECKPOINT so the WAL stays short. COMMIT and
  CHECKPOINT run with the stop signals held (``signals.held_stops``) and ``commits`` counted in
  between, so a ctrl+c there arrives after it and its caller can tell a saved change.
- Inside one process, connections are serialised by a lock, because DuckDB refuses a second
  connection to the same file with other settings.
- External file access from SQL is switched off on every connection. A connection that must
  read or write other files (open data, a roll-up over many registers) is an in-memory one from
  ``file_connection``, allowed exactly the files and folders it names; registers are attached to
  it read-only (``Database.attach_read_only``), never opened for writing.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from .engine import duckdb
from .errors import (
    NotARegister,
    RegisterDamaged,
    RegisterMissing,
    SachstandError,
    SchemaTooNew,
    WriteFailed,
    first_line,
    os_reason,
)
from .files import backup_dir_for
from .identity import check_utf8, looks_damaged, refuse_foreign
from .locking import Busy, lock_for, retry, turnstile
from .schema import LATEST, migrate, schema_version
from .signals import held_stops, note_saved
from .wal import preserve_leftover_wal

__all__ = ["Background", "Database", "backup_dir_for", "connect_file", "default_lock_timeout", "file_connection",
           "sql_string"]

_T = TypeVar("_T")


def default_lock_timeout() -> float:
    """``$SACHSTAND_LOCK_TIMEOUT`` in seconds, else 15; a value that is not a finite number of
    seconds from 0 on ("nan", "inf", "-1", "abc") is the default too: "nan" never timed out."""
    try:
        value = float(os.environ.get("SACHSTAND_LOCK_TIMEOUT", "15"))
    except ValueError:
        return 15.0
    return value if math.isfinite(value) and value >= 0 else 15.0


def connect_file(path: str | os.PathLike[str], read_only: bool = False,
                 threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection to ``path`` with external file access switched off.

    No locks, no retries, no schema check: for ``Database`` itself and for files that are not
    the live register (backups, copies being restored). DuckDB's progress bar is off: it draws
    on stdout for any query over two seconds, inside ``--json`` output (seen on a loaded machine).
    ``threads``: DuckDB's worker threads (default: one per core); one for work that runs beside
    the caller's own, so that the other core stays the caller's.
    """
    config: dict[str, str | bool | int | float | list[str]] = {"enable_external_access": False}
    if threads is not None:
        config["threads"] = threads
    conn = duckdb.connect(str(path), read_only=read_only, config=config)
    conn.execute("SET enable_progress_bar = false")
    return conn


class Database:
    """The register file and how to open it; cheap to create, holds no connection."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float | None = None) -> None:
        check_utf8(path, "Der Registerpfad")
        self.path = Path(os.path.realpath(Path(path).expanduser()))
        self.lock_timeout = default_lock_timeout() if lock_timeout is None else lock_timeout
        self._checked = False
        self._local = threading.local()
        self.commits = 0
        """Writes committed through this object: a caller stopped by a signal compares it with
        its value before the write to know whether the change was saved."""
        self.counts_as_saved = True
        """A commit here is a change saved for the user (``signals.note_saved``); False for a
        register built under a temporary name, where nothing is saved until it is in place."""

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def schema_checked(self) -> bool:
        """This object has opened the register and checked its schema (until
        ``invalidate_schema_check``)."""
        return self._checked

    def writing(self) -> bool:
        """True inside a ``write`` of this thread: its changes are seen by its own connection only
        (not by a second cursor, ``Background``), until the COMMIT."""
        return bool(getattr(self._local, "writing", False))

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; reuses the thread's open connection when nested, and inside
        ``read_ahead`` the connection opened ahead."""
        current = getattr(self._local, "conn", None)
        if current is None and getattr(self._local, "ahead", None) is not None:
            current = self._local.ahead.connection()
        if current is not None:
            yield current
            return
        with self._open(write=False) as conn:
            yield conn

    @contextmanager
    def read_ahead(self) -> Iterator[None]:
        """Begin opening this thread's read connection on a helper thread, and go on meanwhile.

        DuckDB lets go of the GIL while it opens a file (about 20 ms at 100,000 projects, its
        catalogue of functions made anew for each open), so the caller can do other work in the
        meantime (``summary`` imports the modules that will query the register). The connection
        is opened exactly as ``read`` opens one (``_open``: the in-process lock, the turnstile, a
        crash's WAL kept, the schema checked), by the helper, which holds it until the block is
        left and then closes it. Every ``read`` of this thread inside the block uses it (nested
        reads as usual; a ``Background`` cursor of it too), and the first waits for it and raises
        what the opening raised (``RegisterMissing``, ``RegisterLocked``, ...). A ``write`` inside
        the block is an error, as a write nested in a read.
        """
        ahead = _Ahead(self)
        self._local.ahead = ahead
        try:
            yield
        finally:
            self._local.ahead = None
            ahead.release()

    @contextmanager
    def write(self, on_closed: Callable[[], None] | None = None,
              on_committed: Callable[[], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: committed on success, else rolled back.

        Nested in another ``write`` of this thread, it joins that transaction (one unit of work:
        a save and the read of what it saved on one connection); nested in a ``read``, it is an error.
        ``on_committed`` runs right after the COMMIT (the change is durable in the WAL), before
        the CHECKPOINT, so a caller can show what it saved meanwhile. ``on_closed`` runs after the
        connection is closed but before other processes may write (the turnstile is still held),
        so it sees the file exactly as this write left it.
        """
        current = getattr(self._local, "conn", None)
        if current is None and getattr(self._local, "ahead", None) is not None:
            raise RuntimeError("write inside read_ahead")
        if current is not None:
            if not getattr(self._local, "writing", False):
                raise RuntimeError("write nested in a read connection")
            yield current
            return
        with self._open(write=True, on_closed=on_closed) as conn:
            self._local.writing = True
            try:
                conn.execute("BEGIN TRANSACTION")
                try:
                    yield conn
                except BaseException as exc:
                    _rollback(conn)
                    if isinstance(exc, duckdb.Error) and _refused_by_os(exc):
                        raise WriteFailed("Das Register wurde nicht geändert", exc) from None
                    raise
                with held_stops():  # a stop now comes after the count says whether it was saved
                    try:
                        conn.execute("COMMIT")
                    except duckdb.Error as exc:
                        _rollback(conn)
                        raise WriteFailed("Das Register wurde nicht geändert", exc) from None
                    self.commits += 1
                    if self.counts_as_saved:
                        note_saved()
                    if on_committed is not None:
                        on_committed()
                    try:
                        conn.execute("CHECKPOINT")
                    except duckdb.Error as exc:  # committed in the WAL; the next open folds it in
                        raise WriteFailed(
                            "Die Änderung ist gespeichert (im WAL), aber nicht in die Registerdatei übernommen; "
                            "das geschieht beim nächsten Öffnen", exc,
                        ) from None
            finally:
                self._local.writing = False

    @contextmanager
    def _open(self, write: bool, on_closed: Callable[[], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        with lock_for(self.path):
            if not self.path.exists():
                raise RegisterMissing(str(self.path))
            refuse_foreign(self.path)  # before the lock file beside it is created
            if os.path.exists(f"{self.path}.wal"):  # a crash's WAL is kept before DuckDB replays it
                preserve_leftover_wal(self.path, strict=write)
            with turnstile(self.path, self.lock_timeout, hold=write):
                conn = self._connect(read_only=not write)
                try:
                    if not self._checked:
                        conn = self._check_schema(conn, write)
                    self._local.conn = conn
                    yield conn
                finally:
                    self._local.conn = None
                    conn.close()
                    if write:
                        _drop_empty_wal(self.path)
                    if on_closed is not None:
                        on_closed()

    def invalidate_schema_check(self) -> None:
        """Check the schema again on the next open (the file was replaced, e.g. by a restore)."""
        self._checked = False

    def _connect(self, read_only: bool, create: bool = False) -> duckdb.DuckDBPyConnection:
        return retry(lambda: self._try(lambda: connect_file(self.path, read_only=read_only), create),
                     self.path, self.lock_timeout)

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
        attach = f"ATTACH {sql_string(str(self.path))} AS {alias} (READ_ONLY)"
        with lock_for(self.path), turnstile(self.path, self.lock_timeout, hold=False):
            retry(lambda: self._try(lambda: conn.execute(attach)), self.path, self.lock_timeout)
        try:
            version = schema_version(conn, alias)
        except duckdb.Error as exc:
            raise RegisterDamaged(str(self.path), first_line(str(exc)), str(backup_dir_for(self.path))) from None
        if version is None:
            raise NotARegister(str(self.path), "die Datenbank enthält kein sachstand-Register")
        if version > LATEST:
            raise SchemaTooNew(str(self.path), version, LATEST)
        return version

    def _try(self, opener: Callable[[], _T], create: bool = False) -> _T:
        """Run ``opener`` (a connect or an ATTACH of this file) once: ``Busy`` on a lock, a German
        error for anything else that goes wrong."""
        try:
            return opener()
        except duckdb.IOException as exc:
            text = str(exc)
            if "Could not set lock" in text or "Conflicting lock" in text:
                raise Busy from None
            if "not a valid DuckDB database" in text:
                if _damaged_duckdb_file(self.path):
                    backups = str(backup_dir_for(self.path))
                    raise RegisterDamaged(str(self.path), "Dateikopf unlesbar", backups) from None
                raise NotARegister(str(self.path), "keine DuckDB-Datei") from None
            if "database does not exist" in text and not create:
                raise RegisterMissing(str(self.path)) from None
            if _refused_by_os(exc):  # the file system said no: nothing about the file's content
                refused = SachstandError(f"Das Register {self.path} lässt sich nicht öffnen ({os_reason(exc)}).")
                refused.detail = text
                raise refused from None
            raise RegisterDamaged(str(self.path), first_line(text), str(backup_dir_for(self.path))) from None
        except duckdb.Error as exc:
            raise RegisterDamaged(str(self.path), first_line(str(exc)), str(backup_dir_for(self.path))) from None

    def _check_schema(self, conn: duckdb.DuckDBPyConnection, write: bool) -> duckdb.DuckDBPyConnection:
        """Refuse foreign or newer files; upgrade an older register (that needs a write).

        Returns the connection to go on with: the same one, or a fresh read-only one after an
        upgrade done through a read-write connection.
        """
        try:
            version = schema_version(conn)
        except duckdb.Error as exc:
            conn.close()
            raise RegisterDamaged(str(self.path), first_line(str(exc)), str(backup_dir_for(self.path))) from None
        if version is None:
            conn.close()
            raise NotARegister(str(self.path), "die Datenbank enthält kein sachstand-Register")
        if version > LATEST:
            conn.close()
            raise SchemaTooNew(str(self.path), version, LATEST)
        if version < LATEST:
            if write:
                self._migrate(conn, version)
            else:
                conn.close()
                upgrade = self._connect(read_only=False)
                try:
                    self._migrate(upgrade, version)
                    upgrade.execute("CHECKPOINT")
                finally:
                    upgrade.close()
                conn = self._connect(read_only=True)
        self._checked = True
        return conn

    def _migrate(self, conn: duckdb.DuckDBPyConnection, version: int) -> None:
        """Upgrade from ``version``; a register whose tables do not match its version (forged, or
        changed by another program) is refused, each migration having rolled itself back."""
        try:
            migrate(conn)
        except duckdb.Error as exc:
            conn.close()
            if _refused_by_os(exc):
                raise WriteFailed(f"Das Register {self.path} ließ sich nicht auf den neuen Stand bringen", exc) from None
            raise NotARegister(str(self.path), f"seine Tabellen passen nicht zu Schema-Version {version}") from None

    def create(self) -> None:
        """Create a new, empty register at the latest schema. The file must not exist."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteFailed(f"Der Ordner {self.path.parent} lässt sich nicht anlegen", exc) from None
        with lock_for(self.path):
            conn = self._connect(read_only=False, create=True)
            try:
                migrate(conn)
                conn.execute("CHECKPOINT")
            except duckdb.Error as exc:  # a full disk: no half register is left behind
                conn.close()
                for leftover in (self.path, Path(f"{self.path}.wal")):
                    leftover.unlink(missing_ok=True)
                raise WriteFailed("Das Register wurde nicht angelegt", exc) from None
            finally:
                conn.close()
        self._checked = True


class _Ahead:
    """A read connection being opened on a helper thread (``Database.read_ahead``)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ready = threading.Event()
        self._done = threading.Event()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sachstand-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._db._open(write=False) as conn:
                self._conn = conn
                self._ready.set()
                self._done.wait()  # the caller's reads use it meanwhile; closed on leaving _open
        except BaseException as exc:  # handed to the caller's first read
            self._error = exc
        finally:
            self._ready.set()

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The opened connection, once it is open; or what opening it raised."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._conn is not None  # set with _ready unless there is an error
        return self._conn

    def release(self) -> None:
        """Let the helper close the connection; wait for that unless it is still opening (a
        caller stopped by ctrl+c while a writer holds the file does not wait out the retries:
        the helper closes what it opens by itself)."""
        self._done.set()
        if self._ready.is_set():
            self._thread.join()


class Background(Generic[_T]):
    """Work on a second cursor of an open connection, in a thread, beside the caller's own queries.

    DuckDB lets go of the GIL while a query runs, and a query over one table's row group runs on
    one core; so a second query of the same unit of work (the previous year's counts beside the
    year's figures) can run on the other core. The cursor reads the same file in the same
    process, so it sees what the caller's connection sees (a read-only file cannot change while
    it is open); not inside a write, whose changes only its own connection sees until the COMMIT
    (``Database.writing``). Use it as a context manager: leaving the block waits for the thread, so the
    connection is never closed under a running query; ``result()`` waits and returns what
    ``work`` returned, or raises what it raised. With ``db``, the work's own ``db.read()`` calls
    (the repository's reads) use the cursor too, as nested reads use the caller's connection;
    without it such a read would open a connection of its own and wait for the caller's lock.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], _T],
                 db: Database | None = None) -> None:
        self._cursor = conn.cursor()
        self._work = work
        self._db = db
        self._value: _T | None = None
        self._error: BaseException | None = None
        self._done = False
        self._thread = threading.Thread(target=self._run, name="sachstand-background-query", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._db is not None:  # this thread's reads of the register: the cursor
            self._db._local.conn = self._cursor
        try:
            self._value = self._work(self._cursor)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            if self._db is not None:
                self._db._local.conn = None

    def result(self) -> _T:
        self._wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set by _run when there is no error

    def _wait(self) -> None:
        if not self._done:
            self._thread.join()
            self._cursor.close()
            self._done = True

    def __enter__(self) -> Background[_T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._wait()


def one_row(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate without GROUP BY)."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return row


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


def _damaged_duckdb_file(path: Path) -> bool:
    return looks_damaged(path, path.stat().st_size)


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed commit has already ended the transaction
        conn.execute("ROLLBACK")


def _refused_by_os(exc: BaseException) -> bool:
    return not os_reason(exc).startswith("Fehler des Betriebssystems")


def _drop_empty_wal(path: Path) -> None:
    """Remove an empty WAL that a failed commit left (it holds nothing; on a full disk it would
    otherwise stay). Called after the write connection closed, with the turnstile still held."""
    wal = Path(f"{path}.wal")
    try:
        if wal.stat().st_size == 0:
            wal.unlink()
    except OSError:
        pass
