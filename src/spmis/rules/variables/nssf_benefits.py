"""NSSF benefits computed from a member's situation: childbirth and visit allowances,
maternity and temporary-disability daily allowances, old-age pension and lump-sum refund.
Parameters: ``social_security``."""

from __future__ import annotations

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Person
from spmis.rules.variables.common import Array, Parameters, Period, Population, riel

MONTH = DateUnit.MONTH


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


# --- Survivors ------------------------------------------------------------------------------


class nssf_survivors_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "The deceased member (this person) had the months of contributions for survivors"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_security.pension.survivors
        return person("nssf_contribution_months", period) >= p.minimum_contribution_months


class nssf_survivors_pension(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Survivors' pension of the deceased member (this person), KHR a month (unconfirmed)"

    def formula_2022_10_01(person: Population, period: Period, parameters: Parameters) -> Array:
        pension = parameters(period).social_security.pension
        p = pension.old_age
        years = person("nssf_contribution_months", period) / 12
        first = np.minimum(years, p.accrual_first_years)
        later = np.maximum(years - p.accrual_first_years, 0)
        rate = first * p.accrual_rate_first_years + later * p.accrual_rate_later_years
        rate = np.maximum(rate, p.minimum_replacement_rate) * pension.survivors.share_of_pension
        amount = person("pension_reference_wage", period) * rate
        return riel(person("nssf_survivors_pension_eligible", period) * amount)


VARIABLES = [
    average_daily_wage, gave_birth_babies, nssf_childbirth_allowance, nssf_maternity_visits,
    nssf_maternity_visits_before, nssf_visit_allowance, maternity_leave_days,
    maternity_leave_days_before, nssf_maternity_allowance, injury_incapacity_days,
    injury_incapacity_days_before, nssf_injury_temporary_allowance, nssf_contribution_months,
    pension_reference_wage, pension_contributions_worker_total,
    pension_contributions_employer_total, nssf_old_age_pension_eligible, nssf_old_age_pension,
    nssf_pension_refund_eligible, nssf_pension_refund, nssf_survivors_pension_eligible,
    nssf_survivors_pension,
]
