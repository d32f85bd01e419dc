"""Back-office pages of payment delivery: a cycle's payroll (lines and amount per provider, the
download of each provider's file as CSV or XLSX, the upload of a provider's result file) and a
reconciliation with its report, every problem named in the reader's language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.errors import InvalidInput
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.payments import delivery
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
    path = "/office/payments/cycles/{cycle_id}"
    return render(request, "office/payments_payroll.html", {
        **data, "errors": errors or {}, "rec_states": REC_STATES,
        "account_types": ACCOUNT_TYPES,
        "payable": data["cycle"]["state"] in PAYABLE_CYCLES,
        "open_lines": sum(r["lines"] for r in data["counts"]),
        "can_download": may(actor, "GET", f"{path}/payroll/file"),
        "can_upload": may(actor, "POST", f"{path}/reconciliations"),
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
