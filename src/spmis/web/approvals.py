"""The maker-checker queue: requests that need a second person (identifier changes now; enrolment,
payroll and merges as those capabilities add kinds). Approvers decide with a reason; makers see
their own requests and may cancel them.

A request made on an older version of its record cannot be approved as it stands (the record
changed since). The approver may then approve it on the current record ("rebase": the request is
checked against the record as it is now and applied when nothing it changes was changed since),
or reject it; its maker may cancel it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.auth.approvals import (
    PENDING,
    STATUSES,
    ApprovalService,
    StaleRequest,
    get_kind,
    may_decide,
)
from spmis.auth.model import Actor
from spmis.auth.schemas import ApprovalOut
from spmis.errors import Conflict, InvalidInput
from spmis.gazetteer import Gazetteer
from spmis.linkage.review import MergeView
from spmis.pagekit import forms
from spmis.pagekit.labels import (
    IDENTIFIER_LABELS,
    RELATIONSHIP_LABELS,
    ROLE_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
    area_name,
    field_label,
)
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.registry.queries import PersonCard, PersonChangeView
from spmis.web.admin import link_url

router = APIRouter(route_class=PageRoute, include_in_schema=False)


KIND_LABELS = {
    "identifier_change": N_("Change of identifiers"),
    "person_merge": N_("Merge of two records of one person"),
    "person_unmerge": N_("Undo of a merge"),
    "enterprise_numbers": N_("Enterprise numbers another enterprise holds"),
    "staff_account_create": N_("New staff account with sensitive rights"),
    "staff_account_change": N_("Sensitive rights for a staff account"),
    "staff_account_reset": N_("Password reset of an account with sensitive rights"),
    "targeting_list_change": N_("Change of a commune's list of poor households"),
}
#: requests on one page, newest first
PAGE = 100
#: the approver's decisions: approve as made, approve on the current record, reject
DECISIONS = ("approve", "rebase", "reject")
DONE = ("approve", "rebase", "reject", "cancel")


def _reason(form: Any) -> str:
    reason = forms.text(form, "reason") or ""
    if len(reason) < 3:
        raise InvalidInput.one(("reason",), "string_too_short",
                               "give the reason (at least 3 characters)",
                               "សូមបញ្ជាក់មូលហេតុ (យ៉ាងតិច ៣ តួអក្សរ)")
    return reason[:500]


def _may_decide(actor: Actor, kind: str) -> bool:
    try:
        return may_decide(actor, kind)
    except Conflict:
        return False


def _rebase_possible(kind: str) -> bool:
    try:
        return get_kind(kind).rebase is not None
    except Conflict:
        return False


def _label(field: str) -> str:
    """The label msgid of a change-log field name (``identifiers.phone`` -> "Phone")."""
    return field_label(field.replace(".", "-"))[1] or field


def _places(gaz: Gazetteer, views: dict[int, object], locale: str) -> dict[str, str]:
    """'Village, Commune, District, Province' of every village the views' people live in."""
    codes: set[str] = set()
    for view in views.values():
        for card in _cards(view):
            codes.add(card.village_code)
    return {c: area_name(gaz, c, locale) for c in codes}


def _cards(view: object) -> list[PersonCard]:
    if isinstance(view, PersonChangeView):
        return [view.person, *(c.owner for c in view.conflicts if c.owner)]
    if isinstance(view, MergeView):
        return [c for c in (view.survivor, view.merged) if c]
    return []


async def _queue(request: Request, actor: Actor, *, status: str = PENDING,
                 errors: forms.FormErrors | None = None,
                 problem: dict[str, Any] | None = None, status_code: int = 200,
                 once: dict[str, Any] | None = None) -> HTMLResponse:
    service = ApprovalService(app_ctx(request))

    def load() -> tuple[list[ApprovalOut], dict[int, object]]:
        items = service.list(actor, status=status, limit=PAGE)
        return items, service.describe(items, actor)

    items, views = await run_in_threadpool(load)
    done = request.query_params.get("done")
    locale = request_locale(request)
    return render(request, "office/approvals.html", {
        "items": items, "views": views, "status": status, "statuses": STATUSES,
        "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS, "role_labels": ROLE_LABELS,
        "identifier_labels": IDENTIFIER_LABELS, "sex_labels": SEX_LABELS,
        "relationship_labels": RELATIONSHIP_LABELS, "label": _label,
        "places": _places(app_ctx(request).gazetteer, views, locale),
        "decidable": {r.id for r in items if _may_decide(actor, r.kind)},
        "once": once, "once_url": link_url(request, once["activation_path"]) if once else None,
        "once_expires": datetime.fromisoformat(once["expires_at"]) if once else None,
        "can_reveal": may(actor, "POST", "/office/people/{person_id}/reveal"),
        "done": done if done in DONE else None, "errors": errors or forms.FormErrors(),
        "problem": problem or {},
    }, status_code=status_code, area="office")


@router.get("/office/approvals", response_class=HTMLResponse)
async def queue(request: Request) -> HTMLResponse:
    """Requests in the user's area (approvers) or made by the user (makers), newest first."""
    actor = require_actor(request)
    status = request.query_params.get("status") or PENDING
    return await _queue(request, actor, status=status if status in STATUSES else PENDING)


def _problem(request_id: int, kind: str, exc: Conflict, locale: str,
             rebase_tried: bool) -> dict[str, Any]:
    """What the card of a request that could not be approved says, and what it offers."""
    stale = isinstance(exc, StaleRequest)
    return {
        "id": request_id,
        "message": exc.msg_km if locale == "km" else exc.msg,
        "fields": [field_label(f.replace(".", "-"))[1] or f
                   for f in (exc.fields if isinstance(exc, StaleRequest) else ())],
        "stale": stale,
        "offer_rebase": not stale and not rebase_tried and _rebase_possible(kind),
    }


@router.post("/office/approvals/{request_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, request_id: int) -> Response:
    """The maker withdraws their own pending request, with a reason."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = ApprovalService(app_ctx(request))
    try:
        await run_in_threadpool(service.cancel, request_id, actor, _reason(form))
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request),
                                     {"reason": f"cancel-reason-{request_id}"})
        return await _queue(request, actor, errors=errors, status_code=422)
    return RedirectResponse("/office/approvals?done=cancel", status_code=303)


@router.post("/office/approvals/{request_id}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, request_id: int, decision: str) -> Response:
    """Approve (as made, or on the current record) or reject a request, with the reason."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = ApprovalService(app_ctx(request))
    if decision not in DECISIONS:
        raise InvalidInput.one(("decision",), "enum", "approve, rebase or reject",
                               "អនុម័ត ពិនិត្យឡើងវិញ ឬបដិសេធ")
    try:
        reason = _reason(form)
        if decision == "reject":
            await run_in_threadpool(service.reject, request_id, actor, reason)
        else:
            decided = await run_in_threadpool(lambda: service.approve(
                request_id, actor, reason, rebase=decision == "rebase"))
            if decided.once:  # an activation link: shown now, once, never by a redirect
                return await _queue(request, actor, once=decided.once)
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request),
                                     {"reason": f"reason-{request_id}"})
        return await _queue(request, actor, errors=errors, status_code=422)
    except Conflict as exc:
        kind = (await run_in_threadpool(service.get, request_id, actor)).kind
        problem = _problem(request_id, kind, exc, request_locale(request),
                           rebase_tried=decision == "rebase")
        return await _queue(request, actor, problem=problem, status_code=409)
    return RedirectResponse(f"/office/approvals?done={decision}", status_code=303)
