"""Input and output models of the registry linkage API (review queue, merges, runs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from spmis.registry.schemas import Reason


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewItemOut(BaseModel):
    id: int
    person_id_l: int
    person_id_r: int
    match_probability: float
    reasons: list[str] = Field(description="field=level, e.g. name=same, date_of_birth=year")
    conflicts: list[str] = Field(
        description="identifier types both hold with different values, 'sex' when the recorded "
                    "sex differs, 'via_other_record' when the conflict is with a third record")
    area_code_l: str
    area_code_r: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    approval_request_id: int | None
    merge_id: int | None
    version: int


class ReviewPage(BaseModel):
    items: list[ReviewItemOut]
    page: int
    page_size: int
    total: int


class PersonSide(BaseModel):
    """One side of a side-by-side comparison; identifiers are masked."""

    id: int
    status: str
    household_id: int
    relationship: str
    family_name_latin: str | None
    given_name_latin: str | None
    family_name_km: str | None
    given_name_km: str | None
    sex: str
    date_of_birth: date
    dob_estimated: bool
    employment_type: str
    occupation: str | None
    village_code: str
    area: list[str] = Field(description="province, district, commune, village names (English)")
    identifiers: dict[str, str]
    version: int


class FieldComparison(BaseModel):
    field: str
    left: Any
    right: Any
    same: bool | None = Field(description="None when either side is empty")


class ComparisonOut(BaseModel):
    review: ReviewItemOut
    left: PersonSide
    right: PersonSide
    fields: list[FieldComparison]


class AcceptIn(_In):
    reason: Reason
    survivor_id: int | None = Field(
        None, ge=1, description="the record to keep (default: the older, lower id)")
    expected_version: int | None = Field(None, ge=1)


class MergeOut(BaseModel):
    id: int
    survivor_id: int
    merged_id: int
    method: str
    run_id: int | None
    review_id: int | None
    match_probability: float | None
    status: str
    merged_at: datetime
    merged_by: str
    reason: str
    undone_at: datetime | None
    undone_by: str | None
    undo_reason: str | None


class RunIn(_In):
    auto_merge_threshold: float | None = Field(
        None, gt=0, le=1,
        description="raise the automatic-merge threshold for this run (administrators only); "
                    "never below the floor setting SPMIS_LINKAGE_AUTO_MERGE_FLOOR, the default")
    review_threshold: float = Field(0.80, gt=0, le=1)


class RunOut(BaseModel):
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    scope: str
    auto_merge_threshold: float
    review_threshold: float
    records: int
    pairs_scored: int
    candidates: int
    auto_merged: int
    queued: int
    blocked: int
    notes: list[str] | None
