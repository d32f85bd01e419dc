"""Social security (NSSF): contributions on the contributory wage, and the benefits computed from
a member's situation: childbirth and visit allowances, maternity and temporary-disability daily
allowances, old-age pension and lump-sum refund. Parameters are under ``social_security``."""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Person
from spmis.rules.variables.common import Array, Parameters, Period, Population, riel

MONTH = DateUnit.MONTH
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
        rate = person("nssf_pension_contribution_rate", period)
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
        rate = person("nssf_pension_contribution_rate", period)
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


# --- Daily wage ----------------------------------------------------------------------------


class average_daily_wage(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Average daily wage of the months before the month (6 months / 30 days each), KHR"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.daily_wage
        months = int(p.reference_months)
        wages = [person("wage_in_riel", period.offset(-k)) for k in range(1, months + 1)]
        total = sum(wages)
        return riel(total / (months * p.days_per_month))


def _paid_days(now: Array, before: Array, first_paid_day: int, last_paid_day: int) -> Array:
    """Days of the month within days ``first_paid_day``..``last_paid_day`` of the whole spell."""
    start = np.maximum(before, first_paid_day - 1)
    end = np.minimum(before + now, last_paid_day)
    return np.clip(end - start, 0, None)


# --- Maternity -----------------------------------------------------------------------------


class gave_birth_babies(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Babies born to the person in the month (0 when no birth)"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        return person("gave_birth", period) * np.maximum(person("number_of_babies", period), 1)


class nssf_childbirth_allowance(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "USD cents"
    label = "NSSF childbirth allowance, US cents, one-off in the month of birth"

    def formula_2023_08_01(person: Population, period: Period, parameters: Parameters) -> Array:
        scale = parameters(period).social_security.maternity.childbirth_allowance_by_babies
        babies = person("gave_birth_babies", period)
        return riel(person("nssf_member", period) * (babies > 0) * scale.calc(babies))


class nssf_maternity_visits(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Antenatal, postnatal and vaccination visits of a member in the month"


class nssf_maternity_visits_before(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Visits already paid to the member for this birth before the month"


class nssf_visit_allowance(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "USD cents"
    label = "NSSF visit allowance (USD 20 a visit, 14 visits at most), US cents"

    def formula_2023_08_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.maternity
        now = person("nssf_maternity_visits", period)
        before = person("nssf_maternity_visits_before", period)
        visits = np.clip(np.minimum(before + now, p.max_visits) - before, 0, None)
        return riel(person("nssf_member", period) * visits * p.visit_allowance)


class maternity_leave_days(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Days of maternity leave in the month"


class maternity_leave_days_before(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Days of maternity leave of the same birth before the month"


class nssf_maternity_allowance(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "NSSF maternity allowance (70% of the average daily wage, 90 days at most), KHR"

    def formula_2016_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.maternity
        days = _paid_days(
            person("maternity_leave_days", period),
            person("maternity_leave_days_before", period),
            1,
            int(p.max_days),
        )
        daily = person("average_daily_wage", period) * p.daily_allowance_rate
        return riel(person("nssf_member", period) * days * daily)


# --- Occupational injury -------------------------------------------------------------------


class injury_incapacity_days(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Days of temporary incapacity after an occupational injury in the month"


class injury_incapacity_days_before(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Days of the same incapacity in the 12 months before the month"


class nssf_injury_temporary_allowance(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Temporary disability allowance (70% of the average daily wage, day 2 to 180), KHR"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.occupational_injury
        days = _paid_days(
            person("injury_incapacity_days", period),
            person("injury_incapacity_days_before", period),
            int(p.waiting_days) + 1,
            int(p.max_days),
        )
        daily = person("average_daily_wage", period) * p.temporary_disability_rate
        return riel(person("nssf_member", period) * days * daily)


# --- Old-age pension -----------------------------------------------------------------------


class nssf_contribution_months(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Months of pension contributions before the month"


class pension_reference_wage(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Reference wage of the old-age pension (average contributory wage), KHR"


class pension_contributions_worker_total(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Worker's pension contributions paid in total, KHR"


class pension_contributions_employer_total(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Employer's pension contributions paid for the worker in total, KHR"


class nssf_old_age_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Eligible for the old-age pension: 60 or older with at least 12 months of contributions"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension.old_age
        return (person("age", period) >= p.pension_age) & (
            person("nssf_contribution_months", period) >= p.minimum_contribution_months
        )


class nssf_old_age_pension(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Old-age pension, KHR a month (accrual and minimum unconfirmed)"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension.old_age
        years = person("nssf_contribution_months", period) / 12
        first = np.minimum(years, p.accrual_first_years)
        later = np.maximum(years - p.accrual_first_years, 0)
        rate = first * p.accrual_rate_first_years + later * p.accrual_rate_later_years
        rate = np.maximum(rate, p.minimum_replacement_rate)
        amount = person("pension_reference_wage", period) * rate
        return riel(person("nssf_old_age_pension_eligible", period) * amount)


class nssf_pension_refund_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Lump-sum refund: 60 or older with some but fewer than 12 months of contributions"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension.old_age
        months = person("nssf_contribution_months", period)
        return (
            (person("age", period) >= p.pension_age)
            & (months > 0)
            & (months < p.minimum_contribution_months)
        )


class nssf_pension_refund(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Lump-sum refund of pension contributions, KHR, one-off"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension.old_age
        total = person("pension_contributions_worker_total", period) + person(
            "pension_contributions_employer_total", period
        ) * bool(p.refund_includes_employer_share)
        return riel(person("nssf_pension_refund_eligible", period) * total)


VARIABLES = [
    wage, wage_usd_cents, wage_in_riel, contributory_wage_occupational, contributory_wage_pension,
    nssf_occupational_risk_contribution, nssf_health_care_contribution_employer,
    nssf_health_care_contribution_worker, nssf_pension_scheme_year, nssf_pension_contribution_rate,
    nssf_pension_contribution_employer, nssf_pension_contribution_worker,
    nssf_employer_contribution, nssf_worker_contribution, average_daily_wage, gave_birth_babies,
    nssf_childbirth_allowance, nssf_maternity_visits, nssf_maternity_visits_before,
    nssf_visit_allowance, maternity_leave_days, maternity_leave_days_before,
    nssf_maternity_allowance, injury_incapacity_days, injury_incapacity_days_before,
    nssf_injury_temporary_allowance, nssf_contribution_months, pension_reference_wage,
    pension_contributions_worker_total, pension_contributions_employer_total,
    nssf_old_age_pension_eligible, nssf_old_age_pension, nssf_pension_refund_eligible,
    nssf_pension_refund,
]


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


VARIABLES.append(nssf_total_contribution)
