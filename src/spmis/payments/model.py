"""Payments domain: programmes, beneficiaries, enrolment runs, payment cycles, entitlements, the
ledger and shocks. Pure: standard library and ``spmis.errors`` only.

States and the moves allowed between them are data here, so the service, the pages and the tests
read the same table:

* programme: draft -> active <-> suspended -> closed;
* beneficiary: candidate -> enrolled <-> suspended; any -> exited (with a reason);
  exited -> candidate / enrolled (re-entry);
* enrolment run and shock: pending -> approved | rejected | cancelled;
* payment cycle: draft -> pending_approval -> approved -> closed; draft/pending -> cancelled;
* entitlement line: draft -> approved (committed, waiting to be paid) -> paid | failed |
  returned; failed/returned -> approved (retried in a later payroll) | cancelled.

Money is an integer number of the smallest unit (riel, US cent) with its currency (``Money``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from spmis.errors import Conflict, FieldError, InvalidInput

__all__ = [
    "AUTO_EXIT_REASONS",
    "BENEFICIARY_MOVES",
    "COMMITTED_LINE_STATES",
    "CURRENCIES",
    "CYCLE_MOVES",
    "EXIT_REASON_TEXT",
    "PROGRAMME_MOVES",
    "BeneficiaryState",
    "Component",
    "CycleState",
    "DecisionState",
    "EntitlementState",
    "ExitReason",
    "Frequency",
    "LedgerLine",
    "Money",
    "ProgrammeState",
    "ShockKind",
    "check_code",
    "check_move",
    "check_period",
    "cycle_period_problems",
    "fiscal_year",
    "month_after",
    "month_start",
    "months_between",
    "period_of",
]

CURRENCIES = ("KHR", "USD")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


class ProgrammeState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    ONE_OFF = "one_off"
    PER_VISIT = "per_visit"


class BeneficiaryState(StrEnum):
    CANDIDATE = "candidate"
    ENROLLED = "enrolled"
    SUSPENDED = "suspended"
    EXITED = "exited"


class DecisionState(StrEnum):
    """An enrolment run's or a shock's decision by the checker."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ENDED = "ended"  # a shock after its end date


class CycleState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class EntitlementState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"
    FAILED = "failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class ShockKind(StrEnum):
    TOP_UP = "top_up"  # vertical: an extra amount to existing beneficiaries
    EXPANSION = "expansion"  # horizontal: temporary enrolment of households meeting the rule


class Component(StrEnum):
    """What an entitlement line pays; with the beneficiary, programme and period it is the line's
    unique key. A shock top-up's component is ``topup:<shock id>`` (``Component.topup``)."""

    BENEFIT = "benefit"  # the amount the rules give for the month

    @staticmethod
    def topup(shock_id: int) -> str:
        return f"topup:{shock_id}"


class ExitReason(StrEnum):
    """Why a beneficiary left. The automatic ones are found by a payment cycle from the registry
    and the pinned evaluation run; the beneficiary re-enters by itself when the rule holds again."""

    HOUSEHOLD_NOT_ACTIVE = "household_not_active"
    DEATH_RECORDED = "death_recorded"
    IDPOOR_CARD_EXPIRED = "idpoor_card_expired"
    CHILD_TURNED_2 = "child_turned_2"
    RULE_NO_LONGER_HOLDS = "rule_no_longer_holds"
    SHOCK_ENDED = "shock_ended"
    ENROLMENT_REJECTED = "enrolment_rejected"
    MANUAL = "manual"


AUTO_EXIT_REASONS = frozenset({
    ExitReason.HOUSEHOLD_NOT_ACTIVE, ExitReason.DEATH_RECORDED, ExitReason.IDPOOR_CARD_EXPIRED,
    ExitReason.CHILD_TURNED_2, ExitReason.RULE_NO_LONGER_HOLDS,
})

#: exit reasons in English and Khmer (notices, pages)
EXIT_REASON_TEXT: dict[str, tuple[str, str]] = {
    ExitReason.HOUSEHOLD_NOT_ACTIVE: ("the household is no longer active in the registry",
                                      "គ្រួសារលែងសកម្មក្នុងបញ្ជីឈ្មោះ"),
    ExitReason.DEATH_RECORDED: ("a death was recorded", "មានការកត់ត្រាមរណភាព"),
    ExitReason.IDPOOR_CARD_EXPIRED: ("the IDPoor card expired", "ប័ណ្ណក្រីក្រផុតសុពលភាព"),
    ExitReason.CHILD_TURNED_2: ("the child turned 2", "កុមារមានអាយុគ្រប់ ២ឆ្នាំ"),
    ExitReason.RULE_NO_LONGER_HOLDS: ("the programme's rule no longer holds",
                                      "លក្ខខណ្ឌរបស់កម្មវិធីលែងបំពេញ"),
    ExitReason.SHOCK_ENDED: ("the emergency support ended", "ជំនួយបន្ទាន់បានបញ្ចប់"),
    ExitReason.ENROLMENT_REJECTED: ("the enrolment was not approved",
                                    "ការចុះឈ្មោះមិនត្រូវបានអនុម័ត"),
    ExitReason.MANUAL: ("ended by a programme officer", "បញ្ចប់ដោយមន្ត្រីកម្មវិធី"),
}

PROGRAMME_MOVES: dict[str, frozenset[str]] = {
    ProgrammeState.DRAFT: frozenset({ProgrammeState.ACTIVE, ProgrammeState.CLOSED}),
    ProgrammeState.ACTIVE: frozenset({ProgrammeState.SUSPENDED, ProgrammeState.CLOSED}),
    ProgrammeState.SUSPENDED: frozenset({ProgrammeState.ACTIVE, ProgrammeState.CLOSED}),
    ProgrammeState.CLOSED: frozenset(),
}
BENEFICIARY_MOVES: dict[str, frozenset[str]] = {
    BeneficiaryState.CANDIDATE: frozenset({BeneficiaryState.ENROLLED, BeneficiaryState.EXITED}),
    BeneficiaryState.ENROLLED: frozenset({BeneficiaryState.SUSPENDED, BeneficiaryState.EXITED}),
    BeneficiaryState.SUSPENDED: frozenset({BeneficiaryState.ENROLLED, BeneficiaryState.EXITED}),
    BeneficiaryState.EXITED: frozenset({BeneficiaryState.CANDIDATE, BeneficiaryState.ENROLLED}),
}
CYCLE_MOVES: dict[str, frozenset[str]] = {
    CycleState.DRAFT: frozenset({CycleState.PENDING_APPROVAL, CycleState.CANCELLED}),
    CycleState.PENDING_APPROVAL: frozenset({CycleState.APPROVED, CycleState.DRAFT,
                                            CycleState.CANCELLED}),
    CycleState.APPROVED: frozenset({CycleState.CLOSED}),
    CycleState.CLOSED: frozenset(),
    CycleState.CANCELLED: frozenset(),
}

#: line states whose money is committed against the budget (cancelled lines are not)
COMMITTED_LINE_STATES = frozenset({
    EntitlementState.APPROVED, EntitlementState.PAID, EntitlementState.FAILED,
    EntitlementState.RETURNED,
})


def check_move(what: str, moves: dict[str, frozenset[str]], current: str, new: str) -> None:
    """Raise ``Conflict`` (409, English and Khmer) unless ``current -> new`` is allowed."""
    if new not in moves.get(current, frozenset()):
        raise Conflict(f"a {what} that is {current} cannot become {new}",
                       f"{what} ដែលស្ថិតក្នុងស្ថានភាព {current} មិនអាចប្ដូរទៅ {new} បានទេ")


@dataclass(frozen=True)
class Money:
    """An amount in the smallest unit of its currency (riel, US cent). Never a float."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int (smallest unit)")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency}")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError("cannot add amounts in different currencies")
        return Money(self.amount + other.amount, self.currency)

    def format(self) -> str:
        """'1,234,000 KHR' / 'USD 12.34'."""
        if self.currency == "USD":
            sign = "-" if self.amount < 0 else ""
            whole, cents = divmod(abs(self.amount), 100)
            return f"{sign}USD {whole:,}.{cents:02d}"
        return f"{self.amount:,} {self.currency}"


# ---------------------------------------------------------------- periods (YYYY-MM)

def check_period(value: str, loc: tuple[str | int, ...] = ("period",)) -> str:
    """``value`` if it is a 'YYYY-MM' month, else ``InvalidInput`` naming ``loc``."""
    if not isinstance(value, str) or _PERIOD.fullmatch(value) is None:
        raise InvalidInput.one(loc, "period_format", "give the month as YYYY-MM (e.g. 2026-11)",
                               "សូមបញ្ជាក់ខែជាទម្រង់ YYYY-MM (ឧ. 2026-11)")
    return value


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def month_after(period: str, months: int = 1) -> str:
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """Number of months from ``first`` to ``last`` inclusive (0 when last is before first)."""
    n = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    return max(n, 0)


def fiscal_year(period: str) -> int:
    """Cambodia's fiscal year is the calendar year."""
    return int(period[:4])


def check_code(value: str, loc: tuple[str | int, ...]) -> str:
    if _CODE.fullmatch(value or "") is None:
        raise InvalidInput.one(loc, "code_format",
                               "use 2-40 lower-case letters, digits or _ starting with a letter",
                               "សូមប្រើអក្សរតូច លេខ ឬ _ ចំនួន ២-៤០ ដោយចាប់ផ្ដើមដោយអក្សរ")
    return value


def cycle_period_problems(period: str, *, starts: date, ends: date | None, today: date,
                          loc: tuple[str | int, ...] = ("period",)) -> list[FieldError]:
    """Why a payment cycle cannot be run for ``period``: before the programme started, after it
    ended, or more than one cycle ahead of ``today``."""
    if period < period_of(starts):
        return [FieldError(loc, "before_programme_start",
                           f"the programme starts in {period_of(starts)}; no cycle before it",
                           f"កម្មវិធីចាប់ផ្ដើមនៅខែ {period_of(starts)} មិនអាចបើកវដ្តមុនខែនោះ")]
    if ends is not None and period > period_of(ends):
        return [FieldError(loc, "after_programme_end",
                           f"the programme ended in {period_of(ends)}; no cycle after it",
                           f"កម្មវិធីបានបញ្ចប់នៅខែ {period_of(ends)} មិនអាចបើកវដ្តក្រោយខែនោះ")]
    if period > month_after(period_of(today)):
        return [FieldError(loc, "too_far_ahead",
                           f"at most one cycle ahead: {month_after(period_of(today))} is the "
                           "latest month that can be run now",
                           f"អាចបើកវដ្តមុនបានតែមួយខែប៉ុណ្ណោះ៖ ខែចុងក្រោយដែលអាចបើកបានគឺ "
                           f"{month_after(period_of(today))}")]
    return []


# ---------------------------------------------------------------- ledger

@dataclass(frozen=True)
class LedgerLine:
    """One programme's money for a month, fiscal year to date, in one currency.

    ``committed`` is every approved line not cancelled; ``pending`` approved and not yet
    settled; ``failed`` failed or returned by the provider (still owed: retried or cancelled
    later), of which ``returned``; ``free`` is the budget not committed."""

    programme_id: int
    period: str
    currency: str
    budget: int
    committed: int
    paid: int
    failed: int
    returned: int
    pending: int

    @property
    def free(self) -> int:
        return self.budget - self.committed

    def problems(self) -> list[str]:
        """The ledger's invariants that do not hold (none when it adds up)."""
        out = []
        if self.budget != self.committed + self.free:
            out.append("budget != committed + free")
        if self.committed != self.paid + self.failed + self.pending:
            out.append("committed != paid + failed + pending")
        if not 0 <= self.returned <= self.failed:
            out.append("returned is not a part of failed")
        return out
