"""The audit trail over HTTP: daily root hashes (public), entries and a full check (auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from spmis.audit.schemas import EntryOut, RootOut, VerdictOut
from spmis.audit.service import AuditService
from spmis.auth.deps import Ctx, CurrentActor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/roots", response_model=list[RootOut])
def roots(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=366)] = 60) -> list[RootOut]:
    """The chain's head hash at the end of each UTC day, newest first: anyone may keep them and
    compare later."""
    return [RootOut(**vars(r)) for r in AuditService(ctx).daily_roots(limit)]


@router.get("/entries", response_model=list[EntryOut])
def entries(
    ctx: Ctx, actor: CurrentActor,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    entity_type: Annotated[str | None, Query(max_length=16)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    by: Annotated[str | None, Query(max_length=64)] = None,
) -> list[EntryOut]:
    """Entries newest first (auditors): who changed which record, when, and how."""
    rows = AuditService(ctx).entries(actor, before=before, limit=limit, entity_type=entity_type,
                                     entity_id=entity_id, by=by)
    return [EntryOut(**r) for r in rows]


@router.get("/verify", response_model=VerdictOut)
async def verify(ctx: Ctx, actor: CurrentActor) -> VerdictOut:
    """Recompute the whole chain (auditors); names the first entry that does not match."""
    v = await run_in_threadpool(AuditService(ctx).verify)
    return VerdictOut(ok=v.ok, checked=v.checked, head_seq=v.head_seq, head_hash=v.head_hash,
                      bad_seq=v.bad_seq, fault=v.fault.value if v.fault else None,
                      message=v.message("en"), message_km=v.message("km"))
