"""Places are found by name as people type them (issue 13, item 13)."""

from __future__ import annotations

import pytest

from spmis.gazetteer import gazetteer
from spmis.reference.places import find_places, is_code, place_key


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Tonle Basak", "120101"),
        ("tonle  basak", "120101"),
        ("ទន្លេបាសាក់", "120101"),
        ("Chamkar Mon", "1201"),
        ("Srok Chamkar Mon", "1201"),  # with the word for the level
        ("Khett Kampong Cham", "03"),  # the level word picks the province among five
        ("ខេត្តកំពង់ចាម", "03"),
        ("Siem Reap", "17"),  # written "Siemreap" in the gazetteer
        ("Phum Muoy, Tonle Basak", "12010101"),  # the place above tells 59 villages apart
        ("ភូមិ ១, ទន្លេបាសាក់", "12010101"),
        ("ភូមិ 1, ទន្លេបាសាក់", "12010101"),  # Arabic digits in a Khmer name
        ("120101", "120101"),
        ("១២០១០១", "120101"),  # a code in Khmer digits
    ],
)
def test_one_place_by_name_or_code(typed: str, code: str) -> None:
    found = find_places(gazetteer(), typed)
    assert found.unit is not None, [u.code for u in found.matches]
    assert found.unit.code == code


def test_a_name_several_places_share_lists_them_all() -> None:
    found = find_places(gazetteer(), "Phum Muoy")
    assert found.unit is None
    assert len(found.matches) == 59
    assert "12010101" in [u.code for u in found.matches]


def test_scope_narrows_the_choice_and_sets_aside_what_is_outside() -> None:
    found = find_places(gazetteer(), "Phum Muoy", scope="120101")
    assert found.unit is not None and found.unit.code == "12010101"
    assert len(found.outside) == 58
    outside = find_places(gazetteer(), "Battambang", scope="120101")
    assert outside.matches == [] and [u.code for u in outside.outside][:1] == ["02"]


def test_an_unknown_name_offers_the_closest_names() -> None:
    found = find_places(gazetteer(), "Kompong Cham")
    assert found.matches == [] and found.outside == []
    assert "03" in [u.code for u in found.suggestions]
    assert find_places(gazetteer(), "99999999").matches == []


def test_keys() -> None:
    assert place_key("Phnom Penh") == place_key("Phnum Penh")
    assert place_key("ហ៊ុន") == place_key("ហុន")
    assert is_code("1201") and is_code("១២") and not is_code("123") and not is_code("Kep")
