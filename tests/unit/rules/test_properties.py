"""Properties over many generated inputs (hypothesis): contributions stay within the legal
bounds and never fall when the wage rises; the COVID-19 amount orders level 1 above level 2 and
Phnom Penh above rural; the screener answers 200 or 422, never 500."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmis.http import install_error_handlers
from spmis.rules.api import router
from spmis.rules.engine import Population, build_simulation


def _workers(wages: list[int]) -> Population:
    n = len(wages)
    return Population(
        household_ids=np.arange(n),
        person_ids=np.arange(n),
        person_household_ids=np.arange(n),
        person={"wage": np.array(wages, dtype=np.int64), "nssf_member": np.ones(n, dtype=bool)},
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20_000_000), min_size=1, max_size=200))
def test_contributory_wages_within_floor_ceiling_and_monotone(wages: list[int]) -> None:
    wages = sorted(wages)
    sim = build_simulation(_workers(wages), "2026-11")
    pension = sim.calculate("contributory_wage_pension", "2026-11")
    banded = sim.calculate("contributory_wage_occupational", "2026-11")
    total = sim.calculate("nssf_total_contribution", "2026-11")
    assert pension.min() >= 400_000 and pension.max() <= 1_200_000
    assert banded.min() >= 200_000 and banded.max() <= 1_200_000
    assert np.all(banded % 50_000 == 0)
    assert np.all(np.diff(total) >= 0)
    assert total.max() <= 1_200_000 * (0.008 + 0.026 + 0.04)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=95), min_size=1, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_covid_level_and_area_ordering(ages: list[int], disabled: list[bool]) -> None:
    n = len(ages)
    dob = np.array(
        [np.datetime64(f"{2021 - a}-03-01") for a in ages], dtype="datetime64[D]"
    )
    combos = [(lvl, area) for lvl in (1, 2) for area in ("phnom_penh", "other_urban", "rural")]
    pop = Population(
        household_ids=np.arange(len(combos)),
        person_ids=np.arange(n * len(combos)),
        person_household_ids=np.repeat(np.arange(len(combos)), n),
        household={
            "idpoor_level": np.array([c[0] for c in combos]),
            "area_type": np.array([c[1] for c in combos]),
        },
        person={
            "date_of_birth": np.tile(dob, len(combos)),
            "disability": np.tile(np.array(disabled[:n]), len(combos)),
        },
    )
    amount = dict(zip(combos, build_simulation(pop, "2021-03").calculate(
        "covid19_cash_transfer", "2021-03").tolist(), strict=True))
    for area in ("phnom_penh", "other_urban", "rural"):
        assert amount[(1, area)] >= amount[(2, area)] > 0
    for lvl in (1, 2):
        assert amount[(lvl, "phnom_penh")] >= amount[(lvl, "other_urban")]
        assert amount[(lvl, "other_urban")] >= amount[(lvl, "rural")]


_app = FastAPI()
install_error_handlers(_app)
_app.include_router(router)
_client = TestClient(_app)

member = st.fixed_dictionaries(
    {},
    optional={
        "age": st.integers(min_value=-5, max_value=140),
        "date_of_birth": st.dates().map(str),
        "sex": st.sampled_from(["female", "male", "unknown", "x"]),
        "disability": st.booleans(),
        "pregnant": st.booleans(),
        "babies_expected": st.integers(min_value=0, max_value=8),
        "school_level": st.sampled_from(["none", "primary", "upper_secondary", "college"]),
        "nssf_member": st.booleans(),
        "monthly_wage_khr": st.integers(min_value=-1, max_value=10**11),
        "nssf_contribution_months": st.integers(min_value=-1, max_value=2000),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries({
        "period": st.sampled_from(["2019-07", "2021-03", "2023-02", "2026-11", "2026-13"]),
        "idpoor_level": st.integers(min_value=-1, max_value=3),
        "commune_code": st.sampled_from(["120101", "010201", "010602", "999999", "12"]),
        "flood_affected": st.booleans(),
        "members": st.lists(member, min_size=0, max_size=12),
    })
)
def test_screener_answers_200_or_422_never_500(body: dict[str, Any]) -> None:
    res = _client.post("/api/v1/screener", json=body)
    assert res.status_code in {200, 422}, res.text
    if res.status_code == 422:
        assert all(d["loc"] and d["msg"] and d["msg_km"] for d in res.json()["detail"])
    else:
        assert all(p["amount"] >= 0 for p in res.json()["programmes"])
