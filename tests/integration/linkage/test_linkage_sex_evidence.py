"""Recorded sex stays evidence *against* a match after training (issue 12, finding 1).

On ``spmis demo`` data (no duplicates) expectation maximisation used to learn that the two
records of one person almost never agree on sex (m(same sex) = 1e-27 on 13,000 people), so
agreement became evidence against a match and a man and a woman scored 1.0. Training here runs
on a ``spmis synth`` population without duplicates, as the demo loads it."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from spmis.linkage import engine
from spmis.synth.generator import generate

ROLES = {"family_name", "given_name", "family_name_km", "given_name_km", "date_of_birth", "sex",
         "village_code"}


def _sex_weights(model: dict[str, object]) -> dict[str, float]:
    comps = model["comparisons"]
    assert isinstance(comps, list)
    [sex] = [c for c in comps if c["output_column_name"] == "sex"]
    return {lv["label_for_charts"]: math.log2(lv["m_probability"] / lv["u_probability"])
            for lv in sex["comparison_levels"] if lv.get("m_probability") is not None}


def test_trained_model_counts_a_different_sex_against_a_match(tmp_path: Path) -> None:
    generate(households=500, seed=20261122, out_dir=tmp_path, duplicate_share=0.0,
             as_of=date(2025, 1, 1))
    con = engine.connect(memory_limit="1GB")
    con.execute(f"""create table people as select row_number() over () as record_id,
        coalesce(family_name_latin, family_name_km) as family_name,
        coalesce(given_name_latin, given_name_km) as given_name, family_name_km, given_name_km,
        case when dob_estimated = 'true' then substr(date_of_birth, 1, 4)
             else date_of_birth end as date_of_birth, sex, village_code
        from read_csv('{tmp_path / "households.csv"}', all_varchar = true)""")
    result = engine.dedupe(con, "people", ROLES)
    assert result.records >= engine.LinkageOptions().em_min_records  # the model was trained
    weights = _sex_weights(result.model)
    assert weights["exact"] > 0.5, weights
    assert weights["All other comparisons"] < -4, weights
