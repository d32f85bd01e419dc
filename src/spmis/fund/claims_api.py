"""Claims, member statements, coverage and the coverage gap over HTTP (``/api/v1/fund``)."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from spmis.auth.deps import Ctx, CurrentActor, client_address
from spmis.errors import InvalidInput, NotFound
from spmis.fund.claims import ClaimService, NewClaim
from spmis.fund.claims_model import (
    DOCUMENT_KINDS,
    KINDS,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
)
from spmis.fund.coverage import coverage_gap
from spmis.fund.statement_document import statement_pdf
from spmis.fund.statements import StatementService

router = APIRouter(prefix="/api/v1/fund", tags=["fund"])
Id = Annotated[int, Path(ge=1, le=2**62)]
#: a document's base64 text may be at most this long (checked before it is decoded; a few
#: bytes over the limit are decoded, to be refused by name as too large)
MAX_BASE64 = (MAX_DOCUMENT_BYTES + 2) // 3 * 4 + 4


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal[DOCUMENT_KINDS]  # type: ignore[valid-type]
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=4, max_length=MAX_BASE64,
                                description="the file (PDF, PNG or JPEG, 1 MB at most), base64")


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: int = Field(ge=1, le=2**62, description="the member (the deceased, survivors)")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    event_date: date = Field(description="birth, first day of leave or incapacity, 60th "
                                         "birthday or retirement, death")
    details: dict[str, int] = Field(default_factory=dict, description=(
        "maternity: leave_days; childbirth: babies; visits: visits; injury: incapacity_days"))
    claimant_name: str | None = Field(None, max_length=200)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=MAX_DOCUMENTS)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["review", "approve", "reject", "pay"]
    reason: str | None = Field(None, max_length=2000)
    reference: str | None = Field(None, max_length=40, description="pay: the payment's reference")
    expected_version: int | None = Field(None, ge=1)


class PensionEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last_period: str = Field(min_length=1, max_length=7,
                             description="the last month the pension is due (YYYY-MM)")
    reason: str = Field(min_length=1, max_length=500)
    expected_version: int | None = Field(None, ge=1)


def _decode(index: int, doc: DocumentIn) -> tuple[str, str, bytes]:
    try:
        data = base64.b64decode(doc.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.one(("documents", index, "content_base64"), "bad_base64",
                               "the document is not valid base64",
                               "ឯកសារមិនមែនជា base64 ត្រឹមត្រូវទេ") from exc
    return doc.kind, doc.filename, data


def _plain(claim: dict[str, Any]) -> dict[str, Any]:
    """A claim as JSON (documents without content)."""
    out = {k: v for k, v in claim.items() if k != "history"}
    keys = ("version", "action", "changed_by", "changed_at", "reason", "changes")
    out["history"] = [{k: h.get(k) for k in keys} for h in claim.get("history", [])]
    return out


@router.post("/claims", status_code=201)
def submit(body: ClaimIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Submit a claim with its documents; the answer holds the amount the rules give and, when
    nothing is due, the reason (``refusal``, ``refusal_en``, ``refusal_km``)."""
    new = NewClaim(person_id=body.person_id, kind=body.kind, event_date=body.event_date,
                   details=dict(body.details), claimant_name=body.claimant_name,
                   documents=tuple(_decode(i, d) for i, d in enumerate(body.documents)))
    return _plain(ClaimService(ctx).submit(actor, new, date.today()))


@router.get("/claims")
def claims(ctx: Ctx, actor: CurrentActor,
           state: Annotated[Literal["open", "submitted", "under_review", "approved",
                                    "rejected", "paid"] | None, Query()] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100,
           before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
           ) -> list[dict[str, Any]]:
    """The claims the caller may see (an employer: its own workers'), newest first."""
    return [_plain(c) for c in ClaimService(ctx).list(actor, state=state, limit=limit,
                                                      before_id=before_id)]


@router.get("/claims/{claim_id}")
def claim(claim_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return _plain(ClaimService(ctx).get(actor, claim_id))


@router.post("/claims/{claim_id}/actions")
def act(claim_id: Id, body: ActionIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Review, approve (the rules must give an amount; the payment is ordered), reject with a
    reason, or record the payment (finance officer, with the payment's reference)."""
    return _plain(ClaimService(ctx).act(actor, claim_id, body.action, reason=body.reason,
                                        reference=body.reference,
                                        expected_version=body.expected_version,
                                        today=date.today()))


@router.post("/claims/{claim_id}/pension-end")
def end_pension(claim_id: Id, body: PensionEndIn, ctx: Ctx,
                actor: CurrentActor) -> dict[str, Any]:
    """End an approved pension with the last month it is due and the reason (a fund officer);
    months after it in a payroll not yet approved are cancelled."""
    return _plain(ClaimService(ctx).end_pension(actor, claim_id, body.last_period, body.reason,
                                                body.expected_version))


@router.get("/claims/{claim_id}/documents/{document_id}")
def document(claim_id: Id, document_id: Id, request: Request, ctx: Ctx,
             actor: CurrentActor) -> Response:
    """A document of a claim (its read is logged)."""
    meta, data = ClaimService(ctx).document(actor, claim_id, document_id,
                                            client_address(request))
    return Response(data, media_type=meta["content_type"], headers={
        "Content-Disposition": f'attachment; filename="document-{meta["id"]}"',
        "X-Content-Type-Options": "nosniff"})


@router.get("/members/{person_id}/statement", response_model=None)
def statement(person_id: Id, request: Request, ctx: Ctx, actor: CurrentActor,
              format: Annotated[Literal["json", "pdf"], Query()] = "json",
              lang: Annotated[Literal["km", "en"], Query()] = "km",
              until: Annotated[str | None, Query(max_length=7)] = None,
              ) -> dict[str, Any] | Response:
    """The member's statement: every month's contributory wage and contributions per scheme
    across employers, with totals (``format=pdf``: the printable statement in ``lang``)."""
    data = StatementService(ctx).statement(actor, person_id, until=until,
                                           client_address=client_address(request))
    if format == "json":
        return data
    body = statement_pdf(str(request.base_url), data, lang)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{person_id}.pdf"'})


@router.get("/members/{person_id}/coverage")
def coverage(person_id: Id, ctx: Ctx, actor: CurrentActor,
             on: Annotated[date | None, Query(description="the day (today by default)")] = None,
             ) -> dict[str, Any]:
    """Health care coverage on a day and the member card's status, with the figures."""
    c = StatementService(ctx).coverage(actor, person_id, on or date.today())
    return c.__dict__


@router.get("/coverage-gap")
def gap(ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Working people who are not members, by province, sex and occupation (small cells
    withheld)."""
    return coverage_gap(ctx, actor)


@router.get("/statements/verify/{code}")
def verify(code: Annotated[str, Path(max_length=60)], ctx: Ctx) -> dict[str, Any]:
    """Public: whether a statement's code is genuine, and only what the statement totals."""
    found = StatementService(ctx).verify(code)
    if found is None:
        raise NotFound("no statement has this code", "គ្មានរបាយការណ៍ណាមានលេខកូដនេះទេ")
    return found
