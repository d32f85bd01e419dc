"""``GET /health`` (the process is alive) and ``GET /health/ready`` (it can serve: the database
answers and its schema is at the newest migration). A load balancer sends traffic only to a
server whose readiness check answers 200; a supervisor restarts one whose liveness check fails."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from spmis import __version__
from spmis.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> JSONResponse:
    """200 while the process answers; it touches nothing else (not the database)."""
    return JSONResponse({"status": "alive", "version": __version__})


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """200 with the schema version when the database is reachable and migrated to the newest
    schema; 503 with the reason (``database unreachable``, ``migration needed``) otherwise."""
    ctx = request.app.state.ctx
    try:
        current = await run_in_threadpool(current_revision, ctx.engine)
    except Exception:  # the database is down: say so, never a 500
        return JSONResponse(status_code=503, content={
            "status": "database unreachable", "reason": "the database does not answer",
            "reason_km": "មូលដ្ឋានទិន្នន័យមិនឆ្លើយតប"})
    head = head_revision()
    body = {
        "status": "ready" if current == head else "migration needed",
        "version": __version__,
        "schema_version": current,
        "schema_head": head,
        "database": ctx.engine.dialect.name,
    }
    if current != head:
        body["reason"] = f"the database is at migration {current}, the code needs {head}: run " \
                         "`spmis db upgrade`"
        body["reason_km"] = "មូលដ្ឋានទិន្នន័យត្រូវការធ្វើបច្ចុប្បន្នភាព (spmis db upgrade)"
    return JSONResponse(status_code=200 if current == head else 503, content=body)
