"""Pure pieces of registry linkage, on in-memory DuckDB: reasons, conflict groups, pseudo phone
numbers from hashes, column mappings for matching, the common area of a pair."""

from __future__ import annotations

import duckdb
import pytest

from spmis.errors import InvalidInput
from spmis.linkage import registry_dedupe as rd
from spmis.linkage.match import parse_mapping
from spmis.linkage.prepare import prepare
from spmis.linkage.reasons import reasons_sql
from spmis.linkage.registry_source import CONFLICT_TYPES, pseudo_phone_sql
from spmis.linkage.review import _common_area

ROLES = {"family_name", "given_name", "date_of_birth", "sex", "village_code"}


def _reasons(a: tuple[str, ...], b: tuple[str, ...]) -> list[str]:
    con = duckdb.connect()
    con.execute("create table src (record_id integer, family_name varchar, given_name varchar, "
                "date_of_birth varchar, sex varchar, village_code varchar)")
    con.execute("insert into src values (1, ?, ?, ?, ?, ?), (2, ?, ?, ?, ?, ?)", [*a, *b])
    prepare(con, "src", ROLES, "prep")
    rows = con.execute(f"select {reasons_sql(ROLES)} from prep as a, prep as b "
                       "where a.record_id = 1 and b.record_id = 2").fetchall()
    return list(rows[0][0])


def test_reasons_name_date_sex_place() -> None:
    assert _reasons(("Sok", "Dara", "1988-04-12", "F", "12010101"),
                    ("Sokh", "Dara", "12/04/1988", "F", "12010101")) == [
        "name=same", "date_of_birth=same", "sex=same", "place=village"]
    assert _reasons(("Dara", "Sok", "1988-04-12", "F", "12010101"),
                    ("Sok", "Dara", "1988-12-04", "M", "12010299")) == [
        "name=swapped", "date_of_birth=swapped", "sex=differs", "place=district"]
    assert _reasons(("Sok", "Dara", "1988", "F", ""),
                    ("Chea", "Dara", "1988-07-01", "F", "01020101")) == [
        "name=given_only", "date_of_birth=year", "sex=same"]


def _groups(edges: list[tuple[int, int]], ids: dict[int, str | None]) -> dict[tuple[int, int], str]:
    con = duckdb.connect()
    cols = ", ".join(f"{t} varchar" for t in CONFLICT_TYPES)
    con.execute(f"create table {rd.PEOPLE} (record_id bigint, {cols})")
    for pid, nid in ids.items():
        con.execute(f"insert into {rd.PEOPLE} (record_id, national_id) values (?, ?)", [pid, nid])
    con.execute(f"create table {rd.CANDIDATES} (l bigint, r bigint, probability double, "
                "conflicts varchar[], decision varchar)")
    for l_, r_ in edges:
        con.execute(f"insert into {rd.CANDIDATES} values (?, ?, 0.999, [], 'auto_merge')",
                    [l_, r_])
    rd._block_conflicting_groups(con)
    return {(l_, r_): d for l_, r_, d in con.execute(
        f"select l, r, decision from {rd.CANDIDATES}").fetchall()}


def test_a_conflict_anywhere_in_a_chain_blocks_the_chain_only() -> None:
    decided = _groups([(1, 2), (2, 3), (3, 4), (10, 11)],
                      {1: "A", 2: None, 3: None, 4: "B", 10: "C", 11: None})
    assert decided == {(1, 2): "conflict", (2, 3): "conflict", (3, 4): "conflict",
                       (10, 11): "auto_merge"}


def test_pseudo_phone_is_nine_digits_and_stable() -> None:
    con = duckdb.connect()
    h = "ab" * 32
    [(a, b, n)] = con.execute(f"select {pseudo_phone_sql('x')}, {pseudo_phone_sql('x')}, "
                              f"{pseudo_phone_sql('null')} from (select '{h}' as x)").fetchall()
    assert a == b and len(a) == 9 and a.isdigit() and a[0] != "0" and n is None


def test_match_mapping_refuses_roles_the_registry_lacks() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_mapping(None, ["given_name=first", "address=addr", "postcode=pc"])
    assert [e.code for e in info.value.errors] == ["role_not_in_registry"] * 2
    with pytest.raises(InvalidInput) as info:
        parse_mapping(None, ["nickname=x"])
    assert info.value.errors[0].code == "unknown_role"
    assert parse_mapping(None, ["given_name=first"]).id_column == "__row"


def test_common_area() -> None:
    assert _common_area("12010101", "12010101") == "12010101"
    assert _common_area("12010101", "12010299") == "1201"
    assert _common_area("12010101", "13010101") == ""
