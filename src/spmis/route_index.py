"""Route look-up without trying every route: each router included in the application answers
"no" at once to a path none of its routes can match.

FastAPI (0.16x) finds a request's route by asking every included router in turn, and each asks
every one of its routes (a regular expression and some bookkeeping per route), then asks the
chosen router's routes again to handle the request. With some 300 routes an office page cost
about 2 ms of CPU in routing alone (py-spy, issue 18). ``index_routes(app)`` wraps each router
included in ``app`` so that it first checks the path against what its routes could match: the
exact paths of routes without parameters, and the literal text before the first parameter of
the others (a route's regular expression begins with that text, so a path without it cannot
match). A path it may match is looked up by FastAPI as before, in the same order, so the route
chosen is the one FastAPI would choose (``tests/unit/test_route_index.py`` checks every route).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette.routing import Match, Mount, Route, get_route_path
from starlette.types import Scope

__all__ = ["index_routes"]


class _IndexedRouter(_IncludedRouter):
    """An included router that refuses, without trying its routes, a path none can match."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    indexed_version: int | None = None

    def index(self) -> bool:
        """Read the paths of the router's routes; False when they cannot be indexed (then every
        path may match: the prefix '' begins them all)."""
        version = self.original_router._get_routes_version()
        key = (id(self.original_router), version, self.include_context.prefix)
        known = _KNOWN.get(key)
        if known is None or known[0] is not self.original_router:  # (an id can be reused)
            known = _KNOWN[key] = (self.original_router, _paths(self))
        paths = known[1]
        self.exact, self.prefixes = paths or (frozenset(), ("",))
        self.indexed_version = version
        return paths is not None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket"):
            if self.indexed_version != self.original_router._get_routes_version():
                self.index()  # a route was added since: read the paths again
            elif not _may_match(get_route_path(scope), self.exact, self.prefixes):
                return Match.NONE, {}
        return super().matches(scope)


#: the paths of a router as included with a prefix, by (router's id, its routes' version,
#: prefix), with the router itself (APIRouter is not hashable):
#: reading them makes FastAPI build every route's dependencies (0.5 s for SPMIS's routers), and
#: the module-level routers of SPMIS are included again by each application made in a process
#: (each test makes one)
_KNOWN: dict[tuple[int, int, str],
             tuple[Any, tuple[frozenset[str], tuple[str, ...]] | None]] = {}


def _may_match(path: str, exact: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    return path in exact or path.startswith(prefixes)


def _paths(router: _IncludedRouter) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """(exact paths, literal prefixes) of the routes of ``router`` as included (prefixes
    applied), or None when one of them is of a kind not matched by its path alone (then the
    router is left as it is)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for context in router.effective_route_contexts():
        route: Any = context.starlette_route
        if isinstance(context.original_route, APIRoute):
            path = context.path_format
        elif isinstance(route, Mount):
            prefixes.add(route.path.rstrip("/") + "/")
            continue
        elif isinstance(route, Route):
            path = route.path_format
        else:
            return None
        if "{" in path:
            prefixes.add(path.split("{", 1)[0])
        else:
            exact.add(path)
    return frozenset(exact), tuple(sorted(prefixes))


def index_routes(app: FastAPI) -> None:
    """Wrap each router included in ``app`` (call once every router is included)."""
    routes = app.router.routes
    for i, route in enumerate(routes):
        if type(route) is not _IncludedRouter:
            continue
        indexed = _IndexedRouter(original_router=route.original_router,
                                 include_context=route.include_context)
        if indexed.index():
            routes[i] = indexed
    app.router._mark_routes_changed()
