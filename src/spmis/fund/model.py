"""Pure rules of the social security fund: months, deadlines, declaration lines, conversion of
dollar wages, allocation of a payment to the oldest debts first and the late surcharge.

Standard library only (checked by import-linter); the amounts of the contributions themselves
come from the rules engine (``spmis.rules.contributions``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from spmis.errors import InvalidInput

#: days an enterprise has to register with the fund after hiring its first worker
REGISTRATION_DAYS = 30
#: days an employer has to declare a new worker after hiring
AFFILIATION_DAYS = 3
#: contributions of a month are due on this day of the next month
DUE_DAY = 15
CURRENCIES = ("KHR", "USD")
#: cents in a dollar, riel have no subunit
MINOR_UNITS = {"KHR": 1, "USD": 100}
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def bad(field: str, code: str, msg: str, msg_km: str) -> InvalidInput:
    """A refusal naming ``field`` and the reason, in English and Khmer."""
    return InvalidInput.one((field,), code, msg, msg_km)


def parse_period(period: str, field: str = "period") -> tuple[int, int]:
    """(year, month) of a 'YYYY-MM' month, or a refusal naming ``field``."""
    m = _PERIOD.match(period or "")
    if not m:
        raise bad(field, "bad_period", f"{field}: a month as YYYY-MM is needed, got {period!r}",
                  f"{field}៖ ត្រូវការខែជាទម្រង់ YYYY-MM")
    return int(m.group(1)), int(m.group(2))


def first_day(period: str) -> date:
    """The first day of a 'YYYY-MM' month."""
    year, month = parse_period(period)
    return date(year, month, 1)


def next_period(period: str) -> str:
    """The month after ``period``."""
    year, month = parse_period(period)
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def period_of(day: date) -> str:
    """The 'YYYY-MM' month of a day."""
    return f"{day.year}-{day.month:02d}"


def check_period_open(period: str, scheme_start: date, today: date) -> None:
    """A declaration month must lie between the fund's first month and the current month."""
    start = first_day(period)
    if start < scheme_start.replace(day=1):
        raise bad("period", "before_scheme",
                  f"period: {period} is before the fund's first month "
                  f"({period_of(scheme_start)})",
                  f"period៖ ខែ {period} មុនខែដំបូងនៃមូលនិធិ ({period_of(scheme_start)})")
    if start > today.replace(day=1):
        raise bad("period", "future_period", f"period: {period} has not begun",
                  f"period៖ ខែ {period} មិនទាន់ចាប់ផ្តើមទេ")


def registration_due(first_hire: date) -> date:
    """The last day an enterprise may register: 30 days after its first worker was hired."""
    return first_hire + timedelta(days=REGISTRATION_DAYS)


def affiliation_due(start: date) -> date:
    """The last day a worker may be declared: 3 days after hiring."""
    return start + timedelta(days=AFFILIATION_DAYS)


def invoice_due(period: str) -> date:
    """Contributions of ``period`` are due the 15th of the next month."""
    return first_day(next_period(period)).replace(day=DUE_DAY)


def to_minor(text: str, currency: str, field: str = "wage") -> int:
    """A wage written as a decimal ('1200000', '250.50') in the smallest unit of ``currency``;
    refuses a negative, a fraction finer than the unit or anything else."""
    if currency not in MINOR_UNITS:
        raise bad("currency", "unknown_currency",
                  f"currency: {currency!r} is not one of {', '.join(CURRENCIES)}",
                  f"currency៖ រូបិយប័ណ្ណ {currency!r} មិនត្រូវបានទទួលយកទេ")
    s = (text or "").strip().replace(",", "")
    if s.startswith("-"):
        raise bad(field, "negative", f"{field}: a wage cannot be negative ({text})",
                  f"{field}៖ ប្រាក់ឈ្នួលមិនអាចអវិជ្ជមានបានទេ ({text})")
    m = re.fullmatch(r"(\d{1,12})(?:\.(\d{1,2}))?", s)
    unit = MINOR_UNITS[currency]
    if not m or (m.group(2) and unit == 1 and int(m.group(2)) != 0):
        raise bad(field, "not_an_amount", f"{field}: {text!r} is not an amount in {currency}",
                  f"{field}៖ {text!r} មិនមែនជាចំនួនទឹកប្រាក់ជា {currency} ទេ")
    cents = int((m.group(2) or "0").ljust(2, "0")) if unit == 100 else 0
    return int(m.group(1)) * unit + cents


def usd_cents_to_riel(cents: int, khr_per_usd: int) -> int:
    """US cents in riel at the month's notified rate, rounded half up to the riel."""
    return (cents * khr_per_usd + 50) // 100


@dataclass(frozen=True)
class Line:
    """One worker's wage in a declaration: as declared (smallest unit + currency)."""

    person_id: int
    wage: int
    currency: str


def content_hash(lines: Iterable[Line]) -> str:
    """The same digest for the same lines in any order: a repeated upload is recognised."""
    text = "\n".join(f"{x.person_id}:{x.wage}:{x.currency}"
                     for x in sorted(lines, key=lambda x: x.person_id))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Debt:
    """An invoice with something left to pay, in the order debts are settled: oldest first."""

    invoice_id: int
    due_date: date
    outstanding: int


def allocate(amount: int, debts: Sequence[Debt]) -> tuple[list[tuple[int, int]], int]:
    """Spread ``amount`` over ``debts`` oldest first (due date, then invoice id): the
    (invoice id, amount) allocations and what is left over (a credit)."""
    if amount <= 0:
        raise bad("amount", "not_positive", "amount: a payment must be more than 0",
                  "amount៖ ការបង់ប្រាក់ត្រូវតែធំជាង 0")
    left = amount
    out: list[tuple[int, int]] = []
    for debt in sorted(debts, key=lambda d: (d.due_date, d.invoice_id)):
        if left == 0:
            break
        take = min(left, debt.outstanding)
        if take > 0:
            out.append((debt.invoice_id, take))
            left -= take
    return out, left


def months_late(due: date, on: date) -> int:
    """Whole months begun since ``due`` (0 when ``on`` is not after it)."""
    if on <= due:
        return 0
    months = (on.year - due.year) * 12 + on.month - due.month
    return months + (1 if on.day > due.day else 0)


def surcharge(outstanding: int, rate: float, due: date, on: date) -> int:
    """The late surcharge on ``outstanding`` at ``rate`` a month begun since ``due``, rounded half
    up to the unit."""
    months = months_late(due, on)
    return int(outstanding * rate * months + 0.5) if months and rate > 0 else 0


def invoice_state(amount: int, paid: int) -> str:
    """'paid', 'partly_paid' or 'open'."""
    if paid >= amount:
        return "paid"
    return "partly_paid" if paid > 0 else "open"
