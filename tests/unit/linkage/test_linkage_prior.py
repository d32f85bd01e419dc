"""The share of matching pairs is counted on the rule of the name level that comes first: the
second spelling when one is mapped, divided by that level's own recall."""

from __future__ import annotations

import duckdb
import pytest

from spmis.linkage.engine import PREPARED, _prior_match_share

ROLES = {"family_name", "given_name", "family_name_km", "given_name_km", "date_of_birth"}


def model(m_second: float, m_latin: float, m_date: float,
          u_second: float | None = None, u_date: float | None = None) -> dict[str, object]:
    return {"comparisons": [
        {"output_column_name": "name", "comparison_levels": [
            {"label_for_charts": "same second-script name", "m_probability": m_second,
             "u_probability": u_second},
            {"label_for_charts": "same name key", "m_probability": m_latin}]},
        {"output_column_name": "date_of_birth", "comparison_levels": [
            {"label_for_charts": "exact date", "m_probability": m_date,
             "u_probability": u_date}]}]}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    # records 1 and 2: one Khmer spelling, two romanisations the Latin key does not fold
    c.execute(f"""create table {PREPARED} as select * from (values
        ('sokkalyan', 'សុខកល្យាណ', date '1990-03-04', false),
        ('sokkolyan', 'សុខកល្យាណ', date '1990-03-04', false),
        ('keodara', 'កែវតារា', date '1985-01-02', false),
        ('cansopea', 'ចាន់សុភា', date '1970-07-07', false))
        as t(name_key, name2_key, dob, dob_est)""")
    return c


def test_second_spelling_and_date_counted_over_their_own_recall(
        con: duckdb.DuckDBPyConnection) -> None:
    share = _prior_match_share(con, ROLES, 4, 0.7, model(0.5, 0.2, 0.8))
    assert share == pytest.approx(1 / (0.5 * 0.8) / 6)


def test_latin_key_without_a_second_spelling(con: duckdb.DuckDBPyConnection) -> None:
    latin = ROLES - {"family_name_km", "given_name_km"}
    # no two records share a Latin key and date: the floor, one pair over the assumed recall
    assert _prior_match_share(con, latin, 4, 0.7, model(0.5, 0.9, 0.8)) == pytest.approx(
        1 / 0.7 / 6)


def test_pairs_that_agree_by_chance_are_taken_out(con: duckdb.DuckDBPyConnection) -> None:
    # one pair shares a second spelling and a date; the model's u says a random pair agrees on
    # both with probability 0.05 x 0.4 = 0.02, so of 6 pairs 0.12 agree by chance:
    # found / all = share x m + (1 - share) x u  ->  share = (1/6 - 0.02) / (0.4 - 0.02)
    share = _prior_match_share(con, ROLES, 4, 0.7, model(0.5, 0.2, 0.8, 0.05, 0.4))
    assert share == pytest.approx((1 / 6 - 0.02) / (0.5 * 0.8 - 0.02))
    assert share < _prior_match_share(con, ROLES, 4, 0.7, model(0.5, 0.2, 0.8))
