"""Request and response shapes of the grievances API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from spmis.grievances.model import (
    DESCRIPTION_MAX,
    NAME_MAX,
    REASON_MAX,
    Grievance,
    Intake,
    PublicView,
)

Text64 = Annotated[str, Field(max_length=64)]


class GrievanceIn(BaseModel):
    """A grievance taken in by staff for someone who phoned, came or wrote."""

    model_config = ConfigDict(extra="forbid")
    category: Annotated[str, Field(max_length=24)]
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX + 100)]
    area_code: Annotated[str, Field(max_length=8, description="commune or village code")]
    channel: Literal["phone", "visit", "letter", "web"] = "phone"
    kind: Literal["complaint", "appeal"] = "complaint"
    name: Annotated[str | None, Field(max_length=NAME_MAX + 10)] = None
    phone: Annotated[str | None, Field(max_length=24)] = None
    decision_kind: Literal["eligibility", "enrolment", "claim"] | None = None
    decision_ref: Text64 | None = None
    decided_by: Text64 | None = None

    def intake(self) -> Intake:
        return Intake(**self.model_dump())


class ReceiptOut(BaseModel):
    id: int
    ticket: str
    pin: str = Field(description="shown once: give it to the complainant")
    deadline: datetime


class GrievanceOut(BaseModel):
    id: int
    ticket: str
    kind: str
    category: str
    channel: str
    status: str
    description: str
    anonymous: bool
    area_code: str
    office: str
    level: str
    deadline: datetime
    overdue: bool
    received_at: datetime
    escalations: int
    version: int
    resolved_at: datetime | None
    resolution: str | None
    outcome: str | None
    satisfaction: str | None
    decision_kind: str | None
    decision_ref: str | None
    decided_by: str | None
    reviewer: str | None

    @classmethod
    def of(cls, g: Grievance, now: datetime) -> GrievanceOut:
        return cls(**{**g.__dict__, "level": g.level.value, "overdue": g.overdue(now)})


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: Annotated[int | None, Field(ge=1, le=2**31)] = None


class DecisionIn(VersionIn):
    decided_by: Text64
    decision_ref: Text64 | None = None


class ResolveIn(VersionIn):
    reason: Annotated[str, Field(max_length=REASON_MAX + 100)]
    outcome: Literal["upheld", "changed"] | None = None


class SatisfactionIn(VersionIn):
    satisfaction: Literal["satisfied", "not_satisfied", "no_answer"]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(max_length=REASON_MAX)]


class ContactOut(BaseModel):
    name: str | None
    phone: str | None


class FollowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket: Annotated[str, Field(max_length=20)]
    pin: Annotated[str, Field(max_length=12)]


class EventOut(BaseModel):
    at: datetime
    action: str
    status: str | None
    office: str | None
    note: str | None


class PublicOut(BaseModel):
    ticket: str
    kind: str
    category: str
    status: str
    office: str
    deadline: datetime
    received_at: datetime
    resolution: str | None
    outcome: str | None
    satisfaction: str | None
    events: list[EventOut]

    @classmethod
    def of(cls, v: PublicView) -> PublicOut:
        return cls(**{**v.__dict__, "events": [EventOut(**e.__dict__) for e in v.events]})
