"""Domain types: money as exact Decimal euros, and periods that keep their precision.

Rules:
- Money is always ``Decimal`` with two places; floats are refused, because a report sum must be
  exact to the cent (the funding table adds up to 6.961.704,07 €).
- A period is a date *with a precision*: day, month, quarter or year. "Q 4 2020" stays a quarter;
  it starts on 01.10.2020 and ends on 31.12.2020. Comparisons such as "overdue" use the period's
  last day.
- Parsers accept what people type in German spreadsheets and raise ``ValueError`` with a German
  message naming the rule, which the import shows next to the cell.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from functools import cached_property

from .text import clean_text as clean_text

Money = Decimal

CENT = Decimal("0.01")
MONEY_MAX = Decimal("999999999999.99")


def to_cents(amount: Decimal) -> Money:
    """``amount`` to the cent by German commercial rounding (kaufmännisches Runden: a half cent
    rounds away from zero, 2,345 € → 2,35 €), as a city's finance department rounds: the one
    rounding rule for money, wherever an amount is taken in or shown."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Precision(str, Enum):  # noqa: UP042 - StrEnum would change what str() and format() print
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, order=True)
class Period:
    """A span of calendar time given as its first day and a precision."""

    first_day: date
    precision: Precision

    @classmethod
    def day(cls, d: date) -> Period:
        return cls(d, Precision.DAY)

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        if not 1 <= q <= 4:
            raise ValueError(f"Quartal {q} gibt es nicht (erlaubt: 1 bis 4)")
        return cls(date(year, 3 * (q - 1) + 1, 1), Precision.QUARTER)

    @classmethod
    def month(cls, year: int, m: int) -> Period:
        return cls(date(year, m, 1), Precision.MONTH)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), Precision.YEAR)

    @cached_property
    def last_day(self) -> date:
        """The span's last day (kept once worked out: an import compares 100,000 date orders
        over a few thousand shared periods)."""
        d = self.first_day
        if self.precision is Precision.DAY:
            return d
        if self.precision is Precision.MONTH:
            return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
        if self.precision is Precision.QUARTER:
            end_month = d.month + 2
            return date(d.year, end_month, calendar.monthrange(d.year, end_month)[1])
        return date(d.year, 12, 31)

    def format(self) -> str:
        """German display: "31.12.2020", "Q 4 2020", "06/2020" or "2020"."""
        d = self.first_day
        if self.precision is Precision.DAY:
            return d.strftime("%d.%m.%Y")
        if self.precision is Precision.MONTH:
            return f"{d.month:02d}/{d.year}"
        if self.precision is Precision.QUARTER:
            return f"Q {(d.month - 1) // 3 + 1} {d.year}"
        return str(d.year)

    def __str__(self) -> str:
        return self.format()



_DAY_RE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]00:00(?::00)?)?$")
_QUARTER_RE = re.compile(r"^(?:Q|Quartal)\s*([0-9])\s*[/.\-]?\s*([0-9]{4})$", re.IGNORECASE)
_QUARTER_ALT_RE = re.compile(r"^([0-9])\s*\.?\s*(?:Q|Quartal)\s*[/.\-]?\s*([0-9]{4})$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^([0-9]{1,2})\s*[/.]\s*([0-9]{4})$")
_YEAR_RE = re.compile(r"^([0-9]{4})$")


YEAR_MIN, YEAR_MAX = 1900, 2200


def is_digits(text: str) -> bool:
    """Only the ASCII digits 0-9 (``str.isdigit`` and ``\\d`` also take "١٢٣" or "²")."""
    return text.isascii() and text.isdigit()


def parse_year(text: str) -> int | None:
    """A year as the user writes it: four ASCII digits from ``YEAR_MIN`` to ``YEAR_MAX``; else None."""
    text = text.strip()
    if not is_digits(text) or not YEAR_MIN <= int(text) <= YEAR_MAX:
        return None
    return int(text)


def _without_spaces(value: str) -> str:
    """A number's text without any space, non-breaking or not ("1 234,56 €", "45 %")."""
    return re.sub(r"\s", "", value)


def parse_period(text: str) -> Period:
    """Parse "31.12.2020", "2020-12-31", "Q 4 2020", "4. Quartal 2020", "06/2020" or "2020".

    Raises ``ValueError`` with a German message for anything else, including impossible days
    such as 31.02.2021 and three-digit years such as "11.05.217".
    """
    s = re.sub(r"\s+", " ", clean_text(text))
    if not s:
        raise ValueError("Datum fehlt")
    if m := _DAY_RE.match(s):
        d, mo, y = (int(g) for g in m.groups())
        return Period.day(_make_date(y, mo, d, s))
    if m := _ISO_RE.match(s):
        y, mo, d = (int(g) for g in m.groups())
        return Period.day(_make_date(y, mo, d, s))
    if (m := _QUARTER_RE.match(s)) or (m := _QUARTER_ALT_RE.match(s)):
        q, y = int(m.group(1)), int(m.group(2))
        if not 1 <= q <= 4:
            raise ValueError(f"„{s}“: Quartal {q} gibt es nicht (erlaubt: Q 1 bis Q 4)")
        return Period.quarter(_check_year(y, s), q)
    if m := _MONTH_RE.match(s):
        mo, y = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ValueError(f"„{s}“: Monat {mo} gibt es nicht")
        return Period.month(_check_year(y, s), mo)
    if m := _YEAR_RE.match(s):
        return Period.year(_check_year(int(m.group(1)), s))
    raise ValueError(
        f"„{s}“ ist kein Datum (erwartet z. B. „31.12.2020“, „Q 4 2020“ oder „2020“)"
    )


def year_problem(y: int, shown: str) -> str | None:
    """The one rule for a date's year: from ``YEAR_MIN`` to ``YEAR_MAX``; else the German reason."""
    if YEAR_MIN <= y <= YEAR_MAX:
        return None
    return f"„{shown}“: das Jahr {y} liegt außerhalb von {YEAR_MIN} bis {YEAR_MAX}"


def _check_year(y: int, s: str) -> int:
    if problem := year_problem(y, s):
        raise ValueError(problem)
    return y


def _make_date(y: int, mo: int, d: int, s: str) -> date:
    _check_year(y, s)
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"„{s}“ ist kein gültiges Datum (diesen Tag gibt es nicht)") from None



_MONEY_STRIP = re.compile(r"(€|EUR|Euro)", re.IGNORECASE)


def parse_money(text: str) -> Money:
    """Parse a German euro amount: "1.234,56 €", "225.000 €", "1234,5", "1234.56", "0".

    A dot followed by exactly three digits is a thousands separator; a comma is the decimal
    separator. Negative amounts and more than two decimal places are refused.
    """
    s = _without_spaces(_MONEY_STRIP.sub("", clean_text(text))).replace("'", "")
    if not s:
        raise ValueError("Betrag fehlt")
    original = clean_text(text)
    if s.startswith("-"):
        raise ValueError(f"„{original}“: Kosten dürfen nicht negativ sein")
    if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?", s) or re.fullmatch(r"[0-9]+(,[0-9]{1,2})?", s):
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+\.[0-9]{1,2}", s):
        s = s.replace(",", "")
    elif not re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", s):
        raise ValueError(
            f"„{original}“ ist kein Eurobetrag (erwartet z. B. „1.234,56 €“, höchstens zwei Nachkommastellen)"
        )
    try:
        amount = to_cents(Decimal(s))
    except InvalidOperation:
        raise ValueError(f"„{original}“ ist kein Eurobetrag") from None
    if amount > MONEY_MAX:
        raise ValueError(f"„{original}“ ist zu groß")
    return amount


@dataclass(frozen=True)
class CostField:
    """A planned-cost cell split into the exact amount and the words around it.

    "225.000 €" → 225000.00 and ""; "4.000.000 € (Fördersumme)" → 4000000.00 and "Fördersumme";
    "Finanzierung über FB 30" → no amount and that note.
    """

    amount: Money | None
    note: str


_COST_WITH_NOTE = re.compile(r"^(?P<amount>[0-9.,\s]+\s*(?:€|EUR|Euro)?)\s*\((?P<note>[^)]*)\)$", re.I)


def parse_cost_field(text: str) -> CostField:
    """A cost as written: an amount ("1.234,56 €"), an amount with a note in brackets, or a text
    without a number (a note only). A text that starts with a sign and a digit ("-5,00 €") is
    an amount, refused, never a note."""
    s = clean_text(text)
    if not s:
        return CostField(None, "")
    try:
        return CostField(parse_money(s), "")
    except ValueError:
        pass
    if m := _COST_WITH_NOTE.match(s):
        try:
            return CostField(parse_money(m.group("amount")), clean_text(m.group("note")))
        except ValueError:
            pass
    signed = s[0] in "-−+" and is_digits(s[1:2])
    if signed and s[0] != "+":
        raise ValueError(f"„{s}“: Kosten dürfen nicht negativ sein")
    if not is_digits(s[0]) and not signed:
        return CostField(None, s)
    raise ValueError(
        f"„{s}“ ist kein Eurobetrag (erwartet z. B. „1.234,56 €“ oder ein Text ohne Zahl wie „Finanzierung über FB 30“)"
    )


def parse_percent(value: object) -> int:
    """A progress value: a whole number from 0 to 100.

    Accepts 45, 45.0, "45", "45 %", and a share such as 0.45 when ``as_share`` formatting was
    used in the sheet (the caller passes ``value * 100`` then). "ca. 50", 45.5, -5 and 101 are
    refused.
    """
    rule = "ist keine ganze Zahl von 0 bis 100"
    if isinstance(value, bool):  # as a sheet shows it
        raise ValueError(f"„{'WAHR' if value else 'FALSCH'}“ {rule}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, (float, Decimal)):
        if value != int(value):
            raise ValueError(f"„{_plain_number(value)}“ {rule}")
        n = int(value)
    elif isinstance(value, str):
        s = _without_spaces(value)
        if s.endswith("%"):
            s = s[:-1]
        if not re.fullmatch(r"-?[0-9]+([.,]0+)?", s):
            raise ValueError(f"„{clean_text(value)}“ {rule}")
        n = int(re.split(r"[.,]", s)[0])
    else:
        raise ValueError(f"„{value}“ {rule}")
    if not 0 <= n <= 100:
        raise ValueError(f"„{n}“ {rule}")
    return n


def _plain_number(value: float | Decimal) -> str:
    return format(Decimal(str(value)).normalize(), "f").replace(".", ",")


def format_money(amount: Money | None, empty: str = "–") -> str:
    """German euro display: 6961704.07 → "6.961.704,07 €"."""
    if amount is None:
        return empty
    q = to_cents(Decimal(amount))
    s = f"{q:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{s} €"


def format_date(d: date | None, empty: str = "–") -> str:
    return d.strftime("%d.%m.%Y") if d else empty


def format_percent(p: int | float | Decimal | None, empty: str = "–", digits: int = 0) -> str:
    if p is None:
        return empty
    if digits:
        text = f"{Decimal(str(p)):.{digits}f}".replace(".", ",")
    else:
        text = str(int(Decimal(str(p)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return f"{text} %"


def format_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")
