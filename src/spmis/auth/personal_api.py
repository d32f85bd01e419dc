"""Personal data HTTP API: reveal a person's identifiers with a reason (logged), the access log,
and consent records. Roles per route: ``spmis.auth.policy``; area: the service layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from spmis.auth.deps import Ctx, CurrentActor, client_address
from spmis.auth.personal import PersonalDataService
from spmis.auth.schemas import AccessLogOut, ConsentIn, ConsentsOut, RevealIn, RevealOut

router = APIRouter(prefix="/api/v1", tags=["personal data"])
RecordId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/persons/{person_id}/reveal", response_model=RevealOut)
def reveal(person_id: RecordId, body: RevealIn, request: Request, ctx: Ctx,
           actor: CurrentActor) -> RevealOut:
    """A person's identifiers in clear. Needs a reason; who, what, when and why are logged."""
    return PersonalDataService(ctx).reveal(person_id, actor, body.reason, body.fields,
                                           client_address(request))


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
    return PersonalDataService(ctx).access_log(actor=actor, entity_type=entity_type,
                                               entity_id=entity_id, limit=limit, offset=offset)


@router.get("/persons/{person_id}/consents", response_model=ConsentsOut)
def consents(person_id: RecordId, ctx: Ctx, actor: CurrentActor) -> ConsentsOut:
    return PersonalDataService(ctx).consents(person_id, actor)


@router.post("/persons/{person_id}/consents", response_model=ConsentsOut, status_code=201)
def record_consent(person_id: RecordId, body: ConsentIn, ctx: Ctx,
                   actor: CurrentActor) -> ConsentsOut:
    """Record that the person gave or withdrew consent for a purpose (kept as history)."""
    return PersonalDataService(ctx).record_consent(person_id, actor, body.purpose, body.status,
                                                   body.effective_on, body.note)
