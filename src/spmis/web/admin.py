"""User administration for administrators: staff accounts with their roles and area (scope).
A new account's password is generated and shown once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from spmis.auth.accounts import AccountService
from spmis.auth.roles import ALL_ROLES
from spmis.errors import InvalidInput
from spmis.pagekit import forms
from spmis.pagekit.labels import ROLE_LABELS
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)



def _context(request: Request, users: list[Any], **extra: Any) -> dict[str, Any]:
    form = extra.get("form")
    chosen = form.getlist("roles") if isinstance(form, FormData) else []
    return {"users": users, "role_labels": ROLE_LABELS, "roles": sorted(ALL_ROLES),
            "form": {}, "errors": {}, "created": None, "password": None,
            "chosen_roles": chosen, **extra}


@router.get("/office/users", response_class=HTMLResponse)
async def users(request: Request) -> HTMLResponse:
    """Every staff account."""
    actor = require_actor(request)
    found = await run_in_threadpool(AccountService(app_ctx(request)).list_users, actor)
    return render(request, "office/users.html", _context(request, found), area="office")


@router.post("/office/users", response_class=HTMLResponse)
async def create_user(request: Request) -> HTMLResponse:
    """Create a staff account; its generated password is shown once."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    accounts = AccountService(app_ctx(request))
    chosen = [r for r in form.getlist("roles") if isinstance(r, str)]
    try:
        if not chosen:
            raise InvalidInput.one(("roles",), "missing", "choose at least one role",
                                   "សូមជ្រើសរើសតួនាទីយ៉ាងតិចមួយ")
        user, password = await run_in_threadpool(
            lambda: accounts.create_user(
                forms.text(form, "username") or "", chosen, forms.text(form, "scope") or "",
                actor, full_name=forms.text(form, "full_name")))
    except (InvalidInput, ValueError) as exc:
        errors: dict[str, str] = (
            forms.FormErrors.of(exc.errors, request_locale(request))
            if isinstance(exc, InvalidInput) else {"roles": str(exc)}
        )
        found = await run_in_threadpool(accounts.list_users, actor)
        return render(request, "office/users.html",
                      _context(request, found, form=form, errors=errors),
                      status_code=422, area="office")
    found = await run_in_threadpool(accounts.list_users, actor)
    return render(request, "office/users.html",
                  _context(request, found, created=user.username, password=password),
                  area="office")
