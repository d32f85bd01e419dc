"""A size limit on every request body, enforced before the body is read or parsed.

An ASGI middleware in front of the application finds the route of a request in the
authorisation table (``spmis.auth.policy.ROUTE_POLICY``, path templates matched as the router
matches them) and its limit: ``SPMIS_MAX_BODY_PUBLIC_BYTES`` (64 KiB) for public routes and
unknown paths, ``SPMIS_MAX_BODY_STAFF_BYTES`` (4 MiB) for every other route. A
``Content-Length`` over the limit is answered 413 at once, the body unread; a body sent without
one (chunked) is counted as it streams in and refused as soon as it passes the limit, whatever
the route was doing with it.
The answer is the usual error body, ``{"detail": ..., "detail_km": ...}``, naming the limit.

Multipart uploads to the routes in ``UPLOAD_ROUTES`` are left to the route, which streams the
file to disk under its own limit (``spmis.web.imports``).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spmis.auth.policy import ROUTE_POLICY
from spmis.auth.roles import PUBLIC
from spmis.errors import TooLarge
from spmis.http import error_response

__all__ = ["UPLOAD_ROUTES", "BodyLimit", "too_large"]

#: routes that take a multipart file upload and limit it themselves while streaming it
UPLOAD_ROUTES: frozenset[tuple[str, str]] = frozenset({("POST", "/office/imports")})


def too_large(limit: int) -> TooLarge:
    kib = f"{limit / 1024:,.0f} KiB" if limit < 1024**2 else f"{limit / 1024**2:,.1f} MiB"
    return TooLarge(f"the request body is larger than this endpoint accepts ({kib})",
                    f"ទំហំសំណើធំជាងការកំណត់របស់ចំណុចនេះ ({kib})")


class _Exceeded(Exception):
    """Raised from ``receive`` when a streamed body passes its limit."""


class BodyLimit:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, public_bytes: int, staff_bytes: int) -> None:
        self.app = app
        self.public_bytes = public_bytes
        self.staff_bytes = staff_bytes
        #: (method, path regex, path template, public?) of every route in the table
        self.routes: list[tuple[str, re.Pattern[str], str, bool]] = [
            (method, compile_path(path)[0], path, rule == PUBLIC)
            for (method, path), rule in ROUTE_POLICY.items() if method != "MOUNT"]

    def limit_for(self, scope: Scope) -> int | None:
        """The body limit of the request's route (None: the route limits its upload)."""
        method = str(scope.get("method", "GET")).upper()
        method = "GET" if method == "HEAD" else method
        path = str(scope.get("path", ""))
        for route_method, regex, template, public in self.routes:
            if route_method == method and regex.match(path):
                headers = dict(scope.get("headers") or [])
                multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
                if multipart and (method, template) in UPLOAD_ROUTES:
                    return None
                return self.public_bytes if public else self.staff_bytes
        return self.public_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _Exceeded
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the route made of the cut body, the answer is 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response: Any = error_response(too_large(limit))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
