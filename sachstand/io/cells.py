"""Tolerant parsing of single cell values as python-calamine returns them.

Rules:
- Cells come as ``str``, ``float``, ``int``, ``bool``, ``date`` or ``datetime``; ``""`` is empty.
- An empty cell means "no value given" and is ``None`` here; the diff never clears a stored
  value because a cell is blank.
- Text is trimmed of ordinary and non-breaking spaces. Control characters other than tab and line
  breaks, and text over Excel's own limit of 32,767 characters, are refused.
- Progress: 45, 45.0, "45", "45 %", and 0.45 in a cell formatted as a percentage. Anything else
  ("ca. 50", 45.5, -5, 101) is refused with the rule.
- Money: numbers and German text ("1.234,56 €"); at most two decimal places, where a float that
  is within a millionth of a cent value counts as that value (formula results such as 1.19 * x).
- Dates: real dates, "01.06.2017", "Q 4 2020", "06/2020", and a whole number 1900..2200 as a
  year. Impossible days ("31.02.2021"), "Q5 2020" and "11.05.217" are refused.
All errors are ``ValueError`` with a German message that names the value and the rule.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal

from ..core.changes import length_problem, project_id_problem
from ..core.types import (
    MONEY_MAX,
    CostField,
    Period,
    clean_text,
    parse_cost_field,
    parse_percent,
    parse_period,
    to_cents,
)

_MILLIONTH_CENT = Decimal("0.000001")  # a float this close to a cent value counts as that value
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _finite(value: object) -> None:
    """Refuse infinite, NaN and absurdly large numbers before any conversion sees them."""
    if isinstance(value, float) and (not math.isfinite(value) or abs(value) > 1e15):
        raise ValueError(f"„{shown(value)}“ ist keine gültige Zahl")


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value))


def shown(value: object) -> str:
    """The value as the user typed or sees it, for problem messages."""
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "unendlich" if math.isinf(value) else "keine Zahl"
        return format(Decimal(repr(value)).normalize(), "f").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def text(value: object) -> str | None:
    """A text field; numbers are taken as the digits the cell shows."""
    if type(value) is str:
        if (reason := length_problem(value)) is not None:
            raise ValueError(reason)
        if m := _CONTROL.search(value):
            raise ValueError(f"Text enthält das Steuerzeichen U+{ord(m.group()):04X}; bitte entfernen")
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return clean_text(value) or None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"„{shown(value)}“ ist kein Text")
    if isinstance(value, (int, float, date)):
        return shown(value)
    return text(str(value))


def ident(value: object) -> str | None:
    if is_empty(value):
        return None
    if not isinstance(value, str):
        raise ValueError(f"„{shown(value)}“ ist keine Projekt-ID (z. B. „FB11-004“)")
    s = clean_text(value)
    if (reason := project_id_problem(s)) is not None:
        raise ValueError(f"„{shown(s)}“ {reason}")
    return s


def percent(value: object, share: bool = False) -> int | None:
    """Progress 0..100; ``share`` when the cell is formatted as a percentage (0.45 → 45)."""
    if type(value) is float and not share and value.is_integer() and 0 <= value <= 100:
        return int(value)
    if is_empty(value):
        return None
    if isinstance(value, (date, datetime)):
        raise ValueError(f"„{shown(value)}“ ist keine ganze Zahl von 0 bis 100")
    if isinstance(value, float):
        _finite(value)
        number = Decimal(repr(value))
        if share:
            number = number * 100
        return parse_percent(number)
    return parse_percent(value)


def money(value: object) -> CostField | None:
    """A cost cell: exact amount and any words around it (see ``core.types.parse_cost_field``)."""
    if type(value) is float and (cents := plain_cents(value)) is not None:
        return CostField(cents, "")
    if is_empty(value):
        return None
    if isinstance(value, (bool, date, datetime)):
        raise ValueError(f"„{shown(value)}“ ist kein Eurobetrag")
    if isinstance(value, (int, float)):
        _finite(value)
        if isinstance(value, int) and abs(value) > MONEY_MAX:
            raise ValueError(f"„{shown(value)}“ ist zu groß")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        cents = to_cents(amount)
        if abs(amount - cents) > _MILLIONTH_CENT:
            raise ValueError(f"„{shown(value)}“ hat mehr als zwei Nachkommastellen")
        if cents < 0:
            raise ValueError(f"„{shown(value)}“: Kosten dürfen nicht negativ sein")
        if cents > MONEY_MAX:
            raise ValueError(f"„{shown(value)}“ ist zu groß")
        return CostField(cents, "")
    return parse_cost_field(text(value) or "")


def plain_cents(value: float) -> Decimal | None:
    """The common cost cell, a float that Python shows with at most two decimals ("1234.5"), as
    the general path makes it (``to_cents(Decimal(repr(value)))``: the same digits, in cents),
    without its arithmetic; None for any other float (negative, an exponent, more decimals,
    beyond ``MONEY_MAX``), which takes the general path and its messages."""
    whole, dot, decimals = repr(value).partition(".")
    if not dot or len(decimals) > 2 or not whole.isdigit() or not decimals.isdigit():
        return None
    cents = Decimal(f"{whole}.{decimals:0<2}")
    return cents if cents <= MONEY_MAX else None


def period(value: object) -> Period | None:
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return Period.day(value.date())
    if isinstance(value, date):
        return Period.day(value)
    if isinstance(value, bool):
        raise ValueError(f"„{shown(value)}“ ist kein Datum")
    if isinstance(value, (int, float)):
        _finite(value)
        if value == int(value) and 1900 <= int(value) <= 2200:
            return Period.year(int(value))
        raise ValueError(f"„{shown(value)}“ ist kein Datum (erwartet z. B. „31.12.2020“, „Q 4 2020“ oder „2020“)")
    return parse_period(str(value))

