"""Shock-responsive cash transfers to IDPoor households: COVID-19 (2020-2024), inflation
(December 2022 phases) and floods (2022-23). Amounts are parameters under ``social_assistance``;
formulas combine them over whole arrays."""

from __future__ import annotations

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Household, Person
from spmis.rules.variables.common import Array, Parameters, Period, Population, riel
from spmis.rules.variables.demographics import AreaType

MONTH = DateUnit.MONTH


def _by_area(node: Parameters, area: Array) -> Array:
    """``node.phnom_penh`` / ``node.other_urban`` / ``node.rural`` per household.

    Selected with three whole-array comparisons: OpenFisca's own ``node[enum_array]`` looks each
    element up in Python, which costs seconds at national scale."""
    return np.select(
        [area == AreaType.phnom_penh, area == AreaType.other_urban],
        [node.phnom_penh, node.other_urban],
        node.rural,
    )


def _by_level(node: Parameters, level: Array, area: Array) -> Array:
    """Amount of ``node.level_1`` / ``node.level_2`` by area, per household."""
    return np.where(level == 1, _by_area(node.level_1, area), _by_area(node.level_2, area))


# --- COVID-19 cash transfer ---------------------------------------------------------------


class covid19_vulnerable(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Vulnerable for the COVID-19 cash transfer: child 0-5, disability, 60+, living with HIV"

    def formula_2020_06_01(person: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.covid19
        age = person("age", period)
        return (
            ((age >= 0) & (age < p.vulnerable_child_age_limit))
            | (age >= p.vulnerable_elderly_age)
            | person("disability", period)
            | person("living_with_hiv", period)
        )


class covid19_vulnerable_members(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Number of vulnerable members for the COVID-19 cash transfer"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.sum(household.members("covid19_vulnerable", period))


class covid19_cash_transfer_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for the COVID-19 cash transfer: IDPoor level 1 or 2 while the programme ran"

    def formula_2020_06_01(household: Population, period: Period, parameters: Parameters) -> Array:
        active = parameters(period).social_assistance.covid19.active
        return household("idpoor", period) * bool(active)


class covid19_cash_transfer(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "COVID-19 cash transfer, KHR a month"
    reference = "Sub-decree No. 88 of 2020"

    def formula_2020_06_01(household: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.covid19
        eligible = household("covid19_cash_transfer_eligible", period)
        level = household("idpoor_level", period)
        area = household("area_type", period)
        amount = (
            _by_area(p.household_base, area)
            + household("household_size", period) * _by_level(p.member, level, area)
            + household("covid19_vulnerable_members", period)
            * _by_level(p.vulnerable_member, level, area)
        )
        return riel(eligible * amount)


# --- Inflation cash transfer --------------------------------------------------------------


class inflation_cash_transfer_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for the inflation cash transfer: IDPoor household in a phase month"

    def formula_2022_12_01(household: Population, period: Period, parameters: Parameters) -> Array:
        active = parameters(period).social_assistance.inflation.active
        return household("idpoor", period) * bool(active)


class inflation_cash_transfer(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "KHR"
    label = "Inflation cash transfer, KHR a month"

    def formula_2022_12_01(household: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.inflation
        area = household("area_type", period)
        size = household("household_size", period)
        amount = _by_area(p.household_base, area) + size * _by_area(p.member, area)
        return riel(household("inflation_cash_transfer_eligible", period) * amount)


# --- Flood cash transfer ------------------------------------------------------------------


class flood_cash_transfer_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for the flood cash transfer: IDPoor household in a flood-hit area"

    def formula_2023_01_01(household: Population, period: Period, parameters: Parameters) -> Array:
        active = parameters(period).social_assistance.flood.active
        return household("idpoor", period) * household("flood_affected", period) * bool(active)


class flood_cash_transfer(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    unit = "USD cents"
    label = "Flood cash transfer, US cents a month"

    def formula_2023_01_01(household: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).social_assistance.flood
        amount = p.household_amount + household("household_size", period) * p.member_amount
        return riel(household("flood_cash_transfer_eligible", period) * amount)


VARIABLES = [
    covid19_vulnerable, covid19_vulnerable_members, covid19_cash_transfer_eligible,
    covid19_cash_transfer, inflation_cash_transfer_eligible, inflation_cash_transfer,
    flood_cash_transfer_eligible, flood_cash_transfer,
]
