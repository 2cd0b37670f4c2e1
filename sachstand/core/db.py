"""Opening the register file: one short connection per unit of work, with retries on a lock.

Rules:
- DuckDB lets one process at a time hold a file read-write, and a read-only opener fails while a
  writer holds it. So no connection is long-lived: each read or write opens, works and closes.
- While another process holds the file, opening is retried with growing pauses for
  ``lock_timeout`` seconds (env ``SACHSTAND_LOCK_TIMEOUT``, default 15), then ``RegisterLocked``.
- A write is one transaction, followed by a CHECKPOINT so the WAL stays short.
- Inside one process, connections are serialised by a lock, because DuckDB refuses a second
  connection to the same file with other settings.
- External file access from SQL is switched off on every connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .errors import NotARegister, RegisterDamaged, RegisterMissing, SachstandError, SchemaTooNew
from .files import backup_dir_for
from .locking import Busy, lock_for, retry, turnstile
from .schema import LATEST, migrate, schema_version
from .wal import preserve_leftover_wal

__all__ = ["Database", "backup_dir_for", "connect_file", "default_lock_timeout"]


def default_lock_timeout() -> float:
    try:
        return float(os.environ.get("SACHSTAND_LOCK_TIMEOUT", "15"))
    except ValueError:
        return 15.0


def connect_file(path: str | os.PathLike[str], read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection to ``path`` with external file access switched off.

    No locks, no retries, no schema check: for ``Database`` itself and for files that are not
    the live register (backups, copies being restored).
    """
    return duckdb.connect(str(path), read_only=read_only, config={"enable_external_access": False})


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
        with lock_for(self.path):
            if not self.path.exists():
                raise RegisterMissing(str(self.path))
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

    def invalidate_schema_check(self) -> None:
        """Check the schema again on the next open (the file was replaced, e.g. by a restore)."""
        self._checked = False

    def _connect(self, read_only: bool, create: bool = False) -> duckdb.DuckDBPyConnection:
        return retry(lambda: self._try_connect(read_only, create), self.path, self.lock_timeout)

    def _try_connect(self, read_only: bool, create: bool) -> duckdb.DuckDBPyConnection:
        try:
            return connect_file(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "Could not set lock" in text or "Conflicting lock" in text:
                raise Busy from None
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
        with lock_for(self.path):
            conn = self._connect(read_only=False, create=True)
            try:
                migrate(conn)
                conn.execute("CHECKPOINT")
            finally:
                conn.close()
        self._checked = True


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
