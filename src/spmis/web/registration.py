"""Registration and correction forms. Each field is named by its location in the service's input
(``members-0-date_of_birth``), so every message the registry service or its schema gives is
shown next to the field it is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from spmis.auth.model import Actor
from spmis.errors import FieldError, InvalidInput
from spmis.pagekit import dates, forms
from spmis.pagekit.areas import chosen_code, picker
from spmis.pagekit.labels import RELATIONSHIP_LABELS, SEX_LABELS, area_name
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService

router = APIRouter(route_class=PageRoute, include_in_schema=False)


#: the service names the village ``village_code``; the form's picker calls it ``village``
ALIASES = {"village_code": "village"}
MEMBER_TEXT = ("family_name_km", "given_name_km", "family_name_latin", "given_name_latin",
               "date_of_birth", "occupation")
MEMBER_FLAGS = ("disability", "pregnant", "dob_estimated")
FORM_IDENTIFIERS = ("national_id", "phone")


def _choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    return list(labels.items())


def _register_context(request: Request, actor: Actor, form: FormData | dict[str, Any],
                      errors: dict[str, str] | None = None) -> dict[str, Any]:
    selects = picker(app_ctx(request).gazetteer, form, request_locale(request), level="village",
                     scope=actor.scope)
    return {
        "form": form, "rows": forms.rows(form), "selects": selects, "errors": errors or {},
        "sex_choices": _choices(SEX_LABELS),
        "relationship_choices": _choices(RELATIONSHIP_LABELS),
        "duplicates": [], "seen_duplicates": forms.text(form, "seen_duplicates") or "",
    }


def household_input(form: Mapping[str, Any], village: str | None) -> dict[str, Any]:
    """The ``HouseholdCreate`` the form describes (empty fields left out)."""
    members = []
    for i in range(forms.rows(form)):
        p = f"members-{i}-"
        member: dict[str, Any] = {
            "relationship": forms.text(form, p + "relationship") or ("head" if i == 0 else None),
            "sex": forms.text(form, p + "sex"),
        }
        for name in (*MEMBER_TEXT, "expected_delivery_date"):
            value = forms.text(form, p + name)
            if value is not None:
                member[name] = value
        for name in MEMBER_FLAGS:
            member[name] = forms.flag(form, p + name)
        idents = {t: forms.text(form, f"{p}identifiers-{t}") for t in FORM_IDENTIFIERS}
        member["identifiers"] = {t: v for t, v in idents.items() if v}
        members.append(member)
    data: dict[str, Any] = {"village_code": village or "", "members": members}
    for name in ("address_detail", "idpoor_card_number", "idpoor_valid_from", "idpoor_valid_to"):
        value = forms.text(form, name)
        if value is not None:
            data[name] = value
    level = forms.integer(form, "idpoor_level")
    if level is not None:
        data["idpoor_level"] = level
    return data


NAME_FIELDS = ("family_name_km", "given_name_km", "family_name_latin", "given_name_latin")


def member_identity(form: FormData | dict[str, Any], row: int, village: str | None
                    ) -> s.NameAndBirth | None:
    """Names, date of birth and village of member ``row`` as far as typed; None while a name,
    the date or the village is missing or the date is not a date yet."""
    p = f"members-{row}-"
    names = {k: forms.text(form, p + k) for k in NAME_FIELDS}
    born = forms.text(form, p + "date_of_birth")
    if village is None or born is None or not any(names.values()):
        return None
    try:
        return s.NameAndBirth(**names, date_of_birth=born, village_code=village)
    except ValidationError:
        return None


def _duplicates(request: Request, actor: Actor, form: FormData | dict[str, Any],
                village: str | None, rows: range) -> list[dict[str, Any]]:
    """People already registered who may be the members of ``rows`` (see
    ``RegistryService.likely_duplicates``), with what a page shows of them."""
    service = RegistryService(app_ctx(request))
    gaz, locale = app_ctx(request).gazetteer, request_locale(request)
    out = []
    for i in rows:
        who = member_identity(form, i, village)
        if who is None:
            continue
        for dup in service.likely_duplicates(who, actor):
            out.append({"row": i, "likeness": dup.likeness, "p": dup.person,
                        "place": area_name(gaz, dup.village_code, locale)})
    return out


def _seen(form: FormData) -> set[int]:
    """The ids of the likely duplicates the form already showed (and the user saw)."""
    raw = forms.text(form, "seen_duplicates") or ""
    return {int(x) for x in raw.split(",") if x.strip().isdigit()}


@router.post("/office/households/new/duplicates", response_class=HTMLResponse)
async def duplicates_check(request: Request) -> HTMLResponse:
    """As a person is filled in (htmx): people already registered in the commune who were born
    the same day with the same or a close name, each with a link to open them."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    row = forms.integer(form, "row")
    if not isinstance(row, int) or not 0 <= row < forms.rows(form):
        return render(request, "office/likely_duplicates.html", {"dups": [], "row": None},
                      area="office")
    selects = picker(app_ctx(request).gazetteer, form, request_locale(request),
                     level="village", scope=actor.scope)
    village = chosen_code(selects, "village")
    data, _ = dates.read(form)
    dups = await run_in_threadpool(_duplicates, request, actor, data, village,
                                   range(row, row + 1))
    return render(request, "office/likely_duplicates.html", {"dups": dups, "row": row},
                  area="office")


@router.get("/office/households/new", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    """The registration form: where the household lives, then each member."""
    actor = require_actor(request)
    return render(request, "office/register.html", _register_context(request, actor, {}),
                  area="office")


@router.post("/office/households/new", response_class=HTMLResponse)
async def register(request: Request) -> Response:
    """Register the household, or grow the form, or show each problem next to its field."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    action = forms.text(form, "action")
    if action in {"add", "refresh"}:
        data = dict(form)
        if action == "add":
            data["rows"] = str(forms.rows(form) + 1)
        return render(request, "office/register.html", _register_context(request, actor, data),
                      area="office")
    context = _register_context(request, actor, form)
    village = chosen_code(context["selects"], "village")
    data, date_errors = dates.read(form)
    errors: list[FieldError] = []
    if village is None:
        errors.append(FieldError(("village",), "missing", "choose the village",
                                 "សូមជ្រើសរើសភូមិ"))
    errors.extend(date_errors)
    try:
        body = s.HouseholdCreate.model_validate(household_input(data, village or "00000000"))
    except ValidationError as exc:
        errors.extend(dates.without_fields(
            [e for e in forms.pydantic_errors(exc) if e.loc != ("village_code",)], date_errors))
    if not errors:
        dups = await run_in_threadpool(_duplicates, request, actor, data, village,
                                       range(forms.rows(form)))
        shown = {d["p"].id for d in dups}
        if dups and not (action == "save-anyway" and shown <= _seen(form)):
            # a confirmation step: nothing is saved until the user has seen them
            context["duplicates"] = dups
            context["seen_duplicates"] = ",".join(str(i) for i in sorted(shown))
            return render(request, "office/register.html", context, area="office")
        try:
            created = await run_in_threadpool(
                RegistryService(app_ctx(request)).create_household, body, actor)
            return RedirectResponse(f"/office/households/{created.id}?created=1",
                                    status_code=303)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    context["errors"] = forms.FormErrors.of(errors, request_locale(request), ALIASES)
    return render(request, "office/register.html", context, status_code=422, area="office")


# ---------------------------------------------------------------- person correction
def _errors(exc: InvalidInput | ValidationError, date_errors: list[FieldError], locale: str
            ) -> forms.FormErrors:
    """The form's messages: each date the form could not read, then the rest."""
    found = exc.errors if isinstance(exc, InvalidInput) else forms.pydantic_errors(exc)
    return forms.FormErrors.of([*date_errors, *dates.without_fields(found, date_errors)], locale)


def _person_form(p: s.PersonOut) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(p, name) or "" for name in MEMBER_TEXT}
    out["date_of_birth"] = p.date_of_birth.isoformat()
    out["sex"] = p.sex
    for name in ("disability", "pregnant", "dob_estimated"):
        out[name] = "1" if getattr(p, name) else ""
    out["expected_delivery_date"] = (p.expected_delivery_date.isoformat()
                                     if p.expected_delivery_date else "")
    return out


def person_patch(form: Mapping[str, Any], current: s.PersonOut) -> dict[str, Any]:
    """The fields the user changed, as a ``PersonUpdate`` body (with reason and version)."""
    before = _person_form(current)
    patch: dict[str, Any] = {}
    for name in (*MEMBER_TEXT, "expected_delivery_date", "sex"):
        value = forms.text(form, name)
        if (value or "") != (before.get(name) or ""):
            patch[name] = value
    for name in MEMBER_FLAGS:
        if forms.flag(form, name) != bool(before.get(name)):
            patch[name] = forms.flag(form, name)
    idents = {t: forms.text(form, f"identifiers-{t}") for t in FORM_IDENTIFIERS}
    idents = {t: v for t, v in idents.items() if v}
    if idents:
        patch["identifiers"] = idents
    patch["reason"] = forms.text(form, "reason") or ""
    version = forms.integer(form, "expected_version")
    if isinstance(version, int):
        patch["expected_version"] = version
    return patch


@router.get("/office/people/{person_id}/edit", response_class=HTMLResponse)
async def correct_form(request: Request, person_id: int) -> HTMLResponse:
    """The correction form of a person, filled with the current record."""
    actor = require_actor(request)
    current = await run_in_threadpool(RegistryService(app_ctx(request)).get_person,
                                      person_id, actor)
    form = _person_form(current) | {"expected_version": str(current.version)}
    return render(request, "office/correct_person.html",
                  {"p": current, "form": form, "errors": {}, "sex_choices": _choices(SEX_LABELS)},
                  area="office")


@router.post("/office/people/{person_id}/edit", response_class=HTMLResponse)
async def correct(request: Request, person_id: int) -> Response:
    """Save a correction: the fields at once, a new identifier as a request for an approver
    (one transaction); the person page then says which was which."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = RegistryService(app_ctx(request))
    current = await run_in_threadpool(service.get_person, person_id, actor)
    context = {"p": current, "form": form, "errors": {}, "sex_choices": _choices(SEX_LABELS)}
    data, date_errors = dates.read(form)
    try:
        patch = s.PersonUpdate.model_validate(person_patch(data, current))
        if date_errors:
            raise InvalidInput(date_errors)
        done = await run_in_threadpool(service.correct_person, person_id, patch, actor)
        query = {"saved": ",".join(done.saved) or "none"}
        if done.request_id is not None:
            query |= {"requested": str(done.request_id),
                      "awaiting": ",".join(done.awaiting_approval)}
        return RedirectResponse(f"/office/people/{person_id}?{urlencode(query)}",
                                status_code=303)
    except (InvalidInput, ValidationError) as exc:
        context["errors"] = _errors(exc, date_errors, request_locale(request))
        return render(request, "office/correct_person.html", context, status_code=422,
                      area="office")


# ---------------------------------------------------------------- household correction
HOUSEHOLD_TEXT = ("address_detail", "idpoor_card_number", "idpoor_valid_from", "idpoor_valid_to")


def _household_form(hh: s.HouseholdOut) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address_detail": hh.address_detail or "",
        "idpoor_level": str(hh.idpoor_level) if hh.idpoor_level else "",
        "idpoor_card_number": hh.idpoor_card_number or "",
        "idpoor_valid_from": hh.idpoor_valid_from.isoformat() if hh.idpoor_valid_from else "",
        "idpoor_valid_to": hh.idpoor_valid_to.isoformat() if hh.idpoor_valid_to else "",
    }
    return out


def household_patch(form: Mapping[str, Any], current: s.HouseholdOut) -> dict[str, Any]:
    """The household fields the user changed, as a ``HouseholdUpdate`` body."""
    before = _household_form(current)
    patch: dict[str, Any] = {}
    for name in (*HOUSEHOLD_TEXT, "idpoor_level"):
        value = forms.text(form, name)
        if (value or "") != before[name]:
            patch[name] = forms.integer(form, name) if name == "idpoor_level" else value
    patch["reason"] = forms.text(form, "reason") or ""
    version = forms.integer(form, "expected_version")
    if isinstance(version, int):
        patch["expected_version"] = version
    return patch


def _household_edit_context(hh: s.HouseholdOut, form: Any, errors: dict[str, str]
                            ) -> dict[str, Any]:
    return {"hh": hh, "form": form, "errors": errors}


@router.get("/office/households/{household_id}/edit", response_class=HTMLResponse)
async def correct_household_form(request: Request, household_id: int) -> HTMLResponse:
    """The correction form of a household (address, IDPoor status)."""
    actor = require_actor(request)
    hh = await run_in_threadpool(RegistryService(app_ctx(request)).get_household,
                                 household_id, actor)
    form = _household_form(hh) | {"expected_version": str(hh.version)}
    return render(request, "office/correct_household.html",
                  _household_edit_context(hh, form, {}), area="office")


@router.post("/office/households/{household_id}/edit", response_class=HTMLResponse)
async def correct_household(request: Request, household_id: int) -> Response:
    """Save a household correction, or show each problem next to its field."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = RegistryService(app_ctx(request))
    hh = await run_in_threadpool(service.get_household, household_id, actor)
    data, date_errors = dates.read(form)
    try:
        patch = s.HouseholdUpdate.model_validate(household_patch(data, hh))
        if date_errors:
            raise InvalidInput(date_errors)
        await run_in_threadpool(service.update_household, household_id, patch, actor)
    except (InvalidInput, ValidationError) as exc:
        errors = _errors(exc, date_errors, request_locale(request))
        return render(request, "office/correct_household.html",
                      _household_edit_context(hh, form, errors), status_code=422, area="office")
    return RedirectResponse(f"/office/households/{household_id}?saved=1", status_code=303)
