"""Which scored pairs clustering joins (``engine._links``): every pair at the threshold, and a
weaker pair only when each of its records is the other's most probable partner."""

from __future__ import annotations

import duckdb

from spmis.linkage.engine import LINKS, LinkageOptions, _links


def links(pairs: list[tuple[int, int, float]], **options: float) -> set[tuple[int, int]]:
    con = duckdb.connect()
    con.execute("create table pred (unique_id_l bigint, unique_id_r bigint, "
                "match_probability double)")
    con.executemany("insert into pred values (?, ?, ?)", pairs)
    _links(con, "pred", LinkageOptions(**options))
    return {(int(a), int(b)) for a, b in con.execute(
        f"select unique_id_l, unique_id_r from {LINKS}").fetchall()}


def test_strong_pairs_join_whatever_else_is_scored() -> None:
    assert links([(1, 2, 0.9), (1, 3, 0.95), (2, 3, 0.85)]) == {(1, 2), (1, 3), (2, 3)}


def test_weak_pair_joins_when_each_is_the_others_best() -> None:
    assert links([(1, 2, 0.6)]) == {(1, 2)}


def test_weak_pair_is_left_when_one_record_has_a_better_partner() -> None:
    # 2 belongs with 1 (strong); a namesake 3 that scores 0.6 with 2 is not chained onto them
    assert links([(1, 2, 0.9), (2, 3, 0.6)]) == {(1, 2)}
    # 5's best is 7, and 7's best is 5: that weak pair joins, 5-6 does not
    assert links([(5, 6, 0.6), (5, 7, 0.7)]) == {(5, 7)}


def test_below_the_best_link_floor_nothing_joins() -> None:
    assert links([(1, 2, 0.45)]) == set()
    assert links([(1, 2, 0.45)], best_link_floor=0.4) == {(1, 2)}


def test_best_links_off_when_the_floor_is_the_threshold() -> None:
    assert links([(1, 2, 0.6), (3, 4, 0.8)], best_link_floor=0.8) == {(3, 4)}
    assert links([(1, 2, 0.6)], threshold=0.5) == {(1, 2)}
