"""The public portal (no login): home, the programme catalogue, and "am I eligible?".

The check calls the rules screener (``spmis.rules.screener.screen``), the same engine the back
office uses; nothing the reader enters is stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from spmis.errors import InvalidInput, NotFound
from spmis.pagekit import forms
from spmis.pagekit.areas import Level, chosen_code, picker
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.rules.catalogue import Programme, programmes
from spmis.rules.explain import programme_span
from spmis.rules.screener import current_period
from spmis.web import programme_amounts, screener_form
from spmis.web.programme_info import KIND_LABELS, PAYMENT_LABELS, info
from spmis.web.screener_answer import answer_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)


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


def _programme_view(p: Programme, locale: str, detail: bool = False) -> dict[str, Any]:
    """A programme for the catalogue and its page; ``detail`` adds its amounts, read from the
    rules' parameters for this month (or the last month an ended programme paid)."""
    i = info(p.id)
    span = programme_span(p.id)
    now = current_period()
    view: dict[str, Any] = {
        "id": p.id,
        "name": p.name_km if locale == "km" else p.name_en,
        "kind": KIND_LABELS.get(p.kind, p.kind),
        "payment": PAYMENT_LABELS.get(p.payment, p.payment),
        "who": i.who,
        "what": i.what,
        "how": i.how,
        "ended": span.ended(now),
        "paid_from": span.first,
        "paid_until": span.last,
    }
    if detail:
        view["month"] = span.last if span.ended(now) and span.last else now
        view["amounts"] = programme_amounts.amounts(p.id, p.currency, view["month"], locale)
    return view


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The portal's front page."""
    return render(request, "public/home.html")


@router.get("/programmes", response_class=HTMLResponse)
def programme_list(request: Request) -> HTMLResponse:
    """Every programme: who may get it, what it gives, how and where to apply. The programmes
    that pay now come first, by kind; those that have ended last, under their own heading."""
    locale = request_locale(request)
    views = [_programme_view(p, locale) for p in programmes()]
    groups = [
        (KIND_LABELS[kind], [v for v, p in zip(views, programmes(), strict=True)
                             if p.kind == kind and not v["ended"]])
        for kind in ("social_assistance", "social_security")
    ]
    ended = [v for v in views if v["ended"]]
    return render(request, "public/programmes.html", {"groups": groups, "ended": ended})


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme_page(request: Request, programme_id: str) -> HTMLResponse:
    """One programme, with what it gives (amounts from the rules' parameters)."""
    found = next((p for p in programmes() if p.id == programme_id), None)
    if found is None:
        raise NotFound("no such programme", "រកមិនឃើញកម្មវិធីនេះទេ")
    view = _programme_view(found, request_locale(request), detail=True)
    return render(request, "public/programme.html", {"p": view})


def _form_context(
    request: Request, form: Mapping[str, Any], errors: forms.FormErrors | None = None
) -> dict[str, Any]:
    locale = request_locale(request)
    selects = picker(app_ctx(request).gazetteer, form, locale, level="commune")
    rows = forms.rows(form, most=screener_form.MOST_PEOPLE)
    errors = errors if errors is not None else forms.FormErrors()
    return {
        "form": form,
        "rows": rows,
        "most_people": screener_form.MOST_PEOPLE,
        "member_labels": screener_form.MEMBER_LABELS,
        "more_fields": screener_form.MORE_FIELDS,
        "selects": selects,
        "errors": errors,
        "sex_choices": SEX_CHOICES,
        "school_choices": SCHOOL_CHOICES,
        "employment_choices": EMPLOYMENT_CHOICES,
        # the language switch re-posts this form, so nothing typed is lost
        "lang_form": {"form": "screener", "action": "form"},
    }


@router.get("/eligibility", response_class=HTMLResponse)
def eligibility_form(request: Request) -> HTMLResponse:
    """The "am I eligible?" form."""
    return render(request, "public/eligibility.html", _form_context(request, {}))


def _people_changed(request: Request, form: Mapping[str, Any], action: str) -> HTMLResponse:
    """Add a person or remove one; in place for htmx (only the people are sent back), else the
    whole page, scrolled to where the change happened."""
    rows = screener_form.people(form)
    status, focus = None, "add-person"
    removed = screener_form.removed_index(action)
    if action == "add":
        if len(rows) < screener_form.MOST_PEOPLE:
            rows.append({})
            focus = f"members-{len(rows) - 1}-age"
            status = ("added", len(rows))
        else:
            status = ("full", len(rows))
    elif removed is not None and len(rows) > 1 and removed < len(rows):
        rows.pop(removed)
        status = ("removed", removed + 1)
    context = _form_context(request, screener_form.with_people(form, rows))
    context.update({"focus": focus, "people_status": status})
    if request.headers.get("hx-request") == "true":
        return render(request, "public/members.html", context)
    return render(request, "public/eligibility.html", context)


@router.post("/eligibility", response_class=HTMLResponse)
async def eligibility_check(request: Request) -> HTMLResponse:
    """Check the household described by the form, or change the form: add or remove a person,
    or show the next list of the area picker (``action``)."""
    from spmis.rules.screener import screen_together

    posted = screener_form.form_values(await request.form())
    locale = request_locale(request)
    # the language switch re-posts the form: it re-checks an answer, or only re-shows the form
    switched = forms.text(posted, "switch_language")
    action = forms.text(posted, "action") or ("refresh" if switched == "form" else "check")
    if action == "add" or action.startswith("remove-"):
        return _people_changed(request, posted, action)
    if action == "refresh":
        return render(request, "public/eligibility.html", _form_context(request, posted))
    # empty people (nothing typed or ticked) are left out and the page says how many
    rows = screener_form.people(posted)
    kept = [p for p in rows if not screener_form.is_empty(p)] or rows[:1]
    form = screener_form.with_people(posted, kept)
    context = _form_context(request, form)
    context["left_out"] = len(rows) - len(kept)
    context["lang_form"] = {"form": "screener", "action": "answer"}
    commune = chosen_code(context["selects"], "commune")
    body, errors = screener_form.problems(form, commune)
    answer = None
    if body is not None:
        try:
            answer = await screen_together(body)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if answer is None:
        context["errors"] = screener_form.in_page_order(
            forms.FormErrors.of(errors, locale, ALIASES), context["rows"])
        return render(request, "public/eligibility.html", context, status_code=422)
    context["answer"] = answer_view(answer, locale)
    return render(request, "public/eligibility.html", context)


@router.get("/areas/picker", response_class=HTMLResponse)
def area_picker(request: Request, level: str = "commune") -> HTMLResponse:
    """The area selects for the current choices (htmx swaps them into the form)."""
    from spmis.pagekit.session import known_actor

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
