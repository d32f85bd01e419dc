"""Use cases of the rules capability, called the same way by the CLI, the API, the pages and
background jobs:

* ``RulesService.evaluate(actor, period, programmes)``: every active household and person of the
  registry through the engine, results stored as one run.
* ``RulesService.household_eligibility(actor, household_id, period)``: one household's answers,
  equal to what the batch stores for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.registry import queries as registry
from spmis.rules.engine import evaluate
from spmis.rules.household import HouseholdAnswer, household_answers
from spmis.rules.periods import period_problem
from spmis.rules.population import load_population_parallel
from spmis.rules.store import write_results

__all__ = ["ProgrammeTotal", "Progress", "RulesService", "RunSummary"]

#: called with a stage ('load', 'compute', 'write', 'done') and the share of the work done (0-1)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ProgrammeTotal:
    programme: str
    eligible: int
    amount: int
    currency: str


@dataclass(frozen=True)
class RunSummary:
    """What one evaluation did: its run id, sizes, timings (seconds) and per-programme totals."""

    run_id: int
    period: str
    households: int
    persons: int
    rows: int
    seconds: dict[str, float] = field(default_factory=dict)
    totals: list[ProgrammeTotal] = field(default_factory=list)


def _check_period(period: str) -> None:
    problem = period_problem(period)
    if problem is not None:
        raise InvalidInput.one(("period",), "out_of_range", *problem)


class RulesService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def evaluate(
        self,
        actor: Actor,
        period: str,
        programmes: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
    ) -> RunSummary:
        """Evaluate ``programmes`` (all by default) for every active household and person of the
        registry in ``period`` and store the results as one run. The whole registry is evaluated,
        so the actor must have national scope."""
        if actor.scope:
            raise Forbidden("evaluation covers the whole country; it needs a national scope",
                            "ការវាយតម្លៃគ្របដណ្ដប់ទូទាំងប្រទេស ត្រូវការសិទ្ធិថ្នាក់ជាតិ")
        _check_period(period)
        report = progress or (lambda stage, done: None)
        started = datetime.now(UTC)
        report("load", 0.0)
        t0 = time.perf_counter()
        loaded = load_population_parallel(self.ctx.engine, period)
        population = loaded.population
        report("compute", 0.3)
        t1 = time.perf_counter()
        results = evaluate(population, period, programmes)
        report("write", 0.7)
        t2 = time.perf_counter()
        run_id, rows = write_results(
            self.ctx.engine, period, results, households=len(population.household_ids),
            persons=len(population.person_ids), run_by=actor.username, started_at=started,
        )
        t3 = time.perf_counter()
        report("done", 1.0)
        return RunSummary(
            run_id=run_id, period=period, households=len(population.household_ids),
            persons=len(population.person_ids), rows=rows,
            seconds={"load": t1 - t0, "compute": t2 - t1, "write": t3 - t2},
            totals=[
                ProgrammeTotal(pid, int(res.eligible.sum()), int(res.amount.sum()), res.currency)
                for pid, res in results.items()
            ],
        )

    def household_eligibility(
        self, actor: Actor, household_id: int, period: str
    ) -> list[HouseholdAnswer]:
        """Every programme's answer for one household in ``period``, with reasons: the same
        translation and engine as ``evaluate``, so the answers equal the stored run's."""
        _check_period(period)
        with self.ctx.engine.connect() as conn:
            village = registry.household_village_code(conn, household_id)
            if village is None:
                raise NotFound(f"household {household_id} not found",
                               f"រកមិនឃើញគ្រួសារលេខ {household_id}")
            if not scope.covers(actor.scope, village):
                raise Forbidden("this record is outside your area",
                                "កំណត់ត្រានេះនៅក្រៅតំបន់របស់អ្នក")
            return household_answers(conn, household_id, period)
