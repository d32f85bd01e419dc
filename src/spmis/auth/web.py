"""What the access-control capability adds to the web application: the authorisation dependency
on every route, security headers on every response, the public rate limiter, and redaction of
secrets and identifiers from logs. ``install_security(app)`` is called by ``create_app``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spmis.auth.deps import authorize
from spmis.auth.ratelimit import SharedTokenBucket
from spmis.config import Environment

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def security_headers(production_like: bool) -> dict[str, str]:
    """Headers every response gets unless it set its own. ``Cache-Control: no-store`` is the
    default of every response (API answers, office pages, DCI messages and public pages may all
    carry personal data); only the static files set their own (public, a day)."""
    headers = {
        "Content-Security-Policy": CSP,  # /docs too: its Swagger UI is SPMIS's own copy
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if production_like:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


#: query parameters and text whose values must never reach a log
_SENSITIVE_QUERY = re.compile(
    r"(?i)\b(identifier|national_id|phone|password|client_secret|secret|token|access_token|"
    r"code|totp|csrf_token)=([^&\s\"']*)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """``text`` with sensitive query values and bearer tokens replaced by '***'."""
    return _BEARER.sub(r"\1 ***", _SENSITIVE_QUERY.sub(r"\1=***", text))


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    """Redact a log record in place, keeping its shape: ``msg`` and each text argument are
    redacted where they are, so a formatter that reads ``args`` (uvicorn's access log unpacks
    five of them) still finds them. Only when a secret spans the format string and an argument
    is the whole message rewritten, with ``args`` emptied."""
    try:
        message = record.getMessage()
    except Exception:  # a badly formatted record: leave it alone
        return
    if redact(message) == message:
        return
    args = record.args
    if isinstance(args, tuple):
        new_args: Any = tuple(_redact_value(a) for a in args)
    elif isinstance(args, Mapping):
        new_args = {k: _redact_value(v) for k, v in args.items()}
    else:
        new_args = args
    msg = _redact_value(record.msg)
    try:
        candidate = str(msg) % new_args if new_args else str(msg)
    except (TypeError, ValueError, KeyError):
        candidate = None
    if candidate is not None and redact(candidate) == candidate:
        record.msg, record.args = msg, new_args
    else:
        record.msg, record.args = redact(message), ()


class RedactingFilter(logging.Filter):
    """Logging filter that redacts secrets and identifiers from every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class _RedactingFactory:
    """Log-record factory that redacts every record at creation, whatever logger made it."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        redact_record(record)
        return record


def install_log_redaction() -> None:
    """Redact every log record of the process (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(current))


class SecurityHeaders:
    """ASGI middleware: ``security_headers`` on every HTTP response that did not set its own
    (a plain ASGI wrapper of ``send``: no task, stream or thread per request)."""

    def __init__(self, app: ASGIApp, production_like: bool) -> None:
        self.app = app
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in security_headers(production_like).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = list(message.get("headers", ()))
                present = {name.lower() for name, _value in given}
                given += [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": given}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI) -> None:
    """Authorise every route (call before routers are included), add security headers, rate
    limit public routes, and redact logs."""
    settings = app.state.ctx.settings
    app.state.rate_limiter = SharedTokenBucket(app.state.ctx.engine,
                                               settings.public_rate_per_minute,
                                               settings.public_rate_burst)
    app.router.dependencies.append(Depends(authorize))
    app.add_middleware(SecurityHeaders, production_like=settings.env != Environment.DEVELOPMENT)
    install_log_redaction()
