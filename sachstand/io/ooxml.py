"""The package structure of an xlsx: its parts, relationships and sheets, in both OOXML families.

Rules:
- Both namespace families are known everywhere: transitional (``http://schemas.openxmlformats.org/…``)
  and Strict (``http://purl.oclc.org/ooxml/…``). Elements are matched by local name; the one
  namespaced attribute read here, the sheet's relationship id, is looked up in both families.
- Every XML parse of a part goes through ``parse_part``; every parser's error (``ParseError`` of
  the standard library, defusedxml's errors, expat's) becomes one ``WorkbookRefused`` line that
  names the part (``part_refused``).
- A report template (.docx/.pptx) passes ``check_template_parts`` before python-docx or
  python-pptx (lxml) opens it: every XML part parses (``parse_part``), and ``_rels/.rels`` and
  every internal relationship target exist; else one line names the part.
- Sheets are found as python-calamine finds them: each ``<sheet>`` of ``xl/workbook.xml`` through
  ``xl/_rels/workbook.xml.rels``. A relationship target must stay inside the package (relative to
  ``xl/``, or absolute from the package root); a target that leaves it, is external, is missing,
  or is shared by two sheets refuses the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .limits import CheckedFile, WorkbookRefused, read_member

REL_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
_SHEET_TYPES = ("/worksheet", "/chartsheet", "/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet")
XML_ERRORS = (ParseError, DefusedXmlException, xml.parsers.expat.ExpatError, ValueError, UnicodeError)


EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
_CELL = re.compile(r"([A-Za-z]{1,3})([1-9][0-9]{0,6})")


def cell_ref(text: str) -> tuple[int, int] | None:
    """``"B7"`` → (6, 1), 0-based; None for anything that is not a reference inside Excel's grid
    (calamine reads lower-case letters too)."""
    m = _CELL.fullmatch(text)
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    row = int(m.group(2))
    if row > EXCEL_ROWS or col > EXCEL_COLUMNS:
        return None
    return row - 1, col - 1


def column_letter(index: int) -> str:
    """0-based column index → "A", "B", …, "AA"."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def local(tag: str) -> str:
    """``{namespace}name`` or ``prefix:name`` → ``name``."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def part_refused(checked: CheckedFile, member: str, exc: BaseException | None = None,
                 consequence: str = "die Arbeitsmappe wird nicht gelesen") -> WorkbookRefused:
    """The one message for a part that is not well-formed XML (the parser's own text is English)."""
    where = ""
    position = getattr(exc, "position", None) or (getattr(exc, "lineno", None), getattr(exc, "offset", None))
    if isinstance(position, tuple) and len(position) == 2 and position[0]:
        where = f" (Zeile {position[0]}, Spalte {position[1]})"
    return WorkbookRefused(checked.name, f"der Teil „{member}“ ist kein gültiges XML{where}; {consequence}")


def parse_part(checked: CheckedFile, member: str,
               consequence: str = "die Arbeitsmappe wird nicht gelesen") -> Element:
    """A part as an element tree, through defusedxml; any parse error refuses the file."""
    try:
        return fromstring(read_member(checked, member))
    except XML_ERRORS as exc:
        raise part_refused(checked, member, exc, consequence) from None


def check_template_parts(path: Path, what: str) -> None:
    """Refuse an Office package (a report template, already through ``limits.check_package``)
    whose XML parts do not all parse or whose relationships point at missing parts: lxml's
    ``XMLSyntaxError`` and python-docx's ``KeyError`` would otherwise surface in English. A file
    that is no zip at all is left to the parser's own refusal."""
    import hashlib
    import zipfile

    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {i.filename: i.file_size for i in zf.infolist() if not i.is_dir()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    checked = CheckedFile(path, path.name, hashlib.sha256(data).hexdigest(), members, data)
    consequence = f"{what} wird nicht benutzt"
    if "_rels/.rels" not in members:
        raise WorkbookRefused(checked.name, f"der Teil „_rels/.rels“ fehlt; {consequence}")
    for member in members:
        if not member.lower().endswith((".xml", ".rels")):
            continue
        root = parse_part(checked, member, consequence)
        if not member.endswith(".rels"):
            continue
        folder = posixpath.dirname(posixpath.dirname(member))
        for rel in root:
            if local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            target = resolve_target(checked, rel.get("Target", ""), folder)
            if target is None or target not in members:
                raise WorkbookRefused(checked.name, f"der Teil „{target or rel.get('Target', '')}“ fehlt "
                                                    f"(verwiesen aus „{member}“); {consequence}")


def rel_id(el: Element) -> str:
    """The ``r:id`` of a ``<sheet>`` in either family ("" when there is none)."""
    for ns in REL_NAMESPACES:
        value = el.get(f"{{{ns}}}id")
        if value is not None:
            return value
    return ""


def resolve_target(checked: CheckedFile, target: str, base: str = "xl") -> str | None:
    """A relationship target as a member name, or None when it leaves the package."""
    if not target or "\\" in target or "://" in target or target.startswith("//"):
        return None
    path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(base, target))
    if path == ".." or path.startswith(("../", "/")):
        return None
    return path


@dataclass(frozen=True)
class Sheet:
    name: str
    member: str


_DECLARED = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^<>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


def other_encoding(checked: CheckedFile) -> tuple[str, str] | None:
    """The first XML part that declares an encoding other than UTF-8 and is not valid UTF-8, with
    that encoding: expat reads it, calamine does not (a Latin-1 sharedStrings part was only
    "beschädigt"). Asked only once calamine has failed."""
    for member in sorted(checked.members):
        if not member.endswith((".xml", ".rels")):
            continue
        data = read_member(checked, member)
        found = _DECLARED.match(data)
        if found and found.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return member, found.group(1).decode("ascii")
    return None


def sheets(checked: CheckedFile) -> list[Sheet]:
    """Every ``<sheet>`` of the workbook with its part, in workbook order. A sheet whose part is
    one the workbook uses otherwise (its shared strings, styles, the workbook itself) is refused:
    calamine would read that part twice, and the budget would check it only as a sheet (a
    2 KB file whose second sheet was the shared strings, claiming 2,000,000,000 of them, aborted
    the process)."""
    rels: dict[str, tuple[str, str]] = {}
    others = {SHARED_STRINGS, STYLES, WORKBOOK, WORKBOOK_RELS, "[Content_Types].xml"}
    if WORKBOOK_RELS in checked.members:
        for rel in parse_part(checked, WORKBOOK_RELS):
            if local(rel.tag) == "Relationship":
                rels[rel.get("Id", "")] = (rel.get("Target", ""), rel.get("TargetMode", ""))
                if not rel.get("Type", "").endswith(_SHEET_TYPES) and rel.get("TargetMode", "") != "External":
                    others.add(resolve_target(checked, rel.get("Target", "")) or "")
    out: list[Sheet] = []
    seen: dict[str, str] = {}
    for el in parse_part(checked, WORKBOOK).iter():
        if local(el.tag) != "sheet":
            continue
        name = el.get("name", "")
        target, mode = rels.get(rel_id(el), ("", ""))
        member = None if mode == "External" else resolve_target(checked, target)
        if member is None or member not in checked.members:
            raise WorkbookRefused(checked.name, f"das Blatt „{name}“ verweist auf keinen Teil der Arbeitsmappe "
                                                f"(„{target}“); die Arbeitsmappe wird nicht gelesen")
        if member in others:
            raise WorkbookRefused(checked.name, f"das Blatt „{name}“ verweist auf „{member}“, kein Tabellenblatt; "
                                                "die Arbeitsmappe wird nicht gelesen")
        if member in seen:
            raise WorkbookRefused(checked.name, f"die Blätter „{seen[member]}“ und „{name}“ verweisen auf denselben "
                                                f"Teil „{member}“; die Arbeitsmappe wird nicht gelesen")
        seen[member] = name
        out.append(Sheet(name, member))
    return out
