"""Where a command may write a file, and how: the one output-path guard and the atomic writer.

Every command that writes a file (``import --markup``, every ``export``, ``summary --svg`` and
``--html``, ``texts export``, ``backup -o``) goes through here, whatever the role of the user.

Rules of the guard (``check_output`` for a file, ``check_folder`` for a folder):
- The path is made absolute and its symlinks are resolved; the checks apply to the link and to
  its target, and to a hard link of the register (same device and inode).
- Refused always: the register, its WAL (``<register>.wal``), its lock file
  (``.<register>.lock``), anything in its backups folder (``<register>.backups/``), the files
  being read (``others``: workbooks, or the registers a roll-up reads) with their WAL and lock
  file, a folder, a device or pipe, and an existing file that is not of the
  kind being written, judged by its content (an xlsx must be a zip with
  ``[Content_Types].xml`` and ``xl/workbook.xml``; SVG and HTML text with their root element;
  report texts with the ``<!-- sachstand-texte`` marker).
- An existing file of the right kind is overwritten only with ``force``.

Rules of the writer (``write_output``):
- The bytes go to a temporary file in the target's folder (hidden, ``.<name>-<random>.tmp``),
  are flushed to disk, and the file is renamed over the target in one step. A failure (disk
  full, no permission, read-only file system) leaves neither a half file nor the temporary one,
  and becomes one German ``WriteFailed`` line.
- Writers build the file in memory first (xlsxwriter and openpyxl write to a ``BytesIO``), so a
  full disk never interrupts a zip writer half-way.
- Several files that form one output (``write_outputs``: the templates of all departments) are
  all written under temporary names before any is renamed: a full disk leaves none of them, never
  half a set.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import SachstandError, WriteFailed

XLSX, SVG, HTML, TEXTS = "xlsx", "svg", "html", "texts"
KIND_NAMES = {XLSX: "Excel-Arbeitsmappe", SVG: "SVG-Datei", HTML: "HTML-Datei",
              TEXTS: "Datei mit Berichtstexten (aus „sachstand texts export“)"}
DOCX, PPTX, PDF = "docx", "pptx", "pdf"
KIND_NAMES.update({DOCX: "Word-Datei", PPTX: "PowerPoint-Datei", PDF: "PDF-Datei"})
_ZIP_PARTS = {XLSX: "xl/workbook.xml", DOCX: "word/document.xml", PPTX: "ppt/presentation.xml"}
_HEAD = 8192


class OutputRefused(SachstandError):
    """An output path the guard refuses; nothing was written."""


def _absolute(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def _register_places(register: Path) -> list[tuple[Path, str]]:
    """The register's own files, by the path given and by its resolved target."""
    places: list[tuple[Path, str]] = []
    for reg in {_absolute(register), _absolute(register).resolve()}:
        places += [
            (reg, "die Registerdatei selbst"),
            (Path(f"{reg}.wal"), "die WAL-Datei des Registers"),
            (reg.parent / f".{reg.name}.lock", "die Sperrdatei des Registers"),
        ]
    return places


def _backups_folders(register: Path) -> set[Path]:
    return {p.parent / f"{p.name}.backups" for p in (_absolute(register), _absolute(register).resolve())}


def register_files(register: Path) -> list[Path]:
    """The register's own files and its backups folder, by the path given and by its target: what
    no output may be, and no replaced folder may hold."""
    return [p for p, _ in _register_places(register)] + sorted(_backups_folders(register))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_register(shown: str, candidates: list[Path], register: Path | None, backups_allowed: bool) -> None:
    if register is None:
        return
    for place, what in _register_places(register):
        if any(c == place or _same_file(c, place) for c in candidates):
            raise OutputRefused(f"{shown} ist {what}; bitte ein anderes Ziel wählen. Nichts wurde geschrieben.")
    if not backups_allowed:
        for folder in _backups_folders(register):
            if any(c == folder or folder in c.parents for c in candidates):
                raise OutputRefused(
                    f"{shown} liegt im Sicherungsordner des Registers ({folder}); bitte ein anderes Ziel "
                    "wählen. Nichts wurde geschrieben."
                )


def is_kind(path: Path, kind: str) -> bool:
    """Whether the existing regular file ``path`` holds what ``kind`` names, by its content."""
    if kind in _ZIP_PARTS:
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return "[Content_Types].xml" in names and _ZIP_PARTS[kind] in names
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return False
    if kind == PDF:
        return head.startswith(b"%PDF-")
    if b"\x00" in head:
        return False
    low = head.lower()
    if kind == SVG:
        return b"<svg" in low
    if kind == HTML:
        return b"<html" in low or b"<!doctype html" in low
    if kind == TEXTS:
        return b"<!-- sachstand-texte" in low
    raise ValueError(kind)


def check_output(
    path: str | os.PathLike[str],
    kind: str,
    register: Path | None,
    force: bool = False,
    others: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """The resolved path to write ``kind`` to, or ``OutputRefused`` (see the module's rules)."""
    from .text import safe_text

    shown = safe_text(os.fspath(path))
    given = _absolute(path)
    target = given.resolve()
    candidates = [given, target]
    _refuse_register(shown, candidates, register, backups_allowed=False)
    for other in others:  # a file being read, and (a register among them) its WAL and lock file
        o = _absolute(other)
        if o in candidates or o.resolve() in candidates or _same_file(o, target):
            raise OutputRefused(f"{shown} ist eine der eingelesenen Dateien; bitte ein anderes Ziel wählen.")
        for place, what in _register_places(o):
            if place.name.endswith((".wal", ".lock")) and (place in candidates or _same_file(place, target)):
                raise OutputRefused(f"{shown} wäre {what} {safe_text(os.fspath(other))}; bitte ein anderes Ziel wählen.")
    if not target.parent.is_dir():
        raise OutputRefused(f"Den Ordner {safe_text(str(target.parent))} für {shown} gibt es nicht.")
    try:
        st = target.stat()
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise WriteFailed(f"{shown} lässt sich nicht prüfen", exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputRefused(f"{shown} ist ein Ordner; bitte eine Datei angeben.")
    if not stat.S_ISREG(st.st_mode):
        raise OutputRefused(
            f"{shown} ist keine gewöhnliche Datei (ein Gerät oder eine Pipe); bitte eine Datei angeben.")
    if not is_kind(target, kind):
        raise OutputRefused(
            f"{shown} gibt es schon und ist keine {KIND_NAMES[kind]}; sie wird nicht überschrieben. "
            "Bitte ein anderes Ziel wählen."
        )
    if not force:
        raise OutputRefused(f"{shown} gibt es schon; nichts wurde überschrieben. Überschreiben mit --force.")
    return target


def check_folder(path: str | os.PathLike[str], register: Path | None, backups_allowed: bool = False) -> Path:
    """The resolved folder to write into (it may not exist yet), or ``OutputRefused``."""
    from .text import safe_text

    shown = safe_text(os.fspath(path))
    given = _absolute(path)
    target = given.resolve()
    _refuse_register(shown, [given, target], register, backups_allowed)
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"{shown} ist kein Ordner; bitte einen Ordner angeben.")
    return target


def write_output(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically: all of it or nothing (see the module's rules)."""
    write_outputs([(target, data)])


def write_outputs(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write several files as one output (the templates of all departments): each goes to its
    temporary name first, and only when every one is written and flushed are they renamed into
    place. A failure leaves none of them new and no temporary file (``WriteFailed``)."""
    from .text import safe_text

    written: list[tuple[Path, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for current, data in files:
            tmp = current.parent / f".{current.name}-{secrets.token_hex(4)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            written.append((tmp, current))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
        for tmp, target in written:
            current = target
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _target in written:
            _discard(tmp)
        what = (f"{safe_text(str(current))} wurde nicht geschrieben" if len(files) == 1 else
                f"Keine der {len(files)} Dateien wurde geschrieben (gescheitert an {safe_text(str(current))})")
        raise WriteFailed(what, exc) from None
    except BaseException:
        for tmp, _target in written:
            _discard(tmp)
        raise
    for folder in {target.parent for _tmp, target in written}:
        try:
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
