"""The scope module: one prefix rule, the same answer in Python, SQL (SQLite), Polars and
DuckDB; LIKE wildcards in a prefix are taken literally."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from spmis.auth import scope

CODES = ["12010101", "12010201", "12020101", "01020101", "1201", "12", "12_10101", "12%x", None]
SCOPES = ["", "12", "1201", "120101", "12_1", "12%", "01"]


def expected(s: str) -> list[str | None]:
    return [c for c in CODES if scope.covers(s, c)]


def test_covers_and_overlaps() -> None:
    assert scope.covers("", None) and scope.covers("", "01")
    assert scope.covers("1201", "12010101") and not scope.covers("1201", "12020101")
    assert not scope.covers("1201", None) and not scope.covers("1201", "12")
    assert scope.overlaps("12", "1201") and scope.overlaps("1201", "12")
    assert scope.overlaps("", "01") and not scope.overlaps("1201", "1202")


@pytest.mark.parametrize("s", SCOPES)
def test_sql_polars_duckdb_agree_with_python(s: str) -> None:
    table = Table("t", MetaData(), Column("code", String(8)))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"code": c} for c in CODES])
        by_sql = conn.execute(select(table.c.code).where(*scope.conditions(s, table.c.code))
                              ).scalars().all()
        one = conn.execute(select(table.c.code).where(scope.condition(s, table.c.code))
                           ).scalars().all()
    assert by_sql == one == expected(s)
    frame = pl.DataFrame({"code": CODES}, schema={"code": pl.String})
    assert frame.filter(scope.polars_covers(s, "code"))["code"].to_list() == expected(s)
    con = duckdb.connect()
    con.execute("create table t (code varchar)")
    con.executemany("insert into t values (?)", [[c] for c in CODES])
    rows = con.execute(f"select code from t where {scope.duckdb_covers(s, 'code')} "
                       "order by rowid").fetchall()
    assert [r[0] for r in rows] == expected(s)


def test_area_condition_is_equality_for_a_village() -> None:
    table = Table("t", MetaData(), Column("code", String(8)))
    assert "=" in str(scope.area_condition(table.c.code, "12010101"))
    assert "LIKE" in str(scope.area_condition(table.c.code, "120101"))
