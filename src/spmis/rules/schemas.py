"""API shapes of the evaluation runs: a run, its per-programme totals, its result rows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RunOut(BaseModel):
    """One evaluation: what it covered, who ran it, and the programmes it is current for."""

    id: int
    period: str
    programmes: list[str]
    reform: str | None
    households: int
    persons: int
    rows_written: int
    started_at: datetime
    finished_at: datetime
    run_by: str
    current_for: list[str] = Field(
        description="programmes whose current results for the period are this run's")


class ProgrammeTotalOut(BaseModel):
    programme: str
    currency: str
    rows: int
    eligible: int
    amount: int = Field(description="summed, in the smallest unit of the currency")


class RunDetailOut(RunOut):
    totals: list[ProgrammeTotalOut]


class ResultOut(BaseModel):
    """One stored result: a household's (or, for programmes paid to persons, a member's)
    eligibility and amount."""

    programme: str
    entity: str = Field(description="household or person")
    entity_id: int
    household_id: int
    eligible: bool
    amount: int = Field(description="in the smallest unit of the currency (riel or US cent)")
    currency: str


class ResultPage(BaseModel):
    run_id: int
    results: list[ResultOut]
    next_after: str | None = Field(
        None, description="pass as ``after`` to read the next page; absent on the last page")
