"""Back-office pages of targeting: the rounds (and opening one), a round with its assessments
and scoring, and one assessment with its score explained item by item in Khmer and English."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.errors import FieldError, InvalidInput
from spmis.jobs import JobService
from spmis.pagekit import dates, forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.targeting.model import LEVEL_NAMES, RoundDraft
from spmis.targeting.score_job import KIND
from spmis.targeting.service import TargetingService

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MANAGERS = ("admin", "programme_officer")
LABELS: dict[str, Any] = {
    "kind_labels": {"village": N_("Every village of the area"),
                    "on_demand": N_("On demand at the commune office")},
    "status_labels": {"open": N_("Open"), "closed": N_("Closed"), "draft": N_("Draft"),
                      "scored": N_("Scored")},
    "channel_labels": {"odk": N_("ODK Collect"), "office": N_("Commune office")},
    "level_labels": {1: N_("Poor Level 1"), 2: N_("Poor Level 2"), 0: N_("Not poor")},
    "event_labels": {"receive": N_("Received"), "create": N_("Opened"),
                     "score": N_("Scored"), "status": N_("Status changed")},
}
assert set(LABELS["level_labels"]) == set(LEVEL_NAMES)


def _service(request: Request) -> TargetingService:
    return TargetingService(app_ctx(request))


async def _rounds(request: Request, form: dict[str, Any], errors: forms.FormErrors,
                  status: int = 200) -> Response:
    actor = require_actor(request)
    rows = await run_in_threadpool(_service(request).rounds, actor)
    return render(request, "office/targeting.html", {
        **LABELS, "rows": rows, "form": form, "errors": errors,
        "can_manage": actor.has_role(*MANAGERS), "today": date.today()},
        status_code=status, area="office")


@router.get("/office/targeting", response_class=HTMLResponse)
async def rounds(request: Request) -> Response:
    """The assessment rounds of the user's area."""
    return await _rounds(request, {}, forms.FormErrors())


@router.post("/office/targeting", response_class=HTMLResponse)
async def open_round(request: Request) -> Response:
    """Open a new round."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    values, date_errors = dates.read(raw)
    try:
        days = {}
        for name in ("parameter_date", "opens_on", "closes_on"):
            try:
                days[name] = date.fromisoformat(str(values.get(name) or ""))
            except ValueError:
                if not any(e.loc == (name,) for e in date_errors):
                    date_errors.append(FieldError((name,), "missing", "give a date",
                                                  "សូមបញ្ចូលកាលបរិច្ឆេទ"))
        if date_errors:
            raise InvalidInput(date_errors)
        draft = RoundDraft(code=forms.text(values, "code") or "",
                           name=forms.text(values, "name") or "",
                           kind=forms.text(values, "kind") or "village",
                           area_code=forms.text(values, "area_code") or actor.scope, **days)
        round_id = await run_in_threadpool(_service(request).create_round, draft, actor)
    except InvalidInput as exc:
        return await _rounds(request, dict(raw), forms.FormErrors.of(
            exc.errors, request_locale(request)), 422)
    return RedirectResponse(f"/office/targeting/rounds/{round_id}", status_code=303)


@router.get("/office/targeting/rounds/{round_id}", response_class=HTMLResponse)
async def round_page(request: Request, round_id: int, level: str | None = None) -> Response:
    """A round: its facts, its scorings and its assessments in the user's area."""
    actor = require_actor(request)
    service = _service(request)
    chosen = int(level) if level in ("0", "1", "2") else None
    r = await run_in_threadpool(service.round, round_id, actor)
    rows = await run_in_threadpool(lambda: service.assessments(round_id, actor, level=chosen,
                                                               limit=500))
    return render(request, "office/targeting_round.html", {
        **LABELS, "r": r, "rows": rows, "level": chosen,
        "can_manage": actor.has_role(*MANAGERS)}, area="office")


@router.post("/office/targeting/rounds/{round_id}/score")
async def score(request: Request, round_id: int) -> Response:
    """Score the round in the background; the job's page follows it."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    await run_in_threadpool(_service(request).round, round_id, actor)
    job = await run_in_threadpool(JobService(app_ctx(request)).submit, actor, KIND,
                                  {"round_id": round_id})
    return RedirectResponse(f"/office/jobs/{job.id}", status_code=303)


@router.get("/office/targeting/assessments/{assessment_id}", response_class=HTMLResponse)
async def assessment(request: Request, assessment_id: int) -> Response:
    """One assessment and its score explained item by item."""
    actor = require_actor(request)
    row = await run_in_threadpool(_service(request).assessment, assessment_id, actor)
    return render(request, "office/targeting_assessment.html", {**LABELS, "a": row,
                  "e": row["explanation"]}, area="office")
