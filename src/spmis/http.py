"""HTTP mapping of domain errors, shared by every router. Validation errors (pydantic's and the
domain's) become 422 with ``detail: [{loc, type, msg, msg_km}]``; no bad input reaches a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from spmis.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    SpmisError,
)

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    Forbidden: 403,
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
