"""The fund's contributions for every worker of a month at once: the rules engine's formulas
(``variables/contributions.py``) evaluated over whole arrays of wages in riel, in chunks so that
memory stays bounded whatever the number of workers.

    amounts = contributions("2026-11", wages_khr)      # {column: int64 array}
    amounts["pension_employer"]

Also the dated facts the fund needs around them: the first month of the fund (the occupational
risk scheme's first contribution rate) and the late-payment surcharge rate of a month.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
from openfisca_core.periods import period as make_period

from spmis.rules.engine import Population, build_simulation
from spmis.rules.system import tax_benefit_system

__all__ = ["CHUNK", "COLUMNS", "contributions", "fund_start", "surcharge_rate"]

#: output column -> the rules variable computing it
COLUMNS: dict[str, str] = {
    "base_occupational": "contributory_wage_occupational",
    "base_pension": "contributory_wage_pension",
    "occupational_risk": "nssf_occupational_risk_contribution",
    "health_care_employer": "nssf_health_care_contribution_employer",
    "health_care_worker": "nssf_health_care_contribution_worker",
    "pension_employer": "nssf_pension_contribution_employer",
    "pension_worker": "nssf_pension_contribution_worker",
}
#: workers per simulation: bounds the memory of one evaluation (about 60 MB of arrays)
CHUNK = 500_000


def _chunk(period: str, wages: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[np.int64]]:
    n = len(wages)
    population = Population(
        household_ids=np.zeros(1, dtype=np.int64),
        person_ids=np.arange(n, dtype=np.int64),
        person_household_ids=np.zeros(n, dtype=np.int64),
        person={"wage": wages, "nssf_member": np.ones(n, dtype=bool)},
    )
    sim = build_simulation(population, period)
    month = make_period(period)
    return {col: np.asarray(sim.calculate(var, month), dtype=np.int64)
            for col, var in COLUMNS.items()}


def contributions(period: str, wages_khr: npt.ArrayLike) -> dict[str, npt.NDArray[np.int64]]:
    """The contributory wages and each scheme's contribution (employer's and worker's shares),
    in riel, for every wage of ``wages_khr`` (riel a month) in ``period`` ('YYYY-MM'), plus
    ``total``; in the order of the wages."""
    wages = np.asarray(wages_khr, dtype=np.int64)
    parts = [_chunk(period, wages[i:i + CHUNK]) for i in range(0, len(wages), CHUNK)]
    if not parts:
        parts = [{col: np.zeros(0, dtype=np.int64) for col in COLUMNS}]
    out = {col: np.concatenate([p[col] for p in parts]) for col in COLUMNS}
    out["total"] = (out["occupational_risk"] + out["health_care_employer"]
                    + out["health_care_worker"] + out["pension_employer"]
                    + out["pension_worker"])
    return out


def fund_start() -> date:
    """The first day of the fund's first month: when the occupational risk scheme's contribution
    rate starts (no declaration can be for a month before it)."""
    node = tax_benefit_system().parameters.social_security.occupational_risk.employer_rate
    return date.fromisoformat(node.values_list[-1].instant_str)


def surcharge_rate(day: date) -> float:
    """The late-payment surcharge a month (a share of what is still owed) in force on ``day``
    (none before the fund existed)."""
    if day < fund_start():
        return 0.0
    params = tax_benefit_system().get_parameters_at_instant(day.isoformat())
    return float(params.social_security.late_payment.surcharge_rate_per_month)
