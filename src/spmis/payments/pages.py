"""Back-office pages of payments: programmes, a programme (its enrolment runs, cycles, budget),
an enrolment run with its counts and decision, a cycle with its totals by province and sex and
its approval, the ledger, shocks with their preview and decision, and a household's payments
(a fragment the household page loads)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.errors import InvalidInput
from spmis.jobs import JobService
from spmis.pagekit import dates, forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.payments.cycle_job import KIND as CYCLE_KIND
from spmis.payments.model import EXIT_REASON_TEXT
from spmis.payments.service import READERS, PaymentsService, today

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATE_LABELS = {
    "draft": N_("Draft"), "active": N_("Active"), "suspended": N_("Suspended"),
    "closed": N_("Closed"), "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"), "rejected": N_("Rejected"), "cancelled": N_("Cancelled"),
    "ended": N_("Ended"), "pending_approval": N_("Waiting for approval"),
    "candidate": N_("Candidate"), "enrolled": N_("Enrolled"), "exited": N_("Exited"),
    "paid": N_("Paid"), "failed": N_("Failed"), "returned": N_("Returned"),
}
FREQUENCY_LABELS = {"monthly": N_("Every month"), "one_off": N_("Once"),
                    "per_visit": N_("For each health visit")}
ACTION_LABELS = {"create": N_("Opened"), "run": N_("Computed"), "approve": N_("Approved")}
SEX_LABELS = {"F": N_("Women"), "M": N_("Men"), "U": N_("Not recorded")}


def _service(request: Request) -> PaymentsService:
    return PaymentsService(app_ctx(request))


def _common(request: Request) -> dict[str, Any]:
    locale = request_locale(request)
    return {"state_labels": STATE_LABELS, "sex_labels": SEX_LABELS, "action_labels": ACTION_LABELS,
            "frequency_labels": FREQUENCY_LABELS,
            "exit_reasons": {k: v[1] if locale == "km" else v[0]
                             for k, v in EXIT_REASON_TEXT.items()},
            "geo": app_ctx(request).gazetteer}


def _errors(request: Request, exc: InvalidInput) -> forms.FormErrors:
    return forms.FormErrors.of(exc.errors, request_locale(request))


@router.get("/office/payments", response_class=HTMLResponse)
async def programmes_page(request: Request) -> HTMLResponse:
    """Every programme with its state, dates and this year's budget."""
    actor = require_actor(request)
    service = _service(request)
    rows = await run_in_threadpool(service.programmes, actor)
    return render(request, "office/payments.html", {
        **_common(request), "programmes": rows,
        "can_seed": may(actor, "POST", "/office/payments/seed"),
    }, area="office")


@router.post("/office/payments/seed")
async def seed(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    await run_in_threadpool(_service(request).seed_programmes, require_actor(request))
    return RedirectResponse("/office/payments", status_code=303)


async def _programme_page(request: Request, code: str, errors: forms.FormErrors | None = None,
                          form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    prog = await run_in_threadpool(_service(request).programme, actor, code)
    base = "/office/payments/programmes/{code}"
    response = render(request, "office/payments_programme.html", {
        **_common(request), "p": prog, "errors": errors or forms.FormErrors(),
        "form": form or {"period": today().strftime("%Y-%m"), "year": str(today().year)},
        "can_state": may(actor, "POST", f"{base}/state"),
        "can_enrol": may(actor, "POST", f"{base}/enrolment-runs"),
        "can_cycle": may(actor, "POST", f"{base}/cycles"),
        "can_budget": may(actor, "POST", f"{base}/budget"),
    }, area="office")
    response.status_code = status
    return response


@router.get("/office/payments/programmes/{code}", response_class=HTMLResponse)
async def programme_page(request: Request, code: str) -> HTMLResponse:
    """A programme: its budget, enrolment runs and cycles, and the forms to start them."""
    return await _programme_page(request, code)


@router.post("/office/payments/programmes/{code}/state")
async def programme_state(request: Request, code: str) -> Response:
    form = await request.form()
    check_csrf(request, form)
    state = forms.text(form, "state") or ""
    await run_in_threadpool(_service(request).set_programme_state, require_actor(request), code,
                            state, forms.text(form, "reason") or f"set {state} on its page")
    return RedirectResponse(f"/office/payments/programmes/{code}", status_code=303)


@router.post("/office/payments/programmes/{code}/budget", response_class=HTMLResponse)
async def programme_budget(request: Request, code: str) -> Response:
    form = await request.form()
    check_csrf(request, form)
    year, amount = forms.integer(form, "year"), forms.integer(form, "amount")
    try:
        if not isinstance(year, int) or not isinstance(amount, int):
            raise InvalidInput.one(("amount",), "int_parsing", "give whole numbers",
                                   "សូមបញ្ចូលលេខគត់")
        await run_in_threadpool(_service(request).set_budget, require_actor(request), code,
                                year, amount, forms.text(form, "currency") or "",
                                forms.text(form, "legal_reference") or "")
    except InvalidInput as exc:
        return await _programme_page(request, code, _errors(request, exc), dict(form), 422)
    return RedirectResponse(f"/office/payments/programmes/{code}", status_code=303)


@router.post("/office/payments/programmes/{code}/enrolment-runs", response_class=HTMLResponse)
async def start_enrolment(request: Request, code: str) -> Response:
    """List the candidates from the evaluation run given (the month's current run when
    blank)."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = _service(request)
    try:
        run_id = forms.integer(form, "evaluation_run_id")
        if not isinstance(run_id, int):
            raise InvalidInput.one(("evaluation_run_id",), "int_parsing",
                                   "give the number of an evaluation run",
                                   "សូមបញ្ចូលលេខនៃការវាយតម្លៃ")
        run = await run_in_threadpool(service.create_enrolment_run, actor, code, run_id)
    except InvalidInput as exc:
        return await _programme_page(request, code, _errors(request, exc), dict(form), 422)
    return RedirectResponse(f"/office/payments/enrolment-runs/{run['id']}", status_code=303)


@router.post("/office/payments/programmes/{code}/cycles", response_class=HTMLResponse)
async def start_cycle(request: Request, code: str) -> Response:
    """Open the month's cycle and compute it as a background job."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    period = forms.text(form, "period") or ""
    ctx = app_ctx(request)
    try:
        cycle_id = await run_in_threadpool(_service(request).open_cycle, actor, code, period)
        job = await run_in_threadpool(JobService(ctx).submit_checked, actor, CYCLE_KIND,
                                      {"programme": code, "period": period,
                                       "evaluation_run_id": None})
    except InvalidInput as exc:
        return await _programme_page(request, code, _errors(request, exc), dict(form), 422)
    return RedirectResponse(f"/office/payments/cycles/{cycle_id}?job={job.id}", status_code=303)


def _can_decide(actor: Any, decision_route: str, record: Any) -> bool:
    """Maker-checker on a page: a pending record, decided by someone other than its maker who
    may post the decision."""
    return bool(may(actor, "POST", decision_route) and record["state"] == "pending"
                and record["created_by"] != actor.username)


#: a record's page, shown again with the errors of a refused decision: (request, id, errors)
DecisionPage = Callable[[Request, int, forms.FormErrors], Awaitable[HTMLResponse]]


async def _decide(request: Request, decide: Any, record_id: int, back: str,
                  page: DecisionPage) -> Response:
    """Post an approver's decision (approve or reject) with the reason they typed - none is
    filled in for them - and go back; the page again with the error (422) when the reason is
    missing or the decision is refused."""
    form = await request.form()
    check_csrf(request, form)
    approve = forms.text(form, "decision") == "approve"
    try:
        await run_in_threadpool(decide, require_actor(request), record_id, approve,
                                forms.text(form, "reason") or "")
    except InvalidInput as exc:
        shown = await page(request, record_id, _errors(request, exc))
        shown.status_code = 422
        return shown
    return RedirectResponse(back, status_code=303)


async def _enrolment_page(request: Request, run_id: int,
                          errors: forms.FormErrors | None = None) -> HTMLResponse:
    actor = require_actor(request)
    run = await run_in_threadpool(_service(request).enrolment_run, actor, run_id)
    return render(request, "office/payments_enrolment.html", {
        **_common(request), "run": run, "errors": errors or forms.FormErrors(),
        "can_decide": _can_decide(actor, "/office/payments/enrolment-runs/{run_id}/decision", run),
    }, area="office")


@router.get("/office/payments/enrolment-runs/{run_id}", response_class=HTMLResponse)
async def enrolment_page(request: Request, run_id: int) -> HTMLResponse:
    """An enrolment run: candidates and amounts by province, commune and sex; the decision."""
    return await _enrolment_page(request, run_id)


@router.post("/office/payments/enrolment-runs/{run_id}/decision")
async def enrolment_decision(request: Request, run_id: int) -> Response:
    return await _decide(request, _service(request).decide_enrolment, run_id,
                         f"/office/payments/enrolment-runs/{run_id}", _enrolment_page)


@router.get("/office/payments/cycles/{cycle_id}", response_class=HTMLResponse)
async def cycle_page(request: Request, cycle_id: int) -> HTMLResponse:
    """A cycle: its totals by province and sex, its state and approval, its history."""
    actor = require_actor(request)
    cycle = await run_in_threadpool(_service(request).cycle, actor, cycle_id)
    job = request.query_params.get("job")
    return render(request, "office/payments_cycle.html", {
        **_common(request), "c": cycle, "job_id": int(job) if job and job.isdigit() else None,
        "can_approve": (may(actor, "POST", "/office/payments/cycles/{cycle_id}/approve")
                        and cycle["state"] == "pending_approval"
                        and cycle["created_by"] != actor.username),
        "is_maker": cycle["created_by"] == actor.username,
    }, area="office")


@router.post("/office/payments/cycles/{cycle_id}/approve")
async def cycle_approve(request: Request, cycle_id: int) -> Response:
    form = await request.form()
    check_csrf(request, form)
    await run_in_threadpool(_service(request).approve_cycle, require_actor(request), cycle_id,
                            forms.text(form, "reason"))
    return RedirectResponse(f"/office/payments/cycles/{cycle_id}", status_code=303)


@router.get("/office/payments/ledger/{code}", response_class=HTMLResponse)
async def ledger_page(request: Request, code: str) -> HTMLResponse:
    """A programme's ledger for a fiscal year (``?year=``; this year by default)."""
    actor = require_actor(request)
    raw = request.query_params.get("year", "")
    year = int(raw) if raw.isdigit() and len(raw) == 4 else today().year
    book = await run_in_threadpool(_service(request).ledger, actor, code, year)
    prog = await run_in_threadpool(_service(request).programme, actor, code)
    return render(request, "office/payments_ledger.html",
                  {**_common(request), "book": book, "p": prog}, area="office")


@router.get("/office/payments/shocks", response_class=HTMLResponse)
async def shocks_page(request: Request) -> HTMLResponse:
    return await _shocks(request)


async def _shocks(request: Request, errors: forms.FormErrors | None = None,
                  form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    service = _service(request)
    found = await run_in_threadpool(service.shocks, actor)
    progs = await run_in_threadpool(service.programmes, actor)
    response = render(request, "office/payments_shocks.html", {
        **_common(request), "shocks": found,
        "programme_choices": [(p["code"], p["name_km"] if request_locale(request) == "km"
                               else p["name_en"]) for p in progs if p["state"] == "active"],
        "errors": errors or forms.FormErrors(), "form": form or {"kind": "top_up"},
        "can_declare": may(actor, "POST", "/office/payments/shocks"),
    }, area="office")
    response.status_code = status
    return response


@router.post("/office/payments/shocks", response_class=HTMLResponse)
async def declare_shock(request: Request) -> Response:
    """Declare a shock; the next page previews its households and cost."""
    form = await request.form()
    check_csrf(request, form)
    values, date_errors = dates.read(form)
    amount = forms.integer(values, "amount")
    try:
        if date_errors:
            raise InvalidInput(date_errors)
        if isinstance(amount, str):
            raise InvalidInput.one(("amount",), "int_parsing", "give a whole number",
                                   "សូមបញ្ចូលលេខគត់")
        fields: dict[str, Any] = {
            "name_en": forms.text(values, "name_en") or "",
            "name_km": forms.text(values, "name_km") or "",
            "kind": forms.text(values, "kind") or "",
            "programme_code": forms.text(values, "programme") or "",
            "communes": (forms.text(values, "communes") or "").replace(",", " ").split(),
            "start_date": _day(values, "start_date"), "end_date": _day(values, "end_date"),
            "amount": amount, "legal_reference": forms.text(values, "legal_reference") or "",
        }
        shock = await run_in_threadpool(_service(request).declare_shock,
                                        require_actor(request), **fields)
    except InvalidInput as exc:
        return await _shocks(request, _errors(request, exc), dict(form), 422)
    return RedirectResponse(f"/office/payments/shocks/{shock['id']}", status_code=303)


def _day(form: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(form.get(name) or ""))
    except ValueError:
        raise InvalidInput.one((name,), "date_incomplete", "give the day, the month and the year",
                               "សូមបំពេញថ្ងៃ ខែ និងឆ្នាំ") from None


async def _shock_page(request: Request, shock_id: int,
                      errors: forms.FormErrors | None = None) -> HTMLResponse:
    actor = require_actor(request)
    shock = await run_in_threadpool(_service(request).shock, actor, shock_id)
    return render(request, "office/payments_shock.html", {
        **_common(request), "s": shock, "errors": errors or forms.FormErrors(),
        "can_decide": _can_decide(actor, "/office/payments/shocks/{shock_id}/decision", shock),
    }, area="office")


@router.get("/office/payments/shocks/{shock_id}", response_class=HTMLResponse)
async def shock_page(request: Request, shock_id: int) -> HTMLResponse:
    """A shock: its households and cost before approval, and the decision."""
    return await _shock_page(request, shock_id)


@router.post("/office/payments/shocks/{shock_id}/decision")
async def shock_decision(request: Request, shock_id: int) -> Response:
    return await _decide(request, _service(request).decide_shock, shock_id,
                         f"/office/payments/shocks/{shock_id}", _shock_page)


@router.get("/office/households/{household_id}/payments", response_class=HTMLResponse)
async def household_payments(request: Request, household_id: int) -> HTMLResponse:
    """A household's programmes, their history and its payments (loaded into the household
    page)."""
    actor = require_actor(request)
    if not actor.has_role(*READERS):
        return HTMLResponse('<section id="household-payments"></section>')
    found = await run_in_threadpool(_service(request).household_payments, actor, household_id)
    return render(request, "office/payments_household.html", {**_common(request), **found},
                  area="office")
