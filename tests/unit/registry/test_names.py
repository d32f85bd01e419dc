"""Name keys fold Khmer romanisation variants and tolerate typos."""

from __future__ import annotations

import pytest

from spmis.registry.names import is_khmer_text, khmer_key, latin_key, person_name_keys, skeleton


@pytest.mark.parametrize(
    ("a", "b"),
    [("Sok", "Sokh"), ("Chan Dara", "Chandara"), ("Chea", "Chia"), ("Srey", "Srei"),
     ("Sophea", "Sophia"), ("Phalla", "Pala"), ("Sou", "Su"), ("Thida", "Tida")],
)
def test_variants_share_a_key(a: str, b: str) -> None:
    assert latin_key(a) == latin_key(b)


def test_different_names_differ() -> None:
    assert latin_key("Sok") != latin_key("Sam")
    assert latin_key("Dara") != latin_key("Dari")


def test_skeleton_drops_vowels() -> None:
    assert skeleton(latin_key("Chandara")) == skeleton(latin_key("Chandra")) == "cndr"


def test_khmer_key_ignores_spaces_and_zero_width() -> None:
    assert khmer_key("សុខ\u200b តារា") == khmer_key("សុខតារា")
    assert is_khmer_text("សុខ តារា")
    assert not is_khmer_text("Sok")


def test_person_keys() -> None:
    key, skel, km = person_name_keys("Sokh", "Dara", "សុខ", "តារា")
    assert key == "sokdara"
    assert skel == "skdr"
    assert km == "សុខតារា"
