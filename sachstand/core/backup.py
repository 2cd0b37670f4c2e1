"""Backups of the register file: consistent copies, rotation, restore, and keeping a crash's WAL.

Rules:
- A backup is a byte copy of the checkpointed register taken while holding the same POSIX lock
  DuckDB takes (shared): no writer can be mid-write while it is copied. A WAL left by a crashed
  writer is copied too and folded into the copy, so a backup is always one self-contained file.
- Every backup is checked (it must open as a register and all its tables must read) before it is
  kept; it is written under a temporary name first, so a half-written copy never looks like one.
- Backups live in ``<register>.backups/`` unless another folder is named, as
  ``<stem>-<UTC time>-<kind>.duckdb``. Rotation removes the oldest backups of one kind only, so
  the automatic backups before an import never push out a manual one.
- Restore checks the backup first, keeps a copy of the current file (and moves its WAL beside
  that copy, never deleting it), and swaps the file in with one atomic rename.
- Copies are taken under ``locking.file_lock``; a crash's WAL is kept by ``wal.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import audit
from .access import Actor, current_user
from .db import Database, connect_file, one_row
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
from .files import (
    backup_dir_for,
    copy_fd,
    copy_path,
    fsync_dir,
    register_stem,
    wal_path,
)
from .identity import check_utf8, refuse_foreign
from .locking import file_lock
from .output import check_folder
from .repository import Repository
from .schema import LATEST, schema_version
from .types import is_digits

DEFAULT_KEEP = 10
AUTO_IMPORT = "auto-import"
MANUAL = "manual"
BEFORE_RESTORE = "before-restore"


@dataclass(frozen=True)
class BackupInfo:
    """What a checked backup holds, for the restore prompt and the command's report."""

    path: Path
    schema_version: int
    projects: int
    audit_rows: int
    last_change: datetime | None

    def describe(self) -> str:
        when = self.last_change.strftime("%d.%m.%Y %H:%M") if self.last_change else "keine Änderungen"
        return f"{self.projects} Projekte, {self.audit_rows} Protokolleinträge, letzte Änderung {when}"


def backup_name(register: Path, kind: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{register_stem(register)}-{now.strftime('%Y%m%d-%H%M%S-%f')}-{kind}.duckdb"


def list_backups(register: Path, directory: Path | None = None, kind: str | None = None) -> list[Path]:
    """Backups of ``register`` in ``directory`` (default its backups folder), oldest first."""
    directory = directory or backup_dir_for(register)
    kinds = re.escape(kind) if kind else r"[a-z-]+"
    pattern = re.compile(rf"{re.escape(register_stem(register))}-[0-9]{{8}}-[0-9]{{6}}-[0-9]{{6}}-{kinds}\.duckdb")
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if pattern.fullmatch(p.name))


def rotate(register: Path, keep: int, directory: Path | None = None, kind: str = AUTO_IMPORT) -> list[Path]:
    """Remove the oldest backups of ``kind`` so that ``keep`` remain; returns the removed ones."""
    if keep < 1:
        raise SachstandError("Es muss mindestens eine Sicherung behalten werden (--keep 1 oder mehr).")
    old = list_backups(register, directory, kind)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def verify(path: Path, threads: int | None = None) -> BackupInfo:
    """Check that ``path`` is a readable register this program can use; raises ``SachstandError``.

    A foreign file is "kein sachstand-Register", a newer register "neuer als dieses Programm",
    and only a DuckDB file that fails to read is "beschädigt". Reads every row of every table,
    so DuckDB checks the checksum of each block on the way (hashed in SQL rather than fetched:
    0.05 s instead of 0.9 s at 100,000 projects). ``threads``: DuckDB's worker threads for the
    check (``connect_file``).
    """
    check_utf8(path, "Der Pfad der Sicherung")
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise SachstandError(f"Die Sicherung {path} gibt es nicht.")
    refuse_foreign(path)
    try:
        conn = connect_file(path, read_only=True, threads=threads)
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from None
    try:
        version = schema_version(conn)
        if version is None:
            raise NotARegister(str(path), "die Datenbank enthält kein sachstand-Register")
        if version > LATEST:
            raise SchemaTooNew(str(path), version, LATEST)
        tables = [t for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()]
        # hashing whole rows reads every block, so DuckDB checks each checksum; one statement for
        # all tables and the counts: a backup beside other Python work waits for the interpreter
        # lock after each statement (ten statements took 0.18 s beside an import's output, not 0.03 s)
        hashes = "".join(f', (SELECT sum(hash(t)) FROM "{table.replace(chr(34), chr(34) * 2)}" t)' for table in tables)
        projects, audit_rows, last = one_row(conn.execute(
            f"SELECT (SELECT count(*) FROM projects), count(*), max(changed_at){hashes} FROM audit"))[:3]
    except duckdb.Error as exc:
        raise _unreadable(path, exc) from None
    finally:
        conn.close()
    return BackupInfo(path, version, projects, audit_rows, last)


def _unreadable(path: Path, exc: BaseException) -> SachstandError:
    """A DuckDB file that fails to open or read: refused by the OS, or damaged."""
    if not os_reason(exc).startswith("Fehler des Betriebssystems"):
        error = SachstandError(f"Die Sicherung {path} lässt sich nicht lesen ({os_reason(exc)}).")
    else:
        error = SachstandError(f"Die Sicherung {path} ist beschädigt ({first_line(exc)}).")
    error.detail = str(exc)
    return error


def check_target(register: Path) -> None:
    """What a restore would replace must be a register of this program, or damaged, or missing:
    a foreign file or a newer register is refused before anything is created. Opened only when
    it is a readable DuckDB file (a damaged one is never opened)."""
    refuse_foreign(register)
    if not register.is_file():
        return
    try:
        conn = connect_file(register, read_only=True)
    except duckdb.Error:
        return  # damaged (or locked by a writer): the restore replaces it under the lock
    try:
        version = schema_version(conn)
    except duckdb.Error:
        return
    finally:
        conn.close()
    if version is None:
        raise NotARegister(str(register), "die Datenbank enthält kein sachstand-Register")
    if version > LATEST:
        raise SchemaTooNew(str(register), version, LATEST)


def backup(db: Database, directory: Path | None = None, kind: str = MANUAL, opened: bool = False) -> BackupInfo:
    """Copy the register into ``directory`` (default ``<register>.backups/``); returns the checked copy.

    The register is checked first (a foreign, newer or damaged file is refused before anything
    is created), unless ``opened``: this ``db`` has just opened and read it (an import's backup,
    after its plan), so two more connections would only say so again; the copy is checked either
    way (``verify``)."""
    if not db.path.exists():
        raise RegisterMissing(str(db.path))
    if not opened:
        check_target(db.path)  # a foreign or newer file is refused before anything is created
        with db.read():  # and a damaged one here
            pass
    directory = backup_dir_for(db.path) if directory is None else check_folder(directory, db.path, backups_allowed=True)
    check_utf8(directory, "Der Sicherungsordner")  # DuckDB must open the copy there to check it
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(f"Der Ordner {directory} für Sicherungen lässt sich nicht anlegen", exc) from None
    try:
        return _backup_into(db, directory, kind)
    except BaseException:
        if created:  # a failed backup leaves no empty folder it made either
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


def _backup_into(db: Database, directory: Path, kind: str) -> BackupInfo:
    _remove_stale_tmp(directory, db.path)
    target = directory / backup_name(db.path, kind)
    tmp = directory / f".{target.name}.tmp"
    try:
        with file_lock(db.path, db.lock_timeout, exclusive=False) as fd:
            if fd is None:
                raise RegisterMissing(str(db.path))
            copy_fd(fd, tmp)
            if wal_path(db.path).exists():
                copy_path(wal_path(db.path), wal_path(tmp))
        try:
            if wal_path(tmp).exists():
                _fold_wal(tmp)
            # one thread: an import's backup is checked beside its output (0.13 s alone, 0.2 s
            # beside a check on both cores, 0.14 s beside one on one core)
            info = verify(tmp, threads=1)
        except WriteFailed:
            raise
        except SachstandError as exc:
            detail = exc.detail.splitlines()[0] if exc.detail else exc.message
            raise RegisterDamaged(str(db.path), detail, str(backup_dir_for(db.path))) from None
        os.replace(tmp, target)
        fsync_dir(directory)
    except OSError as exc:
        raise WriteFailed(f"Die Sicherung nach {directory} ist fehlgeschlagen", exc) from None
    finally:
        _discard(tmp)
        _discard(wal_path(tmp))
    return BackupInfo(target, info.schema_version, info.projects, info.audit_rows, info.last_change)


def _remove_stale_tmp(directory: Path, register: Path, age: float = 3600) -> None:
    """Remove half-written copies a killed backup left (older than ``age`` seconds, so a backup
    running in another process right now keeps its file)."""
    now = time.time()
    for path in directory.glob(f".{register_stem(register)}-*.tmp*"):
        try:
            if now - path.stat().st_mtime > age:
                path.unlink()
        except FileNotFoundError:
            continue


def _fold_wal(path: Path) -> None:
    """Replay a copied WAL into the copied file, so the backup is a single file."""
    try:
        conn = connect_file(path)
        conn.execute("CHECKPOINT")
        conn.close()
    except duckdb.Error as exc:
        if not os_reason(exc).startswith("Fehler des Betriebssystems"):
            raise WriteFailed("Die Sicherung ist fehlgeschlagen", exc) from None
        error = SachstandError(f"WAL: {first_line(exc)}")
        error.detail = str(exc)
        raise error from None


def default_keep() -> int:
    """How many automatic backups to keep: ``$SACHSTAND_BACKUP_KEEP``, else 10."""
    text = os.environ.get("SACHSTAND_BACKUP_KEEP", "")
    return int(text) if is_digits(text) and int(text) >= 1 else DEFAULT_KEEP


def backup_before_import(target: Repository | Database, keep: int | None = None) -> BackupInfo:
    """The automatic backup before ``import --apply``, then rotation to the last ``keep`` of them.

    ``target`` is a ``Repository`` or a ``Database``; ``keep`` defaults to ``default_keep()``.
    A ``Database`` that has checked the register's schema already (the import opened and read
    it) is not checked again before the copy (``backup``'s ``opened``): the backup runs beside
    the import's output, and each DuckDB open holds Python's interpreter lock for part of its
    time (the output took 0.13 s alone and 0.23 s beside the three opens).
    """
    keep = default_keep() if keep is None else keep
    db = target if isinstance(target, Database) else target.db
    info = backup(db, kind=AUTO_IMPORT, opened=db.schema_checked)
    rotate(db.path, keep, kind=AUTO_IMPORT)
    return info


def restore(db: Database, source: Path, actor: Actor | None = None) -> tuple[BackupInfo, Path | None]:
    """Replace the register by the backup ``source``; returns the backup's info and the kept copy.

    The whole restore runs under the register's write lock (``file_lock``, exclusive): the check
    of the backup, the copy of the current file, the temporary copy of the backup, the fencing
    and the rename. So two restores run one after the other, and the audit row names the backup
    whose data the register then holds. The register's path is resolved once: a symlink stays a
    link, and the file behind it is replaced.

    The current file (if any) is copied to the backups folder first (under a temporary name, so a
    failed copy is never a half backup), its WAL copied beside that copy, and moved there just
    before the rename (``_swap_in``), because a WAL left next to the restored file would be
    replayed onto it. A failure (a full disk while the copy is fenced) leaves the register and
    its WAL as they were, and no temporary file.
    Before the swap, every restored project gets a version above the one it had in the current
    file, so a window still open on the old state cannot save over the restored one unnoticed
    (its version meets a conflict), and the audit log records the restore.
    """
    register = Path(os.path.realpath(db.path))
    source = Path(source).expanduser().absolute()
    if source == register or (source.exists() and register.exists() and os.path.samefile(source, register)):
        raise SachstandError("Die Sicherung ist die Registerdatei selbst.")
    check_target(register)
    info = verify(source)
    directory = backup_dir_for(register)
    kept: Path | None = None
    incoming = register.parent / f".{register.name}.restore-{secrets.token_hex(4)}.tmp"
    kept_tmp = incoming  # replaced by the kept copy's temporary name once there is one
    try:
        with file_lock(register, db.lock_timeout, exclusive=True) as fd:
            info = verify(source)  # what is swapped in is what was checked, under the lock
            directory.mkdir(parents=True, exist_ok=True)
            copy_path(source, incoming)
            if fd is not None:  # the kept copy under a temporary name first: never a half backup
                name = backup_name(register, BEFORE_RESTORE)
                kept_tmp = directory / f".{name}.tmp"
                copy_fd(fd, kept_tmp)
                if wal_path(register).exists():  # a copy, so the fencing reads what the WAL holds
                    copy_path(wal_path(register), wal_path(kept_tmp))
                    os.replace(wal_path(kept_tmp), wal_path(directory / name))
                kept = directory / name
                os.replace(kept_tmp, kept)
            _fence_versions(incoming, kept, actor, source.name)
            _swap_in(incoming, register, kept)
            fsync_dir(register.parent)
    except OSError as exc:
        raise WriteFailed("Wiederherstellen fehlgeschlagen; das Register ist unverändert", exc) from None
    except duckdb.Error as exc:  # the fencing of the copy: a full disk, or a backup that cannot take it
        if not os_reason(exc).startswith("Fehler des Betriebssystems"):
            raise WriteFailed("Wiederherstellen fehlgeschlagen; das Register ist unverändert", exc) from None
        error = SachstandError(f"Die Sicherung lässt sich nicht übernehmen ({first_line(exc)}); "
                               "das Register ist unverändert.")
        error.detail = str(exc)
        raise error from None
    finally:
        for leftover in (incoming, wal_path(incoming), kept_tmp, wal_path(kept_tmp)):
            _discard(leftover)
    db.invalidate_schema_check()
    return info, kept


def _swap_in(incoming: Path, register: Path, kept: Path | None) -> None:
    """Rename ``incoming`` over ``register``. The register's WAL is moved beside ``kept`` just
    before (left beside the restored file, it would be replayed onto it), and put back when the
    rename fails, so a failed restore never loses what the WAL holds."""
    wal = wal_path(register)
    moved = kept is not None and wal.exists()
    if moved and kept is not None:
        os.replace(wal, wal_path(kept))
    try:
        os.replace(incoming, register)
    except BaseException:
        if moved and kept is not None:
            with contextlib.suppress(OSError):
                os.link(wal_path(kept), wal)
        raise


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _fence_versions(incoming: Path, kept: Path | None, actor: Actor | None, source_name: str) -> None:
    """Raise each restored project's version above its version in the replaced file (``kept``),
    raise the ID counters to the replaced file's (an ID handed out after the backup is never
    handed out again), and write one audit row for the restore. A replaced file that cannot be
    read adds 1 to each version."""
    before: dict[str, int] = {}
    counters: dict[str, int] = {}
    if kept is not None:
        try:
            conn = connect_file(kept, read_only=True)
            try:
                before, counters = audit.fence_of(conn)
            finally:
                conn.close()
        except duckdb.Error:
            before, counters = {}, {}
    try:
        conn = connect_file(incoming)
    except duckdb.Error as exc:
        raise SachstandError(f"Die Sicherung lässt sich nicht übernehmen: {first_line(exc)}") from None
    try:
        conn.execute("BEGIN TRANSACTION")
        audit.fence_versions(conn, before, counters, actor.user if actor else current_user(), source_name)
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
