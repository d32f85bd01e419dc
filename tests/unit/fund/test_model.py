"""Pure rules of the fund: months and deadlines, amounts as written in a declaration, dollar
conversion, allocation oldest debt first, the late surcharge."""

from __future__ import annotations

from datetime import date

import pytest

from spmis.errors import InvalidInput
from spmis.fund import model as m


def test_deadlines() -> None:
    assert m.registration_due(date(2026, 10, 5)) == date(2026, 11, 4)
    assert m.affiliation_due(date(2026, 11, 29)) == date(2026, 12, 2)
    assert m.invoice_due("2026-11") == date(2026, 12, 15)
    assert m.invoice_due("2026-12") == date(2027, 1, 15)


def test_period_checks() -> None:
    start = date(2008, 11, 1)
    m.check_period_open("2008-11", start, date(2026, 12, 6))
    with pytest.raises(InvalidInput) as e:
        m.check_period_open("2008-10", start, date(2026, 12, 6))
    assert e.value.errors[0].code == "before_scheme"
    with pytest.raises(InvalidInput) as e:
        m.check_period_open("2027-01", start, date(2026, 12, 6))
    assert e.value.errors[0].code == "future_period"
    with pytest.raises(InvalidInput):
        m.parse_period("2026-13")


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1200000", "KHR", 1_200_000), ("1,200,000", "KHR", 1_200_000), ("250.5", "USD", 25_050),
    ("250", "USD", 25_000), ("0", "KHR", 0), ("1200000.00", "KHR", 1_200_000),
])
def test_amounts(text: str, currency: str, minor: int) -> None:
    assert m.to_minor(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "code"), [
    ("-5", "KHR", "negative"), ("abc", "KHR", "not_an_amount"), ("10.5", "KHR", "not_an_amount"),
    ("1.234", "USD", "not_an_amount"), ("10", "EUR", "unknown_currency"),
])
def test_bad_amounts(text: str, currency: str, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        m.to_minor(text, currency)
    assert e.value.errors[0].code == code


def test_usd_conversion_rounds_half_up() -> None:
    assert m.usd_cents_to_riel(25_050, 4_100) == 1_027_050  # 250.50 USD at 4,100
    assert m.usd_cents_to_riel(1, 4_050) == 41  # 40.5 riel -> 41


def test_content_hash_ignores_order() -> None:
    a = [m.Line(1, 100, "KHR"), m.Line(2, 200, "USD")]
    assert m.content_hash(a) == m.content_hash(list(reversed(a)))
    assert m.content_hash(a) != m.content_hash([m.Line(1, 101, "KHR"), m.Line(2, 200, "USD")])


def test_allocation_oldest_first_partial_and_over() -> None:
    debts = [m.Debt(7, date(2026, 12, 15), 300), m.Debt(3, date(2026, 11, 15), 500),
             m.Debt(9, date(2026, 11, 15), 100)]
    assert m.allocate(600, debts) == ([(3, 500), (9, 100)], 0)  # partial: the newest waits
    assert m.allocate(1_000, debts) == ([(3, 500), (9, 100), (7, 300)], 100)  # over: credit
    with pytest.raises(InvalidInput):
        m.allocate(0, debts)


def test_surcharge_by_month_begun() -> None:
    due = date(2026, 12, 15)
    assert m.months_late(due, date(2026, 12, 15)) == 0
    assert m.months_late(due, date(2026, 12, 16)) == 1
    assert m.months_late(due, date(2027, 1, 15)) == 1
    assert m.months_late(due, date(2027, 1, 16)) == 2
    assert m.surcharge(100_000, 0.02, due, date(2027, 1, 16)) == 4_000
    assert m.surcharge(100_000, 0.0, due, date(2027, 6, 1)) == 0
    assert m.invoice_state(100, 0) == "open"
    assert m.invoice_state(100, 40) == "partly_paid"
    assert m.invoice_state(100, 100) == "paid"
