"""Grievances over HTTP: staff intake, the queue, one grievance, its review, resolution and
satisfaction, the complainant's contact (logged), and the public follow-up by ticket and PIN."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from spmis.auth.deps import Ctx, CurrentActor, client_address
from spmis.db.base import utcnow
from spmis.grievances.schemas import (
    ContactIn,
    ContactOut,
    DecisionIn,
    FollowIn,
    GrievanceIn,
    GrievanceOut,
    PublicOut,
    ReceiptOut,
    ResolveIn,
    SatisfactionIn,
    VersionIn,
)
from spmis.grievances.service import GrievanceService

router = APIRouter(prefix="/api/v1/grievances", tags=["grievances"])
GrievanceId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("", response_model=ReceiptOut, status_code=201)
def take_in(body: GrievanceIn, ctx: Ctx, actor: CurrentActor) -> ReceiptOut:
    """Take in a grievance for someone who phoned, came or wrote; the answer holds the ticket
    number and the PIN to give them (the PIN is not stored in clear and is shown only here)."""
    r = GrievanceService(ctx).submit(body.intake(), actor)
    return ReceiptOut(id=r.id, ticket=r.ticket, pin=r.pin, deadline=r.deadline)


@router.get("", response_model=list[GrievanceOut])
def queue(ctx: Ctx, actor: CurrentActor,
          all: Annotated[bool, Query(description="include resolved and closed")] = False,
          limit: Annotated[int, Query(ge=1, le=500)] = 100,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[GrievanceOut]:
    """The grievances of the caller's area, the nearest deadline first."""
    now = utcnow()
    return [GrievanceOut.of(g, now) for g in GrievanceService(ctx).queue(
        actor, open_only=not all, limit=limit, offset=offset)]


@router.get("/{grievance_id}", response_model=GrievanceOut)
def get_one(grievance_id: GrievanceId, ctx: Ctx, actor: CurrentActor) -> GrievanceOut:
    return GrievanceOut.of(GrievanceService(ctx).get(actor, grievance_id), utcnow())


@router.post("/{grievance_id}/decision", response_model=GrievanceOut)
def record_decision(grievance_id: GrievanceId, body: DecisionIn, ctx: Ctx,
                    actor: CurrentActor) -> GrievanceOut:
    """For an appeal: who made the decision appealed against (that person may not review it)."""
    g = GrievanceService(ctx).record_decision(actor, grievance_id, body.decision_ref,
                                              body.decided_by, body.expected_version)
    return GrievanceOut.of(g, utcnow())


@router.post("/{grievance_id}/review", response_model=GrievanceOut)
def start_review(grievance_id: GrievanceId, body: VersionIn, ctx: Ctx,
                 actor: CurrentActor) -> GrievanceOut:
    """Take the grievance up (an appeal: reopen its decision before the caller)."""
    g = GrievanceService(ctx).start_review(actor, grievance_id, body.expected_version)
    return GrievanceOut.of(g, utcnow())


@router.post("/{grievance_id}/resolve", response_model=GrievanceOut)
def resolve(grievance_id: GrievanceId, body: ResolveIn, ctx: Ctx,
            actor: CurrentActor) -> GrievanceOut:
    """Resolve with the reason the complainant is told (an appeal: and its outcome)."""
    g = GrievanceService(ctx).resolve(actor, grievance_id, body.reason, body.outcome,
                                      body.expected_version)
    return GrievanceOut.of(g, utcnow())


@router.post("/{grievance_id}/satisfaction", response_model=GrievanceOut)
def satisfaction(grievance_id: GrievanceId, body: SatisfactionIn, ctx: Ctx,
                 actor: CurrentActor) -> GrievanceOut:
    """Record the complainant's answer to the resolution; closes the grievance."""
    g = GrievanceService(ctx).record_satisfaction(actor, grievance_id, body.satisfaction,
                                                  body.expected_version)
    return GrievanceOut.of(g, utcnow())


@router.post("/{grievance_id}/contact", response_model=ContactOut)
def contact(grievance_id: GrievanceId, body: ContactIn, request: Request, ctx: Ctx,
            actor: CurrentActor) -> ContactOut:
    """The complainant's name and phone in clear, with a reason; the read is logged."""
    out = GrievanceService(ctx).contact(actor, grievance_id, body.reason,
                                        client_address(request))
    return ContactOut(**out)


@router.post("/follow", response_model=PublicOut)
def follow(body: FollowIn, request: Request, ctx: Ctx) -> PublicOut:
    """Public: a ticket's status and history, for whoever holds its PIN. Failed tries are
    counted per address and per ticket; too many answer 429."""
    view = GrievanceService(ctx).follow(body.ticket, body.pin, client_address(request))
    return PublicOut.of(view)
