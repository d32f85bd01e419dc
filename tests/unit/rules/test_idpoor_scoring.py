"""Scoring of the IDPoor questionnaire, against scores computed by hand: twelve households, on
both sides of each cut-off (Poor Level 1, Poor Level 2), under the parameters of 2026 (cut-offs
60 and 45) and of an earlier round, 2020 (cut-offs 65 and 50, some points lower). The expected
points below were added up by hand from parameters/targeting/idpoor.yaml, not computed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from spmis.errors import InvalidInput
from spmis.rules.idpoor import COUNT_ITEMS, SCORED_ITEMS, SELECT_ITEMS, cut_offs, score

NOW = date(2026, 6, 1)
EARLIER = date(2020, 3, 1)

#: (answers: roof, walls, floor, land, transport, durables, livestock, income, shocks,
#:  members, dependants, disabled, chronic ill), then the hand-added points of each scored item
#:  now and earlier, in SCORED_ITEMS order, the total and the level
HOUSEHOLDS = [
    # H1 very poor: level 1 in both
    (("thatch", "thatch_or_bamboo", "small", "none", "none", "none", "none", "casual_labour",
      "major", 5, 3, 1, 3),
     (10, 10, 8, 12, 8, 6, 8, 12, 6, 10, 3, 4), 97, 1,
     (10, 10, 8, 10, 8, 6, 8, 10, 4, 10, 3, 4), 91, 1),
    # H2 exactly on today's Level 1 cut-off (60); Level 2 earlier (55)
    (("tin_or_fibre", "wood_or_tin", "small", "under_half_ha", "motorbike", "phone_or_radio",
      "one_or_two_large", "casual_labour", "minor", 4, 2, 0, 0),
     (5, 5, 8, 8, 2, 4, 3, 12, 3, 10, 0, 0), 60, 1,
     (5, 4, 8, 7, 2, 4, 3, 10, 2, 10, 0, 0), 55, 2),
    # H3 one point below today's Level 1 cut-off (59)
    (("tin_or_fibre", "wood_or_tin", "medium", "under_half_ha", "motorbike", "phone_or_radio",
      "one_or_two_large", "casual_labour", "minor", 4, 2, 1, 0),
     (5, 5, 4, 8, 2, 4, 3, 12, 3, 10, 3, 0), 59, 2,
     (5, 4, 4, 7, 2, 4, 3, 10, 2, 10, 3, 0), 54, 2),
    # H4 exactly on today's Level 2 cut-off (45); not poor earlier (44 < 50)
    (("tiles_or_concrete", "brick_or_concrete", "medium", "under_half_ha", "bicycle",
      "phone_or_radio", "poultry_only", "own_farm", "none", 5, 2, 0, 2),
     (0, 0, 4, 8, 6, 4, 6, 8, 0, 5, 0, 4), 45, 2,
     (0, 0, 4, 7, 6, 4, 6, 8, 0, 5, 0, 4), 44, 0),
    # H5 one point below today's Level 2 cut-off (44)
    (("tiles_or_concrete", "brick_or_concrete", "medium", "under_half_ha", "bicycle",
      "phone_or_radio", "poultry_only", "own_farm", "minor", 5, 2, 0, 0),
     (0, 0, 4, 8, 6, 4, 6, 8, 3, 5, 0, 0), 44, 0,
     (0, 0, 4, 7, 6, 4, 6, 8, 2, 5, 0, 0), 42, 0),
    # H6 well off
    (("tiles_or_concrete", "brick_or_concrete", "large", "over_one_ha", "car_or_tractor",
      "tv_and_fridge", "three_plus_large", "salary_or_remittance", "none", 4, 1, 0, 0),
     (0,) * 12, 0, 0, (0,) * 12, 0, 0),
    # H7 exactly on the earlier Level 1 cut-off (65); 10 members, 2 dependants (20%: none)
    (("thatch", "thatch_or_bamboo", "small", "none", "none", "tv", "one_or_two_large",
      "own_farm", "none", 10, 2, 2, 0),
     (10, 10, 8, 12, 8, 2, 3, 8, 0, 0, 6, 0), 67, 1,
     (10, 10, 8, 10, 8, 2, 3, 8, 0, 0, 6, 0), 65, 1),
    # H8 one point below the earlier Level 1 cut-off (64), Level 1 today (66)
    (("thatch", "thatch_or_bamboo", "small", "none", "none", "tv", "one_or_two_large",
      "own_farm", "none", 10, 2, 1, 1),
     (10, 10, 8, 12, 8, 2, 3, 8, 0, 0, 3, 2), 66, 1,
     (10, 10, 8, 10, 8, 2, 3, 8, 0, 0, 3, 2), 64, 2),
    # H9 disability and chronic illness counted for two members at most
    (("tin_or_fibre", "wood_or_tin", "medium", "half_to_one_ha", "motorbike", "tv",
      "poultry_only", "small_business", "major", 3, 0, 3, 3),
     (5, 5, 4, 4, 2, 2, 6, 4, 6, 0, 6, 4), 48, 2,
     (5, 4, 4, 3, 2, 2, 6, 4, 4, 0, 6, 4), 44, 0),
    # H10 exactly on the earlier Level 2 cut-off (50)
    (("thatch", "wood_or_tin", "medium", "under_half_ha", "bicycle", "phone_or_radio",
      "poultry_only", "small_business", "none", 5, 2, 0, 0),
     (10, 5, 4, 8, 6, 4, 6, 4, 0, 5, 0, 0), 52, 2,
     (10, 4, 4, 7, 6, 4, 6, 4, 0, 5, 0, 0), 50, 2),
    # H11 dependants exactly 30% of the members: the lower dependants' points
    (("tiles_or_concrete", "brick_or_concrete", "large", "over_one_ha", "car_or_tractor",
      "tv_and_fridge", "three_plus_large", "salary_or_remittance", "none", 10, 3, 0, 0),
     (0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0), 5, 0,
     (0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0), 5, 0),
    # H12 dependants just under 30% (2 of 7): no points
    (("tiles_or_concrete", "brick_or_concrete", "large", "over_one_ha", "car_or_tractor",
      "tv_and_fridge", "three_plus_large", "salary_or_remittance", "none", 7, 2, 0, 0),
     (0,) * 12, 0, 0, (0,) * 12, 0, 0),
]


def _inputs() -> dict[str, np.ndarray]:
    items = (*SELECT_ITEMS, *COUNT_ITEMS)
    columns: dict[str, list[int]] = {item: [] for item in items}
    for answers, *_ in HOUSEHOLDS:
        for item, value in zip(items, answers, strict=True):
            columns[item].append(SELECT_ITEMS[item].index(value) if item in SELECT_ITEMS
                                 else int(value))
    return {item: np.array(values) for item, values in columns.items()}


@pytest.mark.parametrize(("on", "offset"), [(NOW, 1), (EARLIER, 4)], ids=["2026", "2020"])
def test_hand_computed_scores_match_the_engine(on: date, offset: int) -> None:
    scores = score(_inputs(), on)
    for number, household in enumerate(HOUSEHOLDS):
        points, total, level = household[offset], household[offset + 1], household[offset + 2]
        got = tuple(int(scores.points[item][number]) for item in SCORED_ITEMS)
        assert got == points, f"H{number + 1} on {on}: points {got} != {points}"
        assert int(scores.total[number]) == total, f"H{number + 1} on {on}: total"
        assert int(scores.level[number]) == level, f"H{number + 1} on {on}: level"


def test_both_levels_and_both_sides_of_each_cut_off_are_covered() -> None:
    for offset, on in ((1, NOW), (4, EARLIER)):
        cut = cut_offs(on)
        totals = [h[offset + 1] for h in HOUSEHOLDS]
        levels = {h[offset + 2] for h in HOUSEHOLDS}
        assert levels == {0, 1, 2}
        for boundary in (cut.level_1, cut.level_2):
            assert boundary in totals and any(t == boundary - 1 or t < boundary
                                              for t in totals)
    assert cut_offs(NOW).level_1 == 60 and cut_offs(EARLIER).level_1 == 65


def test_missing_answers_are_named() -> None:
    inputs = _inputs()
    del inputs["roof"]
    with pytest.raises(InvalidInput) as caught:
        score(inputs, NOW)
    assert caught.value.errors[0].loc == ("answers", "roof")


def test_no_questionnaires_no_scores() -> None:
    empty = {item: np.zeros(0, dtype=np.int32) for item in (*SELECT_ITEMS, *COUNT_ITEMS)}
    assert len(score(empty, NOW).total) == 0
