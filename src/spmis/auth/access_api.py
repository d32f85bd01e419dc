"""The access log over HTTP: every unmasked read of personal data, for auditors. (Revealing a
person's identifiers and consent records are registry routes: ``spmis.registry.personal_api``.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from spmis.auth import access
from spmis.auth.deps import Ctx, CurrentActor
from spmis.auth.schemas import AccessLogOut

router = APIRouter(prefix="/api/v1", tags=["personal data"])


@router.get("/access-log", response_model=list[AccessLogOut])
def read_access_log(
    ctx: Ctx, _actor: CurrentActor,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AccessLogOut]:
    """Every unmasked read of personal data, newest first."""
    with ctx.engine.connect() as conn:
        return access.read_log(conn, actor=actor, entity_type=entity_type,
                               entity_id=entity_id, limit=limit, offset=offset)
