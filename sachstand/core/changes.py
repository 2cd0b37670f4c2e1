"""What a unit of work writes (``ChangeSet``), the field keys, and every entry rule, written once.

Rules:
- A field key is an ``EDITABLE_FIELDS`` name or ``progress:YYYY``; ``progress_key`` builds the
  latter and ``parse_field_key``/``progress_year`` take any key apart: no caller splits the string
  by hand. They are defined in ``models`` (beside ``EDITABLE_FIELDS`` and ``field_label``, which
  need them; ``changes`` imports ``models``) and re-exported here.
- ``check_value`` is the one check of a field's value; ``date_order_problem`` the one date-order
  rule; ``check_department_code`` the one rule for a department code; ``project_id_problem`` the one
  rule for a given project ID; ``TEXT_MAX`` the one length
  limit (Excel's cell). The import preview (``io/diff``), the TUI form and ``Repository.apply``
  all use them and only map a problem to a cell or a field.
- ``check`` runs every rule of a change set against the projects as stored and lists all problems,
  each with its field key; ``apply`` runs the same ``check`` and raises the first problem.
- The rules of a new project depend on the register's state only through its department (known,
  and the actor may create there). So a change set may carry the proof that ``check`` passed its
  new projects unchanged (``NewsChecked``, from an import's plan); ``apply`` then runs again, in
  its transaction, only those two rules and the one on what can still change (the progress
  dicts), and the full check whenever the proof does not fit the list it is handed.
- Values are normalised to their stored form (trimmed text, cents, periods).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dc_field
from decimal import Decimal
from itertools import chain
from operator import attrgetter
from typing import NamedTuple

from .access import Actor
from .errors import EMPTY, InvalidValue, NotFound, SachstandError
from .models import (
    EDITABLE_FIELDS,
    REQUIRED_FIELDS,
    City,
    Department,
    FieldKey,
    NewFundedProject,
    NewProject,
    Project,
    field_label,
    is_progress_key,
    parse_field_key,
    progress_key,
    progress_year,
)
from .types import MONEY_MAX, Period, clean_text, format_number, to_cents, year_problem

__all__ = [  # the field keys (defined in ``models``) are re-exported beside the change set
    "FieldKey", "is_progress_key", "parse_field_key", "progress_key", "progress_year",
]


class ArchiveChange(NamedTuple):
    """Archive (or restore) one project read at ``expected_version``."""

    project_id: str
    expected_version: int
    archived: bool = True


@dataclass(frozen=True)
class ProjectUpdate:
    """Changes to one project, keyed by field name (``EDITABLE_FIELDS`` or ``progress:YEAR``)."""

    project_id: str
    expected_version: int
    changes: dict[str, object]


@dataclass
class ChangeSet:
    """Everything one unit of work writes: applied all together, or not at all."""

    new_departments: list[Department] = field(default_factory=list)
    new_projects: list[NewProject] = field(default_factory=list)
    updates: list[ProjectUpdate] = field(default_factory=list)
    archive: list[ArchiveChange] = field(default_factory=list)
    #: funded projects whose ``linked_projects`` are register project IDs (admin only)
    funded_projects: list[NewFundedProject] = field(default_factory=list)
    #: figures a published report stated, by year (admin only; replaces the year's figures)
    reported_figures: dict[int, dict[str, int]] = field(default_factory=dict)
    #: the register's city (admin only)
    city: City | None = None
    #: the new projects without an ID were planned as absent by ``models.match_key`` (an import's
    #: rows matched by department and name): the write refuses them all if one exists meanwhile
    absent_names: bool = False
    #: a register recreated from its own workbook: its department codes are taken as they were
    #: (``look_alike`` is not asked of them)
    restoring: bool = False
    #: ``check``'s proof that it passed ``new_projects`` unchanged (``Checked.news_checked``), so
    #: ``apply`` runs only the rules that depend on the register's state again (``NewsChecked``);
    #: not part of what is written, so not of the change set's value either
    news_checked: NewsChecked | None = field(default=None, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not (self.new_departments or self.new_projects or self.updates or self.archive
                    or self.funded_projects or self.reported_figures or self.city)


@dataclass(frozen=True)
class ApplyResult:
    created: list[str]
    changed_fields: int


TEXT_MAX = 32_767  # UTF-16 code units, as Excel counts them: what one Excel cell holds
CODE_MAX = 20
_CODE_PUNCTUATION = frozenset(" .-_&()+,")


def excel_length(text: str) -> int:
    """A text's length as Excel counts it: UTF-16 code units, so a character beyond U+FFFF (most
    emoji) counts twice. A cell holds ``TEXT_MAX`` of them."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def length_problem(text: str) -> str | None:
    """The length rule of a stored text: at most ``TEXT_MAX`` as ``excel_length`` counts, so an
    export never cuts it. Returns the reason it is refused, or None."""
    if len(text) <= TEXT_MAX // 2:
        return None
    units = excel_length(text)
    return None if units <= TEXT_MAX else too_long(units, len(text))


def too_long(length: int, characters: int | None = None) -> str:
    """The reason a text of ``length`` units (``excel_length``; ``characters`` when that differs)
    is refused (shared with the import's cells)."""
    counted = "" if characters in (None, length) else " (wie Excel zählt: Emoji und andere Zeichen über U+FFFF doppelt)"
    return (f"ist {format_number(length)} Zeichen lang{counted}; erlaubt sind höchstens {format_number(TEXT_MAX)} "
            "(so viel fasst eine Excel-Zelle)")


def text_problem(text: str) -> str | None:
    """The one rule of a stored text: within ``TEXT_MAX`` (``length_problem``), and neither of the
    noncharacters U+FFFE and U+FFFF, which no XML part (so no workbook or document) can hold.
    Returns the reason it is refused, or None."""
    if (reason := length_problem(text)) is not None:
        return reason
    if "\ufffe" in text or "\uffff" in text:
        return "enthält das Nichtzeichen U+FFFE oder U+FFFF; bitte entfernen"
    return None


def check_text(label: str, text: str) -> str:
    """Raise ``InvalidValue`` (with ``label``) for a text ``text_problem`` refuses; returns it unchanged."""
    if (reason := text_problem(text)) is not None:
        raise InvalidValue(label, reason)
    return text


ID_MAX = 40
#: the highest number a project ID may carry: ``id_counters.last_number`` is a 32-bit INTEGER
ID_NUMBER_MAX = 2**31 - 1
_PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*-([0-9]+)")
_ID_EXAMPLE = "(z. B. „FB11-004“)"


def project_id_problem(pid: str) -> str | None:
    """The one rule for a project ID given from outside (a workbook, a recreated register): a
    prefix of ASCII letters, digits and ``_ . -`` (starting with a letter or digit), a hyphen and
    a number of at most ``ID_NUMBER_MAX`` (the range of the department's ID counter), at most
    ``ID_MAX`` characters in all. So an ID holds no control, bidi or invisible character and
    never overflows the counter. Returns the reason it is refused, or ``None``."""
    m = _PROJECT_ID.fullmatch(pid)
    if len(pid) > ID_MAX or m is None:
        return (f"ist keine Projekt-ID {_ID_EXAMPLE}: erlaubt sind ein Kürzel aus Buchstaben, Ziffern "
                f"und _ . - , ein Bindestrich und eine Nummer, höchstens {ID_MAX} Zeichen")
    if int(m.group(1)) > ID_NUMBER_MAX:
        return f"hat eine zu große Nummer (höchstens {format_number(ID_NUMBER_MAX)})"
    return None


def check_project_id(pid: str) -> str:
    """Raise ``InvalidValue`` (field „Projekt-ID“) for an ID that ``project_id_problem`` refuses."""
    if (reason := project_id_problem(pid)) is not None:
        raise InvalidValue("Projekt-ID", f"„{pid}“ {reason}")
    return pid


def check_department_code(code: str) -> str:
    """A new department's code: trimmed, at most ``CODE_MAX`` characters of letters, digits,
    spaces and ``. - _ & ( ) + ,``, starting with a letter or digit. Such a code is printable
    and usable in a file name (no slash, no control or bidi character)."""
    code = clean_text(code)
    if not code:
        raise InvalidValue("Bereich", EMPTY)
    if (len(code) > CODE_MAX or not code[0].isalnum()
            or not all(c.isalnum() or c in _CODE_PUNCTUATION for c in code)):
        raise InvalidValue(
            "Bereich", f"„{code}“ ist kein brauchbares Kürzel: erlaubt sind bis zu {CODE_MAX} Buchstaben, "
            "Ziffern, Leerzeichen und . - _ & ( ) + , (am Anfang ein Buchstabe oder eine Ziffer)",
        )
    return code


def code_key(code: str) -> str:
    """What a reader sees of a department code: its letters and digits, ignoring case ("FB 11",
    "fb11" and "FB-11" read alike)."""
    return "".join(c for c in code.casefold() if c.isalnum())


def code_keys(codes: Iterable[str]) -> dict[str, str]:
    """``code_key`` → code, for ``look_alike``; the first code in sorted order for a shared key."""
    keys: dict[str, str] = {}
    for code in sorted(codes):
        keys.setdefault(code_key(code), code)
    return keys


def look_alike(code: str, keys: dict[str, str]) -> str | None:
    """The rule beside ``check_department_code`` for a new department: no known one reads alike
    (``code_key``; ``keys`` from ``code_keys``), or a list's "FB11" and "FB-11" became two more
    departments beside "FB 11". Returns the reason it is refused, or None."""
    other = keys.get(code_key(code))
    if other is None or other == code:
        return None
    return (f"„{code}“ sieht aus wie der Bereich „{other}“; bitte „{other}“ schreiben (ein neuer Bereich "
            "braucht ein Kürzel, das sich davon unterscheidet)")


def check_value(name: str, value: object) -> object:
    """Check one field value and bring it to its stored form; raises ``InvalidValue`` (whose
    ``key`` is ``name``, so a form or a sheet can put it at its field or cell).

    The label is looked up only for an error: a bulk import checks millions of values.
    """
    try:
        return _check_value(name, value)
    except InvalidValue as exc:
        exc.key = name
        raise


def check_progress(year: int, value: object) -> object:
    """The one rule of a year's progress value: None, or a whole number from 0 to 100; raises
    ``InvalidValue`` keyed ``progress:YEAR``."""
    # the common case, without building the key: exactly what ``check_value`` passes unchanged
    # (a four-digit year makes a well-formed key; ``bool`` is not ``int`` by ``type``)
    if type(value) is int and 0 <= value <= 100 and type(year) is int and 1000 <= year <= 9999:
        return value
    return check_value(progress_key(year), value)


def _progress_value(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidValue(field_label(name), f"„{value}“ ist keine ganze Zahl von 0 bis 100")
    return value


def _required_text(name: str, value: object) -> object:
    text = clean_text(str(value or ""))
    if not text:
        raise InvalidValue(field_label(name), EMPTY)
    if (reason := text_problem(text)) is not None:  # the label is looked up only for a refusal
        raise InvalidValue(field_label(name), reason)
    return text


def _optional_text(name: str, value: object) -> object:
    text = clean_text(str(value or ""))
    if (reason := text_problem(text)) is not None:
        raise InvalidValue(field_label(name), reason)
    return text


def _cost(name: str, value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, (Decimal, int)) or isinstance(value, bool) or (
            isinstance(value, Decimal) and not value.is_finite()):
        raise InvalidValue(field_label(name), "muss ein genauer Eurobetrag sein")
    if type(value) is Decimal and value.as_tuple().exponent == -2:
        amount = value  # already in cents: its own stored form (quantize would make an equal copy)
    else:
        if abs(exact := Decimal(value)) > MONEY_MAX:  # 1E+30 has more digits than rounding to the cent allows
            raise InvalidValue(field_label(name), "darf nicht negativ sein" if exact < 0 else "ist zu groß")
        amount = to_cents(exact)
    if amount < 0:
        raise InvalidValue(field_label(name), "darf nicht negativ sein")
    if amount > MONEY_MAX:
        raise InvalidValue(field_label(name), "ist zu groß")
    return amount


def _priority(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9999:
        raise InvalidValue(field_label(name), f"„{value}“ ist keine ganze Zahl ab 1")
    return value


def _period(name: str, value: object) -> object:
    if value is not None and not isinstance(value, Period):
        raise InvalidValue(field_label(name), "muss ein Datum oder Quartal sein")
    if value is not None and (problem := year_problem(value.first_day.year, value.format())):
        raise InvalidValue(field_label(name), problem)
    return value


_FIELD_CHECKS = {"department": _required_text, "name": _required_text, "description": _optional_text,
                 "cost_note": _optional_text, "planned_cost": _cost, "priority": _priority,
                 "start": _period, "end": _period}
"""The rule of each editable field (``REQUIRED_FIELDS`` are the required texts)."""
assert set(_FIELD_CHECKS) == set(EDITABLE_FIELDS)
assert {k for k, f in _FIELD_CHECKS.items() if f is _required_text} == set(REQUIRED_FIELDS)


def _check_value(name: str, value: object) -> object:
    rule = _FIELD_CHECKS.get(name)
    if rule is not None:
        return rule(name, value)
    if is_progress_key(name):
        return _progress_value(name, value)
    raise InvalidValue(field_label(name), "ist kein änderbares Feld")


def date_order_problem(start: object, end: object) -> str | None:
    """The one date-order rule: the planned end may not lie before the start. Returns the German
    reason, or None when the order is fine or either side is not a period."""
    if isinstance(start, Period) and isinstance(end, Period) and end.last_day < start.first_day:
        return f"{end.format()} liegt vor dem Beginn {start.format()}"
    return None


def check_dates(start: Period | None, end: Period | None) -> None:
    """Raise ``InvalidValue`` on the end field when ``date_order_problem`` finds one."""
    if (reason := date_order_problem(start, end)) is not None:
        raise InvalidValue(field_label("end"), reason, key="end")


class _Proven:
    """What the rules of ``normalise_new`` already accepted unchanged within one ``check``: an
    import hands over 100,000 new projects whose departments, dates, amounts and progress series
    are a few thousand shared objects (and whose texts repeat), so each is checked once. A value
    counts as proven only when the rule gave it back as it is. Texts are remembered by value (a
    text rule gives an equal text back as the same object), anything else by identity (the
    object is kept, so its ``id`` is never another's). At most ``LIMIT`` values per field."""

    LIMIT = 10_000

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._texts: dict[str, set[str]] = {}
        self._objects: dict[str, dict[int, object]] = {}

    def value(self, name: str, value: object, rule: Callable[[str, object], object]) -> object:
        """``rule(name, value)``, run once per value that it gives back unchanged."""
        if type(value) is str:
            texts = self._texts.get(name)
            if texts is not None and value in texts:
                return value
            out = rule(name, value)
            if out is value:
                texts = self._texts.setdefault(name, set())
                if len(texts) < self.LIMIT:
                    texts.add(value)
            return out
        objects = self._objects.get(name)
        if objects is not None and objects.get(id(value), self) is value:
            return value
        out = rule(name, value)
        if out is value:
            objects = self._objects.setdefault(name, {})
            if len(objects) < self.LIMIT:
                objects[id(value)] = value
        return out

    def may_create(self, _name: str, department: object) -> object:
        self.actor.require_write(str(department), "Projekte anlegen")
        return department


def _series(_name: str, progress: object) -> object:
    """Every year of a progress series has a value (``check_progress``)."""
    for year, percent in progress.items():  # type: ignore[attr-defined]  # a project's progress dict
        if check_progress(year, percent) is None:  # a year listed needs its value
            key = progress_key(year)
            raise InvalidValue(field_label(key), EMPTY, key=key)
    return progress


def normalise_new(n: NewProject, departments: set[str], actor: Actor, proven: _Proven | None = None) -> NewProject:
    """A new project checked and in its stored form; raises on the first problem. Every year in
    its progress has a value (None is refused; leave the year out). A project already in its
    stored form is returned itself (an import hands over 100,000 of them). ``proven``: the
    values ``check`` has already seen accepted (``_Proven``), so no rule runs twice on one value."""
    if proven is None or proven.actor is not actor:
        proven = _Proven(actor)
    seen = proven.value
    dept = seen("department", n.department, check_value)
    seen("may create", dept, proven.may_create)
    if dept not in departments:
        raise InvalidValue(field_label("department"), unknown_department(str(dept)), key="department")
    if n.progress:
        seen("progress", n.progress, _series)
    check_dates(n.start, n.end)
    name = str(check_value("name", n.name))
    description = str(seen("description", n.description, check_value))
    cost = seen("planned_cost", n.planned_cost, check_value)
    note = str(seen("cost_note", n.cost_note, check_value))
    start_text = "" if n.start else check_text(field_label("start"), clean_text(n.start_text))
    end_text = "" if n.end else check_text(field_label("end"), clean_text(n.end_text))
    priority = seen("priority", n.priority, check_value)
    pid = None if n.id is None else check_project_id(n.id)
    if (dept is n.department and name is n.name and description is n.description and cost is n.planned_cost
            and note is n.cost_note and start_text is n.start_text and end_text is n.end_text
            and priority is n.priority and pid is n.id):
        return n
    return NewProject(
        department=str(dept), name=name, description=description,
        planned_cost=cost,  # type: ignore[arg-type]
        cost_note=note, start=n.start, end=n.end, start_text=start_text, end_text=end_text,
        progress=n.progress,  # shared, not copied: an import hands over 100,000 of them
        priority=priority,  # type: ignore[arg-type]
        id=pid, archived=n.archived,
    )


def normalise_update(u: ProjectUpdate, cur: Project, departments: set[str], actor: Actor) -> ProjectUpdate:
    """An update checked against the project as stored, keeping only real changes; raises on the
    first problem."""
    actor.require_write(cur.department)
    changes: dict[str, object] = {}
    for name, value in u.changes.items():
        if not (name in EDITABLE_FIELDS or is_progress_key(name)):
            raise InvalidValue(name, "ist kein änderbares Feld")
        value = check_value(name, value)
        if value != cur.value(name):
            changes[name] = value
    if "department" in changes:
        target = str(changes["department"])
        if target not in departments:
            raise InvalidValue(field_label("department"), unknown_department(target), key="department")
        actor.require_write(target, "Projekte in diesen Bereich verschieben")
    start = changes.get("start", cur.start) if "start" in changes else cur.start
    end = changes.get("end", cur.end) if "end" in changes else cur.end
    if "start" in changes or "end" in changes:
        check_dates(start, end)  # type: ignore[arg-type]
    return ProjectUpdate(u.project_id, u.expected_version, changes)


_NO_TEXT = ""
"""A dated start or end keeps no text: ``normalise_new`` gives back only this very (empty) text."""
_GIVEN_BACK = ("department", "name", "description", "planned_cost", "cost_note", "priority")
"""The fields whose rule (``check_value``) must give each value of a new project back as it is."""


_LOW = (1 << 64) - 1


def _pair(first: int, second: int) -> int:
    """Two object IDs (addresses below 2**64) as one int."""
    return (first << 64) | second


def _distinct(values: list[object]) -> Iterable[object]:
    """Each value once: texts by value (a text rule gives an equal text back as the same object,
    as ``_Proven`` holds), anything else by identity."""
    if all(type(v) is str for v in values):
        return set(values)
    return {id(v): v for v in values}.values()


_AT_ONCE = 10_000
"""New projects ``news_as_they_are`` takes at a time: its lists and sets of distinct values are
per chunk (a whole restore of 100,000 projects held them all at its peak)."""


def news_as_they_are(news: Sequence[NewProject], departments: set[str], actor: Actor) -> bool:
    """``_as_they_are`` of ``news`` in chunks of ``_AT_ONCE``."""
    return all(_as_they_are(news[i:i + _AT_ONCE], departments, actor) for i in range(0, len(news), _AT_ONCE))


def _as_they_are(news: Sequence[NewProject], departments: set[str], actor: Actor) -> bool:
    """True when ``normalise_new`` gives every project of ``news`` back as itself, found a field at
    a time: each rule runs once per distinct value of its field (``_distinct``) and the date order
    once per distinct pair of periods. These are ``normalise_new``'s rules, in another order; any
    rule that refuses or changes a value gives False, and so does any error of a rule (a value it
    cannot handle, which per project might never be reached behind an earlier refusal): ``check``
    then goes project by project, names each problem, and fails where it always did. 25,000
    imported projects: 80 ms one by one, about a third of it so."""
    def each(name: str) -> list[object]:
        return list(map(attrgetter(name), news))

    try:
        for name in _GIVEN_BACK:
            for value in _distinct(each(name)):
                if check_value(name, value) is not value:
                    return False
        for dept in _distinct(each("department")):
            if dept not in departments:
                return False
            actor.require_write(str(dept), "Projekte anlegen")
        for progress in _distinct(each("progress")):
            if progress and _series("progress", progress) is not progress:
                return False
        starts, ends = each("start"), each("end")
        by_id = {id(p): p for p in chain(starts, ends)}  # the few distinct ones (an import shares them)
        # a pair as one int, not a tuple: 100,000 restored projects held 25 MB of tuples here
        for pair in set(map(_pair, map(id, starts), map(id, ends))):
            check_dates(by_id[pair >> 64], by_id[pair & _LOW])  # type: ignore[arg-type]
        for key, periods in (("start", starts), ("end", ends)):
            texts = each(f"{key}_text")
            if any(t is not _NO_TEXT for p, t in zip(periods, texts, strict=True) if p):
                return False
            label = field_label(key)
            for text in _distinct([t for p, t in zip(periods, texts, strict=True) if not p]):
                if check_text(label, clean_text(text)) is not text:  # type: ignore[arg-type]
                    return False
        for pid in _distinct(each("id")):
            if pid is not None and check_project_id(pid) is not pid:  # type: ignore[arg-type]
                return False
    except Exception:  # a refusal, or a value a rule cannot handle: the per-project pass decides
        return False
    return True


def unknown_department(code: str) -> str:
    """The one reason an unknown department is refused."""
    return f"„{code}“ gibt es nicht im Register"


def no_such_department(code: str, known: list[str]) -> SachstandError:
    """The one refusal of a department code that a command names but the register lacks."""
    return SachstandError(f"Den Bereich „{code}“ gibt es nicht. Bekannt: {', '.join(known)}.")


def normalise_department(d: Department, actor: Actor) -> None:
    """A new department: the actor may create it, its code is usable and trimmed, its name fits."""
    actor.require_write(d.code, "Bereich anlegen")
    if check_department_code(d.code) != d.code:
        raise InvalidValue("Bereich", f"„{d.code}“ hat Leerzeichen am Anfang oder Ende")
    check_text("Name des Bereichs", d.name or "")


@dataclass(frozen=True)
class Problem:
    """One refused entry: the project (ID, or ``#n`` for the n-th new one), the field (a label),
    the German reason, the field key when known (``end``, ``progress:2020``; "" otherwise) and the
    refusal itself (``apply`` raises the first one as it is)."""

    project: str
    field: str
    reason: str
    key: str = ""
    error: SachstandError | None = dc_field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        """The reason with its field's label, as one German line ("Geplantes Ende: …")."""
        return f"{self.field}: {self.reason}" if self.field else self.reason


def _fingerprint(news: Sequence[NewProject]) -> int:
    """The identity of a list's projects, in order (a project held by the list keeps its ``id``)."""
    return hash(tuple(map(id, news)))


@dataclass(frozen=True)
class NewsChecked:
    """``check``'s proof that every rule passed a list of new projects as they are (each came
    back from ``normalise_new`` as itself), for a write of the same list in another transaction.

    It names the projects by identity (``covers``: the same objects in the same order; a project
    is immutable but for its progress dict) and keeps the departments they go to. ``still_holds``
    is what the write asks in its own transaction: the rules that depend on the register's state
    (each department is known, the actor may create projects there) and the one rule on what can
    change in place (each distinct progress dict is a complete series, ``_series``)."""

    count: int
    fingerprint: int
    departments: frozenset[str]

    @classmethod
    def of(cls, news: Sequence[NewProject]) -> NewsChecked:
        return cls(len(news), _fingerprint(news), frozenset(n.department for n in news))

    def covers(self, news: Sequence[NewProject]) -> bool:
        """True when ``news`` holds the very projects this proof was made for, in order."""
        return len(news) == self.count and _fingerprint(news) == self.fingerprint

    def still_holds(self, news: Sequence[NewProject], departments: set[str], actor: Actor) -> bool:
        """True when ``news`` (``covers``) pass the state's rules with these known ``departments``
        and this ``actor``; False asks for the full ``check`` (which names the first problem)."""
        if not (self.departments <= departments and all(actor.can_write(d) for d in self.departments)):
            return False
        seen: set[int] = set()
        try:
            for n in news:
                if n.progress and id(n.progress) not in seen:
                    seen.add(id(n.progress))
                    _series("progress", n.progress)
        except SachstandError:
            return False
        return True


@dataclass
class Checked:
    """What ``check`` found: every problem, and the change set's new projects and updates in their
    stored form (normalised, only real changes kept; complete only when there is no problem).
    ``news_checked``: the proof that the new projects passed as they are (``NewsChecked``), when
    they did."""

    problems: list[Problem]
    new_projects: list[NewProject]
    updates: list[ProjectUpdate]
    news_checked: NewsChecked | None = None

    def raise_first(self) -> None:
        """Raise the first problem's refusal (``InvalidValue``, ``PermissionDenied``), if any."""
        if self.problems:
            error = self.problems[0].error
            raise error if error is not None else SachstandError(self.problems[0].message)


def _problem(project: str, exc: SachstandError) -> Problem:
    if isinstance(exc, InvalidValue):
        return Problem(project, exc.field, exc.reason, exc.key, exc)
    return Problem(project, "", str(exc), "", exc)


def check(changeset: ChangeSet, current: dict[str, Project], actor: Actor,
          departments: set[str] | None = None) -> Checked:
    """Every problem of ``changeset`` against the projects as stored (``current``, by ID), and its
    normalised new projects and updates. ``Repository.apply`` runs this same check (and raises the
    first problem); the import preview and the TUI form run it to map each problem to a cell or a
    field. ``departments`` are the known codes (default: those of ``current``); the change set's
    new departments are added to them."""
    known = set(departments if departments is not None else {p.department for p in current.values()})
    problems: list[Problem] = []
    keys = code_keys(known) if changeset.new_departments else {}
    for d in changeset.new_departments:
        if d.code in known:
            continue
        try:
            normalise_department(d, actor)
            if not changeset.restoring and (reason := look_alike(d.code, keys)) is not None:
                raise InvalidValue("Bereich", reason)
        except SachstandError as exc:
            problems.append(_problem("", exc))
        known.add(d.code)
        keys.setdefault(code_key(d.code), d.code)
    news: list[NewProject] = []
    proof = None
    if changeset.new_projects and news_as_they_are(changeset.new_projects, known, actor):
        news = list(changeset.new_projects)
        proof = NewsChecked.of(news)
    else:
        proven = _Proven(actor)
        refused = len(problems)
        for i, n in enumerate(changeset.new_projects, 1):
            try:
                news.append(normalise_new(n, known, actor, proven))
            except SachstandError as exc:
                problems.append(_problem(f"#{i}", exc))
        if len(problems) == refused and all(a is b for a, b in zip(news, changeset.new_projects, strict=True)):
            proof = NewsChecked.of(changeset.new_projects)
    updates: list[ProjectUpdate] = []
    for u in changeset.updates:
        cur = current.get(u.project_id)
        if cur is None:
            problems.append(_problem(u.project_id, NotFound(f"Projekt {u.project_id} gibt es nicht.")))
            continue
        try:
            updates.append(normalise_update(u, cur, known, actor))
        except SachstandError as exc:
            problems.append(_problem(u.project_id, exc))
    return Checked(problems, news, updates, proof)
