"""The FastAPI application, built from the capabilities' manifests (``spmis.manifest``): every
capability's API routers, then every capability's pages (``spmis.web.mount``); domain errors map
to HTTP status codes in one place (``spmis.http``)."""

from __future__ import annotations

from fastapi import FastAPI

from spmis import __version__
from spmis.api_docs import router as api_docs_router
from spmis.auth.web import install_security
from spmis.body_limit import BodyLimit
from spmis.config import Settings, get_settings
from spmis.context import AppContext
from spmis.health import router as health_router
from spmis.http import install_error_handlers, install_input_guard
from spmis.manifest import each, resolve
from spmis.metrics import router as metrics_router
from spmis.pagekit.routing import install_not_found_page
from spmis.route_index import index_routes
from spmis.telemetry import Telemetry


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> FastAPI:
    """Build the application for ``settings`` (the process settings by default)."""
    settings = settings or (ctx.settings if ctx else get_settings())
    app = FastAPI(
        title="SPMIS",
        version=__version__,
        description="Social Protection Management Information System — API",
        docs_url=None,  # spmis.api_docs serves /docs from SPMIS's own pinned Swagger UI files
        redoc_url=None,
    )
    app.state.ctx = ctx or AppContext.create(settings)
    install_error_handlers(app)
    # inside the security headers' middleware, so a 413 carries them too
    app.add_middleware(BodyLimit, public_bytes=settings.max_body_public_bytes,
                       staff_bytes=settings.max_body_staff_bytes)
    install_input_guard(app)  # before the routers, like the security below
    install_security(app)  # before the routers: every route gets the authorisation check
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(api_docs_router)
    for _cap, router in each("routers"):
        app.include_router(resolve(router))
    for pages in resolve("spmis.web.mount:routers"):  # pages last: "/" and the page paths
        app.include_router(pages)
    index_routes(app)  # every router is included: a path is tried only where it can match
    install_not_found_page(app)  # spmis.web: an unknown address is a page for browsers
    app.add_middleware(Telemetry)  # outermost: request id, metrics and the access line
    return app
