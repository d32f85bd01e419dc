"""Cost and beneficiaries of each programme by province and sex, baseline against a reform.

Household programmes: beneficiaries are households in the total and province rows, and the people
in those households in the rows by sex (a household's amount is shared equally among its members
for the split by sex); the ``unit`` column says which. Person programmes: beneficiaries are the
persons. Everything is grouped with polars over whole columns.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from spmis.rules.engine import Population, ProgrammeResult

COLUMNS = [
    "programme", "currency", "dimension", "key", "unit", "baseline_beneficiaries",
    "reform_beneficiaries", "baseline_cost", "reform_cost", "cost_difference",
]


def _person_frame(
    population: Population, province: np.ndarray, sex: np.ndarray, res: ProgrammeResult
) -> pl.DataFrame:
    """One row per person: the programme's eligibility and amount share for that person."""
    hh_index = population.person_household_index
    if res.programme.entity == "household":
        size = np.bincount(hh_index, minlength=len(population.household_ids))
        eligible = res.eligible[hh_index]
        amount = res.amount[hh_index] / np.maximum(size[hh_index], 1)
    else:
        eligible = res.eligible
        amount = res.amount.astype(np.float64)
    return pl.DataFrame(
        {"province": province[hh_index], "sex": sex, "eligible": eligible, "amount": amount}
    )


def _household_frame(province: np.ndarray, res: ProgrammeResult) -> pl.DataFrame:
    return pl.DataFrame({"province": province, "eligible": res.eligible, "amount": res.amount})


def _summarise(frame: pl.DataFrame, by: str | None) -> pl.DataFrame:
    aggs = [
        pl.col("eligible").sum().cast(pl.Int64).alias("beneficiaries"),
        pl.col("amount").sum().round(0).cast(pl.Int64).alias("cost"),
    ]
    if by is None:
        return frame.select(pl.lit("all").alias("key"), *aggs)
    return frame.group_by(pl.col(by).alias("key")).agg(aggs)


def compare(
    population: Population,
    province: np.ndarray,
    sex: np.ndarray,
    baseline: Mapping[str, ProgrammeResult],
    reform: Mapping[str, ProgrammeResult],
) -> pl.DataFrame:
    """Rows (programme, dimension total/province/sex, key) with baseline and reform figures."""
    parts = []
    for pid, base in baseline.items():
        after = reform[pid]
        for dimension in ("total", "province", "sex"):
            people = dimension == "sex" or base.programme.entity == "person"
            if people:
                fb = _person_frame(population, province, sex, base)
                fr = _person_frame(population, province, sex, after)
            else:
                fb = _household_frame(province, base)
                fr = _household_frame(province, after)
            by = None if dimension == "total" else dimension
            b = _summarise(fb, by).rename({"beneficiaries": "baseline_beneficiaries",
                                          "cost": "baseline_cost"})
            r = _summarise(fr, by).rename({"beneficiaries": "reform_beneficiaries",
                                          "cost": "reform_cost"})
            joined = b.join(r, on="key", how="full", coalesce=True).fill_null(0)
            parts.append(
                joined.with_columns(
                    pl.lit(pid).alias("programme"),
                    pl.lit(base.currency).alias("currency"),
                    pl.lit(dimension).alias("dimension"),
                    pl.col("key").cast(pl.Utf8),
                    pl.lit("people" if people else "households").alias("unit"),
                    (pl.col("reform_cost") - pl.col("baseline_cost")).alias("cost_difference"),
                ).select(COLUMNS)
            )
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.Utf8))
    return pl.concat(parts).sort(["programme", "dimension", "key"])
