"""``PageRoute``: page handlers raise domain errors like every other entry point; this route class
turns them into HTML pages in the reader's language (a sign-in redirect, 403, 404, 409, 422, 429)
instead of JSON. It also catches errors raised by dependencies that run before the handler (the
authorisation check), because FastAPI resolves them inside the route handler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from spmis.auth.messages import RoleRequired
from spmis.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    SpmisError,
)
from spmis.http import error_response
from spmis.pagekit.labels import ROLE_LABELS
from spmis.pagekit.templating import render, request_locale

log = logging.getLogger(__name__)

STATUS: list[tuple[type[SpmisError], int]] = [
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (RateLimited, 429),
]


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path if request.method == "GET" else "/office"
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def wants_html(request: Request) -> bool:
    """A browser (or htmx) asking for a page; other clients get the API's JSON errors."""
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def error_page(request: Request, exc: Exception) -> Response:
    """The HTML answer to a failed page request (JSON, as the API gives, to non-browsers)."""
    if isinstance(exc, SpmisError) and not wants_html(request):
        return error_response(exc)
    if isinstance(exc, NotAuthenticated):
        return login_redirect(request)
    status = 400
    if isinstance(exc, SpmisError):
        status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
        message = exc.msg_km if request_locale(request) == "km" else exc.msg
        if isinstance(exc, InvalidInput):
            message = "; ".join(
                f"{e.field}: {e.msg_km if request_locale(request) == 'km' else e.msg}"
                for e in exc.errors
            )
    elif isinstance(exc, RequestValidationError):
        status, message = 422, ""
    else:
        assert isinstance(exc, HTTPException)
        status, message = exc.status_code, ""
    context: dict[str, Any] = {"status": status, "message": message}
    if isinstance(exc, RoleRequired):
        context.update(needed_roles=sorted(exc.needed), held_roles=sorted(exc.held),
                       role_labels=ROLE_LABELS, message="")
    response = render(
        request, "error.html", context, status_code=status,
        area="office" if request.url.path.startswith("/office") else "public",
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


class PageRoute(APIRoute):
    """An APIRoute whose errors are rendered as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (SpmisError, RequestValidationError, HTTPException) as exc:
                return error_page(request, exc)

        return page_handler


def install_not_found_page(app: FastAPI) -> None:
    """Browsers asking for an address that does not exist get the 404 page in their language;
    API clients (and every other status) keep FastAPI's JSON answer."""

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if (exc.status_code in (404, 405) and wants_html(request)
                and not request.url.path.startswith("/api/")):
            return render(request, "error.html", {"status": exc.status_code, "message": ""},
                          status_code=exc.status_code)
        return await http_exception_handler(request, exc)

    app.add_exception_handler(HTTPException, on_http_error)
