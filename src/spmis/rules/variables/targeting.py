"""Scoring of the IDPoor household questionnaire: each scored item's points and the household's
level (1: Poor Level 1, 2: Poor Level 2, 0: not poor), from the dated parameters under
``targeting.idpoor`` (parameters/targeting/idpoor.yaml).

The answers of a select item are input as the index of the answer in ``SELECT_ITEMS[item]``
(the choice order of the XLSForm, checked by a test); the points of every answer are looked up
in one array indexing over all households. Counts (members, dependants, members with a
disability or a chronic illness) are input as numbers.
"""

from __future__ import annotations

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.entities import Household
from spmis.rules.variables.common import Array, Parameters, Period, Population

MONTH = DateUnit.MONTH

#: the scored select items and their answers, in the XLSForm's choice order
SELECT_ITEMS: dict[str, tuple[str, ...]] = {
    "roof": ("thatch", "tin_or_fibre", "tiles_or_concrete"),
    "walls": ("thatch_or_bamboo", "wood_or_tin", "brick_or_concrete"),
    "floor_area": ("small", "medium", "large"),
    "land": ("none", "under_half_ha", "half_to_one_ha", "over_one_ha"),
    "transport": ("none", "bicycle", "motorbike", "car_or_tractor"),
    "durables": ("none", "phone_or_radio", "tv", "tv_and_fridge"),
    "livestock": ("none", "poultry_only", "one_or_two_large", "three_plus_large"),
    "income": ("casual_labour", "own_farm", "small_business", "salary_or_remittance"),
    "shocks": ("none", "minor", "major"),
}
#: the scored counts
COUNT_ITEMS = ("members", "dependants", "disabled", "chronic_ill")
#: every item that has points, in the order the explanation lists them
SCORED_ITEMS = (*SELECT_ITEMS, "dependants", "disabled", "chronic_ill")


def answer_variable(item: str) -> str:
    """The input variable of an item's answer (a choice index, or a count)."""
    return f"idpoor_answer_{item}"


def points_variable(item: str) -> str:
    """The variable holding an item's points."""
    return f"idpoor_points_{item}"


def _input(item: str, label: str) -> type[Variable]:
    return type(answer_variable(item), (Variable,), {
        "value_type": int, "entity": Household, "definition_period": MONTH,
        "default_value": 0, "label": label, "__module__": __name__})


def _select_points(item: str, choices: tuple[str, ...]) -> type[Variable]:
    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        node = getattr(parameters(period).targeting.idpoor.points, item)
        table = np.array([getattr(node, name) for name in choices], dtype=np.int32)
        answer = household(answer_variable(item), period)
        return table[np.clip(answer, 0, len(choices) - 1)]

    return type(points_variable(item), (Variable,), {
        "value_type": int, "entity": Household, "definition_period": MONTH,
        "label": f"IDPoor points for the answer to '{item}'", "formula": formula,
        "__module__": __name__})


class idpoor_points_dependants(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "IDPoor points for the share of dependants among the members"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        p = parameters(period).targeting.idpoor.dependants
        members = np.maximum(household(answer_variable("members"), period), 1)
        share = household(answer_variable("dependants"), period) * 100  # percent x members
        return np.select([share >= p.high_share_percent * members,
                          share >= p.some_share_percent * members],
                         [p.high_points, p.some_points], 0).astype(np.int32)


def _count_points(item: str, node_name: str, label: str) -> type[Variable]:
    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        p = getattr(parameters(period).targeting.idpoor, node_name)
        counted = np.clip(household(answer_variable(item), period), 0, p.max_members)
        return (counted * p.points_per_member).astype(np.int32)

    return type(points_variable(item), (Variable,), {
        "value_type": int, "entity": Household, "definition_period": MONTH, "label": label,
        "formula": formula, "__module__": __name__})


class idpoor_score(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "IDPoor questionnaire score (the sum of the items' points; higher is poorer)"

    def formula(household: Population, period: Period) -> Array:
        return sum(household(points_variable(item), period) for item in SCORED_ITEMS)


class idpoor_assessed_level(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "IDPoor level from the questionnaire score: 1 (Poor Level 1), 2 (Poor Level 2), 0"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        cut = parameters(period).targeting.idpoor.cut_offs
        score = household("idpoor_score", period)
        return np.select([score >= cut.level_1, score >= cut.level_2], [1, 2], 0)


VARIABLES: list[type[Variable]] = [
    *(_input(item, f"IDPoor answer to '{item}' (index of the choice)") for item in SELECT_ITEMS),
    *(_input(item, f"IDPoor answer: number of {item.replace('_', ' ')}") for item in COUNT_ITEMS),
    *(_select_points(item, choices) for item, choices in SELECT_ITEMS.items()),
    idpoor_points_dependants,
    _count_points("disabled", "disability", "IDPoor points for members with a disability"),
    _count_points("chronic_ill", "chronic_illness",
                  "IDPoor points for members with a chronic illness"),
    idpoor_score,
    idpoor_assessed_level,
]
