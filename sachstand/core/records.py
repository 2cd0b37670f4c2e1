"""The register's own records that every report shows: its city and a publication.
Apart from the project records (``models``, which re-exports these), so that a short command
(``summary``) loads neither the project records nor the value types (``types``); the funded
projects are in ``funded``, loaded when a register has some.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .errors import EMPTY, InvalidValue
from .text import clean_text, has_unsafe

CITY_NAME_MAX = 200
_AGS_RE = re.compile(r"[0-9]{8}")


@dataclass(frozen=True)
class City:
    """The city a register belongs to: its name and, optionally, its official municipality key.

    The AGS (Amtlicher Gemeindeschlüssel) has 8 digits: Land (01–16), Regierungsbezirk, Kreis and
    Gemeinde, e.g. 05334002 for Aachen. Both are checked on creation (``InvalidValue``); the name
    may hold no character that ``text.safe_text`` would escape (control, bidi, zero-width), since it
    heads every printout, document and open-data export.
    """

    name: str
    ags: str | None = None

    def __post_init__(self) -> None:
        name = clean_text(self.name or "")
        if not name:
            raise InvalidValue("Name der Stadt", EMPTY)
        if len(name) > CITY_NAME_MAX:
            raise InvalidValue("Name der Stadt", f"höchstens {CITY_NAME_MAX} Zeichen")
        if bad := next((c for c in name if has_unsafe(c)), None):
            from .text_rules import character_name

            raise InvalidValue("Name der Stadt", f"enthält {character_name(bad)}; erlaubt ist ein Name ohne Steuer-, "
                                                 "Richtungs- und unsichtbare Zeichen")
        object.__setattr__(self, "name", name)
        ags = clean_text(self.ags or "") or None
        if ags is not None and (not _AGS_RE.fullmatch(ags) or not 1 <= int(ags[:2]) <= 16):
            raise InvalidValue(
                "Amtlicher Gemeindeschlüssel",
                f"„{ags}“ hat nicht 8 Ziffern mit einem Land von 01 bis 16 (z. B. 05334002 für Aachen)",
            )
        object.__setattr__(self, "ags", ags)

    @classmethod
    def stored(cls, name: str, ags: str | None) -> City:
        """The city as a register holds it, taken without the entry checks: a name stored by an
        earlier version (before control and bidi characters were refused) still opens the
        register; every output escapes such characters, and ``settings --city`` replaces it."""
        city = object.__new__(cls)
        object.__setattr__(city, "name", name)
        object.__setattr__(city, "ags", ags or None)
        return city

    @property
    def display(self) -> str:
        """``Stadt Aachen (AGS 05334002)``, or just the name."""
        return f"{self.name} (AGS {self.ags})" if self.ags else self.name


@dataclass(frozen=True)
class Publication:
    """A year whose report was published: when, by whom, and the stored snapshot parts (JSON)."""

    year: int
    at: datetime
    by: str
