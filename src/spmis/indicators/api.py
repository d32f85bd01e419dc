"""Indicators over HTTP: the open data (public, small cells suppressed) and the staff report
(the user's scope, every value). A refresh is a job: ``POST /api/v1/jobs`` with kind
``indicators.refresh``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from spmis.auth.deps import Ctx, CurrentActor
from spmis.indicators.service import IndicatorService

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])


class IndicatorsOut(BaseModel):
    refreshed_at: datetime | None
    threshold: int
    cells: list[dict[str, Any]]


@router.get("", response_model=IndicatorsOut)
def open_data(ctx: Ctx) -> IndicatorsOut:
    """Every indicator of the latest refresh by programme, month, province and sex, with
    totals; a cell counting fewer than 10 people (or one that would give such a cell away) has
    ``value`` null and ``suppressed`` true."""
    refresh, values = IndicatorService(ctx).open_data()
    return IndicatorsOut(refreshed_at=refresh.refreshed_at if refresh else None, threshold=10,
                         cells=[{**asdict(v), "suppressed": v.suppressed} for v in values])


@router.get("/report", response_model=IndicatorsOut)
def staff_report(ctx: Ctx, actor: CurrentActor) -> IndicatorsOut:
    """The same indicators computed now inside the caller's area, nothing withheld."""
    values = IndicatorService(ctx).staff_report(actor)
    return IndicatorsOut(refreshed_at=None, threshold=0,
                         cells=[{**asdict(v), "suppressed": False} for v in values])
