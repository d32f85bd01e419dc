"""The community review and equity cards over HTTP: a round's commune lists, changes and their
decisions, posting, objections, the final approval, a household's cards, and the public check
of a card number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from spmis.auth.deps import Ctx, CurrentActor
from spmis.db.base import utcnow
from spmis.errors import NotFound
from spmis.targeting.cards import CardService
from spmis.targeting.review import ReviewService
from spmis.targeting.review_model import card_state
from spmis.targeting.review_schemas import (
    ApprovedOut,
    ApproveIn,
    CardCheckOut,
    CardOut,
    ChangeIn,
    ChangeOut,
    DecisionIn,
    EntryOut,
    ListDetailOut,
    ListOut,
    ListStartIn,
    ObjectionIn,
    ObjectionOut,
    PostIn,
)

router = APIRouter(prefix="/api/v1/targeting", tags=["targeting"])
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/lists", response_model=list[ListOut])
def lists(ctx: Ctx, actor: CurrentActor,
          round_id: Annotated[int, Query(ge=1, le=2**62)]) -> list[ListOut]:
    """The commune lists of a round inside the caller's area."""
    return [ListOut(**s.__dict__) for s in ReviewService(ctx).summaries(actor, round_id)]


@router.post("/lists", response_model=ListOut, status_code=201)
def start(body: ListStartIn, ctx: Ctx, actor: CurrentActor) -> ListOut:
    """Open a commune's list of a round from its scores (or bring a list in review up to
    date)."""
    service = ReviewService(ctx)
    list_id = service.start(actor, body.round_id, body.commune_code)
    return ListOut(**service.summary(actor, list_id).__dict__)


@router.get("/lists/{list_id}", response_model=ListDetailOut)
def one(list_id: Id, ctx: Ctx, actor: CurrentActor) -> ListDetailOut:
    """A list and its households (names are on the pages, not here)."""
    service = ReviewService(ctx)
    summary = service.summary(actor, list_id)
    entries = [EntryOut(**{k: e[k] for k in EntryOut.model_fields})
               for e in service.entries(actor, list_id)]
    return ListDetailOut(summary=ListOut(**summary.__dict__), entries=entries)


@router.post("/lists/{list_id}/changes", response_model=ChangeOut, status_code=201)
def ask_change(list_id: Id, body: ChangeIn, ctx: Ctx, actor: CurrentActor) -> ChangeOut:
    """Ask to add (with its level) or remove a household, with the reason; another person
    decides."""
    return ChangeOut(id=ReviewService(ctx).request_change(
        actor, list_id, body.household_id, body.action, body.reason, body.level))


@router.post("/changes/{change_id}/decision", status_code=204)
def decide(change_id: Id, body: DecisionIn, ctx: Ctx, actor: CurrentActor) -> None:
    """Accept (the change is made) or refuse a change, with the reason."""
    ReviewService(ctx).decide(actor, change_id, body.decision == "accept", body.reason)


@router.post("/lists/{list_id}/post", response_model=ListOut)
def post(list_id: Id, body: PostIn, ctx: Ctx, actor: CurrentActor) -> ListOut:
    """Post the list in the villages for objections."""
    summary = ReviewService(ctx).post(actor, list_id, version=body.expected_version)
    return ListOut(**summary.__dict__)


@router.post("/lists/{list_id}/objections", response_model=ObjectionOut, status_code=201)
def objection(list_id: Id, body: ObjectionIn, ctx: Ctx, actor: CurrentActor) -> ObjectionOut:
    """Take in an objection to a posted list: a grievance, whose ticket and PIN are answered
    here only."""
    out = ReviewService(ctx).object(actor, list_id, body.kind, body.description,
                                    body.household_id, body.name, body.phone)
    return ObjectionOut(**out)


@router.post("/lists/{list_id}/approve", response_model=ApprovedOut)
def approve(list_id: Id, body: ApproveIn, ctx: Ctx, actor: CurrentActor) -> ApprovedOut:
    """The final approval of a posted list; the answer names the job that issues the cards."""
    service = ReviewService(ctx)
    job_id = service.approve(actor, list_id, body.reason)
    return ApprovedOut(summary=ListOut(**service.summary(actor, list_id).__dict__),
                       job_id=job_id)


@router.get("/households/{household_id}/cards", response_model=list[CardOut])
def household_cards(household_id: Id, ctx: Ctx, actor: CurrentActor) -> list[CardOut]:
    """Every equity card a household has held, newest first."""
    return [CardOut(**{k: c[k] for k in CardOut.model_fields})
            for c in CardService(ctx).household_cards(actor, household_id)]


@router.get("/cards/{card_number}", response_model=CardCheckOut)
def check_card(card_number: Annotated[str, Path(max_length=64)], ctx: Ctx) -> CardCheckOut:
    """Public: whether a card number is a card, and if so its state today, level, dates and
    commune (rate limited per address like every public route)."""
    card = CardService(ctx).verify(card_number)
    if card is None:
        raise NotFound("no equity card has this number", "គ្មានប័ណ្ណសមធម៌លេខនេះទេ")
    return CardCheckOut(card_number=card.card_number, state=card_state(card, utcnow().date()),
                        level=card.level, valid_from=card.valid_from, valid_to=card.valid_to,
                        commune_code=card.commune_code)
