"""Eligibility of one registered household for a month, with its reasons in Khmer and English.

The household is loaded by ``spmis.rules.population`` and computed by the engine exactly as the
batch evaluation loads and computes every household, and an answer is what the batch stores for
it (``ProgrammeResult.recorded``, summed over the household's members for programmes paid to
persons): the household page and a stored run say the same. The reasons are those of the public
check (``spmis.rules.explain``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from spmis.rules.catalogue import Programme, programmes
from spmis.rules.engine import ProgrammeResult, build_simulation, evaluate
from spmis.rules.explain import FACT_VARIABLES, Facts, Reason, reasons_for, summary
from spmis.rules.population import load_population

__all__ = ["HouseholdAnswer", "household_answers"]


@dataclass(frozen=True)
class HouseholdAnswer:
    """One programme's answer for one household in one month."""

    programme: Programme
    eligible: bool
    amount: int  # smallest unit of programme.currency, summed over the household's members
    summary: Reason
    reasons: list[Reason]


def recorded_totals(result: ProgrammeResult) -> tuple[bool, int]:
    """(eligible, amount) of the rows the batch stores for these entities: eligible when any
    stored row is, the amount summed."""
    kept = result.recorded
    return bool(np.any(result.eligible & kept)), int(result.amount[kept].sum())


def household_answers(conn: Connection, household_id: int, period: str) -> list[HouseholdAnswer]:
    """Every programme's answer for the household in ``period`` (catalogue order). A household
    that is not active gets no answers (the batch leaves it out)."""
    population = load_population(conn, period, [household_id]).population
    if len(population.household_ids) == 0:
        return []
    simulation = build_simulation(population, period)
    results = evaluate(population, period, simulation=simulation)
    area = simulation.calculate("area_type", period).decode_to_str()
    facts = Facts(
        period=period,
        idpoor_level=int(population.household["idpoor_level"][0]),
        area_type=str(area[0]),
        values={v: np.asarray(simulation.calculate(v, period)) for v in FACT_VARIABLES},
    )
    answers = []
    for prog in programmes():
        eligible, amount = recorded_totals(results[prog.id])
        reasons = reasons_for(prog, facts, flood_affected=False)
        answers.append(HouseholdAnswer(prog, eligible, amount, summary(eligible, reasons),
                                       reasons))
    return answers
