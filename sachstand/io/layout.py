"""The workbook format, defined once for every writer and the reader.

Rules:
- The project table's columns (``project_columns``): ID | Bereich | Name des Projektes |
  Kurzbeschreibung / Projektziel | Geplante Kosten | Kostenhinweis | Beginn | Geplantes Ende |
  Umsetzungsstand Y−1 (in %) | Umsetzungsstand Y (in %), headed by the labels of
  ``core.models.EDITABLE_FIELDS`` and ``progress_label``; the register workbook, the templates and
  the report workbook take them from here, and the reader finds them by the same labels (and the
  other spellings of other cities' lists, ``headers``).
- The hidden sheet ``META_SHEET`` ("_sachstand"): rows of key and value (``KEY_*``), the format
  ``META_FORMAT``, the kind (``KIND_TEMPLATE`` or ``KIND_REGISTER``), then a header row
  ``VERSIONS_HEADER`` and one row per project: its ID and the row version it was exported at
  (what the import's stale-write check compares).
- Each column's kind (``column_kind``) says how its cells are written and read: text, money
  (a number in euros), a period (a day as a date cell, a quarter, month or year as its text) or
  a percentage (a whole number).
- Every day date in a workbook is written by one rule, ``safe.day_serial``.
"""

from __future__ import annotations

from typing import Literal

from ..core.changes import is_progress_key, progress_key
from ..core.models import EDITABLE_FIELDS, progress_label
from .sheetnames import META_SHEET as META_SHEET  # in a module of their own: the budget needs them,
from .sheetnames import PROJECTS as PROJECTS  # not the rest of the format

META_FORMAT = "sachstand 1"
KEY_FORMAT, KEY_KIND, KEY_DEPARTMENT, KEY_YEAR, KEY_EXPORTED = "Format", "Art", "Bereich", "Jahr", "Exportiert"
KIND_TEMPLATE, KIND_REGISTER = "Vorlage", "Register"

# the register workbook's sheets after "Projekte" (``register_book``)
FUNDED = "Förderprojekte"
PARTNERS = "Förderpartner"
LINKS = "Förderverknüpfungen"
PROGRESS = "Umsetzungsstände"
ARCHIVE = "Archiv"
DEPARTMENTS = "Bereiche"
REPORTED = "Berichtete Kennzahlen"
REGISTER = KIND_REGISTER
VERSIONS_HEADER = ("ID", "Version")


def project_columns(year: int, with_department: bool = True) -> list[tuple[str, str]]:
    """(field key, German header) of the project table."""
    cols = [("id", "ID")]
    if with_department:
        cols.append(("department", EDITABLE_FIELDS["department"]))
    cols += [(k, EDITABLE_FIELDS[k]) for k in ("name", "description", "planned_cost", "cost_note", "start", "end")]
    cols += [(progress_key(y), progress_label(y)) for y in (year - 1, year)]
    return cols


ColumnKind = Literal["text", "money", "period", "percent"]


def column_kind(key: str) -> ColumnKind:
    """How the project table's column of field ``key`` is written (see the module's rules)."""
    if key == "planned_cost":
        return "money"
    if key in ("start", "end"):
        return "period"
    if is_progress_key(key):
        return "percent"
    return "text"
