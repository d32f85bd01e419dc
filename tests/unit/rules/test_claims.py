"""The amounts and refusals of the fund's claims from the rules engine (spmis.rules.claims),
at the edges of each rule: 90 days of maternity, day 2 to day 180 of an injury, 14 visits, the
pension at 60 with 12 months (a refund under 12), survivors with 60 months."""

from __future__ import annotations

import numpy as np
import pytest

from spmis.errors import InvalidInput
from spmis.rules.claims import claim_amounts, health_coverage_conditions, pension_conditions

SIX_MONTHS = [[1_200_000, 0]] * 6  # two claims: one with a wage, one without


def test_maternity_is_70_percent_of_the_daily_wage_for_90_days_at_most() -> None:
    r = claim_amounts("maternity", "2026-07", {"maternity_leave_days": [120, 90]}, SIX_MONTHS)
    assert r.detail["average_daily_wage"].tolist() == [40_000, 0]
    assert r.amount.tolist() == [90 * 28_000, 0]
    assert r.refusal.tolist() == ["", "no_wage_before"]
    assert r.currency.tolist() == ["KHR", "KHR"]


def test_injury_is_paid_from_day_2_to_day_180_in_12_months() -> None:
    wages = [[900_000] * 3] * 6
    r = claim_amounts("injury", "2026-07", {"injury_incapacity_days": [1, 10, 30],
                                           "injury_incapacity_days_before": [0, 0, 170]}, wages)
    daily = 30_000 * 0.7
    assert r.amount.tolist() == [0, round(9 * daily), round(10 * daily)]
    assert r.refusal.tolist() == ["nothing_due", "", ""]


def test_childbirth_and_visits_in_us_cents() -> None:
    r = claim_amounts("childbirth", "2026-07", {"number_of_babies": [1, 2, 3]})
    assert r.amount.tolist() == [20_000, 30_000, 40_000] and set(r.currency) == {"USD"}
    before = claim_amounts("childbirth", "2023-07", {"number_of_babies": [1]})
    assert before.amount.tolist() == [0]  # the allowance starts on 1 August 2023
    v = claim_amounts("visits", "2026-07", {"nssf_maternity_visits": [3, 3, 2],
                                           "nssf_maternity_visits_before": [0, 12, 14]})
    assert v.amount.tolist() == [6_000, 4_000, 0]
    assert v.refusal.tolist() == ["", "", "visits_used"]


def old_age(dob: str, months: int) -> dict[str, list[object]]:
    return {"date_of_birth": [np.datetime64(dob)], "nssf_contribution_months": [months],
            "pension_reference_wage": [1_000_000], "pension_contributions_worker_total": [50_000],
            "pension_contributions_employer_total": [50_000]}


@pytest.mark.parametrize(("dob", "months", "amount", "payment", "refusal"), [
    ("1967-08-01", 40, 0, "monthly", "under_pension_age"),  # 59 on 1 July 2026
    ("1966-07-01", 12, 400_000, "monthly", ""),  # 60, 12 months: the 40% minimum
    ("1966-07-01", 11, 100_000, "one_off", ""),  # under 12 months: the refund of both shares
    ("1966-07-01", 0, 0, "monthly", "no_contributions"),
    ("1940-01-01", 30 * 12, 1_000_000 * (15 * 0.0175 + 15 * 0.0125), "monthly", ""),
])
def test_old_age_pension(dob: str, months: int, amount: float, payment: str,
                         refusal: str) -> None:
    r = claim_amounts("old_age", "2026-07", old_age(dob, months))
    assert (int(r.amount[0]), str(r.payment[0]), str(r.refusal[0])) == (
        round(amount), payment, refusal)


def test_survivors_need_60_months() -> None:
    r = claim_amounts("survivors", "2026-07", {"nssf_contribution_months": [60, 59],
                                              "pension_reference_wage": [1_000_000] * 2})
    assert r.amount.tolist() == [400_000, 0]
    assert r.refusal.tolist() == ["", "survivors_months"]


def test_conditions_and_an_unknown_kind() -> None:
    assert pension_conditions("2026-07-01") == {"pension_age": 60, "minimum_months": 12,
                                                "survivors_months": 60}
    from datetime import date
    assert health_coverage_conditions(date(2026, 7, 1)) == (1, 3)
    with pytest.raises(InvalidInput):
        claim_amounts("lottery", "2026-07", {})
