"""The open-data licences ``export opendata --license`` knows (apart from ``core.opendata`` so
that building the command line does not load the export's own imports)."""

from __future__ import annotations

DEFAULT_LICENSE = "dl-de/by-2-0"

LICENSES: dict[str, tuple[str, str]] = {
    "dl-de/by-2-0": ("http://dcat-ap.de/def/licenses/dl-by-de/2.0",
                     "Datenlizenz Deutschland – Namensnennung – Version 2.0"),
    "dl-de/zero-2-0": ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "Datenlizenz Deutschland – Zero – Version 2.0"),
    "cc-by-4.0": ("http://dcat-ap.de/def/licenses/cc-by/4.0", "Creative Commons Namensnennung 4.0 International"),
    "cc-zero": ("http://dcat-ap.de/def/licenses/cc-zero", "Creative Commons CC Zero"),
}
"""The licences ``--license`` knows: short id → (DCAT-AP.de licence URI, German name)."""
