"""Reference data API: provinces, districts, communes and villages with Khmer and English names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from spmis.auth.deps import Ctx
from spmis.errors import NotFound

router = APIRouter(prefix="/api/v1/reference", tags=["reference"])


class Unit(BaseModel):
    code: str
    level: str
    name_km: str
    name_en: str
    parent_code: str | None


def _children(ctx: Ctx, level: str, parent: str | None) -> list[Unit]:
    if parent is not None and ctx.gazetteer.get(parent) is None:
        raise NotFound(
            f"no administrative unit with code {parent}", f"រកមិនឃើញតំបន់រដ្ឋបាលលេខកូដ {parent}"
        )
    return [Unit(**u.__dict__) for u in ctx.gazetteer.list(level, parent)]


Code = Annotated[str, Path(pattern=r"^\d{2}(\d{2}){0,3}$")]


@router.get("/provinces", response_model=list[Unit])
def provinces(ctx: Ctx) -> list[Unit]:
    """The 25 capital and provinces."""
    return _children(ctx, "province", None)


@router.get("/provinces/{code}/districts", response_model=list[Unit])
def districts(ctx: Ctx, code: Code) -> list[Unit]:
    return _children(ctx, "district", code)


@router.get("/districts/{code}/communes", response_model=list[Unit])
def communes(ctx: Ctx, code: Code) -> list[Unit]:
    return _children(ctx, "commune", code)


@router.get("/communes/{code}/villages", response_model=list[Unit])
def villages(ctx: Ctx, code: Code) -> list[Unit]:
    return _children(ctx, "village", code)


@router.get("/units/{code}", response_model=Unit)
def unit(ctx: Ctx, code: Code) -> Unit:
    """Any unit by its 2, 4, 6 or 8-digit code."""
    found = ctx.gazetteer.get(code)
    if found is None:
        raise NotFound(f"no administrative unit with code {code}", f"រកមិនឃើញតំបន់រដ្ឋបាលលេខកូដ {code}")
    return Unit(**found.__dict__)
