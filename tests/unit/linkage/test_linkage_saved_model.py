"""A saved model moved between Splink dialects keeps every trained value and takes the target
dialect's SQL; a model that does not line up with the roles is refused, naming what differs."""

from __future__ import annotations

from typing import Any

import pytest

from spmis.linkage.comparisons import build_settings
from spmis.linkage.saved_model import ModelMismatch, port_model

ROLES = {"family_name", "given_name", "family_name_km", "given_name_km", "sex",
         "date_of_birth", "village_code", "phone", "id_number"}


def trained(roles: set[str], dialect: str = "duckdb") -> dict[str, Any]:
    """A settings dict with distinct m and u on every level, as training would leave it."""
    model = build_settings(roles).get_settings(dialect).as_dict()
    for i, comp in enumerate(model["comparisons"]):
        for j, level in enumerate(comp["comparison_levels"]):
            if not level.get("is_null_level"):
                level["m_probability"] = 0.001 * (i + 1) + 0.0001 * j
                level["u_probability"] = 0.002 * (i + 1) + 0.0003 * j
    model["probability_two_random_records_match"] = 3.5e-6
    return model


def trained_values(model: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(c["output_column_name"], lv.get("label_for_charts"), lv.get("m_probability"),
             lv.get("u_probability"), lv.get("tf_adjustment_column"))
            for c in model["comparisons"] for lv in c["comparison_levels"]]


def conditions(model: dict[str, Any]) -> list[str]:
    return [lv["sql_condition"] for c in model["comparisons"] for lv in c["comparison_levels"]]


def test_duckdb_model_on_spark_keeps_every_trained_value() -> None:
    saved = trained(ROLES)
    spark = port_model(saved, ROLES, "spark")
    assert spark["sql_dialect"] == "spark"
    assert trained_values(spark) == trained_values(saved)
    assert spark["probability_two_random_records_match"] == 3.5e-6
    # DuckDB's double-quoted identifiers are string literals to Spark; Spark has no
    # jaro_winkler_similarity
    assert any('"' in c for c in conditions(saved))
    assert not any('"' in c or "jaro_winkler_similarity" in c for c in conditions(spark))
    assert any("jaro_winkler(" in c for c in conditions(spark))


def test_round_trip_gives_back_the_saved_model() -> None:
    saved = trained(ROLES)
    back = port_model(port_model(saved, ROLES, "spark"), ROLES, "duckdb")
    assert conditions(back) == conditions(saved)
    assert trained_values(back) == trained_values(saved)


def test_term_frequency_option_follows_the_model() -> None:
    saved = build_settings(ROLES, term_frequencies=False).get_settings("duckdb").as_dict()
    spark = port_model(saved, ROLES, "spark")
    assert not any(v[4] for v in trained_values(spark))


def test_model_of_other_roles_is_refused() -> None:
    saved = trained(ROLES - {"id_number"})
    with pytest.raises(ModelMismatch, match="id_number"):
        port_model(saved, ROLES, "spark")


def test_model_with_other_levels_is_refused() -> None:
    saved = trained(ROLES)
    saved["comparisons"][1]["comparison_levels"][2]["label_for_charts"] = "renamed"
    with pytest.raises(ModelMismatch, match=r"date_of_birth.*renamed"):
        port_model(saved, ROLES, "spark")


def test_model_with_malformed_levels_is_refused() -> None:
    saved = trained(ROLES)
    saved["comparisons"][2]["comparison_levels"] = "exact"
    with pytest.raises(ModelMismatch, match="not a list of levels"):
        port_model(saved, ROLES, "spark")
