"""What the text of a workbook's cells costs in memory, worked out before a parser reads it
(``budget``).

Rules:
- calamine copies a shared string into every cell that uses it, so a short sheet can ask for
  gigabytes: inline text, formula text results and each use of a shared string count, and all
  sheets together may cost at most ``MAX_TEXT`` bytes;
- a text costs what it takes in memory, not its characters. Each use costs its UTF-8 bytes
  (calamine's copy) plus ``USE_COST`` (calamine's string and the row's slot); the first use of a
  text in a sheet part also costs its characters times its widest character's width (Python
  stores a text with one emoji at 4 bytes a character), plus ``STRING_COST`` (the object) and
  ``INTERN_COST`` (its entry in the reader's index): the reader keeps each distinct text of a
  sheet once (``sheetread.sheet_rows``). Inline texts are told apart by their XML text, shared
  strings by their index (so equal texts written differently count as distinct: never less than
  is held);
- a part's strings are its outermost ``<si>`` elements (calamine may read strings from any part);
  a sharedStrings ``uniqueCount`` above the number of strings the part holds, or a ``count``
  above what all worksheet parts' bytes could reference, refuses the file.
"""

from __future__ import annotations

from array import array

from ..core.types import format_number, is_digits
from . import ooxml
from .limits import CheckedFile, WorkbookRefused
from .xmlscan import Budget, Part

MAX_TEXT = 125_000_000
STRING_COST = 128
INTERN_COST = 64
USE_COST = 32


class TextCost:
    """What one text costs in memory, fed in pieces: UTF-8 bytes plus characters × widest width."""

    __slots__ = ("chars", "key", "utf8", "width")

    def __init__(self) -> None:
        self.chars = self.utf8 = self.key = 0
        self.width = 1

    def add(self, data: str) -> None:
        self.key = hash((self.key, data))  # equal texts fed in other pieces count as distinct
        self.chars += len(data)
        if data.isascii():
            self.utf8 += len(data)
            return
        self.utf8 += len(data.encode("utf-8", "surrogatepass"))
        top = ord(max(data))
        self.width = max(self.width, 4 if top > 0xFFFF else 2 if top > 0xFF else 1)

    def cost(self) -> int:
        return self.utf8 + self.chars * self.width


def again(first: int) -> int:
    """A shared string's cost on a repeated use, from its first-use cost in the strings array
    (UTF-8 bytes + characters × width + ``STRING_COST``): the UTF-8 bytes are at most 4/5 of the
    rest, as each character takes at most 4 of them and at least 1 in width."""
    return (first - STRING_COST) * 4 // 5 + USE_COST


def shared_cost(index: int, strings: array, seen: bytearray) -> int:
    """What one use of shared string ``index`` costs in a sheet part where ``seen`` marks the
    indices used before."""
    if seen[index]:
        return again(strings[index])
    seen[index] = 1
    return int(strings[index]) + INTERN_COST + USE_COST


class SharedStrings(Part):
    """Any part other than a sheet: the text length of each outermost ``<si>`` (calamine may read
    strings from it) and, when its root is ``sst``, the counts it claims."""

    def __init__(self, checked: CheckedFile, member: str, budget: Budget, tree: bool = False) -> None:
        super().__init__(checked, member, budget, tree)
        self.lengths = array("I")
        self.current: TextCost | None = None
        self.si_depth = 0
        self.claims: dict[str, str] = {}
        self.parser.CharacterDataHandler = self.text

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count(name, attrs)
        local = ooxml.local(name)
        if not self.root:
            self.root = local
            self.claims = {k: v for k, v in attrs.items() if k in ("count", "uniqueCount")}
        if local == "si" and self.current is None:
            self.current = TextCost()
            self.si_depth = self.depth

    def end(self, name: str) -> None:
        if self.current is not None and self.depth == self.si_depth:
            self.lengths.append(min(self.current.cost() + STRING_COST, MAX_TEXT + 1))
            self.current = None
        self.depth -= 1

    def text(self, data: str) -> None:
        if self.current is not None:
            self.current.add(data)


def too_much_text() -> str:
    return (f"die Texte in den Zellen der Arbeitsmappe brauchen zusammen mehr als {format_number(MAX_TEXT // 1_000_000)} MB "
            "Arbeitsspeicher; sie wird nicht gelesen")


def check_counts(checked: CheckedFile, member: str, part: SharedStrings, sheet_bytes: int) -> None:
    """A count cannot exceed what the bytes can hold: ``uniqueCount`` the strings in the part,
    ``count`` the string cells that all worksheet parts could hold (each needs at least 10 bytes)."""
    held = {"uniqueCount": f"er enthält nur {format_number(len(part.lengths))} Texte",
            "count": f"die Blätter können höchstens {format_number(sheet_bytes // 10)} Texte verwenden"}
    for key, most in (("uniqueCount", len(part.lengths)), ("count", sheet_bytes // 10)):
        claim = part.claims.get(key)
        if claim is not None and (not is_digits(claim) or int(claim) > most):
            raise WorkbookRefused(checked.name, f"der Teil „{member}“ gibt {key}=„{claim[:20]}“ an, aber {held[key]}; "
                                                "die Arbeitsmappe wird nicht gelesen")
