"""HTTP mapping of domain errors, shared by every router. Validation errors (pydantic's and the
domain's) become 422 with ``detail: [{loc, type, msg, msg_km}]``; no bad input reaches a 500."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

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
    TooLarge,
)

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    Forbidden: 403,
    TooLarge: 413,
    RateLimited: 429,
}

#: Khmer text for pydantic's error types (English comes from pydantic itself)
PYDANTIC_KM = {
    "missing": "តម្រូវឱ្យមាន",
    "extra_forbidden": "មិនអនុញ្ញាតវាលនេះទេ",
    "string_too_long": "វែងពេក",
    "string_too_short": "ខ្លីពេក",
    "string_pattern_mismatch": "ទម្រង់មិនត្រឹមត្រូវ",
    "date_from_datetime_parsing": "កាលបរិច្ឆេទមិនត្រឹមត្រូវ",
    "date_parsing": "កាលបរិច្ឆេទមិនត្រឹមត្រូវ",
    "date_from_datetime_inexact": "កាលបរិច្ឆេទមិនត្រឹមត្រូវ",
    "int_parsing": "ត្រូវតែជាចំនួនគត់",
    "bool_parsing": "ត្រូវតែជា បាទ/ចាស ឬ ទេ",
    "enum": "ជម្រើសមិនត្រឹមត្រូវ",
    "literal_error": "ជម្រើសមិនត្រឹមត្រូវ",
    "greater_than_equal": "តូចពេក",
    "less_than_equal": "ធំពេក",
    "json_invalid": "JSON មិនត្រឹមត្រូវ",
}


def _pydantic_detail(exc: RequestValidationError | ValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        out.append(
            {
                "loc": list(e.get("loc", ())),
                "type": e.get("type", "invalid"),
                "msg": e.get("msg", "invalid value"),
                "msg_km": PYDANTIC_KM.get(e.get("type", ""), "តម្លៃមិនត្រឹមត្រូវ"),
            }
        )
    return out


def error_response(exc: SpmisError) -> JSONResponse:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, InvalidInput):
        body: dict[str, Any] = {"detail": [e.as_dict() for e in exc.errors]}
    else:
        body = {"detail": exc.msg, "detail_km": exc.msg_km}
    return JSONResponse(status_code=status, content=body, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and validation errors to JSON responses."""

    async def on_domain(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SpmisError)
        return error_response(exc)

    async def on_validation(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return JSONResponse(status_code=422, content={"detail": _pydantic_detail(exc)})

    app.add_exception_handler(SpmisError, on_domain)
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
