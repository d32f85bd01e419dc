"""Back office: the start page, registry search, household and person pages, and revealing a
masked identifier with a reason. Every page runs as the signed-in user: the registry service
limits what they see to their area (scope), and the authorisation table to their roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import client_address
from spmis.errors import InvalidInput
from spmis.pagekit import forms
from spmis.pagekit.labels import (
    ACTION_LABELS,
    FIELD_LABELS,
    IDENTIFIER_LABELS,
    LEVEL_LABELS,
    RELATIONSHIP_LABELS,
    area_name,
)
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, may, require_actor
from spmis.pagekit.templating import gettext, render, request_locale
from spmis.pagekit.texts import N_
from spmis.reference.places import find_places
from spmis.registry import schemas as s
from spmis.registry.personal import PersonalDataService
from spmis.registry.service import RegistryService
from spmis.web.eligibility import household_eligibility

router = APIRouter(route_class=PageRoute, include_in_schema=False)



@router.get("/office", response_class=HTMLResponse)
def office_home(request: Request) -> HTMLResponse:
    """What the signed-in user can do, as big buttons."""
    actor = require_actor(request)
    return render(request, "office/home.html", {"scope_name": area_name(
        app_ctx(request).gazetteer, actor.scope, request_locale(request))}, area="office")


def _int(value: str | None, default: int | None = None) -> int | None:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        return default


#: most places listed when a name fits several
MOST_CHOICES = 30


def _place_choice(gaz: Any, unit: Any, locale: str) -> dict[str, str]:
    return {"code": unit.code, "level": unit.level, "name": area_name(gaz, unit.code, locale)}


def _example(gaz: Any, typed: str, unit: Any, locale: str) -> str:
    """'<typed>, <the place above the unit>': how to name one of several places."""
    parent = gaz.get(unit.parent_code) if unit.parent_code else None
    if parent is None:
        return typed
    return f"{typed}, {parent.name_km if locale == 'km' else parent.name_en}"


@router.get("/office/households", response_class=HTMLResponse)
async def household_search(request: Request) -> HTMLResponse:
    """Households in the user's area, by place (a name in Khmer or Latin letters, or a code) and
    IDPoor level, a page at a time. A name several places share lists them to choose from; an
    unknown one says so, with the closest names."""
    actor = require_actor(request)
    locale = request_locale(request)
    gaz = app_ctx(request).gazetteer
    q = request.query_params
    typed = (q.get("area") or "").strip()
    level = _int(q.get("idpoor_level"))
    page = max(1, _int(q.get("page"), 1) or 1)
    errors: dict[str, str] = {}
    result = None
    place = find_places(gaz, typed, actor.scope) if typed else None
    area = place.unit.code if place is not None and place.unit is not None else None
    if place is not None and area is None and not place.matches:
        errors["area"] = gettext(request, N_("“%(place)s” is outside your area.") if place.outside
                                 else N_("No province, district, commune or village is called "
                                         "“%(place)s”.")) % {"place": typed}
    if place is None or area is not None:
        try:
            result = await run_in_threadpool(
                lambda: RegistryService(app_ctx(request)).household_list(
                    actor, area=area, idpoor_level=level, page=page, page_size=20)
            )
        except InvalidInput as exc:
            errors = forms.FormErrors.of(exc.errors, locale)
    matches = place.matches if place is not None else []
    choices = [_place_choice(gaz, u, locale) for u in matches[:MOST_CHOICES]] \
        if len(matches) > 1 else []
    context = {
        "q": dict(q), "result": result, "errors": errors, "page": page,
        "can_register": may(actor, "GET", "/office/households/new"),
        "place": place, "choices": choices, "more_choices": len(matches) - len(choices),
        "suggestions": [_place_choice(gaz, u, locale) for u in place.suggestions]
        if place is not None else [],
        "choice_example": _example(gaz, typed, matches[0], locale) if choices else "",
        "searched_area": area_name(gaz, area, locale) if area else None,
        "level_labels": LEVEL_LABELS,
        "download_query": urlencode({k: v for k, v in q.items() if k in ("area", "idpoor_level")}),
    }
    partial = "hx-request" in request.headers
    context["oob"] = partial
    template = "office/household_rows.html" if partial else "office/households.html"
    return render(request, template, context, area="office")


@router.get("/office/people", response_class=HTMLResponse)
async def person_search(request: Request) -> HTMLResponse:
    """People by name (Khmer or Latin, spelling variants) or by identifier."""
    actor = require_actor(request)
    q = request.query_params
    name = (q.get("name") or "").strip() or None
    id_type = q.get("identifier_type") or None
    identifier = (q.get("identifier") or "").strip() or None
    page = max(1, _int(q.get("page"), 1) or 1)
    errors: dict[str, str] = {}
    result = None
    if name or identifier:
        try:
            kind = s.IdentifierType(id_type) if identifier and id_type else None
            if identifier and kind is None:
                kind = s.IdentifierType.NATIONAL_ID
            result = await run_in_threadpool(
                lambda: RegistryService(app_ctx(request)).search_persons(
                    actor, name=name, identifier_type=kind, identifier=identifier, page=page,
                    page_size=20)
            )
        except ValueError:
            errors = {"identifier_type": "?"}
        except InvalidInput as exc:
            errors = forms.FormErrors.of(exc.errors, request_locale(request))
    return render(request, "office/people.html",
                  {"q": dict(q), "result": result, "errors": errors, "page": page,
                   "download_query": urlencode({"name": name or ""}),
                   "identifier_labels": IDENTIFIER_LABELS}, area="office")


def _household_context(request: Request, hid: int) -> dict[str, Any]:
    actor = require_actor(request)
    service = RegistryService(app_ctx(request))
    hh = service.get_household(hid, actor)
    history = service.history("household", hid, actor)
    return {
        "hh": hh,
        "history": list(reversed(history)),
        "relationship_labels": RELATIONSHIP_LABELS,
        "identifier_labels": IDENTIFIER_LABELS,
        "action_labels": ACTION_LABELS,
        "can_edit": may(actor, "POST", "/office/households/{household_id}/edit"),
        "can_edit_person": may(actor, "POST", "/office/people/{person_id}/edit"),
    }


@router.get("/office/households/{household_id}", response_class=HTMLResponse)
async def household_page(request: Request, household_id: int) -> HTMLResponse:
    """A household: area, IDPoor status, members (identifiers masked), eligibility, history."""
    context = await run_in_threadpool(_household_context, request, household_id)
    context["eligibility"] = await run_in_threadpool(
        household_eligibility, app_ctx(request), require_actor(request), household_id,
        request_locale(request))
    context["created"] = request.query_params.get("created") == "1"
    context["saved"] = request.query_params.get("saved") == "1"
    return render(request, "office/household.html", context, area="office")


def correction_outcome(q: Mapping[str, str]) -> dict[str, Any]:
    """What the correction just made did, from the address it redirected to: the fields saved
    and the identifiers waiting for an approver (names the page knows, nothing else)."""
    saved = q.get("saved") or ""
    requested = q.get("requested") or ""
    return {
        "saved": saved == "1",
        "nothing_saved": saved == "none" and not requested,
        "saved_fields": [f for f in saved.split(",") if f in FIELD_LABELS],
        "requested": requested if requested.isdigit() else None,
        "awaiting": [t for t in (q.get("awaiting") or "").split(",") if t in IDENTIFIER_LABELS],
        "field_labels": FIELD_LABELS,
    }


def _person_context(request: Request, pid: int) -> dict[str, Any]:
    actor = require_actor(request)
    service = RegistryService(app_ctx(request))
    person = service.get_person(pid, actor)
    return {
        "p": person,
        "history": list(reversed(service.history("person", pid, actor))),
        "relationship_labels": RELATIONSHIP_LABELS,
        "identifier_labels": IDENTIFIER_LABELS,
        "action_labels": ACTION_LABELS,
        "can_reveal": may(actor, "POST", "/office/people/{person_id}/reveal"),
        "can_edit": may(actor, "POST", "/office/people/{person_id}/edit"),
        "revealed": None,
        "errors": {},
        "form": {},
    }


@router.get("/office/people/{person_id}", response_class=HTMLResponse)
async def person_page(request: Request, person_id: int) -> HTMLResponse:
    """A person: facts, identifiers (masked), history; reveal with a reason."""
    context = await run_in_threadpool(_person_context, request, person_id)
    context.update(correction_outcome(request.query_params))
    return render(request, "office/person.html", context, area="office")


@router.post("/office/people/{person_id}/reveal", response_class=HTMLResponse)
async def reveal(request: Request, person_id: int) -> HTMLResponse:
    """Show the clear identifiers to a user who gives a reason (written to the access log)."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    context = await run_in_threadpool(_person_context, request, person_id)
    reason = forms.text(form, "reason") or ""
    try:
        if len(reason) < 3:
            raise InvalidInput.one(("reason",), "string_too_short",
                                   "give the reason (at least 3 characters)",
                                   "សូមបញ្ជាក់មូលហេតុ (យ៉ាងតិច ៣ តួអក្សរ)")
        out = await run_in_threadpool(
            PersonalDataService(app_ctx(request)).reveal, person_id, actor, reason[:500], None,
            client_address(request))
        context["revealed"] = out.identifiers
    except (InvalidInput, ValidationError) as exc:
        context["errors"] = forms.FormErrors.of_exception(exc, request_locale(request))
        context["form"] = {"reason": reason}
        return render(request, "office/person.html", context, status_code=422, area="office")
    return render(request, "office/person.html", context, area="office")
