"""What a report text may hold: one rule for the TUI, ``texts import`` and the repository.

Rules:
- A section title is one line of at most 200 characters without control characters: no C0 or C1 control character, no DEL,
  no line break, and no bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), which
  would make the title read differently from what is stored.
- A section text may hold line breaks and tabs, and no other of these characters.
- No line of a text may look like a section start of the Markdown exchange file
  (``## Titel <!-- abschnitt=… -->``): ``texts export`` would write it as a new section, and the
  file could not be read back. Texts the program stored always re-import.
- Nothing is dropped silently: the first offending character or line is named (with its line).
"""

from __future__ import annotations

import re

SECTION_MARKER = re.compile(r"^## (.*?)\s*<!--\s*abschnitt=([a-z]+)(?:\s+version=([0-9]+))?\s*-->\s*$")
"""A section start of the exchange file: title, key and the version it was exported at."""
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")


def character_name(ch: str) -> str:
    """ "die Richtungsumkehr U+202E", "das Steuerzeichen U+001B", "das unsichtbare Zeichen U+200B"."""
    kind = ("die Richtungsumkehr" if ch in _BIDI else
            "das Steuerzeichen" if _CONTROL.match(ch) else "das unsichtbare Zeichen")
    return f"{kind} U+{ord(ch):04X}"


TITLE_MAX = 200
"""A section title is a heading: one line of at most this many characters."""


def title_problem(title: str) -> str | None:
    """Why ``title`` cannot be a section title, or None."""
    if len(title) > TITLE_MAX:
        return f"die Überschrift ist {len(title):,} Zeichen lang; erlaubt sind höchstens {TITLE_MAX}".replace(",", ".")
    if m := _CONTROL.search(title):
        return f"die Überschrift enthält {character_name(m.group())}; erlaubt ist eine Zeile ohne Steuerzeichen"
    return None


def line_problem(line: str) -> str | None:
    """Why one line of a section text cannot be stored, or None."""
    for m in _CONTROL.finditer(line):
        if m.group() != "\t":
            return f"der Text enthält {character_name(m.group())}; erlaubt sind nur Zeilenumbruch und Tabulator"
    if SECTION_MARKER.match(line):
        return ("die Zeile sieht aus wie ein Abschnittsanfang der Markdown-Datei („## … <!-- abschnitt=… -->“); "
                "bitte ohne „<!-- abschnitt=… -->“ schreiben")
    return None


def text_problem(markdown: str) -> tuple[int, str] | None:
    """The first line (1-based) of a section text that cannot be stored, and why; or None."""
    for number, line in enumerate(markdown.split("\n"), start=1):
        if problem := line_problem(line):
            return number, problem
    return None
