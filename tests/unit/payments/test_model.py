"""The payments domain, pure: money, months, the moves between states and the ledger's
invariants."""

from __future__ import annotations

from datetime import date

import pytest

from spmis.errors import Conflict, InvalidInput
from spmis.payments.model import (
    BENEFICIARY_MOVES,
    CYCLE_MOVES,
    Component,
    LedgerLine,
    Money,
    check_move,
    check_period,
    cycle_period_problems,
    fiscal_year,
    month_after,
    months_between,
)


def test_money_is_integer_smallest_unit_with_currency() -> None:
    assert Money(1_234_000, "KHR").format() == "1,234,000 KHR"
    assert Money(4_020, "USD").format() == "USD 40.20"
    assert (Money(1, "KHR") + Money(2, "KHR")).amount == 3
    with pytest.raises(TypeError):
        Money(1.5, "KHR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "KHR") + Money(1, "USD")
    with pytest.raises(ValueError):
        Money(1, "EUR")


def test_months() -> None:
    assert month_after("2026-12") == "2027-01"
    assert month_after("2026-01", 13) == "2027-02"
    assert months_between("2026-11", "2027-01") == 3
    assert months_between("2027-01", "2026-11") == 0
    assert fiscal_year("2026-12") == 2026
    assert check_period("2026-11") == "2026-11"
    with pytest.raises(InvalidInput) as bad:
        check_period("2026-13")
    assert bad.value.errors[0].loc == ("period",) and bad.value.errors[0].msg_km


def test_cycle_months_are_inside_the_programme_and_at_most_one_ahead() -> None:
    def codes(period: str) -> list[str]:
        return [e.code for e in cycle_period_problems(
            period, starts=date(2020, 6, 1), ends=date(2024, 3, 31), today=date(2024, 2, 10))]

    assert codes("2020-05") == ["before_programme_start"]
    assert codes("2020-06") == []
    assert codes("2024-03") == []  # one ahead of February
    assert codes("2024-04") == ["after_programme_end"]
    open_ended = cycle_period_problems("2024-04", starts=date(2020, 6, 1), ends=None,
                                       today=date(2024, 2, 10))
    assert [e.code for e in open_ended] == ["too_far_ahead"]
    assert "2024-03" in open_ended[0].msg and "2024-03" in open_ended[0].msg_km


def test_moves() -> None:
    check_move("cycle", CYCLE_MOVES, "pending_approval", "approved")
    with pytest.raises(Conflict):
        check_move("cycle", CYCLE_MOVES, "approved", "draft")
    check_move("beneficiary", BENEFICIARY_MOVES, "exited", "enrolled")  # re-entry
    with pytest.raises(Conflict):
        check_move("beneficiary", BENEFICIARY_MOVES, "candidate", "suspended")


def test_components() -> None:
    assert Component.BENEFIT == "benefit"
    assert Component.topup(7) == "topup:7"


def test_ledger_invariants() -> None:
    good = LedgerLine(1, "2026-11", "KHR", budget=1_000, committed=600, paid=400, failed=150,
                      returned=50, pending=50)
    assert good.free == 400 and good.problems() == []
    bad = LedgerLine(1, "2026-11", "KHR", budget=1_000, committed=600, paid=400, failed=100,
                     returned=150, pending=50)
    assert bad.problems() == ["committed != paid + failed + pending",
                              "returned is not a part of failed"]
