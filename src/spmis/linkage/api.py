"""Registry linkage HTTP API under /api/v1/linkage: deduplication runs, the clerical review queue
(list, side-by-side comparison, accept, reject) and merges (list, undo). Accepting a pair and
undoing a merge return 202 with the maker-checker request that an approver decides at
/api/v1/approvals/{id}/approve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from spmis.auth.deps import Ctx, CurrentActor
from spmis.auth.schemas import ApprovalOut, DecisionIn
from spmis.linkage import schemas as s
from spmis.linkage.registry_dedupe import run_registry_dedupe
from spmis.linkage.review import ReviewService

router = APIRouter(prefix="/api/v1/linkage", tags=["linkage"])

RecordId = Annotated[int, Path(ge=1, le=2**62)]
_FILED: dict[int | str, dict[str, Any]] = {
    202: {"model": ApprovalOut, "description": "filed for approval (maker-checker)"}}


def _svc(ctx: Ctx) -> ReviewService:
    return ReviewService(ctx)


def _filed(out: ApprovalOut) -> JSONResponse:
    return JSONResponse(status_code=202, content=out.model_dump(mode="json"))


@router.get("/runs", response_model=list[s.RunOut])
def list_runs(ctx: Ctx, actor: CurrentActor,
              limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[s.RunOut]:
    """Deduplication runs, newest first."""
    return _svc(ctx).runs(actor, limit)


@router.post("/runs", response_model=s.RunOut, status_code=201)
def start_run(body: s.RunIn, ctx: Ctx, actor: CurrentActor) -> s.RunOut:
    """Run deduplication now over the people in the caller's area (synchronous; for a whole
    country schedule ``spmis link registry-dedupe`` instead). Automatic merges only at or above
    the floor setting ``SPMIS_LINKAGE_AUTO_MERGE_FLOOR``; only administrators may raise the
    threshold of a run (``auto_merge_threshold``), nobody may lower it."""
    summary = run_registry_dedupe(ctx, actor, auto_merge_threshold=body.auto_merge_threshold,
                                  review_threshold=body.review_threshold)
    return next(r for r in _svc(ctx).runs(actor, 50) if r.id == summary.run_id)


@router.get("/reviews", response_model=s.ReviewPage)
def list_reviews(
    ctx: Ctx, actor: CurrentActor,
    status: Annotated[str | None, Query(max_length=24)] = "pending",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> s.ReviewPage:
    """Possible duplicates in the caller's area, most likely first."""
    return _svc(ctx).queue(actor, status=status, page=page, page_size=page_size)


@router.get("/reviews/{review_id}", response_model=s.ComparisonOut)
def compare(review_id: RecordId, ctx: Ctx, actor: CurrentActor) -> s.ComparisonOut:
    """The two records side by side, field by field; identifiers masked."""
    return _svc(ctx).compare(review_id, actor)


@router.post("/reviews/{review_id}/accept", status_code=202, response_model=ApprovalOut,
             responses=_FILED)
def accept(review_id: RecordId, body: s.AcceptIn, ctx: Ctx,
           actor: CurrentActor) -> JSONResponse:
    """Same person: files a merge request that another user (an approver) must approve."""
    return _filed(_svc(ctx).accept(review_id, body, actor))


@router.post("/reviews/{review_id}/reject", response_model=s.ReviewItemOut)
def reject(review_id: RecordId, body: DecisionIn, ctx: Ctx,
           actor: CurrentActor) -> s.ReviewItemOut:
    """Not the same person: the pair is closed and never merged automatically."""
    return _svc(ctx).reject(review_id, body.reason, actor)


@router.get("/merges", response_model=list[s.MergeOut])
def list_merges(
    ctx: Ctx, actor: CurrentActor,
    person_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[s.MergeOut]:
    return _svc(ctx).merges(actor, person_id, limit)


@router.post("/merges/{merge_id}/undo", status_code=202, response_model=ApprovalOut,
             responses=_FILED)
def undo(merge_id: RecordId, body: DecisionIn, ctx: Ctx, actor: CurrentActor) -> JSONResponse:
    """Files a request to undo the merge (restores both records exactly once approved)."""
    return _filed(_svc(ctx).request_undo(merge_id, body.reason, actor))
