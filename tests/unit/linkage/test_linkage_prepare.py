"""Standardisation: dates in many forms, sex words, phone formats, unreadable values counted."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from spmis.linkage.prepare import BLOCK_VALUE_MAX_RECORDS, prepare


def run(rows: dict[str, list[str | None]]) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect()
    con.register("a", pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows])))
    con.execute("create table src as select * from a")
    report = prepare(con, "src", [k for k in rows if k != "record_id"], "p", current_year=2026)
    return con, {"report": report}


def test_dates_sex_and_unreadable_values() -> None:
    values = ["1990-05-03", "3/5/1990", "1990", "1990-00-00", "១៩៩០-០៥-០៣", "1990-02-30",
              "2090-01-01", "", None]
    sexes = ["M", "female", "ស្រី", "2", "x", "m", "F", "", None]
    con, out = run({"record_id": [str(i) for i in range(9)], "date_of_birth": values,
                    "sex": sexes})
    got = con.execute("select dob::varchar, dob_est, sex from p order by record_id").fetchall()
    assert got == [
        ("1990-05-03", False, "m"), ("1990-05-03", False, "f"), ("1990-01-01", True, "f"),
        ("1990-01-01", True, "f"), ("1990-05-03", False, None), (None, None, "m"),
        (None, None, "f"), (None, None, None), (None, None, None)]
    report = out["report"]
    assert report.rows == 9
    assert report.unreadable == {"date_of_birth": 2, "sex": 1}
    assert report.examples["date_of_birth"] == ["1990-02-30", "2090-01-01"]


def test_phone_and_placeholder_values_do_not_block() -> None:
    n = BLOCK_VALUE_MAX_RECORDS + 1
    con, _ = run({"record_id": [str(i) for i in range(n + 2)],
                  "phone": ["012 345 678"] * n + ["+855 (0)97 765 4321", "123"],
                  "id_number": ["000000000"] + ["N-123456"] * (n + 1)})
    got = con.execute("select phone, phone_block, id_number, id_block from p "
                      "order by cast(record_id as int) desc limit 3").fetchall()
    assert got[0] == (None, None, "N123456", None)  # "123": too short; id shared too widely
    assert got[1] == ("977654321", "977654321", "N123456", None)
    assert got[2] == ("12345678", None, "N123456", None)
    assert con.execute("select id_number from p where record_id = '0'").fetchall() == [(None,)]
