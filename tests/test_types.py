"""Money stays exact, periods keep their precision, and parsers refuse with German reasons."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sachstand.core.text import json_text, safe_text
from sachstand.core.types import (
    Period,
    Precision,
    format_money,
    parse_cost_field,
    parse_money,
    parse_percent,
    parse_period,
)


@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("31.12.2020", date(2020, 12, 31), date(2020, 12, 31), Precision.DAY),
        ("1.6.2017", date(2017, 6, 1), date(2017, 6, 1), Precision.DAY),
        ("2020-02-29", date(2020, 2, 29), date(2020, 2, 29), Precision.DAY),
        ("Q 4 2020", date(2020, 10, 1), date(2020, 12, 31), Precision.QUARTER),
        ("Q1/2021", date(2021, 1, 1), date(2021, 3, 31), Precision.QUARTER),
        ("2. Quartal 2019", date(2019, 4, 1), date(2019, 6, 30), Precision.QUARTER),
        ("02/2024", date(2024, 2, 1), date(2024, 2, 29), Precision.MONTH),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), Precision.YEAR),
        ("\u00a0Q 3 2019 ", date(2019, 7, 1), date(2019, 9, 30), Precision.QUARTER),
    ],
)
def test_parse_period(text: str, first: date, last: date, precision: Precision) -> None:
    p = parse_period(text)
    assert (p.first_day, p.last_day, p.precision) == (first, last, precision)


def test_a_quarter_stays_a_quarter() -> None:
    assert parse_period("Q 4 2020").format() == "Q 4 2020"
    assert parse_period("31.12.2020").format() == "31.12.2020"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("11.05.217", "ist kein Datum"),
        ("31.02.2021", "diesen Tag gibt es nicht"),
        ("Q5 2020", "Quartal 5 gibt es nicht"),
        ("13/2020", "Monat 13 gibt es nicht"),
        ("bald", "ist kein Datum"),
        ("", "Datum fehlt"),
    ],
)
def test_parse_period_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("225.000 €", "225000.00"),
        ("1.234,56 €", "1234.56"),
        ("1234,5", "1234.50"),
        ("0", "0.00"),
        ("9.999.999,99 €", "9999999.99"),
        ("1,234.56", "1234.56"),
        ("2500 EUR", "2500.00"),
    ],
)
def test_parse_money(text: str, amount: str) -> None:
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["-5 €", "1,234", "12,345 €x", "1.2.3", "viel"])
def test_parse_money_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_cost_field_keeps_the_words() -> None:
    assert parse_cost_field("4.000.000 € (Fördersumme)").amount == Decimal("4000000.00")
    assert parse_cost_field("4.000.000 € (Fördersumme)").note == "Fördersumme"
    field = parse_cost_field("Finanzierung über FB 30")
    assert (field.amount, field.note) == (None, "Finanzierung über FB 30")


@pytest.mark.parametrize("text", ["-5,00 €", "−5", "-1.000 EUR (Eigenanteil)"])
def test_a_negative_cost_written_as_text_is_refused_not_kept_as_a_note(text: str) -> None:
    """"-5,00 €" was stored as a cost note, without a problem, and no amount."""
    with pytest.raises(ValueError, match="Kosten dürfen nicht negativ sein"):
        parse_cost_field(text)
    assert parse_cost_field("- siehe FB 30").note == "- siehe FB 30"


def test_a_yes_no_cell_is_named_as_the_sheet_shows_it() -> None:
    with pytest.raises(ValueError, match=r"^„WAHR“ ist keine ganze Zahl"):
        parse_percent(True)


@pytest.mark.parametrize(("value", "expected"), [(45, 45), ("45 %", 45), (45.0, 45), ("100", 100), (0, 0)])
def test_parse_percent(value: object, expected: int) -> None:
    assert parse_percent(value) == expected


@pytest.mark.parametrize("value", [-5, 101, 45.5, "ca. 50", "n/a", "neunzig", True])
def test_parse_percent_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="ist keine ganze Zahl von 0 bis 100"):
        parse_percent(value)


def test_format_money_is_german() -> None:
    assert format_money(Decimal("6961704.07")) == "6.961.704,07 €"
    assert format_money(Decimal("0")) == "0,00 €"
    assert format_money(None) == "–"


@given(st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2))
def test_money_round_trips_through_german_text(amount: Decimal) -> None:
    assert parse_money(format_money(amount)) == amount


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
       st.sampled_from(list(Precision)))
def test_period_round_trips_through_its_text(d: date, precision: Precision) -> None:
    p = {Precision.DAY: Period.day(d), Precision.MONTH: Period.month(d.year, d.month),
         Precision.QUARTER: Period.quarter(d.year, (d.month - 1) // 3 + 1),
         Precision.YEAR: Period.year(d.year)}[precision]
    assert parse_period(p.format()) == p


def test_safe_text_escapes_control_bidi_and_zero_width_visibly() -> None:
    assert safe_text("a\x1b[2Jb\u202ec\x07") == "a\\x1b[2Jb\\u202ec\\x07"
    assert safe_text("C1 \x9b DEL \x7f zw \u200b bom \ufeff iso \u2066") == (
        "C1 \\x9b DEL \\x7f zw \\u200b bom \\ufeff iso \\u2066")
    assert safe_text("x\ny") == "x y"
    assert safe_text("x\ny\tz", one_line=False) == "x\ny\tz"
    assert safe_text(b"/tmp/\xff.duckdb".decode("utf-8", "surrogateescape")) == "/tmp/\\udcff.duckdb"
    assert safe_text("Grüße – „ok“ €") == "Grüße – „ok“ €"


def test_json_text_escapes_c1_bidi_and_keeps_the_value() -> None:
    value = {"code": "A\x9bB\u202eC\x1b", "name": "Grüße"}
    out = json_text(value)
    assert "\x9b" not in out and "\u202e" not in out and "\x1b" not in out
    assert "Grüße" in out and "\\u009b" in out and "\\u202e" in out
    assert json.loads(out) == value


@pytest.mark.parametrize(("amount", "cents"), [("2.345", "2.35"), ("2.355", "2.36"), ("0.005", "0.01"),
                                               ("2.344999", "2.34"), ("1234.5", "1234.50"), ("7", "7.00")])
def test_money_is_rounded_half_up_to_the_cent_everywhere(amount: str, cents: str) -> None:
    """One rule (German commercial rounding): the core's field check, the workbook cell and the
    display round a half cent up, where Decimal's default (half to even) gives 2,34 € for 2,345 €."""
    from sachstand.core.changes import check_value
    from sachstand.core.types import CostField, format_money, to_cents
    from sachstand.io import cells

    assert to_cents(Decimal(amount)) == Decimal(cents)
    assert check_value("planned_cost", Decimal(amount)) == Decimal(cents)
    assert format_money(Decimal(amount)) == format_money(Decimal(cents))
    on_the_cent = float(cents) + 1e-9  # a spreadsheet float a hair off the cent is that cent
    assert cells.money(on_the_cent) == CostField(Decimal(cents), "")
