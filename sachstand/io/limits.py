"""Checks on a workbook file before any parser sees it: format, encryption, size and zip bombs.

Rules:
- A workbook is read only when it is a real xlsx: a zip with ``[Content_Types].xml`` and
  ``xl/workbook.xml``. Anything else (xls, csv, ods, docx, pdf, an encrypted OLE container, a
  truncated or empty file) is refused by its content, never by its name.
- Zip bombs are caught from the zip directory alone: the file size, the number of members, the
  total uncompressed size and each large member's compression ratio are checked before
  decompressing a byte. Members are read later through ``read_member``, which stops at the
  declared size, so a forged directory cannot smuggle more data in.
- What a parser would allocate (the used range of each sheet, shared-string copies, claimed
  counts, elements and nesting) is checked next, by ``budget.check_budget``, before any parser
  builds a grid.
- ``MAX_UNCOMPRESSED`` admits what sachstand itself writes at the ``MAX_ROWS`` limit, and is
  set from the budget behind it: what a parser allocates is bounded by ``xmlscan.MAX_ELEMENTS``,
  ``MAX_TEXT`` and the grid limits, not by bytes; ``MAX_ELEMENTS`` alone takes 120 to 180 MB
  of markup (20 to 30 bytes an element), so 200 MB keeps the byte limit near the budget's. The
  register export of 100,000 projects with ten years of progress unpacks to 104 MB
  (5.0 million elements, 21.6 million characters), so 64 MB refused our own file. The bytes only
  cost the time of ``_check_xml`` and the budget scan, which stream them.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ..core.errors import SachstandError
from ..core.files import MISSING, InputRefused, read_input
from ..core.types import format_number

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
MAX_ROWS = 100_000
UNPACK_FROM = 64 * 1024
UNPACK_BYTES = 64 * 1024 * 1024
HEADER_SEARCH_ROWS = 30

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class WorkbookRefused(SachstandError):
    """A file that is not read at all; the message names the file and the reason (exit 2)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    name: str
    sha256: str
    members: dict[str, int]
    data: bytes
    #: large parts unpacked by the check, handed once to ``read_member`` (``check_workbook(unpack=True)``)
    unpacked: dict[str, bytearray] = field(default_factory=dict, compare=False, repr=False)

    def zip(self) -> zipfile.ZipFile:
        """The workbook as a zip, from the very bytes that were checked and hashed."""
        return zipfile.ZipFile(io.BytesIO(self.data))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB".replace(".", ",")


def check_workbook(path: str | Path, unpack: bool = False) -> CheckedFile:
    """Refuse what must not be parsed; returns the file's SHA-256 and its zip members' sizes.

    With ``unpack``, the XML parts of at least ``UNPACK_FROM`` bytes (up to ``UNPACK_BYTES`` in
    all) are kept as the check unpacked them, for the next ``read_member`` of each (the budget's
    scan), which then does not unpack them again; the caller drops what it did not take
    (``CheckedFile.unpacked.clear()``)."""
    path = Path(path)
    name = path.name
    try:
        data = read_input(path, MAX_FILE_BYTES)
    except InputRefused as exc:
        if exc.size is not None:
            raise WorkbookRefused(name, f"die Datei ist größer als {_mb(MAX_FILE_BYTES)} und wird nicht gelesen") from None
        raise WorkbookRefused(name, "Datei nicht gefunden" if exc.reason == MISSING else exc.reason) from None
    if not data:
        raise WorkbookRefused(name, "die Datei ist leer (0 Byte)")
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            raise WorkbookRefused(
                name, "die Arbeitsmappe ist mit einem Kennwort geschützt; bitte ohne Kennwort speichern"
            )
        raise WorkbookRefused(name, "das ist eine alte Excel-Datei (.xls); bitte als .xlsx speichern")
    if data.startswith(b"%PDF"):
        raise WorkbookRefused(name, "das ist eine PDF-Datei, keine Excel-Arbeitsmappe (.xlsx)")
    if not data.startswith(b"PK"):
        kind = "eine Textdatei (z. B. CSV)" if _looks_like_text(data) else "keine Excel-Arbeitsmappe"
        raise WorkbookRefused(name, f"das ist {kind}; erwartet wird eine Excel-Arbeitsmappe (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WorkbookRefused(name, "die Datei ist beschädigt oder unvollständig (kein lesbares ZIP)") from None
    members = {i.filename: i.file_size for i in infos}
    if "mimetype" in members and "content.xml" in members:
        raise WorkbookRefused(name, "das ist eine OpenDocument-Datei (.ods); bitte als .xlsx speichern")
    if "word/document.xml" in members:
        raise WorkbookRefused(name, "das ist ein Word-Dokument, keine Excel-Arbeitsmappe (.xlsx)")
    if "[Content_Types].xml" not in members or "xl/workbook.xml" not in members:
        raise WorkbookRefused(name, "das ist keine Excel-Arbeitsmappe (.xlsx)")
    if len(infos) > MAX_MEMBERS:
        raise WorkbookRefused(name, f"die Arbeitsmappe hat zu viele Bestandteile ({format_number(len(infos))})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise WorkbookRefused(
            name,
            f"entpackt wäre die Arbeitsmappe {_mb(total)} groß (erlaubt: {_mb(MAX_UNCOMPRESSED)}); "
            "sie wird nicht gelesen",
        )
    for i in infos:
        if i.file_size > RATIO_FROM_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise WorkbookRefused(
                name,
                f"verdächtig stark komprimiert ({i.filename}: "
                f"{format_number(i.file_size // max(i.compress_size, 1))}:1); "
                "die Arbeitsmappe wird nicht gelesen",
            )
    unpacked = _check_xml(data, name, infos, unpack)
    return CheckedFile(path, name, sha, members, data, unpacked)


def _check_xml(data: bytes, name: str, infos: list[zipfile.ZipInfo], unpack: bool = False) -> dict[str, bytearray]:
    """Decompress each member in chunks: no more bytes than declared, and no DTD anywhere.

    A DTD is what billion-laughs and XXE attacks need; no spreadsheet program writes one into an
    xlsx. Refusing it here protects every parser behind (calamine as well as openpyxl).

    With ``unpack``, large XML parts are unpacked into one buffer of the declared size each (as
    ``read_member`` does) and returned by name.
    """
    kept: dict[str, bytearray] = {}
    room = UNPACK_BYTES if unpack else 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in infos:
                if info.is_dir():
                    continue
                if UNPACK_FROM <= info.file_size <= room and info.filename.lower().endswith(".xml"):
                    kept[info.filename] = _unpacked(zf, info, name)
                    room -= info.file_size
                    continue
                seen, tail = 0, b""
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        seen += len(chunk)
                        if seen > info.file_size:
                            raise _sizes_wrong(name)
                        # "!" is rare: one fast search decides whether the pattern has to look
                        if (b"!" in tail or b"!" in chunk) and _DTD.search(tail + chunk):
                            raise _dtd_refused(name)
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise WorkbookRefused(name, "die Datei ist beschädigt oder unvollständig (kein lesbares ZIP)") from None
    return kept


def _unpacked(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytearray:
    """One member whole, checked as ``_check_xml`` checks it: never more than declared, no DTD."""
    buf = bytearray(info.file_size)
    size = 0
    with zf.open(info) as fh, memoryview(buf) as view:
        reader = cast(io.BufferedIOBase, fh)  # a ZipExtFile
        while size < info.file_size and (n := reader.readinto(view[size:size + _CHUNK])):
            start = max(size - 16, 0)
            size += n
            if buf.find(b"!", start, size) >= 0 and _DTD.search(buf, start, size):
                raise _dtd_refused(name)
        if fh.read(1):
            raise _sizes_wrong(name)
    del buf[size:]
    return buf


def _sizes_wrong(name: str) -> WorkbookRefused:
    return WorkbookRefused(name, "die Arbeitsmappe ist beschädigt (Größenangaben stimmen nicht)")


def _dtd_refused(name: str) -> WorkbookRefused:
    return WorkbookRefused(name, "die Arbeitsmappe enthält eine XML-Dokumenttypdefinition (DTD); "
                                 "solche Dateien werden aus Sicherheitsgründen nicht gelesen")


def read_member(checked: CheckedFile, member: str) -> bytes:
    """A zip member's bytes, never more than its declared (already checked) size.

    Read into one buffer of the declared size (a ``bytearray``): reading a 60 MB sheet part in one
    ``read`` would hold it twice while the pieces are joined. A part the check kept unpacked is
    handed out (once) instead."""
    kept = checked.unpacked.pop(member, None)
    if kept is not None:
        return cast(bytes, kept)
    limit = checked.members[member]
    buf = bytearray(limit)
    size = 0
    try:
        with checked.zip() as zf, zf.open(member) as fh, memoryview(buf) as view:
            reader = cast(io.BufferedIOBase, fh)  # a ZipExtFile
            while size < limit and (n := reader.readinto(view[size:size + _CHUNK])):
                size += n
            extra = fh.read(1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WorkbookRefused(checked.name, "die Datei ist beschädigt oder unvollständig") from None
    if extra:
        raise WorkbookRefused(checked.name, "die Arbeitsmappe ist beschädigt (Größenangaben stimmen nicht)")
    del buf[size:]
    # the callers search and parse it, which a bytearray does as bytes do
    return cast(bytes, buf)


def member_chunks(checked: CheckedFile, member: str) -> Iterator[bytes]:
    """A zip member's bytes in pieces of about 1 MB, never more than its declared size."""
    limit = checked.members[member]
    seen = 0
    try:
        with checked.zip() as zf, zf.open(member) as fh:
            while chunk := fh.read(_CHUNK):
                seen += len(chunk)
                if seen > limit:
                    raise WorkbookRefused(checked.name, "die Arbeitsmappe ist beschädigt (Größenangaben stimmen nicht)")
                yield chunk
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WorkbookRefused(checked.name, "die Datei ist beschädigt oder unvollständig") from None


_CHUNK = 1 << 20


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def check_package(path: Path, what: str) -> None:
    """An Office file from outside (a report template): the zip-bomb rules above, before a parser
    opens it (file size, member count, unpacked size, compression ratio); ``what`` names it."""
    name = path.name
    if path.stat().st_size > MAX_FILE_BYTES:
        raise WorkbookRefused(name, f"{what} ist größer als {_mb(MAX_FILE_BYTES)} und wird nicht gelesen")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: the parser's own refusal names it
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_MEMBERS or total > MAX_UNCOMPRESSED or any(
            i.file_size > RATIO_FROM_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos):
        raise WorkbookRefused(
            name, f"entpackt wäre {what} {_mb(total)} groß oder verdächtig stark komprimiert "
                  f"(erlaubt: {_mb(MAX_UNCOMPRESSED)}); sie wird nicht gelesen")
