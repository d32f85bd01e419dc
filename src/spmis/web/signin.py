"""Staff sign-in and sign-out pages, on the access-control capability's accounts service: the
same password check, throttling, TOTP and session cookie as ``POST /api/v1/auth/login``."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.auth.accounts import AccountService
from spmis.auth.demo import listed_demo_accounts
from spmis.auth.deps import SESSION_COOKIE, client_address
from spmis.config import Environment
from spmis.errors import Forbidden, NotAuthenticated
from spmis.pagekit import forms
from spmis.pagekit.labels import ROLE_LABELS, area_name
from spmis.pagekit.routing import PageRoute, wants_html
from spmis.pagekit.session import app_ctx, check_csrf
from spmis.pagekit.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LOGIN_COOKIE = "spmis_login"
LOGIN_FIELD = "login_token"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/office"
    return target


def _login_page(request: Request, target: str, status_code: int = 200,
                username: str = "", message: str | None = None) -> HTMLResponse:
    """The sign-in form with a fresh login token (double-submit: cookie and hidden field), so
    another site cannot sign a browser in under an account of its choosing."""
    token = secrets.token_urlsafe(24)
    ctx = app_ctx(request)
    demo = listed_demo_accounts(ctx)  # development only: None elsewhere
    locale = request_locale(request)
    response = render(request, "office/login.html", {
        "next": target, "form": {"username": username}, "message": message,
        "login_token": token, "demo_password": demo[0] if demo else None,
        "demo_accounts": [(a, area_name(ctx.gazetteer, a.scope, locale)) for a in demo[1]]
        if demo else [], "role_labels": ROLE_LABELS}, status_code=status_code, area="office")
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        path="/login", secure=request.url.scheme == "https")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the password, open a session and go where the user was heading."""
    form = await request.form()
    ctx = app_ctx(request)
    accounts = AccountService(ctx)
    username = forms.text(form, "username") or ""
    target = safe_next(forms.text(form, "next"))
    address = client_address(request)
    given, expected = forms.text(form, LOGIN_FIELD), request.cookies.get(LOGIN_COOKIE)
    if not given or not expected or not hmac.compare_digest(given, expected):
        expired = Forbidden("the form expired; sign in again",
                            "ទម្រង់បែបបទផុតកំណត់ សូមចូលប្រើម្តងទៀត")
        if not wants_html(request):
            raise expired
        text = expired.msg_km if request_locale(request) == "km" else expired.msg
        return _login_page(request, target, 403, username, text)
    try:
        actor = await run_in_threadpool(
            accounts.login, username, forms.text(form, "password") or "",
            forms.text(form, "totp"), address,
        )
        session = await run_in_threadpool(accounts.open_session, actor.username, address)
    except NotAuthenticated as exc:
        message = exc.msg_km if request_locale(request) == "km" else exc.msg
        return _login_page(request, target, 401, username, message)
    if target == "/office" and actor.roles == {"employer"}:
        target = "/employer"  # an employer's account has no back office: its own page
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    response.set_cookie(
        SESSION_COOKIE, session.token, max_age=ctx.settings.session_hours * 3600,
        httponly=True, samesite="strict", path="/",
        secure=ctx.settings.env == Environment.PRODUCTION or request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Close the session."""
    form = await request.form()
    check_csrf(request, form)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(AccountService(app_ctx(request)).close_session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
