"""Pure registry rules: people, household membership, IDPoor status, identifiers."""

from __future__ import annotations

from datetime import date

import pytest

from spmis.registry.identifiers import mask, normalise, parse_cambodian_phone
from spmis.registry.model import (
    IdentifierType,
    PersonFacts,
    age_on,
    validate_idpoor,
    validate_members,
    validate_person,
)

TODAY = date(2026, 11, 22)


def facts(**kw: object) -> PersonFacts:
    base: dict[str, object] = {
        "family_name_latin": "Sok",
        "given_name_latin": "Dara",
        "sex": "F",
        "date_of_birth": date(1990, 5, 1),
    }
    base.update(kw)
    return PersonFacts.from_mapping(base)


def codes(errors: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(e.field, e.code) for e in errors}


def test_valid_person_has_no_errors() -> None:
    assert validate_person(facts(), TODAY) == []


def test_khmer_only_names_are_enough() -> None:
    p = facts(
        family_name_latin=None, given_name_latin=None, family_name_km="សុខ", given_name_km="តារា"
    )
    assert validate_person(p, TODAY) == []


def test_missing_names_named_per_part() -> None:
    p = facts(family_name_latin=None, given_name_latin=None)
    assert codes(validate_person(p, TODAY)) == {
        ("family_name_latin", "missing_name"),
        ("given_name_latin", "missing_name"),
    }


def test_script_checked() -> None:
    p = facts(family_name_km="Sok", given_name_latin="តារា")
    assert codes(validate_person(p, TODAY)) == {
        ("family_name_km", "invalid_name"),
        ("given_name_latin", "invalid_name"),
    }


def test_future_and_implausible_birth_dates() -> None:
    assert codes(validate_person(facts(date_of_birth=date(2027, 1, 1)), TODAY)) == {
        ("date_of_birth", "date_in_future")
    }
    assert codes(validate_person(facts(date_of_birth=date(1890, 1, 1)), TODAY)) == {
        ("date_of_birth", "implausible_age")
    }


def test_pregnancy_rules() -> None:
    ok = facts(pregnant=True, expected_delivery_date=date(2027, 3, 1))
    assert validate_person(ok, TODAY) == []
    assert ("pregnant", "inconsistent") in codes(
        validate_person(
            facts(sex="M", pregnant=True, expected_delivery_date=date(2027, 3, 1)), TODAY
        )
    )
    assert ("expected_delivery_date", "missing") in codes(
        validate_person(facts(pregnant=True), TODAY)
    )
    assert ("expected_delivery_date", "implausible_date") in codes(
        validate_person(facts(pregnant=True, expected_delivery_date=date(2028, 6, 1)), TODAY)
    )
    assert ("pregnant", "implausible_age") in codes(
        validate_person(
            facts(
                pregnant=True,
                date_of_birth=date(1950, 1, 1),
                expected_delivery_date=date(2027, 1, 1),
            ),
            TODAY,
        )
    )
    assert ("expected_delivery_date", "inconsistent") in codes(
        validate_person(facts(expected_delivery_date=date(2027, 1, 1)), TODAY)
    )


def test_functional_difficulty_needs_disability() -> None:
    assert validate_person(facts(disability=True, functional_difficulties=["walking"]), TODAY) == []
    assert codes(validate_person(facts(functional_difficulties=["walking"]), TODAY)) == {
        ("functional_difficulties", "inconsistent")
    }
    assert ("functional_difficulties.0", "invalid_choice") in codes(
        validate_person(facts(disability=True, functional_difficulties=["flying"]), TODAY)
    )


def test_members_need_exactly_one_head() -> None:
    assert validate_members(["head", "spouse", "child"]) == []
    assert codes(validate_members(["spouse", "child"])) == {("members", "no_head")}
    assert codes(validate_members(["head", "head"])) == {("members.1.relationship", "second_head")}
    assert ("members.1.relationship", "invalid_choice") in codes(validate_members(["head", "cat"]))


def test_idpoor() -> None:
    assert validate_idpoor(None, None, None, None) == []
    assert validate_idpoor(1, "C-1", date(2024, 1, 1), date(2027, 1, 1)) == []
    assert codes(validate_idpoor(3, "C-1", None, None)) == {("idpoor_level", "invalid_choice")}
    assert codes(validate_idpoor(2, None, None, None)) == {("idpoor_card_number", "missing")}
    assert codes(validate_idpoor(None, "C-1", None, None)) == {("idpoor_level", "missing")}
    assert codes(validate_idpoor(1, "C", date(2025, 1, 1), date(2024, 1, 1))) == {
        ("idpoor_valid_to", "date_order")
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("012 345 678", "+85512345678"),
        ("+855 97 123 4567", "+855971234567"),
        ("0973456789", "+855973456789"),
        ("12345", None),
        ("+66 81 234 5678", None),
    ],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert parse_cambodian_phone(raw) == expected


def test_identifier_normalisation() -> None:
    assert normalise(IdentifierType.NATIONAL_ID, "123 456-789") == "123456789"
    assert normalise(IdentifierType.NATIONAL_ID, "12345") is None
    assert normalise(IdentifierType.NSSF_MEMBER, " ab-1234 ") == "AB-1234"
    assert mask("123456789") == "******789"


def test_age_on_birthday_boundary() -> None:
    assert age_on(date(2000, 11, 22), TODAY) == 26
    assert age_on(date(2000, 11, 23), TODAY) == 25
