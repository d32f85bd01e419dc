"""Registry HTTP API under /api/v1: parse input, call the service, return its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from spmis.auth.deps import Ctx, CurrentActor
from spmis.auth.schemas import ApprovalOut
from spmis.registry import schemas as s
from spmis.registry.model import IdentifierType
from spmis.registry.service import RegistryService

router = APIRouter(prefix="/api/v1", tags=["registry"])

RecordId = Annotated[int, Path(ge=1, le=2**62)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int | None, Query(ge=1, le=1000)]
AreaCode = Annotated[
    str | None,
    Query(
        pattern=r"^\d{2}(\d{2}){0,3}$", description="province, district, commune or village code"
    ),
]


def _svc(ctx: Ctx) -> RegistryService:
    return RegistryService(ctx)


# ---------------------------------------------------------------- households
@router.post("/households", response_model=s.HouseholdOut, status_code=201)
def create_household(body: s.HouseholdCreate, ctx: Ctx, actor: CurrentActor) -> s.HouseholdOut:
    """Register a household with its members."""
    return _svc(ctx).create_household(body, actor)


@router.get("/households", response_model=s.Page[s.HouseholdOut])
def search_households(
    ctx: Ctx,
    actor: CurrentActor,
    area: AreaCode = None,
    idpoor_level: Annotated[int | None, Query(ge=1, le=2)] = None,
    page: PageNo = 1,
    page_size: PageSize = None,
) -> s.Page[s.HouseholdOut]:
    return _svc(ctx).search_households(
        actor, area=area, idpoor_level=idpoor_level, page=page, page_size=page_size
    )


@router.get("/households/{household_id}", response_model=s.HouseholdOut)
def get_household(household_id: RecordId, ctx: Ctx, actor: CurrentActor) -> s.HouseholdOut:
    return _svc(ctx).get_household(household_id, actor)


@router.patch("/households/{household_id}", response_model=s.HouseholdOut)
def update_household(
    household_id: RecordId, body: s.HouseholdUpdate, ctx: Ctx, actor: CurrentActor
) -> s.HouseholdOut:
    return _svc(ctx).update_household(household_id, body, actor)


@router.post("/households/{household_id}/members", response_model=s.HouseholdOut)
def add_member(
    household_id: RecordId, body: s.AddMember, ctx: Ctx, actor: CurrentActor
) -> s.HouseholdOut:
    """Add a new person, or move an existing person (``person_id``) into this household."""
    return _svc(ctx).add_member(household_id, body, actor)


@router.post("/households/{household_id}/members/{person_id}/move", response_model=s.HouseholdOut)
def move_member(
    household_id: RecordId, person_id: RecordId, body: s.MoveMember, ctx: Ctx, actor: CurrentActor
) -> s.HouseholdOut:
    """Move a member to another household; returns the destination household."""
    return _svc(ctx).move_member(household_id, person_id, body, actor)


@router.post("/households/{household_id}/split", response_model=s.HouseholdOut, status_code=201)
def split_household(
    household_id: RecordId, body: s.SplitHousehold, ctx: Ctx, actor: CurrentActor
) -> s.HouseholdOut:
    """Move some members into a new household; returns the new household."""
    return _svc(ctx).split_household(household_id, body, actor)


@router.post("/households/{household_id}/head", response_model=s.HouseholdOut)
def set_head(
    household_id: RecordId, body: s.SetHead, ctx: Ctx, actor: CurrentActor
) -> s.HouseholdOut:
    return _svc(ctx).set_head(household_id, body, actor)


@router.get("/households/{household_id}/history", response_model=list[s.HistoryEntry])
def household_history(
    household_id: RecordId, ctx: Ctx, actor: CurrentActor
) -> list[s.HistoryEntry]:
    return _svc(ctx).history("household", household_id, actor)


# ---------------------------------------------------------------- people
@router.get("/persons", response_model=s.Page[s.PersonOut])
def search_persons(
    ctx: Ctx,
    actor: CurrentActor,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    identifier_type: IdentifierType | None = None,
    identifier: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    area: AreaCode = None,
    page: PageNo = 1,
    page_size: PageSize = None,
) -> s.Page[s.PersonOut]:
    """Search by name (Khmer or Latin; spelling variants and typos tolerated), identifier, area."""
    return _svc(ctx).search_persons(
        actor,
        name=name,
        identifier_type=identifier_type,
        identifier=identifier,
        area=area,
        page=page,
        page_size=page_size,
    )


@router.get("/persons/{person_id}", response_model=s.PersonOut)
def get_person(person_id: RecordId, ctx: Ctx, actor: CurrentActor) -> s.PersonOut:
    return _svc(ctx).get_person(person_id, actor)


@router.patch("/persons/{person_id}", response_model=s.PersonOut,
               responses={202: {"model": ApprovalOut,
                                "description": "identifier change filed for approval"}})
def update_person(person_id: RecordId, body: s.PersonUpdate, ctx: Ctx,
                  actor: CurrentActor) -> s.PersonOut | JSONResponse:
    """Correct a person. A change that includes ``identifiers`` is not applied at once: it
    becomes a maker-checker request (202) that another user with the approver role decides."""
    if body.identifiers:
        filed = _svc(ctx).request_person_update(person_id, body, actor)
        return JSONResponse(status_code=202, content=filed.model_dump(mode="json"))
    return _svc(ctx).update_person(person_id, body, actor)


@router.get("/persons/{person_id}/history", response_model=list[s.HistoryEntry])
def person_history(person_id: RecordId, ctx: Ctx, actor: CurrentActor) -> list[s.HistoryEntry]:
    return _svc(ctx).history("person", person_id, actor)


# ---------------------------------------------------------------- enterprises
@router.post("/enterprises", response_model=s.EnterpriseOut, status_code=201)
def create_enterprise(body: s.EnterpriseCreate, ctx: Ctx, actor: CurrentActor) -> s.EnterpriseOut:
    return _svc(ctx).create_enterprise(body, actor)


@router.get("/enterprises", response_model=s.Page[s.EnterpriseOut])
def search_enterprises(
    ctx: Ctx,
    actor: CurrentActor,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    area: AreaCode = None,
    page: PageNo = 1,
    page_size: PageSize = None,
) -> s.Page[s.EnterpriseOut]:
    return _svc(ctx).search_enterprises(actor, name=name, area=area, page=page, page_size=page_size)


@router.get("/enterprises/{enterprise_id}", response_model=s.EnterpriseOut)
def get_enterprise(enterprise_id: RecordId, ctx: Ctx, actor: CurrentActor) -> s.EnterpriseOut:
    return _svc(ctx).get_enterprise(enterprise_id, actor)


@router.patch("/enterprises/{enterprise_id}", response_model=s.EnterpriseOut)
def update_enterprise(
    enterprise_id: RecordId, body: s.EnterpriseUpdate, ctx: Ctx, actor: CurrentActor
) -> s.EnterpriseOut:
    return _svc(ctx).update_enterprise(enterprise_id, body, actor)


@router.get("/enterprises/{enterprise_id}/history", response_model=list[s.HistoryEntry])
def enterprise_history(
    enterprise_id: RecordId, ctx: Ctx, actor: CurrentActor
) -> list[s.HistoryEntry]:
    return _svc(ctx).history("enterprise", enterprise_id, actor)
