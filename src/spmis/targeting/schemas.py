"""Request and response shapes of the targeting API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from spmis.targeting.model import RoundDraft

Code = Annotated[str, Field(min_length=2, max_length=24)]
Answer = Annotated[str, Field(max_length=40)] | Annotated[int, Field(ge=0, le=99)]


class RoundIn(BaseModel):
    """A new assessment round."""

    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["village", "on_demand"] = "village"
    area_code: Annotated[str, Field(max_length=6, description="'' (whole country) or a "
                                    "province, district or commune code")] = ""
    parameter_date: date = Field(description="the day whose scoring parameters score it")
    opens_on: date
    closes_on: date

    def draft(self) -> RoundDraft:
        return RoundDraft(**self.model_dump())


class RoundStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "closed"]


class RoundOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    area_code: str
    parameter_date: date
    opens_on: date
    closes_on: date
    status: str
    version: int
    assessments: int = 0


class AssessmentIn(BaseModel):
    """A questionnaire typed in at the commune office (the household asked there)."""

    model_config = ConfigDict(extra="forbid")
    round_id: Annotated[int, Field(ge=1, le=2**62)]
    household_id: Annotated[int, Field(ge=1, le=2**62)]
    answers: Annotated[dict[Annotated[str, Field(max_length=40)], Answer],
                       Field(max_length=40, description="item name -> answer name or count, "
                             "as in the XLSForm")]


class AssessmentRow(BaseModel):
    id: int
    round_id: int
    household_id: int
    village_code: str
    status: str
    channel: str
    enumerator: str
    submitted_at: datetime
    total: int | None = None
    level: int | None = None


class LineOut(BaseModel):
    item: str
    question_en: str
    question_km: str
    answer_en: str
    answer_km: str
    points: int


class ExplanationOut(BaseModel):
    total: int
    level: int
    level_en: str
    level_km: str
    level_1_cut_off: int
    level_2_cut_off: int
    parameter_date: date
    summary_en: str
    summary_km: str
    lines: list[LineOut]

    @classmethod
    def of(cls, e: Any) -> ExplanationOut:
        return cls(total=e.total, level=e.level, level_en=e.level_en, level_km=e.level_km,
                   level_1_cut_off=e.cut_offs.level_1, level_2_cut_off=e.cut_offs.level_2,
                   parameter_date=e.cut_offs.on, summary_en=e.summary_en,
                   summary_km=e.summary_km, lines=[LineOut(**vars(line)) for line in e.lines])


class AssessmentOut(AssessmentRow):
    instance_id: str
    form_id: str
    answers: dict[str, Any]
    explanation: ExplanationOut | None = None


class ReceivedOut(BaseModel):
    assessment_id: int
    created: bool


class ScoringOut(BaseModel):
    job_id: int
    state: str
