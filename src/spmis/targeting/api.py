"""Targeting over HTTP (JSON): rounds, a round's assessments, one assessment with its explained
score, a questionnaire typed in at the commune office, and scoring a round as a background job.
ODK Collect uses the OpenRosa endpoints (``openrosa_api``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from spmis.auth.deps import Ctx, CurrentActor
from spmis.jobs import JobService
from spmis.targeting.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentRow,
    ExplanationOut,
    ReceivedOut,
    RoundIn,
    RoundOut,
    RoundStatusIn,
    ScoringOut,
)
from spmis.targeting.score_job import KIND
from spmis.targeting.service import TargetingService

router = APIRouter(prefix="/api/v1/targeting", tags=["targeting"])
RoundId = Annotated[int, Path(ge=1, le=2**62)]
AssessmentId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/rounds", response_model=list[RoundOut])
def rounds(ctx: Ctx, actor: CurrentActor) -> list[RoundOut]:
    """The rounds whose area overlaps yours, newest first."""
    return [RoundOut(**r) for r in TargetingService(ctx).rounds(actor)]


@router.post("/rounds", response_model=RoundOut, status_code=201)
def create_round(body: RoundIn, ctx: Ctx, actor: CurrentActor) -> RoundOut:
    """Open a new round in your area."""
    service = TargetingService(ctx)
    round_id = service.create_round(body.draft(), actor)
    return RoundOut(**service.round(round_id, actor))


@router.get("/rounds/{round_id}", response_model=RoundOut)
def get_round(round_id: RoundId, ctx: Ctx, actor: CurrentActor) -> RoundOut:
    return RoundOut(**TargetingService(ctx).round(round_id, actor))


@router.post("/rounds/{round_id}/status", response_model=RoundOut)
def set_status(round_id: RoundId, body: RoundStatusIn, ctx: Ctx,
               actor: CurrentActor) -> RoundOut:
    """Close a round (it receives no more questionnaires) or open it again."""
    service = TargetingService(ctx)
    service.set_round_status(round_id, body.status, actor)
    return RoundOut(**service.round(round_id, actor))


@router.post("/rounds/{round_id}/score", response_model=ScoringOut, status_code=202)
def score(round_id: RoundId, ctx: Ctx, actor: CurrentActor) -> ScoringOut:
    """Score the round in the background with its parameter date's parameters; follow the job
    at /api/v1/jobs/{job_id}."""
    TargetingService(ctx).round(round_id, actor)
    job = JobService(ctx).submit(actor, KIND, {"round_id": round_id})
    return ScoringOut(job_id=job.id, state=job.state)


@router.get("/rounds/{round_id}/assessments", response_model=list[AssessmentRow])
def assessments(round_id: RoundId, ctx: Ctx, actor: CurrentActor,
                village: Annotated[str, Query(max_length=8, pattern=r"^\d*$")] = "",
                level: Annotated[int | None, Query(ge=0, le=2)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[AssessmentRow]:
    """The round's assessments in your area, with their score once scored."""
    rows = TargetingService(ctx).assessments(round_id, actor, village=village, level=level,
                                             limit=limit, offset=offset)
    return [AssessmentRow(**r) for r in rows]


@router.post("/assessments", response_model=ReceivedOut, status_code=201)
def enter(body: AssessmentIn, ctx: Ctx, actor: CurrentActor) -> ReceivedOut:
    """A questionnaire typed in at the commune office becomes a draft assessment."""
    received = TargetingService(ctx).enter_at_office(body.round_id, body.household_id,
                                                     body.answers, actor)
    return ReceivedOut(assessment_id=received.assessment_id, created=received.created)


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut)
def get_assessment(assessment_id: AssessmentId, ctx: Ctx, actor: CurrentActor) -> AssessmentOut:
    """One assessment, its answers and its score explained item by item (English, Khmer)."""
    row = TargetingService(ctx).assessment(assessment_id, actor)
    explanation = row.pop("explanation")
    return AssessmentOut(**{k: v for k, v in row.items() if k in AssessmentOut.model_fields
                            and k != "explanation"},
                         total=(row["score"] or {}).get("total"),
                         level=(row["score"] or {}).get("level"),
                         explanation=None if explanation is None
                         else ExplanationOut.of(explanation))
