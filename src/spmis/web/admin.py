"""Staff accounts, for administrators (issue 12 #4, issue 13 #19): the list, a new account, and
per account its roles, area and name, disable and enable, a password reset, and its history.

No administrator sees or chooses a password: a new account, or a reset one, gets a one-time
activation link, shown here once, to hand to the person. Rights to administer, approve or see
identifiers need a second administrator (``spmis.auth.staff``): the page then says the request
waits on the Approvals page, where another administrator decides it and receives the link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from spmis.auth.approvals import PENDING, ApprovalService
from spmis.auth.model import Actor
from spmis.auth.roles import ALL_ROLES
from spmis.auth.staff import KIND_CHANGE, KIND_CREATE, KIND_RESET, StaffOutcome, StaffService
from spmis.errors import InvalidInput, SpmisError
from spmis.pagekit import forms
from spmis.pagekit.labels import ROLE_LABELS
from spmis.pagekit.routing import STATUS, PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STAFF_KINDS = (KIND_CREATE, KIND_CHANGE, KIND_RESET)
ACTION_LABELS = {
    "create": N_("Created"), "update": N_("Changed"), "password_reset": N_("Password reset"),
    "password_set": N_("Password chosen by the person"), "unlock": N_("Unlocked"),
    "totp_enabled": N_("One-time codes required"), "password": N_("Password set by the operator"),
}


def link_url(request: Request, path: str) -> str:
    """The full address of an activation link on this server."""
    return str(request.base_url).rstrip("/") + path


def _outcome(request: Request, outcome: StaffOutcome) -> dict[str, Any]:
    return {"link": link_url(request, outcome.link.path) if outcome.link else None,
            "link_for": outcome.link.username if outcome.link else None,
            "link_expires": outcome.link.expires_at if outcome.link else None,
            "filed": outcome.request}


def _chosen_roles(form: FormData) -> list[str]:
    chosen = [r for r in form.getlist("roles") if isinstance(r, str)]
    if not chosen:
        raise InvalidInput.one(("roles",), "missing", "choose at least one role",
                               "សូមជ្រើសរើសតួនាទីយ៉ាងតិចមួយ")
    return chosen


def _refused(request: Request, exc: SpmisError) -> dict[str, Any]:
    """What a refused form shows: messages at its fields, or one message (403, 409)."""
    if isinstance(exc, InvalidInput):
        return {"errors": forms.FormErrors.of(exc.errors, request_locale(request))}
    return {"problem": exc.msg_km if request_locale(request) == "km" else exc.msg}


def _status(exc: SpmisError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


async def _list_page(request: Request, actor: Actor, status_code: int = 200,
                     **extra: Any) -> HTMLResponse:
    ctx = app_ctx(request)

    def load() -> tuple[list[Any], list[Any]]:
        users = StaffService(ctx).list_users(actor)
        approvals = ApprovalService(ctx)
        pending = [r for kind in STAFF_KINDS
                   for r in approvals.list(actor, status=PENDING, kind=kind)]
        return users, pending

    users, pending = await run_in_threadpool(load)
    form = extra.get("form")
    return render(request, "office/users.html", {
        "users": users, "pending": pending, "role_labels": ROLE_LABELS,
        "roles": sorted(ALL_ROLES), "form": {}, "errors": {}, "link": None, "filed": None,
        "problem": None,
        "chosen_roles": form.getlist("roles") if isinstance(form, FormData) else [], **extra,
    }, status_code=status_code, area="office")


@router.get("/office/users", response_class=HTMLResponse)
async def users(request: Request) -> HTMLResponse:
    """Every staff account in the administrator's area, and account requests waiting."""
    return await _list_page(request, require_actor(request))


@router.post("/office/users", response_class=HTMLResponse)
async def create_user(request: Request) -> HTMLResponse:
    """Create a staff account: its activation link is shown once, or, for sensitive rights, the
    request waits for a second administrator."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = StaffService(app_ctx(request))
    try:
        chosen = _chosen_roles(form)
        outcome = await run_in_threadpool(lambda: service.create(
            forms.text(form, "username") or "", chosen, forms.text(form, "scope") or "",
            actor, full_name=forms.text(form, "full_name"), reason=forms.text(form, "reason")))
    except SpmisError as exc:
        return await _list_page(request, actor, status_code=_status(exc), form=form,
                                **_refused(request, exc))
    return await _list_page(request, actor, **_outcome(request, outcome))


async def _user_page(request: Request, actor: Actor, user_id: int, status_code: int = 200,
                     **extra: Any) -> HTMLResponse:
    service = StaffService(app_ctx(request))

    def load() -> tuple[Any, list[dict[str, Any]]]:
        user = service.get_user(user_id, actor)
        return user, service.history(user_id, actor)

    user, history = await run_in_threadpool(load)
    return render(request, "office/user.html", {
        "user": user, "history": list(reversed(history)), "role_labels": ROLE_LABELS,
        "roles": sorted(ALL_ROLES), "errors": {}, "link": None, "filed": None, "done": None,
        "problem": None,
        "form": {"full_name": user.full_name or "", "scope": user.scope},
        "chosen_roles": user.roles, "action_labels": ACTION_LABELS,
        "is_self": user.username == actor.username, **extra,
    }, status_code=status_code, area="office")


@router.get("/office/users/{user_id}", response_class=HTMLResponse)
async def user_page(request: Request, user_id: int) -> HTMLResponse:
    """One account: edit its roles, area and name; disable or enable it; reset its password."""
    return await _user_page(request, require_actor(request), user_id)


@router.post("/office/users/{user_id}/{action}", response_class=HTMLResponse)
async def change_user(request: Request, user_id: int, action: str) -> HTMLResponse:
    """``edit`` (roles, area, name), ``disable``, ``enable`` or ``reset`` (the password)."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    service = StaffService(app_ctx(request))
    reason = forms.text(form, "reason")
    try:
        if action == "edit":
            chosen = _chosen_roles(form)
            outcome = await run_in_threadpool(lambda: service.change(
                user_id, actor, roles=chosen, scope=forms.text(form, "scope") or "",
                full_name=forms.text(form, "full_name") or "", reason=reason))
        elif action in ("disable", "enable"):
            outcome = await run_in_threadpool(lambda: service.change(
                user_id, actor, is_active=action == "enable"))
        elif action == "reset":
            outcome = await run_in_threadpool(service.reset_password, user_id, actor, reason)
        else:
            raise InvalidInput.one(("action",), "enum", "edit, disable, enable or reset",
                                   "កែ បិទ បើក ឬកំណត់ពាក្យសម្ងាត់ឡើងវិញ")
    except SpmisError as exc:
        if _status(exc) == 404:
            raise
        extra: dict[str, Any] = _refused(request, exc)
        if action == "edit":
            extra.update(form=form, chosen_roles=form.getlist("roles"))
        return await _user_page(request, actor, user_id, status_code=_status(exc), **extra)
    return await _user_page(request, actor, user_id, done=action, **_outcome(request, outcome))
