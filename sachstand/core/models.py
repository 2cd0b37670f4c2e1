"""Records of the register as the rest of the program sees them.

A project's editable fields are listed in ``EDITABLE_FIELDS`` with their German labels; the TUI,
the Excel import and the audit log all use these names, so a field is named the same everywhere
(the form's inputs carry ``SHORT_LABELS``, defined beside them, where 80 columns need it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .funded import FundedProject as FundedProject
from .funded import NewFundedProject as NewFundedProject
from .funded import Partner as Partner
from .records import CITY_NAME_MAX as CITY_NAME_MAX
from .records import City as City
from .records import Publication as Publication
from .types import Money, Period, format_money, is_digits

EDITABLE_FIELDS: dict[str, str] = {
    "department": "Bereich",
    "name": "Name des Projektes",
    "description": "Kurzbeschreibung / Projektziel",
    "planned_cost": "Geplante Kosten",
    "cost_note": "Kostenhinweis",
    "start": "Beginn",
    "end": "Geplantes Ende",
    "priority": "Priorität (geplant)",
}
"""``priority`` is set while a project is planned (not started): 1 is started first. A planned
project counts in no figure and belongs to no year's table until its priority is cleared."""

SHORT_LABELS: dict[str, str] = EDITABLE_FIELDS | {"name": "Name", "description": "Beschreibung/Ziel"}
"""The same fields' labels beside the TUI form's inputs (80 columns): shorter where the full label
would not fit; messages and headers always use ``field_label``."""


REQUIRED_FIELDS = ("department", "name")
"""Fields a project cannot be without (``changes.check_value`` refuses them blank)."""


def progress_label(year: int | None) -> str:
    """ "Umsetzungsstand 2020 (in %)"; without a year the label over several years' columns."""
    return f"Umsetzungsstand {year} (in %)" if year is not None else "Umsetzungsstand (in %)"


@dataclass(frozen=True)
class FieldKey:
    """A parsed field key: a field name, and for progress the year."""

    name: str
    year: int | None = None

    def __str__(self) -> str:
        return self.name if self.year is None else progress_key(self.year)


def progress_key(year: int) -> str:
    """The field key of a year's progress (``progress:2020``)."""
    return f"progress:{year}"


def is_progress_key(key: str) -> bool:
    """True for a well-formed progress key (``progress:`` and four ASCII digits)."""
    return progress_year(key) is not None


def parse_field_key(key: str) -> FieldKey:
    """``progress:2020`` → ``FieldKey("progress", 2020)``; any other key → ``FieldKey(key)``."""
    year = progress_year(key)
    return FieldKey(key) if year is None else FieldKey("progress", year)


def progress_year(key: str) -> int | None:
    """The year of a progress key (``progress:`` and four ASCII digits), else None. Cheap: it runs per cell."""
    if len(key) == 13 and key.startswith("progress:") and is_digits(key[9:]):
        return int(key[9:])
    return None


def field_label(name: str) -> str:
    if (year := progress_year(name)) is not None:
        return progress_label(year)
    return EDITABLE_FIELDS.get(name, name)


@dataclass(frozen=True)
class Department:
    """A department (Bereich) of the register: its code ("FB 11") and, when known, its name."""

    code: str
    name: str | None


class _Dates:
    """Display of a start and a planned end: the period, else the kept source text."""

    __slots__ = ()  # so a slotted subclass (``Project``) holds no per-object dict

    start: Period | None
    end: Period | None
    start_text: str
    end_text: str

    @property
    def start_display(self) -> str:
        return self.start.format() if self.start else self.start_text

    @property
    def end_display(self) -> str:
        return self.end.format() if self.end else self.end_text


@dataclass(frozen=True, slots=True)
class NewProject:
    """A project to create. ``start_text``/``end_text`` keep source text that was not a date.

    ``id`` is given only when a register is recreated from its own workbook (see
    ``Repository.apply``); otherwise the ID is allocated from the department's counter.
    """

    department: str
    name: str
    description: str = ""
    planned_cost: Money | None = None
    cost_note: str = ""
    start: Period | None = None
    end: Period | None = None
    start_text: str = ""
    end_text: str = ""
    progress: dict[int, int] = field(default_factory=dict)
    priority: int | None = None
    id: str | None = None
    archived: bool = False


def match_key(department: str, name: str) -> tuple[str, str]:
    """How a row without an ID is matched to a project: department and name ignoring case, and
    with every run of white space (a non-breaking space, two spaces, a line break) as one space.
    The import's plan and the write's check of new projects use this one key."""
    return department.casefold(), " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Project(_Dates):
    """A stored project. Slotted: an import plans against every project of the register, and
    100,000 of them with a per-object dict took about 60 MB more."""

    id: str
    department: str
    name: str
    description: str
    planned_cost: Money | None
    cost_note: str
    start: Period | None
    end: Period | None
    start_text: str
    end_text: str
    progress: dict[int, int]
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
    priority: int | None = None

    @property
    def planned(self) -> bool:
        """Planned, not started: it has a priority (see ``EDITABLE_FIELDS``)."""
        return self.priority is not None

    def value(self, name: str) -> object:
        """A field's value by its canonical name, including ``progress:YEAR``."""
        if (year := progress_year(name)) is not None:
            return self.progress.get(year)
        return getattr(self, name)


def display_value(value: object) -> str:
    """The audit and conflict text of a field value."""
    if value is None:
        return ""
    if isinstance(value, Period):
        return value.format()
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


@dataclass(frozen=True)
class ProjectRow(_Dates):
    """One line of the projects table for a reporting year, with the flags of ``figures``."""

    id: str
    department: str
    name: str
    description: str
    previous: int | None
    current: int | None
    start: Period | None
    start_text: str
    end: Period | None
    end_text: str
    overdue: bool
    stalled: bool
    completed: bool
    at_least_90: bool
    version: int
    priority: int | None = None
    archived: bool = False

    @property
    def planned(self) -> bool:
        return self.priority is not None


@dataclass(frozen=True)
class AuditEntry:
    """One audit row: who changed which field of what, when, from where, from which value to which."""

    at: datetime
    os_user: str
    source: str
    source_file: str
    entity: str
    entity_id: str
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class ReportText:
    """One stored narrative section of a year's report; ``version`` counts its saves (0: unsaved)."""

    year: int
    key: str
    title: str
    markdown: str
    version: int
    updated_at: datetime | None


DRAFT = "Entwurf, noch nicht veröffentlicht"


def report_dates(as_of: date, published: datetime | None, draft: str | None = DRAFT) -> str:
    """How a report states its two dates, the same in every document and printout.

    "Stand 24.11.2020 · Werte zum Stichtag 31.12.2020": the day the report was published (its
    state, "Stand") and the key date its values are reported for ("Stichtag", the end of the
    reporting year, which may lie after the publication: the seed's council paper of 24.11.2020
    reports the year-end state). An unpublished year says ``draft`` instead of a Stand (nothing
    with ``draft=None``)."""
    key = f"Werte zum Stichtag {as_of:%d.%m.%Y}"
    if published is not None:
        return f"{report_stand(published)} · {key}"
    return f"{draft} · {key}" if draft else key


def report_stand(published: datetime | None) -> str:
    """The first half of ``report_dates``: "Stand 24.11.2020", or ``DRAFT``."""
    return f"Stand {published:%d.%m.%Y}" if published is not None else DRAFT
