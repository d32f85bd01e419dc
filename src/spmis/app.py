"""The FastAPI application: every capability's router is listed in ``ROUTERS`` and mounted here;
domain errors map to HTTP status codes in one place (``spmis.http``)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from spmis import __version__
from spmis.auth.web import install_security
from spmis.config import Settings, get_settings
from spmis.context import AppContext
from spmis.http import install_error_handlers, install_input_guard
from spmis.web.routing import install_not_found_page

#: (module, attribute) of each APIRouter
ROUTERS: list[tuple[str, str]] = [
    ("spmis.health", "router"),
    ("spmis.reference.api", "router"),
    ("spmis.registry.api", "router"),
    ("spmis.auth.api", "router"),
    ("spmis.auth.approvals_api", "router"),
    ("spmis.auth.personal_api", "router"),
    ("spmis.rules.api", "router"),
    ("spmis.linkage.api", "router"),
    ("spmis.interop.api", "router"),
    ("spmis.web.routes", "router"),  # pages last: "/" and the page paths
]


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> FastAPI:
    """Build the application for ``settings`` (the process settings by default)."""
    settings = settings or (ctx.settings if ctx else get_settings())
    app = FastAPI(
        title="SPMIS",
        version=__version__,
        description="Social Protection Management Information System — API",
    )
    app.state.ctx = ctx or AppContext.create(settings)
    install_error_handlers(app)
    install_input_guard(app)  # before the routers, like the security below
    install_security(app)  # before the routers: every route gets the authorisation check
    for module_name, attr in ROUTERS:
        app.include_router(getattr(importlib.import_module(module_name), attr))
    install_not_found_page(app)  # spmis.web: an unknown address is a page for browsers
    return app
