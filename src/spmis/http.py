"""HTTP mapping of domain errors, shared by every router. Validation errors (pydantic's and the
domain's) become 422 with ``detail: [{loc, type, msg, msg_km}]``; no bad input reaches a 500."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from spmis.errors import (
    NUL_CHARACTER,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    SpmisError,
    StorageFull,
    TooLarge,
    Unavailable,
)

log = logging.getLogger("spmis.http")

#: database errors that mean "cannot reach the database just now" (a restart, a lost connection,
#: a full pool, a locked SQLite file), answered 503 with Retry-After instead of a 500: the
#: transaction was rolled back, and the pool reconnects by itself (``pool_pre_ping``)
DATABASE_DOWN: tuple[type[Exception], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
    sa_exc.TimeoutError)

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    Forbidden: 403,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
    StorageFull: 507,
}

#: plain English and Khmer for pydantic's error types; ``{name}`` is a value of the error's
#: context (the limit that was crossed), so every message says the limit in both languages
PYDANTIC_TEXT: dict[str, tuple[str, str]] = {
    "missing": ("required", "តម្រូវឱ្យមាន"),
    "extra_forbidden": ("is not a field of this input", "មិនអនុញ្ញាតវាលនេះទេ"),
    "string_too_long": ("must be at most {max_length} characters long",
                        "ត្រូវមានយ៉ាងច្រើន {max_length} តួអក្សរ"),
    "string_too_short": ("must be at least {min_length} characters long",
                         "ត្រូវមានយ៉ាងតិច {min_length} តួអក្សរ"),
    "too_long": ("must have at most {max_length} items", "ត្រូវមានយ៉ាងច្រើន {max_length}"),
    "too_short": ("must have at least {min_length} item(s)", "ត្រូវមានយ៉ាងតិច {min_length}"),
    "string_pattern_mismatch": ("does not have the expected form", "ទម្រង់មិនត្រឹមត្រូវ"),
    "date_from_datetime_parsing": ("must be a date written year-month-day, e.g. 2026-11-30",
                                   "ត្រូវជាកាលបរិច្ឆេទ ឆ្នាំ-ខែ-ថ្ងៃ ឧ. 2026-11-30"),
    "date_parsing": ("must be a date written year-month-day, e.g. 2026-11-30",
                     "ត្រូវជាកាលបរិច្ឆេទ ឆ្នាំ-ខែ-ថ្ងៃ ឧ. 2026-11-30"),
    "date_from_datetime_inexact": ("must be a date without a time", "ត្រូវជាកាលបរិច្ឆេទគ្មានម៉ោង"),
    "int_parsing": ("must be a whole number", "ត្រូវតែជាចំនួនគត់"),
    "int_type": ("must be a whole number", "ត្រូវតែជាចំនួនគត់"),
    "int_from_float": ("must be a whole number", "ត្រូវតែជាចំនួនគត់"),
    "bool_parsing": ("must be true or false", "ត្រូវតែជា បាទ/ចាស ឬ ទេ"),
    "bool_type": ("must be true or false", "ត្រូវតែជា បាទ/ចាស ឬ ទេ"),
    "enum": ("must be one of {expected}", "ត្រូវតែជាមួយក្នុងចំណោម {expected}"),
    "literal_error": ("must be one of {expected}", "ត្រូវតែជាមួយក្នុងចំណោម {expected}"),
    "greater_than_equal": ("must be {ge} or more", "ត្រូវតែ {ge} ឬច្រើនជាងនេះ"),
    "greater_than": ("must be more than {gt}", "ត្រូវតែច្រើនជាង {gt}"),
    "less_than_equal": ("must be {le} or less", "ត្រូវតែ {le} ឬតិចជាងនេះ"),
    "less_than": ("must be less than {lt}", "ត្រូវតែតិចជាង {lt}"),
    "json_invalid": ("is not valid JSON", "JSON មិនត្រឹមត្រូវ"),
}
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _limit(value: Any) -> str:
    """A limit from an error's context, written for people (1.0 -> 1, 10000 -> 10,000)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def validation_messages(error: Mapping[str, Any]) -> tuple[str, str]:
    """(English, Khmer) for one pydantic error, with the limit it names; pydantic's own English
    for a type without a plain text here."""
    code = str(error.get("type", ""))
    known = PYDANTIC_TEXT.get(code)
    if known is None:
        return str(error.get("msg", "invalid value")), "តម្លៃមិនត្រឹមត្រូវ"
    ctx = {key: _limit(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return known[0].format(**ctx), known[1].format(**ctx).translate(_KHMER_DIGITS)
    except (KeyError, IndexError):  # a context without the limit: the words without it
        return str(error.get("msg", known[0])), known[1].split("{")[0].strip()


def validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic's errors as ``FieldError``s with plain English and Khmer text."""
    out = []
    for e in errors:
        en, kh = validation_messages(e)
        out.append(FieldError(tuple(e.get("loc", ())), str(e.get("type", "invalid")), en, kh))
    return out


def _pydantic_detail(exc: RequestValidationError | ValidationError) -> list[dict[str, Any]]:
    return [e.as_dict() for e in validation_errors(exc.errors())]


#: the routes ODK Collect calls (OpenRosa, ``spmis.targeting``): it authenticates with HTTP
#: Basic (over HTTPS) and answers a 401 only when the challenge names that scheme
BASIC_AUTH_PREFIX = "/odk/"
BASIC_CHALLENGE = 'Basic realm="SPMIS", charset="UTF-8"'


def status_of(exc: SpmisError) -> int:
    """The HTTP status of a domain error."""
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def error_response(exc: SpmisError, path: str = "") -> JSONResponse:
    status = status_of(exc)
    challenge = BASIC_CHALLENGE if path.startswith(BASIC_AUTH_PREFIX) else "Bearer"
    headers = {"WWW-Authenticate": challenge} if status == 401 else None
    if isinstance(exc, RateLimited | Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, InvalidInput):
        body: dict[str, Any] = {"detail": [e.as_dict() for e in exc.errors]}
    else:
        body = {"detail": exc.msg, "detail_km": exc.msg_km}
    return JSONResponse(status_code=status, content=body, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and validation errors to JSON responses."""

    async def on_domain(req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SpmisError)
        return error_response(exc, req.url.path)

    async def on_validation(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return JSONResponse(status_code=422, content={"detail": _pydantic_detail(exc)})

    async def on_database_down(_req: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return error_response(Unavailable())

    app.add_exception_handler(SpmisError, on_domain)
    for cls in DATABASE_DOWN:
        app.add_exception_handler(cls, on_database_down)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)


# ------------------------------------------------------------------ NUL characters
_NUL = "\x00"


def nul_fields(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """Locations under ``loc`` of a parsed JSON value whose key or text holds a NUL."""
    if isinstance(value, str):
        if _NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from ([(*loc, key)] if _NUL in key else nul_fields(item, (*loc, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_fields(item, (*loc, i))


async def refuse_nul_characters(request: Request) -> None:
    """Refuse, with 422 naming each field, a NUL character (U+0000) in a path, query, JSON or
    form field: nobody types one, PostgreSQL cannot store it in text (the driver raises) and
    SQLite would keep a string that compares unlike what was shown. JSON bodies are checked for
    the routes that declare one; a route that parses its body itself (the DCI envelopes) checks
    it with ``nul_fields`` and answers in its own format. Files are the importers' to judge,
    row by row."""
    locs: list[tuple[str | int, ...]] = [
        ("path", name) for name, value in request.path_params.items() if _NUL in str(value)]
    locs += [("query", name) for name, value in request.query_params.multi_items()
             if _NUL in name or _NUL in value]
    content_type = request.headers.get("content-type", "")
    route = request.scope.get("route")
    if content_type.startswith("application/json") and getattr(route, "body_field", None):
        body = await request.body()
        if b"\\u0000" in body:
            with contextlib.suppress(ValueError, RecursionError):  # the route's parsing says so
                locs += nul_fields(json.loads(body), ("body",))
    elif content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # parsed once: the route reads the same, cached form
        locs += [("body", name) for name, value in form.multi_items()
                 if _NUL in name or (isinstance(value, str) and _NUL in value)]
    if locs:
        raise InvalidInput([FieldError(loc, "nul_character", *NUL_CHARACTER) for loc in locs])


def install_input_guard(app: FastAPI) -> None:
    """Check every route's input for NUL characters (call before routers are included)."""
    app.router.dependencies.append(Depends(refuse_nul_characters))
