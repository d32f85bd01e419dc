"""HTTP output shapes of background jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spmis.jobs.model import Job


class ProgressOut(BaseModel):
    done: int
    total: int | None
    percent: int | None
    message: str | None
    message_km: str | None


class ErrorOut(BaseModel):
    code: str
    message: str | None
    message_km: str | None


class NoteOut(BaseModel):
    at: str
    en: str
    km: str


class JobOut(BaseModel):
    id: int
    kind: str
    state: str = Field(description="queued, running, succeeded, failed or cancelled")
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    attempts: int
    worker: str | None
    cancel_requested: bool
    progress: ProgressOut
    result: dict[str, Any] | None
    error: ErrorOut | None
    notes: list[NoteOut]
    reports: list[str] = Field(description="addresses of the reports the job left (its "
                                           "submitter may download them)")

    @classmethod
    def of(cls, job: Job, reports: list[str]) -> JobOut:
        return cls(
            id=job.id, kind=job.kind, state=job.state.value, created_by=job.created_by,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at, attempts=job.attempts, worker=job.worker,
            cancel_requested=job.cancel_requested,
            progress=ProgressOut(done=job.progress_done, total=job.progress_total,
                                 percent=job.percent, message=job.progress_message,
                                 message_km=job.progress_message_km),
            result=job.result,
            error=ErrorOut(code=job.error_code, message=job.error, message_km=job.error_km)
            if job.error_code else None,
            notes=[NoteOut(at=n.get("at", ""), en=n.get("en", ""), km=n.get("km", ""))
                   for n in job.notes],
            reports=[f"/office/jobs/{job.id}/reports/{name}" for name in reports],
        )


class JobIn(BaseModel):
    """A job to start: its kind and parameters (checked by the kind)."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="rules.evaluate or linkage.registry_dedupe")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description=("rules.evaluate: {period: 'YYYY-MM', programmes: [ids] or null}; "
                     "linkage.registry_dedupe: {review_threshold, auto_merge_threshold, "
                     "memory_limit}"))
