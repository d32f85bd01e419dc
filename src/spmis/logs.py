"""Logging of the server processes: one JSON object a line (or plain text in development), each
carrying the id of the request it belongs to.

- The request id comes from the client's ``X-Request-ID`` header when it is a sane token (a
  reverse proxy or a caller may set it) or is made here; ``spmis.telemetry`` sets it for the
  request's duration and returns it in the response's ``X-Request-ID``.
- Personal data never reaches a log: the access line names the route and the path, never the
  query string (a name search would put a name there); every record passes the redaction of
  ``spmis.auth.web`` (tokens, passwords and identifier values), which stays installed.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from datetime import UTC, datetime
from typing import Any

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "spmis_request_id", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: the attributes every LogRecord has; anything else was passed in ``extra=`` and is kept
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "color_message"}
FORMATS = ("json", "text")


def request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return _REQUEST_ID.get()


def accept_request_id(given: str | None) -> str:
    """``given`` when it is a sane token (1-64 of letters, digits and ``._:-``), else a new id."""
    if given and _SANE_ID.fullmatch(given):
        return given
    return secrets.token_hex(16)


def bind_request_id(value: str) -> contextvars.Token[str | None]:
    return _REQUEST_ID.set(value)


def unbind_request_id(token: contextvars.Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, and the record's
    extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(fmt: str = "json", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``): every logger
    (SPMIS's, uvicorn's error log) to standard error in ``fmt``. uvicorn's own access log is off:
    ``spmis.access`` writes one line a request, with its route, status, time and request id."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    formatter: dict[str, Any] = (
        {"()": "spmis.logs.JsonFormatter"} if fmt == "json" else
        {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "spmis.logs.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "default", "filters": ["request_id"]}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
