"""Input and output shapes of the registry (pydantic). Type errors are caught here (422 naming the
field); rules across fields live in ``model.py`` and are applied by the service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spmis.registry.model import EmploymentType, FunctionalDomain, IdentifierType, Relationship, Sex

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
VillageCode = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
ExternalKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
IdValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonFields(_In):
    family_name_km: Name | None = None
    given_name_km: Name | None = None
    family_name_latin: Name | None = None
    given_name_latin: Name | None = None
    sex: Sex
    date_of_birth: date
    dob_estimated: bool = False
    disability: bool = False
    functional_difficulties: list[FunctionalDomain] = Field(default_factory=list, max_length=6)
    pregnant: bool = False
    expected_delivery_date: date | None = None
    occupation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = (
        None
    )
    employment_type: EmploymentType = EmploymentType.NONE
    enterprise_id: int | None = Field(None, ge=1)
    identifiers: dict[IdentifierType, IdValue] = Field(
        default_factory=dict,
        description="e.g. {'national_id': '123456789', 'phone': '012 345 678'}",
    )


class MemberIn(PersonFields):
    external_key: ExternalKey | None = None
    relationship: Relationship


class HouseholdCreate(_In):
    external_key: ExternalKey | None = None
    village_code: VillageCode
    address_detail: Annotated[str, StringConstraints(max_length=200)] | None = None
    idpoor_level: int | None = None
    idpoor_card_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    idpoor_valid_from: date | None = None
    idpoor_valid_to: date | None = None
    members: list[MemberIn] = Field(min_length=1, max_length=60)
    reason: Reason | None = None


class HouseholdUpdate(_In):
    village_code: VillageCode | None = None
    address_detail: Annotated[str, StringConstraints(max_length=200)] | None = None
    idpoor_level: int | None = None
    idpoor_card_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    idpoor_valid_from: date | None = None
    idpoor_valid_to: date | None = None
    expected_version: int | None = Field(None, ge=1)
    reason: Reason


class PersonUpdate(_In):
    family_name_km: Name | None = None
    given_name_km: Name | None = None
    family_name_latin: Name | None = None
    given_name_latin: Name | None = None
    sex: Sex | None = None
    date_of_birth: date | None = None
    dob_estimated: bool | None = None
    disability: bool | None = None
    functional_difficulties: list[FunctionalDomain] | None = Field(None, max_length=6)
    pregnant: bool | None = None
    expected_delivery_date: date | None = None
    occupation: Annotated[str, StringConstraints(max_length=100)] | None = None
    employment_type: EmploymentType | None = None
    enterprise_id: int | None = Field(None, ge=1)
    identifiers: dict[IdentifierType, IdValue | None] | None = Field(
        None, description="identifiers to set; a null value removes that identifier"
    )
    expected_version: int | None = Field(None, ge=1)
    reason: Reason


class AddMember(_In):
    """Add a new person (``person``) or move an existing one (``person_id``) into a household."""

    person: MemberIn | None = None
    person_id: int | None = Field(None, ge=1)
    relationship: Relationship | None = None
    reason: Reason


class MoveMember(_In):
    to_household_id: int = Field(ge=1)
    relationship: Relationship
    reason: Reason


class SplitHousehold(_In):
    person_ids: list[int] = Field(min_length=1, max_length=60)
    head_person_id: int = Field(ge=1)
    relationships: dict[int, Relationship] = Field(
        default_factory=dict, description="relationship to the new head, by person id"
    )
    village_code: VillageCode | None = None
    reason: Reason


class SetHead(_In):
    person_id: int = Field(ge=1)
    former_head_relationship: Relationship = Relationship.OTHER_RELATIVE
    reason: Reason


class EnterpriseCreate(_In):
    external_key: ExternalKey | None = None
    name_latin: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    name_km: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    nssf_employer_number: IdValue | None = None
    moc_registration_number: IdValue | None = None
    tax_id: IdValue | None = None
    village_code: VillageCode
    sector: Annotated[str, StringConstraints(pattern=r"^[A-U]$")] | None = Field(
        None, description="ISIC Rev.4 section letter A-U"
    )
    size_workers: int | None = Field(None, ge=0, le=1_000_000)
    reason: Reason | None = None


class EnterpriseUpdate(_In):
    name_latin: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    name_km: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    nssf_employer_number: IdValue | None = None
    moc_registration_number: IdValue | None = None
    tax_id: IdValue | None = None
    village_code: VillageCode | None = None
    sector: Annotated[str, StringConstraints(pattern=r"^[A-U]$")] | None = None
    size_workers: int | None = Field(None, ge=0, le=1_000_000)
    expected_version: int | None = Field(None, ge=1)
    reason: Reason


class PersonOut(BaseModel):
    id: int
    external_key: str | None
    household_id: int
    relationship: str
    family_name_km: str | None
    given_name_km: str | None
    family_name_latin: str | None
    given_name_latin: str | None
    sex: str
    date_of_birth: date
    dob_estimated: bool
    disability: bool
    functional_difficulties: list[str]
    pregnant: bool
    expected_delivery_date: date | None
    occupation: str | None
    employment_type: str
    enterprise_id: int | None
    status: str
    identifiers: dict[str, str] = Field(description="masked unless revealed")
    version: int
    updated_at: datetime


class NameAndBirth(BaseModel):
    """Who is about to be registered, as far as telling them from people already registered
    needs: names in either script, date of birth, and the village."""

    family_name_km: str | None = None
    given_name_km: str | None = None
    family_name_latin: str | None = None
    given_name_latin: str | None = None
    date_of_birth: date
    village_code: str


class LikelyDuplicate(BaseModel):
    """A person already registered who may be the one about to be registered: born the same
    day in the same commune, with the same name (``likeness`` 'same') or a close one
    ('close')."""

    person: PersonOut
    village_code: str
    likeness: str


class PersonCorrection(BaseModel):
    """What a correction did: the fields saved at once, and the request (if any) that holds the
    new identifiers until an approver decides."""

    person: PersonOut
    saved: list[str] = Field(description="fields changed at once")
    awaiting_approval: list[str] = Field(description="identifier types filed for approval")
    request_id: int | None = None


class AreaNames(BaseModel):
    code: str
    name_km: str
    name_en: str


class HouseholdOut(BaseModel):
    id: int
    external_key: str | None
    village_code: str
    commune_code: str
    district_code: str
    province_code: str
    area: list[AreaNames]
    address_detail: str | None
    idpoor_level: int | None
    idpoor_card_number: str | None
    idpoor_valid_from: date | None
    idpoor_valid_to: date | None
    status: str
    head_person_id: int | None
    members: list[PersonOut]
    version: int
    updated_at: datetime


class HouseholdListItem(BaseModel):
    """A household as a line of a list: no member's details, no identifier."""

    id: int
    village_code: str
    village: AreaNames | None  # the village, else the nearest place above it that is known
    idpoor_level: int | None
    head_family_name_km: str | None  # the head's, else the first member's (by number)
    head_given_name_km: str | None
    head_family_name_latin: str | None
    head_given_name_latin: str | None
    members: int  # active members


class EnterpriseOut(BaseModel):
    id: int
    external_key: str | None
    name_latin: str
    name_km: str | None
    nssf_employer_number: str | None
    moc_registration_number: str | None
    tax_id: str | None
    village_code: str
    province_code: str
    sector: str | None
    size_workers: int | None
    status: str
    version: int
    updated_at: datetime


class HistoryEntry(BaseModel):
    version: int
    action: str
    changed_at: datetime
    changed_by: str
    reason: str | None
    changes: dict[str, Any]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int | None = Field(None, description="number of matches (None when not counted)")


# ---------------------------------------------------------------- personal data
class RevealIn(_In):
    reason: Reason = Field(description="why the clear value is needed; kept in the access log")
    fields: list[IdentifierType] | None = Field(
        None, min_length=1, max_length=5, description="which identifiers; all by default")


class RevealOut(BaseModel):
    person_id: int
    identifiers: dict[str, str]
    access_log_id: int


class ConsentIn(_In):
    purpose: Literal["registration", "data_sharing", "contact", "research"]
    status: Literal["given", "withdrawn"]
    effective_on: date
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class ConsentOut(BaseModel):
    id: int
    person_id: int
    purpose: str
    status: str
    effective_on: date
    note: str | None
    recorded_at: datetime
    recorded_by: str


class ConsentsOut(BaseModel):
    person_id: int
    current: dict[str, ConsentOut] = Field(description="the latest event per purpose")
    history: list[ConsentOut]
