"""A trained model moved from one Splink backend to another (DuckDB here, Spark for a registry
that outgrows one machine, and back).

Splink keeps each level's SQL in the saved model in the dialect it was trained on (DuckDB:
double-quoted identifiers, ``jaro_winkler_similarity``), and does not translate it when the
model is loaded elsewhere: a DuckDB model on Spark fails, or would compare string literals.
``port_model`` rebuilds the settings from the roles in the target dialect
(``comparisons.build_settings`` is backend independent) and gives every level the trained m
and u of the saved one, with the saved share of matching pairs. The saved comparisons and
levels must line up with the ones the roles give (same roles, same term-frequency option,
same version of the comparisons); otherwise it refuses, naming the first that does not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from spmis.linkage.comparisons import build_settings

__all__ = ["ModelMismatch", "port_model"]

_TRAINED = ("m_probability", "u_probability")


class ModelMismatch(ValueError):
    """The saved model's comparisons or levels are not those the roles give."""


def _uses_term_frequencies(model: Mapping[str, Any]) -> bool:
    return any(level.get("tf_adjustment_column")
               for comp in model.get("comparisons", [])
               for level in comp.get("comparison_levels", []))


def port_model(model: Mapping[str, Any], roles: Collection[str], dialect: str
               ) -> dict[str, Any]:
    """``model`` (a ``save_model_to_json`` dict of any backend, trained on ``roles``) as a
    settings dict for ``dialect`` ("duckdb", "spark", ...), with the saved m, u and share of
    matching pairs. Raises ``ModelMismatch`` when the comparisons or levels differ."""
    target = build_settings(roles, _uses_term_frequencies(model)).get_settings(dialect).as_dict()
    saved = [c if isinstance(c, dict) else {} for c in model.get("comparisons", [])]
    names = [c["output_column_name"] for c in target["comparisons"]]
    saved_names = [c.get("output_column_name") for c in saved]
    if saved_names != names:
        raise ModelMismatch(f"the model compares {saved_names}, the roles give {names}")
    for comp_t, comp_s in zip(target["comparisons"], saved, strict=True):
        levels_s = comp_s.get("comparison_levels")
        if not isinstance(levels_s, list) or not all(isinstance(lv, dict) for lv in levels_s):
            raise ModelMismatch(
                f"comparison {comp_t['output_column_name']!r}: the model's levels are not a "
                "list of levels")
        labels_t = [lv.get("label_for_charts") for lv in comp_t["comparison_levels"]]
        labels_s = [lv.get("label_for_charts") for lv in levels_s]
        if labels_t != labels_s:
            raise ModelMismatch(
                f"comparison {comp_t['output_column_name']!r}: the model has levels "
                f"{labels_s}, the roles give {labels_t}")
        for level_t, level_s in zip(comp_t["comparison_levels"], levels_s, strict=True):
            for key in _TRAINED:
                if level_s.get(key) is not None:
                    level_t[key] = level_s[key]
    prior = model.get("probability_two_random_records_match")
    if prior is not None:
        target["probability_two_random_records_match"] = prior
    return target
