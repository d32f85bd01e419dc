"""Back-office pages of background jobs: the list of the user's jobs (every job for an
administrator), and one job with its progress bar (refreshed by htmx every two seconds while it
runs), its result or the reason it failed, its history, and the download of its reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from spmis.jobs import kinds
from spmis.jobs.model import FINAL_STATES, Job, JobState
from spmis.jobs.service import JobService
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATE_LABELS = {
    JobState.QUEUED.value: N_("Waiting for a worker"),
    JobState.RUNNING.value: N_("Running"),
    JobState.SUCCEEDED.value: N_("Finished"),
    JobState.FAILED.value: N_("Failed"),
    JobState.CANCELLED.value: N_("Cancelled"),
}
REFRESH_SECONDS = 2
#: result figures shown on a job's page, in this order (other keys stay in the API only)
RESULT_LABELS = {
    "rows_read": N_("Rows read"),
    "households_created": N_("Households created"),
    "people_created": N_("People created"),
    "rows_unchanged": N_("Rows already in the registry"),
    "rows_rejected": N_("Rows rejected"),
    "rows_held": N_("Rows saved with a number awaiting a reviewer"),
    "run_id": N_("Run"),
    "period": N_("Month"),
    "households": N_("Households"),
    "persons": N_("People"),
    "records": N_("People compared"),
    "pairs_scored": N_("Pairs scored"),
    "candidates": N_("Possible duplicates found"),
    "auto_merged": N_("Merged automatically"),
    "queued": N_("Queued for review"),
    "blocked": N_("Blocked by a conflicting identifier"),
    "lines": N_("Lines read"),
    "paid": N_("Paid"),
    "failed": N_("Failed"),
    "problem_count": N_("Problems"),
}


def _title(job: Job, locale: str) -> str:
    spec = kinds.get(job.kind)
    if spec is None:
        return job.kind
    return spec.title_km if locale == "km" else spec.title


def _context(request: Request, service: JobService, job: Job) -> dict[str, object]:
    actor = require_actor(request)
    locale = request_locale(request)
    return {
        "job": job, "title": _title(job, locale), "state_labels": STATE_LABELS,
        "reports": service.reports(job) if job.created_by == actor.username else [],
        "final": job.state in FINAL_STATES, "refresh": REFRESH_SECONDS,
        "can_cancel": not job.is_final and not job.cancel_requested,
        "message": job.progress_message_km if locale == "km" else job.progress_message,
        "error": job.error_km if locale == "km" else job.error,
        "notes": [n.get("km" if locale == "km" else "en", "") for n in job.notes],
        "figures": [(key, label, (job.result or {})[key]) for key, label in RESULT_LABELS.items()
                    if isinstance((job.result or {}).get(key), int | str)],
        "totals": (job.result or {}).get("totals") or [],
    }


@router.get("/office/jobs", response_class=HTMLResponse)
async def job_list(request: Request) -> HTMLResponse:
    """The user's jobs, newest first."""
    actor = require_actor(request)
    service = JobService(app_ctx(request))
    jobs = await run_in_threadpool(service.list, actor, limit=100)
    locale = request_locale(request)
    return render(request, "office/jobs.html", {
        "jobs": jobs, "titles": {j.id: _title(j, locale) for j in jobs},
        "state_labels": STATE_LABELS, "sees_all": actor.has_role("admin"),
    }, area="office")


@router.get("/office/jobs/{job_id}", response_class=HTMLResponse)
async def job_page(request: Request, job_id: int) -> HTMLResponse:
    """One job."""
    actor = require_actor(request)
    service = JobService(app_ctx(request))
    job = await run_in_threadpool(service.get, actor, job_id)
    return render(request, "office/job.html", _context(request, service, job), area="office")


@router.get("/office/jobs/{job_id}/progress", response_class=HTMLResponse)
async def job_progress(request: Request, job_id: int) -> HTMLResponse:
    """The part of the job page that changes (htmx swaps it in while the job runs)."""
    actor = require_actor(request)
    service = JobService(app_ctx(request))
    job = await run_in_threadpool(service.get, actor, job_id)
    return render(request, "office/job_status.html", _context(request, service, job),
                  area="office")


@router.post("/office/jobs/{job_id}/cancel", response_class=HTMLResponse)
async def job_cancel(request: Request, job_id: int) -> Response:
    """Cancel a waiting job, or ask a running one to stop."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = JobService(app_ctx(request))
    await run_in_threadpool(service.cancel, actor, job_id)
    return RedirectResponse(f"/office/jobs/{job_id}", status_code=303)


@router.get("/office/jobs/{job_id}/reports/{name}")
async def job_report(request: Request, job_id: int, name: str) -> Response:
    """A report the job left (the reject report of an import), decrypted for the user who
    submitted the job."""
    actor = require_actor(request)
    service = JobService(app_ctx(request))
    blocks = await run_in_threadpool(service.read_report, actor, job_id, name)
    first = await run_in_threadpool(next, blocks, b"")  # a broken file fails here, as a page

    async def body():  # type: ignore[no-untyped-def]
        yield first
        async for block in iterate_in_threadpool(blocks):
            yield block

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="job-{job_id}-{name}"',
        "Cache-Control": "no-store",
    })
