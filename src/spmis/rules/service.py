"""Use cases of the rules capability, called the same way by the CLI, the API, the pages and
background jobs:

* ``RulesService.evaluate(actor, period, programmes)``: every active household and person of the
  registry through the engine, results stored as one run.
* ``RulesService.household_eligibility(actor, household_id, period)``: one household's answers,
  equal to what the batch stores for it.
* ``runs``, ``run``, ``results``, ``current_runs``: every run stays readable by its id; which
  run is current for a month is a pointer (``rules_current``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.registry import queries as registry
from spmis.rules import schemas as s
from spmis.rules import store
from spmis.rules.engine import evaluate
from spmis.rules.household import HouseholdAnswer, household_answers
from spmis.rules.periods import period_problem
from spmis.rules.population import load_population_parallel

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


def _run_not_found(run_id: int) -> NotFound:
    return NotFound(f"evaluation run {run_id} not found",
                    f"រកមិនឃើញការវាយតម្លៃលេខ {run_id}")


def _no_household(hid: int) -> NotFound:
    """A household outside the reader's area answers as a missing one (issue 12 #9): the same
    404 the registry gives."""
    return NotFound(f"household {hid} not found", f"រកមិនឃើញគ្រួសារលេខ {hid}")


_CURSOR = re.compile(r"([0-9]{1,18}):([a-z0-9_]{1,40}):([0-9]{1,18})")


def _cursor(after: str) -> tuple[int, str, int]:
    """'household_id:programme:entity_id', as ``ResultPage.next_after`` writes it."""
    found = _CURSOR.fullmatch(after)
    if found is not None:
        return int(found[1]), found[2], int(found[3])
    raise InvalidInput.one(("after",), "bad_cursor",
                           "use the next_after value of the previous page",
                           "សូមប្រើតម្លៃ next_after នៃទំព័រមុន")


def _run_out(row: dict[str, object]) -> dict[str, object]:
    return {**row, "programmes": [p for p in str(row["programmes"]).split(",") if p]}


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
        run_id, rows = store.write_run(
            self.ctx.engine, period, population, results, run_by=actor.username,
            started_at=started,
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
            if village is None or not scope.covers(actor.scope, village):  # the same answer
                raise NotFound(f"household {household_id} not found",
                               f"រកមិនឃើញគ្រួសារលេខ {household_id}")
            return household_answers(conn, household_id, period)

    def runs(self, actor: Actor, period: str | None = None, limit: int = 50) -> list[s.RunOut]:
        """Evaluation runs, newest first (of one period when given)."""
        if period is not None:
            _check_period(period)
        with self.ctx.engine.connect() as conn:
            return [s.RunOut.model_validate(_run_out(r)) for r in store.runs(conn, period, limit)]

    def run(self, actor: Actor, run_id: int) -> s.RunDetailOut:
        """One run with its per-programme totals (over the whole country: a run is national)."""
        with self.ctx.engine.connect() as conn:
            found = store.runs(conn, run_id=run_id)
            if not found:
                raise _run_not_found(run_id)
            totals = store.run_totals(conn, run_id)
        return s.RunDetailOut.model_validate({**_run_out(found[0]), "totals": totals})

    def results(
        self,
        actor: Actor,
        run_id: int,
        *,
        household_id: int | None = None,
        programme: str | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> s.ResultPage:
        """The stored rows of run ``run_id``, in (household, programme, entity) order, of one
        household or programme when given, only of households inside the actor's scope; a page
        of ``limit`` rows at a time (pass ``next_after`` back as ``after``). A run's rows never
        change, whatever ran later."""
        key = _cursor(after) if after is not None else None
        with self.ctx.engine.connect() as conn:
            if not store.runs(conn, run_id=run_id):
                raise _run_not_found(run_id)
            if household_id is not None:
                village = registry.household_village_code(conn, household_id)
                if village is None or not scope.covers(actor.scope, village):
                    raise _no_household(household_id)
            in_scope = registry.household_ids_in_scope(actor.scope) if actor.scope else None
            rows = store.run_results(
                conn, run_id, household_id=household_id, programme=programme,
                households=in_scope, after=key, limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if more else None
        return s.ResultPage(
            run_id=run_id,
            results=[s.ResultOut.model_validate(r) for r in rows],
            next_after=(f"{last['household_id']}:{last['programme']}:{last['entity_id']}"
                        if last else None),
        )

    def current_runs(self, actor: Actor, period: str) -> dict[str, int]:
        """Programme -> the run whose results are current for ``period``."""
        _check_period(period)
        with self.ctx.engine.connect() as conn:
            return store.current_runs(conn, period)
