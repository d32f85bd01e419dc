"""The public portal (no login): home, the programme catalogue, and "am I eligible?".

The check calls the rules screener (``spmis.rules.screener.screen``), the same engine the back
office uses; nothing the reader enters is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from spmis.errors import FieldError, InvalidInput, NotFound
from spmis.rules.catalogue import Programme, programmes
from spmis.web import forms
from spmis.web.areas import Level, chosen_code, picker
from spmis.web.programme_info import KIND_LABELS, N_, PAYMENT_LABELS, info
from spmis.web.routing import PageRoute
from spmis.web.session import app_ctx
from spmis.web.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)


MEMBER_FLAGS = ("disability", "living_with_hiv", "pregnant", "nssf_member")
SEX_CHOICES = (("female", N_("Female")), ("male", N_("Male")), ("unknown", N_("Not given")))
SCHOOL_CHOICES = (
    ("none", N_("Not at school")),
    ("primary", N_("Primary school")),
    ("lower_secondary", N_("Lower secondary school")),
    ("upper_secondary", N_("Upper secondary school")),
)
EMPLOYMENT_CHOICES = (
    ("none", N_("No paid work")),
    ("informal", N_("Informal work")),
    ("employee", N_("Employee of an enterprise")),
    ("self_employed", N_("Self-employed")),
    ("civil_servant", N_("Civil servant")),
)
#: the screener names the commune field ``commune_code``; the form's picker calls it ``commune``
ALIASES = {"commune_code": "commune"}


def _programme_view(p: Programme, locale: str) -> dict[str, Any]:
    i = info(p.id)
    return {
        "id": p.id,
        "name": p.name_km if locale == "km" else p.name_en,
        "kind": KIND_LABELS.get(p.kind, p.kind),
        "payment": PAYMENT_LABELS.get(p.payment, p.payment),
        "who": i.who,
        "what": i.what,
        "how": i.how,
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The portal's front page."""
    return render(request, "public/home.html")


@router.get("/programmes", response_class=HTMLResponse)
def programme_list(request: Request) -> HTMLResponse:
    """Every programme: who may get it, what it gives, how and where to apply."""
    locale = request_locale(request)
    views = [_programme_view(p, locale) for p in programmes()]
    groups = [
        (KIND_LABELS[kind], [v for v, p in zip(views, programmes(), strict=True) if p.kind == kind])
        for kind in ("social_assistance", "social_security")
    ]
    return render(request, "public/programmes.html", {"groups": groups})


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme_page(request: Request, programme_id: str) -> HTMLResponse:
    """One programme."""
    found = next((p for p in programmes() if p.id == programme_id), None)
    if found is None:
        raise NotFound("no such programme", "រកមិនឃើញកម្មវិធីនេះទេ")
    return render(
        request, "public/programme.html", {"p": _programme_view(found, request_locale(request))}
    )


def _form_context(
    request: Request, form: FormData | dict[str, Any], errors: dict[str, str] | None = None
) -> dict[str, Any]:
    locale = request_locale(request)
    selects = picker(app_ctx(request).gazetteer, form, locale, level="commune")
    return {
        "form": form,
        "rows": forms.rows(form),
        "selects": selects,
        "errors": errors or {},
        "sex_choices": SEX_CHOICES,
        "school_choices": SCHOOL_CHOICES,
        "employment_choices": EMPLOYMENT_CHOICES,
    }


@router.get("/eligibility", response_class=HTMLResponse)
def eligibility_form(request: Request) -> HTMLResponse:
    """The "am I eligible?" form."""
    return render(request, "public/eligibility.html", _form_context(request, {}))


def screener_input(form: FormData, commune: str | None) -> dict[str, Any]:
    """The screener request described by the form."""
    members = []
    for i in range(forms.rows(form)):
        p = f"members-{i}-"
        member: dict[str, Any] = {
            "age": forms.integer(form, p + "age"),
            "sex": forms.text(form, p + "sex") or "unknown",
            "school_level": forms.text(form, p + "school_level") or "none",
            "employment": forms.text(form, p + "employment") or "none",
        }
        for name in MEMBER_FLAGS:
            member[name] = forms.flag(form, p + name)
        wage = forms.integer(form, p + "monthly_wage_khr")
        months = forms.integer(form, p + "nssf_contribution_months")
        if wage is not None:
            member["monthly_wage_khr"] = wage
        if months is not None:
            member["nssf_contribution_months"] = months
        members.append(member)
    idpoor = forms.integer(form, "idpoor_level")
    return {
        "idpoor_level": 0 if idpoor is None else idpoor,
        "commune_code": commune or "",
        "flood_affected": forms.flag(form, "flood_affected"),
        "members": members,
    }


@router.post("/eligibility", response_class=HTMLResponse)
async def eligibility_check(request: Request) -> HTMLResponse:
    """Check the household described by the form, or grow the form ("add a person")."""
    from spmis.rules.screener import ScreenerRequest, screen

    form = await request.form()
    locale = request_locale(request)
    action = forms.text(form, "action")
    if action in {"add", "refresh"}:
        data = dict(form)
        if action == "add":
            data["rows"] = str(forms.rows(form) + 1)
        return render(request, "public/eligibility.html", _form_context(request, data))
    context = _form_context(request, form)
    commune = chosen_code(context["selects"], "commune")
    errors: list[FieldError] = []
    if commune is None:
        errors.append(FieldError(("commune",), "missing", "choose the commune or sangkat",
                                 "សូមជ្រើសរើសឃុំ ឬសង្កាត់"))
    try:
        body = ScreenerRequest.model_validate(screener_input(form, commune or "000000"))
    except ValidationError as exc:
        errors.extend(e for e in forms.pydantic_errors(exc) if e.loc != ("commune_code",))
    if not errors:
        try:
            answer = await run_in_threadpool(screen, body)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        context["errors"] = forms.FormErrors.of(errors, locale, ALIASES)
        return render(request, "public/eligibility.html", context, status_code=422)
    results = sorted(
        answer.programmes, key=lambda a: (not a.eligible, a.kind != "social_assistance")
    )
    context["answer"] = answer
    context["results"] = [
        {
            "id": a.id,
            "name": a.name_km if locale == "km" else a.name_en,
            "eligible": a.eligible,
            "amount": a.amount,
            "currency": a.currency,
            "payment": PAYMENT_LABELS.get(a.payment, a.payment),
            "summary": a.summary.km if locale == "km" else a.summary.en,
            "reasons": [
                {"text": r.km if locale == "km" else r.en, "met": r.met} for r in a.reasons
            ],
        }
        for a in results
    ]
    context["note"] = answer.note.km if locale == "km" else answer.note.en
    return render(request, "public/eligibility.html", context)


@router.get("/areas/picker", response_class=HTMLResponse)
def area_picker(request: Request, level: str = "commune") -> HTMLResponse:
    """The area selects for the current choices (htmx swaps them into the form)."""
    from spmis.web.session import known_actor

    actor = known_actor(request)
    depth: Level = "village" if level == "village" else "commune"
    selects = picker(
        app_ctx(request).gazetteer, request.query_params, request_locale(request),
        level=depth, scope=actor.scope if actor else "",
    )
    return render(
        request, "partials/area_picker.html",
        {"selects": selects, "level": depth, "errors": {}},
    )
