"""The pure rules of the community review and equity cards: card numbers (random, with a check
character that catches a wrong character or two swapped neighbours, read back as typed), a
card's state on a day, validity dates, and the reasons and levels a change needs."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from spmis.targeting.cards import card_numbers
from spmis.targeting.review_model import (
    ALPHABET,
    Card,
    add_months,
    card_state,
    is_card_number,
    level_problems,
    may_change,
    new_card_number,
    normalise_card_number,
    objection_problems,
    reason_problems,
    validity,
)


def test_a_card_number_has_its_form_and_check_character() -> None:
    number = new_card_number("0123456789AB")
    assert number.startswith("EC-0123-4567-89AB-") and len(number) == 19
    assert is_card_number(number)
    with pytest.raises(ValueError):
        new_card_number("TOO-SHORT")


def test_the_check_character_catches_one_wrong_character_and_swaps() -> None:
    number = new_card_number("7K3MQ2X9HT4P")
    body = number[3:17].replace("-", "")
    for i in range(len(body)):
        for ch in ALPHABET:
            if ch != body[i]:
                wrong = body[:i] + ch + body[i + 1:]
                assert not is_card_number(f"EC-{wrong[:4]}-{wrong[4:8]}-{wrong[8:]}-{number[-1]}")
        if i + 1 < len(body) and body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:]
            assert not is_card_number(
                f"EC-{swapped[:4]}-{swapped[4:8]}-{swapped[8:]}-{number[-1]}")


def test_a_number_is_read_back_as_typed_or_scanned() -> None:
    number = new_card_number("0123456789AB")
    typed = number.replace("-", " ").lower().replace("1", "l").replace("0", "o")
    assert normalise_card_number(typed) == number
    assert normalise_card_number(number[3:].replace("-", "")) == number
    assert not is_card_number(normalise_card_number("1234-5678"))


def test_numbers_drawn_together_are_well_formed_distinct_and_spread() -> None:
    numbers = card_numbers(20_000)
    assert len(set(numbers)) == 20_000
    assert all(is_card_number(n) for n in numbers)
    # every character is used at every position, about equally (uniform digits)
    first = Counter(n[3] for n in numbers)
    assert set(first) == set(ALPHABET)
    assert max(first.values()) < 2 * min(first.values())


def test_a_cards_state_on_a_day() -> None:
    card = Card("EC-0123-4567-89AB-X", 1, date(2026, 1, 1), date(2028, 12, 31), "issued",
                "120101")
    assert card_state(card, date(2025, 12, 31)).value == "not_yet_valid"
    assert card_state(card, date(2026, 1, 1)).value == "valid"
    assert card_state(card, date(2028, 12, 31)).value == "valid"
    assert card_state(card, date(2029, 1, 1)).value == "expired"
    replaced = Card(**{**card.__dict__, "status": "replaced"})
    assert card_state(replaced, date(2027, 1, 1)).value == "replaced"


def test_validity_runs_whole_months_to_the_day_before() -> None:
    assert validity(date(2026, 12, 6), 36) == (date(2026, 12, 6), date(2029, 12, 5))
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert validity(date(2024, 2, 29), 12) == (date(2024, 2, 29), date(2025, 2, 27))


def test_reasons_levels_and_objections_are_checked() -> None:
    assert reason_problems("   ")[0].code == "string_too_short"
    assert reason_problems("x" * 501)[0].code == "string_too_long"
    assert reason_problems("moved away") == []
    assert level_problems(3)[0].field == "level" and level_problems(2) == []
    assert {e.field for e in objection_problems("other", "short")} == {"kind", "description"}
    assert objection_problems("missing", "This family lost its land.") == []
    assert may_change("draft") and may_change("posted")
    assert not may_change("approved") and not may_change("issued")
