"""HTTP: the public eligibility check and the parameters listing (no login, nothing stored); the
evaluation runs and their kept results (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from spmis.auth.deps import Ctx, CurrentActor
from spmis.rules import schemas as s
from spmis.rules.catalogue import programmes
from spmis.rules.parameter_listing import list_parameters
from spmis.rules.periods import MONTH_PATTERN
from spmis.rules.screener import ScreenerAnswer, ScreenerRequest, screen_together
from spmis.rules.service import RulesService

router = APIRouter(prefix="/api/v1", tags=["rules"])


@router.post("/screener", response_model=ScreenerAnswer)
async def screener(body: ScreenerRequest) -> ScreenerAnswer:
    """Am I eligible? For every programme: eligible or not, the amount, and the reasons in Khmer
    and English. Bad input gets 422 naming the field. Nothing is stored. The checks arriving
    together are computed together (``screen_together``)."""
    return await screen_together(body)


@router.get("/parameters")
def parameters(
    prefix: Annotated[
        str | None, Query(max_length=200, pattern=r"^[a-z0-9_.]+$", examples=["social_assistance"])
    ] = None,
) -> dict[str, Any]:
    """Every rule parameter with its values over time, unit, currency and legal source."""
    return {"parameters": list_parameters(prefix)}


@router.get("/programmes")
async def programme_catalogue() -> dict[str, Any]:
    """The programmes the rules compute, with names in Khmer and English (from memory: async,
    so no thread is taken for it)."""
    return {"programmes": [p.as_dict() for p in programmes()]}


# ---------------------------------------------------------------- evaluation runs (staff)
RunId = Annotated[int, Path(ge=1, le=2**62)]
Period = Annotated[str, Query(pattern=MONTH_PATTERN, examples=["2026-11"])]


@router.get("/rules/runs", response_model=list[s.RunOut])
def list_runs(
    ctx: Ctx, actor: CurrentActor, period: Annotated[str | None, Query(
        pattern=MONTH_PATTERN, examples=["2026-11"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[s.RunOut]:
    """Evaluation runs, newest first (of one month when ``period`` is given), each with the
    programmes it is the current run for."""
    return RulesService(ctx).runs(actor, period, limit)


@router.get("/rules/runs/{run_id}", response_model=s.RunDetailOut)
def get_run(run_id: RunId, ctx: Ctx, actor: CurrentActor) -> s.RunDetailOut:
    """One run with its totals per programme. A run never changes once stored."""
    return RulesService(ctx).run(actor, run_id)


@router.get("/rules/runs/{run_id}/results", response_model=s.ResultPage)
def run_results(
    run_id: RunId, ctx: Ctx, actor: CurrentActor,
    household_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    programme: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z0-9_]+$")] = None,
    after: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> s.ResultPage:
    """The stored results of run ``run_id`` (households inside the caller's area), of one
    household or programme when given; page with ``next_after``."""
    return RulesService(ctx).results(actor, run_id, household_id=household_id,
                                     programme=programme, after=after, limit=limit)


@router.get("/rules/current")
def current_runs(period: Period, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """For a month: each programme's current run (the one a new payment should pin)."""
    return {"period": period, "runs": RulesService(ctx).current_runs(actor, period)}
