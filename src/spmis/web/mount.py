"""``routers``: the static files (CSS, the Khmer web font and htmx, served by SPMIS itself) and
every capability's page modules (``Capability.pages`` in the manifests). ``spmis.app`` includes
each after every API router (each on its own, not nested in one router: a nested router's routes
are tried twice for every request that reaches it, see ``spmis.route_index``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from spmis.manifest import each, resolve

STATIC_DIR = Path(__file__).parent / "static"


class CachedStatic(StaticFiles):
    """Static files that a browser keeps for a day (slow links download them once)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def build_routers() -> list[APIRouter]:
    static = APIRouter(include_in_schema=False)
    static.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    return [static, *(resolve(f"{module}:router") for _cap, module in each("pages"))]


routers = build_routers()
