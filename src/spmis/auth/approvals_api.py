"""Maker-checker HTTP API: list and read requests, approve or reject (approvers), cancel (maker)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from spmis.auth.approvals import ApprovalService
from spmis.auth.deps import Ctx, CurrentActor
from spmis.auth.schemas import ApprovalOut, DecisionIn

router = APIRouter(prefix="/api/v1/approvals", tags=["maker-checker"])
RequestId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("", response_model=list[ApprovalOut])
def list_requests(
    ctx: Ctx, actor: CurrentActor,
    status: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[ApprovalOut]:
    """Approvers, auditors and admins see requests in their area; others see their own."""
    return ApprovalService(ctx).list(actor, status=status, kind=kind, limit=limit, offset=offset)


@router.get("/{request_id}", response_model=ApprovalOut)
def get_request(request_id: RequestId, ctx: Ctx, actor: CurrentActor) -> ApprovalOut:
    return ApprovalService(ctx).get(request_id, actor)


@router.post("/{request_id}/approve", response_model=ApprovalOut)
def approve(request_id: RequestId, body: DecisionIn, ctx: Ctx, actor: CurrentActor,
            rebase: Annotated[bool, Query(description=(
                "when the record changed after the request: check the request against the "
                "record as it is now and apply it if nothing it changes was changed since"
            ))] = False) -> ApprovalOut:
    """Approve and apply the change. The maker cannot approve their own request. A request
    made on an older version of the record answers 409 unless ``rebase`` is given."""
    return ApprovalService(ctx).approve(request_id, actor, body.reason, rebase=rebase)


@router.post("/{request_id}/reject", response_model=ApprovalOut)
def reject(request_id: RequestId, body: DecisionIn, ctx: Ctx, actor: CurrentActor) -> ApprovalOut:
    return ApprovalService(ctx).reject(request_id, actor, body.reason)


@router.post("/{request_id}/cancel", response_model=ApprovalOut)
def cancel(request_id: RequestId, body: DecisionIn, ctx: Ctx, actor: CurrentActor) -> ApprovalOut:
    """The maker withdraws their pending request."""
    return ApprovalService(ctx).cancel(request_id, actor, body.reason)
