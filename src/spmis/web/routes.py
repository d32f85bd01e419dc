"""``router``: every page module of the web capability plus the static files (CSS, the Khmer web
font and htmx, served by SPMIS itself). ``spmis.app`` includes it like any other router."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
#: page modules, each exposing ``router``; later capabilities append theirs
PAGE_MODULES: list[str] = [
    "spmis.web.public",
    "spmis.web.signin",
    "spmis.web.registration",  # before office: /office/households/new is not a household id
    "spmis.web.office",
    "spmis.web.imports",
    "spmis.web.approvals",
    "spmis.web.linkage_review",
    "spmis.web.admin",
]


class CachedStatic(StaticFiles):
    """Static files that a browser keeps for a day (slow links download them once)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def build_router() -> APIRouter:
    out = APIRouter(include_in_schema=False)
    out.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    for name in PAGE_MODULES:
        out.include_router(importlib.import_module(name).router)
    return out


router = build_router()
