"""HTTP: the public eligibility check and the parameters listing (no login, nothing stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from spmis.rules.catalogue import programmes
from spmis.rules.parameter_listing import list_parameters
from spmis.rules.screener import ScreenerAnswer, ScreenerRequest, screen

router = APIRouter(prefix="/api/v1", tags=["rules"])


@router.post("/screener", response_model=ScreenerAnswer)
async def screener(body: ScreenerRequest) -> ScreenerAnswer:
    """Am I eligible? For every programme: eligible or not, the amount, and the reasons in Khmer
    and English. Bad input gets 422 naming the field. Nothing is stored."""
    return await run_in_threadpool(screen, body)


@router.get("/parameters")
def parameters(
    prefix: Annotated[
        str | None, Query(max_length=200, pattern=r"^[a-z0-9_.]+$", examples=["social_assistance"])
    ] = None,
) -> dict[str, Any]:
    """Every rule parameter with its values over time, unit, currency and legal source."""
    return {"parameters": list_parameters(prefix)}


@router.get("/programmes")
def programme_catalogue() -> dict[str, Any]:
    """The programmes the rules compute, with names in Khmer and English."""
    return {"programmes": [p.as_dict() for p in programmes()]}
