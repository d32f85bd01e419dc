"""Pages of the indicators: the public dashboard (no login, Khmer first, phone-sized), its open
data downloads, and the staff report at the user's scope (on the page and as XLSX)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.db.base import utcnow
from spmis.documents import pdf
from spmis.formula_guard import csv_row_writer
from spmis.indicators.model import TITLES, Indicator, Published
from spmis.indicators.refresh_job import KIND, REFRESHERS
from spmis.indicators.report import xlsx_report
from spmis.indicators.service import IndicatorService
from spmis.indicators.views import (
    chart,
    grievances_table,
    latest_period,
    payments_table,
    tables,
)
from spmis.jobs import JobService
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("indicator", "programme", "period", "province_code", "sex", "currency", "value",
          "suppressed")


def _view(request: Request, refresh: object, values: list[Published],
          names: dict[str, str]) -> dict[str, object]:
    ctx, locale = app_ctx(request), request_locale(request)
    by_key = tables(values, ctx.gazetteer, locale)
    people = by_key.get((Indicator.PEOPLE.value, "", "", ""))
    households = by_key.get((Indicator.HOUSEHOLDS.value, "", "", ""))
    period = latest_period(values)
    titles = {k.value: v[1] if locale == "km" else v[0] for k, v in TITLES.items()}
    return {"refresh": refresh, "people": people, "households": households,
            "bars": chart(people), "period": period, "titles": titles,
            "payments": payments_table(values, period), "programme_names": names,
            "grievances": grievances_table(values, ctx.gazetteer, locale)}


@router.get("/transparency", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    """The public dashboard: people and households registered by province and sex, and what
    was paid in the latest month; small numbers withheld as in the open data."""
    service = IndicatorService(app_ctx(request))
    refresh, values = await run_in_threadpool(service.open_data)
    names = await run_in_threadpool(service.programme_names, request_locale(request))
    return render(request, "public/dashboard.html", _view(request, refresh, values, names))


def _rows(values: list[Published]) -> list[dict[str, object]]:
    return [{**asdict(v), "suppressed": v.suppressed} for v in values]


@router.get("/transparency/indicators.json")
async def open_data_json(request: Request) -> Response:
    """Every published indicator as JSON (suppressed cells have ``value`` null)."""
    refresh, values = await run_in_threadpool(IndicatorService(app_ctx(request)).open_data)
    body = {"refreshed_at": refresh.refreshed_at.isoformat() if refresh else None,
            "threshold": 10, "cells": _rows(values)}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="indicators.json"'})


@router.get("/transparency/indicators.csv")
async def open_data_csv(request: Request) -> Response:
    """Every published indicator as CSV (suppressed cells empty, ``suppressed`` true)."""
    _refresh, values = await run_in_threadpool(IndicatorService(app_ctx(request)).open_data)
    out = io.StringIO()
    write = csv_row_writer(out)
    write(FIELDS)
    for row in _rows(values):
        write(["" if row[k] is None else row[k] for k in FIELDS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="indicators.csv"'})


@router.get("/office/reports", response_class=HTMLResponse)
async def staff_report(request: Request) -> HTMLResponse:
    """The indicators computed now inside the user's area, every value shown."""
    actor = require_actor(request)
    service = IndicatorService(app_ctx(request))
    values = await run_in_threadpool(service.staff_report, actor)
    refresh, _ = await run_in_threadpool(service.latest)
    names = await run_in_threadpool(service.programme_names, request_locale(request))
    view = _view(request, refresh, values, names)
    view.update(scope=actor.scope, can_refresh=bool(actor.roles & REFRESHERS))
    return render(request, "office/reports.html", view, area="office")


@router.get("/office/reports/indicators.xlsx")
async def staff_report_xlsx(request: Request) -> Response:
    """The staff report as a workbook."""
    actor = require_actor(request)
    values = await run_in_threadpool(IndicatorService(app_ctx(request)).staff_report, actor)
    data = await run_in_threadpool(xlsx_report, values, request_locale(request), actor.scope)
    return Response(data, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
        "Content-Disposition": 'attachment; filename="indicators.xlsx"',
        "Cache-Control": "no-store"})


@router.get("/office/reports/indicators.pdf")
async def staff_report_pdf(request: Request) -> Response:
    """The staff report as a printed document (A4, in the reader's language)."""
    actor = require_actor(request)
    service = IndicatorService(app_ctx(request))
    values = await run_in_threadpool(service.staff_report, actor)
    locale = request_locale(request)
    names = await run_in_threadpool(service.programme_names, locale)
    view = _view(request, None, values, names)
    view.update(scope=actor.scope, who=actor.username, printed_at=utcnow())
    data = await run_in_threadpool(pdf.render_pdf, "documents/indicators_report.html", view,
                                   locale)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="indicators.pdf"',
        "Cache-Control": "no-store"})


@router.post("/office/reports/refresh")
async def refresh_now(request: Request) -> Response:
    """Start a refresh of the published indicators (a background job)."""
    form = await request.form()
    check_csrf(request, form)
    actor = require_actor(request)
    job = await run_in_threadpool(JobService(app_ctx(request)).submit, actor, KIND, {})
    return RedirectResponse(f"/office/jobs/{job.id}", status_code=303)
