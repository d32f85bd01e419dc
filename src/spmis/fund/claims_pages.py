"""Pages of the fund's claims and member records: the claims queue, a new claim (with its
documents), one claim with its decision, a member's statement (HTML page, printable PDF) and
health care coverage, the coverage gap, and the public verification of a statement."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.auth.deps import client_address
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput
from spmis.fund.claims import ClaimService, NewClaim
from spmis.fund.claims_model import (
    DETAILS,
    DOCUMENT_KINDS,
    KINDS,
    MAX_DOCUMENT_BYTES,
    MOVES,
)
from spmis.fund.coverage import coverage_gap
from spmis.fund.statement_document import statement_pdf
from spmis.fund.statements import StatementService
from spmis.pagekit import dates, forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)
BASE = "/office/fund"

KIND_LABELS = {
    "maternity": N_("Maternity allowance"),
    "childbirth": N_("Childbirth allowance"),
    "visits": N_("Antenatal, postnatal and vaccination visits"),
    "injury": N_("Temporary disability after an occupational injury"),
    "old_age": N_("Old-age pension"),
    "survivors": N_("Survivors' pension"),
}
STATE_LABELS = {
    "submitted": N_("Submitted"),
    "under_review": N_("Under review"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "paid": N_("Paid out"),
}
DETAIL_LABELS = {
    "leave_days": N_("Days of maternity leave"),
    "babies": N_("Babies born"),
    "visits": N_("Visits"),
    "incapacity_days": N_("Days of incapacity"),
}
DOCUMENT_LABELS = {
    "birth_certificate": N_("Birth certificate"),
    "medical_certificate": N_("Medical certificate"),
    "accident_report": N_("Accident report"),
    "death_certificate": N_("Death certificate"),
    "identity_document": N_("Identity document"),
    "other": N_("Other document"),
}
ACTION_LABELS = {"review": N_("Start the review"), "approve": N_("Approve"),
                 "reject": N_("Reject"), "pay": N_("Record the payment")}
LABELS = {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS,
          "detail_labels": DETAIL_LABELS, "document_labels": DOCUMENT_LABELS,
          "action_labels": ACTION_LABELS, "details_of": DETAILS}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(f"{BASE}/claims", response_class=HTMLResponse)
async def queue(request: Request, state: str | None = None) -> Response:
    """The claims of the user's area (an employer: its own workers'), open ones first."""
    actor = require_actor(request)
    service = ClaimService(app_ctx(request))
    chosen = state if state in (*STATE_LABELS, "all") else "open"
    rows = await run_in_threadpool(service.list, actor,
                                   state=None if chosen == "all" else chosen)
    counts = await run_in_threadpool(service.counts, actor)
    return render(request, "office/fund_claims.html", {
        **LABELS, "rows": rows, "counts": counts, "state": chosen,
        "can_submit": actor.has_role("admin", "fund_officer", "employer")}, area="office")


def _new_context(form: dict[str, Any], errors: forms.FormErrors | None = None) -> dict[str, Any]:
    return {**LABELS, "form": form, "errors": errors or forms.FormErrors(), "kinds": KINDS,
            "document_kinds": DOCUMENT_KINDS, "max_mb": MAX_DOCUMENT_BYTES // 1_000_000}


@router.get(f"{BASE}/claims/new", response_class=HTMLResponse)
def new_form(request: Request, person_id: str | None = None) -> Response:
    require_actor(request)
    return render(request, "office/fund_claim_new.html",
                  _new_context({"member_number": person_id or ""}), area="office")


async def _documents(raw: Any) -> tuple[tuple[str, str, bytes], ...]:
    """The uploaded files, each read at most one byte past the limit (size-checked before it
    is parsed; nothing is written to disk)."""
    out = []
    for i in range(3):
        upload = raw.get(f"document_{i}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = await upload.read(MAX_DOCUMENT_BYTES + 1)
        out.append((str(raw.get(f"document_{i}_kind") or "other"), upload.filename, data))
    return tuple(out)


@router.post(f"{BASE}/claims/new", response_class=HTMLResponse)
async def new_submit(request: Request) -> Response:
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    plain = {k: v for k, v in raw.items() if isinstance(v, str)}
    form, date_errors = dates.read(plain)
    locale = request_locale(request)
    errors: list[FieldError] = list(date_errors)
    person = forms.integer(form, "member_number")
    kind = forms.text(form, "claim_kind") or ""
    if not isinstance(person, int) or person < 1:
        errors.append(FieldError(("member_number",), "missing", "give the member's number",
                                 "សូមបញ្ចូលលេខសមាជិក"))
    if kind not in KIND_LABELS:
        errors.append(FieldError(("claim_kind",), "missing", "choose the kind of claim",
                                 "សូមជ្រើសរើសប្រភេទពាក្យស្នើសុំ"))
    if not form.get("event_date") and not date_errors:
        errors.append(FieldError(("event_date",), "missing", "give the day of the event",
                                 "សូមបញ្ចូលថ្ងៃនៃព្រឹត្តិការណ៍"))
    details: dict[str, Any] = {}
    for name in DETAILS.get(kind, {}):
        value = forms.integer(form, name)
        details[name] = value if isinstance(value, int) else None
    if errors:
        return render(request, "office/fund_claim_new.html",
                      _new_context(plain, forms.FormErrors.of(errors, locale)),
                      status_code=422, area="office")
    new = NewClaim(person_id=int(person), kind=kind,  # type: ignore[arg-type]
                   event_date=date.fromisoformat(str(form["event_date"])),
                   details=dict(details),
                   claimant_name=forms.text(form, "claimant_name"),
                   documents=await _documents(raw))
    service = ClaimService(app_ctx(request))
    try:
        claim = await run_in_threadpool(service.submit, actor, new, date.today())
    except InvalidInput as exc:
        aliases = {"person_id": "member_number", "kind": "claim_kind",
                   **{forms.field_name(("details", n)): n for n in DETAIL_LABELS},
                   **{forms.field_name(("documents", i)): "documents" for i in range(3)}}
        return render(request, "office/fund_claim_new.html",
                      _new_context(plain, forms.FormErrors.of(exc.errors, locale, aliases)),
                      status_code=422, area="office")
    return RedirectResponse(f"{BASE}/claims/{claim['id']}?done=submit", status_code=303)


def _detail(actor: Any, claim: dict[str, Any], **extra: Any) -> dict[str, Any]:
    can = {a: claim["state"] in MOVES[a][0] for a in MOVES}
    roles = {"review": ("admin", "fund_officer"), "approve": ("fund_officer",),
             "reject": ("fund_officer",), "pay": ("finance_officer",)}
    took_part = actor.username in (claim["created_by"], claim["reviewed_by"])
    allowed = [a for a in MOVES if can[a] and actor.has_role(*roles[a])
               and not (a in ("approve", "reject") and took_part)]
    order = claim.get("payment_order") or {}
    can_end = actor.has_role("fund_officer") and order.get("frequency") == "monthly"
    return {**LABELS, "c": claim, "actions": allowed, "errors": forms.FormErrors(),
            "form": {"reason": claim.get("refusal_text") or ""}, "can_end": can_end, **extra}


@router.get(f"{BASE}/claims/{{claim_id}}", response_class=HTMLResponse)
async def detail(request: Request, claim_id: int, done: str | None = None) -> Response:
    actor = require_actor(request)
    claim = await run_in_threadpool(ClaimService(app_ctx(request)).get, actor, claim_id)
    if request_locale(request) == "en" and claim["refusal"]:
        claim["refusal_text"] = claim["refusal_en"]
    else:
        claim["refusal_text"] = claim["refusal_km"]
    return _no_store(render(request, "office/fund_claim.html",
                            _detail(actor, claim, done=done), area="office"))


@router.get(f"{BASE}/claims/{{claim_id}}/documents/{{document_id}}")
async def document(request: Request, claim_id: int, document_id: int) -> Response:
    """A claim's document, downloaded (the read is logged)."""
    actor = require_actor(request)
    meta, data = await run_in_threadpool(ClaimService(app_ctx(request)).document, actor,
                                         claim_id, document_id, client_address(request))
    return _no_store(Response(data, media_type=meta["content_type"], headers={
        "Content-Disposition": f'attachment; filename="document-{meta["id"]}"',
        "X-Content-Type-Options": "nosniff"}))


@router.post(f"{BASE}/claims/{{claim_id}}/{{action}}", response_class=HTMLResponse)
async def act(request: Request, claim_id: int, action: str) -> Response:
    """Review, approve, reject (with a reason) or record the payment of a claim; end a
    pension (``end-pension``: its last month and the reason)."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    service = ClaimService(app_ctx(request))
    version = forms.integer(form, "version")
    expected = version if isinstance(version, int) else None
    try:
        if action == "end-pension":
            await run_in_threadpool(service.end_pension, actor, claim_id,
                                    forms.text(form, "last_period") or "",
                                    forms.text(form, "end_reason"), expected)
        else:
            await run_in_threadpool(
                service.act, actor, claim_id, action, reason=forms.text(form, "reason"),
                reference=forms.text(form, "reference"), expected_version=expected,
                today=date.today())
    except (InvalidInput, Forbidden, Conflict) as exc:
        locale = request_locale(request)
        claim = await run_in_threadpool(service.get, actor, claim_id)
        claim["refusal_text"] = claim["refusal_en"] if locale == "en" else claim["refusal_km"]
        context = _detail(actor, claim, form=form)
        if isinstance(exc, InvalidInput):
            context["errors"] = forms.FormErrors.of(exc.errors, locale)
            context["problem"] = exc.errors[0].msg_km if locale == "km" else exc.errors[0].msg
            status = 422
        else:
            context["problem"] = exc.msg_km if locale == "km" else exc.msg
            status = 403 if isinstance(exc, Forbidden) else 409
        return _no_store(render(request, "office/fund_claim.html", context, status_code=status,
                                area="office"))
    return RedirectResponse(f"{BASE}/claims/{claim_id}?done={action}", status_code=303)


@router.get(f"{BASE}/members/{{person_id}}/statement", response_class=HTMLResponse)
async def statement(request: Request, person_id: int) -> Response:
    """A member's statement on screen, with the printable PDF and health care coverage."""
    actor = require_actor(request)
    service = StatementService(app_ctx(request))
    data = await run_in_threadpool(service.statement, actor, person_id)
    cover = await run_in_threadpool(service.coverage, actor, person_id, date.today())
    return _no_store(render(request, "office/fund_statement.html", {
        "s": data, "cover": cover}, area="office"))


@router.get(f"{BASE}/members/{{person_id}}/statement.pdf")
async def statement_file(request: Request, person_id: int) -> Response:
    actor = require_actor(request)
    data = await run_in_threadpool(StatementService(app_ctx(request)).statement, actor,
                                   person_id)
    body = await run_in_threadpool(statement_pdf, str(request.base_url), data,
                                   request_locale(request))
    return _no_store(Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{person_id}.pdf"'}))


@router.get(f"{BASE}/coverage-gap", response_class=HTMLResponse)
async def gap(request: Request) -> Response:
    """Working people who are not members, by province, sex and occupation."""
    actor = require_actor(request)
    data = await run_in_threadpool(coverage_gap, app_ctx(request), actor)
    return render(request, "office/fund_coverage_gap.html", {"g": data}, area="office")


@router.get("/verify/statement/{code}", response_class=HTMLResponse)
async def verify(request: Request, code: str) -> Response:
    """Public: is this statement genuine? Its months and totals, nothing else."""
    found = await run_in_threadpool(StatementService(app_ctx(request)).verify, code[:60])
    return render(request, "public/verify_statement.html", {"found": found, "code": code[:60]},
                  status_code=200 if found else 404)
