"""API shapes of the fund (inputs; answers are the use cases' records). Months, wages and
currencies are plain short strings here, checked by the use cases so that the error names the
field and the reason in Khmer and English."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Month = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
AmountText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=24)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)]
RowId = Annotated[int, Field(ge=1, le=2**62)]
Amount = Annotated[int, Field(ge=1, le=10**15, description="smallest unit (riel, US cent)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmployerIn(Strict):
    """An enterprise of the registry registering with the fund."""

    enterprise_id: RowId
    employer_number: Annotated[str, StringConstraints(strip_whitespace=True,
                                                      pattern=r"^[A-Za-z0-9-]{3,32}$")]
    sector: Short
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=300)]
    contact_name: Text
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True,
                                                    pattern=r"^\+?[0-9 ]{6,20}$")] | None = None
    contact_email: Annotated[str, StringConstraints(
        strip_whitespace=True, pattern=r"^[^@\s]{1,64}@[^@\s]{1,130}$")] | None = None
    first_hire_date: date
    registered_on: date | None = None


class EmployerUserIn(Strict):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=64)]


class AffiliationIn(Strict):
    """A worker hired by an enterprise, or a member of the voluntary health care scheme."""

    person_id: RowId
    employer_id: RowId | None = None
    kind: Literal["employee", "self_employed", "dependant"] = "employee"
    principal_id: RowId | None = None
    start_date: date
    end_date: date | None = None
    declared_on: date | None = None
    position: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None \
        = None
    wage: AmountText | None = None
    currency: Currency = "KHR"


class AffiliationEndIn(Strict):
    end_date: date


class RateIn(Strict):
    khr_per_usd: Annotated[int, Field(ge=1_000, le=100_000)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                             max_length=500)]
    notified_on: date


class LineIn(Strict):
    person_id: RowId
    wage: AmountText
    currency: Currency = "KHR"


class DeclarationIn(Strict):
    """A month's wages typed in (or sent by a payroll system): replaces the draft."""

    period: Month
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=20_000)]
    correction: bool = False


class RunIn(Strict):
    period: Month


class PaymentIn(Strict):
    amount: Amount
    currency: Currency = "KHR"
    received_on: date
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=64)]
    channel: Literal["bakong", "bank", "cash"] = "bakong"
