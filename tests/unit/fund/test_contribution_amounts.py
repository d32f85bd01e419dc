"""Contribution amounts from the rules engine (``spmis.rules.contributions``), vectorised over a
month's wages: the floor, the ceiling and the band edges of each scheme, and the pension rate's
step by scheme year. Expected amounts are worked out by hand from PRODUCT.md's rates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from spmis.rules.contributions import contributions, fund_start, surcharge_rate

NOV_2026 = "2026-11"  # pension scheme year 5 (year 1 began October 2022): 4 %


def one(period: str, wage: int) -> dict[str, int]:
    out = contributions(period, [wage])
    return {k: int(v[0]) for k, v in out.items()}


@pytest.mark.parametrize(("wage", "base", "occupational", "health"), [
    (0, 0, 0, 0),                      # no wage, nothing owed
    (150_000, 200_000, 1_600, 5_200),  # under the table's floor: the floor
    (200_000, 200_000, 1_600, 5_200),
    (224_999, 200_000, 1_600, 5_200),  # last wage of the 200,000 band
    (225_000, 250_000, 2_000, 6_500),  # first wage of the 250,000 band
    (1_174_999, 1_150_000, 9_200, 29_900),
    (1_175_000, 1_200_000, 9_600, 31_200),  # the top band
    (1_200_000, 1_200_000, 9_600, 31_200),
    (5_000_000, 1_200_000, 9_600, 31_200),  # over the ceiling: the ceiling
])
def test_occupational_risk_and_health_care_bands(wage: int, base: int, occupational: int,
                                                 health: int) -> None:
    got = one(NOV_2026, wage)
    assert got["base_occupational"] == base
    assert got["occupational_risk"] == occupational  # 0.8 %, employer only
    assert got["health_care_employer"] == health  # 2.6 %, employer only since 2018
    assert got["health_care_worker"] == 0


@pytest.mark.parametrize(("wage", "base", "each"), [
    (100_000, 400_000, 8_000),  # under the floor: 400,000 x 4 % split in two
    (399_999, 400_000, 8_000),
    (400_000, 400_000, 8_000),
    (400_025, 400_025, 8_001),  # 8,000.5 rounds up (the rate as its decimal, not float32)
    (400_050, 400_050, 8_001),  # the wage itself between floor and ceiling (8,001 rounded)
    (1_000_000, 1_000_000, 20_000),
    (1_200_000, 1_200_000, 24_000),
    (1_200_001, 1_200_000, 24_000),  # over the ceiling
])
def test_pension_floor_and_ceiling(wage: int, base: int, each: int) -> None:
    got = one(NOV_2026, wage)
    assert got["base_pension"] == base
    assert got["pension_employer"] == each
    assert got["pension_worker"] == each


@pytest.mark.parametrize(("period", "rate"), [
    ("2022-10", 0.04),  # year 1
    ("2027-09", 0.04),  # last month of year 5
    ("2027-10", 0.08),  # year 6
    ("2032-09", 0.08),  # last month of year 10
    ("2032-10", 0.1075),  # year 11
    ("2042-10", 0.135),  # year 21: +2.75 points
])
def test_pension_rate_steps_by_scheme_year(period: str, rate: float) -> None:
    got = one(period, 1_000_000)
    assert got["pension_employer"] == round(1_000_000 * rate / 2)
    assert got["pension_worker"] == round(1_000_000 * rate / 2)


def test_no_pension_before_the_scheme_and_health_care_shared_before_2018() -> None:
    got = one("2017-06", 1_000_000)
    assert got["pension_employer"] == got["pension_worker"] == 0
    assert got["health_care_employer"] == got["health_care_worker"] == 13_000  # 1.3 % each
    assert got["total"] == 8_000 + 26_000


def test_vectorised_over_many_workers_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import spmis.rules.contributions as mod

    monkeypatch.setattr(mod, "CHUNK", 3)  # several simulations, joined in order
    wages = np.array([0, 150_000, 225_000, 1_000_000, 5_000_000, 400_050, 1_200_000])
    got = contributions(NOV_2026, wages)
    single = [one(NOV_2026, int(w)) for w in wages]
    for col, values in got.items():
        assert values.tolist() == [s[col] for s in single], col
    assert got["total"][3] == 8_000 + 26_000 + 20_000 + 20_000


def test_fund_start_and_surcharge_rate_are_dated_parameters() -> None:
    assert fund_start() == date(2008, 11, 1)
    assert surcharge_rate(date(2026, 11, 20)) == 0.0  # unconfirmed: 0
    assert surcharge_rate(date(2000, 1, 1)) == 0.0  # before the fund: none
