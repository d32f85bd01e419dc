"""On-demand assessment at the commune office (issue 19): a household asks to be assessed; commune
staff type the same questionnaire (the items and answers of the shipped XLSForm, labelled in the
reader's language) into an open round of kind ``on_demand``. The answers go through the same use
case as a questionnaire from ODK Collect (``TargetingService.enter_at_office``: a draft
assessment, checked item by item) and then the same flow: the round is scored, the commune's list
is reviewed and posted, and the approval issues the card."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.errors import InvalidInput
from spmis.pagekit import forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.rules.idpoor import COUNT_ITEMS, SELECT_ITEMS
from spmis.targeting import forms as questionnaire
from spmis.targeting.model import RoundKind
from spmis.targeting.service import TargetingService

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PATH = "/office/targeting/on-demand"


def _label(labels: dict[str, tuple[str, str]], key: str, locale: str) -> str:
    en, km = labels.get(key, (key, ""))
    return (km or en) if locale == "km" else (en or key)


def _choice_label(labels: dict[str, tuple[str, str]], item: str, choice: str,
                  locale: str) -> str:
    key = f"{item}.{choice}"
    if key not in labels:  # the XLSForm's list may be named otherwise than the item
        key = next((k for k in labels if k.endswith(f".{choice}")), key)
    return _label(labels, key, locale) if key in labels else choice


def _items(locale: str) -> list[dict[str, Any]]:
    """The questionnaire's items as the form shows them: a choice list or a count."""
    labels = questionnaire.labels()
    out: list[dict[str, Any]] = []
    for item, choices in SELECT_ITEMS.items():
        out.append({"name": item, "label": _label(labels, item, locale),
                    "choices": [(c, _choice_label(labels, item, c, locale)) for c in choices]})
    for item in COUNT_ITEMS:
        out.append({"name": item, "label": _label(labels, item, locale), "choices": None})
    return out


async def _page(request: Request, form: dict[str, Any], errors: forms.FormErrors,
                status_code: int = 200) -> Response:
    actor = require_actor(request)
    service = TargetingService(app_ctx(request))
    rounds = [r for r in await run_in_threadpool(service.open_rounds, actor)
              if r["kind"] == RoundKind.ON_DEMAND.value]
    return render(request, "office/targeting_on_demand.html", {
        "rounds": rounds, "items": _items(request_locale(request)), "form": form,
        "errors": errors}, status_code=status_code, area="office")


@router.get(PATH, response_class=HTMLResponse)
async def on_demand_form(request: Request) -> Response:
    """The questionnaire, to type in for a household that asked at the commune office."""
    return await _page(request, {}, forms.FormErrors())


@router.post(PATH, response_class=HTMLResponse)
async def on_demand_submit(request: Request) -> Response:
    """A draft assessment of the household in the chosen on-demand round; the form again with
    each wrong answer named when something is wrong."""
    actor = require_actor(request)
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    round_id, household = forms.integer(form, "round_id"), forms.integer(form, "household_id")
    errors = []
    if not isinstance(round_id, int):
        errors += InvalidInput.one(("round_id",), "required", "choose the round",
                                   "សូមជ្រើសរើសជុំ").errors
    if not isinstance(household, int):
        errors += InvalidInput.one(("household_id",), "required", "give the household number",
                                   "សូមបញ្ចូលលេខគ្រួសារ").errors
    answers = {k: form.get(k, "") for k in (*SELECT_ITEMS, *COUNT_ITEMS)}
    locale = request_locale(request)
    if errors or not isinstance(round_id, int) or not isinstance(household, int):
        return await _page(request, form, forms.FormErrors.of(errors, locale), 422)
    service = TargetingService(app_ctx(request))
    try:
        received = await run_in_threadpool(service.enter_at_office, round_id, household,
                                           answers, actor)
    except InvalidInput as exc:
        aliases = {f"answers-{k}": k for k in answers}
        return await _page(request, form, forms.FormErrors.of(exc.errors, locale, aliases), 422)
    return RedirectResponse(f"/office/targeting/assessments/{received.assessment_id}",
                            status_code=303)
