"""Payment delivery over HTTP: providers and their layouts, a beneficiary's payment account,
the payroll file of an approved cycle per provider (streamed), the upload of a provider's
result file (reconciled by a background job) and its report, retry or cancellation of failed
lines, programme conditions and compliance events, and the notification outbox."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import Ctx, CurrentActor
from spmis.payments import conditions, delivery, notifications, reconciliation
from spmis.payments.accounts import set_account
from spmis.payments.payroll_files import open_payroll
from spmis.payments.providers import ProviderLayout, add_provider, list_providers

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
Id = Annotated[int, Path(ge=1, le=2**62)]
Code = Annotated[str, Query(min_length=2, max_length=32)]


class LayoutIn(BaseModel):
    account_type: Literal["bank_account", "mobile_wallet", "bakong"]
    takes_khqr: bool = False
    payroll_columns: list[tuple[str, str]] = Field(min_length=1, max_length=20)
    result_columns: dict[str, str]
    status_words: dict[str, str] = Field(min_length=1, max_length=20)
    encoding: str = Field("utf-8", max_length=16)
    delimiter: str = Field(",", min_length=1, max_length=1)
    date_format: str = Field("%Y-%m-%d", max_length=16)
    khqr_city: str = Field("Phnom Penh", min_length=1, max_length=15)


class ProviderIn(BaseModel):
    code: str = Field(min_length=2, max_length=32)
    name_en: str = Field(min_length=1, max_length=200)
    name_km: str = Field(min_length=1, max_length=200)
    layout: LayoutIn


class AccountIn(BaseModel):
    provider: str = Field(min_length=2, max_length=32)
    account: str = Field(min_length=1, max_length=40)
    holder_person_id: int = Field(ge=1, le=2**62)


class RetryIn(BaseModel):
    to_cycle: int = Field(ge=1, le=2**62)
    line_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(None, max_length=100_000)


class CancelIn(BaseModel):
    line_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1,
                                                                  max_length=100_000)
    reason: str = Field(min_length=3, max_length=500)


class ConditionIn(BaseModel):
    programme: str = Field(min_length=2, max_length=40)
    event_kind: str = Field(min_length=2, max_length=24)
    legal_reference: str = Field(min_length=3, max_length=500)


class EventIn(BaseModel):
    person_id: int = Field(ge=1, le=2**62)
    kind: str = Field(min_length=2, max_length=24)
    event_date: date
    facility: str = Field(min_length=2, max_length=100)


def _provider_out(p: Any) -> dict[str, Any]:
    return {"code": p.code, "name_en": p.name_en, "name_km": p.name_km,
            "layout": p.layout.as_row()}


@router.get("/providers")
def providers(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Payment providers with their file layouts (examples say so in their note)."""
    with ctx.engine.connect() as conn:
        return [_provider_out(p) for p in list_providers(conn)]


@router.post("/providers", status_code=201)
def new_provider(body: ProviderIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Record a provider and its layout, from the provider's own specification."""
    layout = ProviderLayout(**{**body.layout.model_dump(),
                               "payroll_columns": tuple(body.layout.payroll_columns)})
    return _provider_out(add_provider(ctx, actor, body.code, body.name_en, body.name_km,
                                      layout))


@router.put("/beneficiaries/{beneficiary_id}/account")
def put_account(beneficiary_id: Id, body: AccountIn, ctx: Ctx,
                actor: CurrentActor) -> dict[str, Any]:
    """Where a beneficiary is paid (the account is stored encrypted, never shown back)."""
    account_id = set_account(ctx, actor, beneficiary_id, body.provider, body.account,
                             body.holder_person_id)
    return {"id": account_id, "beneficiary_id": beneficiary_id, "provider": body.provider}


@router.get("/cycles/{cycle_id}/payroll-summary")
def payroll_summary(cycle_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Lines still to pay and their amount per provider; lines without an account."""
    page = delivery.payroll_page(ctx, actor, cycle_id)
    return {"cycle_id": cycle_id, "state": page["cycle"]["state"], "counts": page["counts"]}


@router.get("/cycles/{cycle_id}/payroll", response_class=StreamingResponse)
def payroll(cycle_id: Id, provider: Code, ctx: Ctx, actor: CurrentActor,
            format: Literal["csv", "xlsx"] = "csv") -> StreamingResponse:
    """The payroll file of an approved cycle for one provider, in its layout (streamed; each
    account read is logged)."""
    pf = open_payroll(ctx, actor, cycle_id, provider, format)
    return StreamingResponse(pf.chunks(), media_type=pf.media_type, headers={
        "Content-Disposition": f'attachment; filename="{pf.filename}"',
        "Cache-Control": "no-store"})


@router.post("/cycles/{cycle_id}/reconciliations", status_code=202)
async def upload_result(cycle_id: Id, ctx: Ctx, actor: CurrentActor,
                        provider: Annotated[str, Form(min_length=2, max_length=32)],
                        file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """A provider's result file: reconciled by a background job (``payments.reconcile``)."""
    job_id = await run_in_threadpool(delivery.submit_result_file, ctx, actor, cycle_id,
                                     provider, file.filename or "", file.file)
    return {"job_id": job_id, "job": f"/api/v1/jobs/{job_id}"}


@router.get("/cycles/{cycle_id}/reconciliations")
def reconciliations(cycle_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return reconciliation.list_reconciliations(ctx, cycle_id)


@router.get("/reconciliations/{rec_id}")
def get_reconciliation(rec_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A reconciliation with its report (every problem in English and Khmer)."""
    return reconciliation.get_reconciliation(ctx, rec_id)


@router.post("/cycles/{cycle_id}/retry-failed")
def retry(cycle_id: Id, body: RetryIn, ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Put failed lines in the payroll of a later cycle of the programme (a new attempt)."""
    return {"retried": reconciliation.retry_failed(ctx, actor, cycle_id, body.to_cycle,
                                                   body.line_ids)}


@router.post("/cycles/{cycle_id}/cancel-failed")
def cancel(cycle_id: Id, body: CancelIn, ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Cancel failed lines with a reason."""
    return {"cancelled": reconciliation.cancel_failed(ctx, actor, cycle_id, body.line_ids,
                                                      body.reason)}


@router.post("/conditions", status_code=201)
def new_condition(body: ConditionIn, ctx: Ctx, actor: CurrentActor) -> dict[str, str]:
    """A programme's benefit is paid only once an event of a kind is recorded."""
    conditions.set_condition(ctx, actor, body.programme, body.event_kind, body.legal_reference)
    return {"programme": body.programme, "event_kind": body.event_kind}


@router.post("/events", status_code=201)
def new_event(body: EventIn, ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Record a compliance event (a visit, a vaccination...) for a person in your area."""
    return {"id": conditions.record_event(ctx, actor, body.person_id, body.kind,
                                          body.event_date, body.facility)}


@router.get("/notifications")
def outbox(ctx: Ctx, actor: CurrentActor,
           state: Annotated[str | None, Query(max_length=12)] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """The notification outbox, newest first."""
    return notifications.outbox(ctx, state, limit)


@router.post("/notifications/deliver")
def deliver(ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Hand queued notifications to the configured sender (the default only logs them and
    marks them 'logged', never 'sent')."""
    return notifications.deliver(ctx, notifications.LogSender())
