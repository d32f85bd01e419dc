"""Personal data HTTP API on registry people: reveal a person's identifiers with a reason
(logged) and consent records. Roles per route: the registry's manifest; area: the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from spmis.auth.deps import Ctx, CurrentActor, client_address
from spmis.registry.personal import PersonalDataService
from spmis.registry.schemas import ConsentIn, ConsentsOut, RevealIn, RevealOut

router = APIRouter(prefix="/api/v1", tags=["personal data"])
RecordId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/persons/{person_id}/reveal", response_model=RevealOut)
def reveal(person_id: RecordId, body: RevealIn, request: Request, ctx: Ctx,
           actor: CurrentActor) -> RevealOut:
    """A person's identifiers in clear. Needs a reason; who, what, when and why are logged."""
    return PersonalDataService(ctx).reveal(person_id, actor, body.reason, body.fields,
                                           client_address(request))


@router.get("/persons/{person_id}/consents", response_model=ConsentsOut)
def consents(person_id: RecordId, ctx: Ctx, actor: CurrentActor) -> ConsentsOut:
    return PersonalDataService(ctx).consents(person_id, actor)


@router.post("/persons/{person_id}/consents", response_model=ConsentsOut, status_code=201)
def record_consent(person_id: RecordId, body: ConsentIn, ctx: Ctx,
                   actor: CurrentActor) -> ConsentsOut:
    """Record that the person gave or withdrew consent for a purpose (kept as history)."""
    return PersonalDataService(ctx).record_consent(person_id, actor, body.purpose, body.status,
                                                   body.effective_on, body.note)
