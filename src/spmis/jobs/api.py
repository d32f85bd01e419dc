"""Background jobs over HTTP: start (kinds that take parameters), list, read, cancel. A user
sees their own jobs, an administrator every job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from spmis.auth.deps import Ctx, CurrentActor
from spmis.jobs.schemas import JobIn, JobOut
from spmis.jobs.service import JobService

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("", response_model=list[JobOut])
def list_jobs(
    ctx: Ctx, actor: CurrentActor,
    state: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[JobOut]:
    """The caller's jobs, newest first (every job for an administrator)."""
    service = JobService(ctx)
    return [JobOut.of(j, service.reports(j))
            for j in service.list(actor, state=state, kind=kind, limit=limit, offset=offset)]


@router.post("", response_model=JobOut, status_code=202)
def submit_job(body: JobIn, ctx: Ctx, actor: CurrentActor) -> JobOut:
    """Start a job (an evaluation, a deduplication); it is queued for the worker. Follow it at
    ``GET /api/v1/jobs/{id}``."""
    service = JobService(ctx)
    job = service.submit_checked(actor, body.kind, body.parameters)
    return JobOut.of(job, [])


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: JobId, ctx: Ctx, actor: CurrentActor) -> JobOut:
    """One job: state, progress, result or error with its reason, and its history."""
    service = JobService(ctx)
    job = service.get(actor, job_id)
    return JobOut.of(job, service.reports(job))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: JobId, ctx: Ctx, actor: CurrentActor) -> JobOut:
    """Cancel a queued job, or ask a running one to stop (what it wrote stays)."""
    service = JobService(ctx)
    job = service.cancel(actor, job_id)
    return JobOut.of(job, service.reports(job))
