"""NSSF contributions: the wage in riel, the contributory wages (pension floor and ceiling; the
occupational risk / health care table with its bands) and the employer's and worker's shares of
the occupational risk, health care and pension contributions. Parameters: ``social_security``."""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Person
from spmis.rules.variables.common import Array, Parameters, Period, Population, riel

MONTH = DateUnit.MONTH


def _exact(rate: Array) -> Array:
    """A rate OpenFisca kept as float32 (0.04 -> 0.0399999991), back to the parameter's
    decimal value, so that an amount falling on half a riel rounds up as it should."""
    return np.round(np.asarray(rate, dtype=np.float64), 8)
PENSION_START = date(2022, 10, 1)  # the pension floor exists from then (see pension.yaml)


class wage(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Monthly wage declared by the employer, KHR (USD wages converted at the fund's rate)"


class wage_usd_cents(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "USD cents"
    label = "Part of the monthly wage paid in US dollars, in US cents"


class wage_in_riel(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Monthly wage in riel: riel part plus the dollar part at the fund's monthly rate"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        rate = parameters(period).social_security.exchange_rate.khr_per_usd
        usd = person("wage_usd_cents", period).astype(np.int64)
        return person("wage", period).astype(np.int64) + riel(usd * rate / 100)


# --- Contributions -------------------------------------------------------------------------


class contributory_wage_occupational(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Contributory wage of the occupational risk and health care schemes, KHR"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.contributory_wage
        w = person("wage_in_riel", period).astype(np.int64)
        band = int(p.band_width)
        # bands are centred on multiples of the band width: [k*b - b/2, k*b + b/2) -> k*b
        banded = ((w + band // 2) // band) * band if p.banding_applies else w
        floor = p.band_floor
        if p.pension_floor_applies_to_all_schemes and period.start.date >= PENSION_START:
            floor = max(floor, p.pension_floor)
        return np.clip(banded, floor, p.band_ceiling) * (w > 0)


class contributory_wage_pension(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Contributory wage of the pension scheme (wage between floor and ceiling), KHR"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.contributory_wage
        w = person("wage_in_riel", period)
        return np.clip(w, p.pension_floor, p.pension_ceiling) * (w > 0)


class nssf_occupational_risk_contribution(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Occupational risk contribution (employer), KHR a month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        rate = parameters(period).social_security.occupational_risk.employer_rate
        base = person("contributory_wage_occupational", period)
        return riel(person("nssf_member", period) * base * rate)


class nssf_health_care_contribution_employer(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Health care contribution paid by the employer, KHR a month"

    def formula_2016_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        rate = parameters(period).social_security.health_care.employer_rate
        base = person("contributory_wage_occupational", period)
        return riel(person("nssf_member", period) * base * rate)


class nssf_health_care_contribution_worker(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Health care contribution paid by the worker, KHR a month (nothing since 2018)"

    def formula_2016_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        rate = parameters(period).social_security.health_care.worker_rate
        base = person("contributory_wage_occupational", period)
        return riel(person("nssf_member", period) * base * rate)


class nssf_pension_scheme_year(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Year of the pension scheme the month falls in (year 1 starts October 2022)"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension
        start = int(p.scheme_start_year) * 12 + int(p.scheme_start_month) - 1
        now = period.start.year * 12 + period.start.month - 1
        return np.full(person.count, (now - start) // 12 + 1, dtype=np.int32)


class nssf_pension_contribution_rate(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Total pension contribution rate (employer + worker) for the scheme year"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        scale = parameters(period).social_security.pension.contribution_rate_by_scheme_year
        return scale.calc(person("nssf_pension_scheme_year", period))


class nssf_pension_contribution_employer(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Pension contribution paid by the employer, KHR a month"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        share = parameters(period).social_security.pension.employer_share
        base = person("contributory_wage_pension", period)
        rate = _exact(person("nssf_pension_contribution_rate", period))
        return riel(person("nssf_member", period) * base * rate * share)


class nssf_pension_contribution_worker(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Pension contribution paid by the worker, KHR a month"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        share = parameters(period).social_security.pension.employer_share
        base = person("contributory_wage_pension", period)
        rate = _exact(person("nssf_pension_contribution_rate", period))
        return riel(person("nssf_member", period) * base * rate * (1 - share))


class nssf_employer_contribution(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "All contributions the employer pays for this worker, KHR a month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        return (
            person("nssf_occupational_risk_contribution", period)
            + person("nssf_health_care_contribution_employer", period)
            + person("nssf_pension_contribution_employer", period)
        )


class nssf_worker_contribution(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "All contributions withheld from this worker's wage, KHR a month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        return person("nssf_health_care_contribution_worker", period) + person(
            "nssf_pension_contribution_worker", period
        )




class nssf_total_contribution(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Employer and worker contributions together, KHR a month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        return person("nssf_employer_contribution", period) + person(
            "nssf_worker_contribution", period
        )


VARIABLES = [
    wage, wage_usd_cents, wage_in_riel, contributory_wage_occupational, contributory_wage_pension,
    nssf_occupational_risk_contribution, nssf_health_care_contribution_employer,
    nssf_health_care_contribution_worker, nssf_pension_scheme_year,
    nssf_pension_contribution_rate, nssf_pension_contribution_employer,
    nssf_pension_contribution_worker, nssf_employer_contribution, nssf_worker_contribution,
    nssf_total_contribution,
]
