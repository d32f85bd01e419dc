"""The outermost ASGI middleware: every HTTP request gets an id (``X-Request-ID`` in and out, see
``spmis.logs``), is timed and counted in the Prometheus metrics by route template
(``spmis.metrics``), and leaves one access line in the log (logger ``spmis.access``): method,
route template, path without its query string, status, milliseconds, request id. A request that
ends in an unhandled error is counted and logged as 500."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spmis import metrics
from spmis.auth.web import redact
from spmis.logs import accept_request_id, bind_request_id, unbind_request_id

access_log = logging.getLogger("spmis.access")
REQUEST_ID_HEADER = b"x-request-id"
MAX_LOGGED_PATH = 200


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (``<unmatched>`` when none did)."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else metrics.UNMATCHED


class Telemetry:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER)
        rid = accept_request_id(given.decode("latin-1") if given else None)
        token = bind_request_id(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = str(scope.get("method", "GET"))
            route = route_template(scope)
            metrics.observe(method, route, status, seconds)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %.1f ms", method, route, status, seconds * 1000,
                extra={"method": method, "route": route,
                       "path": redact(str(scope.get("path", "")))[:MAX_LOGGED_PATH],
                       "status": status, "duration_ms": round(seconds * 1000, 1),
                       "client": client[0] if client else None, "request_id": rid})
            unbind_request_id(token)
