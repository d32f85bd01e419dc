"""Name keys fold Khmer romanisation variants and tolerate typos."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spmis.names import (
    KHMER_LOOSE_FOLDS,
    KHMER_LOOSE_SIGNS,
    is_khmer_text,
    khmer_key,
    khmer_loose_key,
    khmer_skeleton,
    latin_key,
    name_key,
    normalise_khmer,
    person_name_keys,
    skeleton,
)


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


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # subscript ro typed before the other subscript
        ("\u179f\u17d2\u178f\u17d2\u179a\u17b8", "\u179f\u17d2\u179a\u17d2\u178f\u17b8"),
        ("\u1780\u17d2\u179a\u17b6", "\u1780\u17b6\u17d2\u179a"),  # vowel before subscript
        ("\u1785\u17c1\u17b6", "\u1785\u17c4"),  # e + aa -> oo
        ("\u1785\u17c1\u17b8", "\u1785\u17be"),  # e + ii -> oe
        ("\u1785\u1793\u17d2\u178a\u17b6", "\u1785\u1793\u17d2\u178f\u17b6"),  # coeng da / ta
        ("\u1780\u17bb\u17bb", "\u1780\u17bb"),  # vowel typed twice
        ("\u1794\u17ca\u17bb", "\u1794\u17bb\u17ca"),  # register shifter after the vowel
        ("\u17a3\u1780", "\u17a2\u1780"),  # deprecated independent vowel
    ],
)
def test_khmer_spellings_that_look_the_same_share_a_key(a: str, b: str) -> None:
    assert khmer_key(a) == khmer_key(b)
    assert normalise_khmer(a) == normalise_khmer(b)


def test_khmer_normalisation_keeps_other_text_and_distinct_names() -> None:
    assert normalise_khmer("Sok សុខ 12") == "Sok សុខ 12"
    assert khmer_key("សុខ") != khmer_key("សុខា")


def test_name_key_picks_the_script() -> None:
    assert name_key("Sokh Dara") == latin_key("Sok Dara") == "sokdara"
    assert name_key("សុខ ដារា") == khmer_key("សុខដារា")
    assert name_key(None) == name_key("") == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ហុន", "ហ៊ុន"),  # triisap left out
        ("ម៉ៅ", "មៅ"),  # muusikatoan added
        ("ប៊ុនថន", "ប៊ុនថន់"),  # bantoc left out
        ("ឲ្យ", "ឱ្យ"),  # qoo written the other way
        ("ស៊ុន សុភ័ក្រ", "សុន សុភក្រ"),  # signs in both words, and a space
    ],
)
def test_khmer_loose_key_ignores_diacritic_signs(typed: str, stored: str) -> None:
    assert khmer_loose_key(typed) == khmer_loose_key(stored)
    assert khmer_loose_key(stored) in person_name_keys(None, None, stored, None)[2]


def test_khmer_loose_key_keeps_letters_vowels_and_subscripts() -> None:
    assert khmer_loose_key("សុខ") != khmer_loose_key("សុខា")
    assert khmer_loose_key("ស្រី") != khmer_loose_key("សី")  # a subscript is a letter
    assert khmer_loose_key("ហ៊ុន") == "ហុន"


@given(st.text(alphabet=st.sampled_from([chr(c) for c in range(0x1780, 0x17DE)] + [" "]),
               max_size=12))
def test_loose_key_is_the_strict_key_with_the_signs_removed(text: str) -> None:
    """What migration 0007 does in SQL (REPLACE each sign on the stored strict key) gives the
    key the code computes."""
    strict = khmer_key(text)
    for sign in KHMER_LOOSE_SIGNS:
        strict = strict.replace(sign, "")
    for old, new in KHMER_LOOSE_FOLDS:
        strict = strict.replace(old, new)
    assert strict == khmer_loose_key(text)


def test_khmer_skeleton_is_the_consonants() -> None:
    assert khmer_skeleton("ហ៊ុន សែន") == "ហនសន"


def test_name_likeness() -> None:
    from spmis.names import name_likeness

    assert name_likeness(("Sokh", "Dara", None, None), ("Sok", "Dara", "សុខ", "តារា")) == "same"
    assert name_likeness(("Dara", "Sok", None, None), ("Sok", "Dara", None, None)) == "same"
    assert name_likeness((None, None, "ហុន", "សែន"), (None, None, "ហ៊ុន", "សែន")) == "same"
    assert name_likeness(("Chan", "Sopheap", None, None), ("Chan", "Sophea", None, None)) == "close"
    assert name_likeness(("Chan", "Dara", None, None), ("Chan", "Sophea", None, None)) is None
    assert name_likeness((None, None, "សុខ", None), ("Sok", None, None, None)) is None
