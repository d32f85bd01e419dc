"""Registry domain: people, households, enterprises and their rules. Pure: standard library only.

Validation functions return a list of ``FieldError`` (empty when valid) so one call reports every
problem of a record at once; services raise ``InvalidInput`` with them, importers write them to
the reject file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from spmis.errors import FieldError
from spmis.names import is_khmer_text, is_latin_name

Loc = tuple[str | int, ...]


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class EmploymentType(StrEnum):
    FORMAL = "formal"
    INFORMAL = "informal"
    SELF_EMPLOYED = "self_employed"
    NONE = "none"


class Relationship(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_IN_LAW = "child_in_law"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    PARENT_IN_LAW = "parent_in_law"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    NON_RELATIVE = "non_relative"


class FunctionalDomain(StrEnum):
    """Washington Group short-set domains of functional difficulty."""

    SEEING = "seeing"
    HEARING = "hearing"
    WALKING = "walking"
    REMEMBERING = "remembering"
    SELF_CARE = "self_care"
    COMMUNICATING = "communicating"


class IdentifierType(StrEnum):
    NATIONAL_ID = "national_id"
    IDPOOR_CARD = "idpoor_card"
    NSSF_MEMBER = "nssf_member"
    PHONE = "phone"
    BIRTH_CERTIFICATE = "birth_certificate"


#: identifiers stored only encrypted, found by keyed hash
ENCRYPTED_IDENTIFIERS = frozenset({IdentifierType.NATIONAL_ID, IdentifierType.PHONE})
#: identifiers that belong to one person only (a phone may be shared within a family)
UNIQUE_IDENTIFIERS = frozenset(set(IdentifierType) - {IdentifierType.PHONE})

MAX_AGE_YEARS = 120
PREGNANCY_AGE = (10, 60)
MAX_WEEKS_TO_DELIVERY = 44
_ID_PATTERNS: dict[IdentifierType, tuple[re.Pattern[str], str, str]] = {
    IdentifierType.NATIONAL_ID: (
        re.compile(r"^\d{9,10}$"),
        "must be 9 or 10 digits",
        "ត្រូវតែជាលេខ ៩ ឬ ១០ ខ្ទង់",
    ),
    IdentifierType.IDPOOR_CARD: (
        re.compile(r"^[A-Z0-9][A-Z0-9\-/]{3,31}$"),
        "must be 4 to 32 letters, digits, '-' or '/'",
        "ត្រូវតែជាអក្សរ ឬលេខ ៤ ដល់ ៣២ តួ",
    ),
    IdentifierType.NSSF_MEMBER: (
        re.compile(r"^[A-Z0-9][A-Z0-9\-/]{3,31}$"),
        "must be 4 to 32 letters, digits, '-' or '/'",
        "ត្រូវតែជាអក្សរ ឬលេខ ៤ ដល់ ៣២ តួ",
    ),
    IdentifierType.BIRTH_CERTIFICATE: (
        re.compile(r"^[A-Z0-9][A-Z0-9\-/]{2,39}$"),
        "must be 3 to 40 letters, digits, '-' or '/'",
        "ត្រូវតែជាអក្សរ ឬលេខ ៣ ដល់ ៤០ តួ",
    ),
}


def err(loc: Loc, code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError(loc, code, msg, msg_km)


def age_on(born: date, on: date) -> int:
    """Completed years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def normalise_identifier(
    id_type: IdentifierType, raw: str, phone_parser: Callable[[str], str | None]
) -> str | None:
    """Canonical form of an identifier, or None when it is malformed.

    ``phone_parser`` turns a Cambodian phone number into E.164 or None (kept outside so this
    module stays pure; the service passes the ``phonenumbers`` based one).
    """
    text = raw.strip()
    if id_type is IdentifierType.PHONE:
        return phone_parser(text)
    if id_type is IdentifierType.NATIONAL_ID:
        text = re.sub(r"[\s\-]", "", text)
    else:
        text = re.sub(r"\s+", "", text).upper()
    pattern = _ID_PATTERNS[id_type][0]
    return text if pattern.match(text) else None


def identifier_error(id_type: IdentifierType, loc: Loc) -> FieldError:
    if id_type is IdentifierType.PHONE:
        return err(
            loc,
            "invalid_phone",
            "is not a valid Cambodian phone number (+855 and 8 or 9 digits)",
            "មិនមែនជាលេខទូរស័ព្ទកម្ពុជាត្រឹមត្រូវ (+855 និងលេខ ៨ ឬ ៩ ខ្ទង់)",
        )
    _, msg, msg_km = _ID_PATTERNS[id_type]
    return err(loc, "invalid_identifier", msg, msg_km)


@dataclass(frozen=True)
class PersonFacts:
    """The fields of a person that the rules below look at."""

    family_name_km: str | None
    given_name_km: str | None
    family_name_latin: str | None
    given_name_latin: str | None
    sex: str
    date_of_birth: date
    disability: bool
    functional_difficulties: tuple[str, ...]
    pregnant: bool
    expected_delivery_date: date | None
    employment_type: str

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PersonFacts:
        return cls(
            family_name_km=data.get("family_name_km"),
            given_name_km=data.get("given_name_km"),
            family_name_latin=data.get("family_name_latin"),
            given_name_latin=data.get("given_name_latin"),
            sex=data["sex"],
            date_of_birth=data["date_of_birth"],
            disability=bool(data.get("disability")),
            functional_difficulties=tuple(data.get("functional_difficulties") or ()),
            pregnant=bool(data.get("pregnant")),
            expected_delivery_date=data.get("expected_delivery_date"),
            employment_type=data.get("employment_type") or EmploymentType.NONE.value,
        )


def validate_person(p: PersonFacts, today: date, loc: Loc = ()) -> list[FieldError]:
    """Every rule a person record must satisfy, as field errors."""
    errors: list[FieldError] = []
    for script, fam, giv in (
        ("latin", p.family_name_latin, p.given_name_latin),
        ("km", p.family_name_km, p.given_name_km),
    ):
        for part, value in (("family", fam), ("given", giv)):
            if value is None or value == "":
                continue
            ok = is_latin_name(value) if script == "latin" else is_khmer_text(value)
            if not ok:
                errors.append(
                    err(
                        (*loc, f"{part}_name_{script}"),
                        "invalid_name",
                        "must be written in Latin letters"
                        if script == "latin"
                        else "must be written in Khmer script",
                        "ត្រូវសរសេរជាអក្សរឡាតាំង" if script == "latin" else "ត្រូវសរសេរជាអក្សរខ្មែរ",
                    )
                )
    for part in ("family", "given"):
        if not (getattr(p, f"{part}_name_latin") or getattr(p, f"{part}_name_km")):
            errors.append(
                err(
                    (*loc, f"{part}_name_latin"),
                    "missing_name",
                    f"a {part} name is required in Khmer or Latin letters",
                    "តម្រូវឱ្យមាន"
                    + ("នាមត្រកូល" if part == "family" else "នាមខ្លួន")
                    + " ជាអក្សរខ្មែរ ឬឡាតាំង",
                )
            )
    if p.sex not in {s.value for s in Sex}:
        errors.append(err((*loc, "sex"), "invalid_choice", "must be F or M", "ត្រូវតែជា F ឬ M"))
    if p.date_of_birth > today:
        errors.append(
            err(
                (*loc, "date_of_birth"),
                "date_in_future",
                "is in the future",
                "ថ្ងៃខែឆ្នាំកំណើតនៅពេលអនាគត",
            )
        )
    elif age_on(p.date_of_birth, today) > MAX_AGE_YEARS:
        errors.append(
            err(
                (*loc, "date_of_birth"),
                "implausible_age",
                f"gives an age over {MAX_AGE_YEARS} years",
                "អាយុលើសពី ១២០ ឆ្នាំ",
            )
        )
    if p.employment_type not in {e.value for e in EmploymentType}:
        errors.append(
            err(
                (*loc, "employment_type"),
                "invalid_choice",
                "must be formal, informal, self_employed or none",
                "ប្រភេទការងារមិនត្រឹមត្រូវ",
            )
        )
    domains = {d.value for d in FunctionalDomain}
    for i, d in enumerate(p.functional_difficulties):
        if d not in domains:
            errors.append(
                err(
                    (*loc, "functional_difficulties", i),
                    "invalid_choice",
                    "must be one of " + ", ".join(sorted(domains)),
                    "ប្រភេទពិការភាពមិនត្រឹមត្រូវ",
                )
            )
    if p.functional_difficulties and not p.disability:
        errors.append(
            err(
                (*loc, "functional_difficulties"),
                "inconsistent",
                "given while disability is 'no'",
                "មានបញ្ជាក់ពិការភាព ប៉ុន្តែពិការភាព = ទេ",
            )
        )
    errors.extend(_pregnancy_errors(p, today, loc))
    return errors


def _pregnancy_errors(p: PersonFacts, today: date, loc: Loc) -> list[FieldError]:
    if not p.pregnant:
        if p.expected_delivery_date is not None:
            return [
                err(
                    (*loc, "expected_delivery_date"),
                    "inconsistent",
                    "given for a person who is not pregnant",
                    "មិនមានផ្ទៃពោះ",
                )
            ]
        return []
    errors: list[FieldError] = []
    if p.sex != Sex.FEMALE:
        errors.append(
            err(
                (*loc, "pregnant"),
                "inconsistent",
                "only a woman can be pregnant",
                "មានតែស្ត្រីទេដែលអាចមានផ្ទៃពោះ",
            )
        )
    elif p.date_of_birth <= today and not (
        PREGNANCY_AGE[0] <= age_on(p.date_of_birth, today) <= PREGNANCY_AGE[1]
    ):
        errors.append(
            err(
                (*loc, "pregnant"),
                "implausible_age",
                f"age must be {PREGNANCY_AGE[0]} to {PREGNANCY_AGE[1]} for a pregnancy",
                "អាយុមិនសមស្របនឹងការមានផ្ទៃពោះ",
            )
        )
    if p.expected_delivery_date is None:
        errors.append(
            err(
                (*loc, "expected_delivery_date"),
                "missing",
                "is required when pregnant",
                "តម្រូវឱ្យមានថ្ងៃរំពឹងសម្រាល",
            )
        )
    elif (p.expected_delivery_date - today).days > MAX_WEEKS_TO_DELIVERY * 7:
        errors.append(
            err(
                (*loc, "expected_delivery_date"),
                "implausible_date",
                f"is more than {MAX_WEEKS_TO_DELIVERY} weeks away",
                "ថ្ងៃរំពឹងសម្រាលឆ្ងាយពេក",
            )
        )
    return errors


def validate_members(
    relationships: Iterable[str | None], loc: Loc = ("members",)
) -> list[FieldError]:
    """A household's active members: exactly one head, known relationships."""
    errors: list[FieldError] = []
    heads = []
    known = {r.value for r in Relationship}
    for i, rel in enumerate(relationships):
        if rel not in known:
            errors.append(
                err(
                    (*loc, i, "relationship"),
                    "invalid_choice",
                    "must be one of " + ", ".join(sorted(known)),
                    "ទំនាក់ទំនងមិនត្រឹមត្រូវ",
                )
            )
        elif rel == Relationship.HEAD:
            heads.append(i)
    if len(heads) > 1:
        errors.append(
            err(
                (*loc, heads[1], "relationship"),
                "second_head",
                "the household already has a head",
                "គ្រួសារមានមេគ្រួសាររួចហើយ",
            )
        )
    elif not heads and not errors:
        errors.append(
            err(loc, "no_head", "exactly one member must be the head", "ត្រូវមានមេគ្រួសារម្នាក់")
        )
    return errors


def validate_idpoor(
    level: int | None,
    card: str | None,
    valid_from: date | None,
    valid_to: date | None,
    loc: Loc = (),
) -> list[FieldError]:
    """IDPoor status: level 1 or 2 with a card number; validity in order."""
    errors: list[FieldError] = []
    if level is None:
        if card or valid_from or valid_to:
            errors.append(
                err(
                    (*loc, "idpoor_level"),
                    "missing",
                    "is required with an IDPoor card",
                    "តម្រូវឱ្យមានកម្រិតក្រីក្រ",
                )
            )
        return errors
    if level not in (1, 2):
        errors.append(
            err((*loc, "idpoor_level"), "invalid_choice", "must be 1 or 2", "កម្រិតក្រីក្រត្រូវតែ ១ ឬ ២")
        )
    if not card:
        errors.append(
            err(
                (*loc, "idpoor_card_number"),
                "missing",
                "is required with an IDPoor level",
                "តម្រូវឱ្យមានលេខប័ណ្ណសមធម៌",
            )
        )
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(
            err(
                (*loc, "idpoor_valid_to"),
                "date_order",
                "is before idpoor_valid_from",
                "កាលបរិច្ឆេទផុតកំណត់មុនថ្ងៃចាប់ផ្តើម",
            )
        )
    return errors
