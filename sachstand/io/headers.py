"""Column headers of the lists other cities and departments send, and the rows that are totals.

Rules:
- A header is compared after trimming, folding case, joining spaces and dropping a trailing
  "*" or ":"; a unit in brackets or after "in" ("Kosten (EUR)", "Budget in €") is ignored.
- ``HEADERS`` lists the names each field goes by (the README shows them). An explicit mapping
  (``--column "Kosten (EUR)=Geplante Kosten"`` or ``[import.columns]`` in ``sachstand.toml``)
  comes first; its target is any name of ``HEADERS`` or a progress header.
- A progress column is any header with exactly one year (1900–2199) and a word for progress
  (``PROGRESS_WORDS``) or only a percent sign besides the year: "Status 2022 %",
  "Fortschritt 2022", "Umsetzungsgrad 2022", "2022 (%)", "Umsetzungsstand 2022 (in %)".
- A totals row is skipped with a note: its only text is "Summe", "Gesamt", "Total" (or
  "Gesamtsumme", "Insgesamt", "Summe:"), or its only content is formulas over a range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..core.changes import progress_key
from ..core.models import field_label
from ..core.types import clean_text

HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "projekt-id", "projekt id", "projektid", "projekt-nr", "projektnummer"),
    "department": ("bereich", "fachbereich", "amt", "organisationseinheit", "oe", "dienststelle"),
    "name": ("name des projektes", "name des projekts", "projektname", "projekt", "maßnahme", "massnahme",
             "name"),
    "description": ("kurzbeschreibung / projektziel", "kurzbeschreibung", "projektziel", "beschreibung"),
    "planned_cost": ("geplante kosten", "kosten", "budget", "gesamtkosten", "planansatz"),
    "cost_note": ("kostenhinweis",),
    "start": ("beginn", "start", "projektbeginn"),
    "end": ("geplantes ende", "ende", "projektende"),
    "remarks": ("bemerkungen", "bemerkung", "anmerkungen"),
}
PROGRESS_WORDS = frozenset(("umsetzungsstand", "umsetzungsgrad", "fortschritt", "status", "stand",
                            "fertigstellungsgrad", "erfüllungsgrad"))
TOTAL_WORDS = frozenset(("summe", "gesamt", "total", "gesamtsumme", "insgesamt", "summen"))

_LOOKUP = {text: key for key, texts in HEADERS.items() for text in texts}
_UNIT = re.compile(r"\s*(?:\((?:in\s*)?(?:eur|euro|€|tsd\.? ?€|%)\)|in\s+(?:eur|euro|€))$")
_YEAR = re.compile(r"(?<![0-9])(19[0-9][0-9]|20[0-9][0-9]|21[0-9][0-9])(?![0-9])")
_WORD = re.compile(r"[^\W\d_]+")
_RANGE_FORMULA = re.compile(r"\$?[A-Z]{1,3}\$?[0-9]+\s*:\s*\$?[A-Z]{1,3}\$?[0-9]+", re.I)


def normalise_header(value: object) -> str:
    text = clean_text(str(value)) if isinstance(value, str) else ""
    text = re.sub(r"\s+", " ", text).casefold().rstrip("*: ").strip()
    return re.sub(r"\s*/\s*", " / ", text)


def progress_year(text: str) -> int | None:
    """The year of a progress header (already normalised), else None."""
    years = _YEAR.findall(text)
    if len(years) != 1:
        return None
    rest = text.replace(years[0], " ")
    words = set(_WORD.findall(rest)) - {"in", "im", "per", "zum", "ende", "jahr"}
    if words & PROGRESS_WORDS or (not words and "%" in rest):
        return int(years[0])
    return None


def header_key(value: object, mapping: Mapping[str, str] | None = None) -> str | None:
    """The field key of a header cell ("progress:2022" for progress), else None."""
    text = normalise_header(value)
    if not text:
        return None
    if mapping and text in mapping:
        return mapping[text]
    if text in _LOOKUP:
        return _LOOKUP[text]
    bare = _UNIT.sub("", text)
    if bare in _LOOKUP and _LOOKUP[bare] == "planned_cost":
        return "planned_cost"
    if (year := progress_year(text)) is not None:
        return progress_key(year)
    return None


_TARGET_NAMES = {"id": "ID", "remarks": "Bemerkungen"}  # the fields that are no ``EDITABLE_FIELDS``


def column_mapping(pairs: Mapping[str, str]) -> dict[str, str]:
    """Explicit "source header = target" pairs as normalised header → field key.

    Raises ``ValueError`` (German) for a target that names no field.
    """
    out: dict[str, str] = {}
    for source, target in pairs.items():
        key = header_key(target)
        if key is None:
            known = ", ".join(f"„{_TARGET_NAMES.get(k) or field_label(k)}“" for k in HEADERS)
            raise ValueError(f"„{target}“ ist kein bekanntes Feld (bekannt: {known}, „Umsetzungsstand 2022“)")
        source_text = normalise_header(source)
        if not source_text:
            raise ValueError(f"„{source}={target}“: die Spalte fehlt vor dem „=“")
        out[source_text] = key
    return out


def parse_column_option(text: str) -> tuple[str, str]:
    """One ``--column "Quelle=Ziel"`` value."""
    source, sep, target = text.partition("=")
    if not sep or not source.strip() or not target.strip():
        raise ValueError(f"„{text}“: erwartet „Spalte in der Datei=Feld“, z. B. „Kosten (EUR)=Geplante Kosten“")
    return source.strip(), target.strip()


def total_label(values: list[object]) -> str | None:
    """The totals word of a row whose only text is one ("Summe"), else None."""
    texts = [v for v in values if isinstance(v, str) and v.strip()]
    if len(texts) != 1:
        return None
    word = normalise_header(texts[0])
    return texts[0].strip() if word in TOTAL_WORDS else None


def is_range_formula(formula: str) -> bool:
    """A formula over a range of cells ("SUM(D5:D20)", "=SUMME(D5:D20)")."""
    return bool(_RANGE_FORMULA.search(formula))
