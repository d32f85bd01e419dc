"""The columnar service and parameter reforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from spmis.errors import InvalidInput
from spmis.rules import tax_benefit_system
from spmis.rules.area_types import area_table, derive_initial_table
from spmis.rules.catalogue import programme, programmes
from spmis.rules.engine import Population, evaluate
from spmis.rules.reforms import apply_reform, load_reform


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    households = pd.DataFrame(
        {"id": [20, 10], "idpoor_level": [0, 1], "commune_code": ["120101", "010201"]}
    )
    persons = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "household_id": [10, 10, 20, 10],
            "date_of_birth": pd.to_datetime(
                ["1980-01-01", "2019-05-05", "1990-01-01", "1950-01-01"]
            ).values.astype("datetime64[D]"),
            "sex": ["female", "female", "male", "male"],
            "wage": [0, 0, 1_000_000, 0],
            "nssf_member": [False, False, True, False],
        }
    )
    return households, persons


def test_evaluate_from_pandas_is_per_household_and_person() -> None:
    households, persons = _frames()
    result = evaluate(Population.from_frames(households, persons), "2021-03")
    covid = result["covid19_cash_transfer"]
    # household 10: rural level 1, 3 members, child under 6 and a person 60+ vulnerable
    assert covid.ids.tolist() == [20, 10]
    assert covid.amount.tolist() == [0, 80_000 + 3 * 24_000 + 2 * 24_000]
    assert covid.eligible.tolist() == [False, True]
    contributions = result["nssf_contributions"]
    assert contributions.ids.tolist() == [1, 2, 3, 4]
    assert contributions.amount.tolist() == [0, 0, 8_000 + 26_000, 0]


def test_evaluate_accepts_polars_and_filters_programmes() -> None:
    households, persons = _frames()
    pop = Population.from_frames(pl.from_pandas(households), pl.from_pandas(persons))
    result = evaluate(pop, "2021-03", ["covid19_cash_transfer"])
    assert list(result) == ["covid19_cash_transfer"]
    assert int(result["covid19_cash_transfer"].amount.sum()) == 200_000


def test_unknown_programme_and_orphan_person_are_invalid_input() -> None:
    households, persons = _frames()
    with pytest.raises(InvalidInput) as err:
        evaluate(Population.from_frames(households, persons), "2021-03", ["nope"])
    assert err.value.errors[0].loc == ("programme",)
    persons.loc[0, "household_id"] = 99
    with pytest.raises(InvalidInput):
        evaluate(Population.from_frames(households, persons), "2021-03")


def test_catalogue_variables_exist_with_names_in_both_languages() -> None:
    system = tax_benefit_system()
    for prog in programmes():
        assert prog.variable in system.variables
        assert prog.eligible is None or prog.eligible in system.variables
        assert prog.name_en and prog.name_km
        assert prog.currency in {"KHR", "USD"}
    assert programme("flood_cash_transfer").currency == "USD"


def test_area_table_covers_every_gazetteer_commune_and_matches_its_derivation() -> None:
    derived = {code: area for code, area, _ in derive_initial_table()}
    table = area_table()
    assert len(table.codes) == len(derived) == 1661
    for code, area in derived.items():
        assert table.get(code) == area
    assert table.get("999999") is None


def test_reform_changes_parameters_without_touching_the_baseline() -> None:
    households, persons = _frames()
    pop = Population.from_frames(households, persons)
    name, changes = load_reform(
        {
            "name": "restart",
            "changes": {
                "social_assistance.covid19.active": {"start": "2026-11-01", "value": True},
                "social_assistance.covid19.household_base.rural": [
                    {"start": "2026-11-01", "value": 100_000}
                ],
            },
        }
    )
    reformed = apply_reform(tax_benefit_system(), changes, name)
    base = evaluate(pop, "2026-11", ["covid19_cash_transfer"])
    after = evaluate(pop, "2026-11", ["covid19_cash_transfer"], system=reformed)
    assert base["covid19_cash_transfer"].amount.tolist() == [0, 0]
    # household 10 in 2026-11: ages 46, 7, 76 -> one vulnerable member (76)
    assert after["covid19_cash_transfer"].amount.tolist() == [0, 100_000 + 3 * 24_000 + 24_000]


def test_unconfirmed_pension_floor_for_all_schemes_is_a_switch() -> None:
    pop = Population(
        household_ids=np.array([1]),
        person_ids=np.array([1]),
        person_household_ids=np.array([1]),
        person={"wage": np.array([250_000]), "nssf_member": np.array([True])},
    )
    reformed = apply_reform(
        tax_benefit_system(),
        {"social_security.contributory_wage.pension_floor_applies_to_all_schemes": True},
    )
    base = evaluate(pop, "2026-11", ["nssf_contributions"])["nssf_contributions"]
    after = evaluate(pop, "2026-11", ["nssf_contributions"], system=reformed)
    # OR/HC on 250,000 -> 400,000: (0.8% + 2.6%) x 150,000 more
    assert int(after["nssf_contributions"].amount[0] - base.amount[0]) == 5_100


def test_reform_of_an_unknown_parameter_names_it() -> None:
    with pytest.raises(InvalidInput) as err:
        apply_reform(tax_benefit_system(), {"social_assistance.nope": 1})
    assert err.value.errors[0].loc == ("changes", "social_assistance.nope")


def test_reform_of_a_scale_bracket() -> None:
    reformed = apply_reform(
        tax_benefit_system(),
        {"social_security.pension.contribution_rate_by_scheme_year.brackets.0.amount": 0.06},
    )
    pop = Population(
        household_ids=np.array([1]),
        person_ids=np.array([1]),
        person_household_ids=np.array([1]),
        person={"wage": np.array([1_000_000]), "nssf_member": np.array([True])},
    )
    result = evaluate(pop, "2026-11", ["nssf_contributions"], system=reformed)
    # 0.8% + 2.6% + 6% of 1,000,000
    assert int(result["nssf_contributions"].amount[0]) == 94_000


def test_every_formula_has_a_yaml_test() -> None:
    """Every variable computed by a formula appears in the output of some YAML test."""
    from pathlib import Path

    import yaml

    system = tax_benefit_system()
    tested: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in system.variables:
                    tested.add(key)
                collect(value)

    for path in (Path(__file__).parent / "openfisca").glob("*.yaml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            collect(case.get("output", {}))
    with_formula = {name for name, v in system.variables.items() if v.formulas}
    assert with_formula - tested == set()


def test_result_rows_keep_eligible_or_paid_and_only_non_zero_contributions() -> None:
    from spmis.rules.store import result_frame

    households, persons = _frames()
    population = Population.from_frames(households, persons)
    results = evaluate(population, "2021-03")
    frame = result_frame(population, results, run_id=7)
    covid = frame.filter(frame["programme"] == "covid19_cash_transfer")
    assert covid["entity_id"].to_list() == [10]
    assert covid["household_id"].to_list() == [10]
    contributions = frame.filter(frame["programme"] == "nssf_contributions")
    assert contributions["entity_id"].to_list() == [3]  # the only member with a wage
    assert contributions["household_id"].to_list() == [20]  # a person's row names the household
    assert set(frame["run_id"].to_list()) == {7}
    keys = frame.select("household_id", "programme", "entity_id").rows()
    assert keys == sorted(keys)  # primary-key order: the index is appended to
