"""Comparison levels on real spelling variants: each pair of records is standardised by
``prepare`` and the Splink comparison's SQL levels are evaluated on it in DuckDB."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from splink.internals.comparison_creator import ComparisonCreator

from spmis.linkage.comparisons import (
    blocking_rules,
    build_settings,
    dob_comparison,
    name_comparison,
    training_rules,
    village_comparison,
    village_phone_comparison,
)
from spmis.linkage.prepare import prepare


def level(comparison: ComparisonCreator, a: dict[str, str | None], b: dict[str, str | None]) -> str:
    """Label of the level the pair (a, b) falls in."""
    con = duckdb.connect()
    roles = sorted(set(a) | set(b))
    rows = {"record_id": ["a", "b"]} | {r: [a.get(r), b.get(r)] for r in roles}
    con.register("src_arrow", pa.table(rows, schema=pa.schema(
        [(k, pa.string()) for k in rows])))
    con.execute("create table src as select * from src_arrow")
    prepare(con, "src", roles, "prepared", current_year=2026)
    cols = [c[0] for c in con.execute("describe prepared").fetchall()]
    select = ", ".join(
        [f'l."{c}" as "{c}_l"' for c in cols] + [f'r."{c}" as "{c}_r"' for c in cols])
    levels = comparison.get_comparison("duckdb").comparison_levels
    arms = " ".join(
        f"when {lv.sql_condition} then {i}" for i, lv in enumerate(levels)
        if lv.sql_condition != "ELSE")
    sql = (f"select case {arms} else {len(levels) - 1} end from (select {select} "
           f"from prepared l, prepared r where l.record_id = 'a' and r.record_id = 'b')")
    index = con.execute(sql).fetchall()[0][0]
    return str(levels[index].label_for_charts)


def names(family: str | None, given: str | None) -> dict[str, str | None]:
    return {"family_name": family, "given_name": given}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (names("Sok", "Dara"), names("Sokh", "Dara"), "same name key"),
        (names("Sok", "Chan Dara"), names("Sok", "Chandara"), "same name key"),
        (names("Chea", "Sophea"), names("Chia", "Sophia"), "same name key"),
        (names("SOK", "dara "), names("sok", "Dara"), "same name key"),
        (names("Sok", "Dara"), names("Dara", "Sok"), "family and given swapped"),
        (names("Sokh", "Dara"), names("Dara", "Sok"), "family and given swapped"),
        (names("Sok", "Dara"), names("Sok", "Dora"), "one edit or same skeleton"),
        (names("Sok", "Sreymom"), names("Sok", "Sreymon"), "one edit or same skeleton"),
        (names("Sok", "Dara"), names("Keo", "Dara"), "same given name only"),
        (names("Sok", "Dara"), names("Chan", "Virak"), "All other comparisons"),
        (names(None, None), names("Sok", "Dara"), "name_key is NULL"),
    ],
)
def test_latin_name_levels(a: dict[str, str | None], b: dict[str, str | None],
                           expected: str) -> None:
    assert level(name_comparison(), a, b) == expected


def test_full_name_is_split_family_first() -> None:
    a, b = {"full_name": "Sok Chan Dara"}, {"full_name": "Sokh Chandara"}
    assert level(name_comparison(), a, b) == "same name key"
    assert level(name_comparison(), {"full_name": "Sok Dara"}, {"full_name": "Dara Sok"}) == (
        "family and given swapped")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # subscript ro typed before the other subscript (ស្ត្រី / ស្រ្តី)
        ("\u179f\u17d2\u178f\u17d2\u179a\u17b8", "\u179f\u17d2\u179a\u17d2\u178f\u17b8"),
        # vowel typed before the subscript
        ("\u1780\u17d2\u179a\u17b6", "\u1780\u17b6\u17d2\u179a"),
        # zero-width space and a space between syllables
        ("សុខា", "សុ\u200bខា"),
        # split vowel e + aa for oo
        ("\u1785\u17c1\u17b6", "\u1785\u17c4"),
        # subscript da and subscript ta look the same
        ("\u1785\u1793\u17d2\u178f\u17b6", "\u1785\u1793\u17d2\u178a\u17b6"),
    ],
)
def test_khmer_script_variants_are_the_same_name(a: str, b: str) -> None:
    assert level(name_comparison(), names("សុខ", a), names("សុខ", b)) == "same name key"


def both_scripts(family: str | None, given: str | None, family_km: str | None,
                 given_km: str | None) -> dict[str, str | None]:
    return names(family, given) | {"family_name_km": family_km, "given_name_km": given_km}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # romanisations the Latin key does not fold, one Khmer spelling
        (both_scripts("Sok", "Kalyan", "សុខ", "កល្យាណ"), both_scripts("Sok", "Kolyan", "សុខ", "កល្យាណ"),
         "same second-script name"),
        (both_scripts("Srey", "Leak", "ស្រី", "ល័ក្ខ"), both_scripts("Sray", "Leak", "ស្រី", "ល័ក្ខ"),
         "same second-script name"),
        # the same Latin key and a Khmer spelling on one side only: still the same name
        (both_scripts("Sok", "Dara", "សុខ", "តារា"), both_scripts("Sokh", "Dara", None, None),
         "same name key"),
        # two Khmer names romanised alike: weak evidence
        (both_scripts("Sok", "Dara", "សុខ", "តារា"), both_scripts("Sok", "Dara", "សុក", "ដារ៉ា"),
         "same name key, second script differs"),
        # the same Khmer spelling and the same Latin key: the second-script level comes first
        (both_scripts("Sok", "Dara", "សុខ", "តារា"), both_scripts("Sokh", "Dara", "សុខ", "តារា"),
         "same second-script name"),
        # only the Khmer name on one side, both spellings on the other
        (both_scripts(None, None, "សុខ", "តារា"), both_scripts("Sok", "Dara", "សុខ", "តារា"),
         "same second-script name"),
        (both_scripts(None, None, None, None), both_scripts("Sok", "Dara", "សុខ", "តារា"),
         "no name"),
    ],
)
def test_second_script_name_levels(a: dict[str, str | None], b: dict[str, str | None],
                                   expected: str) -> None:
    assert level(name_comparison(second_script=True), a, b) == expected


def test_second_script_adds_its_blocking_rules() -> None:
    latin = {"family_name", "given_name", "date_of_birth", "village_code"}
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql
             for r in blocking_rules(latin | {"family_name_km", "given_name_km"})]
    assert sum("name2_key" in r for r in rules) == 3
    assert not any("name2_key" in r.get_blocking_rule("duckdb").blocking_rule_sql
                   for r in blocking_rules(latin))


def test_khmer_family_and_given_swapped() -> None:
    assert level(name_comparison(), names("សុខ", "ដារា"), names("ដារា", "សុខ")) == (
        "family and given swapped")


def dob(value: str | None) -> dict[str, str | None]:
    return {"date_of_birth": value}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1990-05-03", "1990-05-03", "exact date"),
        ("1990-05-03", "03/05/1990", "exact date"),
        ("1990-05-03", "19900503", "exact date"),
        ("១៩៩០-០៥-០៣", "1990-05-03", "exact date"),
        ("1990-05-03", "1990-03-05", "day and month swapped"),
        ("1990-05-03", "1990-05-08", "one digit apart"),
        ("1990", "1990-05-03", "same year, one estimated"),
        ("1990-01-01", "1990-05-03", "same year, one estimated"),
        ("1989", "1990-05-03", "within 2 years, one estimated"),
        ("1990-11-23", "1990-05-03", "same year"),
        ("1970-11-23", "1990-05-03", "All other comparisons"),
        ("1990-02-30", "1990-05-03", "dob is NULL"),
        (None, "1990-05-03", "dob is NULL"),
    ],
)
def test_date_of_birth_levels(a: str | None, b: str, expected: str) -> None:
    assert level(dob_comparison(), dob(a), dob(b)) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("01020304", "1020304", "same village"),  # leading zero lost in a spreadsheet
        ("01020304", "01020305", "same commune"),
        ("01020304", "01021105", "same district"),
        ("01020304", "01990105", "same province"),
        ("01020304", "12020304", "All other comparisons"),
    ],
)
def test_village_code_prefix_levels(a: str, b: str, expected: str) -> None:
    assert level(village_comparison(), {"village_code": a}, {"village_code": b}) == expected


def test_phone_formats_and_household_sharing() -> None:
    a = {"village_code": "01020304", "phone": "+855 12 345 678"}
    b = {"village_code": "01020304", "phone": "012345678"}
    c = {"village_code": "05020304", "phone": "(012) 345-678"}
    assert level(village_phone_comparison(), a, b) == "same phone and village"
    assert level(village_phone_comparison(), a, c) == "same phone"


def test_comparisons_and_blocking_follow_the_mapped_roles() -> None:
    full = {"given_name", "family_name", "date_of_birth", "sex", "village_code", "phone"}
    outputs = [c.get_comparison("duckdb").output_column_name
               for c in build_settings(full).comparisons]  # type: ignore[union-attr]
    assert outputs == ["name", "date_of_birth", "sex", "village_phone"]
    assert len(blocking_rules(full)) >= 6
    assert len(training_rules(full)) == 3
    only_name = blocking_rules({"full_name"})
    assert [r.get_blocking_rule("duckdb").blocking_rule_sql for r in only_name] == [
        'l."name_key" = r."name_key"']
    assert blocking_rules({"id_number", "phone"})
    assert training_rules({"id_number"})


def test_two_key_rules_pair_every_field_once() -> None:
    from spmis.linkage.comparisons import pair_keys, two_key_rules

    roles = {"given_name", "family_name", "date_of_birth", "id_number", "postcode"}
    keys = pair_keys(roles)
    assert set(keys) == {"fn_key", "gn_key", "dob", "id_number_head", "id_number_tail",
                         "postcode"}
    rules = two_key_rules(roles)
    pairs = [p for p, _ in rules]
    assert ("id_number_head", "id_number_tail") not in pairs  # the whole id: blocked already
    assert len(pairs) == len(set(pairs)) == 6 * 5 // 2 - 1
    cond = dict(rules)[("dob", "postcode")]
    assert cond == "l.dob_str = r.dob_str AND l.postcode = r.postcode"
    assert "substr(l.id_block, 1, length(l.id_block) // 2)" in dict(rules)[
        ("fn_key", "id_number_head")]


def _tf_columns(comparison: ComparisonCreator) -> dict[str, str | None]:
    levels = comparison.get_comparison("duckdb").comparison_levels
    return {str(lv.label_for_charts): lv._tf_adjustment_column for lv in levels}


def test_term_frequencies_weigh_exact_and_near_names() -> None:
    """A rare name shared counts more than a common one, and so does a rare name one letter
    or a vowel away (the skeleton's frequency); without the option no level is adjusted."""
    tf = _tf_columns(name_comparison(second_script=True))
    assert tf["same second-script name"] == "name2_key"
    assert tf["same name key"] == "name_key"
    assert tf["one edit or same skeleton"] == "name_skel"
    assert not any(_tf_columns(name_comparison(term_frequencies=False)).values())
