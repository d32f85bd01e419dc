"""Community review pages (back office): a round's communes and their lists; one commune's list by
village with the changes asked (add or remove a household, with a reason) and the second
person's decision on each, objections, posting, the final approval; the village posting list and
the equity cards as PDF (``spmis.documents``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.auth.approvals import may_decide
from spmis.db.base import utcnow
from spmis.documents import pdf, qr
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound, SpmisError
from spmis.pagekit import forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.targeting.cards import CardService, card_parameters
from spmis.targeting.review import CHANGE_KIND, ReviewService, card_holders, round_row
from spmis.targeting.review_model import ListStatus, ObjectionKind

router = APIRouter(route_class=PageRoute, include_in_schema=False)

OFFICE = "/office/targeting"

STATUS_LABELS = {
    ListStatus.DRAFT.value: N_("In review"),
    ListStatus.POSTED.value: N_("Posted for objections"),
    ListStatus.APPROVED.value: N_("Approved; cards being issued"),
    ListStatus.ISSUED.value: N_("Cards issued"),
}
SOURCE_LABELS = {
    "score": N_("By its score"),
    "added": N_("Added by review"),
    "removed": N_("Removed by review"),
}
ACTION_LABELS = {"add": N_("Add"), "remove": N_("Remove")}
CHANGE_STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Accepted"),
    "rejected": N_("Refused"),
    "cancelled": N_("Withdrawn"),
}
OBJECTION_LABELS = {
    ObjectionKind.MISSING.value: N_("A household is missing from the list"),
    ObjectionKind.WRONGLY_LISTED.value: N_("A household should not be on the list"),
}
LEVEL_LABELS = {1: N_("Poor Level 1"), 2: N_("Poor Level 2")}
CARD_STATE_LABELS = {
    "valid": N_("Valid"),
    "not_yet_valid": N_("Not valid yet"),
    "expired": N_("Expired"),
    "replaced": N_("Replaced by a newer card"),
}
LABELS = {"status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS,
          "action_labels": ACTION_LABELS, "change_status_labels": CHANGE_STATUS_LABELS,
          "objection_labels": OBJECTION_LABELS, "level_labels": LEVEL_LABELS}


def _message(request: Request, exc: SpmisError) -> str:
    return exc.msg_km if request_locale(request) == "km" and exc.msg_km else exc.msg


def verify_url(request: Request, number: str) -> str:
    """The address a card's QR code holds: the public verification page of its number."""
    return f"{str(request.base_url).rstrip('/')}/cards/verify?n={number}"


@router.get(f"{OFFICE}/review", response_class=HTMLResponse)
async def rounds(request: Request) -> Response:
    """The rounds of the user's area, newest first, each leading to its community review."""
    actor = require_actor(request)
    items = await run_in_threadpool(ReviewService(app_ctx(request)).rounds, actor)
    return render(request, "office/targeting_rounds.html", {"rounds": items}, area="office")


@router.get(f"{OFFICE}/review/{{round_id}}", response_class=HTMLResponse)
async def round_lists(request: Request, round_id: int) -> Response:
    """A round's communes in the user's area: scored households, and each commune's list."""
    actor = require_actor(request)
    service = ReviewService(app_ctx(request))

    def load() -> tuple[list[Any], list[Any], dict[str, Any] | None]:
        return (service.communes_to_review(actor, round_id),
                service.summaries(actor, round_id), service.round(actor, round_id))

    communes, lists, round_ = await run_in_threadpool(load)
    return render(request, "office/targeting_lists.html", {
        **LABELS, "round": round_, "communes": communes,
        "lists": {s.commune_code: s for s in lists},
        "can_start": may(actor, "POST", f"{OFFICE}/review/{{round_id}}/start"),
    }, area="office")


@router.post(f"{OFFICE}/review/{{round_id}}/start", response_class=HTMLResponse)
async def start(request: Request, round_id: int) -> Response:
    """Open (or bring up to date from the latest scores) a commune's list."""
    actor = require_actor(request)
    form = await request.form()
    check_csrf(request, form)
    commune = forms.text(form, "commune_code") or ""
    list_id = await run_in_threadpool(ReviewService(app_ctx(request)).start, actor, round_id,
                                      commune)
    return RedirectResponse(f"{OFFICE}/lists/{list_id}", status_code=303)


async def _list_page(request: Request, list_id: int, *, form: Mapping[str, Any] | None = None,
                     errors: forms.FormErrors | None = None, problem: str | None = None,
                     receipt: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    actor = require_actor(request)
    ctx = app_ctx(request)
    service = ReviewService(ctx)
    village = request.query_params.get("village") or None

    def load() -> dict[str, Any]:
        summary = service.summary(actor, list_id)
        return {"summary": summary, "round": round_row(ctx, summary.round_id),
                "entries": service.entries(actor, list_id, village=village),
                "changes": service.changes(actor, list_id),
                "objections": service.objections(actor, list_id),
                "cards": (CardService(ctx).list_cards(actor, list_id)
                          if summary.status == ListStatus.ISSUED else [])}

    data = await run_in_threadpool(load)
    villages = sorted({e["village_code"] for e in data["entries"]})
    return render(request, "office/targeting_list.html", {
        **LABELS, **data, "village": village, "villages": villages,
        "form": form or {}, "errors": errors or forms.FormErrors(), "problem": problem,
        "receipt": receipt, "done": request.query_params.get("done"),
        "rules": card_parameters(utcnow().date()),
        "can_change": may(actor, "POST", f"{OFFICE}/lists/{{list_id}}/changes"),
        "can_decide": may_decide(actor, CHANGE_KIND),
        "can_post": may(actor, "POST", f"{OFFICE}/lists/{{list_id}}/post"),
        "can_object": may(actor, "POST", f"{OFFICE}/lists/{{list_id}}/objections"),
        "can_approve": may(actor, "POST", f"{OFFICE}/lists/{{list_id}}/approve"),
    }, status_code=status_code, area="office")


@router.get(f"{OFFICE}/lists/{{list_id}}", response_class=HTMLResponse)
async def list_page(request: Request, list_id: int) -> Response:
    """One commune's list of a round (``?village=`` for one village)."""
    return await _list_page(request, list_id)


async def _acted(request: Request, list_id: int, form: Mapping[str, Any], call: Any,
                 done: str, aliases: dict[str, str] | None = None) -> Response:
    """Run ``call``; back to the list with what went wrong, or on to it with ``done``."""
    try:
        result = await run_in_threadpool(call)
    except InvalidInput as exc:
        return await _list_page(request, list_id, form=form, errors=forms.FormErrors.of(
            exc.errors, request_locale(request), aliases), status_code=422)
    except (Conflict, Forbidden, NotFound) as exc:
        code = 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) else 404
        return await _list_page(request, list_id, form=form, problem=_message(request, exc),
                                status_code=code)
    if isinstance(result, dict) and "pin" in result:  # an objection's ticket: shown once
        return await _list_page(request, list_id, receipt=result)
    return RedirectResponse(f"{OFFICE}/lists/{list_id}?done={done}#done", status_code=303)


def _values(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post(f"{OFFICE}/lists/{{list_id}}/changes", response_class=HTMLResponse)
async def ask_change(request: Request, list_id: int) -> Response:
    """Ask to add a household (with its level) or remove one, with the reason."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = _values(raw)
    service = ReviewService(app_ctx(request))
    household = forms.integer(form, "household_id")
    level = forms.integer(form, "level")
    if not isinstance(household, int):
        errors = forms.FormErrors.of(
            [InvalidInput.one(("household_id",), "int_parsing", "give the household number",
                              "សូមបញ្ចូលលេខគ្រួសារ").errors[0]], request_locale(request))
        return await _list_page(request, list_id, form=form, errors=errors, status_code=422)
    action = forms.text(form, "action") or ""
    return await _acted(request, list_id, form, lambda: service.request_change(
        actor, list_id, household, action, forms.text(form, "reason"),
        level if isinstance(level, int) else None), "asked")


@router.post(f"{OFFICE}/changes/{{change_id}}/{{decision}}", response_class=HTMLResponse)
async def decide(request: Request, change_id: int, decision: str) -> Response:
    """The second person accepts or refuses a change, with a reason."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = _values(raw)
    if decision not in ("accept", "refuse"):
        raise NotFound("no such decision", "គ្មានការសម្រេចនេះទេ")
    list_id = forms.integer(form, "list_id")
    service = ReviewService(app_ctx(request))
    if not isinstance(list_id, int):
        raise InvalidInput.one(("list_id",), "required", "the list is missing",
                               "ខ្វះបញ្ជី")
    return await _acted(
        request, list_id, form,
        lambda: service.decide(actor, change_id, decision == "accept",
                               forms.text(form, f"reason-{change_id}")),
        decision, {"reason": f"reason-{change_id}"})


@router.post(f"{OFFICE}/lists/{{list_id}}/post", response_class=HTMLResponse)
async def post(request: Request, list_id: int) -> Response:
    """Post the list in the villages for objections."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    version = forms.integer(raw, "version")
    service = ReviewService(app_ctx(request))
    return await _acted(request, list_id, _values(raw), lambda: service.post(
        actor, list_id, version=version if isinstance(version, int) else None), "posted")


@router.post(f"{OFFICE}/lists/{{list_id}}/objections", response_class=HTMLResponse)
async def objection(request: Request, list_id: int) -> Response:
    """Take in an objection to the posted list (a grievance)."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = _values(raw)
    household = forms.integer(form, "objection_household")
    service = ReviewService(app_ctx(request))
    return await _acted(request, list_id, form, lambda: service.object(
        actor, list_id, forms.text(form, "objection_kind") or "",
        forms.text(form, "objection_text"),
        household if isinstance(household, int) else None,
        forms.text(form, "objection_name"), forms.text(form, "objection_phone")),
        "objection", {"kind": "objection_kind", "description": "objection_text",
                      "household_id": "objection_household", "name": "objection_name",
                      "phone": "objection_phone"})


@router.post(f"{OFFICE}/lists/{{list_id}}/approve", response_class=HTMLResponse)
async def approve(request: Request, list_id: int) -> Response:
    """The final approval: the cards are then issued by a background job."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = _values(raw)
    service = ReviewService(app_ctx(request))
    return await _acted(request, list_id, form, lambda: service.approve(
        actor, list_id, forms.text(form, "approve_reason")), "approved",
        {"reason": "approve_reason"})


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.get(f"{OFFICE}/lists/{{list_id}}/posting.pdf")
async def posting_list(request: Request, list_id: int) -> Response:
    """The village posting list (PDF, in the reader's language; Khmer by default): the
    households on the list in one village (``?village=``; every village of the commune when
    not given), each village on its own page."""
    actor = require_actor(request)
    ctx = app_ctx(request)
    service = ReviewService(ctx)
    village = request.query_params.get("village") or None
    locale = request_locale(request)

    def build() -> bytes:
        summary = service.summary(actor, list_id)
        entries = service.entries(actor, list_id, village=village, included_only=True)
        by_village: dict[str, list[dict[str, Any]]] = {}
        for e in entries:
            by_village.setdefault(e["village_code"], []).append(e)
        return pdf.render_pdf("documents/posting_list.html", {
            **LABELS, "summary": summary, "round": round_row(ctx, summary.round_id),
            "villages": by_village}, locale)

    content = await run_in_threadpool(build)
    return _pdf(content, f"posting-list-{list_id}{'-' + village if village else ''}.pdf")


@router.get(f"{OFFICE}/lists/{{list_id}}/cards.pdf")
async def list_cards(request: Request, list_id: int) -> Response:
    """Every card a list issued (one a page), to print and hand out."""
    actor = require_actor(request)
    ctx = app_ctx(request)
    locale = request_locale(request)

    def build() -> bytes:
        cards = CardService(ctx).list_cards(actor, list_id)
        return _cards_pdf(request, ctx, cards, locale)

    return _pdf(await run_in_threadpool(build), f"equity-cards-{list_id}.pdf")


@router.get(f"{OFFICE}/cards/{{card_id}}.pdf")
async def card_pdf(request: Request, card_id: int) -> Response:
    """One equity card with its QR code, to print."""
    actor = require_actor(request)
    ctx = app_ctx(request)
    locale = request_locale(request)

    def build() -> bytes:
        return _cards_pdf(request, ctx, [CardService(ctx).card(actor, card_id)], locale)

    return _pdf(await run_in_threadpool(build), f"equity-card-{card_id}.pdf")


def _cards_pdf(request: Request, ctx: Any, cards: list[dict[str, Any]], locale: str) -> bytes:
    holders = card_holders(ctx, [c["household_id"] for c in cards])
    items = [{**c, "holder": holders.get(c["household_id"], {}),
              "qr": qr.qr_svg(verify_url(request, c["card_number"]), scale=3),
              "url": verify_url(request, c["card_number"])} for c in cards]
    return pdf.render_pdf("documents/equity_cards.html", {**LABELS, "cards": items}, locale)
