"""The linkage review queue: pairs of records that may be the same person (from a deduplication
run), shown side by side field by field. A registrar accepts (which files a merge request for an
approver: maker-checker; the page says so) or rejects (never merged automatically) with a
reason. Registrars and administrators start a deduplication run of their area from the page (a
background job)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from spmis.errors import InvalidInput
from spmis.jobs import JobService
from spmis.linkage import schemas as ls
from spmis.linkage.dedupe_job import KIND as DEDUPE_JOB
from spmis.linkage.review import ReviewService
from spmis.pagekit import forms
from spmis.pagekit.history_text import data
from spmis.pagekit.i18n import Formatter
from spmis.pagekit.labels import IDENTIFIER_LABELS, RELATIONSHIP_LABELS, SEX_LABELS, area_name
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import gettext, render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)


FIELD_LABELS = {
    "family_name_latin": N_("Family name in Latin letters"),
    "given_name_latin": N_("Given name in Latin letters"),
    "family_name_km": N_("Family name in Khmer"),
    "given_name_km": N_("Given name in Khmer"),
    "sex": N_("Sex"),
    "date_of_birth": N_("Date of birth"),
    "dob_estimated": N_("The date of birth is estimated"),
    "relationship": N_("Relationship"),
    "employment_type": N_("Work"),
    "occupation": N_("Occupation"),
    "village_code": N_("Village"),
    "household_id": N_("Household"),
}
REVIEW_STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "awaiting_approval": N_("Waiting for an approver"),
    "merged": N_("Merged"),
    "rejected": N_("Not the same person"),
}


EMPLOYMENT_LABELS = {
    "formal": N_("Employee of an enterprise"),
    "informal": N_("Informal work"),
    "self_employed": N_("Self-employed"),
    "none": N_("No paid work"),
}


def shown(request: Request, name: str, value: object) -> str | Markup:
    """A compared value as a reader understands it: labels for codes, names for places,
    dates in the reader's format; '—' when empty."""
    locale = request_locale(request)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext(request, N_("Yes") if value else N_("No"))
    labels = {"sex": SEX_LABELS, "relationship": RELATIONSHIP_LABELS,
              "employment_type": EMPLOYMENT_LABELS}.get(name)
    if labels is not None:
        return gettext(request, labels.get(str(value), str(value)))
    if name == "village_code":
        return area_name(app_ctx(request).gazetteer, str(value), locale)
    if isinstance(value, date):
        return Formatter(locale).date(value)
    if isinstance(value, int):
        return Formatter(locale).number(value)
    return data(str(value))  # typed text (a name, an occupation): shown as it is


def field_label(name: str) -> str:
    if name.startswith("identifiers."):
        return IDENTIFIER_LABELS.get(name.split(".", 1)[1], name)
    return FIELD_LABELS.get(name, name)


RUN_STATUS_LABELS = {
    "running": N_("Running"),
    "finished": N_("Finished"),
    "failed": N_("Failed"),
}
#: recent deduplication runs shown on the page
RECENT_RUNS = 5


@router.get("/office/linkage", response_class=HTMLResponse)
async def review_queue(request: Request) -> HTMLResponse:
    """Pairs in the user's area, most likely matches first (for those who review them); the
    recent deduplication runs of the area and a button to start one (for those who may)."""
    actor = require_actor(request)
    service = ReviewService(app_ctx(request))
    reviews = may(actor, "GET", "/office/linkage/{review_id}")
    page = await run_in_threadpool(lambda: service.queue(actor)) if reviews else None
    runs = await run_in_threadpool(service.runs, actor, RECENT_RUNS)
    q = request.query_params
    return render(request, "office/linkage_queue.html", {
        "page": page, "status_labels": REVIEW_STATUS_LABELS, "runs": runs,
        "run_status_labels": RUN_STATUS_LABELS,
        "can_start": may(actor, "POST", "/office/linkage/runs"),
        "scope_name": gettext(request, area_name(app_ctx(request).gazetteer, actor.scope,
                                                 request_locale(request))),
        "done": q.get("done"), "request_id": _int(q.get("request")),
    }, area="office")


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


@router.post("/office/linkage/runs", response_class=HTMLResponse)
async def start_run(request: Request) -> Response:
    """Start a deduplication run over the user's area, as a background job; its page shows how
    far it got and what it found."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    job = await run_in_threadpool(JobService(app_ctx(request)).submit, actor, DEDUPE_JOB, {})
    return RedirectResponse(f"/office/jobs/{job.id}", status_code=303)


async def _compare_page(request: Request, review_id: int, status_code: int = 200,
                        errors: dict[str, str] | None = None) -> HTMLResponse:
    actor = require_actor(request)
    cmp = await run_in_threadpool(ReviewService(app_ctx(request)).compare, review_id, actor)
    return render(request, "office/linkage_pair.html", {
        "cmp": cmp, "field_label": field_label, "errors": errors or {},
        "shown": lambda name, value: shown(request, name, value),
        "relationship_labels": RELATIONSHIP_LABELS, "status_labels": REVIEW_STATUS_LABELS,
        "can_decide": may(actor, "POST", "/office/linkage/{review_id}/{decision}"),
    }, status_code=status_code, area="office")


@router.get("/office/linkage/next", response_class=HTMLResponse)
async def next_pair(request: Request) -> Response:
    """The pair to review after ``after`` (a pair id) in the queue's order, most likely first;
    the queue page itself when nothing is left (keyboard shortcut ``n``)."""
    actor = require_actor(request)
    after = _int(request.query_params.get("after"))
    page = await run_in_threadpool(lambda: ReviewService(app_ctx(request)).queue(actor))
    ids = [r.id for r in page.items]
    if after in ids:
        ids = ids[ids.index(after) + 1:] + ids[:ids.index(after)]
    if not ids:
        return RedirectResponse("/office/linkage?done=empty", status_code=303)
    return RedirectResponse(f"/office/linkage/{ids[0]}", status_code=303)


@router.get("/office/linkage/{review_id}", response_class=HTMLResponse)
async def review_pair(request: Request, review_id: int) -> HTMLResponse:
    """The two records side by side."""
    return await _compare_page(request, review_id)


@router.post("/office/linkage/{review_id}/{decision}", response_class=HTMLResponse)
async def decide_pair(request: Request, review_id: int, decision: str) -> Response:
    """Accept (a merge request for an approver) or reject the pair, with the reason."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = ReviewService(app_ctx(request))
    reason = forms.text(form, "reason") or ""
    try:
        if decision == "accept":
            survivor = forms.integer(form, "survivor_id")
            cmd = ls.AcceptIn.model_validate({"reason": reason, "survivor_id": survivor})
            filed = await run_in_threadpool(service.accept, review_id, cmd, actor)
            return RedirectResponse(f"/office/linkage?done=accept&request={filed.id}",
                                    status_code=303)
        elif decision == "reject":
            if len(reason) < 3:
                raise InvalidInput.one(("reason",), "string_too_short",
                                       "give the reason (at least 3 characters)",
                                       "សូមបញ្ជាក់មូលហេតុ (យ៉ាងតិច ៣ តួអក្សរ)")
            await run_in_threadpool(service.reject, review_id, reason[:500], actor)
            return RedirectResponse("/office/linkage?done=reject", status_code=303)
        else:
            raise InvalidInput.one(("decision",), "enum", "accept or reject", "ទទួល ឬបដិសេធ")
    except (InvalidInput, ValidationError) as exc:
        errors = forms.FormErrors.of_exception(exc, request_locale(request))
        return await _compare_page(request, review_id, 422, errors)
