"""The maker-checker queue: requests that need a second person (identifier changes now; enrolment,
payroll and merges as those capabilities add kinds). Approvers decide with a reason; makers see
their own requests and may cancel them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.auth.approvals import PENDING, STATUSES, ApprovalService
from spmis.errors import InvalidInput
from spmis.web import forms
from spmis.web.labels import IDENTIFIER_LABELS, STATUS_LABELS
from spmis.web.programme_info import N_
from spmis.web.routing import PageRoute
from spmis.web.session import app_ctx, check_csrf, may, require_actor
from spmis.web.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)


KIND_LABELS = {
    "identifier_change": N_("Change of identifiers"),
    "person_merge": N_("Merge of two records of one person"),
    "person_unmerge": N_("Undo of a merge"),
}
DECISIONS = {"approve": "approve", "reject": "reject"}


@router.get("/office/approvals", response_class=HTMLResponse)
async def queue(request: Request) -> HTMLResponse:
    """Requests in the user's area (approvers) or made by the user (makers), newest first."""
    actor = require_actor(request)
    status = request.query_params.get("status") or PENDING
    if status not in STATUSES:
        status = PENDING
    items = await run_in_threadpool(
        lambda: ApprovalService(app_ctx(request)).list(actor, status=status, limit=100))
    return render(request, "office/approvals.html", {
        "items": items, "status": status, "statuses": STATUSES, "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS, "identifier_labels": IDENTIFIER_LABELS,
        "can_decide": may(actor, "POST", "/office/approvals/{request_id}/{decision}"),
        "done": request.query_params.get("done"), "errors": {},
    }, area="office")


@router.post("/office/approvals/{request_id}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, request_id: int, decision: str) -> Response:
    """Approve or reject a request, with the reason."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    reason = forms.text(form, "reason") or ""
    service = ApprovalService(app_ctx(request))
    if decision not in DECISIONS:
        raise InvalidInput.one(("decision",), "enum", "approve or reject", "អនុម័ត ឬបដិសេធ")
    try:
        if len(reason) < 3:
            raise InvalidInput.one(("reason",), "string_too_short",
                                   "give the reason (at least 3 characters)",
                                   "សូមបញ្ជាក់មូលហេតុ (យ៉ាងតិច ៣ តួអក្សរ)")
        act = service.approve if decision == "approve" else service.reject
        await run_in_threadpool(act, request_id, actor, reason[:500])
    except InvalidInput as exc:
        items = await run_in_threadpool(lambda: service.list(actor, status=PENDING, limit=100))
        errors = {f"reason-{request_id}": e.msg_km if request_locale(request) == "km" else e.msg
                  for e in exc.errors}
        return render(request, "office/approvals.html", {
            "items": items, "status": PENDING, "statuses": STATUSES,
            "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS,
            "identifier_labels": IDENTIFIER_LABELS, "can_decide": True, "done": None,
            "errors": errors,
        }, status_code=422, area="office")
    return RedirectResponse(f"/office/approvals?done={decision}", status_code=303)
