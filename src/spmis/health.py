"""``GET /health``: liveness plus the database schema version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from spmis import __version__
from spmis.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 with the schema version when the database is reachable and migrated; 503 otherwise."""
    ctx = request.app.state.ctx
    try:
        current = current_revision(ctx.engine)
    except Exception:  # the database is down: say so, never a 500
        return JSONResponse(status_code=503, content={"status": "database unreachable"})
    head = head_revision()
    body = {
        "status": "ok" if current == head else "migration needed",
        "version": __version__,
        "schema_version": current,
        "schema_head": head,
        "database": ctx.engine.dialect.name,
    }
    return JSONResponse(status_code=200 if current == head else 503, content=body)
