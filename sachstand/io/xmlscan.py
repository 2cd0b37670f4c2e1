"""The scan every XML part of a workbook goes through before any parser sees it (``budget``).

Rules:
- no run of more than ``MAX_SEGMENT`` bytes between two ``<`` (one tag with all its attributes,
  names and values, or one text node), refused from the bytes before expat sees them; no part in
  UTF-16 or UTF-32 (no spreadsheet program writes one, and the byte scan would not see its tags);
- more than ``MAX_ATTRIBUTES`` attributes (namespace declarations included) on one element, and
  more than ``MAX_NAMES`` distinct element and attribute names in a part (expat keeps each name
  for the whole part) are refused, and so is any DTD;
- ``MAX_ELEMENTS`` elements in all parts together, ``MAX_DEPTH`` nesting levels in any part, and
  ``MAX_TREE_ELEMENTS`` in a part that is later parsed as a tree (workbook, relationships, styles);
- a part that is read whole (a sheet) is first checked without a Python call per element; only a
  part that is not certainly within the limits gets the exact, element by element check, which
  names the first problem.
"""

from __future__ import annotations

import operator
import re
import xml.parsers.expat
from dataclasses import dataclass, field

from ..core.types import format_number
from . import ooxml
from .limits import CheckedFile, WorkbookRefused, member_chunks, read_member

MAX_ELEMENTS = 6_000_000
MAX_TREE_ELEMENTS = 200_000
MAX_DEPTH = 100
MAX_SEGMENT = 1 << 20
MAX_ATTRIBUTES = 256
MAX_NAMES = 10_000
CHUNK = 1 << 20
KEEP_BYTES = 64 << 20


class Refused(Exception):
    """Raised inside an expat handler; carries the German reason."""


class Segments:
    """The byte scan in front of expat: no run of more than ``MAX_SEGMENT`` bytes without a ``<``
    (``<`` cannot occur inside a tag or escaped text, so this bounds every tag, attribute list,
    name, value and text node a parser would build in one piece), and no UTF-16/32 part."""

    def __init__(self, member: str) -> None:
        self.member = member
        self.tail = b""
        self.first = True

    def feed(self, chunk: bytes) -> None:
        if self.first and chunk:
            self.first = False
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:4]:
                raise Refused(f"der Teil „{self.member}“ ist nicht in UTF-8 gespeichert (UTF-16 oder UTF-32); "
                              "die Arbeitsmappe wird nicht gelesen")
        data = self.tail + chunk
        if every_block_has_a_tag(data):  # then no run inside is longer than MAX_SEGMENT
            self.tail = data[data.rfind(b"<") + 1:]
            return
        pieces = data.split(b"<")
        self.tail = pieces.pop()
        if len(self.tail) > MAX_SEGMENT or max(map(len, pieces), default=0) > MAX_SEGMENT:
            raise Refused(f"der Teil „{self.member}“ enthält ein XML-Element oder einen Text von mehr als "
                          f"{format_number(MAX_SEGMENT)} Byte am Stück; die Arbeitsmappe wird nicht gelesen")

    def scan(self, data: bytes) -> None:
        for start in range(0, len(data), CHUNK):
            self.feed(data[start:start + CHUNK])


def every_block_has_a_tag(data: bytes) -> bool:
    """True when each aligned block of ``MAX_SEGMENT // 2`` bytes holds a ``<``: a run without one
    of more than ``MAX_SEGMENT`` bytes would cover a whole block (a few searches, not a split)."""
    block = MAX_SEGMENT // 2
    return all(data.find(b"<", start, start + block) >= 0 for start in range(0, len(data) - block + 1, block))


@dataclass
class Budget:
    """What the scan found: grid size per sheet part (rows, columns), the totals, the elements of
    each sheet part counted from its bytes, and which sheet parts the reader need not scan again."""

    grids: dict[str, tuple[int, int]] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    #: sheet parts whose sheetData region (start, end) matched ``plainparts``' grammar
    plain: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: sheet parts with nothing for ``sheetxml.scan`` to find (``sheetxml.needs_scan``)
    clean: set[str] = field(default_factory=set)
    elements: int = 0
    text_chars: int = 0


class Part:
    """One part streamed through expat: elements, depth, no DTD; subclasses look at content."""

    def __init__(self, checked: CheckedFile, member: str, budget: Budget, tree: bool = False) -> None:
        self.checked, self.member, self.budget, self.tree = checked, member, budget, tree
        self.depth = 0
        self.elements = 0
        self.root = ""
        self.parser = xml.parsers.expat.ParserCreate(intern=None)
        self.names: set[str] = set()
        self.segments = Segments(member)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype

    def _doctype(self, *_args: object) -> None:
        raise Refused("die Arbeitsmappe enthält eine XML-Dokumenttypdefinition (DTD); "
                      "solche Dateien werden aus Sicherheitsgründen nicht gelesen")

    def count(self, name: str, attrs: dict[str, str]) -> None:
        self.names_of(name, attrs)
        self.elements += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused(f"der Teil „{self.member}“ ist tiefer als {MAX_DEPTH} Ebenen verschachtelt; "
                          "die Arbeitsmappe wird nicht gelesen")
        if self.budget.elements + self.elements > MAX_ELEMENTS:
            raise Refused(f"die Arbeitsmappe hat mehr als {format_number(MAX_ELEMENTS)} XML-Elemente; sie wird nicht gelesen")
        if self.tree and self.elements > MAX_TREE_ELEMENTS:
            raise Refused(f"der Teil „{self.member}“ hat mehr als {format_number(MAX_TREE_ELEMENTS)} XML-Elemente; "
                          "die Arbeitsmappe wird nicht gelesen")

    def names_of(self, name: str, attrs: dict[str, str]) -> None:
        """At most ``MAX_ATTRIBUTES`` attributes here, ``MAX_NAMES`` distinct names in the part."""
        if len(attrs) > MAX_ATTRIBUTES:
            raise Refused(f"ein Element im Teil „{self.member}“ hat {format_number(len(attrs))} Attribute; erlaubt sind "
                          f"höchstens {format_number(MAX_ATTRIBUTES)}; die Arbeitsmappe wird nicht gelesen")
        names = self.names
        if name not in names or not names.issuperset(attrs):
            names.add(name)
            names.update(attrs)
            if len(names) > MAX_NAMES:
                raise Refused(f"der Teil „{self.member}“ verwendet mehr als {format_number(MAX_NAMES)} verschiedene "
                              "Element- und Attributnamen; die Arbeitsmappe wird nicht gelesen")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count(name, attrs)
        if not self.root:
            self.root = ooxml.local(name)

    def end(self, name: str) -> None:
        self.depth -= 1

    def parse(self, data: bytes) -> None:
        """The same checks over bytes already read, without adding to the budget (``plainparts``
        parses a part's outline): ``Refused`` or expat's error."""
        self.segments.scan(data)
        self.parser.Parse(data, True)

    def run(self) -> None:
        limit = self.checked.members[self.member]
        seen = 0
        try:
            with self.checked.zip() as zf, zf.open(self.member) as fh:
                while chunk := fh.read(CHUNK):
                    seen += len(chunk)
                    if seen > limit:
                        raise WorkbookRefused(self.checked.name,
                                              "die Arbeitsmappe ist beschädigt (Größenangaben stimmen nicht)")
                    self.segments.feed(chunk)
                    self.parser.Parse(chunk, False)
                self.parser.Parse(b"", True)
        except Refused as exc:
            raise WorkbookRefused(self.checked.name, str(exc)) from None
        except ooxml.XML_ERRORS as exc:
            raise ooxml.part_refused(self.checked, self.member, position(exc, self.parser)) from None
        self.budget.elements += self.elements


def position(exc: BaseException, parser: xml.parsers.expat.XMLParserType) -> BaseException:
    if not getattr(exc, "lineno", None):
        # mypy is told to ignore the next line: the position goes where SyntaxError keeps it, for one message format
        exc.lineno, exc.offset = parser.ErrorLineNumber, parser.ErrorColumnNumber  # type: ignore[attr-defined]
    return exc


_MANY_ATTRIBUTES = re.compile(rb"<(?:[^<=]*=){%d}" % (MAX_ATTRIBUTES + 1))
"""A tag (with the text after it, up to the next ``<``) with more ``=`` than ``MAX_ATTRIBUTES``."""


def _quick_well_formed(data: bytes) -> bool:
    """True when the part is certainly well-formed and within the attribute and name limits, found
    without a Python call per element: expat interns every element and attribute name into a dict
    whose size is checked after each piece. An element's attributes have distinct names, so with
    at most ``MAX_ATTRIBUTES`` names in the part no element has more; otherwise no tag may have
    more ``=`` signs. False means only "not certain": the exact check then finds the message."""
    names: dict[str, str] = {}
    parser = xml.parsers.expat.ParserCreate(intern=names)
    parser.StartElementHandler = operator.is_  # a handler in C: the names reach the dict
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _no_dtd
    try:
        for start in range(0, len(data), CHUNK):
            parser.Parse(data[start:start + CHUNK], False)
            if len(names) > MAX_NAMES:
                return False
        parser.Parse(b"", True)
    except Exception:  # expat's error or the DTD guard, named exactly by the slow path
        return False
    return len(names) <= MAX_ATTRIBUTES or (len(names) <= MAX_NAMES and not _MANY_ATTRIBUTES.search(data))


def _no_dtd(*_args: object) -> None:
    raise Refused("DTD")


def well_formed(checked: CheckedFile, member: str, data: bytes | None = None) -> bytes:
    """The part's bytes (read unless given) once expat (no handlers but the DTD guard) has found
    it well-formed."""
    if data is None:
        data = read_member(checked, member)
    try:
        Segments(member).scan(data)
    except Refused as exc:
        raise WorkbookRefused(checked.name, str(exc)) from None
    if _quick_well_formed(data):
        return data
    part = Part(checked, member, Budget())
    part.parser.StartElementHandler = part.names_of  # attributes and names: what expat holds
    part.parser.EndElementHandler = None
    try:
        part.parser.Parse(data, True)
    except Refused as exc:
        raise WorkbookRefused(checked.name, str(exc)) from None
    except ooxml.XML_ERRORS as exc:
        raise ooxml.part_refused(checked, member, position(exc, part.parser)) from None
    return data


def exact_elements(data: bytes) -> int | None:
    """The number of elements in a well-formed part, from its bytes, when that is certain: without
    comments and CDATA sections every ``<`` starts a tag, a declaration or an instruction."""
    if pairs(data, b"!") > 0:
        return None
    return data.count(b"<") - data.count(b"</") - pairs(data, b"?")


def pairs(data: bytes, mark: bytes) -> int:
    """``data.count(b"<" + mark)`` for a mark that is rare in a part (``!``, ``?``): a search for
    ``<`` plus a byte stops at every ``<`` (a sheet has millions), a count of one byte does not."""
    if data.count(mark) > 100:
        return data.count(b"<" + mark)
    found = 0
    at = data.find(mark, 1)
    while at >= 0:
        found += data[at - 1] == 0x3C
        at = data.find(mark, at + 1)
    return found


def streamed_elements(checked: CheckedFile, member: str) -> int | None:
    """``exact_elements`` of a part, read in pieces (a piece's last byte goes with the next one,
    so that no two-byte mark is split)."""
    total = 0
    carry = b""
    for chunk in member_chunks(checked, member):
        data = carry + chunk
        if b"<!" in data:
            return None
        total += data.count(b"<") - data.count(b"</") - data.count(b"<?")
        carry = data[-1:]
        if carry == b"<":
            total -= 1  # counted again with the next piece
        else:
            carry = b""
    return total


def count_elements(checked: CheckedFile, budget: Budget, members: set[str]) -> dict[str, bytes]:
    """Refuse in a second, before any sheet is streamed, when the sheets' elements alone are too
    many (streaming millions of cells to find that out would take half a minute). Returns the
    parts' bytes when all of them together are at most ``KEEP_BYTES`` (so that each is
    decompressed once); larger ones are counted in pieces and read again when scanned.

    ``budget.counted`` holds at least each part's elements: a kept part's count takes every
    ``<`` that is neither an end tag nor the XML declaration, so an instruction or comment counts
    as one too (exact for a part without them; the two extra searches that tell them apart are
    made only when the total is beyond the limit)."""
    total = budget.elements
    present = sorted(m for m in members if m in checked.members)
    keep = sum(checked.members[m] for m in present) <= KEEP_BYTES
    kept: dict[str, bytes] = {}
    for member in present:
        if keep:
            data = kept[member] = read_member(checked, member)
            found: int | None = data.count(b"<") - data.count(b"</") - data[:8].lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
        else:
            found = streamed_elements(checked, member)
        if found is not None:
            budget.counted[member] = found
            total += found
    if total > MAX_ELEMENTS and kept:
        total = budget.elements
        for member, data in kept.items():
            found = exact_elements(data)
            if found is None:
                budget.counted.pop(member, None)
            else:
                budget.counted[member] = found
                total += found
    if total > MAX_ELEMENTS:
        raise WorkbookRefused(checked.name, f"die Arbeitsmappe hat mehr als {format_number(MAX_ELEMENTS)} XML-Elemente; "
                                            "sie wird nicht gelesen")
    return kept
