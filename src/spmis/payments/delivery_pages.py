"""Back-office pages of payment delivery: a cycle's payroll (lines and amount per provider, the
download of each provider's file as CSV or XLSX, the upload of a provider's result file) and a
reconciliation with its report, every problem named in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.pagekit import dates, forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import gettext, render, request_locale
from spmis.pagekit.texts import N_
from spmis.payments import conditions, delivery, reconciliation
from spmis.payments.payroll_files import PAYABLE_CYCLES, open_payroll

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REC_STATES = {"applied": N_("Applied"), "refused": N_("Refused: nothing applied"),
              "running": N_("Running")}
ACCOUNT_TYPES = {"bank_account": N_("Bank account"), "mobile_wallet": N_("Mobile wallet"),
                 "bakong": N_("Bakong account")}


def _page(request: Request, cycle_id: int, errors: dict[str, str] | None = None,
          status_code: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    data = delivery.payroll_page(app_ctx(request), actor, cycle_id)
    data.update(reconciliation.failed_lines(app_ctx(request), actor, cycle_id))
    path = "/office/payments/cycles/{cycle_id}"
    return render(request, "office/payments_payroll.html", {
        **data, "errors": errors or {}, "rec_states": REC_STATES,
        "account_types": ACCOUNT_TYPES,
        "payable": data["cycle"]["state"] in PAYABLE_CYCLES,
        "open_lines": sum(r["lines"] for r in data["counts"]),
        "can_download": may(actor, "GET", f"{path}/payroll/file"),
        "can_upload": may(actor, "POST", f"{path}/reconciliations"),
        "can_settle": may(actor, "POST", f"{path}/failed"),
        "done": request.query_params.get("done"),
    }, status_code=status_code, area="office")


@router.get("/office/payments/cycles/{cycle_id}/payroll", response_class=HTMLResponse)
async def payroll_page(request: Request, cycle_id: int) -> HTMLResponse:
    """The payroll of a cycle per provider, its downloads and the result-file upload."""
    return await run_in_threadpool(_page, request, cycle_id)


@router.get("/office/payments/cycles/{cycle_id}/payroll/file")
async def payroll_file(request: Request, cycle_id: int, provider: str = "",
                       format: str = "csv") -> Response:
    """One provider's payroll file, streamed (each account read is logged)."""
    actor = require_actor(request)
    pf = await run_in_threadpool(open_payroll, app_ctx(request), actor, cycle_id, provider,
                                 format)
    return StreamingResponse(iterate_in_threadpool(pf.chunks()), media_type=pf.media_type,
                             headers={"Content-Disposition":
                                      f'attachment; filename="{pf.filename}"',
                                      "Cache-Control": "no-store"})


@router.post("/office/payments/cycles/{cycle_id}/reconciliations", response_class=HTMLResponse)
async def upload_result(request: Request, cycle_id: int) -> Response:
    """Receive a provider's result file and start its reconciliation job."""
    actor = require_actor(request)
    form = await request.form()
    check_csrf(request, form)
    upload = form.get("file")
    provider = str(form.get("provider") or "")
    locale = request_locale(request)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.one(("file",), "invalid_file", "choose a file",
                                   "សូមជ្រើសរើសឯកសារ")
        job_id = await run_in_threadpool(delivery.submit_result_file, app_ctx(request), actor,
                                         cycle_id, provider, upload.filename, upload.file)
    except InvalidInput as exc:
        errors = {str(e.loc[0]): (e.msg_km if locale == "km" else e.msg) for e in exc.errors}
        return await run_in_threadpool(_page, request, cycle_id, errors, 422)
    finally:
        await form.close()
    return RedirectResponse(f"/office/jobs/{job_id}", status_code=303)


@router.get("/office/payments/reconciliations/{rec_id}", response_class=HTMLResponse)
async def reconciliation_page(request: Request, rec_id: int) -> HTMLResponse:
    """A reconciliation: its counts, or why it was refused, line by line."""
    require_actor(request)
    rec = await run_in_threadpool(delivery.reconciliation_view, app_ctx(request), rec_id)
    return render(request, "office/payments_reconciliation.html", {
        "rec": rec, "rec_states": REC_STATES}, area="office")


EVENT_LABELS = {"antenatal_visit": N_("Antenatal visit"), "delivery": N_("Delivery"),
                "postnatal_visit": N_("Postnatal visit"), "vaccination": N_("Vaccination"),
                "school_attendance": N_("School attendance")}


def _events_page(request: Request, form: dict[str, Any] | None = None,
                 errors: forms.FormErrors | None = None, imported: Any = None,
                 status_code: int = 200) -> HTMLResponse:
    actor = require_actor(request)
    return render(request, "office/payments_events.html", {
        "form": form or {}, "errors": errors or forms.FormErrors(), "imported": imported,
        "kinds": [(k, gettext(request, v)) for k, v in EVENT_LABELS.items()],
        "recorded": request.query_params.get("recorded"),
        "can_record": may(actor, "POST", "/office/payments/events"),
    }, status_code=status_code, area="office")


@router.get("/office/payments/events", response_class=HTMLResponse)
async def events_page(request: Request) -> HTMLResponse:
    """Record a compliance event, or import a health centre's file of them."""
    return _events_page(request)


@router.post("/office/payments/events", response_class=HTMLResponse)
async def record_event_page(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    values, date_errors = dates.read(form)
    try:
        if date_errors:
            raise InvalidInput(date_errors)
        person = forms.integer(values, "person_id")
        if not isinstance(person, int):
            raise InvalidInput.one(("person_id",), "int_parsing", "give the person's number",
                                   "សូមបញ្ចូលលេខបុគ្គល")
        try:
            day = date.fromisoformat(str(values.get("event_date") or ""))
        except ValueError:
            raise InvalidInput.one(("event_date",), "date_incomplete",
                                   "give the day, the month and the year",
                                   "សូមបំពេញថ្ងៃ ខែ និងឆ្នាំ") from None
        event_id = await run_in_threadpool(
            conditions.record_event, app_ctx(request), require_actor(request), person,
            forms.text(values, "kind") or "", day, forms.text(values, "facility") or "")
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request))
        return _events_page(request, dict(form), errors, status_code=422)
    except (NotFound, Conflict) as exc:  # no such person in the area; recorded already
        text = exc.msg_km if request_locale(request) == "km" and exc.msg_km else str(exc)
        field = "person_id" if isinstance(exc, NotFound) else "event_date"
        return _events_page(request, dict(form), forms.FormErrors({field: text}),
                            status_code=404 if isinstance(exc, NotFound) else 409)
    return RedirectResponse(f"/office/payments/events?recorded={event_id}", status_code=303)


@router.post("/office/payments/events/import", response_class=HTMLResponse)
async def import_events_page(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.one(("file",), "invalid_file", "choose a file",
                                   "សូមជ្រើសរើសឯកសារ")
        result = await run_in_threadpool(delivery.import_event_file, app_ctx(request),
                                         require_actor(request), upload.filename, upload.file)
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request))
        return _events_page(request, {}, errors, status_code=422)
    finally:
        await form.close()
    return _events_page(request, imported=result,
                        status_code=422 if result.problems else 200)


@router.post("/office/payments/cycles/{cycle_id}/failed", response_class=HTMLResponse)
async def settle_failed(request: Request, cycle_id: int) -> Response:
    """Retry the chosen failed payments in a later cycle, or cancel them with a reason."""
    actor = require_actor(request)
    form = await request.form()
    check_csrf(request, form)
    ids = [int(str(v)) for v in form.getlist("line") if str(v).isdigit()]
    action = str(form.get("action") or "")
    ctx = app_ctx(request)
    try:
        if not ids:
            raise InvalidInput.one(("line",), "missing", "tick the payments to retry or cancel",
                                   "សូមគូសការទូទាត់ដែលត្រូវព្យាយាមម្តងទៀត ឬលុបចោល")
        if action == "retry":
            target = forms.integer(form, "to_cycle")
            if not isinstance(target, int):
                raise InvalidInput.one(("to_cycle",), "missing", "choose the cycle",
                                       "សូមជ្រើសរើសវដ្ត")
            n = await run_in_threadpool(reconciliation.retry_failed, ctx, actor, cycle_id,
                                        target, ids)
        else:
            n = await run_in_threadpool(reconciliation.cancel_failed, ctx, actor, cycle_id, ids,
                                        str(form.get("reason") or ""))
    except InvalidInput as exc:
        errors = {str(e.loc[0]): (e.msg_km if request_locale(request) == "km" else e.msg)
                  for e in exc.errors}
        return await run_in_threadpool(_page, request, cycle_id, errors, 422)
    return RedirectResponse(f"/office/payments/cycles/{cycle_id}/payroll?done={action}-{n}",
                            status_code=303)
