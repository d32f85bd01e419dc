"""Grievance pages. Public (no login, Khmer first, phone-sized): the complaint form, which gives
a ticket number and a PIN, and the follow-up page (ticket and PIN). Both forms carry a
double-submit token (a cookie and a hidden field) so another site cannot post them for a
visitor; the routes are rate limited per address like every public route, and wrong PINs are
counted (``GrievanceService.follow``). Back office: the queue of the user's area by deadline,
staff intake, and one grievance with its history, messages and actions."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import client_address
from spmis.db.base import utcnow
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound, SpmisError
from spmis.grievances.model import (
    Category,
    Channel,
    DecisionKind,
    Grievance,
    Intake,
    Kind,
    Outcome,
    PublicView,
    Satisfaction,
    Status,
)
from spmis.grievances.parameters import all_deadlines
from spmis.grievances.service import GrievanceService
from spmis.pagekit import forms
from spmis.pagekit.areas import chosen_code, picker
from spmis.pagekit.routing import PageRoute, wants_html
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FORM_COOKIE = "spmis_grievance"
FORM_FIELD = "form_token"

CATEGORY_LABELS = {
    Category.EXCLUSION.value: N_("I was left out of a programme"),
    Category.WRONG_AMOUNT.value: N_("The amount paid is wrong"),
    Category.PAYMENT_NOT_RECEIVED.value: N_("A payment did not arrive"),
    Category.STAFF_CONDUCT.value: N_("How a staff member behaved"),
    Category.DATA_CORRECTION.value: N_("My information is wrong"),
    Category.FRAUD.value: N_("Fraud or corruption"),
    Category.OTHER.value: N_("Something else"),
}
STATUS_LABELS = {
    Status.RECEIVED.value: N_("Received"),
    Status.IN_REVIEW.value: N_("Being reviewed"),
    Status.RESOLVED.value: N_("Resolved"),
    Status.CLOSED.value: N_("Closed"),
}
EVENT_LABELS = {
    "create": N_("Received"),
    "review": N_("Being reviewed"),
    "decision": N_("The decision appealed against was identified"),
    "escalate": N_("Passed to the office above: the deadline was missed"),
    "resolve": N_("Resolved"),
    "satisfaction": N_("Closed with your answer"),
}
KIND_LABELS = {Kind.COMPLAINT.value: N_("Complaint"), Kind.APPEAL.value: N_("Appeal")}
DECISION_LABELS = {
    DecisionKind.ELIGIBILITY.value: N_("Eligibility decision"),
    DecisionKind.ENROLMENT.value: N_("Enrolment decision"),
    DecisionKind.CLAIM.value: N_("Claim decision"),
}
CHANNEL_LABELS = {
    Channel.PHONE.value: N_("By phone"),
    Channel.VISIT.value: N_("In person"),
    Channel.LETTER.value: N_("By letter"),
    Channel.WEB.value: N_("On the website"),
}
SATISFACTION_LABELS = {
    Satisfaction.SATISFIED.value: N_("Satisfied"),
    Satisfaction.NOT_SATISFIED.value: N_("Not satisfied"),
    Satisfaction.NO_ANSWER.value: N_("No answer"),
}
OUTCOME_LABELS = {Outcome.UPHELD.value: N_("The decision stands"),
                  Outcome.CHANGED.value: N_("The decision was changed")}
MESSAGE_STATE_LABELS = {
    "queued": N_("waiting for the sender"),
    "logged": N_("written to the log, not sent (no SMS gateway)"),
    "sent": N_("sent"),
    "failed": N_("failed, will be tried again"),
    "no_contact": N_("no contact: shown on the follow-up page only"),
}
LABELS = {"message_state_labels": MESSAGE_STATE_LABELS, "category_labels": CATEGORY_LABELS,
          "status_labels": STATUS_LABELS,
          "event_labels": EVENT_LABELS, "kind_labels": KIND_LABELS,
          "decision_labels": DECISION_LABELS, "channel_labels": CHANNEL_LABELS,
          "satisfaction_labels": SATISFACTION_LABELS, "outcome_labels": OUTCOME_LABELS}


def _office_name(request: Request, office: str | None) -> str:
    from spmis.pagekit.templating import gettext

    if not office:
        return gettext(request, "National office")
    unit = app_ctx(request).gazetteer.get(office)
    if unit is None:
        return office
    return unit.name_km if request_locale(request) == "km" else unit.name_en


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- public ---------------------------------------------------------------------------------

def _public_page(request: Request, template: str, context: dict[str, Any],
                 status_code: int = 200) -> Response:
    """A public form page with a fresh double-submit token (cookie and hidden field)."""
    token = secrets.token_urlsafe(24)
    response = render(request, template, {**LABELS, **context, "form_token": token},
                      status_code=status_code)
    response.set_cookie(FORM_COOKIE, token, max_age=6 * 3600, httponly=True,
                        samesite="strict", path="/grievances",
                        secure=request.url.scheme == "https")
    return _no_store(response)


def _token_ok(request: Request, form: Any) -> bool:
    given, expected = forms.text(form, FORM_FIELD), request.cookies.get(FORM_COOKIE)
    return bool(given and expected and hmac.compare_digest(given, expected))


def _expired(request: Request) -> Forbidden:
    return Forbidden("the form expired; reload the page and try again",
                     "ទម្រង់បែបបទផុតកំណត់ សូមផ្ទុកទំព័រឡើងវិញ ហើយព្យាយាមម្តងទៀត")


def _form_context(request: Request, form: Mapping[str, Any],
                  errors: forms.FormErrors | None = None, scope: str = "") -> dict[str, Any]:
    selects = picker(app_ctx(request).gazetteer, form, request_locale(request), level="commune",
                     scope=scope)
    return {"form": form, "selects": selects, "errors": errors or forms.FormErrors(),
            "categories": list(CATEGORY_LABELS.items()),
            "decisions": list(DECISION_LABELS.items()),
            "channels": [(k, v) for k, v in CHANNEL_LABELS.items() if k != Channel.WEB],
            "deadlines": all_deadlines(utcnow().date())}


def _intake(form: Mapping[str, Any], selects: Any, channel: str) -> Intake:
    kind = forms.text(form, "kind") or Kind.COMPLAINT.value
    return Intake(
        category=forms.text(form, "category") or "",
        description=forms.text(form, "description") or "",
        area_code=chosen_code(selects, "commune") or "",
        channel=channel, kind=kind,
        name=forms.text(form, "name"), phone=forms.text(form, "phone"),
        decision_kind=forms.text(form, "decision_kind") if kind == Kind.APPEAL else None,
        decision_ref=forms.text(form, "decision_ref"),
        decided_by=forms.text(form, "decided_by"),
    )


def _values(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != FORM_FIELD}


@router.get("/grievances", response_class=HTMLResponse)
def complaint_form(request: Request) -> Response:
    """The complaint form (no login)."""
    return _public_page(request, "public/grievance_form.html", _form_context(request, {}))


@router.post("/grievances", response_class=HTMLResponse)
async def complaint_submit(request: Request) -> Response:
    """Take the complaint in and show its ticket number and PIN; or show the form again with
    what is wrong (or with the next list of the area picker, ``action=refresh``)."""
    raw = await request.form()
    form = _values(raw)
    context = _form_context(request, form)
    if forms.text(form, "action") == "refresh":
        return _public_page(request, "public/grievance_form.html", context)
    if not _token_ok(request, raw):
        exc = _expired(request)
        if not wants_html(request):
            raise exc
        context["message"] = exc.msg_km if request_locale(request) == "km" else exc.msg
        return _public_page(request, "public/grievance_form.html", context, 403)
    intake = _intake(form, context["selects"], Channel.WEB.value)
    service = GrievanceService(app_ctx(request))
    try:
        receipt = await run_in_threadpool(service.submit, intake, None)
    except InvalidInput as exc:
        context["errors"] = forms.FormErrors.of(exc.errors, request_locale(request))
        return _public_page(request, "public/grievance_form.html", context, 422)
    response = render(request, "public/grievance_receipt.html", {"receipt": receipt})
    response.delete_cookie(FORM_COOKIE, path="/grievances")
    return _no_store(response)


def _follow_context(request: Request, view: PublicView) -> dict[str, Any]:
    return {"view": view, "office_name": _office_name(request, view.office),
            "office_names": {e.office: _office_name(request, e.office)
                             for e in view.events if e.office is not None}}


@router.get("/grievances/follow", response_class=HTMLResponse)
def follow_form(request: Request) -> Response:
    """Ticket number and PIN."""
    return _public_page(request, "public/grievance_follow.html",
                        {"form": {}, "errors": forms.FormErrors()})


async def _follow(request: Request, satisfaction: bool) -> Response:
    raw = await request.form()
    form = _values(raw)
    context: dict[str, Any] = {"form": {"ticket": form.get("ticket", "")},
                               "errors": forms.FormErrors()}
    if not _token_ok(request, raw):
        exc = _expired(request)
        if not wants_html(request):
            raise exc
        context["message"] = exc.msg_km if request_locale(request) == "km" else exc.msg
        return _public_page(request, "public/grievance_follow.html", context, 403)
    service = GrievanceService(app_ctx(request))
    ticket, pin = forms.text(form, "ticket") or "", forms.text(form, "pin") or ""
    address = client_address(request)
    try:
        if satisfaction:
            view = await run_in_threadpool(service.answer_satisfaction, ticket, pin,
                                           forms.text(form, "satisfaction") or "", address)
        else:
            view = await run_in_threadpool(service.follow, ticket, pin, address)
    except InvalidInput as exc:
        context["errors"] = forms.FormErrors.of(exc.errors, request_locale(request))
        return _public_page(request, "public/grievance_follow.html", context, 422)
    except (NotFound, Conflict) as exc:
        context["message"] = exc.msg_km if request_locale(request) == "km" else exc.msg
        return _public_page(request, "public/grievance_follow.html", context,
                            404 if isinstance(exc, NotFound) else 409)
    context.update(_follow_context(request, view))
    context["pin"] = pin
    return _public_page(request, "public/grievance_status.html", context)


@router.post("/grievances/follow", response_class=HTMLResponse)
async def follow(request: Request) -> Response:
    """The ticket's status and each change, for whoever holds its PIN."""
    return await _follow(request, satisfaction=False)


@router.post("/grievances/follow/satisfaction", response_class=HTMLResponse)
async def follow_satisfaction(request: Request) -> Response:
    """The complainant's answer to the resolution (ticket and PIN again)."""
    return await _follow(request, satisfaction=True)


# --- back office ----------------------------------------------------------------------------

@router.get("/office/grievances", response_class=HTMLResponse)
async def queue(request: Request, all: str | None = None) -> Response:
    """The grievances of the user's area, the nearest deadline first."""
    actor = require_actor(request)
    service = GrievanceService(app_ctx(request))
    rows = await run_in_threadpool(service.queue, actor, open_only=not all)
    offices = {g.office: _office_name(request, g.office) for g in rows}
    return render(request, "office/grievances.html", {
        **LABELS, "rows": rows, "offices": offices, "now": utcnow(), "all": bool(all),
        "can_take_in": actor.has_role("admin", "grievance_officer", "registrar")},
        area="office")


@router.get("/office/grievances/new", response_class=HTMLResponse)
def staff_form(request: Request) -> Response:
    """Take a grievance in for someone who phoned, came or wrote."""
    actor = require_actor(request)
    return render(request, "office/grievance_new.html",
                  {**LABELS, **_form_context(request, {}, scope=actor.scope)}, area="office")


@router.post("/office/grievances/new", response_class=HTMLResponse)
async def staff_submit(request: Request) -> Response:
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = _values(raw)
    context = {**LABELS, **_form_context(request, form, scope=actor.scope)}
    if forms.text(form, "action") == "refresh":
        return render(request, "office/grievance_new.html", context, area="office")
    channel = forms.text(form, "channel") or Channel.PHONE.value
    intake = _intake(form, context["selects"], channel)
    service = GrievanceService(app_ctx(request))
    try:
        receipt = await run_in_threadpool(service.submit, intake, actor)
    except InvalidInput as exc:
        context["errors"] = forms.FormErrors.of(exc.errors, request_locale(request))
        return render(request, "office/grievance_new.html", context, status_code=422,
                      area="office")
    can_read = actor.has_role("admin", "grievance_officer", "auditor", "programme_officer",
                              "fund_officer")
    return _no_store(render(request, "office/grievance_receipt.html",
                            {"receipt": receipt, "can_read": can_read}, area="office"))


def _detail(request: Request, g: Grievance, **extra: Any) -> dict[str, Any]:
    actor = require_actor(request)
    service = GrievanceService(app_ctx(request))
    return {
        **LABELS, "g": g, "now": utcnow(), "history": service.history(actor, g.id),
        "messages": service.messages(actor, g.id),
        "office_name": _office_name(request, g.office),
        "can_decide": actor.has_role("grievance_officer", "programme_officer", "fund_officer"),
        "can_reveal": actor.has_role("grievance_officer"),
        "errors": forms.FormErrors(), **extra,
    }


@router.get("/office/grievances/{grievance_id}", response_class=HTMLResponse)
async def detail(request: Request, grievance_id: int, done: str | None = None) -> Response:
    actor = require_actor(request)
    service = GrievanceService(app_ctx(request))
    g = await run_in_threadpool(service.get, actor, grievance_id)
    context = await run_in_threadpool(_detail, request, g)
    context["done"] = done
    return render(request, "office/grievance.html", context, area="office")


ACTIONS = ("review", "decision", "resolve", "satisfaction", "contact")


@router.post("/office/grievances/{grievance_id}/{action}", response_class=HTMLResponse)
async def act(request: Request, grievance_id: int, action: str) -> Response:
    """Review, record the decision appealed against, resolve, record satisfaction, or show the
    complainant's contact (logged)."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    if action not in ACTIONS:
        raise NotFound("no such action", "គ្មានសកម្មភាពនេះទេ")
    form = _values(raw)
    service = GrievanceService(app_ctx(request))
    version = forms.integer(form, "version")
    expected = version if isinstance(version, int) else None
    contact = None
    try:
        if action == "review":
            await run_in_threadpool(service.start_review, actor, grievance_id, expected)
        elif action == "decision":
            await run_in_threadpool(service.record_decision, actor, grievance_id,
                                    forms.text(form, "decision_ref"),
                                    forms.text(form, "decided_by") or "", expected)
        elif action == "resolve":
            await run_in_threadpool(service.resolve, actor, grievance_id,
                                    forms.text(form, "reason") or "",
                                    forms.text(form, "outcome"), expected)
        elif action == "satisfaction":
            await run_in_threadpool(service.record_satisfaction, actor, grievance_id,
                                    forms.text(form, "satisfaction") or "", expected)
        else:
            contact = await run_in_threadpool(service.contact, actor, grievance_id,
                                              forms.text(form, "contact_reason") or "",
                                              client_address(request))
    except (InvalidInput, Forbidden, Conflict) as exc:
        aliases = {"reason": "contact_reason"} if action == "contact" else None
        return await _detail_with_problem(request, service, grievance_id, exc, form, aliases)
    if contact is not None:
        g = await run_in_threadpool(service.get, actor, grievance_id)
        context = await run_in_threadpool(_detail, request, g)
        context["contact"] = contact
        return _no_store(render(request, "office/grievance.html", context, area="office"))
    return RedirectResponse(f"/office/grievances/{grievance_id}?done={action}", status_code=303)


async def _detail_with_problem(request: Request, service: GrievanceService, grievance_id: int,
                               exc: SpmisError, form: Mapping[str, Any],
                               aliases: dict[str, str] | None = None) -> Response:
    actor = require_actor(request)
    locale = request_locale(request)
    g = await run_in_threadpool(service.get, actor, grievance_id)
    context = await run_in_threadpool(_detail, request, g)
    context["form"] = form
    if isinstance(exc, InvalidInput):
        context["errors"] = forms.FormErrors.of(exc.errors, locale, aliases)
        status = 422
    else:
        context["problem"] = exc.msg_km if locale == "km" else exc.msg
        status = 403 if isinstance(exc, Forbidden) else 409
    return render(request, "office/grievance.html", context, status_code=status, area="office")
