"""API shapes of the community review and equity cards."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Reason = Field(min_length=5, max_length=500)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListStartIn(Strict):
    round_id: int = Field(ge=1, le=2**62)
    commune_code: str = Field(pattern=r"^\d{6}$")


class ListOut(BaseModel):
    id: int
    round_id: int
    commune_code: str
    status: str
    version: int
    households: int
    level1: int
    level2: int
    pending: int
    posted_on: date | None
    objections_until: date | None
    posted_by: str | None
    approved_by: str | None
    cards_issued: int | None
    issue_job_id: int | None


class EntryOut(BaseModel):
    household_id: int
    village_code: str
    level: int
    included: bool
    source: str
    change_reason: str | None
    members: int
    change_id: int | None
    pending_action: str | None


class ListDetailOut(BaseModel):
    summary: ListOut
    entries: list[EntryOut]


class ChangeIn(Strict):
    household_id: int = Field(ge=1, le=2**62)
    action: Literal["add", "remove"]
    level: Literal[1, 2] | None = None
    reason: str = Reason


class ChangeOut(BaseModel):
    id: int


class DecisionIn(Strict):
    decision: Literal["accept", "refuse"]
    reason: str = Reason


class PostIn(Strict):
    expected_version: int | None = Field(default=None, ge=1)


class ObjectionIn(Strict):
    kind: Literal["missing", "wrongly_listed"]
    description: str = Field(min_length=10, max_length=2000)
    household_id: int | None = Field(default=None, ge=1, le=2**62)
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)


class ObjectionOut(BaseModel):
    grievance_id: int
    ticket: str
    pin: str


class ApproveIn(Strict):
    reason: str = Reason


class ApprovedOut(BaseModel):
    summary: ListOut
    job_id: int | None


class CardCheckOut(BaseModel):
    """What anyone may learn of a card number: nothing about the household."""

    card_number: str
    state: str
    level: int
    valid_from: date
    valid_to: date
    commune_code: str


class CardOut(BaseModel):
    id: int
    card_number: str
    household_id: int
    round_id: int
    list_id: int
    level: int
    valid_from: date
    valid_to: date
    status: str
