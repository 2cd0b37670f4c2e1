"""A department map: which shared topic each city's department codes belong to (``rollup
--department-map``), read from TOML or CSV and checked.

Rules:
- ``[topics]`` (TOML) or rows with an empty city or ``*`` (CSV) map the codes of every city;
  ``[cities."<name or AGS>"]`` or rows naming a city map that city's codes and take precedence.
- Departments the map does not name fall under ``UNMAPPED``.
- Every problem with the file is one German ``SachstandError`` naming it. The file is read only
  when it is a regular file (after following links: a FIFO, device or folder is refused without
  blocking) of at most ``MAP_MAX_BYTES``; a TOML map nested deeper than the role config may be
  (``access.toml_too_deep``) is refused before it is parsed, a CSV field over
  ``csv.field_size_limit`` is named with its line.
"""

from __future__ import annotations

import csv
import io
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .access import CONFIG_MAX_DEPTH, toml_too_deep
from .errors import SachstandError
from .files import MISSING, InputRefused, read_input
from .models import City
from .text import safe_text

UNMAPPED = "ohne Zuordnung"
MAP_MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class DepartmentMap:
    everywhere: dict[str, str]
    by_city: dict[str, dict[str, str]]
    """City name (case-folded) or AGS → department code → topic."""

    def topic(self, city: City, department: str) -> str:
        for key in (city.ags, city.name.casefold()):
            if key and department in self.by_city.get(key, {}):
                return self.by_city[key][department]
        return self.everywhere.get(department, UNMAPPED)


def load_department_map(path: str | os.PathLike[str]) -> DepartmentMap:
    """Read a department map, TOML or CSV, checked; one German error line for a bad file.

    TOML: ``[topics]`` maps department codes of every city, ``[cities."<name or AGS>"]`` those of
    one city (taking precedence). CSV (comma or semicolon, UTF-8, header ``city,department,topic``):
    an empty ``city`` or ``*`` means every city.
    """
    p = Path(path).expanduser()
    shown = safe_text(str(path))
    if p.suffix.lower() not in (".toml", ".csv"):
        raise SachstandError(f"Die Bereichszuordnung {shown} muss eine .toml- oder .csv-Datei sein.")
    try:
        raw = read_input(p, MAP_MAX_BYTES)
    except InputRefused as exc:
        if exc.size is not None:
            raise SachstandError(f"Die Bereichszuordnung {shown} ist zu groß (über 5 MB).") from None
        if exc.reason == MISSING:
            raise SachstandError(f"Die Bereichszuordnung {shown} gibt es nicht.") from None
        raise SachstandError(f"Die Bereichszuordnung {shown} lässt sich nicht lesen: {exc.reason}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SachstandError(f"Die Bereichszuordnung {shown} ist keine UTF-8-Textdatei.") from None
    if p.suffix.lower() == ".toml":
        return _map_from_toml(text, shown)
    if p.suffix.lower() == ".csv":
        return _map_from_csv(text, shown)
    raise SachstandError(f"Die Bereichszuordnung {path} muss eine .toml- oder .csv-Datei sein.")


def _topic_table(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in table.items()):
        raise SachstandError(f"{where}: erwartet „Bereich = \"Thema\"“ mit Text als Thema.")
    return {k.strip(): v.strip() for k, v in table.items()}


def _map_from_toml(text: str, path: str) -> DepartmentMap:
    too_deep = (f"Die Bereichszuordnung {path} ist tiefer als {CONFIG_MAX_DEPTH} Ebenen verschachtelt; "
                "so sieht keine Bereichszuordnung aus.")
    if toml_too_deep(text):
        raise SachstandError(too_deep)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SachstandError(f"Die Bereichszuordnung {path} ist kein gültiges TOML ({exc}).") from None
    except RecursionError:
        raise SachstandError(too_deep) from None
    unknown = set(data) - {"topics", "cities"}
    if unknown:
        raise SachstandError(f"Die Bereichszuordnung {path} hat unbekannte Abschnitte: {', '.join(sorted(unknown))} "
                             "(erlaubt: topics, cities).")
    everywhere = _topic_table(data.get("topics", {}), f"{path} [topics]")
    cities = data.get("cities", {})
    if not isinstance(cities, dict):
        raise SachstandError(f"{path}: [cities] muss Abschnitte je Stadt enthalten.")
    by_city = {k.strip().casefold(): _topic_table(v, f"{path} [cities.\"{k}\"]") for k, v in cities.items()}
    return DepartmentMap(everywhere, by_city)


def _map_from_csv(text: str, path: str) -> DepartmentMap:
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    try:
        return _rows_from_csv(reader, path)
    except csv.Error as exc:
        reason = (f"ein Feld ist länger als {csv.field_size_limit():,} Zeichen".replace(",", ".")
                  if "field limit" in str(exc) else "kein lesbares CSV")
        raise SachstandError(f"Die Bereichszuordnung {path}, Zeile {reader.line_num}: {reason}.") from None


def _rows_from_csv(reader: Any, path: str) -> DepartmentMap:
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != ["city", "department", "topic"]:
        raise SachstandError(f"Die Bereichszuordnung {path} braucht die Kopfzeile „city,department,topic“.")
    everywhere: dict[str, str] = {}
    by_city: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 3 or not row[1].strip() or not row[2].strip():
            raise SachstandError(
                f"Die Bereichszuordnung {path}, Zeile {line}: Bereich und Thema dürfen nicht leer sein.")
        city, dept, topic = (cell.strip() for cell in row[:3])
        target = everywhere if city in ("", "*") else by_city.setdefault(city.casefold(), {})
        if target.get(dept, topic) != topic:
            raise SachstandError(f"Die Bereichszuordnung {path}, Zeile {line}: „{dept}“ hat schon das Thema "
                                 f"„{target[dept]}“, nicht zugleich „{topic}“.")
        target[dept] = topic
    return DepartmentMap(everywhere, by_city)
