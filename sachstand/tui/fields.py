"""The project form's fields: labels, parsers, the text a field starts with, and ``FieldRule``,
the Textual ``Validator`` that checks a field with the core's own rules.

Rules:
- A field's text is parsed with ``core.types`` (money "1.234,56 €", dates "31.12.2020" or
  "Q 4 2020", progress 0..100) and then checked by ``changes.check_value``, the rule the
  repository applies: the message shown at the field is the core's (``InvalidValue.reason`` or the
  parser's ``ValueError``), never a second wording.
- Text equal to what was loaded is what the register holds, so it is never an error (e.g. the
  start "11.05.217" from the seed), except a required field (``models.REQUIRED_FIELDS``) left
  blank once it was marked missing.
- A required field left blank reads "<label> fehlt".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from textual.validation import ValidationResult, Validator

from ..core.changes import check_value, progress_year
from ..core.errors import InvalidValue
from ..core.models import REQUIRED_FIELDS, Project, field_label
from ..core.text import safe_text
from ..core.types import clean_text, format_money, parse_money, parse_percent, parse_period


def _optional(parse: Callable[[str], object]) -> Callable[[str], object]:
    def run(text: str) -> object:
        return None if not clean_text(text) else parse(text)
    return run


PARSERS: dict[str, Callable[[str], object]] = {
    "name": clean_text,  # required: ``REQUIRED_FIELDS``
    "description": clean_text,
    "planned_cost": _optional(parse_money),
    "cost_note": clean_text,
    "start": _optional(parse_period),
    "end": _optional(parse_period),
}

MULTI_LINE = frozenset({"description"})

PLACEHOLDERS = {
    "planned_cost": "z. B. 1.234,56 €",
    "start": "z. B. 01.02.2020 oder Q 1 2020",
    "end": "z. B. 31.12.2020 oder Q 4 2020",
    "description": "Kurzbeschreibung",
}


def field_text(project: Project | None, name: str) -> str:
    """The text a field starts with in the form: stored text made safe for the terminal.

    Control codes and bidi overrides are shown escaped (``safe_text``, e.g. ``\\u202e``); if the
    user edits such a field, the text as shown is saved, otherwise the stored value stays untouched.
    """
    if project is None:
        return ""
    if name == "planned_cost":
        return format_money(project.planned_cost, empty="")
    if name == "start":
        return safe_text(project.start_display)
    if name == "end":
        return safe_text(project.end_display)
    if (year := progress_year(name)) is not None:
        value = project.progress.get(year)
        return "" if value is None else str(value)
    return safe_text(str(project.value(name) or ""), one_line=name not in MULTI_LINE)


def audit_value(field: str, value: str | None) -> str:
    """An audit value as people read it: amounts are stored as "12345.00", shown "12.345,00 €"."""
    if value is None:
        return "–"
    if field == "planned_cost":
        try:
            return format_money(Decimal(value))
        except InvalidOperation:
            return value
    return value


def parse_field(name: str, text: str) -> object:
    """The value a field's text stands for; raises ``ValueError`` with the parser's message."""
    if progress_year(name) is not None:
        return None if not clean_text(text) else parse_percent(text)
    return PARSERS[name](text)


def missing_message(name: str) -> str:
    """The message of a required field left blank."""
    return f"{field_label(name)} fehlt"


class FieldRule(Validator):
    """One form field checked by the core's rules (see the module's rules). ``unchanged(text)``
    tells whether the text is what the register holds, which is never a failure."""

    def __init__(self, name: str, unchanged: Callable[[str], bool]) -> None:
        super().__init__()
        self.name = name
        self.unchanged = unchanged

    def validate(self, value: str) -> ValidationResult:
        if self.unchanged(value):
            return self.success()
        if self.name in REQUIRED_FIELDS and not clean_text(value):
            return self.failure(missing_message(self.name), value)
        if self.name == "department":
            return self.success()
        try:
            check_value(self.name, parse_field(self.name, value))
        except InvalidValue as exc:
            return self.failure(exc.reason, value)
        except ValueError as exc:
            return self.failure(str(exc), value)
        return self.success()
