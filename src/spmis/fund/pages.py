"""Pages of the social security fund: fund staff's views (employers with their arrears, the
month's run, an employer's workers, declarations, invoices and payments, and recording a
payment) and an employer's own view (declare the month by typing or uploading, submit, the
invoices with their KHQR string, arrears)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.auth.deps import client_address
from spmis.auth.model import Actor
from spmis.documents.qr import qr_data_uri
from spmis.errors import InvalidInput, NotFound, SpmisError
from spmis.fund import model as m
from spmis.fund import schemas as s
from spmis.fund.api import upload_declaration
from spmis.fund.common import today
from spmis.fund.run_job import KIND as RUN_KIND
from spmis.fund.service import FundService, RawLine
from spmis.jobs import JobService
from spmis.pagekit import forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import gettext, render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATE_LABELS = {
    "draft": N_("Draft"), "submitted": N_("Submitted"), "open": N_("Unpaid"),
    "partly_paid": N_("Partly paid"), "paid": N_("Paid"), "active": N_("Active"),
    "running": N_("Running"), "done": N_("Done"),
}
KIND_LABELS = {"contribution": N_("Contributions"), "adjustment": N_("Correction"),
               "surcharge": N_("Late surcharge")}
OFFICE = "/office/fund"
#: the labels of a worker's fields on the employer's form (as its template writes them)
WAGE_OF, CURRENCY_OF = N_("Wage of %(p)s"), N_("Currency of the wage of %(p)s")


def _service(request: Request) -> FundService:
    return FundService(app_ctx(request))


def _errors(request: Request, exc: InvalidInput) -> forms.FormErrors:
    return forms.FormErrors.of(exc.errors, request_locale(request))


def _common() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "kind_labels": KIND_LABELS}


@router.get(OFFICE, response_class=HTMLResponse)
async def fund_page(request: Request, q: str | None = None) -> HTMLResponse:
    """Fund staff: employers (search), those in arrears, the month's run and the last runs."""
    return await _fund_page(request, q)


async def _fund_page(request: Request, q: str | None = None,
                     errors: forms.FormErrors | None = None,
                     form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    service = _service(request)
    rows = await run_in_threadpool(service.employers, actor, (q or "")[:100] or None)
    arrears = await run_in_threadpool(service.arrears, actor)
    runs = await run_in_threadpool(service.runs, actor)
    response = render(request, "office/fund.html", {
        **_common(), "employers": rows, "arrears": arrears[:20], "runs": runs, "q": q or "",
        "errors": errors or forms.FormErrors(),
        "form": form or {"period": m.period_of(today())},
        "can_run": may(actor, "POST", f"{OFFICE}/runs"),
    }, area="office")
    response.status_code = status
    return response


@router.post(f"{OFFICE}/runs", response_class=HTMLResponse)
async def start_run(request: Request) -> Response:
    """Compute a month's contributions and invoices as a background job."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    period = forms.text(form, "period") or ""
    try:
        await run_in_threadpool(_service(request).check_run, actor, period)
        job = await run_in_threadpool(JobService(app_ctx(request)).submit_checked, actor,
                                      RUN_KIND, {"period": period})
    except InvalidInput as exc:
        return await _fund_page(request, None, _errors(request, exc), dict(form), 422)
    return RedirectResponse(f"/office/jobs/{job.id}", status_code=303)


async def _employer_page(request: Request, employer_id: int,
                         errors: forms.FormErrors | None = None,
                         form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    page = await run_in_threadpool(_employer_view, _service(request), actor, employer_id)
    response = render(request, "office/fund_employer.html", {
        **_common(), **page, "errors": errors or forms.FormErrors(),
        "form": form or {"received_on": today().isoformat()},
        "can_pay": may(actor, "POST", f"{OFFICE}/employers/{{employer_id}}/payments"),
    }, area="office")
    response.status_code = status
    return response


def _employer_view(service: FundService, actor: Actor, employer_id: int) -> dict[str, Any]:
    return {
        "e": service.employer(actor, employer_id),
        "workers": service.workers(actor, employer_id),
        "declarations": service.declarations(actor, employer_id),
        "invoices": service.invoices(actor, employer_id),
        "payments": service.payments(actor, employer_id),
        "arrears": service.arrears(actor, employer_id),
    }


@router.get(f"{OFFICE}/employers/{{employer_id}}", response_class=HTMLResponse)
async def employer_page(request: Request, employer_id: int) -> HTMLResponse:
    """Fund staff: one employer's workers, declarations, invoices and payments."""
    return await _employer_page(request, employer_id)


@router.post(f"{OFFICE}/employers/{{employer_id}}/payments", response_class=HTMLResponse)
async def record_payment(request: Request, employer_id: int) -> Response:
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    try:
        try:
            data = s.PaymentIn.model_validate({
                "amount": forms.integer(form, "amount"), "currency": "KHR",
                "received_on": forms.text(form, "received_on"),
                "reference": forms.text(form, "reference"),
                "channel": forms.text(form, "channel") or "bakong"})
        except ValidationError as exc:
            raise InvalidInput(forms.pydantic_errors(exc, s.PaymentIn)) from None
        await run_in_threadpool(_service(request).record_payment, actor, employer_id, data)
    except InvalidInput as exc:
        return await _employer_page(request, employer_id, _errors(request, exc), dict(form),
                                    422)
    return RedirectResponse(f"{OFFICE}/employers/{employer_id}", status_code=303)


# ---------------------------------------------------------------- the employer's own view
def _with_qr(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with its KHQR string drawn as a QR code (an SVG data URI) to scan."""
    return invoice | {"qr": qr_data_uri(invoice["khqr"]) if invoice["khqr"] else None}


def _own(service: FundService, actor: Actor) -> int:
    own = service.own_employer(actor)
    if own is None:
        raise NotFound("your account is not linked to an enterprise yet: ask the fund",
                       "គណនីរបស់អ្នកមិនទាន់ភ្ជាប់ទៅសហគ្រាសណាមួយទេ៖ សូមសួរមូលនិធិ")
    return own


def _own_view(service: FundService, actor: Actor, address: str,
              period: str | None) -> dict[str, Any]:
    """The employer's page; the typed form holds the draft of ``period`` (or the newest draft
    when no month is asked for), so the wages shown are always those of the month shown."""
    eid = _own(service, actor)
    page = _employer_view(service, actor, eid)
    page["current"] = service.own_workers(actor, address)
    page["named"] = {w["affiliation_id"]: w for w in page["current"]}
    page["open_invoices"] = [_with_qr(service.invoice(actor, i["id"]))
                             for i in page["invoices"] if i["outstanding"] > 0][:6]
    drafts = [d for d in page["declarations"] if d["state"] == "draft"
              and (period is None or d["period"] == period)]
    page["draft"] = service.declaration(actor, drafts[0]["id"]) if drafts else None
    page["period"] = page["draft"]["period"] if page["draft"] else (
        period or m.period_of(today()))
    return page


def _labelled(request: Request, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workers, each with the name that labels their fields: in the reader's script when
    the registry holds it, else the other one, else their number."""
    km = request_locale(request) == "km"
    first, second = ("name_km", "name_latin") if km else ("name_latin", "name_km")
    return [w | {"label": w[first] or w[second] or gettext(request, N_("person %(n)s")) % {
        "n": w["person_id"]}} for w in current]


def _named_rejects(rejects: list[dict[str, Any]],
                   current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The refused rows of a file, each with the worker its person number names when that
    person is one of the enterprise's current workers; about anyone else nothing is said."""
    by_person = {int(w["person_id"]): w for w in current}

    def person(cell: str | None) -> int | None:
        text = (cell or "").strip()
        return int(text) if text.isascii() and text.isdigit() else None

    return [r | {"worker": by_person.get(person(r.get("person_id")) or 0)} for r in rejects]


async def _own_page(request: Request, errors: forms.FormErrors | None = None,
                    form: dict[str, Any] | None = None, status: int = 200,
                    upload: dict[str, Any] | None = None,
                    period: str | None = None) -> HTMLResponse:
    actor = require_actor(request)
    page = await run_in_threadpool(_own_view, _service(request), actor,
                                   client_address(request), period)
    page["current"] = _labelled(request, page["current"])
    if upload:
        upload = upload | {"rejects": _named_rejects(upload["rejects"], page["current"])}
    errors = errors or forms.FormErrors()
    wage, currency = gettext(request, WAGE_OF), gettext(request, CURRENCY_OF)
    for i, w in enumerate(page["current"]):  # the summary names each line's worker too
        errors.named |= {f"lines-{i}-wage": wage % {"p": w["label"]},
                         f"lines-{i}-currency": currency % {"p": w["label"]},
                         f"lines-{i}-person_id": w["label"]}
    response = render(request, "office/fund_own.html", {
        **_common(), **page, "errors": errors,
        # what was posted wins over the draft's month: a refused typed form keeps its month,
        # and the upload form keeps the month it was sent with (nothing to type again)
        "form": {"period": page["period"], **(form or {})}, "upload": upload,
    }, area="office")
    response.status_code = status
    return response


@router.get("/employer", response_class=HTMLResponse)
async def own_page(request: Request, period: str | None = None) -> HTMLResponse:
    """An employer: declare the month (typed or a file; ``period``: the month whose draft the
    form holds), submit it, invoices with KHQR, arrears."""
    return await _own_page(request, period=_month(period))


def _month(period: str | None) -> str | None:
    """A 'YYYY-MM' month asked for in the address, or None (anything else is ignored)."""
    try:
        m.parse_period(period or "")
    except InvalidInput:
        return None
    return period


@router.post("/employer/declare", response_class=HTMLResponse)
async def own_declare(request: Request) -> Response:
    """The month's wages typed in, one field per worker (blank: not paid this month)."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = _service(request)
    lines = []
    i = 0
    while f"lines-{i}-person_id" in form:
        wage = forms.text(form, f"lines-{i}-wage")
        person = forms.integer(form, f"lines-{i}-person_id")
        if wage is not None and isinstance(person, int):
            lines.append(RawLine(i, person, wage, forms.text(form, f"lines-{i}-currency")
                                 or "KHR"))
        i += 1
    try:
        if not lines:
            raise InvalidInput.one(("lines",), "empty", "lines: type at least one wage",
                                   "lines៖ សូមបញ្ចូលប្រាក់ឈ្នួលយ៉ាងហោចណាស់មួយ")
        eid = await run_in_threadpool(_own, service, actor)
        await run_in_threadpool(service.declare, actor, eid, forms.text(form, "period") or "",
                                lines, source="typed",
                                correction=bool(forms.text(form, "correction")))
    except InvalidInput as exc:
        return await _own_page(request, _errors(request, exc), dict(form), 422)
    except SpmisError as exc:
        return await _own_page(request, forms.FormErrors(period=exc.msg_km if request_locale(
            request) == "km" else exc.msg), dict(form), 409)
    period = forms.text(form, "period") or ""
    return RedirectResponse(f"/employer?period={period}#declaration", status_code=303)


@router.post("/employer/upload", response_class=HTMLResponse)
async def own_upload(request: Request) -> Response:
    """A declaration file: the right rows become the draft, the wrong ones are listed."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    file = form.get("file")
    period = forms.text(form, "upload_period") or ""
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput.one(("file",), "missing", "file: choose a CSV or XLSX file",
                                   "file៖ សូមជ្រើសរើសឯកសារ CSV ឬ XLSX")
        eid = await run_in_threadpool(_own, _service(request), actor)
        out = await run_in_threadpool(upload_declaration, app_ctx(request), actor, eid, period,
                                      file.filename, file.file,
                                      bool(forms.text(form, "upload_correction")))
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request),
                                     {"period": "upload_period"})
        return await _own_page(request, errors, dict(form), 422)
    except SpmisError as exc:
        return await _own_page(request, forms.FormErrors(upload_period=exc.msg_km if
                               request_locale(request) == "km" else exc.msg), dict(form), 409)
    finally:
        await form.close()  # the spooled upload, now read (else it is closed at collection)
    return await _own_page(request, upload=out, status=200 if out["declaration_id"] else 422,
                           period=_month(period), form={"upload_period": period})


@router.post("/employer/declarations/{declaration_id}/submit")
async def own_submit(request: Request, declaration_id: int) -> Response:
    form = await request.form()
    check_csrf(request, form)
    await run_in_threadpool(_service(request).submit, require_actor(request), declaration_id)
    return RedirectResponse("/employer#declarations", status_code=303)


@router.get("/employer/invoices/{invoice_id}", response_class=HTMLResponse)
async def own_invoice(request: Request, invoice_id: int) -> HTMLResponse:
    """One invoice with its KHQR payment string."""
    actor = require_actor(request)
    inv = _with_qr(await run_in_threadpool(_service(request).invoice, actor, invoice_id))
    return render(request, "office/fund_invoice.html", {**_common(), "inv": inv},
                  area="office")
