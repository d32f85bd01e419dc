"""``spmis.route_index``: the application finds the same route for every path with the index as
FastAPI finds without it, and a router that cannot match a path is not asked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import Match

from spmis.app import create_app
from spmis.route_index import _IndexedRouter, index_routes
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    tmp = tmp_path_factory.mktemp("route-index")
    return create_app(make_settings(f"sqlite:///{tmp / 'x.db'}", tmp / "var"))


def _chosen(routes: list[Any], scope: dict[str, Any]) -> tuple[Match, Any]:
    """What FastAPI's router loop picks for ``scope``: the first full match, else the first
    partial one (a known path with another method), down to the leaf route's endpoint."""
    partial = None
    for route in routes:
        match, _child = route.matches(dict(scope))
        if match == Match.FULL or (match == Match.PARTIAL and partial is None):
            leaf = route
            if isinstance(route, _IncludedRouter):
                _m, _c, leaf, _ctx = route._match(dict(scope))
            found = (match, getattr(leaf, "endpoint", None) or getattr(leaf, "app", leaf))
            if match == Match.FULL:
                return found
            partial = found
    return partial or (Match.NONE, None)


def _sample(path: str, value: str) -> str:
    return re.sub(r"\{[^}]*\}", value, path)


def _paths(app: FastAPI) -> list[tuple[str, str]]:
    out = [("GET", p) for p in ("/", "/nowhere", "/office/", "/office/households/",
                                "/static/app.css", "/static", "/api/v1/nowhere", "")]
    for route in app.router.routes:
        contexts = route.effective_route_contexts() if isinstance(route, _IncludedRouter) \
            else []
        for ctx in contexts:
            path = ctx.path_format or getattr(ctx.starlette_route, "path", "")
            for method in [*sorted(getattr(ctx, "methods", None) or {"GET"}), "PATCH"]:
                for value in ("1", "x", "1/2"):
                    out.append((method, _sample(path, value)))
                    out.append((method, _sample(path, value) + "/"))
    return out


def test_every_path_finds_the_route_fastapi_finds(app: FastAPI) -> None:
    indexed = app.router.routes
    plain = [_IncludedRouter(original_router=r.original_router, include_context=r.include_context)
             if isinstance(r, _IndexedRouter) else r for r in indexed]
    assert sum(isinstance(r, _IndexedRouter) for r in indexed) > 20  # the index is in use
    paths = _paths(app)
    assert len(paths) > 1000
    refused = 0
    for method, path in paths:
        scope = {"type": "http", "method": method, "path": path, "root_path": "",
                 "headers": [], "query_string": b""}
        assert _chosen(indexed, scope) == _chosen(plain, scope), (method, path)
        refused += sum(r.matches(dict(scope))[0] == Match.NONE for r in indexed
                       if isinstance(r, _IndexedRouter))
    assert refused > len(paths) * 10  # most routers refuse most paths without trying routes


def test_a_route_added_later_is_found() -> None:
    app = FastAPI()
    pages = APIRouter()

    @pages.get("/a")
    def a() -> str:
        return "a"

    app.include_router(pages)
    index_routes(app)
    assert isinstance(app.router.routes[-1], _IndexedRouter)

    @pages.get("/b/{n}")
    def b(n: int) -> int:
        return n

    client = TestClient(app)
    assert client.get("/a").json() == "a"
    assert client.get("/b/7").json() == 7
    assert client.get("/c").status_code == 404


def test_pages_and_api_answer_through_the_index(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/health").status_code == 200
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/api/v1/programmes").status_code == 200
    assert client.get("/programmes").status_code == 200
    assert client.get("/no/such/page").status_code == 404
