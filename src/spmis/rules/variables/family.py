"""The cash transfer for pregnant women and children under 2 and the Family Package (base
payment, scholarships, disability and 60+ allowances). Amounts are parameters under
``social_assistance``."""

from __future__ import annotations

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Household, Person
from spmis.rules.variables.common import Array, Parameters, Period, Population, riel
from spmis.rules.variables.demographics import SchoolLevel

MONTH = DateUnit.MONTH

# --- Pregnant women and children under 2 ---------------------------------------------------


class antenatal_visits(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Antenatal health-centre visits made in the month"


class antenatal_visits_before(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Antenatal visits already paid for this pregnancy before the month"


class gave_birth(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Gave birth in the month"


class number_of_babies(Variable):
    value_type = int
    default_value = 1
    entity = Person
    definition_period = MONTH
    label = "Number of babies born at the delivery (1 single, 2 twins, ...)"


class child_visits(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Health-centre visits of a child under 2 made in the month"


class child_visits_before(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Visits of the child already paid before the month"


class nssf_member(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a member (insured worker) of the National Social Security Fund"


class civil_servant(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a civil servant"


class child_under_2(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Child under 2 (completed months on the first day of the month)"

    def formula_2019_06_01(person: Population, period: Period, parameters: Parameters) -> Array:
        limit = parameters(period).social_assistance.pregnant_child.child_age_limit_months
        months = person("age_months", period)
        return (months >= 0) & (months < limit)


class pregnant_child_covered(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household covered by the pregnant women and children cash transfer (IDPoor, or "
    "from 2023 a member of the NSSF or a civil servant)"

    def formula_2019_06_01(household: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.pregnant_child
        member = household.any(
            household.members("nssf_member", period) | household.members("civil_servant", period)
        )
        return household("idpoor", period) | (member * bool(p.covers_nssf_members))


class pregnant_child_cash_transfer_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Covered household with a pregnant woman or a child under 2"

    def formula_2019_06_01(household: Population, period: Period, parameters: Parameters) -> Array:
        someone = household.any(
            household.members("pregnant", period)
            | household.members("child_under_2", period)
            | household.members("gave_birth", period)
        )
        return household("pregnant_child_covered", period) * someone


def _capped(now: Array, before: Array, cap: Array) -> Array:
    """Visits of the month still within ``cap`` once ``before`` visits were paid."""
    return np.clip(np.minimum(before + now, cap) - before, 0, None)


class pregnant_child_cash_transfer_person(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Pregnant women and children cash transfer for this person's visits and delivery, KHR"

    def formula_2019_06_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.pregnant_child
        covered = person.household("pregnant_child_covered", period)
        antenatal = person("pregnant", period) * _capped(
            person("antenatal_visits", period),
            person("antenatal_visits_before", period),
            p.antenatal_payments_max,
        )
        delivery = person("gave_birth", period) * np.maximum(person("number_of_babies", period), 1)
        child = person("child_under_2", period) * _capped(
            person("child_visits", period),
            person("child_visits_before", period),
            p.postnatal_payments_max,
        )
        amount = (
            antenatal * p.antenatal_payment
            + delivery * p.delivery_payment
            + child * p.postnatal_payment
        )
        return riel(covered * amount)


class pregnant_child_cash_transfer(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Pregnant women and children under 2 cash transfer, KHR in the month"

    def formula_2019_06_01(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.sum(household.members("pregnant_child_cash_transfer_person", period))


# --- Family Package ------------------------------------------------------------------------


class family_package_base_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "IDPoor household or household with a member living with HIV"

    def formula_2024_01_01(household: Population, period: Period, parameters: Parameters) -> Array:
        hiv = household.any(household.members("living_with_hiv", period))
        return household("idpoor", period) | hiv


class family_package_base(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package base payment, KHR a month"

    def formula_2024_01_01(household: Population, period: Period, parameters: Parameters) -> Array:
        amount = parameters(period).social_assistance.family_package.base_payment
        return riel(household("family_package_base_eligible", period) * amount)


class family_package_scholarship(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package scholarship for a pupil of an IDPoor household, KHR a month"

    def formula_2024_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.family_package.scholarship
        level = person("school_level", period)
        amount = np.select(
            [
                level == SchoolLevel.primary,
                level == SchoolLevel.lower_secondary,
                level == SchoolLevel.upper_secondary,
            ],
            [p.primary, p.lower_secondary, p.upper_secondary],
            0,
        )
        attends = person("school_attendance_rate", period) >= p.minimum_attendance
        return riel(person.household("idpoor", period) * attends * amount)


class family_package_disability(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package disability allowance, KHR a month (amount unconfirmed)"

    def formula_2024_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        amount = parameters(period).social_assistance.family_package.disability_allowance
        eligible = person.household("idpoor", period) * person("disability", period)
        return riel(eligible * amount)


class family_package_elderly(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package allowance for people 60+, KHR a month (amount unconfirmed)"

    def formula_2024_01_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.family_package
        eligible = person.household("idpoor", period) * (person("age", period) >= p.elderly_age)
        return riel(eligible * p.elderly_allowance)


class family_package_scholarships(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package scholarships of the household, KHR a month"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.sum(household.members("family_package_scholarship", period))


class family_package_disability_allowances(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package disability allowances of the household, KHR a month"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.sum(household.members("family_package_disability", period))


class family_package_elderly_allowances(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package allowances for people 60+ of the household, KHR a month"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.sum(household.members("family_package_elderly", period))


class family_package(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Family Package total (base, scholarships, disability, 60+), KHR a month"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return (
            household("family_package_base", period)
            + household("family_package_scholarships", period)
            + household("family_package_disability_allowances", period)
            + household("family_package_elderly_allowances", period)
        )


VARIABLES = [
    antenatal_visits, antenatal_visits_before, gave_birth, number_of_babies, child_visits,
    child_visits_before, nssf_member, civil_servant, child_under_2, pregnant_child_covered,
    pregnant_child_cash_transfer_eligible, pregnant_child_cash_transfer_person,
    pregnant_child_cash_transfer, family_package_base_eligible, family_package_base,
    family_package_scholarship, family_package_disability, family_package_elderly,
    family_package_scholarships, family_package_disability_allowances,
    family_package_elderly_allowances, family_package,
]
