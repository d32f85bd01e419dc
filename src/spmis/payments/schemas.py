"""API shapes of the payments capability (inputs; answers are the use cases' records). Months
and programme codes are plain short strings here, checked by the use cases so that the error
names the field and the reason in Khmer and English."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Month = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CommuneCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
RowId = Annotated[int, Field(ge=1, le=2**62)]
Amount = Annotated[int, Field(ge=0, le=10**15, description="smallest unit (riel, US cent)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateIn(Strict):
    state: Annotated[str, StringConstraints(max_length=16)]
    reason: Reason
    expected_version: RowId | None = None


class BudgetIn(Strict):
    amount: Amount
    currency: Annotated[str, StringConstraints(max_length=3)]
    legal_reference: Text


class EnrolmentRunIn(Strict):
    programme: Code
    evaluation_run_id: RowId


class ApplicationIn(Strict):
    programme: Code
    household_id: RowId
    period: Month | None = None


class DecisionIn(Strict):
    approve: bool
    reason: Reason


class CycleIn(Strict):
    programme: Code
    period: Month
    evaluation_run_id: RowId | None = None


class ApproveIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class LineIn(Strict):
    beneficiary_id: RowId
    amount: Amount


class ExitIn(Strict):
    reason: Reason


class ShockIn(Strict):
    name_en: Text
    name_km: Text
    kind: Annotated[str, StringConstraints(max_length=16)]
    programme: Code
    communes: Annotated[list[CommuneCode], Field(min_length=1, max_length=2000)]
    start_date: date
    end_date: date
    amount: Amount | None = None
    legal_reference: Text
    evaluation_run_id: RowId | None = None
