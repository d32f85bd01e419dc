"""Pages of the audit trail: the public page of daily root hashes (no login), and the auditors'
page of entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from spmis.audit.service import AuditService
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, require_actor
from spmis.pagekit.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/transparency/audit", response_class=HTMLResponse)
async def roots_page(request: Request) -> HTMLResponse:
    """The chain's root hash at the end of each day, for anyone to note and compare later."""
    roots = await run_in_threadpool(AuditService(app_ctx(request)).daily_roots, 60)
    return render(request, "public/audit_roots.html", {"roots": roots})


@router.get("/office/audit", response_class=HTMLResponse)
async def entries_page(request: Request, before: int | None = None) -> HTMLResponse:
    """The newest entries of the audit trail (auditors), 100 a page."""
    actor = require_actor(request)
    rows = await run_in_threadpool(AuditService(app_ctx(request)).entries, actor,
                                   before=before if before and before > 0 else None)
    older = rows[-1]["seq"] if len(rows) == 100 and rows[-1]["seq"] > 1 else None
    return render(request, "office/audit.html", {"rows": rows, "older": older}, area="office")
