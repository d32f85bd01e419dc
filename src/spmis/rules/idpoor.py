"""Score IDPoor questionnaires as rules: every household's points per item, its total and its
level, computed by the OpenFisca formulas of ``variables/targeting.py`` over whole arrays, with
the parameters in force on a round's **parameter date** (so a past round is recomputed with its
own points and cut-offs).

    scores = score({"roof": roof_codes, ..., "members": members, ...}, date(2026, 1, 1))
    scores.level        # int8 per household: 1, 2 or 0
    scores.points["roof"]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from spmis.errors import FieldError, InvalidInput
from spmis.rules.engine import Population, build_simulation
from spmis.rules.system import tax_benefit_system
from spmis.rules.variables.targeting import (
    COUNT_ITEMS,
    SCORED_ITEMS,
    SELECT_ITEMS,
    answer_variable,
    points_variable,
)

__all__ = ["COUNT_ITEMS", "SCORED_ITEMS", "SELECT_ITEMS", "CutOffs", "Scores", "cut_offs",
           "score"]


@dataclass(frozen=True)
class Scores:
    """The engine's answer for every questionnaire, in input order."""

    points: dict[str, npt.NDArray[np.int32]]
    total: npt.NDArray[np.int32]
    level: npt.NDArray[np.int8]


@dataclass(frozen=True)
class CutOffs:
    """The lowest scores of Poor Level 1 and Poor Level 2 on a date."""

    on: date
    level_1: int
    level_2: int


def _month(on: date) -> str:
    return f"{on.year:04d}-{on.month:02d}"


def cut_offs(on: date) -> CutOffs:
    """The cut-offs in force on ``on``."""
    node = tax_benefit_system().get_parameters_at_instant(on.isoformat()).targeting.idpoor
    return CutOffs(on, int(node.cut_offs.level_1), int(node.cut_offs.level_2))


def _check(answers: Mapping[str, npt.ArrayLike]) -> tuple[dict[str, npt.NDArray[Any]], int]:
    missing = [item for item in (*SELECT_ITEMS, *COUNT_ITEMS) if item not in answers]
    if missing:
        raise InvalidInput([FieldError(("answers", item), "missing", "no answer to score",
                                       "គ្មានចម្លើយសម្រាប់ដាក់ពិន្ទុ") for item in missing])
    arrays = {item: np.asarray(answers[item]) for item in (*SELECT_ITEMS, *COUNT_ITEMS)}
    sizes = {len(a) for a in arrays.values()}
    if len(sizes) != 1:
        raise InvalidInput.one(("answers",), "lengths", "the answers' columns differ in length",
                               "ជួរឈរនៃចម្លើយមានប្រវែងខុសគ្នា")
    return arrays, sizes.pop()


def score(answers: Mapping[str, npt.ArrayLike], on: date) -> Scores:
    """Points, total and level of every questionnaire under the parameters in force on ``on``.

    ``answers`` maps every item of ``SELECT_ITEMS`` to the index of each household's answer in
    its choices, and every item of ``COUNT_ITEMS`` to a count (arrays of one length)."""
    arrays, n = _check(answers)
    if n == 0:
        empty = np.zeros(0, dtype=np.int32)
        return Scores(dict.fromkeys(SCORED_ITEMS, empty), empty, np.zeros(0, dtype=np.int8))
    ids = np.arange(n, dtype=np.int64)
    population = Population(
        household_ids=ids, person_ids=ids, person_household_ids=ids,
        household={answer_variable(item): values.astype(np.int32)
                   for item, values in arrays.items()})
    month = _month(on)
    simulation = build_simulation(population, month)
    points = {item: np.asarray(simulation.calculate(points_variable(item), month),
                               dtype=np.int32) for item in SCORED_ITEMS}
    total = np.asarray(simulation.calculate("idpoor_score", month), dtype=np.int32)
    level = np.asarray(simulation.calculate("idpoor_assessed_level", month), dtype=np.int8)
    return Scores(points, total, level)
