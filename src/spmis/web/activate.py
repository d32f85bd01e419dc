"""The page where a staff user chooses their password with the one-time link an administrator
handed them (a new account, or after a reset: ``spmis.auth.staff``). Public: the link's token is
the proof; it works once and expires."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from spmis.auth.staff import StaffService
from spmis.errors import InvalidInput
from spmis.pagekit import forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx
from spmis.pagekit.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _page(request: Request, token: str, username: str | None, *, status_code: int = 200,
          errors: forms.FormErrors | None = None, link_problem: str | None = None,
          done: bool = False) -> HTMLResponse:
    return render(request, "office/activate.html", {
        "token": token, "username": username, "errors": errors or forms.FormErrors(),
        "link_problem": link_problem, "done": done, "form": {}}, status_code=status_code,
        area="office")


def _message(request: Request, exc: InvalidInput) -> str:
    first = exc.errors[0]
    return first.msg_km if request_locale(request) == "km" else first.msg


@router.get("/activate", response_class=HTMLResponse)
async def activate_form(request: Request, token: str = "") -> HTMLResponse:
    """The form to choose a password, when the link still works."""
    try:
        username = await run_in_threadpool(StaffService(app_ctx(request)).link_user, token)
    except InvalidInput as exc:
        return _page(request, "", None, status_code=410, link_problem=_message(request, exc))
    return _page(request, token, username)


@router.post("/activate", response_class=HTMLResponse)
async def activate(request: Request) -> HTMLResponse:
    """Set the password (the link is spent), then the person signs in."""
    form = await request.form()
    token = forms.text(form, "token") or ""
    password = forms.text(form, "password") or ""
    service = StaffService(app_ctx(request))
    try:
        username = await run_in_threadpool(service.link_user, token)
    except InvalidInput as exc:
        return _page(request, "", None, status_code=410, link_problem=_message(request, exc))
    if password != (forms.text(form, "password_again") or ""):
        errors = forms.FormErrors.of([InvalidInput.one(
            ("password_again",), "mismatch", "the two passwords differ",
            "ពាក្យសម្ងាត់ទាំងពីរមិនដូចគ្នា").errors[0]], request_locale(request))
        return _page(request, token, username, status_code=422, errors=errors)
    try:
        await run_in_threadpool(service.activate, token, password)
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request))
        return _page(request, token, username, status_code=422, errors=errors)
    return _page(request, "", username, done=True)
