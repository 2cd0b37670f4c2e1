"""The year's report texts as one Markdown file (``sachstand texts export`` / ``texts import``).

Format::

    <!-- sachstand-texte jahr=2020 -->

    ## Einleitung <!-- abschnitt=einleitung version=3 -->

    Erster Absatz …

    ## IT-Projekte in der Corona-Situation <!-- abschnitt=sonderthema version=1 -->
    …

Rules:
- The first marker names the year; each section starts with a "## " heading carrying a marker
  with its key and the version it was exported at. The markers are HTML comments, so the file
  reads as plain Markdown in any editor or viewer.
- Only a "## " line *with* a marker starts a section: a "## " line inside a text stays text.
  Export then import gives the same titles and texts, byte for byte (lossless).
- Import stores all sections in one transaction, each based on its exported version: a section
  someone changed since the export is a conflict, and nothing is stored.
- Titles and texts follow ``core.text_rules`` (no control characters, no marker-like lines), checked
  here line by line so that the message names the file's line.
- A file that breaks these rules is refused with one German line naming the line number; so is
  a version with more than nine digits (the register counts versions as INTEGER).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import SachstandError
from ..core.files import InputRefused, read_input
from ..core.output import write_output
from ..core.report_content import TEXT_KEYS, TextSection
from ..core.text_rules import SECTION_MARKER, line_problem, title_problem
from ..core.types import parse_year

MAX_BYTES = 2_000_000
MAX_VERSION_DIGITS = 9  # a section's version is an INTEGER in the register
_YEAR = re.compile(r"<!--\s*sachstand-texte\s+jahr=([0-9]{4})\s*-->")


@dataclass(frozen=True)
class TextsFile:
    year: int
    sections: tuple[TextSection, ...]


def to_markdown(year: int, sections: Sequence[TextSection]) -> str:
    parts = [f"<!-- sachstand-texte jahr={year} -->\n"]
    for s in sections:
        parts.append(f"\n## {s.title} <!-- abschnitt={s.key} version={s.version} -->\n")
        if s.markdown:
            parts.append(f"\n{s.markdown}\n")
    return "".join(parts)


def write_markdown(path: str | Path, year: int, sections: Sequence[TextSection]) -> None:
    """Write the file atomically (``core.output.write_output``); the command guards the path first."""
    write_output(Path(path), to_markdown(year, sections).encode("utf-8"))


def read_markdown(path: str | Path) -> TextsFile:
    try:
        data = read_input(Path(path), MAX_BYTES)
    except InputRefused as exc:
        if exc.size is not None:
            raise SachstandError(f"{path}: die Datei ist größer als 2 MB; das sind keine Berichtstexte.") from None
        raise SachstandError(f"{path}: {exc.reason}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SachstandError(f"{path}: die Datei ist kein UTF-8-Text.") from None
    return parse_markdown(text, str(path))


def parse_markdown(text: str, name: str = "Texte") -> TextsFile:
    """The year and sections of a texts file; ``SachstandError`` (exit 2) for a broken one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    year_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    match = _YEAR.fullmatch(lines[year_line].strip()) if year_line is not None else None
    if match is None or year_line is None:
        raise SachstandError(
            f"{name}: die erste Zeile muss „<!-- sachstand-texte jahr=JJJJ -->“ sein "
            "(mit „sachstand texts export“ erzeugen)."
        )
    year = parse_year(match.group(1))
    if year is None:
        raise SachstandError(f"{name} Zeile {year_line + 1}: „{match.group(1)}“ ist kein Jahr.")
    found: list[tuple[int, str, str, int, list[str]]] = []
    for number, line in enumerate(lines[year_line + 1:], start=year_line + 2):
        m = SECTION_MARKER.match(line)
        if m:
            title, key, digits = m.group(1).strip(), m.group(2), m.group(3) or "0"
            if len(digits.lstrip("0")) > MAX_VERSION_DIGITS:
                shown = digits[:20] + ("…" if len(digits) > 20 else "")
                raise SachstandError(f"{name} Zeile {number}: die Version „{shown}“ des Abschnitts „{key}“ "
                                     "ist zu groß; sie stammt nicht aus „sachstand texts export“.")
            version = int(digits)
            if key not in TEXT_KEYS:
                raise SachstandError(
                    f"{name} Zeile {number}: den Abschnitt „{key}“ gibt es nicht (möglich: {', '.join(TEXT_KEYS)})."
                )
            if any(f[1] == key for f in found):
                raise SachstandError(f"{name} Zeile {number}: der Abschnitt „{key}“ kommt zweimal vor.")
            if not title:
                raise SachstandError(f"{name} Zeile {number}: die Überschrift des Abschnitts „{key}“ fehlt.")
            if problem := title_problem(title):
                raise SachstandError(f"{name} Zeile {number}: {problem}.")
            found.append((number, key, title, version, []))
        elif found:
            if problem := line_problem(line):
                raise SachstandError(f"{name} Zeile {number}: {problem}.")
            found[-1][4].append(line)
        elif line.strip():
            raise SachstandError(
                f"{name} Zeile {number}: Text vor dem ersten Abschnitt; jeder Abschnitt beginnt mit "
                "„## Überschrift <!-- abschnitt=… -->“."
            )
    if not found:
        raise SachstandError(f"{name}: keine Abschnitte gefunden (Zeilen „## Überschrift <!-- abschnitt=… -->“).")
    sections = tuple(TextSection(key, title, "\n".join(body).strip("\n"), version)
                     for _n, key, title, version, body in found)
    return TextsFile(year, sections)
